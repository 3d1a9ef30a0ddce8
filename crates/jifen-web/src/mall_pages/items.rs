//! The catalog's items: the list, and the item form with its fields read and checked.

use askama::Template;
use jifen_app::mall::MallCategories;

use super::*;
use crate::forms::{Choice, FormState};
use crate::frame::Frame;
use crate::page::{L, Lang};

/// What the item form offers to choose from: the coupon templates (code, name in the page's
/// language) and the categories the merchant named.
pub(super) struct Choices {
    pub(super) templates: Vec<(String, String)>,
    pub(super) categories: MallCategories,
}

#[derive(Deserialize, Default)]
pub(super) struct ItemsQuery {
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) after: Option<String>,
}

/// A tab of a list: its link, its words and whether it is the one shown.
pub(super) struct Tab {
    pub(super) href: String,
    pub(super) label: String,
    pub(super) on: bool,
}

/// An item's row in the list.
pub(super) struct ItemRow {
    id: i64,
    cover: Option<i64>,
    name: String,
    category: String,
    flash: bool,
    presale: bool,
    kind: String,
    price: String,
    stock: String,
    sold: String,
    status: String,
    status_label: String,
}

#[derive(Template)]
#[template(path = "console/mall_items.html")]
struct ItemsPage {
    frame: Frame,
    tabs: Vec<Tab>,
    /// Whether the staff member may add items.
    operates: bool,
    rows: Vec<ItemRow>,
    /// The link to the next page, when there is one.
    next: Option<String>,
}

pub(super) async fn items(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<ItemsQuery>,
) -> Response {
    let title = st.t("积分商城", "Points mall");
    let filter = q.status.unwrap_or_default();
    let status = ["on_sale", "draft", "off_sale"]
        .contains(&filter.as_str())
        .then(|| filter.clone());
    let after = q
        .after
        .and_then(|a| a.parse::<i64>().ok())
        .filter(|a| *a > 0)
        .unwrap_or(0);
    let ctx = st.ctx.clone();
    let (list, cats) = match web
        .app
        .read(move |tx| {
            let list = mall::list_items(tx, &ctx, status.as_deref(), None, after, 100)?;
            Ok((list, mall::categories(tx, &ctx)?))
        })
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tabs = [
        ("", st.t("全部", "All")),
        ("on_sale", st.t("在售", "On sale")),
        ("draft", st.t("草稿", "Draft")),
        ("off_sale", st.t("已下架", "Off sale")),
        ("flash", st.t("秒杀", "Flash sales")),
        ("presale", st.t("预售", "Presales")),
    ]
    .iter()
    .map(|(s, label)| Tab {
        href: if s.is_empty() {
            "/console/mall".into()
        } else {
            format!("/console/mall?status={s}")
        },
        label: label.to_string(),
        on: *s == filter,
    })
    .collect();
    let rows = list
        .items
        .iter()
        .filter(|i| match filter.as_str() {
            "flash" => i.flash_sale,
            "presale" => i.presale,
            _ => true,
        })
        .map(|i| item_row(&st, i, &cats))
        .collect();
    let page = ItemsPage {
        frame: st.frame("mall", title),
        tabs,
        operates: st.s.role.operates(),
        rows,
        next: list
            .next_after
            .map(|n| format!("/console/mall?status={filter}&after={n}")),
    };
    st.render(StatusCode::OK, &page)
}

/// The `type` an item's kind has in JSON (`physical`, `coupon`...).
pub(super) fn kind_code(k: &ItemKind) -> &'static str {
    match k {
        ItemKind::Physical => "physical",
        ItemKind::Coupon { .. } => "coupon",
        ItemKind::Virtual => "virtual",
        ItemKind::Experience => "experience",
        ItemKind::Partner { .. } => "partner",
    }
}

pub(super) fn kind_label(st: &Staff, k: &str) -> String {
    match k {
        "physical" => st.t("实物", "Goods"),
        "coupon" => st.t("优惠券", "Coupon"),
        "virtual" => st.t("虚拟权益", "Virtual"),
        "experience" => st.t("体验", "Experience"),
        "partner" => st.t("合作方", "Partner"),
        other => other,
    }
    .to_string()
}

pub(super) fn price(st: &Staff, v: &SkuView) -> String {
    let (p, c) = (v.points, v.cash_minor);
    if c > 0 {
        format!("{} + {}", num(p), money(st, c))
    } else {
        num(p)
    }
}

pub(super) fn item_row(st: &Staff, i: &ItemView, cats: &MallCategories) -> ItemRow {
    let en = st.lang == Lang::En;
    let skus = &i.skus;
    ItemRow {
        id: i.id,
        cover: i.cover(),
        name: i.name(en).to_string(),
        category: cats.label(&i.category, en).to_string(),
        flash: i.flash_sale,
        presale: i.presale,
        kind: kind_label(st, kind_code(&i.kind)),
        price: skus.first().map(|v| price(st, v)).unwrap_or_default(),
        stock: num(skus.iter().map(|s| s.stock).sum()),
        sold: num(skus.iter().map(|s| s.sold).sum()),
        status: i.status.clone(),
        status_label: state_label(st, &i.status),
    }
}

/// An item form as typed. The form edits the item's first SKU; more SKUs (added through the
/// API) are kept as they are.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ItemForm {
    #[serde(default)]
    pub(super) name_zh: String,
    #[serde(default)]
    pub(super) name_en: String,
    #[serde(default)]
    pub(super) description_zh: String,
    #[serde(default)]
    pub(super) description_en: String,
    #[serde(default)]
    pub(super) category: String,
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) template: String,
    #[serde(default)]
    pub(super) sku: String,
    #[serde(default)]
    pub(super) sku_name: String,
    #[serde(default)]
    pub(super) points: String,
    #[serde(default)]
    pub(super) cash: String,
    #[serde(default)]
    pub(super) market: String,
    #[serde(default)]
    pub(super) stock: String,
    #[serde(default)]
    pub(super) per_day: String,
    #[serde(default)]
    pub(super) lifetime: String,
    #[serde(default)]
    pub(super) sale_from: String,
    #[serde(default)]
    pub(super) sale_until: String,
    #[serde(default)]
    pub(super) flash_sale: String,
    #[serde(default)]
    pub(super) presale: String,
    #[serde(default)]
    pub(super) images: String,
    #[serde(default)]
    pub(super) publish: String,
    #[serde(default)]
    pub(super) form_key: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) fn local_input(ms: Option<i64>, tz: &jiff::tz::TimeZone) -> String {
    ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub(super) fn parse_local(s: &str, tz: &jiff::tz::TimeZone) -> Result<Option<i64>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let dt: jiff::civil::DateTime = s.parse().map_err(|_| ())?;
    dt.to_zoned(tz.clone())
        .map(|z| Some(z.timestamp().as_millisecond()))
        .map_err(|_| ())
}

impl ItemForm {
    pub(super) fn from_item(v: &ItemView, tz: &jiff::tz::TimeZone) -> ItemForm {
        let s = v.skus.first();
        let m = |x: Option<i64>| {
            x.filter(|c| *c > 0)
                .map(|c| format!("{}.{:02}", c / 100, c % 100))
                .unwrap_or_default()
        };
        let t = |x: Option<u32>| x.map(|n| n.to_string()).unwrap_or_default();
        let flag = |b: bool| if b { "1".to_string() } else { String::new() };
        ItemForm {
            name_zh: v.name_zh.clone(),
            name_en: v.name_en.clone(),
            description_zh: v.description_zh.clone(),
            description_en: v.description_en.clone(),
            category: v.category.clone(),
            kind: kind_code(&v.kind).to_string(),
            template: match &v.kind {
                ItemKind::Coupon { template } => template.clone(),
                _ => String::new(),
            },
            sku: s.map(|s| s.sku.clone()).unwrap_or_default(),
            sku_name: s.map(|s| s.name.clone()).unwrap_or_default(),
            points: s.map(|s| s.points.to_string()).unwrap_or_default(),
            cash: m(s.map(|s| s.cash_minor)),
            market: m(s.and_then(|s| s.market_price_minor)),
            stock: s.map(|s| s.stock.to_string()).unwrap_or_default(),
            per_day: t(v.limits.per_day),
            lifetime: t(v.limits.lifetime),
            sale_from: local_input(v.sale_from, tz),
            sale_until: local_input(v.sale_until, tz),
            flash_sale: flag(v.flash_sale),
            presale: flag(v.presale),
            images: v
                .images
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(","),
            ..Default::default()
        }
    }

    /// The definition the form describes over `base`, the item as it is (`None` for a new
    /// one): the form edits the first SKU; the audience, a partner's kind and further SKUs
    /// stay as they are, and so does the stock of an item that exists.
    pub(super) fn to_def(
        &self,
        base: Option<&ItemView>,
        st: &Staff,
    ) -> Result<ItemDef, (String, String)> {
        let tz = &st.ctx.tz;
        let bad = |f: &str, zh: &str, en: &str| (f.to_string(), st.t(zh, en).to_string());
        let int = |f: &str, v: &str| -> Result<Option<i64>, (String, String)> {
            let v = v.trim().replace(',', "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .map(Some)
                .map_err(|_| bad(f, "请填整数，如 100", "Give a whole number, e.g. 100"))
        };
        let kind = match self.kind.as_str() {
            "coupon" => ItemKind::Coupon {
                template: self.template.trim().to_string(),
            },
            "virtual" => ItemKind::Virtual,
            "experience" => ItemKind::Experience,
            "partner" => base.map(|b| b.kind.clone()).ok_or_else(|| {
                bad(
                    "kind",
                    "合作方商品请通过接口创建",
                    "Partner items are created through the API",
                )
            })?,
            _ => ItemKind::Physical,
        };
        let points = int("points", &self.points)?.ok_or_else(|| {
            bad(
                "points",
                "请填写兑换所需积分，如 1500",
                "Give the price in points, e.g. 1500",
            )
        })?;
        let cash = parse_money(&self.cash)
            .ok_or_else(|| bad("cash", "请填金额，如 9.90", "Give an amount such as 9.90"))?;
        let market = parse_money(&self.market)
            .ok_or_else(|| bad("market", "请填金额，如 99", "Give an amount such as 99"))?;
        let stock = match base {
            Some(b) => b.skus.first().map_or(0, |s| s.stock),
            None => int("stock", &self.stock)?.unwrap_or(0),
        };
        let mut skus = vec![Sku {
            sku: self.sku.trim().to_string(),
            name: self.sku_name.trim().to_string(),
            points,
            cash_minor: cash,
            market_price_minor: (market > 0).then_some(market),
            stock,
        }];
        let rest = base.map(|b| &b.skus[1.min(b.skus.len())..]).unwrap_or(&[]);
        skus.extend(rest.iter().map(|s| Sku {
            sku: s.sku.clone(),
            name: s.name.clone(),
            points: s.points,
            cash_minor: s.cash_minor,
            market_price_minor: s.market_price_minor,
            stock: s.stock,
        }));
        // A limit the form reads as a number but that is no count.
        let count = |f: &str, v: &str| {
            int(f, v)?
                .map(u32::try_from)
                .transpose()
                .map_err(|_| bad(f, "请填 0 或正整数", "Give 0 or a positive whole number"))
        };
        let limits = ItemLimits {
            per_day: count("per_day", &self.per_day)?,
            lifetime: count("lifetime", &self.lifetime)?,
        };
        let when = |f: &str, v: &str| {
            parse_local(v, tz).map_err(|_| {
                bad(
                    f,
                    "请填日期和时间，如 2026-12-05T10:00",
                    "Give a date and time such as 2026-12-05T10:00",
                )
            })
        };
        let sale_from = when("sale_from", &self.sale_from)?;
        let sale_until = when("sale_until", &self.sale_until)?;
        let mut images = Vec::new();
        for p in self
            .images
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            images.push(
                p.parse::<i64>()
                    .map_err(|_| bad("images", "请重新上传图片", "Upload the picture again"))?,
            );
        }
        Ok(ItemDef {
            name_zh: self.name_zh.trim().to_string(),
            name_en: self.name_en.trim().to_string(),
            description_zh: self.description_zh.trim().to_string(),
            description_en: self.description_en.trim().to_string(),
            category: self.category.trim().to_string(),
            kind,
            skus,
            audience: base.map(|b| b.audience.clone()).unwrap_or_default(),
            limits,
            sale_from,
            sale_until,
            flash_sale: !self.flash_sale.is_empty(),
            presale: !self.presale.is_empty(),
            images,
        })
    }
}

/// Where a use case's field error goes on the item form.
pub(super) fn item_field(field: &str) -> String {
    let f = match field {
        f if f.starts_with("skus[0].") => f.trim_start_matches("skus[0].").to_string(),
        f if f.starts_with("images") => "images".into(),
        "kind.template" => "template".into(),
        "limits.per_day" => "per_day".into(),
        "limits.lifetime" => "lifetime".into(),
        f => f.to_string(),
    };
    match f.as_str() {
        "cash_minor" => "cash".into(),
        "market_price_minor" => "market".into(),
        "name" => "sku_name".into(),
        "name_zh" | "name_en" | "description_zh" | "description_en" | "category" | "sku"
        | "points" | "stock" | "sale_from" | "sale_until" | "images" | "template" | "per_day"
        | "lifetime" | "kind" | "flash_sale" | "presale" => f,
        _ => "form".into(),
    }
}

/// The item form as its template (`templates/console/item_form.html`) draws it: names and
/// descriptions, the category, kind and coupon template, the SKU and its price, selling rules,
/// pictures and (on a new item) putting it on sale when saved.
pub(super) struct ItemFormView {
    pub(super) form: FormState,
    pub(super) action: String,
    pub(super) v: ItemForm,
    pub(super) creating: bool,
    /// The categories to choose from; none while the merchant has named none (the code is
    /// typed then).
    pub(super) categories: Vec<Choice>,
    pub(super) kinds: Vec<Choice>,
    pub(super) templates: Vec<Choice>,
    /// The pictures uploaded so far.
    pub(super) previews: Vec<i64>,
}

/// The item form for `f` as typed, posting to `action`, with its error next to its field.
pub(super) fn item_form(
    st: &Staff,
    action: &str,
    f: &ItemForm,
    error: Option<(String, String)>,
    creating: bool,
    choices: &Choices,
) -> ItemFormView {
    let kinds = crate::forms::choices(
        &[
            ("physical", st.t("实物（需发货）", "Goods (shipped)")),
            ("coupon", st.t("优惠券", "Coupon")),
            ("virtual", st.t("虚拟权益", "Virtual right")),
            ("experience", st.t("体验活动", "Experience")),
        ],
        &f.kind,
    );
    let templates = std::iter::once((String::new(), "–".to_string()))
        .chain(choices.templates.iter().cloned())
        .map(|(value, label)| Choice {
            on: f.template == value,
            value,
            label,
        })
        .collect();
    ItemFormView {
        form: FormState::new(st, &f.form_key, error),
        action: action.to_string(),
        v: f.clone(),
        creating,
        categories: category_choices(st, f, &choices.categories),
        kinds,
        templates,
        previews: f
            .images
            .split(',')
            .filter_map(|p| p.trim().parse::<i64>().ok())
            .collect(),
    }
}

/// The categories the merchant named, the item's chosen; an item's code that is not among
/// them stays offered, as its code; none while none are named.
fn category_choices(st: &Staff, f: &ItemForm, cats: &MallCategories) -> Vec<Choice> {
    if cats.categories.is_empty() {
        return Vec::new();
    }
    let en = st.lang == Lang::En;
    let chosen = f.category.trim();
    let mut out = Vec::new();
    if chosen.is_empty() {
        out.push(Choice {
            value: String::new(),
            label: st.t("请选择", "Choose one").into(),
            on: true,
        });
    } else if cats.get(chosen).is_none() {
        out.push(Choice {
            value: chosen.to_string(),
            label: format!("{chosen} {}", st.t("（未命名）", "(not named)")),
            on: true,
        });
    }
    out.extend(cats.categories.iter().map(|c| Choice {
        value: c.code.clone(),
        label: c.name(en).to_string(),
        on: c.code == chosen,
    }));
    out
}

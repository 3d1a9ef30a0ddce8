//! The catalog's items: the list, and the item form with its fields read and checked.

use super::*;
use crate::forms::{field_group, options, text_field, text_fields};
use jifen_app::mall::MallCategories;

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
    let tabs: String = [
        ("", st.t("全部", "All")),
        ("on_sale", st.t("在售", "On sale")),
        ("draft", st.t("草稿", "Draft")),
        ("off_sale", st.t("已下架", "Off sale")),
        ("flash", st.t("秒杀", "Flash sales")),
        ("presale", st.t("预售", "Presales")),
    ]
    .iter()
    .map(|(s, label)| {
        format!(
            "<a href=\"/console/mall{}\"{}>{label}</a>",
            if s.is_empty() {
                String::new()
            } else {
                format!("?status={s}")
            },
            if *s == filter { " class=\"on\"" } else { "" }
        )
    })
    .collect();
    let rows: String = list
        .items
        .iter()
        .filter(|i| match filter.as_str() {
            "flash" => i.flash_sale,
            "presale" => i.presale,
            _ => true,
        })
        .map(|i| item_row(&st, i, &cats))
        .collect();
    let rows = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"7\" class=\"muted\">{}</td></tr>",
            st.t("没有商品", "No items")
        )
    } else {
        rows
    };
    let more = list
        .next_after
        .map(|n| {
            format!(
                "<p class=\"pager\"><a href=\"/console/mall?status={}&after={n}\">{}</a></p>",
                esc(&filter),
                st.t("下一页", "Next page")
            )
        })
        .unwrap_or_default();
    let new = if st.s.role.operates() {
        format!(
            "<a class=\"button\" href=\"/console/mall/items/new\">{}</a>",
            st.t("新建商品", "New item")
        )
    } else {
        String::new()
    };
    let blank_th = crate::page::th_hidden(st.t("图片", "Picture"));
    let body = format!(
        "<div class=\"toolbar\"><nav class=\"tabs\">{tabs}</nav><div><a href=\"/console/mall/categories\">{}</a> · <a href=\"/console/coupon-templates\">{}</a> · <a href=\"/console/lotteries\">{}</a> {new}</div></div>\
         <table><thead><tr>{blank_th}<th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>{more}",
        st.t("商品分类", "Categories"),
        st.t("优惠券模板", "Coupon templates"),
        st.t("抽奖", "Lotteries"),
        st.t("商品", "Item"),
        st.t("类型", "Kind"),
        st.t("价格", "Price"),
        st.t("库存", "Stock"),
        st.t("已兑", "Sold"),
        st.t("状态", "Status"),
    );
    st.page(StatusCode::OK, "mall", title, &body)
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

pub(super) fn item_row(st: &Staff, i: &ItemView, cats: &MallCategories) -> String {
    let skus = &i.skus;
    let stock: i64 = skus.iter().map(|s| s.stock).sum();
    let sold: i64 = skus.iter().map(|s| s.sold).sum();
    let cover = i
        .cover()
        .map(|id| crate::centre_mall::picture(id, "", "thumb", 48, false))
        .unwrap_or_else(|| "<span class=\"thumb-none\"></span>".into());
    let mut labels = String::new();
    if i.flash_sale {
        labels.push_str(&format!(
            " <span class=\"pill\">{}</span>",
            st.t("秒杀", "Flash")
        ));
    }
    if i.presale {
        labels.push_str(&format!(
            " <span class=\"pill\">{}</span>",
            st.t("预售", "Presale")
        ));
    }
    let status = i.status.as_str();
    format!(
        "<tr><td>{cover}</td><td><a href=\"/console/mall/items/{}\">{}</a>{labels}<div class=\"muted\">{}</div></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"pill {status}\">{}</span></td></tr>",
        i.id,
        esc(i.name(st.lang == crate::page::Lang::En)),
        esc(cats.label(&i.category, st.lang == crate::page::Lang::En)),
        esc(&kind_label(st, kind_code(&i.kind))),
        skus.first().map(|v| price(st, v)).unwrap_or_default(),
        num(stock),
        num(sold),
        esc(&state_label(st, status)),
    )
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
        tz: &jiff::tz::TimeZone,
    ) -> Result<ItemDef, (String, String)> {
        let bad = |f: &str, m: &str| (f.to_string(), m.to_string());
        let int = |f: &str, v: &str| -> Result<Option<i64>, (String, String)> {
            let v = v.trim().replace(',', "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .map(Some)
                .map_err(|_| bad(f, "a whole number"))
        };
        let kind = match self.kind.as_str() {
            "coupon" => ItemKind::Coupon {
                template: self.template.trim().to_string(),
            },
            "virtual" => ItemKind::Virtual,
            "experience" => ItemKind::Experience,
            "partner" => base
                .map(|b| b.kind.clone())
                .ok_or_else(|| bad("form", "missing field `kind`"))?,
            _ => ItemKind::Physical,
        };
        let points =
            int("points", &self.points)?.ok_or_else(|| bad("points", "the price in points"))?;
        let cash = parse_money(&self.cash).ok_or_else(|| bad("cash", "an amount such as 9.90"))?;
        let market =
            parse_money(&self.market).ok_or_else(|| bad("market", "an amount such as 99"))?;
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
        // A limit the form reads as a number but that is no count: as the definition refuses it.
        let count = |n: Option<i64>| {
            n.map(|n| serde_json::from_value::<u32>(json!(n)))
                .transpose()
                .map_err(|e| bad("form", &e.to_string()))
        };
        let limits = ItemLimits {
            per_day: count(int("per_day", &self.per_day)?)?,
            lifetime: count(int("lifetime", &self.lifetime)?)?,
        };
        let when = |f: &str, v: &str| {
            parse_local(v, tz).map_err(|_| bad(f, "a date and time such as 2026-12-05T10:00"))
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
                    .map_err(|_| bad("images", "upload the picture again"))?,
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

/// The item form: names and descriptions, kind and coupon template, the SKU and its price,
/// selling rules, pictures and (on a new item) putting it on sale when saved.
pub(super) fn item_form(
    st: &Staff,
    action: &str,
    f: &ItemForm,
    error: Option<&(String, String)>,
    creating: bool,
    choices: &Choices,
) -> String {
    format!(
        "{}<form class=\"rule\" method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"form_key\" value=\"{}\">\
         {}{}{}{}{}\
         {}<div class=\"actions\"><button type=\"submit\">{}</button></div></form>\
         <script>document.getElementById('image-file').addEventListener('change',async e=>{{const f=e.target.files[0];if(!f)return;\
         const r=await fetch('/console/mall/images',{{method:'POST',headers:{{'content-type':f.type,'x-csrf':'{}'}},body:f}});const j=await r.json();\
         if(!r.ok){{alert(j.error||'upload failed');return;}}const h=document.getElementById('images');h.value=(h.value?h.value+',':'')+j.image_id;\
         const i=document.createElement('img');i.className='thumb';i.src='/media/'+j.image_id+'/thumb';i.width=i.height=48;document.getElementById('previews').appendChild(i);}});</script>",
        field_error(error, "form"),
        esc(&st.s.csrf),
        esc(&f.form_key),
        item_names(st, f, error, &choices.categories),
        item_kind(st, f, error, &choices.templates),
        item_sku(st, f, error, creating),
        item_selling(st, f, error),
        item_pictures(st, f, error),
        if creating {
            check_box(
                "publish",
                &f.publish,
                st.t("保存后立即上架", "Put on sale when saved"),
            )
        } else {
            String::new()
        },
        st.t("保存", "Save"),
        esc(&st.s.csrf),
    )
}

/// A checkbox with its label, ticked when `on` is not empty.
fn check_box(name: &str, on: &str, label: &str) -> String {
    format!(
        "<label class=\"check\"><input type=\"checkbox\" name=\"{name}\" value=\"1\"{}> {label}</label>",
        if on.is_empty() { "" } else { " checked" }
    )
}

/// The names in both languages and the category; the descriptions in both languages.
fn item_names(
    st: &Staff,
    f: &ItemForm,
    error: Option<&(String, String)>,
    cats: &MallCategories,
) -> String {
    let mut fields = text_fields(
        error,
        &[
            (
                "name_zh",
                st.t("中文名称", "Name (Chinese)"),
                &f.name_zh,
                "",
            ),
            (
                "name_en",
                st.t("英文名称", "Name (English)"),
                &f.name_en,
                "",
            ),
            (
                "description_zh",
                st.t("中文描述", "Description (Chinese)"),
                &f.description_zh,
                "",
            ),
            (
                "description_en",
                st.t("英文描述", "Description (English)"),
                &f.description_en,
                "",
            ),
        ],
    );
    fields.insert(2, category_field(st, f, error, cats));
    format!(
        "<div class=\"grid\">{}</div><div class=\"grid\">{}</div>",
        fields[..3].concat(),
        fields[3..].concat(),
    )
}

/// The category: a choice of the categories the merchant named (an item's code that is not
/// among them stays offered, as its code), or the code typed while none are named.
fn category_field(
    st: &Staff,
    f: &ItemForm,
    error: Option<&(String, String)>,
    cats: &MallCategories,
) -> String {
    let label = st.t("分类", "Category");
    let field = if cats.categories.is_empty() {
        text_field(error, "category", label, &f.category, "")
    } else {
        category_select(st, f, error, cats)
    };
    // Ends with the field's closing tag: the link to name the categories goes inside.
    format!(
        "{}<small><a href=\"/console/mall/categories\">{}</a></small></div>",
        field.strip_suffix("</div>").unwrap_or(&field),
        st.t("管理分类", "Manage categories")
    )
}

fn category_select(
    st: &Staff,
    f: &ItemForm,
    error: Option<&(String, String)>,
    cats: &MallCategories,
) -> String {
    let en = st.lang == crate::page::Lang::En;
    let chosen = f.category.trim();
    let mut opts = String::new();
    if chosen.is_empty() {
        opts.push_str(&format!(
            "<option value=\"\" selected>{}</option>",
            st.t("请选择", "Choose one")
        ));
    } else if cats.get(chosen).is_none() {
        opts.push_str(&format!(
            "<option value=\"{0}\" selected>{0} {1}</option>",
            esc(chosen),
            st.t("（未命名）", "(not named)")
        ));
    }
    for c in &cats.categories {
        opts.push_str(&format!(
            "<option value=\"{}\"{}>{}</option>",
            esc(&c.code),
            if c.code == chosen { " selected" } else { "" },
            esc(c.name(en))
        ));
    }
    format!(
        "<div class=\"field\"><label for=\"category\">{}</label><select id=\"category\" name=\"category\"{}>{opts}</select>{}</div>",
        st.t("分类", "Category"),
        if error.is_some_and(|(e, _)| e == "category") {
            " aria-invalid=\"true\""
        } else {
            ""
        },
        field_error(error, "category"),
    )
}

/// The kind of item, and the coupon template a coupon item issues (code, name).
fn item_kind(
    st: &Staff,
    f: &ItemForm,
    error: Option<&(String, String)>,
    templates: &[(String, String)],
) -> String {
    let kinds = options(
        &[
            ("physical", st.t("实物（需发货）", "Goods (shipped)")),
            ("coupon", st.t("优惠券", "Coupon")),
            ("virtual", st.t("虚拟权益", "Virtual right")),
            ("experience", st.t("体验活动", "Experience")),
        ],
        &f.kind,
    );
    let tpl_opts: String = std::iter::once((String::new(), "–".to_string()))
        .chain(templates.iter().cloned())
        .map(|(c, n)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                esc(&c),
                if f.template == c { " selected" } else { "" },
                esc(&n)
            )
        })
        .collect();
    format!(
        "<div class=\"grid\"><div class=\"field\"><label for=\"kind\">{}</label><select id=\"kind\" name=\"kind\">{kinds}</select>{}</div>\
         <div class=\"field\"><label for=\"template\">{}</label><select id=\"template\" name=\"template\">{tpl_opts}</select>{}</div></div>",
        st.t("类型", "Kind"),
        field_error(error, "kind"),
        st.t("优惠券模板（券类商品）", "Coupon template (coupon items)"),
        field_error(error, "template"),
    )
}

/// The SKU: its code and variant, points, cash, market price, and (on a new item) the opening
/// stock.
fn item_sku(st: &Staff, f: &ItemForm, error: Option<&(String, String)>, creating: bool) -> String {
    let mut fields = text_fields(
        error,
        &[
            ("sku", st.t("SKU编码", "SKU code"), &f.sku, ""),
            ("sku_name", st.t("规格名", "Variant"), &f.sku_name, ""),
            ("points", st.t("积分", "Points"), &f.points, "1,500"),
            ("cash", st.t("加价（元）", "Plus cash"), &f.cash, "0"),
            (
                "market",
                st.t("市场价（元）", "Market price"),
                &f.market,
                "99",
            ),
        ],
    );
    if creating {
        fields.push(text_field(
            error,
            "stock",
            st.t("初始库存", "Opening stock"),
            &f.stock,
            "100",
        ));
    }
    field_group(st.t("规格与价格", "SKU and price"), &fields)
}

/// Selling: when it is on sale, the limits per member, and the flash sale and presale flags.
fn item_selling(st: &Staff, f: &ItemForm, error: Option<&(String, String)>) -> String {
    let when = |name: &str, label: &str, value: &str| {
        format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><input type=\"datetime-local\" id=\"{name}\" name=\"{name}\" value=\"{}\">{}</div>",
            esc(value),
            field_error(error, name)
        )
    };
    let mut fields = vec![
        when("sale_from", st.t("开售时间", "On sale from"), &f.sale_from),
        when(
            "sale_until",
            st.t("停售时间", "On sale until"),
            &f.sale_until,
        ),
    ];
    fields.extend(text_fields(
        error,
        &[
            (
                "per_day",
                st.t("每人每日限兑", "Per member per day"),
                &f.per_day,
                "",
            ),
            (
                "lifetime",
                st.t("每人限兑", "Per member in all"),
                &f.lifetime,
                "",
            ),
        ],
    ));
    field_group(st.t("销售规则", "Selling"), &fields)
        + &check_box(
            "flash_sale",
            &f.flash_sale,
            st.t(
                "秒杀（开售时间开始，每人限一件）",
                "Flash sale (starts at the sale time, one per member)",
            ),
        )
        + &check_box(
            "presale",
            &f.presale,
            st.t(
                "预售（库存为可预订数量，到货后按顺序发货）",
                "Presale (stock is the quota; orders wait for arrival)",
            ),
        )
}

/// The pictures: those uploaded so far, and the file input that uploads another.
fn item_pictures(st: &Staff, f: &ItemForm, error: Option<&(String, String)>) -> String {
    let previews: String = f
        .images
        .split(',')
        .filter_map(|p| p.trim().parse::<i64>().ok())
        .map(|id| crate::centre_mall::picture(id, "", "thumb", 48, false))
        .collect();
    format!(
        "<h2>{}</h2><div class=\"field\"><input type=\"hidden\" id=\"images\" name=\"images\" value=\"{}\"><div id=\"previews\">{previews}</div>\
         <label for=\"image-file\">{}</label><input type=\"file\" id=\"image-file\" accept=\"image/png,image/jpeg,image/webp,image/gif\">{}</div>",
        st.t("图片", "Pictures"),
        esc(&f.images),
        st.t(
            "上传一张图片（PNG、JPEG、WebP 或 GIF）",
            "Upload a picture (PNG, JPEG, WebP or GIF)"
        ),
        field_error(error, "images"),
    )
}

//! The mall as the member sees it: the catalog and one item with its SKUs.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct MallQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) cat: Option<String>,
}

pub(super) async fn mall(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<MallQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (ctx, member, loc, now) = (c.ctx.clone(), c.member, c.loc(), web.app.now());
    let data = web
        .app
        .read(move |tx| jifen_app::mall::member_catalog(tx, &ctx, member, None, loc, now))
        .await;
    let cat = match data {
        Ok(v) => v,
        Err(e) => return c.failed(e),
    };
    let lang = c.lang;
    let en = lang == Lang::En;
    // The merchant's order, each in the page's language.
    let chosen = q
        .cat
        .filter(|k| cat.categories.iter().any(|c| c.code == *k));
    let chips = std::iter::once((None, t(lang, "全部", "All").to_string()))
        .chain(
            cat.categories
                .iter()
                .map(|c| (Some(c.code.clone()), c.name(en).to_string())),
        )
        .map(|(k, label)| Chip {
            href: match &k {
                Some(k) => format!("/m/{token}/mall?cat={k}"),
                None => format!("/m/{token}/mall"),
            },
            on: k == chosen,
            label,
        })
        .collect();
    let currency = &c.ctx.program.currency;
    let goods = cat
        .items
        .iter()
        .filter(|i| chosen.is_none() || Some(&i.item.category) == chosen.as_ref())
        .filter_map(|i| {
            let category = cat.category_name(&i.item.category, en);
            goods_card(lang, i, category, currency, &c.ctx.tz)
        })
        .collect();
    let here = match &chosen {
        Some(k) => format!("/m/{token}/mall?cat={k}"),
        None => format!("/m/{token}/mall"),
    };
    let page = MallPage {
        frame: c.frame(
            Some(Tab::Mall),
            t(lang, "积分商城", "Points mall"),
            Some(&format!("/m/{token}")),
            &here,
        ),
        points: num(cat.available_points),
        chips,
        goods,
    };
    c.page(StatusCode::OK, &page)
}

/// The mall: the member's points, the categories to choose from, the items.
#[derive(Template)]
#[template(path = "centre/mall.html")]
struct MallPage {
    frame: CentreFrame,
    points: String,
    chips: Vec<Chip>,
    goods: Vec<Goods>,
}

/// A category to choose.
pub(super) struct Chip {
    pub(super) href: String,
    pub(super) label: String,
    pub(super) on: bool,
}

/// An item's tile in the mall: its cover, labels, category, name, price from its cheapest
/// SKU ("from" when the SKUs' prices differ), whether the member can afford it, the stock.
pub(super) struct Goods {
    id: i64,
    cover: Cover,
    tags: Vec<Tag>,
    category: String,
    price: Price,
    many: bool,
    sold_out: bool,
    short: Option<String>,
    stock: String,
}

pub(super) fn goods_card(
    lang: Lang,
    i: &MemberItem,
    category: &str,
    currency: &str,
    tz: &jiff::tz::TimeZone,
) -> Option<Goods> {
    let sku = i.cheapest()?;
    let many = i
        .item
        .skus
        .iter()
        .any(|k| k.sku.points != sku.sku.points || k.sku.cash_minor != sku.sku.cash_minor);
    let stock = i.stock();
    Some(Goods {
        id: i.item.id,
        cover: Cover::new(i.item.cover(), i.item.name(lang == Lang::En), Pic::Tile),
        tags: labels(lang, i, tz),
        category: category.to_string(),
        price: Price::new(sku.sku.points, sku.sku.cash_minor, currency),
        many,
        sold_out: stock <= 0,
        short: shortfall(sku.points_short),
        stock: if lang == Lang::En {
            format!("{} left", num(stock))
        } else {
            format!("库存 {}", num(stock))
        },
    })
}

// ---- one item -------------------------------------------------------------------------------

/// An item as the member sees it, with what they have.
pub(super) struct Seen {
    pub(super) item: MemberItem,
    pub(super) balance: i64,
    /// Units of the item the member holds (orders not cancelled), in all and today.
    pub(super) bought: i64,
    pub(super) bought_today: i64,
    /// How the programme takes the cash part of points + cash orders.
    pub(super) payment: jifen_app::mall::PaymentSettings,
    /// The item's category (its code when the merchant has not named it).
    pub(super) category: jifen_app::mall::MallCategory,
}

/// Loads an item the member may see (on sale, in their audience). `None` when there is none.
pub(super) async fn seen(web: &Web, c: &Centre, raw_id: &str) -> Result<Option<Seen>, Response> {
    let Some(id) = crate::forms::positive_id(raw_id) else {
        return Ok(None);
    };
    let (ctx, member, loc, now) = (c.ctx.clone(), c.member, c.loc(), web.app.now());
    let r = web
        .app
        .read(move |tx| {
            let cat = jifen_app::mall::member_catalog(tx, &ctx, member, None, loc, now)?;
            let Some(item) = cat.item(id).cloned() else {
                return Ok(None);
            };
            let (bought, bought_today) =
                jifen_app::member_centre::units_bought(tx, &ctx, member, id, now)?;
            let payment = jifen_app::mall::payment_settings(tx, &ctx)?;
            let code = &item.item.category;
            let category = jifen_app::mall::MallCategory {
                code: code.clone(),
                name_zh: cat.category_name(code, false).to_string(),
                name_en: cat.category_name(code, true).to_string(),
            };
            Ok(Some(Seen {
                item,
                balance: cat.available_points,
                bought,
                bought_today,
                payment,
                category,
            }))
        })
        .await;
    r.map_err(|e| c.failed(e))
}

pub(super) fn item_missing(c: &Centre) -> Response {
    c.not_found(
        t(c.lang, "商品不存在或已下架", "This item is not available"),
        &format!("/m/{}/mall", c.token),
        t(c.lang, "去商城逛逛", "Back to the mall"),
    )
}

/// The item page's and the confirm page's query: the SKU and quantity chosen.
#[derive(Deserialize, Default)]
pub(super) struct ItemQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) sku: Option<String>,
    #[serde(default)]
    pub(super) qty: Option<String>,
}

pub(super) async fn item(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Query(q): Query<ItemQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let s = match seen(&web, &c, &raw).await {
        Ok(Some(s)) => s,
        Ok(None) => return item_missing(&c),
        Err(r) => return r,
    };
    let known = q.sku.as_deref().is_none_or(|k| s.item.sku(k).is_some());
    let (status, error) = if known {
        (StatusCode::OK, None)
    } else {
        (
            StatusCode::BAD_REQUEST,
            Some(t(
                c.lang,
                "没有这个规格，请重新选择",
                "No such option; choose again",
            )),
        )
    };
    let qty = q
        .qty
        .as_deref()
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1);
    c.page(status, &item_page(&c, &s, q.sku.as_deref(), qty, error))
}

/// The most one member may take now: stock, the per-order maximum and their limits.
pub(super) fn max_qty(s: &Seen, sku: Option<&MemberSku>) -> i64 {
    let mut m = sku
        .map_or(0, |k| k.sku.stock)
        .min(jifen_domain::mall::QUANTITY_MAX);
    if let Some(l) = s.item.item.lifetime_limit() {
        m = m.min(l - s.bought);
    }
    if let Some(l) = s.item.item.per_day_limit() {
        m = m.min(l - s.bought_today);
    }
    m.max(0)
}

pub(super) fn limits_note(lang: Lang, s: &Seen) -> String {
    let mut parts = Vec::new();
    if let Some(l) = s.item.item.lifetime_limit() {
        parts.push(if lang == Lang::En {
            format!("{l} per member (you have {})", s.bought)
        } else {
            format!("每人限兑 {l} 件（已兑 {} 件）", s.bought)
        });
    }
    if let Some(l) = s.item.item.per_day_limit() {
        parts.push(if lang == Lang::En {
            format!("{l} a day (today {})", s.bought_today)
        } else {
            format!("每天限兑 {l} 件（今日已兑 {} 件）", s.bought_today)
        });
    }
    parts.join(" · ")
}

/// Step 1, an item: the steps, the error, the item's card (cover, more pictures, labels,
/// name, price and market price of the chosen SKU, what kind of item it is, the stock and the
/// limits), the form to choose the SKU and quantity, and its description.
#[derive(Template)]
#[template(path = "centre/item.html")]
pub(super) struct ItemPage {
    frame: CentreFrame,
    error: Option<String>,
    id: i64,
    cover: Cover,
    gallery: Vec<i64>,
    tags: Vec<Tag>,
    price: Price,
    market: Option<String>,
    category: String,
    kind: &'static str,
    stock: String,
    limits: String,
    /// The SKUs to choose from (those out of stock disabled), or the only one, hidden.
    skus: Vec<SkuChoice>,
    chosen: String,
    qty: i64,
    max: i64,
    balance: String,
    short: Option<String>,
    spend: Option<String>,
    button: String,
    disabled: bool,
    description: Vec<String>,
}

pub(super) struct SkuChoice {
    code: String,
    label: String,
    points: String,
    out: bool,
}

pub(super) fn item_page(
    c: &Centre,
    s: &Seen,
    want: Option<&str>,
    qty: i64,
    error: Option<&str>,
) -> ItemPage {
    let lang = c.lang;
    let token = &c.token;
    let i = &s.item;
    let id = i.item.id;
    let skus = &i.item.skus;
    // The SKU shown: the one asked for, else the first in stock, else the first.
    let chosen = want
        .and_then(|k| i.sku(k))
        .or_else(|| skus.iter().find(|k| k.sku.stock > 0))
        .or_else(|| skus.first());
    let max = max_qty(s, chosen);
    let qty = qty.clamp(1, max.max(1));
    let currency = &c.ctx.program.currency;
    let sku = chosen.map(|k| &k.sku);
    let stock = sku.map_or(0, |k| k.stock);
    let points = sku.map_or(0, |k| k.points);
    let short = (points * qty - s.balance).max(0);
    let (button, disabled) = buy_button(c, i, chosen, max);
    ItemPage {
        frame: c.frame(
            Some(Tab::Mall),
            t(lang, "商品详情", "Item"),
            Some(&format!("/m/{token}/mall")),
            &format!("/m/{token}/mall/{id}"),
        ),
        error: error.map(str::to_string),
        id,
        cover: Cover::new(i.item.cover(), i.item.name(lang == Lang::En), Pic::Hero),
        gallery: i.item.images.clone(),
        tags: labels(lang, i, &c.ctx.tz),
        price: Price::new(points, sku.map_or(0, |k| k.cash_minor), currency),
        market: sku
            .and_then(|k| k.market_price_minor)
            .map(|m| jifen_app::mall::money_text(currency, m)),
        category: s.category.name(lang == Lang::En).to_string(),
        kind: kind_note(lang, &i.item.kind),
        stock: match (stock > 0, lang) {
            (false, _) => t(lang, "已兑完", "Sold out").to_string(),
            (true, Lang::En) => format!("{} in stock", num(stock)),
            (true, Lang::Zh) => format!("库存 {}", num(stock)),
        },
        limits: limits_note(lang, s),
        skus: skus
            .iter()
            .map(|k| SkuChoice {
                code: k.sku.sku.clone(),
                label: k.sku.label().to_string(),
                points: num(k.sku.points),
                out: k.sku.stock <= 0,
            })
            .collect(),
        chosen: sku.map_or(String::new(), |k| k.sku.clone()),
        qty,
        max: max.max(1),
        balance: num(s.balance),
        short: shortfall(short),
        spend: chosen
            .and_then(|k| k.spend_message.clone())
            .filter(|_| qty == 1 && short > 0),
        button,
        disabled,
        description: i
            .item
            .description(lang == Lang::En)
            .split('\n')
            .filter(|p| !p.trim().is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// What kind of item it is and how it reaches the member.
fn kind_note(lang: Lang, kind: &ItemKind) -> &'static str {
    match kind {
        ItemKind::Physical => t(lang, "实物商品 · 包邮到家", "Shipped to your address"),
        ItemKind::Coupon { .. } => t(lang, "优惠券 · 兑换后立即到账", "Coupon · issued at once"),
        ItemKind::Experience => t(
            lang,
            "体验活动 · 商家将与你联系",
            "Experience · the shop contacts you",
        ),
        _ => t(lang, "虚拟权益 · 由商家发放", "Delivered by the shop"),
    }
}

/// The button's words, and whether it is disabled: sold out, not on sale yet (when it starts),
/// the sale ended, the member's limit reached (`max` of none), or redeem.
fn buy_button(c: &Centre, i: &MemberItem, chosen: Option<&MemberSku>, max: i64) -> (String, bool) {
    let lang = c.lang;
    let stock = chosen.map_or(0, |k| k.sku.stock);
    if stock <= 0 {
        (t(lang, "已兑完", "Sold out").to_string(), true)
    } else if i.not_on_sale_yet() {
        (
            format!(
                "{} {}",
                fmt_time(i.item.sale_from.unwrap_or(0), &c.ctx.tz),
                t(lang, "开抢", "starts")
            ),
            true,
        )
    } else if i.sale_ended() {
        (
            t(lang, "活动已结束", "The sale has ended").to_string(),
            true,
        )
    } else if max <= 0 {
        (t(lang, "已达兑换上限", "Limit reached").to_string(), true)
    } else {
        (t(lang, "立即兑换", "Redeem").to_string(), false)
    }
}

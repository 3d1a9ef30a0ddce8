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
    let items = &cat.items;
    // The merchant's order, each in the page's language.
    let chosen = q
        .cat
        .filter(|k| cat.categories.iter().any(|c| c.code == *k));
    let chips: String = std::iter::once((None, t(lang, "全部", "All").to_string()))
        .chain(
            cat.categories
                .iter()
                .map(|c| (Some(c.code.clone()), c.name(en).to_string())),
        )
        .map(|(k, label)| {
            let href = match &k {
                Some(k) => format!("/m/{token}/mall?cat={}", esc(k)),
                None => format!("/m/{token}/mall"),
            };
            format!(
                "<a class=\"chip{}\" href=\"{href}\">{}</a>",
                if k == chosen { " on" } else { "" },
                esc(&label)
            )
        })
        .collect();
    let currency = c.ctx.program.currency.clone();
    let cards: String = items
        .iter()
        .filter(|i| chosen.is_none() || Some(&i.item.category) == chosen.as_ref())
        .map(|i| {
            let category = cat.category_name(&i.item.category, en);
            goods_card(lang, &token, i, category, &currency, &c.ctx.tz)
        })
        .collect();
    let grid = if cards.is_empty() {
        format!(
            "<div class=\"card empty\"><div class=\"big\">{}</div><p class=\"muted\">{}</p></div>",
            icon(ICON_MALL),
            t(lang, "商城即将上新，敬请期待", "New items are coming soon")
        )
    } else {
        format!("<div class=\"goods-grid\">{cards}</div>")
    };
    let body = format!(
        "<div class=\"strip\"><span>{}</span><b>{}</b><a href=\"/m/{token}/orders\">{} ›</a></div>\
         <div class=\"chips\">{chips}</div>{grid}",
        t(lang, "我的积分", "My points"),
        num(cat.available_points),
        t(lang, "我的订单", "My orders"),
    );
    let here = match &chosen {
        Some(k) => format!("/m/{token}/mall?cat={k}"),
        None => format!("/m/{token}/mall"),
    };
    c.page(
        StatusCode::OK,
        shell(
            &c,
            Some(Tab::Mall),
            t(lang, "积分商城", "Points mall"),
            Some(&format!("/m/{token}")),
            &here,
            &body,
        ),
    )
}

pub(super) fn goods_card(
    lang: Lang,
    token: &str,
    i: &MemberItem,
    category: &str,
    currency: &str,
    tz: &jiff::tz::TimeZone,
) -> String {
    let name = i.item.name(lang == Lang::En);
    let Some(sku) = i.cheapest() else {
        return String::new();
    };
    // "From" only when the SKUs' prices differ.
    let many = i
        .item
        .skus
        .iter()
        .any(|k| k.sku.points != sku.sku.points || k.sku.cash_minor != sku.sku.cash_minor);
    let stock = i.stock();
    let sold_out = stock <= 0;
    let stock_line = if sold_out {
        format!(
            "<span class=\"out\">{}</span>",
            t(lang, "已兑完", "Sold out")
        )
    } else if lang == Lang::En {
        format!("{} left", num(stock))
    } else {
        format!("库存 {}", num(stock))
    };
    format!(
        "<a class=\"goods{}\" href=\"/m/{token}/mall/{}\"><div class=\"pic\">{}<div class=\"tags\">{}</div>{}</div>\
         <div class=\"gc\">{}</div><div class=\"gn\">{}</div><div class=\"gp\">{}{}</div><div class=\"gs\">{}<span class=\"stock\">{stock_line}</span></div></a>",
        if sold_out { " sold" } else { "" },
        i.item.id,
        cover(i.item.cover(), name, Pic::Tile),
        labels(lang, i, tz),
        if sold_out {
            format!(
                "<div class=\"veil\">{}</div>",
                t(lang, "已兑完", "Sold out")
            )
        } else {
            String::new()
        },
        esc(category),
        esc(name),
        price(lang, sku.sku.points, sku.sku.cash_minor, currency),
        if many {
            format!("<small>{}</small>", t(lang, " 起", " up"))
        } else {
            String::new()
        },
        if sold_out {
            String::new()
        } else {
            short_note(lang, sku.points_short)
        },
    )
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
    c.page(status, item_page(&c, &s, q.sku.as_deref(), qty, error))
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

/// Step 1, an item: the steps, the error, the item's card, the form to choose the SKU and
/// quantity, and its description.
pub(super) fn item_page(
    c: &Centre,
    s: &Seen,
    want: Option<&str>,
    qty: i64,
    error: Option<&str>,
) -> String {
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
    let error = error
        .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "{}{error}{}{}{}\
         <script>document.querySelectorAll('.qty button').forEach(function(b){{b.onclick=function(){{var i=document.getElementById('qty');var v=(parseInt(i.value,10)||1)+parseInt(b.dataset.d,10);i.value=Math.max(1,Math.min(parseInt(i.max,10)||1,v));}};}});</script>",
        steps(lang, 1),
        item_hero(c, s, chosen),
        buy_form(c, s, skus, chosen, qty, max),
        description_card(lang, i),
    );
    shell(
        c,
        Some(Tab::Mall),
        t(lang, "商品详情", "Item"),
        Some(&format!("/m/{token}/mall")),
        &format!("/m/{token}/mall/{id}"),
        &body,
    )
}

/// The item's card: cover, more pictures, labels, name, price (and market price) of the chosen
/// SKU, what kind of item it is, the stock and the limits.
fn item_hero(c: &Centre, s: &Seen, chosen: Option<&MemberSku>) -> String {
    let lang = c.lang;
    let i = &s.item;
    let name = i.item.name(lang == Lang::En);
    let currency = &c.ctx.program.currency;
    let chosen = chosen.map(|k| &k.sku);
    let points = chosen.map_or(0, |k| k.points);
    let cash = chosen.map_or(0, |k| k.cash_minor);
    let market = chosen
        .and_then(|k| k.market_price_minor)
        .map(|m| {
            format!(
                "<span class=\"market\">{}<s>{}</s></span>",
                t(lang, "市场价", "Market price"),
                money(m, currency)
            )
        })
        .unwrap_or_default();
    let stock = chosen.map_or(0, |k| k.stock);
    let limits = limits_note(lang, s);
    format!(
        "<div class=\"card hero-item\">{}{}<div class=\"tags row\">{}</div><h2 class=\"title\">{}</h2>\
         <div class=\"price\">{}</div>{market}<div class=\"facts\"><span>{}</span><span>{}</span><span>{}</span></div>{}</div>",
        cover(i.item.cover(), name, Pic::Hero),
        gallery(&i.item.images),
        labels(lang, i, &c.ctx.tz),
        esc(name),
        price(lang, points, cash, currency),
        esc(s.category.name(lang == Lang::En)),
        kind_note(lang, &i.item.kind),
        if stock > 0 {
            if lang == Lang::En {
                format!("{} in stock", num(stock))
            } else {
                format!("库存 {}", num(stock))
            }
        } else {
            t(lang, "已兑完", "Sold out").to_string()
        },
        if limits.is_empty() {
            String::new()
        } else {
            format!("<div class=\"muted limits\">{}</div>", esc(&limits))
        },
    )
}

/// The item's pictures after the cover, when it has more than one.
fn gallery(images: &[i64]) -> String {
    if images.len() <= 1 {
        return String::new();
    }
    let thumbs: String = images
        .iter()
        .map(|&id| picture(id, "", "", 56, false))
        .collect();
    format!("<div class=\"thumbs\">{thumbs}</div>")
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

/// The form to go on: the SKU choice, the quantity (up to `max`), the member's points with what
/// is missing, and the button.
fn buy_form(
    c: &Centre,
    s: &Seen,
    skus: &[MemberSku],
    chosen: Option<&MemberSku>,
    qty: i64,
    max: i64,
) -> String {
    let lang = c.lang;
    let token = &c.token;
    let id = s.item.item.id;
    let points = chosen.map_or(0, |k| k.sku.points);
    let short = (points * qty - s.balance).max(0);
    let (button, disabled) = buy_button(c, &s.item, chosen, max);
    format!(
        "<form class=\"card buy\" method=\"get\" action=\"/m/{token}/mall/{id}/confirm\">{}\
         <div class=\"field\"><label class=\"lbl\" for=\"qty\">{}</label><div class=\"qty\"><button type=\"button\" data-d=\"-1\" aria-label=\"{}\">−</button>\
         <input type=\"number\" name=\"qty\" id=\"qty\" value=\"{qty}\" min=\"1\" max=\"{}\" inputmode=\"numeric\"><button type=\"button\" data-d=\"1\" aria-label=\"{}\">+</button></div></div>\
         <div class=\"have\">{} <b>{}</b> · {}</div>\
         <button class=\"btn\" type=\"submit\"{}>{}</button></form>",
        sku_options(lang, skus, chosen),
        t(lang, "数量", "Quantity"),
        t(lang, "减少一件", "One fewer"),
        max.max(1),
        t(lang, "增加一件", "One more"),
        t(lang, "我的积分", "My points"),
        num(s.balance),
        short_note(lang, short)
            + &chosen
                .and_then(|k| k.spend_message.as_deref())
                .filter(|_| qty == 1 && short > 0)
                .map(|m| format!("<span class=\"spend\">{}</span>", esc(m)))
                .unwrap_or_default(),
        if disabled { " disabled" } else { "" },
        esc(&button),
    )
}

/// The SKUs to choose from (those out of stock disabled), or the only one, hidden.
fn sku_options(lang: Lang, skus: &[MemberSku], chosen: Option<&MemberSku>) -> String {
    let chosen = chosen.map_or("", |k| k.sku.sku.as_str());
    if skus.len() <= 1 {
        return format!(
            "<input type=\"hidden\" name=\"sku\" value=\"{}\">",
            esc(chosen)
        );
    }
    let opts: String = skus
        .iter()
        .map(|k| {
            let k = &k.sku;
            let code = k.sku.as_str();
            let stock = k.stock;
            let label = k.label();
            format!(
                "<label class=\"opt{}\"><input type=\"radio\" name=\"sku\" value=\"{}\"{}{}><span>{}<small>{} {}</small></span></label>",
                if stock <= 0 { " off" } else { "" },
                esc(code),
                if chosen == code {
                    " checked"
                } else {
                    ""
                },
                if stock <= 0 { " disabled" } else { "" },
                esc(label),
                num(k.points),
                t(lang, "积分", "pts"),
            )
        })
        .collect();
    format!(
        "<div class=\"field\"><div class=\"lbl\">{}</div><div class=\"opts\">{opts}</div></div>",
        t(lang, "规格", "Option")
    )
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

/// The description card, a paragraph per line; nothing when there is no description.
fn description_card(lang: Lang, i: &MemberItem) -> String {
    let description: String = i
        .item
        .description(lang == Lang::En)
        .split('\n')
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", esc(p)))
        .collect();
    if description.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=\"card\"><h2>{}</h2><div class=\"desc\">{description}</div></div>",
            t(lang, "商品详情", "Details")
        )
    }
}

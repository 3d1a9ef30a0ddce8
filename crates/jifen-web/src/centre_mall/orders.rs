//! The member's orders: the list, one order with its logistics, cancelling.

use super::*;
use jifen_app::mall::{OrderEvent, OrderView};

pub(super) fn state_word(lang: Lang, state: &str, ships: bool) -> (&'static str, &'static str) {
    use jifen_domain::words::{self, PAID_NOT_SHIPPED, Tone};
    let en = lang == Lang::En;
    match words::find(words::ORDER_STATES, state) {
        Some(w) if w.word.code == "paid" && !ships => (PAID_NOT_SHIPPED.text(en), w.tone.class()),
        Some(w) => (w.word.text(en), w.tone.class()),
        None => (t(lang, "处理中", "In progress"), Tone::Wait.class()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct OrdersQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) before: Option<String>,
}

/// Orders per page of the member's list.
pub(super) const ORDERS_PAGE: i64 = 20;

pub(super) async fn orders(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<OrdersQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0);
    let (ctx, member) = (c.ctx.clone(), c.member);
    let data = web
        .app
        .read(move |tx| {
            let list =
                jifen_app::mall::list_orders(tx, &ctx, Some(member), None, before, ORDERS_PAGE)?;
            let mut covers = std::collections::HashMap::new();
            for o in &list.items {
                if let std::collections::hash_map::Entry::Vacant(e) = covers.entry(o.item_id) {
                    let images = jifen_app::member_centre::item_images(tx, &ctx, o.item_id)?;
                    e.insert(images.and_then(|i| i.first().copied()));
                }
            }
            Ok((list, covers))
        })
        .await;
    let (list, covers) = match data {
        Ok(d) => d,
        Err(e) => return c.failed(e),
    };
    let lang = c.lang;
    let currency = &c.ctx.program.currency;
    let cards: String = list
        .items
        .iter()
        .map(|o| {
            let id = o.order_id;
            let (word, class) = state_word(lang, &o.state, o.ships());
            let name = o.item_name(lang == Lang::En);
            let cover_id = covers.get(&o.item_id).copied().flatten();
            let track = match (o.carrier.as_deref(), o.tracking_no.as_deref()) {
                (Some(cr), Some(no)) => format!(
                    "<div class=\"track\">{} {} {}</div>",
                    icon(ICON_TRUCK),
                    esc(cr),
                    esc(no)
                ),
                _ => String::new(),
            };
            format!(
                "<a class=\"card order\" href=\"/m/{token}/orders/{id}\"><div class=\"oh\"><span class=\"muted\">{} · {} {}</span><span class=\"st {class}\">{word}</span></div>\
                 <div class=\"ob\">{}<div class=\"li\"><div class=\"gn\">{}</div><div class=\"gp\">{}<span class=\"x\">× {}</span></div>{track}</div></div></a>",
                fmt_time(o.created_at, &c.ctx.tz),
                t(lang, "订单", "Order"),
                id,
                cover(cover_id, name, "thumb"),
                esc(name),
                price(lang, o.points, o.cash_minor, currency),
                o.quantity,
            )
        })
        .collect();
    let more = list
        .next_before
        .map(|b| {
            format!(
                "<a class=\"btn ghost\" href=\"/m/{token}/orders?before={b}\">{}</a>",
                t(lang, "更多订单", "More orders")
            )
        })
        .unwrap_or_default();
    let body = if cards.is_empty() {
        format!(
            "<div class=\"card empty\"><div class=\"big\">{}</div><p class=\"muted\">{}</p><a class=\"btn\" href=\"/m/{token}/mall\">{}</a></div>",
            icon(ICON_ORDERS),
            t(lang, "还没有兑换记录", "No orders yet"),
            t(lang, "去商城逛逛", "Visit the mall")
        )
    } else {
        format!("{cards}{more}")
    };
    c.page(
        StatusCode::OK,
        shell(
            &c,
            Some(Tab::Orders),
            t(lang, "我的订单", "My orders"),
            Some(&format!("/m/{token}")),
            &format!("/m/{token}/orders"),
            &body,
        ),
    )
}

#[derive(Deserialize, Default)]
pub(super) struct OrderQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) placed: Option<String>,
    #[serde(default)]
    pub(super) done: Option<String>,
}

pub(super) async fn order(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Query(q): Query<OrderQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let missing = || {
        c.not_found(
            t(lang, "找不到这个订单", "That order was not found"),
            &format!("/m/{token}/orders"),
            t(lang, "我的订单", "My orders"),
        )
    };
    let Some(id) = crate::forms::positive_id(&raw) else {
        return missing();
    };
    let (o, cover_id, balance) = match read_order(&web, &c, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return missing(),
        Err(e) => return c.failed(e),
    };
    let body = order_body(&c, id, &o, cover_id, balance, &q);
    c.page(
        StatusCode::OK,
        shell(
            &c,
            Some(Tab::Orders),
            t(lang, "订单详情", "Order"),
            Some(&format!("/m/{token}/orders")),
            &format!("/m/{token}/orders/{id}"),
            &body,
        ),
    )
}

/// The member's order `id` with its item's cover picture and the member's available points; none
/// when there is no such order or it is another member's.
async fn read_order(
    web: &Web,
    c: &Centre,
    id: i64,
) -> Result<Option<(OrderView, Option<i64>, i64)>, AppError> {
    let (ctx, member, now) = (c.ctx.clone(), c.member, web.app.now());
    web.app
        .read(move |tx| {
            let o = match jifen_app::mall::get_order(tx, &ctx, id) {
                Ok(o) => o,
                Err(AppError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            // Another member's order reads as unknown.
            if o.member_id != member.0 {
                return Ok(None);
            }
            let images = jifen_app::member_centre::item_images(tx, &ctx, o.item_id)?;
            let cover_id = images.and_then(|i| i.first().copied());
            let b = jifen_app::views::balance(tx, &ctx, member, PointType::Points, now, 0)?;
            Ok(Some((o, cover_id, b.available)))
        })
        .await
}

/// The order page's body: the notices, the head with its facts, shipping, coupons, address,
/// the progress, cancelling, and the ways on.
fn order_body(
    c: &Centre,
    id: i64,
    o: &OrderView,
    cover_id: Option<i64>,
    balance: i64,
    q: &OrderQuery,
) -> String {
    let (lang, token, tz) = (c.lang, &c.token, &c.ctx.tz);
    let currency = &c.ctx.program.currency;
    let state = o.state.as_str();
    let ships = o.ships();
    let (word, class) = state_word(lang, state, ships);
    let name = o.item_name(lang == Lang::En);
    let cash = o.cash_minor;
    let history = &o.history;
    let placed = if q.placed.is_some() {
        placed_notice(c, o, balance)
    } else {
        String::new()
    };
    let facts = order_facts(c, id, o);
    let logistics = logistics_card(lang, tz, o, history);
    let address = address_card(lang, o);
    let coupons = issued_coupons_card(lang, token, o);
    let timeline = order_timeline(lang, tz, history, ships);
    let cancel = cancel_form(lang, token, id, state, ships);
    let placed = match q.done.as_deref() {
        Some("cancelled") => format!(
            "<div class=\"notice\" role=\"status\">{}</div>{placed}",
            t(
                lang,
                "订单已取消，积分已退回。",
                "The order is cancelled; the points are back."
            )
        ),
        _ => placed,
    };
    format!(
        "{placed}<div class=\"card order-head\"><div class=\"oh\"><span class=\"st {class} big\">{word}</span></div>\
         <div class=\"ob\">{}<div class=\"li\"><div class=\"gn\">{}</div><div class=\"gp\">{}<span class=\"x\">× {}</span></div></div></div>\
         <div class=\"kv\">{facts}</div></div>{logistics}{coupons}{address}\
         <div class=\"card\"><h2>{}</h2><ul class=\"timeline\">{timeline}</ul></div>\
         {cancel}<div class=\"actions\"><a class=\"btn ghost\" href=\"/m/{token}/appeal?subject=order&amp;id={id}\">{}</a><a class=\"btn\" href=\"/m/{token}/mall\">{}</a></div>",
        cover(cover_id, name, "thumb"),
        esc(name),
        price(
            lang,
            o.points / o.quantity.max(1),
            cash / o.quantity.max(1),
            currency
        ),
        o.quantity,
        t(lang, "订单进度", "Progress"),
        t(lang, "申诉", "Appeal"),
        t(lang, "继续逛逛", "Keep shopping"),
    )
}

/// The card right after placing an order: paid with points (and what is left), or waiting for
/// the cash part at the shop (and until when), with the steps.
fn placed_notice(c: &Centre, o: &OrderView, balance: i64) -> String {
    let (lang, tz, currency) = (c.lang, &c.ctx.tz, &c.ctx.program.currency);
    let state = o.state.as_str();
    let (points, cash) = (o.points, o.cash_minor);
    let msg = if state == "pending_payment" {
        let deadline = o.pay_deadline.map(|d| fmt_time(d, tz)).unwrap_or_default();
        if lang == Lang::En {
            format!(
                "Order placed. {} points are held; pay the cash part, {}, at the shop before {deadline}.",
                num(points),
                money(cash, currency)
            )
        } else {
            format!(
                "订单已提交，已冻结 {} 积分。现金部分 {} 请于 {deadline} 前在门店支付。",
                num(points),
                money(cash, currency)
            )
        }
    } else if lang == Lang::En {
        format!("{} points paid; {} points left.", num(points), num(balance))
    } else {
        format!("已支付 {} 积分，剩余 {} 积分。", num(points), num(balance))
    };
    format!(
        "{}<div class=\"card success\" role=\"status\"><div class=\"tick\">{}</div><h2>{}</h2><p>{}</p></div>",
        steps(lang, if state == "pending_payment" { 3 } else { 4 }),
        icon(if state == "pending_payment" {
            ICON_CLOCK
        } else {
            ICON_CHECK
        }),
        if state == "pending_payment" {
            t(lang, "等待到店支付", "Awaiting payment at the shop")
        } else {
            t(lang, "兑换成功", "Redeemed")
        },
        esc(&msg)
    )
}

/// Pairs of a label and a value, as the rows of a key-value list.
fn kv_rows(rows: &[(&str, String)]) -> String {
    rows.iter()
        .map(|(k, v)| format!("<div><span>{k}</span><b>{}</b></div>", esc(v)))
        .collect()
}

/// The order's facts: number, when placed, points, cash, the payment deadline while it waits,
/// and points refunded.
fn order_facts(c: &Centre, id: i64, o: &OrderView) -> String {
    let (lang, tz, currency) = (c.lang, &c.ctx.tz, &c.ctx.program.currency);
    let state = o.state.as_str();
    let (points, cash) = (o.points, o.cash_minor);
    let mut rows = vec![
        (t(lang, "订单号", "Order no."), id.to_string()),
        (t(lang, "下单时间", "Placed"), fmt_time(o.created_at, tz)),
        (
            t(lang, "积分", "Points"),
            format!("{} {}", num(points), t(lang, "积分", "pts")),
        ),
    ];
    if cash > 0 {
        rows.push((t(lang, "现金", "Cash"), money(cash, currency)));
    }
    if state == "pending_payment"
        && let Some(d) = o.pay_deadline
    {
        rows.push((t(lang, "支付截止", "Pay by"), fmt_time(d, tz)));
    }
    let refunded = o.refunded_points;
    if refunded > 0 {
        rows.push((t(lang, "已退积分", "Points refunded"), num(refunded)));
    }
    kv_rows(&rows)
}

/// The shipping card: carrier, tracking number, when shipped and delivered; or, for goods not
/// shipped yet, that the shop is preparing them.
fn logistics_card(
    lang: Lang,
    tz: &jiff::tz::TimeZone,
    o: &OrderView,
    history: &[OrderEvent],
) -> String {
    let state = o.state.as_str();
    let ships = o.ships();
    let at_of = |s: &str| history.iter().rev().find(|h| h.state == s).map(|h| h.at);
    match (o.carrier.as_deref(), o.tracking_no.as_deref()) {
        (Some(cr), Some(no)) => {
            let mut l = vec![
                (t(lang, "快递公司", "Carrier"), cr.to_string()),
                (t(lang, "运单号", "Tracking no."), no.to_string()),
            ];
            if let Some(at) = at_of("shipped") {
                l.push((t(lang, "发货时间", "Shipped"), fmt_time(at, tz)));
            }
            if let Some(at) = at_of("delivered") {
                l.push((t(lang, "签收时间", "Delivered"), fmt_time(at, tz)));
            }
            format!(
                "<div class=\"card logistics\"><h2>{} {}</h2><div class=\"kv\">{}</div></div>",
                icon(ICON_TRUCK),
                t(lang, "物流信息", "Shipping"),
                kv_rows(&l)
            )
        }
        _ if ships && matches!(state, "paid" | "awaiting_stock") => format!(
            "<div class=\"card logistics\"><h2>{} {}</h2><p class=\"muted\">{}</p></div>",
            icon(ICON_TRUCK),
            t(lang, "物流信息", "Shipping"),
            t(
                lang,
                "商家正在备货，发货后这里会显示运单号",
                "The shop is preparing it; the tracking number appears here once shipped"
            )
        ),
        _ => String::new(),
    }
}

/// The shipping address card, when the order has one.
fn address_card(lang: Lang, o: &OrderView) -> String {
    o.address
        .as_ref()
        .map(|a| {
            format!(
                "<div class=\"card\"><h2>{}</h2><div><b>{}</b> {}</div><div class=\"muted\">{} {} {}</div></div>",
                t(lang, "收货地址", "Shipping address"),
                esc(&a.name),
                esc(&a.phone),
                esc(&a.city),
                esc(&a.line),
                esc(&a.postcode),
            )
        })
        .unwrap_or_default()
}

/// The card of coupons the order issued, with a link to the member's coupons.
fn issued_coupons_card(lang: Lang, token: &str, o: &OrderView) -> String {
    o.coupons
        .as_ref()
        .filter(|a| !a.is_empty())
        .map(|a| {
            let codes: String = a
                .iter()
                .map(|c| format!("<code>{}</code>", esc(c)))
                .collect();
            format!(
                "<div class=\"card\"><h2>{}</h2><div class=\"codes\">{codes}</div><a href=\"/m/{token}/coupons\">{} ›</a></div>",
                t(lang, "已发放优惠券", "Coupons issued"),
                t(lang, "查看我的券", "See my coupons")
            )
        })
        .unwrap_or_default()
}

/// The order's progress, latest first: each state it reached and when.
fn order_timeline(
    lang: Lang,
    tz: &jiff::tz::TimeZone,
    history: &[OrderEvent],
    ships: bool,
) -> String {
    history
        .iter()
        .rev()
        .map(|h| {
            let (w, _) = state_word(lang, &h.state, ships);
            format!(
                "<li><b>{w}</b><span class=\"muted\">{}</span></li>",
                fmt_time(h.at, tz)
            )
        })
        .collect()
}

/// The cancel button, for an order that has not shipped: the points (and stock) come back.
fn cancel_form(lang: Lang, token: &str, id: i64, state: &str, ships: bool) -> String {
    if matches!(state, "pending_payment" | "paid" | "awaiting_stock") && (ships || state != "paid")
    {
        format!(
            "<form method=\"post\" action=\"/m/{token}/orders/{id}/cancel\" class=\"cancel\" onsubmit=\"return confirm('{}')\"><button class=\"btn ghost\">{}</button></form>",
            t(
                lang,
                "确定取消订单？积分将退回。",
                "Cancel the order? The points come back."
            ),
            t(lang, "取消订单", "Cancel the order"),
        )
    } else {
        String::new()
    }
}

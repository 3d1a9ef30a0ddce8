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
                cover(cover_id, name, Pic::Line),
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
    c.page_str(
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
    /// `pay`: back from the merchant's payment page.
    #[serde(default)]
    pub(super) from: Option<String>,
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
    let back = format!("{}/m/{token}/orders/{id}?from=pay", public_base(&headers));
    let seen = match read_order(&web, &c, id, back).await {
        Ok(Some(d)) => d,
        Ok(None) => return missing(),
        Err(e) => return c.failed(e),
    };
    let body = order_body(&c, id, &seen, &q);
    c.page_str(
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

/// One of the member's orders as the order page shows it.
struct SeenOrder {
    o: OrderView,
    cover_id: Option<i64>,
    /// The member's available points.
    balance: i64,
    /// The merchant's payment page for this order, while it waits for its cash and the
    /// programme has a payment link.
    pay_link: Option<String>,
}

/// The member's order `id` with its item's cover picture, the member's available points and
/// the payment link coming `back` to the order; none when there is no such order or it is
/// another member's.
async fn read_order(
    web: &Web,
    c: &Centre,
    id: i64,
    back: String,
) -> Result<Option<SeenOrder>, AppError> {
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
            let pay_link = jifen_app::mall::payment_link(tx, &ctx, &o, &back)?;
            Ok(Some(SeenOrder {
                o,
                cover_id,
                balance: b.available,
                pay_link,
            }))
        })
        .await
}

/// The order page's body: the notices, the head with its facts, shipping, coupons, address,
/// the progress, cancelling, and the ways on.
fn order_body(c: &Centre, id: i64, seen: &SeenOrder, q: &OrderQuery) -> String {
    let (lang, token, tz) = (c.lang, &c.token, &c.ctx.tz);
    let o = &seen.o;
    let currency = &c.ctx.program.currency;
    let state = o.state.as_str();
    let ships = o.ships();
    let (word, class) = state_word(lang, state, ships);
    let name = o.item_name(lang == Lang::En);
    let cash = o.cash_minor;
    let history = &o.history;
    let from_pay = q.from.as_deref() == Some("pay");
    let placed = if state == "pending_payment" {
        format!(
            "{}{}",
            if q.placed.is_some() {
                steps(lang, 3)
            } else {
                String::new()
            },
            pay_card(c, o, seen.pay_link.as_deref(), from_pay)
        )
    } else if from_pay && matches!(state, "timed_out" | "cancelled") {
        format!(
            "<div class=\"warn\" role=\"status\">{}</div>",
            t(
                lang,
                "未在支付截止前收到付款，订单已取消，积分已退回。如已付款，请联系商家退款。",
                "No payment arrived before the deadline: the order is cancelled and the points are back. If you paid, ask the shop for a refund."
            )
        )
    } else if q.placed.is_some() || (from_pay && cash > 0) {
        placed_notice(c, o, seen.balance, from_pay)
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
        cover(seen.cover_id, name, Pic::Line),
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

/// The card of an order waiting for its cash: the button to the merchant's payment page and
/// the deadline; back from that page before the merchant confirmed, that the payment is being
/// confirmed; without a payment link, that the cash is paid at the shop (items not posted) or
/// that the shop has not set up online payment (goods posted home).
fn pay_card(c: &Centre, o: &OrderView, link: Option<&str>, from_pay: bool) -> String {
    let (lang, tz, currency) = (c.lang, &c.ctx.tz, &c.ctx.program.currency);
    let en = lang == Lang::En;
    let cash = money(o.cash_minor, currency);
    let points = num(o.points);
    let deadline = esc(&o.pay_deadline.map(|d| fmt_time(d, tz)).unwrap_or_default());
    let how = CashPay::of(link.is_some(), o.ships());
    let (title, text) = match (how, from_pay, en) {
        (CashPay::Online, true, false) => (
            "支付确认中",
            format!(
                "如已付款，商家确认收款后订单会自动更新为已支付，请稍后刷新。如未完成付款，请于 {deadline} 前重新支付。"
            ),
        ),
        (CashPay::Online, true, true) => (
            "Payment being confirmed",
            format!(
                "If you have paid, the order shows as paid once the shop confirms it; refresh in a moment. If you did not finish paying, pay again before {deadline}."
            ),
        ),
        (CashPay::Online, false, false) => (
            "待支付",
            format!(
                "已冻结 {points} 积分。请于 {deadline} 前支付现金部分 {cash}，逾期订单将自动取消，积分退回。"
            ),
        ),
        (CashPay::Online, false, true) => (
            "Awaiting payment",
            format!(
                "{points} points are held. Pay the cash part, {cash}, before {deadline}; otherwise the order is cancelled and the points come back."
            ),
        ),
        (CashPay::AtShop, _, false) => (
            "等待到店支付",
            format!("已冻结 {points} 积分。现金部分 {cash} 请于 {deadline} 前在门店支付。"),
        ),
        (CashPay::AtShop, _, true) => (
            "Awaiting payment at the shop",
            format!(
                "{points} points are held; pay the cash part, {cash}, at the shop before {deadline}."
            ),
        ),
        (CashPay::NotSetUp, _, false) => (
            "待支付",
            format!(
                "已冻结 {points} 积分。商家尚未开通在线支付，现金部分 {cash} 无法在此支付，请联系商家；{deadline} 前未付款的订单将自动取消，积分退回。"
            ),
        ),
        (CashPay::NotSetUp, _, true) => (
            "Awaiting payment",
            format!(
                "{points} points are held. The shop has not set up online payment, so the cash part, {cash}, cannot be paid here; ask the shop. An order not paid by {deadline} is cancelled and the points come back."
            ),
        ),
    };
    let button = link
        .map(|href| {
            let label = if en {
                format!("Pay {cash}")
            } else {
                format!("去支付 {cash}")
            };
            let refresh = if from_pay {
                format!(
                    "<a class=\"btn ghost\" href=\"/m/{}/orders/{}?from=pay\">{}</a>",
                    c.token,
                    o.order_id,
                    t(lang, "刷新", "Refresh")
                )
            } else {
                String::new()
            };
            format!(
                "<div class=\"actions pay\">{refresh}<a class=\"btn\" href=\"{}\" rel=\"noopener noreferrer\">{label}</a></div>",
                esc(href)
            )
        })
        .unwrap_or_default();
    format!(
        "<div class=\"card pay{}\" role=\"status\"><div class=\"tick\">{}</div><h2>{title}</h2><p>{text}</p>{button}</div>",
        if how == CashPay::NotSetUp {
            " warn"
        } else {
            ""
        },
        icon(ICON_CLOCK),
    )
}

/// The card once an order is paid: with points right after placing it (and what is left), or
/// back from the merchant's payment page once the cash was confirmed.
fn placed_notice(c: &Centre, o: &OrderView, balance: i64, from_pay: bool) -> String {
    let lang = c.lang;
    let (title, msg) = if from_pay {
        let cash = jifen_app::mall::money_text(&c.ctx.program.currency, o.cash_minor);
        (
            t(lang, "支付成功", "Payment received"),
            if lang == Lang::En {
                format!("{cash} paid; the order is under way.")
            } else {
                format!("已支付 {cash}，订单已生效。")
            },
        )
    } else {
        (
            t(lang, "兑换成功", "Redeemed"),
            if lang == Lang::En {
                format!(
                    "{} points paid; {} points left.",
                    num(o.points),
                    num(balance)
                )
            } else {
                format!(
                    "已支付 {} 积分，剩余 {} 积分。",
                    num(o.points),
                    num(balance)
                )
            },
        )
    };
    format!(
        "{}<div class=\"card success\" role=\"status\"><div class=\"tick\">{}</div><h2>{title}</h2><p>{}</p></div>",
        steps(lang, 4),
        icon(ICON_CHECK),
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

//! The member's orders: the list, one order with its logistics, cancelling.

use super::*;
use jifen_app::mall::OrderView;

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
    let orders = list
        .items
        .iter()
        .map(|o| {
            let (word, tone) = state_word(lang, &o.state, o.ships());
            let cover_id = covers.get(&o.item_id).copied().flatten();
            OrderCard {
                id: o.order_id,
                time: fmt_time(o.created_at, &c.ctx.tz),
                word,
                tone,
                cover: Cover::new(cover_id, o.item_name(lang == Lang::En), Pic::Line),
                price: Price::new(o.points, o.cash_minor, currency),
                qty: o.quantity,
                track: o.carrier.clone().zip(o.tracking_no.clone()),
            }
        })
        .collect();
    let page = OrdersPage {
        frame: c.frame(
            Some(Tab::Orders),
            t(lang, "我的订单", "My orders"),
            Some(&format!("/m/{token}")),
            &format!("/m/{token}/orders"),
        ),
        orders,
        more: list.next_before,
    };
    c.page(StatusCode::OK, &page)
}

/// The member's orders, newest first, a page at a time.
#[derive(Template)]
#[template(path = "centre/orders.html")]
struct OrdersPage {
    frame: CentreFrame,
    orders: Vec<OrderCard>,
    more: Option<i64>,
}

/// An order in the list: when, its number and state, the item, price and quantity, and the
/// parcel's carrier and tracking number once shipped.
struct OrderCard {
    id: i64,
    time: String,
    word: &'static str,
    tone: &'static str,
    cover: Cover,
    price: Price,
    qty: i64,
    track: Option<(String, String)>,
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
    let page = order_page(&c, id, &seen, &q);
    c.page(StatusCode::OK, &page)
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

/// One order: the notices (cancelled; waiting for its cash, lapsed, or paid), the head with
/// its facts, shipping, coupons issued, the address, the progress, cancelling, and the ways on.
#[derive(Template)]
#[template(path = "centre/order.html")]
struct OrderPage {
    frame: CentreFrame,
    id: i64,
    cancelled: bool,
    top: Top,
    word: &'static str,
    tone: &'static str,
    cover: Cover,
    price: Price,
    qty: i64,
    facts: Vec<(&'static str, String)>,
    logistics: Option<Logistics>,
    coupons: Vec<String>,
    address: Option<Address>,
    /// Each state the order reached and when, latest first.
    timeline: Vec<(&'static str, String)>,
    cancel: bool,
}

/// What the order page says first.
enum Top {
    /// Waiting for its cash: the steps (right after placing it) and the card to pay.
    Pay(bool, PayCard),
    /// Back from paying after the deadline: the order is cancelled.
    Lapsed,
    /// Paid: the title and what happened.
    Paid(&'static str, String),
    Nothing,
}

/// The card of an order waiting for its cash.
struct PayCard {
    warn: bool,
    title: &'static str,
    text: String,
    /// The merchant's payment page and the button's words.
    link: Option<(String, String)>,
    /// Back from that page: a button to look again.
    refresh: bool,
}

/// The shipping card: carrier, tracking number, when shipped and delivered; or, for goods not
/// shipped yet, that the shop is preparing them.
enum Logistics {
    Tracked(Vec<(&'static str, String)>),
    Preparing,
}

fn order_page(c: &Centre, id: i64, seen: &SeenOrder, q: &OrderQuery) -> OrderPage {
    let (lang, token, tz) = (c.lang, &c.token, &c.ctx.tz);
    let o = &seen.o;
    let state = o.state.as_str();
    let ships = o.ships();
    let (word, tone) = state_word(lang, state, ships);
    let qty = o.quantity.max(1);
    let from_pay = q.from.as_deref() == Some("pay");
    let top = if state == "pending_payment" {
        Top::Pay(
            q.placed.is_some(),
            pay_card(c, o, seen.pay_link.as_deref(), from_pay),
        )
    } else if from_pay && matches!(state, "timed_out" | "cancelled") {
        Top::Lapsed
    } else if q.placed.is_some() || (from_pay && o.cash_minor > 0) {
        let (title, msg) = paid(c, o, seen.balance, from_pay);
        Top::Paid(title, msg)
    } else {
        Top::Nothing
    };
    OrderPage {
        frame: c.frame(
            Some(Tab::Orders),
            t(lang, "订单详情", "Order"),
            Some(&format!("/m/{token}/orders")),
            &format!("/m/{token}/orders/{id}"),
        ),
        id,
        cancelled: q.done.as_deref() == Some("cancelled"),
        top,
        word,
        tone,
        cover: Cover::new(seen.cover_id, o.item_name(lang == Lang::En), Pic::Line),
        price: Price::new(o.points / qty, o.cash_minor / qty, &c.ctx.program.currency),
        qty: o.quantity,
        facts: order_facts(c, id, o),
        logistics: logistics(lang, tz, o),
        coupons: o.coupons.clone().unwrap_or_default(),
        address: o.address.clone(),
        timeline: o
            .history
            .iter()
            .rev()
            .map(|h| (state_word(lang, &h.state, ships).0, fmt_time(h.at, tz)))
            .collect(),
        // Not shipped yet: the points (and stock) come back.
        cancel: matches!(state, "pending_payment" | "paid" | "awaiting_stock")
            && (ships || state != "paid"),
    }
}

/// The card of an order waiting for its cash: the button to the merchant's payment page and
/// the deadline; back from that page before the merchant confirmed, that the payment is being
/// confirmed; without a payment link, that the cash is paid at the shop (items not posted) or
/// that the shop has not set up online payment (goods posted home).
fn pay_card(c: &Centre, o: &OrderView, link: Option<&str>, from_pay: bool) -> PayCard {
    let (lang, tz, currency) = (c.lang, &c.ctx.tz, &c.ctx.program.currency);
    let en = lang == Lang::En;
    let cash = jifen_app::mall::money_text(currency, o.cash_minor);
    let points = num(o.points);
    let deadline = o.pay_deadline.map(|d| fmt_time(d, tz)).unwrap_or_default();
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
    PayCard {
        warn: how == CashPay::NotSetUp,
        title,
        text,
        link: link.map(|href| {
            let label = if en {
                format!("Pay {cash}")
            } else {
                format!("去支付 {cash}")
            };
            (href.to_string(), label)
        }),
        refresh: from_pay,
    }
}

/// Once an order is paid: with points right after placing it (and what is left), or back from
/// the merchant's payment page once the cash was confirmed.
fn paid(c: &Centre, o: &OrderView, balance: i64, from_pay: bool) -> (&'static str, String) {
    let lang = c.lang;
    if from_pay {
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
        let (points, left) = (num(o.points), num(balance));
        (
            t(lang, "兑换成功", "Redeemed"),
            if lang == Lang::En {
                format!("{points} points paid; {left} points left.")
            } else {
                format!("已支付 {points} 积分，剩余 {left} 积分。")
            },
        )
    }
}

/// The order's facts: number, when placed, points, cash, the payment deadline while it waits,
/// and points refunded.
fn order_facts(c: &Centre, id: i64, o: &OrderView) -> Vec<(&'static str, String)> {
    let (lang, tz, currency) = (c.lang, &c.ctx.tz, &c.ctx.program.currency);
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
        rows.push((
            t(lang, "现金", "Cash"),
            jifen_app::mall::money_text(currency, cash),
        ));
    }
    if o.state == "pending_payment"
        && let Some(d) = o.pay_deadline
    {
        rows.push((t(lang, "支付截止", "Pay by"), fmt_time(d, tz)));
    }
    if o.refunded_points > 0 {
        rows.push((
            t(lang, "已退积分", "Points refunded"),
            num(o.refunded_points),
        ));
    }
    rows
}

/// The shipping card's content, when there is one.
fn logistics(lang: Lang, tz: &jiff::tz::TimeZone, o: &OrderView) -> Option<Logistics> {
    let at_of = |s: &str| o.history.iter().rev().find(|h| h.state == s).map(|h| h.at);
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
            Some(Logistics::Tracked(l))
        }
        _ if o.ships() && matches!(o.state.as_str(), "paid" | "awaiting_stock") => {
            Some(Logistics::Preparing)
        }
        _ => None,
    }
}

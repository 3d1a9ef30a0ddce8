//! Mall orders: the filtered list, one order, and the staff actions on it (ship, deliver, refund, cancel).

use askama::Template;

use super::*;
use crate::forms::Choice;
use crate::frame::Frame;
use crate::page::{L, Lang};
use jifen_app::mall::OrderView;
use jifen_domain::words;

#[derive(Deserialize, Default)]
pub(super) struct OrdersQuery {
    #[serde(default)]
    pub(super) state: Option<String>,
    #[serde(default)]
    pub(super) before: Option<String>,
    #[serde(default)]
    pub(super) done: Option<String>,
    /// An order number, tracking number or member's phone to look for.
    #[serde(default)]
    pub(super) q: Option<String>,
}

/// Every order state, in the order the filter offers them.
pub(super) fn states() -> Vec<&'static str> {
    jifen_domain::words::codes(jifen_domain::words::ORDER_STATES)
}

pub(super) async fn orders(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<OrdersQuery>,
) -> Response {
    render_orders(&web, &st, &q, None, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "console/orders.html")]
struct OrdersPage {
    frame: Frame,
    /// Whether an order was just updated.
    done: bool,
    tabs: Vec<Tab>,
    /// What was searched for, as typed.
    query: String,
    /// Whether the staff member may ship in bulk.
    operates: bool,
    rows: Vec<OrderRow>,
    /// The link to the next page, when there is one.
    next: Option<String>,
}

pub(super) async fn render_orders(
    web: &Web,
    st: &Staff,
    q: &OrdersQuery,
    error: Option<Refused>,
    status: StatusCode,
) -> Response {
    let title = st.t("兑换订单", "Mall orders");
    let state = q.state.clone().filter(|s| states().contains(&s.as_str()));
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0);
    let ctx = st.ctx.clone();
    let s2 = state.clone();
    let query =
        q.q.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= 64)
            .map(str::to_string);
    let q2 = query.clone();
    let list = match web
        .app
        .read(move |tx| match q2 {
            Some(text) => mall::search_orders(tx, &ctx, &text, 50),
            None => mall::list_orders(tx, &ctx, None, s2.as_deref(), before, 50),
        })
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tabs = std::iter::once(("", st.t("全部", "All").to_string()))
        .chain(
            [
                "paid",
                "shipped",
                "pending_payment",
                "awaiting_stock",
                "delivered",
                "refunded",
            ]
            .iter()
            .map(|s| (*s, state_label(st, s))),
        )
        .map(|(s, label)| Tab {
            href: if s.is_empty() {
                "/console/orders".into()
            } else {
                format!("/console/orders?state={s}")
            },
            label,
            on: Some(s) == state.as_deref() || (s.is_empty() && state.is_none()),
        })
        .collect();
    let next = list.next_before.map(|n| {
        let state = state.as_deref().map(|s| format!("state={s}&"));
        format!("/console/orders?{}before={n}", state.unwrap_or_default())
    });
    let page = OrdersPage {
        frame: st.frame("orders", title),
        done: q.done.is_some(),
        tabs,
        query: query.unwrap_or_default(),
        operates: st.s.role.operates(),
        rows: list
            .items
            .iter()
            .map(|o| order_row(st, o, error.as_ref()))
            .collect(),
        next,
    };
    st.render(status, &page)
}

/// An action on order `id` refused: the field it is about (`form` for the action as a whole),
/// why, and the carrier and tracking number as typed, shown again.
pub(super) struct Refused {
    pub(super) id: i64,
    pub(super) field: String,
    pub(super) message: String,
    pub(super) carrier: String,
    pub(super) tracking_no: String,
}

/// A carrier's name: a listed one's words, any other as the API sent it.
fn carrier_text(code: Option<&str>, english: bool) -> String {
    code.map(|c| words::text(words::CARRIERS, c, english))
        .unwrap_or_default()
}

/// What staff may do to an order, on its row and its page (`templates/console/orders_parts.html`):
/// ship it with a carrier and tracking number, mark it delivered, or open the confirmation that
/// cancels or refunds it; an action refused shows its error next to the field or after them.
pub(super) struct Actions {
    pub(super) id: i64,
    /// The page the action came from and goes back to: `order` or `list`.
    pub(super) back: &'static str,
    /// The carriers to choose from, when the order is to be shipped.
    pub(super) ship: Option<Vec<Choice>>,
    /// The tracking number as typed, when shipping was refused.
    pub(super) tracking_no: String,
    /// The deliver button's words, when it may be marked delivered.
    pub(super) deliver: Option<&'static str>,
    pub(super) cancel: bool,
    pub(super) refund: bool,
    pub(super) carrier_error: Option<String>,
    pub(super) tracking_error: Option<String>,
    /// An error about the action as a whole.
    pub(super) error: Option<String>,
}

pub(super) fn order_actions(
    st: &Staff,
    o: &OrderView,
    error: Option<&Refused>,
    back: &'static str,
) -> Option<Actions> {
    if !st.s.role.operates() {
        return None;
    }
    let ships = o.state == "paid" && o.ships();
    let mine = error.filter(|e| e.id == o.order_id);
    let carriers = || {
        let en = st.lang == Lang::En;
        let all: Vec<(&str, &str)> = words::CARRIERS
            .iter()
            .map(|w| (w.code, w.text(en)))
            .collect();
        crate::forms::choices(&all, mine.map_or("", |e| e.carrier.as_str()))
    };
    let mut a = Actions {
        id: o.order_id,
        back,
        ship: ships.then(carriers),
        tracking_no: mine.map(|e| e.tracking_no.clone()).unwrap_or_default(),
        deliver: match o.state.as_str() {
            "paid" if !ships => Some(st.t("确认交付", "Mark delivered")),
            "shipped" => Some(st.t("确认签收", "Mark delivered")),
            _ => None,
        },
        cancel: o.state == "pending_payment",
        refund: matches!(
            o.state.as_str(),
            "paid" | "shipped" | "delivered" | "awaiting_stock"
        ),
        carrier_error: None,
        tracking_error: None,
        error: None,
    };
    if let Some(e) = mine {
        let msg = Some(e.message.clone());
        match e.field.as_str() {
            "carrier" if ships => a.carrier_error = msg,
            "tracking_no" if ships => a.tracking_error = msg,
            "carrier" | "tracking_no" => {}
            _ => a.error = msg,
        }
    }
    Some(a)
}

/// An order event's note in the page's language: a refund's points, cash and reason in words
/// (`refund 1000 points, 0 cash: 破损`), any other note (a tracking number, a reason) as written.
fn note_text(st: &Staff, note: Option<&str>) -> String {
    let Some(n) = note else {
        return String::new();
    };
    let Some(rest) = n.strip_prefix("refund ") else {
        return n.to_string();
    };
    let (amounts, reason) = match rest.split_once(": ") {
        Some((a, r)) => (a, Some(r)),
        None => (rest, None),
    };
    let parsed = amounts
        .strip_suffix(" cash")
        .and_then(|a| a.split_once(" points, "))
        .and_then(|(p, c)| Some((p.parse::<i64>().ok()?, c.parse::<i64>().ok()?)));
    let Some((points, cash)) = parsed else {
        return n.to_string();
    };
    let mut out = match st.lang {
        Lang::Zh => format!("退还 {} 积分", num(points)),
        Lang::En => format!("{} points given back", num(points)),
    };
    if cash > 0 {
        out.push_str(&match st.lang {
            Lang::Zh => format!("，现金 {}", money(st, cash)),
            Lang::En => format!(", {} in cash", money(st, cash)),
        });
    }
    if let Some(r) = reason {
        out.push_str(st.t("；原因：", "; reason: "));
        out.push_str(r);
    }
    out
}

/// Where an order ships: receiver, phone, city, street, postcode; `None` without one.
fn address_text(o: &OrderView) -> Option<String> {
    let a = o.address.as_ref()?;
    let text = [&a.name, &a.phone, &a.city, &a.line, &a.postcode]
        .into_iter()
        .filter(|v| !v.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" · ");
    (!text.is_empty()).then_some(text)
}

/// An order's row in the list.
pub(super) struct OrderRow {
    id: i64,
    time: String,
    member_id: i64,
    item: String,
    quantity: i64,
    /// Where an order to ship goes, so staff pack it from the list.
    ship_to: Option<String>,
    points: String,
    cash: Option<String>,
    state: String,
    state_label: String,
    /// The carrier and tracking number, once shipped.
    tracking: Option<String>,
    actions: Option<Actions>,
}

pub(super) fn order_row(st: &Staff, o: &OrderView, error: Option<&Refused>) -> OrderRow {
    let en = st.lang == Lang::En;
    OrderRow {
        id: o.order_id,
        time: fmt_time(o.created_at, &st.ctx.tz),
        member_id: o.member_id,
        item: o.item_name(en).to_string(),
        quantity: o.quantity,
        ship_to: (o.state == "paid").then(|| address_text(o)).flatten(),
        points: num(o.points),
        cash: (o.cash_minor > 0).then(|| money(st, o.cash_minor)),
        state: o.state.clone(),
        state_label: state_label(st, &o.state),
        tracking: o
            .tracking_no
            .as_deref()
            .map(|t| format!("{} {t}", carrier_text(o.carrier.as_deref(), en))),
        actions: order_actions(st, o, error, "list"),
    }
}

pub(super) async fn order(State(web): State<Web>, st: Staff, Path(id): Path<String>) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall order") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    render_order(&web, &st, id, None, StatusCode::OK).await
}

/// An event of an order's history.
struct HistoryRow {
    time: String,
    state: String,
    by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct OrderPage {
    frame: Frame,
    state: String,
    state_label: String,
    item: String,
    quantity: i64,
    sku: String,
    member_id: i64,
    actions: Option<Actions>,
    points: String,
    address: String,
    carrier: String,
    tracking: String,
    history: Vec<HistoryRow>,
}

pub(super) async fn render_order(
    web: &Web,
    st: &Staff,
    id: i64,
    error: Option<Refused>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let o = match web.app.read(move |tx| mall::get_order(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let (tz, en) = (&st.ctx.tz, st.lang == Lang::En);
    let history = o
        .history
        .iter()
        .map(|h| HistoryRow {
            time: fmt_time(h.at, tz),
            state: state_label(st, &h.state),
            by: h
                .actor
                .as_deref()
                .map(|a| crate::page::actor_label(st.lang, a))
                .unwrap_or_default(),
            note: note_text(st, h.note.as_deref()),
        })
        .collect();
    let title = format!("{} #{id}", st.t("订单", "Order"));
    let page = OrderPage {
        frame: st.frame("orders", &title),
        state: o.state.clone(),
        state_label: state_label(st, &o.state),
        item: o.item_name(en).to_string(),
        quantity: o.quantity,
        sku: o.sku.clone().unwrap_or_default(),
        member_id: o.member_id,
        actions: order_actions(st, &o, error.as_ref(), "order"),
        points: num(o.points),
        address: address_text(&o).unwrap_or_else(|| "–".to_string()),
        carrier: o
            .carrier
            .as_deref()
            .map_or_else(|| "–".to_string(), |c| carrier_text(Some(c), en)),
        tracking: o.tracking_no.clone().unwrap_or_default(),
        history,
    };
    st.render(status, &page)
}

#[derive(Deserialize, Default)]
pub(super) struct OrderForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) back: String,
    #[serde(default)]
    pub(super) carrier: String,
    #[serde(default)]
    pub(super) tracking_no: String,
    #[serde(default)]
    pub(super) reason: String,
    /// The confirmation's key: a double submit refunds once.
    #[serde(default)]
    pub(super) form_key: String,
}

pub(super) async fn order_action(
    State(web): State<Web>,
    st: Staff,

    Path((id, action)): Path<(String, String)>,
    Form(f): Form<OrderForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall order") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let a = match action.as_str() {
        "ship" => OrderAction::Ship,
        "deliver" => OrderAction::Deliver,
        "cancel" => OrderAction::Cancel,
        "refund" => OrderAction::Refund,
        _ => {
            return st.fail(AppError::NotFound {
                what: "page",
                id: action,
            });
        }
    };
    // Refunds and cancellations come from their confirmation, which asks for the reason.
    if let Some(c) = confirmed_action(&action) {
        return act_confirmed(&web, &st, id, a, c, &f).await;
    }
    // Back to the page the action came from: the order's own page or the list.
    let from_order_page = f.back == "order";
    let again = |field: &str, msg: String, status: StatusCode| {
        let (web, st) = (web.clone(), &st);
        let e = Refused {
            id,
            field: field.to_string(),
            message: msg,
            carrier: f.carrier.trim().to_string(),
            tracking_no: f.tracking_no.trim().to_string(),
        };
        async move {
            if from_order_page {
                render_order(&web, st, id, Some(e), status).await
            } else {
                render_orders(&web, st, &OrdersQuery::default(), Some(e), status).await
            }
        }
    };
    if !st.s.role.operates() {
        return st.forbidden("orders", st.t("兑换订单", "Mall orders"));
    }
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    if f.csrf != st.s.csrf {
        return again("form", expired(&st).1, StatusCode::FORBIDDEN).await;
    }
    if a == OrderAction::Ship {
        if text(&f.carrier).is_none() {
            return again(
                "carrier",
                st.t("请填写快递公司", "Name the carrier").into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        if text(&f.tracking_no).is_none() {
            return again(
                "tracking_no",
                st.t("请填写运单号", "Give the tracking number").into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    }
    let u = OrderUpdate {
        actor: Some(st.s.actor()),
        reason: text(&f.reason),
        carrier: text(&f.carrier),
        tracking_no: text(&f.tracking_no),
        ..Default::default()
    };
    let partition = format!("mall-order:{id}");
    let out = st
        .act_as(&web, &partition, None, move |tx, ctx, now, actor| {
            mall::act(tx, ctx, now, actor, id, a, &u)
        })
        .await;
    match out {
        Ok(_) if from_order_page => Redirect::to(&format!("/console/orders/{id}")).into_response(),
        Ok(_) => Redirect::to("/console/orders?done=1").into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = if field == "carrier" || field == "tracking_no" {
                field
            } else {
                "form".into()
            };
            again(&field, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            again("form", message, StatusCode::CONFLICT).await
        }
        Err(AppError::Ledger(e)) => again("form", e.to_string(), StatusCode::CONFLICT).await,
        Err(e) => st.fail(e),
    }
}

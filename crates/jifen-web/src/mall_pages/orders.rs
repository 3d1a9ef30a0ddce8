//! Mall orders: the filtered list, one order, and the staff actions on it (ship, deliver, refund, cancel).

use super::*;
use crate::page::Lang;
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

pub(super) async fn render_orders(
    web: &Web,
    st: &Staff,
    q: &OrdersQuery,
    error: Option<(i64, String, String)>,
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
    let tabs: String = std::iter::once(("", st.t("全部", "All").to_string()))
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
        .map(|(s, label)| {
            format!(
                "<a href=\"/console/orders{}\"{}>{}</a>",
                if s.is_empty() {
                    String::new()
                } else {
                    format!("?state={s}")
                },
                if Some(s) == state.as_deref() || (s.is_empty() && state.is_none()) {
                    " class=\"on\""
                } else {
                    ""
                },
                esc(&label)
            )
        })
        .collect();
    let rows: String = list
        .items
        .iter()
        .map(|o| order_row(st, o, error.as_ref()))
        .collect();
    let rows = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"7\" class=\"muted\">{}</td></tr>",
            st.t("没有订单", "No orders")
        )
    } else {
        rows
    };
    let more = list
        .next_before
        .map(|n| {
            format!(
                "<p class=\"pager\"><a href=\"/console/orders?{}before={n}\">{}</a></p>",
                state
                    .as_deref()
                    .map(|s| format!("state={s}&"))
                    .unwrap_or_default(),
                st.t("下一页", "Next page")
            )
        })
        .unwrap_or_default();
    let notice = q
        .done
        .as_deref()
        .map(|_| {
            format!(
                "<div class=\"notice\" role=\"status\">{}</div>",
                st.t("订单已更新", "Order updated")
            )
        })
        .unwrap_or_default();
    let search = search_form(st, query.as_deref());
    let bulk = if st.s.role.operates() {
        format!(
            "<a class=\"button\" href=\"/console/orders/ship-batch\">{}</a>",
            st.t("批量发货", "Ship in bulk")
        )
    } else {
        String::new()
    };
    let body = format!(
        "{notice}<div class=\"toolbar\"><nav class=\"tabs\">{tabs}</nav>{search}{bulk}</div>\
         <table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>{more}",
        st.t("时间", "Time"),
        st.t("会员", "Member"),
        st.t("商品", "Item"),
        st.t("积分", "Points"),
        st.t("状态", "State"),
        st.t("操作", "Action"),
    );
    st.page(status, "orders", title, &body)
}

/// The carriers staff choose from, each by its code, named in the page's language.
fn carrier_options(english: bool) -> String {
    words::CARRIERS
        .iter()
        .map(|w| format!("<option value=\"{}\">{}</option>", w.code, w.text(english)))
        .collect()
}

/// A carrier's name: a listed one's words, any other as the API sent it.
fn carrier_text(code: Option<&str>, english: bool) -> String {
    code.map(|c| words::text(words::CARRIERS, c, english))
        .unwrap_or_default()
}

pub(super) fn ship_form(
    st: &Staff,
    id: i64,
    error: Option<&(i64, String, String)>,
    back: &str,
) -> String {
    let e = match error {
        Some((oid, field, msg)) if *oid == id => Some((field.clone(), msg.clone())),
        _ => None,
    };
    format!(
        "<form class=\"ship\" method=\"post\" action=\"/console/orders/{id}/ship\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{back}\">\
         <div><select name=\"carrier\" aria-label=\"{}\"><option value=\"\">{}</option>{}</select>{}</div>\
         <div><input type=\"text\" name=\"tracking_no\" placeholder=\"{}\" aria-label=\"{}\">{}</div><button>{}</button></form>{}",
        esc(&st.s.csrf),
        st.t("快递公司", "Carrier"),
        st.t("选择快递公司", "Choose a carrier"),
        carrier_options(st.lang == Lang::En),
        field_error(e.as_ref(), "carrier"),
        st.t("运单号", "Tracking number"),
        st.t("运单号", "Tracking number"),
        field_error(e.as_ref(), "tracking_no"),
        st.t("发货", "Ship"),
        field_error(e.as_ref(), "form"),
    )
}

pub(super) fn action_button(
    st: &Staff,
    id: i64,
    action: &str,
    label: &str,
    class: &str,
    back: &str,
) -> String {
    format!(
        "<form method=\"post\" action=\"/console/orders/{id}/{action}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{back}\"><button class=\"{class}\">{label}</button></form>",
        esc(&st.s.csrf)
    )
}

/// A link to the confirmation that asks for a reason before refunding or cancelling.
fn confirm_link(id: i64, action: &str, label: &str, class: &str) -> String {
    format!(
        " <a class=\"button {class}\" href=\"/console/orders/{id}/{action}\">{}</a>",
        esc(label)
    )
}

pub(super) fn order_actions(
    st: &Staff,
    o: &OrderView,
    error: Option<&(i64, String, String)>,
    back: &str,
) -> String {
    if !st.s.role.operates() {
        return String::new();
    }
    let id = o.order_id;
    let ships = o.ships();
    let mut out = match o.state.as_str() {
        "paid" if ships => ship_form(st, id, error, back),
        "paid" => action_button(
            st,
            id,
            "deliver",
            st.t("确认交付", "Mark delivered"),
            "",
            back,
        ),
        "shipped" => action_button(
            st,
            id,
            "deliver",
            st.t("确认签收", "Mark delivered"),
            "",
            back,
        ),
        "pending_payment" => confirm_link(id, "cancel", st.t("取消", "Cancel"), "secondary"),
        _ => String::new(),
    };
    if matches!(
        o.state.as_str(),
        "paid" | "shipped" | "delivered" | "awaiting_stock"
    ) {
        out.push_str(&confirm_link(
            id,
            "refund",
            st.t("退款", "Refund"),
            "reject",
        ));
    }
    if let Some((oid, field, msg)) = error
        && *oid == id
        && !(field == "carrier" || field == "tracking_no")
        && !(o.state == "paid" && ships)
    {
        out.push_str(&format!(
            "<div class=\"field-error\" role=\"alert\">{}</div>",
            esc(msg)
        ));
    }
    out
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

/// The orders' search box, keeping what was typed.
fn search_form(st: &Staff, query: Option<&str>) -> String {
    format!(
        "<form class=\"search\" method=\"get\" action=\"/console/orders\" role=\"search\"><input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"{}\" aria-label=\"{}\" maxlength=\"64\"><button>{}</button></form>",
        esc(query.unwrap_or("")),
        st.t("订单号、手机号或运单号", "Order no., phone or tracking no."),
        st.t("搜索订单", "Search orders"),
        st.t("搜索", "Search"),
    )
}

/// Where an order ships, escaped: receiver, phone, city, street, postcode; `None` without one.
fn address_text(o: &OrderView) -> Option<String> {
    let a = o.address.as_ref()?;
    let text = [&a.name, &a.phone, &a.city, &a.line, &a.postcode]
        .into_iter()
        .filter(|v| !v.is_empty())
        .map(|v| esc(v))
        .collect::<Vec<_>>()
        .join(" · ");
    (!text.is_empty()).then_some(text)
}

pub(super) fn order_row(
    st: &Staff,
    o: &OrderView,
    error: Option<&(i64, String, String)>,
) -> String {
    let id = o.order_id;
    let state = o.state.as_str();
    let tracking = o
        .tracking_no
        .as_deref()
        .map(|t| {
            format!(
                "<div class=\"muted\">{} {}</div>",
                esc(&carrier_text(o.carrier.as_deref(), st.lang == Lang::En)),
                esc(t)
            )
        })
        .unwrap_or_default();
    // An order to ship shows where to, so staff pack it from the list.
    let ship_to = (state == "paid")
        .then(|| address_text(o))
        .flatten()
        .map(|a| format!("<div class=\"muted ship-to\">{a}</div>"))
        .unwrap_or_default();
    let cash = o.cash_minor;
    format!(
        "<tr id=\"order-{id}\"><td><a href=\"/console/orders/{id}\">#{id}</a></td><td>{}</td><td><a href=\"/console/members/{}\">#{}</a></td><td>{} × {}{ship_to}</td><td class=\"num\">{}{}</td><td><span class=\"pill {state}\">{}</span>{tracking}</td><td>{}</td></tr>",
        fmt_time(o.created_at, &st.ctx.tz),
        o.member_id,
        o.member_id,
        esc(o.item_name(st.lang == Lang::En)),
        o.quantity,
        num(o.points),
        if cash > 0 {
            format!(" + {}", money(st, cash))
        } else {
            String::new()
        },
        esc(&state_label(st, state)),
        order_actions(st, o, error, "list"),
    )
}

pub(super) async fn order(State(web): State<Web>, st: Staff, Path(id): Path<String>) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall order") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    render_order(&web, &st, id, None, StatusCode::OK).await
}

pub(super) async fn render_order(
    web: &Web,
    st: &Staff,
    id: i64,
    error: Option<(i64, String, String)>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let o = match web.app.read(move |tx| mall::get_order(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tz = &st.ctx.tz;
    let address = address_text(&o).unwrap_or_else(|| "–".to_string());
    let history: String = o
        .history
        .iter()
        .map(|h| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                fmt_time(h.at, tz),
                esc(&state_label(st, &h.state)),
                esc(&h
                    .actor
                    .as_deref()
                    .map(|a| crate::page::actor_label(st.lang, a))
                    .unwrap_or_default()),
                esc(&note_text(st, h.note.as_deref())),
            )
        })
        .collect();
    let state = o.state.as_str();
    let body = format!(
        "<div class=\"toolbar\"><p><span class=\"pill {state}\">{}</span> {} × {} · {} {} · <a href=\"/console/members/{}\">{} #{}</a></p><div>{}</div></div>\
         <div class=\"cards\"><div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\
         <div class=\"card\"><div class=\"label\">{}</div><div>{}</div></div>\
         <div class=\"card\"><div class=\"label\">{}</div><div>{} {}</div></div></div>\
         <h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{history}</tbody></table>",
        esc(&state_label(st, state)),
        esc(o.item_name(st.lang == Lang::En)),
        o.quantity,
        st.t("SKU", "SKU"),
        esc(o.sku.as_deref().unwrap_or("")),
        o.member_id,
        st.t("会员", "Member"),
        o.member_id,
        order_actions(st, &o, error.as_ref(), "order"),
        st.t("积分", "Points"),
        num(o.points),
        st.t("收货地址", "Ship to"),
        address,
        st.t("物流", "Logistics"),
        esc(&o.carrier.as_deref().map_or_else(
            || "–".to_string(),
            |c| carrier_text(Some(c), st.lang == Lang::En)
        )),
        esc(o.tracking_no.as_deref().unwrap_or("")),
        st.t("订单记录", "Order history"),
        st.t("时间", "Time"),
        st.t("状态", "State"),
        st.t("操作人", "By"),
        st.t("备注", "Note"),
    );
    st.page(
        status,
        "orders",
        &format!("{} #{id}", st.t("订单", "Order")),
        &body,
    )
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
        let e = (id, field.to_string(), msg);
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

//! The confirmation before an order is refunded or cancelled: what goes back (points to their
//! lots, the cash the merchant refunds, coupons the order issued, stock) and the reason, which
//! is required here and kept in the order's history and the audit log. Rendered by
//! `templates/console/order_confirm.html`; the POST is `orders::order_action`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jifen_app::AppError;
use jifen_app::commands::REASON_LEN_MAX;
use jifen_app::mall::{self, OrderUpdate, OrderView};
use jifen_domain::mall::OrderAction;

use super::orders::OrderForm;

use super::{money, state_label};
use crate::frame::{Frame, respond};
use crate::page::{L, Lang, num};
use crate::{Staff, Web};

#[derive(Template)]
#[template(path = "console/order_confirm.html")]
struct ConfirmPage {
    frame: Frame,
    order_id: i64,
    member_id: i64,
    item: String,
    quantity: i64,
    state: String,
    state_label: String,
    /// `refund` or `cancel`.
    action: &'static str,
    confirm: &'static str,
    points: String,
    cash: Option<String>,
    coupons: Vec<String>,
    stock: i64,
    form_key: String,
    reason: String,
    reason_max: usize,
    reason_error: Option<String>,
    form_error: Option<String>,
}

/// What the confirmation shows and asks for; an error about `reason` (or the form) beside it.
pub(super) struct Confirm<'a> {
    pub action: &'static str,
    pub reason: &'a str,
    pub form_key: String,
    pub error: Option<(String, String)>,
}

/// Which confirmation `action` names: refund and cancel ask for a reason, nothing else does.
pub(super) fn confirmed_action(action: &str) -> Option<&'static str> {
    match action {
        "refund" => Some("refund"),
        "cancel" => Some("cancel"),
        _ => None,
    }
}

pub(super) async fn confirm(
    State(web): State<Web>,
    st: Staff,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall order") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let Some(action) = confirmed_action(&action) else {
        return st.fail(AppError::NotFound {
            what: "page",
            id: action,
        });
    };
    let c = Confirm {
        action,
        reason: "",
        form_key: crate::forms::form_key(),
        error: None,
    };
    render_confirm(&web, &st, id, c, StatusCode::OK).await
}

/// The confirmation page of order `id`, with what was typed and its error when sent back.
pub(super) async fn render_confirm(
    web: &Web,
    st: &Staff,
    id: i64,
    c: Confirm<'_>,
    status: StatusCode,
) -> Response {
    if !st.s.role.operates() {
        return st.forbidden("orders", st.t("兑换订单", "Mall orders"));
    }
    let ctx = st.ctx.clone();
    let o: OrderView = match web.app.read(move |tx| mall::get_order(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let refund = c.action == "refund";
    let title = format!(
        "{} #{id}",
        if refund {
            st.t("确认退款", "Confirm the refund of order")
        } else {
            st.t("确认取消", "Confirm the cancellation of order")
        }
    );
    let cash_left = o.cash_minor - o.refunded_cash_minor;
    let (reason_error, form_error) = match c.error {
        Some((f, m)) if f == "reason" => (Some(m), None),
        Some((_, m)) => (None, Some(m)),
        None => (None, None),
    };
    let page = ConfirmPage {
        frame: Frame::new(st.lang, &st.s, "orders", &title),
        order_id: id,
        member_id: o.member_id,
        item: o.item_name(st.lang == Lang::En).to_string(),
        quantity: o.quantity,
        state_label: state_label(st, &o.state),
        state: o.state.clone(),
        action: c.action,
        confirm: if refund {
            st.t("确认退款", "Refund")
        } else {
            st.t("确认取消订单", "Cancel the order")
        },
        points: num(o.points - o.refunded_points),
        cash: (refund && cash_left > 0).then(|| money(st, cash_left)),
        coupons: if refund {
            o.coupons.clone().unwrap_or_default()
        } else {
            Vec::new()
        },
        stock: if refund { 0 } else { o.quantity },
        form_key: c.form_key,
        reason: c.reason.to_string(),
        reason_max: REASON_LEN_MAX,
        reason_error,
        form_error,
    };
    respond(status, &page, &st.set_lang)
}

/// A refund or cancellation sent from its confirmation: refused back to it (what was typed
/// kept, the error beside the reason or above the form) without a reason or when the use case
/// refuses; else done once per form key, and back to the order, whose history shows the reason.
pub(super) async fn act_confirmed(
    web: &Web,
    st: &Staff,
    id: i64,
    a: OrderAction,
    action: &'static str,
    f: &OrderForm,
) -> Response {
    let back = |field: &str, msg: String, status: StatusCode| {
        let c = Confirm {
            action,
            reason: &f.reason,
            form_key: if f.form_key.is_empty() {
                crate::forms::form_key()
            } else {
                f.form_key.clone()
            },
            error: Some((field.to_string(), msg)),
        };
        render_confirm(web, st, id, c, status)
    };
    if !st.s.role.operates() {
        return st.forbidden("orders", st.t("兑换订单", "Mall orders"));
    }
    if f.csrf != st.s.csrf {
        return back("form", crate::forms::expired(st).1, StatusCode::FORBIDDEN).await;
    }
    let reason = f.reason.trim().to_string();
    if reason.is_empty() {
        let msg = st.t(
            "请填写原因，它会记入订单记录和操作日志",
            "Give the reason; it is kept in the order's history and the audit log",
        );
        return back("reason", msg.into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let u = OrderUpdate {
        actor: Some(st.s.actor()),
        reason: Some(reason),
        ..Default::default()
    };
    let idem = (!f.form_key.is_empty()).then(|| {
        (
            format!("console:order:{id}:{action}:{}", f.form_key),
            serde_json::to_string(&u).unwrap_or_default(),
        )
    });
    let out = st
        .act_as(
            web,
            &format!("mall-order:{id}"),
            idem,
            move |tx, ctx, now, actor| mall::act(tx, ctx, now, actor, id, a, &u),
        )
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/orders/{id}")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = if field == "reason" { "reason" } else { "form" };
            back(field, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Ledger(_))) => {
            let (status, msg) = crate::shown_error(st.lang, &e);
            back("form", msg, status).await
        }
        Err(e) => st.fail(e),
    }
}

//! Actions on orders by the merchant's systems or staff (shipping, delivery, cancellation,
//! after-sale refunds) and the timeout of unpaid orders.

use jifen_domain::mall::{OrderAction, OrderState, transition};
use jifen_ledger::Millis;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, check_id};
use crate::{AppError, ProgramCtx};

use super::fulfilment::{event, order_row, owner, settle_payment};
use super::items::{item, parse_item};
use super::order_views::{OrderView, order_view};
use super::orders::refuse;

/// An action on an order by the merchant's systems or staff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderUpdate {
    /// Who acts: a staff account, the payment system.
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Pay: the payment system's reference.
    #[serde(default)]
    pub payment_ref: Option<String>,
    /// Ship: the carrier and tracking number.
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_no: Option<String>,
    /// Refund: points to give back (all that is left when absent) and cash the merchant
    /// refunds (reported; paid back by the merchant's payment system).
    #[serde(default)]
    pub points: Option<i64>,
    #[serde(default)]
    pub cash_minor: Option<i64>,
    /// Refund: whether the goods came back into stock.
    #[serde(default)]
    pub restock: bool,
}

fn not_allowed(o: &MallOrderRow, action: OrderAction) -> AppError {
    refuse(
        "order_state",
        format!(
            "order {} is {}; it cannot be {action:?}-ed now",
            o.id, o.state
        )
        .to_lowercase(),
        json!({"order_id": o.id, "state": o.state, "action": action}),
    )
}

/// Moves an order by `action` in `actor`'s name, audited as `mall_order.<action>` with the
/// state before and after. The order's history names `u.actor` when given (a label the
/// caller chooses, such as the clerk at the till), else `actor`.
pub fn act(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    action: OrderAction,
    u: &OrderUpdate,
) -> Result<OrderView, AppError> {
    // The state before, read under the member's lock as the action itself reads it.
    let first = order_row(tx, ctx, id)?;
    commands::books(tx, ctx, first.member)?;
    let before = order_row(tx, ctx, id)?.state;
    let mut u = u.clone();
    u.actor = u.actor.or_else(|| Some(actor.to_string()));
    let v = apply(tx, ctx, now, id, action, &u)?;
    let verb = format!("mall_order.{}", format!("{action:?}").to_lowercase());
    let target = format!("mall_order:{id}");
    // A refund or cancellation keeps its reason with the state it left the order in.
    let after = match (action, u.reason.as_deref().map(str::trim)) {
        (OrderAction::Refund | OrderAction::Cancel, Some(r)) if !r.is_empty() => {
            json!({"state": v.state, "reason": r}).to_string()
        }
        _ => v.state.clone(),
    };
    tx.audit(
        ctx.program.id,
        actor,
        &verb,
        &target,
        Some(&before),
        Some(&after),
        now,
    )?;
    Ok(v)
}

fn apply(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    action: OrderAction,
    u: &OrderUpdate,
) -> Result<OrderView, AppError> {
    if let Some(a) = &u.actor {
        check_id("actor", a)?;
    }
    commands::check_reason_pub("reason", &u.reason, false)?;
    let first = order_row(tx, ctx, id)?;
    // Lock the member, then read the order again for the decision.
    commands::books(tx, ctx, first.member)?;
    let o = order_row(tx, ctx, id)?;
    let from = OrderState::parse(&o.state)
        .ok_or_else(|| StoreError::Corrupt(format!("mall order {id} state {}", o.state)))?;
    let row = item(tx, ctx, o.item_id)?;
    let def = parse_item(&row)?;
    let ships = def.kind.ships();
    let to = transition(from, action, ships);
    let actor = u.actor.as_deref();
    match (action, to) {
        (OrderAction::Refund, _)
            if matches!(
                from,
                OrderState::Paid | OrderState::Shipped | OrderState::Delivered
            ) =>
        {
            return refund(tx, ctx, now, &o, from, u);
        }
        (_, None) => return Err(not_allowed(&o, action)),
        (OrderAction::Pay, Some(_)) => {
            if let Some(p) = &u.payment_ref {
                check_id("payment_ref", p)?;
            }
            if o.pay_deadline.is_some_and(|d| now >= d) {
                return Err(refuse(
                    "payment_too_late",
                    "the payment window has passed; the order is being released",
                    json!({"order_id": id, "pay_deadline": o.pay_deadline}),
                ));
            }
            settle_payment(tx, ctx, now, id, u.payment_ref.as_deref(), actor)?;
            event(tx, ctx, id, "mall.order.paid", now)?;
        }
        (OrderAction::Cancel | OrderAction::Timeout, Some(to)) => {
            release(tx, ctx, now, &o, from, u.reason.clone())?;
            tx.move_mall_order(
                ctx.program.id,
                id,
                from.as_str(),
                to.as_str(),
                actor,
                u.reason.as_deref(),
                now,
            )?;
            event(tx, ctx, id, &format!("mall.order.{}", to.as_str()), now)?;
        }
        (OrderAction::Ship, Some(to)) => {
            let (Some(carrier), Some(tracking)) = (&u.carrier, &u.tracking_no) else {
                return Err(AppError::invalid(
                    "tracking_no",
                    "shipping needs a carrier and a tracking number",
                ));
            };
            check_id("carrier", carrier)?;
            check_id("tracking_no", tracking)?;
            tx.set_mall_order_details(
                ctx.program.id,
                id,
                None,
                Some(carrier),
                Some(tracking),
                None,
                now,
            )?;
            tx.move_mall_order(
                ctx.program.id,
                id,
                from.as_str(),
                to.as_str(),
                actor,
                Some(&format!("{carrier} {tracking}")),
                now,
            )?;
            event(tx, ctx, id, "mall.order.shipped", now)?;
        }
        (OrderAction::Deliver, Some(to)) => {
            tx.move_mall_order(
                ctx.program.id,
                id,
                from.as_str(),
                to.as_str(),
                actor,
                u.reason.as_deref(),
                now,
            )?;
            event(tx, ctx, id, "mall.order.delivered", now)?;
        }
        (OrderAction::Refund, Some(_)) => return Err(not_allowed(&o, action)),
    }
    let o = order_row(tx, ctx, id)?;
    order_view(tx, ctx, &o)
}

/// Returns an order's points and stock: a reservation still open is voided; points already
/// posted go back to the lots they came from.
fn release(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &MallOrderRow,
    from: OrderState,
    reason: Option<String>,
) -> Result<(), AppError> {
    if let Some(r) = o.reservation_id {
        if from == OrderState::PendingPayment {
            commands::void_reservation_by(tx, ctx, now, r, reason.clone(), Some(&owner(o.id)))?;
        } else {
            commands::refund_redemption_by(
                tx,
                ctx,
                now,
                &commands::RedemptionRefund {
                    transfer_id: r,
                    amount: None,
                    reason,
                },
                Some(&owner(o.id)),
            )?;
        }
    }
    tx.return_mall_stock(ctx.program.id, o.sku_id, o.quantity, true)?;
    Ok(())
}

/// An after-sale refund, whole or partial: points back to their original lots, the cash to
/// refund recorded for the merchant. The order is refunded once nothing is left to give back.
fn refund(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &MallOrderRow,
    from: OrderState,
    u: &OrderUpdate,
) -> Result<OrderView, AppError> {
    let points_left = o.points - o.refunded_points;
    let cash_left = o.cash_minor - o.refunded_cash_minor;
    let points = u.points.unwrap_or(points_left);
    let cash = u
        .cash_minor
        .unwrap_or(if u.points.is_none() { cash_left } else { 0 });
    if !(0..=points_left).contains(&points) {
        return Err(AppError::invalid(
            "points",
            format!("must be between 0 and {points_left} (what is left to refund)"),
        ));
    }
    if !(0..=cash_left).contains(&cash) {
        return Err(AppError::invalid(
            "cash_minor",
            format!("must be between 0 and {cash_left} (what is left to refund)"),
        ));
    }
    if points == 0 && cash == 0 {
        return Err(AppError::invalid(
            "points",
            "a refund gives back points, cash or both",
        ));
    }
    // A coupon the order issued is withdrawn when the whole order is refunded, and only if unused.
    let full = points == points_left && cash == cash_left;
    let mut coupons = Vec::new();
    if full && let Some(codes) = &o.coupon_code {
        for c in codes.split(',').filter(|c| !c.is_empty()) {
            let row = tx.coupon_by_code(ctx.program.id, c)?;
            match row {
                Some(r) if r.status == "issued" => coupons.push(r.id),
                Some(r) => {
                    return Err(refuse(
                        "coupon_used",
                        format!(
                            "coupon {c} of this order is {}; refund points without it",
                            r.status
                        ),
                        json!({"coupon": c, "status": r.status}),
                    ));
                }
                None => {}
            }
        }
    }
    if points > 0
        && let Some(r) = o.reservation_id
    {
        commands::refund_redemption_by(
            tx,
            ctx,
            now,
            &commands::RedemptionRefund {
                transfer_id: r,
                amount: Some(points),
                reason: u.reason.clone(),
            },
            Some(&owner(o.id)),
        )?;
    }
    for c in coupons {
        tx.void_coupon(ctx.program.id, c)?;
    }
    tx.add_mall_order_refund(ctx.program.id, o.id, points, cash, now)?;
    if full && u.restock {
        tx.return_mall_stock(ctx.program.id, o.sku_id, o.quantity, true)?;
    }
    let note = format!(
        "refund {points} points, {cash} cash{}",
        u.reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    );
    if full {
        tx.move_mall_order(
            ctx.program.id,
            o.id,
            from.as_str(),
            "refunded",
            u.actor.as_deref(),
            Some(&note),
            now,
        )?;
    } else {
        tx.mall_order_event(
            ctx.program.id,
            o.id,
            from.as_str(),
            u.actor.as_deref(),
            Some(&note),
            now,
        )?;
    }
    tx.outbox_push(
        ctx.program.id,
        "mall.order.refunded",
        Some(o.member),
        &json!({"order_id": o.id, "member_id": o.member, "points": points, "cash_minor_to_refund": cash, "full": full})
            .to_string(),
        now,
    )?;
    let o = order_row(tx, ctx, o.id)?;
    order_view(tx, ctx, &o)
}

/// Orders one timeout step releases.
pub const TIMEOUT_STEP_ORDERS: i64 = 200;

/// Releases points + cash orders whose payment did not arrive in time: points and stock back,
/// the order timed out. Runs before the ledger's own reservation timeouts.
pub fn timeout_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let due =
        tx.mall_orders_past_deadline(ctx.program.id, now, scope.fetch(TIMEOUT_STEP_ORDERS))?;
    let due = scope.keep(due, TIMEOUT_STEP_ORDERS, |id| *id);
    if due.is_empty() {
        return Ok(None);
    }
    let mut n = 0;
    for id in due {
        scope.at(id);
        let u = OrderUpdate {
            actor: Some("system:timeout".into()),
            reason: Some("payment not received in time".into()),
            ..Default::default()
        };
        apply(tx, ctx, now, id, OrderAction::Timeout, &u)?;
        n += 1;
    }
    Ok(Some(n))
}

//! Payment and fulfilment: settling a paid order, fulfilling items that need no hands,
//! acknowledged fulfilment webhooks and presale stock arriving.

use jifen_domain::mall::{ItemDef, ItemKind};
use jifen_ledger::Millis;
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self};
use crate::{AppError, ProgramCtx};

use super::items::{item, parse_item};

/// The owner an order's reservation carries.
pub(super) fn owner(order_id: i64) -> ReservationOwner {
    ReservationOwner::MallOrder { order_id }
}

pub(super) fn order_row(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
) -> Result<MallOrderRow, AppError> {
    tx.mall_order(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "mall order",
            id: id.to_string(),
        })
}

pub(super) fn event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
    topic: &str,
    now: Millis,
) -> Result<(), AppError> {
    let o = order_row(tx, ctx, id)?;
    tx.outbox_push(
        ctx.program.id,
        topic,
        Some(o.member),
        &json!({"order_id": o.id, "member_id": o.member, "state": o.state, "points": o.points,
                "cash_minor": o.cash_minor, "refunded_points": o.refunded_points,
                "refunded_cash_minor": o.refunded_cash_minor})
        .to_string(),
        now,
    )?;
    Ok(())
}

/// The payment arrived (or nothing was owed): points posted, the order paid, and items that
/// need no hands fulfilled at once (a coupon is issued and the order delivered).
pub(super) fn settle_payment(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    payment_ref: Option<&str>,
    actor: Option<&str>,
) -> Result<(), AppError> {
    let o = order_row(tx, ctx, id)?;
    if let Some(r) = o.reservation_id {
        commands::post_reservation_by(tx, ctx, now, r, Some(&owner(o.id)))?;
    }
    let row = item(tx, ctx, o.item_id)?;
    let def = parse_item(&row)?;
    // A presale order, paid, waits for its stock.
    let to = if def.presale {
        "awaiting_stock"
    } else {
        "paid"
    };
    tx.move_mall_order(
        ctx.program.id,
        id,
        "pending_payment",
        to,
        actor,
        payment_ref,
        now,
    )?;
    if payment_ref.is_some() {
        tx.set_mall_order_details(ctx.program.id, id, payment_ref, None, None, None, now)?;
    }
    if def.presale {
        return Ok(());
    }
    fulfil_at_once(tx, ctx, now, &o, &def)
}

/// Items that need no hands are fulfilled when paid: a coupon is issued, the order delivered.
fn fulfil_at_once(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &MallOrderRow,
    def: &ItemDef,
) -> Result<(), AppError> {
    let id = o.id;
    if matches!(
        def.kind,
        ItemKind::Virtual | ItemKind::Experience | ItemKind::Partner { .. }
    ) {
        // The merchant's system delivers it: announced for the webhooks, acknowledged by a 2xx.
        let sku = tx.mall_sku(ctx.program.id, o.sku_id)?.map(|s| s.sku);
        tx.outbox_push(
            ctx.program.id,
            "mall.order.fulfil",
            Some(o.member),
            &json!({"order_id": id, "member_id": o.member, "item_id": o.item_id, "sku": sku,
                    "quantity": o.quantity, "kind": def.kind, "name_zh": def.name_zh, "name_en": def.name_en})
            .to_string(),
            now,
        )?;
        return Ok(());
    }
    if let ItemKind::Coupon { template } = def.kind.clone() {
        let mut codes = Vec::new();
        for k in 0..o.quantity {
            let c = crate::coupons::issue(
                tx,
                ctx,
                now,
                o.member,
                &template,
                &format!("mall order {id}"),
                &format!("mall:{id}:{k}"),
            )?;
            codes.push(c.code);
        }
        tx.set_mall_order_details(
            ctx.program.id,
            id,
            None,
            None,
            None,
            Some(&codes.join(",")),
            now,
        )?;
        // The history's note names the coupons given; the move to delivered says the rest.
        tx.move_mall_order(
            ctx.program.id,
            id,
            "paid",
            "delivered",
            Some("system:coupons"),
            Some(&codes.join(",")),
            now,
        )?;
    }
    Ok(())
}

/// The merchant's system acknowledged a fulfilment webhook: a paid order is delivered, with the
/// answer recorded in its history. An order that moved on meanwhile (cancelled) is left alone.
pub fn fulfilled_by_webhook(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    code: i64,
) -> Result<(), AppError> {
    if tx.move_mall_order(
        ctx.program.id,
        id,
        "paid",
        "delivered",
        Some("system:webhook"),
        Some(&format!("HTTP {code}")),
        now,
    )? {
        event(tx, ctx, id, "mall.order.delivered", now)?;
    }
    Ok(())
}

/// Stock of a presale SKU arrived: orders waiting for it are released oldest first (each moves
/// to paid, ready to ship) while the units last; units left over are added to the stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrival {
    pub quantity: i64,
}

/// What an arrival did: the orders released, oldest first, and the units added to the stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ArrivalResult {
    pub sku: String,
    /// The ids of the orders released (moved to paid), oldest first.
    pub released_orders: Vec<i64>,
    /// Units left over after the waiting orders, added to the stock.
    pub added_to_stock: i64,
    /// Units in stock now.
    pub stock: i64,
}

/// Waiting orders read per page by an arrival.
const ARRIVAL_PAGE: i64 = 500;

/// Units of a presale SKU arrived: waiting orders are released oldest first, the rest goes to
/// stock. Recorded in `actor`'s name, audited as `mall_sku.arrival`.
pub fn arrival(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    sku: &str,
    a: &Arrival,
) -> Result<ArrivalResult, AppError> {
    let max = jifen_domain::mall::STOCK_MAX;
    if !(1..=max).contains(&a.quantity) {
        return Err(AppError::invalid(
            "quantity",
            format!("must be between 1 and {max}"),
        ));
    }
    let s = tx
        .mall_sku_by_code(ctx.program.id, sku)?
        .ok_or_else(|| AppError::NotFound {
            what: "sku",
            id: sku.to_string(),
        })?;
    let mut left = a.quantity;
    let mut released = Vec::new();
    // Oldest first, a page at a time while units last (released orders leave the page).
    'pages: loop {
        let waiting =
            tx.mall_orders_of_sku(ctx.program.id, s.id, "awaiting_stock", ARRIVAL_PAGE)?;
        if waiting.is_empty() {
            break;
        }
        for o in waiting {
            if o.quantity > left {
                break 'pages;
            }
            tx.move_mall_order(
                ctx.program.id,
                o.id,
                "awaiting_stock",
                "paid",
                Some("system:arrival"),
                None,
                now,
            )?;
            event(tx, ctx, o.id, "mall.order.released", now)?;
            left -= o.quantity;
            released.push(o.id);
        }
    }
    if left > 0 {
        tx.return_mall_stock(ctx.program.id, s.id, left, false)?;
    }
    let (target, quantity) = (format!("sku:{sku}"), a.quantity.to_string());
    tx.audit(
        ctx.program.id,
        actor,
        "mall_sku.arrival",
        &target,
        None,
        Some(&quantity),
        now,
    )?;
    let s = tx.mall_sku(ctx.program.id, s.id)?.expect("sku exists");
    Ok(ArrivalResult {
        sku: s.sku,
        released_orders: released,
        added_to_stock: left,
        stock: s.stock,
    })
}

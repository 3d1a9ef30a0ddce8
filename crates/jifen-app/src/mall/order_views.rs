//! Order views: one order, and the pages of orders staff and members list.

use jifen_domain::mall::OrderState;
use jifen_ledger::MemberId;
use jifen_store::*;
use serde_json::json;

use crate::{AppError, ProgramCtx};

use super::fulfilment::order_row;
use super::items::parse_item;

pub fn order_view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    o: &MallOrderRow,
) -> Result<serde_json::Value, AppError> {
    let sku = tx.mall_sku(ctx.program.id, o.sku_id)?;
    let row = tx.mall_item(ctx.program.id, o.item_id)?;
    let def = row.as_ref().map(parse_item).transpose()?;
    let history: Vec<serde_json::Value> = tx
        .mall_order_events(ctx.program.id, o.id)?
        .into_iter()
        .map(|(state, actor, note, at)| json!({"state": state, "actor": actor, "note": note, "at": at}))
        .collect();
    Ok(json!({
        "order_id": o.id,
        "request_id": o.request_id,
        "member_id": o.member,
        "item_id": o.item_id,
        "item_name_zh": def.as_ref().map(|d| d.name_zh.clone()),
        "item_name_en": def.as_ref().map(|d| d.name_en.clone()),
        "kind": def.as_ref().map(|d| d.kind.clone()),
        "sku": sku.map(|s| s.sku),
        "quantity": o.quantity,
        "points": o.points,
        "cash_minor": o.cash_minor,
        "state": o.state,
        "reservation_id": o.reservation_id,
        "pay_deadline": o.pay_deadline,
        "payment_ref": o.payment_ref,
        "address": o.address.as_deref().and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()),
        "carrier": o.carrier,
        "tracking_no": o.tracking_no,
        "coupons": o.coupon_code.as_deref().map(|c| c.split(',').collect::<Vec<_>>()),
        "refunded_points": o.refunded_points,
        "refunded_cash_minor": o.refunded_cash_minor,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        "history": history,
    }))
}

pub fn get_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
) -> Result<serde_json::Value, AppError> {
    let o = order_row(tx, ctx, id)?;
    order_view(tx, ctx, &o)
}

pub const ORDERS_PAGE_MAX: i64 = 200;

pub fn list_orders(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: Option<MemberId>,
    state: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<serde_json::Value, AppError> {
    if let Some(s) = state
        && OrderState::parse(s).is_none()
    {
        return Err(AppError::invalid("state", "is not an order state"));
    }
    if !(1..=ORDERS_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {ORDERS_PAGE_MAX}"),
        ));
    }
    let rows = tx.mall_orders(
        ctx.program.id,
        member,
        state,
        before.unwrap_or(i64::MAX),
        limit,
    )?;
    let mut items = Vec::new();
    for r in &rows {
        items.push(order_view(tx, ctx, r)?);
    }
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(json!({"items": items, "next_before": next}))
}

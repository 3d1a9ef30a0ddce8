//! Order views: one order, and the pages of orders staff and members list.

use jifen_domain::mall::{ItemKind, OrderState};
use jifen_ledger::{MemberId, Millis};
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AppError, ProgramCtx};

use super::fulfilment::order_row;
use super::items::parse_item;
use super::orders::Address;

/// A mall order as staff, the member and the merchant's systems see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderView {
    pub order_id: i64,
    /// The caller's key for the order: a retried order with the same key returns this one.
    pub request_id: String,
    pub member_id: i64,
    pub item_id: i64,
    /// The item's names; `null` when the item is gone.
    pub item_name_zh: Option<String>,
    pub item_name_en: Option<String>,
    pub kind: Option<ItemKind>,
    /// The SKU's code; `null` when the SKU is gone.
    pub sku: Option<String>,
    pub quantity: i64,
    pub points: i64,
    pub cash_minor: i64,
    /// One of `jifen_domain::words::ORDER_STATES`.
    pub state: String,
    pub reservation_id: Option<i64>,
    /// When an order waiting for its cash payment times out (ms since the epoch).
    pub pay_deadline: Option<Millis>,
    pub payment_ref: Option<String>,
    /// The delivery address as given; `null` for items that do not ship, and once erased.
    pub address: Option<Address>,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    /// Codes of the coupons a coupon item issued.
    pub coupons: Option<Vec<String>>,
    pub refunded_points: i64,
    pub refunded_cash_minor: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Every state the order went through, oldest first.
    pub history: Vec<OrderEvent>,
}

impl OrderView {
    /// The item's name in English when `english` and there is one, else in Chinese.
    pub fn item_name(&self, english: bool) -> &str {
        let en = self.item_name_en.as_deref().unwrap_or("");
        if english && !en.is_empty() {
            en
        } else {
            self.item_name_zh.as_deref().unwrap_or("")
        }
    }

    /// Whether the item is goods that ship to an address.
    pub fn ships(&self) -> bool {
        matches!(self.kind, Some(ItemKind::Physical))
    }
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderEvent {
    pub state: String,
    /// Who moved it (`member`, `staff:<login>`, `api_key:<id>`...); `null` for the system.
    pub actor: Option<String>,
    pub note: Option<String>,
    pub at: Millis,
}

/// A page of orders, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrdersPage {
    pub items: Vec<OrderView>,
    /// The `before` of the next page; `null` on the last.
    pub next_before: Option<i64>,
}

pub fn order_view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    o: &MallOrderRow,
) -> Result<OrderView, AppError> {
    let sku = tx.mall_sku(ctx.program.id, o.sku_id)?;
    let row = tx.mall_item(ctx.program.id, o.item_id)?;
    let def = row.as_ref().map(parse_item).transpose()?;
    let history = tx
        .mall_order_events(ctx.program.id, o.id)?
        .into_iter()
        .map(|(state, actor, note, at)| OrderEvent {
            state,
            actor,
            note,
            at,
        })
        .collect();
    Ok(OrderView {
        order_id: o.id,
        request_id: o.request_id.clone(),
        member_id: o.member.0,
        item_id: o.item_id,
        item_name_zh: def.as_ref().map(|d| d.name_zh.clone()),
        item_name_en: def.as_ref().map(|d| d.name_en.clone()),
        kind: def.as_ref().map(|d| d.kind.clone()),
        sku: sku.map(|s| s.sku),
        quantity: o.quantity,
        points: o.points,
        cash_minor: o.cash_minor,
        state: o.state.clone(),
        reservation_id: o.reservation_id,
        pay_deadline: o.pay_deadline,
        payment_ref: o.payment_ref.clone(),
        address: o
            .address
            .as_deref()
            .and_then(|a| serde_json::from_str::<Address>(a).ok()),
        carrier: o.carrier.clone(),
        tracking_no: o.tracking_no.clone(),
        coupons: o
            .coupon_code
            .as_deref()
            .map(|c| c.split(',').map(str::to_string).collect()),
        refunded_points: o.refunded_points,
        refunded_cash_minor: o.refunded_cash_minor,
        created_at: o.created_at,
        updated_at: o.updated_at,
        history,
    })
}

pub fn get_order(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<OrderView, AppError> {
    let o = order_row(tx, ctx, id)?;
    order_view(tx, ctx, &o)
}

pub const ORDERS_PAGE_MAX: i64 = 200;

fn check_limit(limit: i64) -> Result<(), AppError> {
    if !(1..=ORDERS_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {ORDERS_PAGE_MAX}"),
        ));
    }
    Ok(())
}

pub fn list_orders(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: Option<MemberId>,
    state: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<OrdersPage, AppError> {
    if let Some(s) = state
        && OrderState::parse(s).is_none()
    {
        return Err(AppError::invalid("state", "is not an order state"));
    }
    check_limit(limit)?;
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
    Ok(OrdersPage {
        items,
        next_before: next,
    })
}

/// The orders staff look for by what a member or a parcel shows: the order number (`#` allowed),
/// the tracking number, or the member's phone; newest first, at most `limit`.
pub fn search_orders(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    q: &str,
    limit: i64,
) -> Result<OrdersPage, AppError> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 64 {
        return Err(AppError::invalid("q", "between 1 and 64 characters"));
    }
    check_limit(limit)?;
    let program = ctx.program.id;
    let mut rows = Vec::new();
    if let Ok(id) = q.trim_start_matches('#').parse::<i64>()
        && let Some(o) = tx.mall_order(program, id)?
    {
        rows.push(o);
    }
    rows.extend(tx.mall_orders_by_tracking(program, q, limit)?);
    for m in tx.members_by_phone(program, q, limit)? {
        rows.extend(tx.mall_orders(program, Some(m), None, i64::MAX, limit)?);
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    rows.dedup_by_key(|r| r.id);
    rows.truncate(limit as usize);
    let mut items = Vec::new();
    for r in &rows {
        items.push(order_view(tx, ctx, r)?);
    }
    Ok(OrdersPage {
        items,
        next_before: None,
    })
}

//! Placing orders: points reserved on the ledger and stock taken in one transaction.

use jifen_domain::mall::{ItemDef, OrderState};
use jifen_ledger::{Millis, TransferId};
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef, check_id};
use crate::{AppError, ProgramCtx};

use super::catalog::{audience_refusal, member_price};
use super::fulfilment::{event, order_row, owner, settle_payment};
use super::items::{item, parse_item};
use super::order_views::{OrderView, order_view};
use super::renewal::alternatives;

/// How long a points + cash order waits for its payment by default (the programme may set its
/// own, `PaymentSettings::pay_window_minutes`), and at most.
pub const PAY_WINDOW_DEFAULT_SECONDS: i64 = super::payment::PAY_WINDOW_MINUTES_DEFAULT * 60;
pub const PAY_WINDOW_MAX_SECONDS: i64 = 24 * 3600;

/// A member ordering a SKU. `request_id` makes a retry return the first order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    pub member: MemberRef,
    pub sku: String,
    #[serde(default = "one")]
    pub quantity: i64,
    pub request_id: String,
    /// Required for physical goods.
    #[serde(default)]
    pub address: Option<Address>,
    /// Seconds the cash payment may take (points + cash orders); the programme's payment
    /// window (`PaymentSettings::pay_window_minutes`) when absent.
    #[serde(default)]
    pub pay_within_seconds: Option<i64>,
}

fn one() -> i64 {
    1
}

/// Where goods ship to: the name and phone of who receives them, the street address, city and
/// postcode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub phone: String,
    pub line: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postcode: String,
}

impl Address {
    /// Whether `phone` is a mainland mobile number: 11 digits starting with 1, read past the
    /// spaces and hyphens people type between groups and a leading +86.
    pub fn mainland_mobile(phone: &str) -> bool {
        let digits: String = phone
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let digits = digits.strip_prefix("+86").unwrap_or(&digits);
        digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit())
    }

    fn validate(&self) -> Result<(), AppError> {
        for (f, v, max) in [
            ("address.name", &self.name, 40),
            ("address.phone", &self.phone, 20),
            ("address.line", &self.line, 200),
        ] {
            if v.trim().is_empty() || v.chars().count() > max {
                return Err(AppError::invalid(
                    f,
                    format!("is required, at most {max} characters"),
                ));
            }
        }
        if !self
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
        {
            return Err(AppError::invalid(
                "address.phone",
                "digits, +, - and spaces only",
            ));
        }
        if !Self::mainland_mobile(&self.phone) {
            return Err(AppError::invalid(
                "address.phone",
                "a mainland mobile number: 11 digits starting with 1",
            ));
        }
        for (f, v) in [
            ("address.city", &self.city),
            ("address.postcode", &self.postcode),
        ] {
            if v.chars().count() > 40 {
                return Err(AppError::invalid(f, "at most 40 characters"));
            }
        }
        Ok(())
    }
}

pub(super) fn refuse(
    code: &'static str,
    message: impl Into<String>,
    details: serde_json::Value,
) -> AppError {
    AppError::conflict(code, message, details)
}

pub fn place_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &PlaceOrder,
) -> Result<OrderView, AppError> {
    let window = match check_order(o)? {
        Some(w) => w,
        None => super::payment::window_seconds(tx, ctx)?,
    };
    // The member is locked first: their orders are decided one at a time (limits, balance).
    let (member, _) = commands::resolve_locked(tx, ctx, &o.member)?;
    if let Some(existing) = tx.mall_order_by_request(ctx.program.id, member.id, &o.request_id)? {
        return order_view(tx, ctx, &existing);
    }
    let sku = tx
        .mall_sku_by_code(ctx.program.id, &o.sku)?
        .ok_or_else(|| AppError::NotFound {
            what: "sku",
            id: o.sku.clone(),
        })?;
    let row = item(tx, ctx, sku.item_id)?;
    let def = parse_item(&row)?;
    check_may_buy(tx, ctx, now, o, &member, &row, &def)?;
    check_stock(tx, ctx, o, &row, &def, &sku)?;
    // The member pays their tier's member price (会员价), as the catalog showed it.
    let price_pct = {
        let tier = crate::tiers::tier_code(tx, ctx, member.id, now)?;
        crate::tiers::benefits_of(ctx, &tier).member_price_pct
    };
    let points = member_price(price_pct, sku.points) * o.quantity;
    let cash = member_price(price_pct, sku.cash_minor) * o.quantity;
    // Too few points is refused by the ledger's reservation, before it writes anything.
    // The writes: the points reserved (held until the payment or its deadline), the stock.
    let deadline = now + window * 1000;
    let reservation = reserve_points(tx, ctx, now, o, &member, &def, points, window)?;
    if !tx.take_mall_stock(ctx.program.id, sku.id, o.quantity)? {
        return Err(refuse("sold_out", "sold out", json!({"sku": sku.sku})));
    }
    let state = if cash > 0 {
        OrderState::PendingPayment
    } else {
        OrderState::Paid
    };
    let address = o
        .address
        .as_ref()
        .map(|a| serde_json::to_string(a).expect("address serializes"));
    let id = tx.insert_mall_order(
        ctx.program.id,
        &NewMallOrder {
            member: member.id,
            request_id: &o.request_id,
            item_id: row.id,
            sku_id: sku.id,
            quantity: o.quantity,
            points,
            cash_minor: cash,
            state: OrderState::PendingPayment.as_str(),
            reservation_id: reservation,
            pay_deadline: (cash > 0).then_some(deadline),
            address: address.as_deref(),
        },
        now,
    )?;
    if let Some(r) = reservation {
        // The order's points move only through the order from now on.
        tx.set_reservation_owner(ctx.program.id, TransferId(r), &owner(id))?;
    }
    tx.mall_order_event(
        ctx.program.id,
        id,
        OrderState::PendingPayment.as_str(),
        None,
        None,
        now,
    )?;
    if state == OrderState::Paid {
        settle_payment(tx, ctx, now, id, None, None)?;
    }
    event(tx, ctx, id, "mall.order.placed", now)?;
    let o = order_row(tx, ctx, id)?;
    order_view(tx, ctx, &o)
}

/// Checks an order's fields; returns the payment window it names, in seconds.
fn check_order(o: &PlaceOrder) -> Result<Option<i64>, AppError> {
    o.member.validate()?;
    check_id("request_id", &o.request_id)?;
    check_id("sku", &o.sku)?;
    if !(1..=jifen_domain::mall::QUANTITY_MAX).contains(&o.quantity) {
        return Err(AppError::invalid(
            "quantity",
            format!("must be between 1 and {}", jifen_domain::mall::QUANTITY_MAX),
        ));
    }
    if let Some(window) = o.pay_within_seconds
        && !(60..=PAY_WINDOW_MAX_SECONDS).contains(&window)
    {
        return Err(AppError::invalid(
            "pay_within_seconds",
            format!("must be between 60 and {PAY_WINDOW_MAX_SECONDS}"),
        ));
    }
    Ok(o.pay_within_seconds)
}

/// Refuses an order the member may not place: an item not on sale or not for this member now,
/// goods that ship without an address, or a limit per member reached.
fn check_may_buy(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &PlaceOrder,
    member: &Member,
    row: &ItemRow,
    def: &ItemDef,
) -> Result<(), AppError> {
    if row.status != "on_sale" {
        return Err(refuse(
            "not_on_sale",
            "this item is not on sale",
            json!({"item_id": row.id}),
        ));
    }
    if let Some((code, msg)) = audience_refusal(tx, ctx, def, member, now)? {
        return Err(refuse(code, msg, json!({"item_id": row.id})));
    }
    if def.kind.ships() {
        match &o.address {
            Some(a) => a.validate()?,
            None => {
                return Err(AppError::invalid(
                    "address",
                    "is required for goods that ship",
                ));
            }
        }
    }
    // Limits per member: a flash sale allows one in all.
    if let Some(l) = def.lifetime_limit() {
        let had = tx.mall_units_bought(ctx.program.id, member.id, row.id, 0)?;
        if had + o.quantity > l as i64 {
            return Err(refuse(
                "limit_reached",
                format!("one member may have {l} of this item; you have {had}"),
                json!({"item_id": row.id, "limit": l, "bought": had}),
            ));
        }
    }
    if let Some(l) = def.limits.per_day {
        let had = tx.mall_units_bought(
            ctx.program.id,
            member.id,
            row.id,
            crate::day_start(now, &ctx.tz),
        )?;
        if had + o.quantity > l as i64 {
            return Err(refuse(
                "limit_reached",
                format!("one member may have {l} of this item a day; you have {had} today"),
                json!({"item_id": row.id, "per_day": l, "bought_today": had}),
            ));
        }
    }
    Ok(())
}

/// Refuses an order the SKU's stock cannot cover, suggesting alternatives.
fn check_stock(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    o: &PlaceOrder,
    row: &ItemRow,
    def: &ItemDef,
    sku: &SkuRow,
) -> Result<(), AppError> {
    if sku.stock < o.quantity {
        // Flash sales answer at once; other items suggest what to take instead.
        let alternatives = if def.flash_sale {
            Vec::new()
        } else {
            alternatives(tx, ctx, row.id, sku.points)?
        };
        return Err(refuse(
            "sold_out",
            if sku.stock == 0 {
                "sold out".to_string()
            } else {
                format!("only {} left", sku.stock)
            },
            json!({"sku": sku.sku, "stock": sku.stock, "alternatives": alternatives}),
        ));
    }
    Ok(())
}

/// Reserves the order's points on the ledger, if it costs any; returns the reservation.
fn reserve_points(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &PlaceOrder,
    member: &Member,
    def: &ItemDef,
    points: i64,
    window: i64,
) -> Result<Option<i64>, AppError> {
    let reservation = if points > 0 {
        let r = commands::reserve(
            tx,
            ctx,
            now,
            &commands::Reserve {
                member: MemberRef::Id {
                    member_id: member.id.0,
                },
                amount: points,
                // The line's code says what it is; the reason names what was bought.
                reason: Some(format!("{} ×{}", def.name_zh, o.quantity)),
                order_ref: Some(format!("mall:{}:{}", member.id, o.request_id)),
                // Longer than the payment window: the mall's own timeout releases it first.
                ttl_seconds: Some(window + 3600),
                // Given to the order once it is numbered, below.
                owner: None,
            },
        )?;
        Some(r.reservation_id.0)
    } else {
        None
    };
    Ok(reservation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_phone(phone: &str) -> Result<(), AppError> {
        Address {
            name: "李雷".into(),
            phone: phone.into(),
            line: "建国路88号".into(),
            city: String::new(),
            postcode: String::new(),
        }
        .validate()
    }

    #[test]
    fn a_shipping_phone_is_a_mainland_mobile_number() {
        for ok in [
            "13900000000",
            "139 0000 0000",
            "139-0000-0000",
            "+86 13900000000",
        ] {
            assert!(with_phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "12345",
            "1390000000",
            "139000000001",
            "23900000000",
            "+1 5550000000",
        ] {
            match with_phone(bad) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "address.phone", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}

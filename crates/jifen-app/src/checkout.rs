//! Points deduction at the merchant's checkout (积分抵扣): how many points an order may use and
//! what they are worth, under the programme's ratio (or the member's tier ratio), a share cap and
//! optional ladders; then the points are reserved with the order, for the programme's hold time.
//! The merchant posts the deduction when the order is paid, voids it when it is not, and refunds
//! it (in part or in whole, to the original lots) through the deduction's own endpoints.

use jifen_ledger::{MemberId, Millis, PointType};
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef, RedemptionRefundResult, ReservationView, check_id};
use crate::{AppError, ProgramCtx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutLadder {
    /// From this order total (in minor units)...
    pub min_order_minor: i64,
    /// ...at most this many points (满100可抵1000积分).
    pub max_points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSettings {
    /// Points worth one currency unit (100 = 100 points for 1 yuan); a tier may set its own.
    pub points_per_unit: i64,
    /// The largest share of an order points may pay, in percent.
    pub max_share_pct: u32,
    /// Orders below this total use no points.
    #[serde(default)]
    pub min_order_minor: i64,
    /// When given, an order may use at most the points of the highest ladder it reaches (and
    /// none below the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ladders: Vec<CheckoutLadder>,
    /// How long a deduction holds the points before the jobs give them back unless the
    /// merchant posts it (default 30 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_seconds: Option<i64>,
}

impl CheckoutSettings {
    pub fn validate(&self) -> Result<(), AppError> {
        if !(1..=100_000).contains(&self.points_per_unit) {
            return Err(AppError::invalid(
                "points_per_unit",
                "must be between 1 and 100000",
            ));
        }
        if !(1..=100).contains(&self.max_share_pct) {
            return Err(AppError::invalid(
                "max_share_pct",
                "must be between 1 and 100",
            ));
        }
        let max = commands::MONEY_MINOR_MAX;
        if !(0..=max).contains(&self.min_order_minor) {
            return Err(AppError::invalid(
                "min_order_minor",
                format!("must be between 0 and {max}"),
            ));
        }
        if let Some(h) = self.hold_seconds
            && !(60..=commands::RESERVATION_TTL_MAX_SECONDS).contains(&h)
        {
            return Err(AppError::invalid(
                "hold_seconds",
                format!(
                    "must be between 60 and {}",
                    commands::RESERVATION_TTL_MAX_SECONDS
                ),
            ));
        }
        for (i, l) in self.ladders.iter().enumerate() {
            if !(0..=max).contains(&l.min_order_minor) {
                return Err(AppError::invalid(
                    format!("ladders[{i}].min_order_minor"),
                    format!("must be between 0 and {max}"),
                ));
            }
            if !(1..=jifen_ledger::POINTS_PER_OPERATION_MAX).contains(&l.max_points) {
                return Err(AppError::invalid(
                    format!("ladders[{i}].max_points"),
                    "must be positive",
                ));
            }
            if i > 0 && l.min_order_minor <= self.ladders[i - 1].min_order_minor {
                return Err(AppError::invalid(
                    format!("ladders[{i}].min_order_minor"),
                    "ladders must rise",
                ));
            }
        }
        Ok(())
    }
}

pub fn settings(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<Option<CheckoutSettings>, AppError> {
    match tx.checkout_settings(ctx.program.id)? {
        Some(s) => Ok(Some(serde_json::from_str(&s).map_err(|e| {
            StoreError::Corrupt(format!("checkout settings: {e}"))
        })?)),
        None => Ok(None),
    }
}

pub fn put_settings(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &CheckoutSettings,
) -> Result<CheckoutSettings, AppError> {
    s.validate()?;
    let text = serde_json::to_string(s).expect("settings serialize");
    tx.put_checkout_settings(ctx.program.id, &text, now)?;
    Ok(s.clone())
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// What an order of `total` may use, for a member with `available` points: (points, worth in
/// minor units, the ratio used, what limited it). Points come in steps that are worth whole
/// minor units, so the worth is exact.
pub fn allowance(
    s: &CheckoutSettings,
    ratio: i64,
    total: i64,
    available: i64,
) -> (i64, i64, &'static str) {
    if total < s.min_order_minor {
        return (0, 0, "below_min_order");
    }
    let step = ratio / gcd(ratio, 100);
    let cap_minor = (total as i128 * s.max_share_pct as i128 / 100) as i64;
    let by_share = (cap_minor as i128 * ratio as i128 / 100) as i64;
    let mut points = by_share;
    let mut limit = "max_share";
    if !s.ladders.is_empty() {
        let ladder = s
            .ladders
            .iter()
            .rev()
            .find(|l| total >= l.min_order_minor)
            .map_or(0, |l| l.max_points);
        if ladder < points {
            points = ladder;
            limit = "ladder";
        }
    }
    if available < points {
        points = available.max(0);
        limit = "balance";
    }
    let points = points / step * step;
    (points, points * 100 / ratio, limit)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    pub member: MemberRef,
    /// The order's total in minor units.
    pub order_total_minor: i64,
}

fn ratio_for(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    s: &CheckoutSettings,
    member: MemberId,
    now: Millis,
) -> Result<i64, AppError> {
    let tier = crate::tiers::tier_code(tx, ctx, member, now)?;
    Ok(crate::tiers::benefits_of(ctx, &tier)
        .checkout_points_per_unit
        .unwrap_or(s.points_per_unit))
}

fn configured(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<CheckoutSettings, AppError> {
    settings(tx, ctx)?.ok_or_else(|| AppError::NotFound {
        what: "checkout settings",
        id: ctx.program.code.clone(),
    })
}

fn check_total(total: i64) -> Result<(), AppError> {
    let max = commands::MONEY_MINOR_MAX;
    if !(1..=max).contains(&total) {
        return Err(AppError::invalid(
            "order_total_minor",
            format!("must be between 1 and {max}"),
        ));
    }
    Ok(())
}

pub fn quote(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    q: &Quote,
) -> Result<CheckoutQuoteView, AppError> {
    q.member.validate()?;
    check_total(q.order_total_minor)?;
    let s = configured(tx, ctx)?;
    let m = commands::resolve(tx, ctx, &q.member)?;
    let available = crate::views::balance(tx, ctx, m.id, PointType::Points, now, 0)?.available;
    let ratio = ratio_for(tx, ctx, &s, m.id, now)?;
    let (points, worth, limit) = allowance(&s, ratio, q.order_total_minor, available);
    Ok(CheckoutQuoteView {
        member_id: m.id,
        order_total_minor: q.order_total_minor,
        available_points: available,
        points_per_unit: ratio,
        max_points: points,
        worth_minor: worth,
        limited_by: limit.to_string(),
        step_points: ratio / gcd(ratio, 100),
    })
}

/// What an order may use at checkout: the answer to a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckoutQuoteView {
    /// The member.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The order's total in minor units.
    pub order_total_minor: i64,
    /// The member's spendable points.
    pub available_points: i64,
    /// Points worth one currency unit for this member (the tier's ratio when it has one).
    pub points_per_unit: i64,
    /// The most points the order may use.
    pub max_points: i64,
    /// What those points are worth, in minor units.
    pub worth_minor: i64,
    /// What limits them: `below_min_order`, `ladder`, `max_share` or `balance`.
    pub limited_by: String,
    /// Points come in multiples of this, each worth whole minor units.
    pub step_points: i64,
}

/// A checkout deduction: points reserved against the merchant's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckoutDeductionView {
    /// The member.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The merchant's order.
    pub order_id: String,
    /// The points reserved.
    pub points: i64,
    /// What they are worth, in minor units.
    pub worth_minor: i64,
    /// The deduction's id: post, void or refund it with it.
    #[schemars(with = "i64")]
    pub reservation_id: jifen_ledger::TransferId,
    /// When the points go back unless the deduction is posted.
    pub expires_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deduction {
    pub member: MemberRef,
    pub order_id: String,
    pub order_total_minor: i64,
    pub points: i64,
}

/// Reserves points against an order, within the allowance. The answer's `reservation_id` is
/// the deduction's id: posted when the order is paid (`POST /checkout/deductions/{id}/post`),
/// voided if not (`.../void`), and refunded in part or whole (`.../refunds`). The plain
/// reservation and spend-refund endpoints refuse it, so the deduction is settled one way only.
pub fn deduct(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    d: &Deduction,
) -> Result<CheckoutDeductionView, AppError> {
    d.member.validate()?;
    check_id("order_id", &d.order_id)?;
    check_total(d.order_total_minor)?;
    let s = configured(tx, ctx)?;
    let (m, _) = commands::resolve_locked(tx, ctx, &d.member)?;
    let available = crate::views::balance(tx, ctx, m.id, PointType::Points, now, 0)?.available;
    let ratio = ratio_for(tx, ctx, &s, m.id, now)?;
    let (max, _, limit) = allowance(&s, ratio, d.order_total_minor, available);
    let step = ratio / gcd(ratio, 100);
    if d.points <= 0 || d.points > max {
        return Err(AppError::conflict(
            "deduction_not_allowed",
            format!("this order may use at most {max} points (limited by {limit})"),
            json!({"max_points": max, "limited_by": limit}),
        ));
    }
    if d.points % step != 0 {
        return Err(AppError::invalid(
            "points",
            format!("must be a multiple of {step} (worth whole fen)"),
        ));
    }
    let r = commands::reserve(
        tx,
        ctx,
        now,
        &commands::Reserve {
            member: MemberRef::Id { member_id: m.id.0 },
            amount: d.points,
            reason: Some(format!("积分抵扣 checkout deduction, order {}", d.order_id)),
            order_ref: Some(d.order_id.clone()),
            ttl_seconds: s.hold_seconds,
            owner: Some(ReservationOwner::Checkout {
                order_id: d.order_id.clone(),
            }),
        },
    )?;
    Ok(CheckoutDeductionView {
        member_id: m.id,
        order_id: d.order_id.clone(),
        points: d.points,
        worth_minor: d.points * 100 / ratio,
        reservation_id: r.reservation_id,
        expires_at: r.expires_at,
    })
}

/// The deduction a reservation id names, as its owner: anything else is not found here.
fn deduction_owner(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
) -> Result<ReservationOwner, AppError> {
    match tx.reservation(ctx.program.id, jifen_ledger::TransferId(id))? {
        Some(Reservation {
            owner: Some(o @ ReservationOwner::Checkout { .. }),
            ..
        }) => Ok(o),
        _ => Err(AppError::NotFound {
            what: "checkout deduction",
            id: id.to_string(),
        }),
    }
}

/// The merchant's order was paid: the deduction's points are spent.
pub fn post_deduction(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
) -> Result<ReservationView, AppError> {
    let owner = deduction_owner(tx, ctx, id)?;
    commands::post_reservation_by(tx, ctx, now, id, Some(&owner))
}

/// The merchant's order was not paid: the points go back to their lots.
pub fn void_deduction(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    reason: Option<String>,
) -> Result<ReservationView, AppError> {
    let owner = deduction_owner(tx, ctx, id)?;
    commands::void_reservation_by(tx, ctx, now, id, reason, Some(&owner))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionRefund {
    /// Points to give back; all that is left when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The merchant refunded (part of) a paid order: points back to the lots they came from.
pub fn refund_deduction(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    r: &DeductionRefund,
) -> Result<RedemptionRefundResult, AppError> {
    let owner = deduction_owner(tx, ctx, id)?;
    commands::refund_redemption_by(
        tx,
        ctx,
        now,
        &commands::RedemptionRefund {
            transfer_id: id,
            amount: r.amount,
            reason: r.reason.clone(),
        },
        Some(&owner),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ladders: Vec<CheckoutLadder>) -> CheckoutSettings {
        CheckoutSettings {
            points_per_unit: 100,
            max_share_pct: 30,
            min_order_minor: 0,
            ladders,
            hold_seconds: None,
        }
    }

    #[test]
    fn the_share_cap_ladders_and_balance_limit_the_points() {
        // 100 yuan, 30% = 30 yuan = 3,000 points.
        assert_eq!(
            allowance(&s(vec![]), 100, 10_000, 100_000),
            (3_000, 3_000, "max_share")
        );
        assert_eq!(
            allowance(&s(vec![]), 100, 10_000, 1_234),
            (1_234, 1_234, "balance")
        );
        let ladders = vec![
            CheckoutLadder {
                min_order_minor: 10_000,
                max_points: 1_000,
            },
            CheckoutLadder {
                min_order_minor: 20_000,
                max_points: 3_000,
            },
        ];
        assert_eq!(
            allowance(&s(ladders.clone()), 100, 9_999, 100_000),
            (0, 0, "ladder")
        );
        assert_eq!(
            allowance(&s(ladders.clone()), 100, 15_000, 100_000),
            (1_000, 1_000, "ladder")
        );
        assert_eq!(
            allowance(&s(ladders), 100, 20_000, 100_000),
            (3_000, 3_000, "ladder")
        );
        // A tier ratio of 80 points per yuan: steps of 4 points = 5 fen, exact.
        let (p, w, _) = allowance(&s(vec![]), 80, 10_000, 1_003);
        assert_eq!((p, w), (1_000, 1_250));
    }
}

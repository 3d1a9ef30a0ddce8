//! Spending and reservations: spending points at once, or reserving them and later posting,
//! voiding or refunding the redemption.

use jifen_ledger::ops::{self, Refs, RestoreOutcome};
use jifen_ledger::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, ProgramCtx};

use super::answers::{Draw, RedemptionRefundResult, ReservationView, SpendResult};
use super::checks::{check_id, check_reason, points};
use super::resolve::{MemberRef, book, refuse_frozen, resolve_locked};
use super::{RESERVATION_TTL_DEFAULT_SECONDS, RESERVATION_TTL_MAX_SECONDS};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    pub member: MemberRef,
    pub amount: i64,
    pub reason: Option<String>,
    /// The merchant's reference (a mall order, a checkout).
    #[serde(default)]
    pub order_ref: Option<String>,
}

impl Spend {
    pub fn validate(&self) -> Result<(), AppError> {
        self.member.validate()?;
        points("amount", self.amount)?;
        check_reason("reason", &self.reason, false)?;
        if let Some(o) = &self.order_ref {
            check_id("order_ref", o)?;
        }
        Ok(())
    }
}

pub fn spend(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &Spend,
) -> Result<SpendResult, AppError> {
    s.validate()?;
    let (member, [b, _]) = resolve_locked(tx, ctx, &s.member)?;
    refuse_frozen(&member)?;
    let lots = tx.spendable_lots(b.balance, now)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: s.order_ref.clone(),
        reason: s.reason.clone(),
        actor: None,
    };
    let sink = ctx.system.get(SystemAccount::Redemption, PointType::Points);
    let (_, draws) = ops::spend(
        &mut posting,
        &lots,
        &b,
        sink,
        points("amount", s.amount)?,
        code::REDEMPTION,
        Phase::Posted,
        &refs,
        now,
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    Ok(SpendResult {
        transfer_id: applied.transfers[0],
        member_id: member.id,
        amount: s.amount,
        draws: draws
            .iter()
            .map(|&(lot_id, amount)| Draw { lot_id, amount })
            .collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserve {
    pub member: MemberRef,
    pub amount: i64,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub order_ref: Option<String>,
    /// Seconds until an unsettled reservation is voided by the jobs.
    #[serde(default)]
    pub ttl_seconds: Option<i64>,
    /// Set by the use cases that reserve for an object of their own (a checkout deduction);
    /// never read from a request.
    #[serde(skip)]
    pub owner: Option<ReservationOwner>,
}

pub fn reserve(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &Reserve,
) -> Result<ReservationView, AppError> {
    Spend {
        member: r.member.clone(),
        amount: r.amount,
        reason: r.reason.clone(),
        order_ref: r.order_ref.clone(),
    }
    .validate()?;
    let ttl = r.ttl_seconds.unwrap_or(RESERVATION_TTL_DEFAULT_SECONDS);
    if !(1..=RESERVATION_TTL_MAX_SECONDS).contains(&ttl) {
        return Err(AppError::invalid(
            "ttl_seconds",
            format!("must be between 1 and {RESERVATION_TTL_MAX_SECONDS}"),
        ));
    }
    let (member, [b, _]) = resolve_locked(tx, ctx, &r.member)?;
    refuse_frozen(&member)?;
    let lots = tx.spendable_lots(b.balance, now)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: r.order_ref.clone(),
        reason: r.reason.clone(),
        actor: None,
    };
    let sink = ctx.system.get(SystemAccount::Redemption, PointType::Points);
    ops::spend(
        &mut posting,
        &lots,
        &b,
        sink,
        points("amount", r.amount)?,
        code::RESERVATION,
        Phase::Pending,
        &refs,
        now,
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    let res = Reservation {
        program: ctx.program.id,
        transfer: applied.transfers[0],
        member: member.id,
        amount: r.amount,
        state: ReservationState::Open,
        expires_at: now + ttl * 1000,
        order_ref: r.order_ref.clone(),
        created_at: now,
        owner: r.owner.clone(),
    };
    tx.insert_reservation(&res)?;
    Ok(reservation_view(&res))
}

fn reservation_view(r: &Reservation) -> ReservationView {
    ReservationView {
        reservation_id: r.transfer,
        member_id: r.member,
        amount: r.amount,
        state: r.state,
        expires_at: r.expires_at,
        order_ref: r.order_ref.clone(),
        returned_expired: None,
    }
}

/// Refuses to move a reservation that belongs to another object than the caller: points a mall
/// order or a checkout deduction holds move only through that order or deduction, so that its
/// state, its stock and its points never disagree.
fn check_owner(res: &Reservation, by: Option<&ReservationOwner>) -> Result<(), AppError> {
    if res.owner.as_ref() == by {
        return Ok(());
    }
    let id = res.transfer.0;
    Err(match &res.owner {
        Some(ReservationOwner::MallOrder { order_id }) => AppError::conflict(
            "reservation_owned",
            format!(
                "reservation {id} belongs to mall order {order_id}; cancel or refund the order \
                 (POST /api/v1/mall/orders/{order_id}/cancel or /refund)"
            ),
            json!({"reservation_id": id, "owner": {"kind": "mall_order", "order_id": order_id}}),
        ),
        Some(ReservationOwner::Checkout { order_id }) => AppError::conflict(
            "reservation_owned",
            format!(
                "reservation {id} belongs to the checkout deduction of order {order_id}; settle it \
                 through POST /api/v1/checkout/deductions/{id}/post, /void or /refunds"
            ),
            json!({"reservation_id": id, "owner": {"kind": "checkout", "order_id": order_id}}),
        ),
        None => AppError::conflict(
            "reservation_not_owned",
            format!("reservation {id} was made through the reservation API; settle it there"),
            json!({"reservation_id": id, "owner": null}),
        ),
    })
}

fn open_reservation(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
    by: Option<&ReservationOwner>,
) -> Result<(Reservation, ops::TransferInfo), AppError> {
    let res = tx
        .reservation(ctx.program.id, TransferId(id))?
        .ok_or_else(|| AppError::NotFound {
            what: "reservation",
            id: id.to_string(),
        })?;
    // Lock the member before reading the reservation's state for the decision.
    book(tx, ctx, res.member, PointType::Points)?;
    let res = tx
        .reservation(ctx.program.id, TransferId(id))?
        .expect("reservation still exists");
    check_owner(&res, by)?;
    if res.state != ReservationState::Open {
        return Err(AppError::conflict(
            "reservation_not_open",
            format!("reservation {id} is already {}", res.state.as_str()),
            json!({"reservation_id": id, "state": res.state}),
        ));
    }
    let t = tx
        .transfer(ctx.program.id, res.transfer)?
        .ok_or_else(|| StoreError::Corrupt(format!("reservation {id} has no transfer")))?;
    Ok((res, t))
}

/// Posts a reservation made through the reservation API (one with an owner is refused).
pub fn post_reservation(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
) -> Result<ReservationView, AppError> {
    post_reservation_by(tx, ctx, now, id, None)
}

/// Posts a reservation on behalf of its owner (`None`: the reservation API).
pub fn post_reservation_by(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    by: Option<&ReservationOwner>,
) -> Result<ReservationView, AppError> {
    let (mut res, t) = open_reservation(tx, ctx, id, by)?;
    let draws: Vec<(LotId, i64)> = tx
        .draws(t.id)?
        .into_iter()
        .map(|(l, a)| (l.id, a))
        .collect();
    let mut posting = Posting::default();
    ops::post_reservation(&mut posting, &t, &draws, &Refs::default());
    tx.set_reservation_state(ctx.program.id, res.transfer, ReservationState::Posted)?;
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    res.state = ReservationState::Posted;
    Ok(reservation_view(&res))
}

/// Voids a reservation made through the reservation API (one with an owner is refused).
pub fn void_reservation(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    reason: Option<String>,
) -> Result<ReservationView, AppError> {
    void_reservation_by(tx, ctx, now, id, reason, None)
}

/// Voids a reservation on behalf of its owner (`None`: the reservation API).
pub fn void_reservation_by(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    reason: Option<String>,
    by: Option<&ReservationOwner>,
) -> Result<ReservationView, AppError> {
    check_reason("reason", &reason, false)?;
    let (mut res, t) = open_reservation(tx, ctx, id, by)?;
    let draws = tx.draws(t.id)?;
    let mut posting = Posting::default();
    let expiry = ctx.system.get(SystemAccount::Expiry, PointType::Points);
    let refs = Refs {
        reason,
        ..Default::default()
    };
    let expired = ops::void_reservation(&mut posting, &t, &draws, expiry, &refs, now);
    tx.set_reservation_state(ctx.program.id, res.transfer, ReservationState::Voided)?;
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    res.state = ReservationState::Voided;
    let mut v = reservation_view(&res);
    v.returned_expired = Some(expired);
    Ok(v)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionRefund {
    /// The spend (`transfer_id` of a spend) or posted reservation (`reservation_id`) to refund.
    pub transfer_id: i64,
    /// Points to give back; all that is left when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Refunds a spend, or a posted reservation made through the reservation API (one with an
/// owner is refused).
pub fn refund_redemption(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &RedemptionRefund,
) -> Result<RedemptionRefundResult, AppError> {
    refund_redemption_by(tx, ctx, now, r, None)
}

/// Refunds a spend or posted reservation on behalf of its owner (`None`: the API).
pub fn refund_redemption_by(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &RedemptionRefund,
    by: Option<&ReservationOwner>,
) -> Result<RedemptionRefundResult, AppError> {
    check_reason("reason", &r.reason, false)?;
    let program = ctx.program.id;
    let t = tx
        .transfer(program, TransferId(r.transfer_id))?
        .ok_or_else(|| AppError::NotFound {
            what: "spend",
            id: r.transfer_id.to_string(),
        })?;
    let refundable_kind = match (t.code.as_str(), t.phase) {
        (code::REDEMPTION, Phase::Posted) => true,
        (code::RESERVATION, Phase::Pending) => {
            let res = tx.reservation(program, t.id)?;
            if let Some(res) = &res {
                check_owner(res, by)?;
            }
            if res.as_ref().map(|r| r.state) != Some(ReservationState::Posted) {
                return Err(AppError::conflict(
                    "reservation_not_posted",
                    format!("reservation {} is not posted; void it instead", t.id),
                    json!({"reservation_id": t.id}),
                ));
            }
            true
        }
        _ => false,
    };
    if !refundable_kind {
        return Err(AppError::invalid(
            "transfer_id",
            format!("transfer {} is a {}, not a spend", t.id, t.code),
        ));
    }
    let member = t
        .member
        .ok_or_else(|| StoreError::Corrupt(format!("spend {} has no member", t.id)))?;
    // The spend's lots belong to the member who spent; once that member is merged into another,
    // restoring them would credit an account nobody can reach.
    if let Some(m) = tx.member(ctx.program.id, member)?
        && let Some(into) = m.merged_into
    {
        return Err(AppError::conflict(
            "member_merged",
            format!(
                "member {member} was merged into {into}; refund this spend with a manual adjustment"
            ),
            json!({"member_id": member, "merged_into": into}),
        ));
    }
    book(tx, ctx, member, PointType::Points)?;
    let draws = tx.spent_draws(t.id)?;
    let restorable: i64 = draws.iter().map(|d| d.drawn - d.restored).sum();
    let amount = r.amount.unwrap_or(restorable);
    if restorable == 0 {
        return Err(AppError::conflict(
            "spend_fully_refunded",
            format!("spend {} is already fully refunded", t.id),
            json!({"restorable": 0}),
        ));
    }
    let amount = points("amount", amount)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: None,
        reason: r.reason.clone(),
        actor: None,
    };
    let expiry = ctx.system.get(SystemAccount::Expiry, PointType::Points);
    let out: RestoreOutcome =
        ops::reverse_spend(&mut posting, &t, &draws, amount, expiry, &refs, now)?;
    let applied = tx.apply(program, &posting, &ctx.system, now)?;
    Ok(RedemptionRefundResult::new(
        applied.transfers[0],
        t.id,
        member,
        out,
        restorable,
    ))
}

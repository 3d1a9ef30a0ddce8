//! Refunds: reversing what an order earned, in full or in part.

use jifen_ledger::ops::{self, MemberBook, Refs, ReversalAccounts, ReversalOutcome};
use jifen_ledger::policy::{ShortfallPolicy, proportional_reversal};
use jifen_ledger::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::earn::Withdrawal;
use crate::{AppError, ProgramCtx};

use super::answers::{BonusReversal, PerPointType, RefundResult, Reversal};
use super::checks::{check_id, check_money, check_reason, points};
use super::resolve::{books, survivor};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub order_id: String,
    /// The refunded amount in minor units; the whole remaining amount when absent.
    #[serde(default)]
    pub amount_minor: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

pub fn refund(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &Refund,
) -> Result<RefundResult, AppError> {
    check_id("order_id", &r.order_id)?;
    check_reason("reason", &r.reason, false)?;
    let program = &ctx.program;
    let (mut order, mut locked) = lock_order(tx, ctx, r)?;
    let amount = refund_amount(r, &order)?;
    let refs = Refs {
        order_ref: Some(order.order_id.clone()),
        reason: r.reason.clone(),
        actor: None,
    };
    // What the refund takes back: in proportion for the base rate; for rule awards, what no
    // longer qualifies on the order as it stands after the refund, here and on later orders of
    // the month whose bonuses counted this one.
    let plan = crate::earn::refund_withdrawals(tx, ctx, &order, amount)?;
    let own: [i64; 2] = match &plan {
        Some(ws) => ws[0].to_reverse,
        None => PointType::ALL.map(|pt| {
            proportional_reversal(
                order.earned(pt),
                order.paid_minor,
                order.refunded_minor,
                amount,
                order.reversed(pt),
            )
        }),
    };
    let (posting, outcomes) = reverse_order(tx, ctx, &mut order, own, &mut locked, &refs, now)?;
    order.refunded_minor += amount;
    tx.update_order_refund(&order)?;
    tx.apply(program.id, &posting, &ctx.system, now)?;
    let bonuses = match plan {
        Some(ws) => store_withdrawals(tx, ctx, &order, &ws, &mut locked, now)?,
        None => Vec::new(),
    };
    // A first purchase refunded in full takes its referral rewards back from both sides.
    let referral = if order.refunded_minor >= order.paid_minor {
        crate::earn::withdraw_referral(tx, ctx, &order, &mut locked, now)?
    } else {
        None
    };
    // The growth it took back may no longer hold the member's tier.
    let tier =
        crate::tiers::check_after_refund(tx, ctx, order.member, &mut locked, now, &order.order_id)?;
    Ok(RefundResult {
        order_id: order.order_id,
        member_id: order.member,
        refunded_minor: amount,
        order_refunded_minor: order.refunded_minor,
        order_paid_minor: order.paid_minor,
        reversed: outcomes,
        bonuses_reversed: bonuses,
        referral_reversed: referral,
        tier_change: tier,
    })
}

/// Locks the accounts of the refunded order's member (and first an inviter with a lower id
/// whose rewards the refund may take back), then reads the order again under the lock.
fn lock_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    r: &Refund,
) -> Result<(Order, [MemberBook; 2]), AppError> {
    let program = &ctx.program;
    let not_found = || AppError::NotFound {
        what: "order",
        id: r.order_id.clone(),
    };
    let mut order = tx.order(program.id, &r.order_id)?.ok_or_else(not_found)?;
    // Lock the order's member, then read the order again: what another node refunded or merged
    // meanwhile is then part of what this refund sees.
    let locked_member = order.member;
    // Refunding an invitee's first purchase takes referral rewards back from the inviter too:
    // lock the two in id order.
    if order.refunded_minor < order.paid_minor
        && let Some((inviter, Some(first))) = tx.referral_of(program.id, locked_member)?
        && first == order.order_id
        && let Some(inviter) = survivor(tx, ctx, inviter)?
        && inviter < locked_member
    {
        books(tx, ctx, inviter)?;
    }
    let locked = books(tx, ctx, locked_member)?;
    order = tx.order(program.id, &r.order_id)?.ok_or_else(not_found)?;
    if order.member != locked_member {
        // A merge moved the order between the two reads: start again on the new member.
        return Err(StoreError::Conflict(format!(
            "order {} moved to another member",
            order.order_id
        ))
        .into());
    }
    Ok((order, locked))
}

/// The amount a refund takes from the order: the one asked, or all that is still refundable.
fn refund_amount(r: &Refund, order: &Order) -> Result<i64, AppError> {
    let refundable = order.paid_minor - order.refunded_minor;
    let amount = r.amount_minor.unwrap_or(refundable);
    if refundable == 0 {
        return Err(AppError::conflict(
            "order_fully_refunded",
            format!("order {} is already fully refunded", r.order_id),
            json!({"refundable_minor": 0}),
        ));
    }
    check_money("amount_minor", amount)?;
    if amount > refundable {
        return Err(AppError::conflict(
            "refund_exceeds_order",
            format!(
                "refund of {amount} exceeds the {refundable} still refundable on order {}",
                r.order_id
            ),
            json!({"refundable_minor": refundable, "requested_minor": amount}),
        ));
    }
    Ok(amount)
}

/// Stores the refunded order's withdrawal and reverses the bonuses of later orders that no
/// longer qualify; returns what each of those orders gave back.
fn store_withdrawals(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    order: &Order,
    ws: &[Withdrawal],
    locked: &mut [MemberBook; 2],
    now: Millis,
) -> Result<Vec<BonusReversal>, AppError> {
    let program = &ctx.program;
    let mut bonuses = Vec::new();
    crate::earn::store_withdrawal(tx, ctx, &ws[0])?;
    for w in &ws[1..] {
        let mut other = tx
            .order(program.id, &w.order_id)?
            .ok_or_else(|| StoreError::Corrupt(format!("order {} vanished", w.order_id)))?;
        let other_refs = Refs {
            order_ref: Some(other.order_id.clone()),
            reason: Some(format!(
                "bonus no longer qualifies after the refund of order {}",
                order.order_id
            )),
            actor: None,
        };
        let (p2, out2) =
            reverse_order(tx, ctx, &mut other, w.to_reverse, locked, &other_refs, now)?;
        tx.update_order_refund(&other)?;
        tx.apply(program.id, &p2, &ctx.system, now)?;
        crate::earn::store_withdrawal(tx, ctx, w)?;
        bonuses.push(BonusReversal {
            order_id: other.order_id,
            reversed: out2,
        });
    }
    Ok(bonuses)
}

/// Takes `to_reverse` back from an order (per point type), through the ledger's reversal:
/// the order's pending points, its unspent points, what expired, then the member's others,
/// then debt or write-off. Updates the order's counters in memory.
fn reverse_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    order: &mut Order,
    to_reverse: [i64; 2],
    locked: &mut [MemberBook; 2],
    refs: &Refs,
    now: Millis,
) -> Result<(Posting, PerPointType<Reversal>), AppError> {
    let mut posting = Posting::default();
    let mut outcomes = PerPointType::default();
    for pt in PointType::ALL {
        // Never more than what is still unreversed on the order.
        let to_reverse = to_reverse[pt as usize].min(order.earned(pt) - order.reversed(pt));
        if to_reverse <= 0 {
            continue;
        }
        let covered = match pt {
            PointType::Points => order.points_expiry_covered,
            PointType::Growth => 0,
        };
        let out = reverse_ref(
            tx,
            ctx,
            &mut posting,
            &mut locked[pt as usize],
            order.member,
            &order.order_id,
            to_reverse,
            covered,
            refs,
            now,
        )?;
        match pt {
            PointType::Points => {
                order.points_reversed += to_reverse;
                order.points_expiry_covered += out.covered_by_expiry;
            }
            PointType::Growth => order.growth_reversed += to_reverse,
        }
        outcomes.set(pt, Reversal::from(out));
    }
    assert!(
        order.points_reversed <= order.points_earned
            && order.growth_reversed <= order.growth_earned
    );
    Ok((posting, outcomes))
}

/// Takes `amount` back from what was credited under `order_ref` (an order, or a bonus tied to
/// one), through the ledger's reversal: its pending points, its unspent points, what expired
/// beyond `covered` (counted once), then the member's other points, then debt or write-off.
pub(crate) fn reverse_ref(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    posting: &mut Posting,
    b: &mut MemberBook,
    member: MemberId,
    order_ref: &str,
    amount: i64,
    covered: i64,
    refs: &Refs,
    now: Millis,
) -> Result<ReversalOutcome, AppError> {
    let program = &ctx.program;
    let pt = b.point_type;
    let order_lots = tx.order_lots(b.balance, order_ref)?;
    let expired_uncovered = match pt {
        PointType::Points => tx.order_expired(program.id, member, order_ref)? - covered,
        PointType::Growth => 0,
    };
    let others: Vec<Lot> = tx
        .open_lots(b.balance)?
        .into_iter()
        .filter(|l| l.order_ref.as_deref() != Some(order_ref))
        .collect();
    let shortfall = match pt {
        PointType::Points => program.policy.shortfall,
        PointType::Growth => ShortfallPolicy::WriteOff,
    };
    let accounts = ReversalAccounts {
        reversal: ctx.system.get(SystemAccount::Reversal, pt),
        write_off: ctx.system.get(SystemAccount::WriteOff, pt),
    };
    Ok(ops::reverse_earn(
        posting,
        &order_lots,
        expired_uncovered,
        &others,
        b,
        points("amount", amount)?,
        shortfall,
        program.policy.clawback_pending_first,
        accounts,
        refs,
        now,
    ))
}

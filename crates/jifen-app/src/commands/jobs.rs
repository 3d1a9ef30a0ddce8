//! Job steps: vesting, expiring lots and timing out reservations.

use jifen_ledger::ops::{self};
use jifen_ledger::*;
use jifen_store::*;

use crate::{AppError, JobScope, ProgramCtx};

use super::resolve::book;
use super::spends::void_reservation_by;

/// Lots one job step handles in one transaction: bounded so that a job never holds the writer
/// for long, and the API keeps answering while a large backlog is worked off.
pub const JOB_STEP_LOTS: i64 = 500;

/// Vests pending lots whose return window ended. Returns the points vested in this step, or `None` when nothing was due.
pub fn vest_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &JobScope,
) -> Result<Option<i64>, AppError> {
    let lots = tx.lots_due_vest(ctx.program.id, now, scope.fetch(JOB_STEP_LOTS))?;
    let lots = scope.keep(lots, JOB_STEP_LOTS, |l| l.id.0);
    let mut by_member: std::collections::BTreeMap<(MemberId, PointType), Vec<Lot>> =
        Default::default();
    for l in lots {
        by_member
            .entry((l.member, l.point_type))
            .or_default()
            .push(l);
    }
    let mut total = 0;
    let mut posting = Posting::default();
    let mut count = 0;
    for ((member, pt), lots) in by_member {
        scope.at(lots[0].id.0);
        let mut b = book(tx, ctx, member, pt)?;
        total += ops::vest(&mut posting, &lots, &mut b, now);
        count += lots.len();
        // Debt repayments read the debt per member; apply per member so the next reads are fresh.
        tx.apply(
            ctx.program.id,
            &std::mem::take(&mut posting),
            &ctx.system,
            now,
        )?;
    }
    Ok((count > 0).then_some(total))
}

/// Expires the free points of lots past their date. Returns the points expired, or `None` when
/// nothing was due.
pub fn expire_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &JobScope,
) -> Result<Option<i64>, AppError> {
    let lots = tx.lots_due_expiry(ctx.program.id, now, scope.fetch(JOB_STEP_LOTS))?;
    let lots = scope.keep(lots, JOB_STEP_LOTS, |l| l.id.0);
    if lots.is_empty() {
        return Ok(None);
    }
    // One at a time, the lot is the item a failure is put on.
    scope.at(lots[0].id.0);
    let mut members: Vec<(MemberId, PointType)> =
        lots.iter().map(|l| (l.member, l.point_type)).collect();
    members.sort();
    members.dedup();
    for (m, pt) in members {
        book(tx, ctx, m, pt)?;
    }
    let mut posting = Posting::default();
    let expiry = |pt| ctx.system.get(SystemAccount::Expiry, pt);
    let mut total = 0;
    for pt in PointType::ALL {
        let of_type: Vec<Lot> = lots
            .iter()
            .filter(|l| l.point_type == pt)
            .cloned()
            .collect();
        total += ops::expire(&mut posting, &of_type, expiry(pt), now);
    }
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    Ok(Some(total))
}

/// Voids reservations left open past their time. Returns how many, or `None` when none were due.
pub fn reservation_timeout_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &JobScope,
) -> Result<Option<i64>, AppError> {
    let due = tx.reservations_due(ctx.program.id, now, scope.fetch(JOB_STEP_LOTS))?;
    let due = scope.keep(due, JOB_STEP_LOTS, |r| r.transfer.0);
    if due.is_empty() {
        return Ok(None);
    }
    let mut n = 0;
    for r in due {
        scope.at(r.transfer.0);
        // A checkout deduction's hold ends with its time, on the deduction's behalf; mall
        // orders time out through the mall's own step (the store leaves them out here).
        void_reservation_by(
            tx,
            ctx,
            now,
            r.transfer.0,
            Some("reservation timed out".into()),
            r.owner.as_ref(),
        )?;
        n += 1;
    }
    Ok(Some(n))
}

//! The ledger's decisions: given the state a command reads, the `Posting` it writes.
//!
//! Every function here is pure. The caller loads lots and accounts (locked, in a store
//! transaction), calls one of these, and stores the posting it returns. A function that returns
//! an error has pushed nothing the caller must keep: callers build into a fresh `Posting` and
//! discard it on error.

use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::policy::ShortfallPolicy;
use crate::{LedgerError, Points};

/// One member's account of one point type, as a command sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberBook {
    pub member: MemberId,
    pub point_type: PointType,
    pub balance: AccountId,
    pub debt: AccountId,
    /// Points the member owes the programme (zero or positive).
    pub debt_owed: i64,
}

/// Text that travels with every transfer of a command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refs {
    pub order_ref: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
}

/// A transfer as stored, with what a later command needs of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferInfo {
    pub id: TransferId,
    pub code: String,
    pub phase: Phase,
    pub point_type: PointType,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: i64,
    pub member: Option<MemberId>,
    pub order_ref: Option<String>,
}

fn transfer(
    code: &str,
    phase: Phase,
    book: &MemberBook,
    debit: AccountId,
    credit: AccountId,
    amount: i64,
    refs: &Refs,
) -> NewTransfer {
    NewTransfer {
        code: code.to_string(),
        phase,
        point_type: book.point_type,
        debit,
        credit,
        amount,
        member: Some(book.member),
        counterparty: None,
        pending_of: None,
        reversal_of: None,
        order_ref: refs.order_ref.clone(),
        reason: refs.reason.clone(),
        actor: refs.actor.clone(),
    }
}

/// What a credit to a member is.
#[derive(Debug, Clone)]
pub struct CreditSpec<'a> {
    pub code: &'a str,
    pub source: AccountId,
    pub amount: Points,
    pub earned_at: Millis,
    pub available_at: Millis,
    pub expires_at: Option<Millis>,
}

/// Credits a new lot to the member: pending if it vests later than `now`, else available at once.
/// Available points first repay any debt the member owes.
pub fn credit(
    p: &mut Posting,
    book: &mut MemberBook,
    spec: &CreditSpec<'_>,
    refs: &Refs,
    now: Millis,
) -> (Ref<TransferId>, Ref<LotId>) {
    let pending = spec.available_at > now;
    let phase = if pending {
        Phase::Pending
    } else {
        Phase::Posted
    };
    let t = p.push_transfer(transfer(
        spec.code,
        phase,
        book,
        spec.source,
        book.balance,
        spec.amount.get(),
        refs,
    ));
    let lot = p.push_lot(NewLot {
        transfer: t,
        source_account: spec.source,
        account: book.balance,
        member: book.member,
        point_type: book.point_type,
        status: if pending {
            LotStatus::Pending
        } else {
            LotStatus::Active
        },
        amount: spec.amount.get(),
        earned_at: spec.earned_at,
        available_at: spec.available_at,
        expires_at: spec.expires_at,
        order_ref: refs.order_ref.clone(),
        origin: None,
    });
    // Points that are already past their date (a backdated credit) have no value: they repay
    // nothing, and the expiry job takes them.
    let expired = spec.expires_at.is_some_and(|at| at <= now);
    if !pending && !expired {
        repay_debt(p, book, lot, spec.amount.get(), refs);
    }
    (t, lot)
}

/// Repays the member's debt from `free` points of a lot that just became available.
fn repay_debt(
    p: &mut Posting,
    book: &mut MemberBook,
    lot: Ref<LotId>,
    free: i64,
    refs: &Refs,
) -> i64 {
    let repay = book.debt_owed.min(free);
    if repay <= 0 {
        return 0;
    }
    let t = p.push_transfer(transfer(
        code::DEBT_REPAYMENT,
        Phase::Posted,
        book,
        book.balance,
        book.debt,
        repay,
        refs,
    ));
    p.change_lot(
        lot,
        LotDelta {
            spent: repay,
            ..Default::default()
        },
    );
    p.draw(t, lot, repay);
    book.debt_owed -= repay;
    repay
}

/// Takes `amount` from the member's spendable lots, soonest-expiring first, into `sink`.
///
/// `Phase::Posted` spends at once; `Phase::Pending` reserves: the points stay in their lots,
/// held, until the reservation is posted or voided. Returns the transfer and the draws.
pub fn spend(
    p: &mut Posting,
    lots: &[Lot],
    book: &MemberBook,
    sink: AccountId,
    amount: Points,
    code: &str,
    phase: Phase,
    refs: &Refs,
    now: Millis,
) -> Result<(Ref<TransferId>, Vec<(LotId, i64)>), LedgerError> {
    assert!(matches!(phase, Phase::Posted | Phase::Pending));
    let draws = plan_draws(lots, amount.get(), now)?;
    let t = p.push_transfer(transfer(
        code,
        phase,
        book,
        book.balance,
        sink,
        amount.get(),
        refs,
    ));
    for &(lot, d) in &draws {
        let delta = if phase == Phase::Posted {
            LotDelta {
                spent: d,
                ..Default::default()
            }
        } else {
            LotDelta {
                held: d,
                ..Default::default()
            }
        };
        p.change_lot(Ref::Stored(lot), delta);
        p.draw(t, Ref::Stored(lot), d);
    }
    Ok((t, draws))
}

/// Chooses which lots pay for `amount`: spendable lots in FEFO order.
pub fn plan_draws(
    lots: &[Lot],
    amount: i64,
    now: Millis,
) -> Result<Vec<(LotId, i64)>, LedgerError> {
    let mut sorted: Vec<&Lot> = lots.iter().filter(|l| l.is_spendable(now)).collect();
    sorted.sort_by_key(|l| {
        (
            l.expires_at.is_none(),
            l.expires_at.unwrap_or(0),
            l.earned_at,
            l.id,
        )
    });
    let available: i64 = sorted.iter().map(|l| l.free()).sum();
    if available < amount {
        return Err(LedgerError::InsufficientPoints {
            available,
            requested: amount,
        });
    }
    let mut left = amount;
    let mut draws = Vec::new();
    for lot in sorted {
        if left == 0 {
            break;
        }
        let d = lot.free().min(left);
        draws.push((lot.id, d));
        left -= d;
    }
    Ok(draws)
}

/// Settles a reservation: the held points leave their lots for good.
pub fn post_reservation(
    p: &mut Posting,
    reservation: &TransferInfo,
    draws: &[(LotId, i64)],
    refs: &Refs,
) {
    let mut t = NewTransfer {
        code: code::RESERVATION_POST.to_string(),
        phase: Phase::PostPending,
        point_type: reservation.point_type,
        debit: reservation.debit,
        credit: reservation.credit,
        amount: reservation.amount,
        member: reservation.member,
        counterparty: None,
        pending_of: Some(Ref::Stored(reservation.id)),
        reversal_of: None,
        order_ref: reservation.order_ref.clone(),
        reason: refs.reason.clone(),
        actor: refs.actor.clone(),
    };
    t.order_ref = t.order_ref.or_else(|| refs.order_ref.clone());
    p.push_transfer(t);
    for &(lot, d) in draws {
        p.change_lot(
            Ref::Stored(lot),
            LotDelta {
                held: -d,
                spent: d,
                ..Default::default()
            },
        );
    }
}

/// Releases a reservation: the points return to the same lots, with the same expiry. Points
/// whose lot expired while they were held expire now, in the same posting.
pub fn void_reservation(
    p: &mut Posting,
    reservation: &TransferInfo,
    draws: &[(Lot, i64)],
    expiry: AccountId,
    refs: &Refs,
    now: Millis,
) -> i64 {
    p.push_transfer(NewTransfer {
        code: code::RESERVATION_VOID.to_string(),
        phase: Phase::VoidPending,
        point_type: reservation.point_type,
        debit: reservation.debit,
        credit: reservation.credit,
        amount: reservation.amount,
        member: reservation.member,
        counterparty: None,
        pending_of: Some(Ref::Stored(reservation.id)),
        reversal_of: None,
        order_ref: reservation.order_ref.clone(),
        reason: refs.reason.clone(),
        actor: refs.actor.clone(),
    });
    let mut expired = 0;
    for (lot, d) in draws {
        p.change_lot(
            Ref::Stored(lot.id),
            LotDelta {
                held: -d,
                ..Default::default()
            },
        );
        if lot.is_expired(now) {
            expired += expire_part(p, lot, *d, expiry, refs);
        }
    }
    expired
}

fn expire_part(p: &mut Posting, lot: &Lot, amount: i64, expiry: AccountId, refs: &Refs) -> i64 {
    let t = p.push_transfer(NewTransfer {
        code: code::EXPIRY.to_string(),
        phase: Phase::Posted,
        point_type: lot.point_type,
        debit: lot.account,
        credit: expiry,
        amount,
        member: Some(lot.member),
        counterparty: None,
        pending_of: None,
        reversal_of: None,
        order_ref: lot.order_ref.clone(),
        reason: refs.reason.clone(),
        actor: None,
    });
    p.change_lot(
        Ref::Stored(lot.id),
        LotDelta {
            expired: amount,
            ..Default::default()
        },
    );
    p.draw(t, Ref::Stored(lot.id), amount);
    amount
}

/// Expires the free points of every active lot whose date has passed. A lot expires at most once
/// per point: the counters move `free` to `expired`, so running the job again finds nothing.
pub fn expire(p: &mut Posting, lots: &[Lot], expiry: AccountId, now: Millis) -> i64 {
    // The line's code (`expiry`) says it all.
    let refs = Refs::default();
    let mut total = 0;
    for lot in lots {
        if lot.status == LotStatus::Active && lot.is_expired(now) && lot.free() > 0 {
            total += expire_part(p, lot, lot.free(), expiry, &refs);
        }
    }
    total
}

/// Vests pending lots whose return window has ended: their pending transfer is posted for what is
/// left of it, and the lot becomes spendable (first repaying any debt).
pub fn vest(p: &mut Posting, lots: &[Lot], book: &mut MemberBook, now: Millis) -> i64 {
    let due: Vec<&Lot> = lots
        .iter()
        .filter(|l| l.status == LotStatus::Pending && l.available_at <= now)
        .collect();
    vest_lots(p, &due, book, now)
}

/// Releases pending lots now, whatever their date: a risk hold that staff approved. The
/// points become spendable as if they had vested.
pub fn release_held(p: &mut Posting, lots: &[Lot], book: &mut MemberBook, now: Millis) -> i64 {
    let held: Vec<&Lot> = lots
        .iter()
        .filter(|l| l.status == LotStatus::Pending)
        .collect();
    vest_lots(p, &held, book, now)
}

/// Rejects pending lots: what is left of each lot's pending transfer is voided, so the points
/// never reach the member. Returns the points voided.
pub fn reject_held(p: &mut Posting, lots: &[Lot], book: &MemberBook, refs: &Refs) -> i64 {
    let held: Vec<&Lot> = lots
        .iter()
        .filter(|l| l.status == LotStatus::Pending)
        .collect();
    let mut left: i64 = held.iter().map(|l| l.remaining).sum();
    void_pending_lots_as(p, &held, book, &mut left, refs, code::RISK_REJECTED)
}

fn vest_lots(p: &mut Posting, lots: &[&Lot], book: &mut MemberBook, now: Millis) -> i64 {
    let refs = Refs::default();
    let mut total = 0;
    for lot in lots.iter().copied() {
        debug_assert_eq!(lot.account, book.balance);
        if lot.remaining > 0 {
            p.push_transfer(NewTransfer {
                code: code::VEST.to_string(),
                phase: Phase::PostPending,
                point_type: lot.point_type,
                debit: lot.source_account,
                credit: lot.account,
                amount: lot.remaining,
                member: Some(lot.member),
                counterparty: None,
                pending_of: Some(Ref::Stored(lot.transfer)),
                reversal_of: None,
                order_ref: lot.order_ref.clone(),
                reason: None,
                actor: None,
            });
        }
        p.change_lot(
            Ref::Stored(lot.id),
            LotDelta {
                activate: true,
                ..Default::default()
            },
        );
        // A lot that expired during its return window vests expired: it repays nothing.
        if !lot.is_expired(now) {
            repay_debt(p, book, Ref::Stored(lot.id), lot.remaining, &refs);
        }
        total += lot.remaining;
    }
    total
}

/// Where the points of a reversed earn came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversalOutcome {
    pub requested: i64,
    /// Still pending on the order's own lots: voided before they vested.
    pub from_order_pending: i64,
    /// Unspent on the order's own lots.
    pub from_order_available: i64,
    /// Already gone by expiry: nothing to take back.
    pub covered_by_expiry: i64,
    /// Taken from the member's other pending points.
    pub from_other_pending: i64,
    /// Taken from the member's other available points.
    pub from_other_available: i64,
    /// Could not be taken back and is now owed by the member.
    pub to_debt: i64,
    /// Could not be taken back and the programme wrote it off.
    pub written_off: i64,
}

/// Accounts a reversal posts to.
#[derive(Debug, Clone, Copy)]
pub struct ReversalAccounts {
    pub reversal: AccountId,
    pub write_off: AccountId,
}

/// Takes back `amount` of the points an order earned.
///
/// Sources, in order: the order's own pending points, its own unspent points, its points that
/// already expired (the member no longer has them, so they count as taken back), then the
/// member's other points (available or pending first, per policy), and whatever is left becomes
/// debt or a write-off per the programme. Nothing is ever dropped silently: the outcome's parts
/// always add up to `amount`.
pub fn reverse_earn(
    p: &mut Posting,
    order_lots: &[Lot],
    expired_uncovered: i64,
    other_lots: &[Lot],
    book: &mut MemberBook,
    amount: Points,
    shortfall: ShortfallPolicy,
    pending_first: bool,
    accounts: ReversalAccounts,
    refs: &Refs,
    now: Millis,
) -> ReversalOutcome {
    let mut out = ReversalOutcome {
        requested: amount.get(),
        ..Default::default()
    };
    let mut left = amount.get();

    let order_pending: Vec<&Lot> = order_lots
        .iter()
        .filter(|l| l.status == LotStatus::Pending)
        .collect();
    let order_active: Vec<&Lot> = order_lots
        .iter()
        .filter(|l| l.status == LotStatus::Active)
        .collect();
    out.from_order_pending = void_pending_lots(p, &order_pending, book, &mut left, refs);
    out.from_order_available =
        reverse_free(p, &order_active, book, accounts.reversal, &mut left, refs);
    out.covered_by_expiry = left.min(expired_uncovered.max(0));
    left -= out.covered_by_expiry;

    let mut others_pending: Vec<&Lot> = other_lots
        .iter()
        .filter(|l| l.status == LotStatus::Pending)
        .collect();
    others_pending.sort_by_key(|l| (std::cmp::Reverse(l.available_at), l.id));
    let mut others_free: Vec<&Lot> = other_lots.iter().filter(|l| l.is_spendable(now)).collect();
    others_free.sort_by_key(|l| {
        (
            l.expires_at.is_none(),
            l.expires_at.unwrap_or(0),
            l.earned_at,
            l.id,
        )
    });
    if pending_first {
        out.from_other_pending = void_pending_lots(p, &others_pending, book, &mut left, refs);
        out.from_other_available =
            reverse_free(p, &others_free, book, accounts.reversal, &mut left, refs);
    } else {
        out.from_other_available =
            reverse_free(p, &others_free, book, accounts.reversal, &mut left, refs);
        out.from_other_pending = void_pending_lots(p, &others_pending, book, &mut left, refs);
    }

    if left > 0 {
        match shortfall {
            ShortfallPolicy::Debt => {
                p.push_transfer(transfer(
                    code::DEBT_SHORTFALL,
                    Phase::Posted,
                    book,
                    book.debt,
                    accounts.reversal,
                    left,
                    refs,
                ));
                book.debt_owed += left;
                out.to_debt = left;
            }
            ShortfallPolicy::WriteOff => {
                let t = transfer(
                    code::WRITE_OFF,
                    Phase::Posted,
                    book,
                    accounts.write_off,
                    accounts.reversal,
                    left,
                    refs,
                );
                p.push_transfer(t);
                out.written_off = left;
            }
        }
    }
    debug_assert_eq!(
        out.from_order_pending
            + out.from_order_available
            + out.covered_by_expiry
            + out.from_other_pending
            + out.from_other_available
            + out.to_debt
            + out.written_off,
        out.requested
    );
    out
}

fn void_pending_lots(
    p: &mut Posting,
    lots: &[&Lot],
    book: &MemberBook,
    left: &mut i64,
    refs: &Refs,
) -> i64 {
    void_pending_lots_as(p, lots, book, left, refs, code::REFUND_REVERSAL)
}

fn void_pending_lots_as(
    p: &mut Posting,
    lots: &[&Lot],
    book: &MemberBook,
    left: &mut i64,
    refs: &Refs,
    code: &str,
) -> i64 {
    let mut taken = 0;
    for lot in lots {
        let d = lot.remaining.min(*left);
        if d <= 0 {
            continue;
        }
        let mut t = transfer(
            code,
            Phase::VoidPending,
            book,
            lot.source_account,
            lot.account,
            d,
            refs,
        );
        t.pending_of = Some(Ref::Stored(lot.transfer));
        let t = p.push_transfer(t);
        p.change_lot(
            Ref::Stored(lot.id),
            LotDelta {
                reversed: d,
                ..Default::default()
            },
        );
        p.draw(t, Ref::Stored(lot.id), d);
        *left -= d;
        taken += d;
    }
    taken
}

fn reverse_free(
    p: &mut Posting,
    lots: &[&Lot],
    book: &MemberBook,
    sink: AccountId,
    left: &mut i64,
    refs: &Refs,
) -> i64 {
    let mut plan = Vec::new();
    for lot in lots {
        let d = lot.free().min(*left);
        if d > 0 {
            plan.push((lot.id, d));
            *left -= d;
        }
    }
    let total: i64 = plan.iter().map(|x| x.1).sum();
    if total > 0 {
        let t = p.push_transfer(transfer(
            code::REFUND_REVERSAL,
            Phase::Posted,
            book,
            book.balance,
            sink,
            total,
            refs,
        ));
        for (lot, d) in plan {
            p.change_lot(
                Ref::Stored(lot),
                LotDelta {
                    reversed: d,
                    ..Default::default()
                },
            );
            p.draw(t, Ref::Stored(lot), d);
        }
    }
    total
}

/// What a refund of a redemption gave back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreOutcome {
    pub restored: i64,
    /// Part of `restored` whose lot had expired meanwhile: restored, then expired at once.
    pub restored_expired: i64,
}

/// One lot a spend drew from: the lot now, what the spend took, and what refunds gave back so far.
#[derive(Debug, Clone)]
pub struct SpentDraw {
    pub lot: Lot,
    pub drawn: i64,
    pub restored: i64,
}

/// Gives back `amount` of a posted spend to the exact lots it drew from, with their original
/// expiry. The latest-expiring lots are restored first, as they are worth the most to the member.
/// Points whose lot has expired since are restored and expire again at once, so a refund never
/// extends a date.
pub fn reverse_spend(
    p: &mut Posting,
    spend: &TransferInfo,
    draws: &[SpentDraw],
    amount: Points,
    expiry: AccountId,
    refs: &Refs,
    now: Millis,
) -> Result<RestoreOutcome, LedgerError> {
    let restorable: i64 = draws.iter().map(|d| d.drawn - d.restored).sum();
    if amount.get() > restorable {
        return Err(LedgerError::RestoreExceedsSpend {
            restorable,
            requested: amount.get(),
        });
    }
    let mut order: Vec<&SpentDraw> = draws.iter().collect();
    order.sort_by_key(|d| {
        (
            std::cmp::Reverse((d.lot.expires_at.is_none(), d.lot.expires_at.unwrap_or(0))),
            std::cmp::Reverse(d.lot.id),
        )
    });
    let mut t = NewTransfer {
        code: code::REDEMPTION_REFUND.to_string(),
        phase: Phase::Posted,
        point_type: spend.point_type,
        debit: spend.credit,
        credit: spend.debit,
        amount: amount.get(),
        member: spend.member,
        counterparty: None,
        pending_of: None,
        reversal_of: Some(spend.id),
        order_ref: refs.order_ref.clone().or_else(|| spend.order_ref.clone()),
        reason: refs.reason.clone(),
        actor: refs.actor.clone(),
    };
    t.member = spend.member;
    let tr = p.push_transfer(t);
    let mut left = amount.get();
    let mut out = RestoreOutcome::default();
    for d in order {
        let r = (d.drawn - d.restored).min(left);
        if r <= 0 {
            continue;
        }
        p.change_lot(
            Ref::Stored(d.lot.id),
            LotDelta {
                spent: -r,
                ..Default::default()
            },
        );
        p.draw(tr, Ref::Stored(d.lot.id), r);
        out.restored += r;
        if d.lot.is_expired(now) {
            out.restored_expired += expire_part(p, &d.lot, r, expiry, refs);
        }
        left -= r;
    }
    debug_assert_eq!(left, 0);
    Ok(out)
}

/// Moves `amount` points between two members (积分转赠). The points keep their expiry: each lot
/// drawn from the sender becomes a lot of the receiver with the same dates.
pub fn transfer_between(
    p: &mut Posting,
    from_lots: &[Lot],
    from: &MemberBook,
    to: &mut MemberBook,
    amount: Points,
    code: &str,
    refs: &Refs,
    now: Millis,
) -> Result<Ref<TransferId>, LedgerError> {
    if from.member == to.member {
        return Err(LedgerError::SameMember);
    }
    let draws = plan_draws(from_lots, amount.get(), now)?;
    let mut t = transfer(
        code,
        Phase::Posted,
        from,
        from.balance,
        to.balance,
        amount.get(),
        refs,
    );
    t.counterparty = Some(to.member);
    let tr = p.push_transfer(t);
    for (lot_id, d) in draws {
        let lot = from_lots
            .iter()
            .find(|l| l.id == lot_id)
            .expect("drawn lot is loaded");
        p.change_lot(
            Ref::Stored(lot_id),
            LotDelta {
                moved: d,
                ..Default::default()
            },
        );
        p.draw(tr, Ref::Stored(lot_id), d);
        let new = p.push_lot(NewLot {
            transfer: tr,
            source_account: from.balance,
            account: to.balance,
            member: to.member,
            point_type: to.point_type,
            status: LotStatus::Active,
            amount: d,
            earned_at: lot.earned_at,
            available_at: now,
            expires_at: lot.expires_at,
            order_ref: lot.order_ref.clone(),
            origin: Some(lot_id),
        });
        repay_debt(p, to, new, d, refs);
    }
    Ok(tr)
}

/// Moves everything a member holds to another member (merging two identities of one person).
/// Active lots move with their dates; pending lots are voided on the source and re-created pending
/// on the target with the same vesting date; debt moves too. The caller refuses a merge while
/// the source has open reservations.
pub fn merge_into(
    p: &mut Posting,
    from_lots: &[Lot],
    from: &MemberBook,
    to: &mut MemberBook,
    refs: &Refs,
) {
    for lot in from_lots.iter().filter(|l| l.remaining > 0) {
        assert_eq!(
            lot.held, 0,
            "merge with open reservations is refused before planning"
        );
        let d = lot.remaining;
        let (tr, status) = if lot.status == LotStatus::Pending {
            let mut void = transfer(
                code::MERGE,
                Phase::VoidPending,
                from,
                lot.source_account,
                lot.account,
                d,
                refs,
            );
            void.pending_of = Some(Ref::Stored(lot.transfer));
            let v = p.push_transfer(void);
            p.draw(v, Ref::Stored(lot.id), d);
            let mut t = transfer(
                code::MERGE,
                Phase::Pending,
                to,
                lot.source_account,
                to.balance,
                d,
                refs,
            );
            t.counterparty = Some(from.member);
            (p.push_transfer(t), LotStatus::Pending)
        } else {
            let mut t = transfer(
                code::MERGE,
                Phase::Posted,
                from,
                from.balance,
                to.balance,
                d,
                refs,
            );
            t.counterparty = Some(to.member);
            let t = p.push_transfer(t);
            p.draw(t, Ref::Stored(lot.id), d);
            (t, LotStatus::Active)
        };
        p.change_lot(
            Ref::Stored(lot.id),
            LotDelta {
                moved: d,
                ..Default::default()
            },
        );
        p.push_lot(NewLot {
            transfer: tr,
            source_account: if status == LotStatus::Pending {
                lot.source_account
            } else {
                from.balance
            },
            account: to.balance,
            member: to.member,
            point_type: to.point_type,
            status,
            amount: d,
            earned_at: lot.earned_at,
            available_at: lot.available_at,
            expires_at: lot.expires_at,
            order_ref: lot.order_ref.clone(),
            origin: Some(lot.id),
        });
    }
    if from.debt_owed > 0 {
        let mut t = transfer(
            code::MERGE,
            Phase::Posted,
            to,
            to.debt,
            from.debt,
            from.debt_owed,
            refs,
        );
        t.counterparty = Some(from.member);
        p.push_transfer(t);
        to.debt_owed += from.debt_owed;
    }
}

//! The ledger's invariants, checked over a whole book of accounts, transfers and lots.
//!
//! `jifen verify` loads a programme's rows and calls [`check`]; the property tests call it after
//! every step of random command sequences. Each failure is reported as a [`Drift`] that names the
//! row and what disagrees.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::*;

/// Who owns an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Owner {
    Member(MemberId, MemberAccountKind),
    System(SystemAccount),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    pub id: AccountId,
    pub point_type: PointType,
    pub owner: Owner,
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
}

impl AccountRow {
    /// Settled balance of a credit-normal account.
    pub fn posted(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferRow {
    pub id: TransferId,
    pub phase: Phase,
    pub point_type: PointType,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: i64,
    pub pending_of: Option<TransferId>,
}

/// One disagreement between the rows and an invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub invariant: &'static str,
    pub detail: String,
}

fn drift(out: &mut Vec<Drift>, invariant: &'static str, detail: String) {
    out.push(Drift { invariant, detail });
}

/// Checks every invariant of `ledger.md` that rows can show. An empty result means no drift.
pub fn check(accounts: &[AccountRow], transfers: &[TransferRow], lots: &[Lot]) -> Vec<Drift> {
    let mut out = Vec::new();
    let by_id: HashMap<AccountId, &AccountRow> = accounts.iter().map(|a| (a.id, a)).collect();
    let recomputed = check_transfers(&mut out, &by_id, transfers);
    check_accounts(&mut out, accounts, &recomputed);
    let per_account = check_lots(&mut out, lots);
    check_balances(&mut out, accounts, per_account);
    out
}

/// Invariants 1 and 5, over the transfers; returns the account columns they sum to.
fn check_transfers(
    out: &mut Vec<Drift>,
    by_id: &HashMap<AccountId, &AccountRow>,
    transfers: &[TransferRow],
) -> HashMap<AccountId, AccountDelta> {
    let mut recomputed: HashMap<AccountId, AccountDelta> = HashMap::new();
    let transfer_by_id: HashMap<TransferId, &TransferRow> =
        transfers.iter().map(|t| (t.id, t)).collect();
    let mut settled: HashMap<TransferId, i64> = HashMap::new();

    // 1. Every transfer moves a positive amount between two accounts of its point type.
    for t in transfers {
        if t.amount <= 0 {
            drift(
                out,
                "transfer_amount_positive",
                format!("transfer {} moves {}", t.id, t.amount),
            );
        }
        if t.debit == t.credit {
            drift(
                out,
                "transfer_two_accounts",
                format!("transfer {} debits and credits account {}", t.id, t.debit),
            );
        }
        for side in [t.debit, t.credit] {
            match by_id.get(&side) {
                None => drift(
                    out,
                    "transfer_accounts_exist",
                    format!("transfer {} names unknown account {side}", t.id),
                ),
                Some(a) if a.point_type != t.point_type => drift(
                    out,
                    "transfer_point_type",
                    format!(
                        "transfer {} is {:?} but account {side} holds {:?}",
                        t.id, t.point_type, a.point_type
                    ),
                ),
                _ => {}
            }
        }
        let mut p = Posting::default();
        p.transfers.push(NewTransfer {
            code: String::new(),
            phase: t.phase,
            point_type: t.point_type,
            debit: t.debit,
            credit: t.credit,
            amount: t.amount,
            member: None,
            counterparty: None,
            pending_of: None,
            reversal_of: None,
            order_ref: None,
            reason: None,
            actor: None,
        });
        for (acc, d) in p.account_deltas() {
            let e = recomputed.entry(acc).or_default();
            e.debits_pending += d.debits_pending;
            e.debits_posted += d.debits_posted;
            e.credits_pending += d.credits_pending;
            e.credits_posted += d.credits_posted;
        }
        if matches!(t.phase, Phase::PostPending | Phase::VoidPending) {
            match t.pending_of.and_then(|id| transfer_by_id.get(&id)) {
                Some(orig) if orig.phase == Phase::Pending => {
                    *settled.entry(orig.id).or_default() += t.amount
                }
                _ => drift(
                    out,
                    "settles_a_pending_transfer",
                    format!("transfer {} settles no pending transfer", t.id),
                ),
            }
        }
    }
    // 5. A pending transfer is settled (posted or voided) for at most its amount.
    for (id, total) in &settled {
        let orig = transfer_by_id[id];
        if *total > orig.amount {
            drift(
                out,
                "pending_settled_once",
                format!(
                    "pending transfer {id} of {} settled for {total}",
                    orig.amount
                ),
            );
        }
    }
    recomputed
}

/// Invariant 2, over the accounts, and debt accounts never positive.
fn check_accounts(
    out: &mut Vec<Drift>,
    accounts: &[AccountRow],
    recomputed: &HashMap<AccountId, AccountDelta>,
) {
    // 2. Account columns equal the sum of their transfers, and each point type sums to zero.
    let mut sums: HashMap<PointType, (i64, i64)> = HashMap::new();
    for a in accounts {
        let r = recomputed.get(&a.id).copied().unwrap_or_default();
        let stored = AccountDelta {
            debits_pending: a.debits_pending,
            debits_posted: a.debits_posted,
            credits_pending: a.credits_pending,
            credits_posted: a.credits_posted,
        };
        if r != stored {
            drift(
                out,
                "account_equals_transfers",
                format!(
                    "account {} stores {stored:?} but its transfers sum to {r:?}",
                    a.id
                ),
            );
        }
        let s = sums.entry(a.point_type).or_default();
        s.0 += a.credits_posted - a.debits_posted;
        s.1 += a.credits_pending - a.debits_pending;
        if let Owner::Member(m, MemberAccountKind::Debt) = a.owner
            && a.posted() > 0
        {
            drift(
                out,
                "debt_not_positive",
                format!("debt account {} of member {m} holds {}", a.id, a.posted()),
            );
        }
    }
    for (pt, (posted, pending)) in sums {
        if posted != 0 || pending != 0 {
            drift(
                out,
                "point_type_sums_to_zero",
                format!("{pt:?}: posted sum {posted}, pending sum {pending}"),
            );
        }
    }
}

/// What the lots of one account hold: active, pending and held points.
#[derive(Default)]
struct LotSums {
    active: i64,
    pending: i64,
    held: i64,
}

/// Invariant 4, over the lots; returns what the lots of each account hold.
fn check_lots(out: &mut Vec<Drift>, lots: &[Lot]) -> HashMap<AccountId, LotSums> {
    // 4. Lot counters are consistent.
    let mut per_account: HashMap<AccountId, LotSums> = HashMap::new();
    for l in lots {
        let outflow = l.spent + l.expired + l.reversed + l.moved;
        let ok = l.amount > 0
            && l.remaining == l.amount - outflow
            && (0..=l.amount).contains(&l.remaining)
            && (0..=l.remaining).contains(&l.held)
            && [l.spent, l.expired, l.reversed, l.moved]
                .iter()
                .all(|v| *v >= 0)
            && !(l.status == LotStatus::Pending && l.held != 0);
        if !ok {
            drift(
                out,
                "lot_counters",
                format!("lot {} is inconsistent: {l:?}", l.id),
            );
        }
        let s = per_account.entry(l.account).or_default();
        match l.status {
            LotStatus::Active => s.active += l.remaining,
            LotStatus::Pending => s.pending += l.remaining,
        }
        s.held += l.held;
    }
    per_account
}

/// Invariant 3, members' balances against their lots, and lots only on member balances.
fn check_balances(
    out: &mut Vec<Drift>,
    accounts: &[AccountRow],
    mut per_account: HashMap<AccountId, LotSums>,
) {
    // 3. A member's balance is the sum of its lots, and never negative.
    for a in accounts {
        if let Owner::Member(m, MemberAccountKind::Balance) = a.owner {
            let s = per_account.remove(&a.id).unwrap_or_default();
            if a.posted() != s.active {
                drift(
                    out,
                    "balance_equals_lots",
                    format!(
                        "member {m} account {} posted {} but active lots hold {}",
                        a.id,
                        a.posted(),
                        s.active
                    ),
                );
            }
            if a.credits_pending != s.pending {
                drift(
                    out,
                    "pending_equals_lots",
                    format!(
                        "member {m} account {} pending {} but pending lots hold {}",
                        a.id, a.credits_pending, s.pending
                    ),
                );
            }
            if a.debits_pending != s.held {
                drift(
                    out,
                    "reserved_equals_held",
                    format!(
                        "member {m} account {} reserved {} but lots hold {}",
                        a.id, a.debits_pending, s.held
                    ),
                );
            }
            if a.posted() - a.debits_pending < 0 {
                drift(
                    out,
                    "available_not_negative",
                    format!(
                        "member {m} account {} available {}",
                        a.id,
                        a.posted() - a.debits_pending
                    ),
                );
            }
        }
    }
    for (acc, s) in per_account {
        if s.active != 0 || s.pending != 0 {
            drift(
                out,
                "lots_belong_to_members",
                format!("lots on account {acc} which is no member balance"),
            );
        }
    }
}

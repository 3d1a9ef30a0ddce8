//! Property tests of the ledger: random histories of up to 40 commands over three members, with a
//! clock that moves forward by a random amount before each command, applied to the in-memory book.
//!
//! Commands: earn (pending or not, with a random expiry or none), spend, reserve, post or void an
//! open reservation, refund part of an order (the caller's own bookkeeping of paid / refunded /
//! reversed per order, with `proportional_reversal`), refund part of a posted spend, transfer
//! between members, merge of one member into another, and the expiry and vesting jobs. A command
//! that returns an error is not applied.
//!
//! After every step: `invariants::check` finds no drift, no member's available balance is
//! negative, reserved points equal the open reservations, and no order has reversed more than it
//! earned. Each command also checks its own effect: balances, FEFO draws, the order in which a
//! reversal takes its sources. At the end every order is refunded in full and must have reversed
//! exactly what it earned.

use std::collections::HashMap;

use jifen_ledger::invariants::{AccountRow, Owner, TransferRow, check};
use jifen_ledger::memory::MemoryBook;
use jifen_ledger::ops::{
    self, CreditSpec, MemberBook, Refs, ReversalAccounts, ReversalOutcome, SpentDraw, TransferInfo,
};
use jifen_ledger::policy::{ShortfallPolicy, proportional_reversal};
use jifen_ledger::*;
use proptest::prelude::*;

const DAY: Millis = 86_400_000;
const HOUR: Millis = 3_600_000;
const MEMBERS: usize = 3;

#[derive(Debug, Clone)]
enum Cmd {
    Earn {
        member: usize,
        amount: i64,
        paid_minor: i64,
        pending_days: Option<i64>,
        expires_in_days: Option<i64>,
    },
    Spend {
        member: usize,
        amount: i64,
    },
    Reserve {
        member: usize,
        amount: i64,
    },
    Settle {
        pick: usize,
        post: bool,
    },
    RefundOrder {
        pick: usize,
        permille: i64,
        pending_first: bool,
    },
    RefundSpend {
        pick: usize,
        amount: i64,
    },
    Transfer {
        from: usize,
        to: usize,
        amount: i64,
    },
    Expire,
    Vest,
    Merge {
        from: usize,
        to: usize,
    },
}

/// A command, run after the clock moved forward by `advance_hours`.
#[derive(Debug, Clone)]
struct Step {
    advance_hours: i64,
    cmd: Cmd,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let member = || 0..MEMBERS;
    let amount = || 1..500i64;
    // Amounts taken from a balance: small ones half the time, so that more of them succeed.
    let take = || prop_oneof![1..60i64, 1..500i64];
    let earn = (
        member(),
        amount(),
        100..50_000i64,
        prop::option::weighted(0.4, 1..10i64),
        prop::option::weighted(0.8, 1..60i64),
    )
        .prop_map(
            |(member, amount, paid_minor, pending_days, expires_in_days)| Cmd::Earn {
                member,
                amount,
                paid_minor,
                pending_days,
                expires_in_days,
            },
        );
    prop_oneof![
        5 => earn,
        3 => (member(), take()).prop_map(|(member, amount)| Cmd::Spend { member, amount }),
        2 => (member(), take()).prop_map(|(member, amount)| Cmd::Reserve { member, amount }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, post)| Cmd::Settle { pick, post }),
        3 => (any::<usize>(), 1..=1000i64, any::<bool>())
            .prop_map(|(pick, permille, pending_first)| Cmd::RefundOrder {
                pick,
                permille,
                pending_first,
            }),
        2 => (any::<usize>(), take())
            .prop_map(|(pick, amount)| Cmd::RefundSpend { pick, amount }),
        // Mostly to another member; now and then to oneself, which is refused.
        2 => (member(), prop_oneof![9 => 1..MEMBERS, 1 => Just(0)], take())
            .prop_map(|(from, offset, amount)| Cmd::Transfer {
                from,
                to: (from + offset) % MEMBERS,
                amount,
            }),
        1 => Just(Cmd::Expire),
        1 => Just(Cmd::Vest),
        1 => (member(), 1..MEMBERS)
            .prop_map(|(from, offset)| Cmd::Merge { from, to: (from + offset) % MEMBERS }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (0..72i64, cmd()).prop_map(|(advance_hours, cmd)| Step { advance_hours, cmd })
}

fn pts(n: i64) -> Points {
    Points::positive(n).unwrap()
}

/// The draws a spend of `amount` must make: spendable lots soonest-expiring first, never-expiring
/// last, each emptied before the next is touched.
fn fefo_draws(lots: &[Lot], amount: i64, now: Millis) -> Vec<(LotId, i64)> {
    let mut spendable: Vec<Lot> = lots
        .iter()
        .filter(|l| l.is_spendable(now))
        .cloned()
        .collect();
    fefo_sort(&mut spendable);
    let mut left = amount;
    let mut draws = Vec::new();
    for l in spendable {
        let d = l.free().min(left);
        if d > 0 {
            draws.push((l.id, d));
            left -= d;
        }
    }
    draws
}

/// The caller's record of an order.
#[derive(Debug, Clone)]
struct Order {
    member: usize,
    order_ref: String,
    earned: i64,
    paid: i64,
    refunded: i64,
    reversed: i64,
    expiry_covered: i64,
}

struct World {
    book: MemoryBook,
    shortfall: ShortfallPolicy,
    members: Vec<(MemberId, AccountId, AccountId)>,
    issuance: AccountId,
    redemption: AccountId,
    expiry: AccountId,
    reversal: AccountId,
    write_off: AccountId,
    orders: Vec<Order>,
    /// Reservations and whether they are still open.
    reservations: Vec<(TransferId, bool)>,
    /// Posted spends and posted reservations: what a redemption refund can restore.
    spends: Vec<TransferId>,
    now: Millis,
}

impl World {
    fn new(shortfall: ShortfallPolicy) -> World {
        let mut book = MemoryBook::default();
        let mut sys = |k| book.open_account(PointType::Points, Owner::System(k));
        let issuance = sys(SystemAccount::IssuancePurchase);
        let redemption = sys(SystemAccount::Redemption);
        let expiry = sys(SystemAccount::Expiry);
        let reversal = sys(SystemAccount::Reversal);
        let write_off = sys(SystemAccount::WriteOff);
        let members = (0..MEMBERS)
            .map(|i| {
                let id = MemberId(i as i64 + 1);
                let balance = book.open_account(
                    PointType::Points,
                    Owner::Member(id, MemberAccountKind::Balance),
                );
                let debt = book.open_account(
                    PointType::Points,
                    Owner::Member(id, MemberAccountKind::Debt),
                );
                (id, balance, debt)
            })
            .collect();
        World {
            book,
            shortfall,
            members,
            issuance,
            redemption,
            expiry,
            reversal,
            write_off,
            orders: Vec::new(),
            reservations: Vec::new(),
            spends: Vec::new(),
            now: 0,
        }
    }

    fn debt(&self, m: usize) -> i64 {
        let a = self.book.account(self.members[m].2);
        a.debits_posted - a.credits_posted
    }

    fn member_book(&self, m: usize) -> MemberBook {
        let (member, balance, debt) = self.members[m];
        MemberBook {
            member,
            point_type: PointType::Points,
            balance,
            debt,
            debt_owed: self.debt(m),
        }
    }

    fn balance(&self, m: usize) -> AccountRow {
        self.book.account(self.members[m].1).clone()
    }

    fn lots_of(&self, m: usize) -> Vec<Lot> {
        self.book.lots_of(self.members[m].1)
    }

    fn lot(&self, id: LotId) -> Lot {
        self.book.lots.iter().find(|l| l.id == id).unwrap().clone()
    }

    /// What the member could spend now, counted from the lots.
    fn spendable(&self, m: usize) -> i64 {
        self.lots_of(m)
            .iter()
            .filter(|l| l.is_spendable(self.now))
            .map(Lot::free)
            .sum()
    }

    /// Applies a posting; the debts the command tracked must agree with the debt accounts.
    fn commit(&mut self, p: &Posting, books: &[(usize, &MemberBook)]) -> Vec<TransferId> {
        let (ids, _) = self.book.apply(p);
        for (m, b) in books {
            assert_eq!(b.debt_owed, self.debt(*m), "tracked debt of member {m}");
        }
        ids
    }

    fn info(&self, id: TransferId) -> TransferInfo {
        let (row, t) = self.book.transfer(id);
        TransferInfo {
            id,
            code: t.code.clone(),
            phase: row.phase,
            point_type: row.point_type,
            debit: row.debit,
            credit: row.credit,
            amount: row.amount,
            member: t.member,
            order_ref: t.order_ref.clone(),
        }
    }

    fn run(&mut self, step: &Step) {
        self.now += step.advance_hours * HOUR;
        let now = self.now;
        let mut p = Posting::default();
        match step.cmd {
            Cmd::Earn {
                member,
                amount,
                paid_minor,
                pending_days,
                expires_in_days,
            } => {
                let before = self.balance(member);
                let debt_before = self.debt(member);
                let order_ref = format!("o{}", self.orders.len());
                let mut b = self.member_book(member);
                let spec = CreditSpec {
                    code: code::PURCHASE,
                    source: self.issuance,
                    amount: pts(amount),
                    earned_at: now,
                    available_at: now + pending_days.unwrap_or(0) * DAY,
                    expires_at: expires_in_days.map(|d| now + d * DAY),
                };
                let refs = Refs {
                    order_ref: Some(order_ref.clone()),
                    ..Default::default()
                };
                ops::credit(&mut p, &mut b, &spec, &refs, now);
                self.commit(&p, &[(member, &b)]);
                let after = self.balance(member);
                if pending_days.is_some() {
                    assert_eq!(after.credits_pending - before.credits_pending, amount);
                    assert_eq!(after.posted(), before.posted());
                } else {
                    let repaid = debt_before - self.debt(member);
                    assert_eq!(
                        repaid,
                        debt_before.min(amount),
                        "a credit repays debt first"
                    );
                    assert_eq!(after.posted() - before.posted(), amount - repaid);
                }
                self.orders.push(Order {
                    member,
                    order_ref,
                    earned: amount,
                    paid: paid_minor,
                    refunded: 0,
                    reversed: 0,
                    expiry_covered: 0,
                });
            }
            Cmd::Spend { member, amount } | Cmd::Reserve { member, amount } => {
                let phase = if matches!(step.cmd, Cmd::Spend { .. }) {
                    Phase::Posted
                } else {
                    Phase::Pending
                };
                let b = self.member_book(member);
                let before = self.balance(member);
                let spendable = self.spendable(member);
                let lots = self.lots_of(member);
                let code = if phase == Phase::Posted {
                    code::REDEMPTION
                } else {
                    code::RESERVATION
                };
                match ops::spend(
                    &mut p,
                    &lots,
                    &b,
                    self.redemption,
                    pts(amount),
                    code,
                    phase,
                    &Refs::default(),
                    now,
                ) {
                    Ok(_) => {
                        let t = self.commit(&p, &[])[0];
                        assert_eq!(self.book.draws_of(t), fefo_draws(&lots, amount, now));
                        assert_eq!(self.spendable(member), spendable - amount);
                        let after = self.balance(member);
                        if phase == Phase::Posted {
                            assert_eq!(before.posted() - after.posted(), amount);
                            self.spends.push(t);
                        } else {
                            assert_eq!(after.debits_pending - before.debits_pending, amount);
                            assert_eq!(after.posted(), before.posted());
                            self.reservations.push((t, true));
                        }
                    }
                    Err(e) => assert_eq!(
                        e,
                        LedgerError::InsufficientPoints {
                            available: spendable,
                            requested: amount
                        }
                    ),
                }
            }
            Cmd::Settle { pick, post } => {
                let open: Vec<usize> = (0..self.reservations.len())
                    .filter(|&i| self.reservations[i].1)
                    .collect();
                if open.is_empty() {
                    return;
                }
                let i = open[pick % open.len()];
                let id = self.reservations[i].0;
                let info = self.info(id);
                let member = self.members.iter().position(|m| m.1 == info.debit).unwrap();
                let before = self.balance(member);
                if post {
                    ops::post_reservation(&mut p, &info, &self.book.draws_of(id), &Refs::default());
                    self.commit(&p, &[]);
                    self.spends.push(id);
                    let after = self.balance(member);
                    assert_eq!(before.posted() - after.posted(), info.amount);
                } else {
                    let draws: Vec<(Lot, i64)> = self
                        .book
                        .draws_of(id)
                        .into_iter()
                        .map(|(l, d)| (self.lot(l), d))
                        .collect();
                    let expired = ops::void_reservation(
                        &mut p,
                        &info,
                        &draws,
                        self.expiry,
                        &Refs::default(),
                        now,
                    );
                    let should_expire: i64 = draws
                        .iter()
                        .filter(|(l, _)| l.is_expired(now))
                        .map(|(_, d)| d)
                        .sum();
                    assert_eq!(expired, should_expire);
                    self.commit(&p, &[]);
                    let after = self.balance(member);
                    assert_eq!(before.posted() - after.posted(), expired);
                }
                assert_eq!(
                    before.debits_pending - self.balance(member).debits_pending,
                    info.amount
                );
                self.reservations[i].1 = false;
            }
            Cmd::RefundOrder {
                pick,
                permille,
                pending_first,
            } => {
                if self.orders.is_empty() {
                    return;
                }
                let i = pick % self.orders.len();
                self.refund_order(i, permille, pending_first);
            }
            Cmd::RefundSpend { pick, amount } => {
                if self.spends.is_empty() {
                    return;
                }
                let id = self.spends[pick % self.spends.len()];
                let mut restored: HashMap<LotId, i64> = HashMap::new();
                for (row, t) in &self.book.transfers {
                    if t.reversal_of == Some(id) {
                        for (lot, d) in self.book.draws_of(row.id) {
                            *restored.entry(lot).or_default() += d;
                        }
                    }
                }
                let draws: Vec<SpentDraw> = self
                    .book
                    .draws_of(id)
                    .into_iter()
                    .map(|(lot, drawn)| SpentDraw {
                        lot: self.lot(lot),
                        drawn,
                        restored: restored.get(&lot).copied().unwrap_or(0),
                    })
                    .collect();
                let restorable: i64 = draws.iter().map(|d| d.drawn - d.restored).sum();
                let info = self.info(id);
                let member = self.members.iter().position(|m| m.1 == info.debit).unwrap();
                let before = self.balance(member);
                match ops::reverse_spend(
                    &mut p,
                    &info,
                    &draws,
                    pts(amount),
                    self.expiry,
                    &Refs::default(),
                    now,
                ) {
                    Ok(out) => {
                        assert_eq!(out.restored, amount);
                        assert!(out.restored_expired <= out.restored);
                        self.commit(&p, &[]);
                        let after = self.balance(member);
                        assert_eq!(
                            after.posted() - before.posted(),
                            out.restored - out.restored_expired
                        );
                    }
                    Err(e) => {
                        assert!(amount > restorable);
                        assert_eq!(
                            e,
                            LedgerError::RestoreExceedsSpend {
                                restorable,
                                requested: amount
                            }
                        );
                    }
                }
            }
            Cmd::Transfer { from, to, amount } => {
                let a = self.member_book(from);
                let mut b = self.member_book(to);
                let lots = self.lots_of(from);
                let spendable = self.spendable(from);
                let (from_before, to_before) = (self.balance(from), self.balance(to));
                let debt_before = self.debt(to);
                match ops::transfer_between(
                    &mut p,
                    &lots,
                    &a,
                    &mut b,
                    pts(amount),
                    code::MEMBER_TRANSFER,
                    &Refs::default(),
                    now,
                ) {
                    Ok(_) => {
                        let t = self.commit(&p, &[(to, &b)])[0];
                        assert_eq!(self.book.draws_of(t), fefo_draws(&lots, amount, now));
                        let repaid = debt_before - self.debt(to);
                        assert_eq!(repaid, debt_before.min(amount));
                        assert_eq!(from_before.posted() - self.balance(from).posted(), amount);
                        assert_eq!(
                            self.balance(to).posted() - to_before.posted(),
                            amount - repaid
                        );
                    }
                    Err(LedgerError::SameMember) => assert_eq!(from, to),
                    Err(e) => assert_eq!(
                        e,
                        LedgerError::InsufficientPoints {
                            available: spendable,
                            requested: amount
                        }
                    ),
                }
            }
            Cmd::Expire => {
                let lots = self.book.lots.clone();
                let due: i64 = lots
                    .iter()
                    .filter(|l| l.status == LotStatus::Active && l.is_expired(now))
                    .map(Lot::free)
                    .sum();
                assert_eq!(ops::expire(&mut p, &lots, self.expiry, now), due);
                self.commit(&p, &[]);
                let lots = self.book.lots.clone();
                let mut again = Posting::default();
                assert_eq!(
                    ops::expire(&mut again, &lots, self.expiry, now),
                    0,
                    "expiry is idempotent"
                );
                assert!(again.is_empty());
            }
            Cmd::Merge { from, to } => {
                // Callers refuse a merge while the source has open reservations.
                let lots = self.lots_of(from);
                if lots.iter().any(|l| l.held > 0) {
                    return;
                }
                let (to_before, debt_before) = (self.balance(to), self.debt(to));
                let moved = (self.balance(from), self.debt(from));
                let a = self.member_book(from);
                let mut b = self.member_book(to);
                ops::merge_into(&mut p, &lots, &a, &mut b, &Refs::default());
                self.commit(&p, &[(to, &b)]);
                let (from_after, to_after) = (self.balance(from), self.balance(to));
                assert_eq!((from_after.posted(), from_after.credits_pending), (0, 0));
                assert_eq!(self.debt(from), 0);
                assert_eq!(to_after.posted() - to_before.posted(), moved.0.posted());
                assert_eq!(
                    to_after.credits_pending - to_before.credits_pending,
                    moved.0.credits_pending
                );
                assert_eq!(self.debt(to) - debt_before, moved.1);
                // The merged member's orders are the target's now.
                for o in self.orders.iter_mut().filter(|o| o.member == from) {
                    o.member = to;
                }
            }
            Cmd::Vest => {
                for m in 0..MEMBERS {
                    let mut b = self.member_book(m);
                    let lots = self.lots_of(m);
                    let mut p = Posting::default();
                    let due: i64 = lots
                        .iter()
                        .filter(|l| l.status == LotStatus::Pending && l.available_at <= now)
                        .map(|l| l.remaining)
                        .sum();
                    assert_eq!(ops::vest(&mut p, &lots, &mut b, now), due);
                    self.commit(&p, &[(m, &b)]);
                    assert!(
                        self.lots_of(m)
                            .iter()
                            .all(|l| l.status == LotStatus::Active || l.available_at > now),
                        "every lot whose window ended has vested"
                    );
                }
            }
        }
    }

    /// Refunds `permille` of what is left to refund of order `i` (at least one minor unit).
    fn refund_order(&mut self, i: usize, permille: i64, pending_first: bool) {
        let now = self.now;
        let o = self.orders[i].clone();
        let refundable = o.paid - o.refunded;
        if refundable == 0 {
            return;
        }
        let refund = (refundable * permille / 1000).max(1);
        let to_reverse = proportional_reversal(o.earned, o.paid, o.refunded, refund, o.reversed);
        let mut covered = 0;
        if to_reverse > 0 {
            let mut b = self.member_book(o.member);
            let before = self.balance(o.member);
            let debt_before = self.debt(o.member);
            let (order_lots, others): (Vec<Lot>, Vec<Lot>) = self
                .lots_of(o.member)
                .into_iter()
                .partition(|l| l.order_ref.as_deref() == Some(&o.order_ref));
            let expired: i64 = order_lots.iter().map(|l| l.expired).sum();
            let refs = Refs {
                order_ref: Some(o.order_ref.clone()),
                ..Default::default()
            };
            let accounts = ReversalAccounts {
                reversal: self.reversal,
                write_off: self.write_off,
            };
            let mut p = Posting::default();
            let out = ops::reverse_earn(
                &mut p,
                &order_lots,
                expired - o.expiry_covered,
                &others,
                &mut b,
                pts(to_reverse),
                self.shortfall,
                pending_first,
                accounts,
                &refs,
                now,
            );
            assert_eq!(
                out,
                expected_reversal(
                    &order_lots,
                    expired - o.expiry_covered,
                    &others,
                    to_reverse,
                    self.shortfall,
                    pending_first,
                    now
                ),
                "a reversal takes its sources in order"
            );
            let taken_posted = out.from_order_available + out.from_other_available;
            let taken_pending = out.from_order_pending + out.from_other_pending;
            self.commit(&p, &[(o.member, &b)]);
            let after = self.balance(o.member);
            assert_eq!(before.posted() - after.posted(), taken_posted);
            assert_eq!(
                before.credits_pending - after.credits_pending,
                taken_pending
            );
            assert_eq!(self.debt(o.member) - debt_before, out.to_debt);
            covered = out.covered_by_expiry;
        }
        let o = &mut self.orders[i];
        o.refunded += refund;
        o.reversed += to_reverse;
        o.expiry_covered += covered;
    }

    fn assert_invariants(&self) {
        let rows: Vec<TransferRow> = self.book.transfers.iter().map(|(r, _)| r.clone()).collect();
        let drift = check(&self.book.accounts, &rows, &self.book.lots);
        assert!(drift.is_empty(), "invariants drifted: {drift:#?}");
        let mut reserved = 0;
        for m in 0..MEMBERS {
            let a = self.balance(m);
            assert!(
                a.posted() - a.debits_pending >= 0,
                "member {m} available is negative: {a:?}"
            );
            assert!(self.debt(m) >= 0);
            reserved += a.debits_pending;
        }
        let open: i64 = self
            .reservations
            .iter()
            .filter(|r| r.1)
            .map(|r| self.book.transfer(r.0).0.amount)
            .sum();
        assert_eq!(
            reserved, open,
            "reserved points equal the open reservations"
        );
        for o in &self.orders {
            assert!(
                o.reversed <= o.earned,
                "order {} reversed {} of {}",
                o.order_ref,
                o.reversed,
                o.earned
            );
            assert!(o.refunded <= o.paid);
            assert!(o.expiry_covered <= o.reversed);
        }
    }
}

/// What `reverse_earn` must take from each source: the order's pending points, its unspent
/// points, its expired points not yet counted, the member's other points (pending or spendable
/// first, as asked), and the rest as debt or write-off.
fn expected_reversal(
    order_lots: &[Lot],
    expired_uncovered: i64,
    others: &[Lot],
    amount: i64,
    shortfall: ShortfallPolicy,
    pending_first: bool,
    now: Millis,
) -> ReversalOutcome {
    let pending = |ls: &[Lot]| -> i64 {
        ls.iter()
            .filter(|l| l.status == LotStatus::Pending)
            .map(|l| l.remaining)
            .sum()
    };
    let order_unspent: i64 = order_lots
        .iter()
        .filter(|l| l.status == LotStatus::Active)
        .map(Lot::free)
        .sum();
    let others_spendable: i64 = others
        .iter()
        .filter(|l| l.is_spendable(now))
        .map(Lot::free)
        .sum();
    let mut left = amount;
    let mut take = |have: i64| {
        let t = have.min(left);
        left -= t;
        t
    };
    let mut out = ReversalOutcome {
        requested: amount,
        from_order_pending: take(pending(order_lots)),
        from_order_available: take(order_unspent),
        covered_by_expiry: take(expired_uncovered.max(0)),
        ..Default::default()
    };
    if pending_first {
        out.from_other_pending = take(pending(others));
        out.from_other_available = take(others_spendable);
    } else {
        out.from_other_available = take(others_spendable);
        out.from_other_pending = take(pending(others));
    }
    match shortfall {
        ShortfallPolicy::Debt => out.to_debt = left,
        ShortfallPolicy::WriteOff => out.written_off = left,
    }
    out
}

fn run_history(steps: &[Step], shortfall: ShortfallPolicy) {
    let mut w = World::new(shortfall);
    for s in steps {
        w.run(s);
        w.assert_invariants();
    }
    // Close every open reservation, then refund every order in full: each takes back exactly
    // what it earned.
    for i in 0..w.reservations.len() {
        if w.reservations[i].1 {
            w.run(&Step {
                advance_hours: 0,
                cmd: Cmd::Settle {
                    pick: 0,
                    post: i % 2 == 0,
                },
            });
            w.assert_invariants();
        }
    }
    for i in 0..w.orders.len() {
        w.refund_order(i, 1000, i % 2 == 0);
        w.assert_invariants();
        let o = &w.orders[i];
        assert_eq!(
            (o.refunded, o.reversed),
            (o.paid, o.earned),
            "order {} fully refunded",
            o.order_ref
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_keep_every_invariant(
        steps in prop::collection::vec(step(), 1..40),
        debt in any::<bool>(),
    ) {
        let shortfall = if debt { ShortfallPolicy::Debt } else { ShortfallPolicy::WriteOff };
        run_history(&steps, shortfall);
    }

    #[test]
    fn cumulative_proportional_reversal_never_exceeds_earned_and_a_full_refund_reaches_it(
        earned in 0..100_000i64,
        paid in 1..10_000_000i64,
        parts in prop::collection::vec(1..=1000i64, 1..10),
    ) {
        let (mut refunded, mut reversed) = (0, 0);
        for permille in parts {
            let refund = ((paid - refunded) * permille / 1000).max(1);
            let r = proportional_reversal(earned, paid, refunded, refund, reversed);
            prop_assert!(r >= 0);
            refunded += refund;
            reversed += r;
            prop_assert!(reversed <= earned);
            if refunded >= paid {
                break;
            }
        }
        let rest = proportional_reversal(earned, paid, refunded, paid - refunded, reversed);
        prop_assert_eq!(reversed + rest, earned);
    }
}

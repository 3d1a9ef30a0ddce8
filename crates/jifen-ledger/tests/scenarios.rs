//! Scenario tests of the ledger: short, readable stories of what members do with their points
//! (earn, vest, spend, reserve, refund, transfer, merge, expire), run against the in-memory book.
//!
//! Every command is built into a fresh `Posting` by a function of `ops` and applied with
//! `MemoryBook::apply`; after every applied posting `invariants::check` must find no drift. Each
//! scenario then checks the exact numbers: balances, reserved and pending columns, lot counters.

use std::collections::HashMap;

use jifen_ledger::invariants::{AccountRow, Owner, TransferRow, check};
use jifen_ledger::memory::MemoryBook;
use jifen_ledger::ops::{
    self, CreditSpec, MemberBook, Refs, RestoreOutcome, ReversalAccounts, ReversalOutcome,
    SpentDraw, TransferInfo,
};
use jifen_ledger::policy::{LedgerPolicy, ShortfallPolicy, proportional_reversal};
use jifen_ledger::*;

const DAY: Millis = 86_400_000;

fn day(n: i64) -> Millis {
    n * DAY
}

fn pts(n: i64) -> Points {
    Points::positive(n).unwrap()
}

/// A member's two accounts.
#[derive(Debug, Clone, Copy)]
struct Member {
    id: MemberId,
    balance: AccountId,
    debt: AccountId,
}

/// What the caller of the ledger remembers about an order: what was paid and earned, and how
/// much of it refunds have given back and taken back so far.
#[derive(Debug, Clone)]
struct Order {
    member: usize,
    earned: i64,
    paid: i64,
    refunded: i64,
    reversed: i64,
    expiry_covered: i64,
}

/// A programme with its system accounts, its members and the orders they earned on.
struct Ledger {
    book: MemoryBook,
    issuance: AccountId,
    redemption: AccountId,
    expiry: AccountId,
    reversal: AccountId,
    write_off: AccountId,
    members: Vec<Member>,
    orders: HashMap<String, Order>,
}

impl Ledger {
    fn new() -> Ledger {
        let mut book = MemoryBook::default();
        let mut sys = |k| book.open_account(PointType::Points, Owner::System(k));
        let issuance = sys(SystemAccount::IssuancePurchase);
        let redemption = sys(SystemAccount::Redemption);
        let expiry = sys(SystemAccount::Expiry);
        let reversal = sys(SystemAccount::Reversal);
        let write_off = sys(SystemAccount::WriteOff);
        Ledger {
            book,
            issuance,
            redemption,
            expiry,
            reversal,
            write_off,
            members: Vec::new(),
            orders: HashMap::new(),
        }
    }

    /// Opens a member's balance and debt accounts; returns the member's index.
    fn add_member(&mut self) -> usize {
        let id = MemberId(self.members.len() as i64 + 1);
        let balance = self.book.open_account(
            PointType::Points,
            Owner::Member(id, MemberAccountKind::Balance),
        );
        let debt = self.book.open_account(
            PointType::Points,
            Owner::Member(id, MemberAccountKind::Debt),
        );
        self.members.push(Member { id, balance, debt });
        self.members.len() - 1
    }

    /// The member as a command sees it, with the debt read from the debt account.
    fn member_book(&self, m: usize) -> MemberBook {
        let a = self.members[m];
        MemberBook {
            member: a.id,
            point_type: PointType::Points,
            balance: a.balance,
            debt: a.debt,
            debt_owed: self.debt(m),
        }
    }

    /// Applies a posting, then checks every invariant and that the debts the command tracked in
    /// its `MemberBook`s agree with the debt accounts.
    fn commit(&mut self, p: &Posting, books: &[&MemberBook]) -> (Vec<TransferId>, Vec<LotId>) {
        let ids = self.book.apply(p);
        self.assert_no_drift();
        for b in books {
            let a = self.book.account(b.debt);
            assert_eq!(
                b.debt_owed,
                a.debits_posted - a.credits_posted,
                "debt tracked by the command agrees with member {}'s debt account",
                b.member
            );
        }
        ids
    }

    fn assert_no_drift(&self) {
        let rows: Vec<TransferRow> = self.book.transfers.iter().map(|(r, _)| r.clone()).collect();
        let drift = check(&self.book.accounts, &rows, &self.book.lots);
        assert!(drift.is_empty(), "invariants drifted: {drift:#?}");
    }

    // ---- Commands ----

    /// Credits `amount` points for order `order` (paid `amount` yuan, i.e. `amount * 100` minor
    /// units). Returns the new lot.
    fn earn(
        &mut self,
        m: usize,
        order: &str,
        amount: i64,
        now: Millis,
        available_at: Millis,
        expires_at: Option<Millis>,
    ) -> LotId {
        let mut b = self.member_book(m);
        let mut p = Posting::default();
        let spec = CreditSpec {
            code: code::PURCHASE,
            source: self.issuance,
            amount: pts(amount),
            earned_at: now,
            available_at,
            expires_at,
        };
        let refs = Refs {
            order_ref: Some(order.to_string()),
            ..Default::default()
        };
        ops::credit(&mut p, &mut b, &spec, &refs, now);
        let (_, lots) = self.commit(&p, &[&b]);
        let previous = self.orders.insert(
            order.to_string(),
            Order {
                member: m,
                earned: amount,
                paid: amount * 100,
                refunded: 0,
                reversed: 0,
                expiry_covered: 0,
            },
        );
        assert!(previous.is_none(), "order refs are unique");
        lots[0]
    }

    /// Earns points that are spendable at once.
    fn earn_now(
        &mut self,
        m: usize,
        order: &str,
        amount: i64,
        now: Millis,
        expires: Option<Millis>,
    ) -> LotId {
        self.earn(m, order, amount, now, now, expires)
    }

    fn draw(
        &mut self,
        m: usize,
        amount: i64,
        phase: Phase,
        now: Millis,
    ) -> Result<TransferId, LedgerError> {
        let b = self.member_book(m);
        let lots = self.book.lots_of(b.balance);
        let code = if phase == Phase::Posted {
            code::REDEMPTION
        } else {
            code::RESERVATION
        };
        let mut p = Posting::default();
        ops::spend(
            &mut p,
            &lots,
            &b,
            self.redemption,
            pts(amount),
            code,
            phase,
            &Refs::default(),
            now,
        )?;
        let (ids, _) = self.commit(&p, &[&b]);
        Ok(ids[0])
    }

    fn spend(&mut self, m: usize, amount: i64, now: Millis) -> Result<TransferId, LedgerError> {
        self.draw(m, amount, Phase::Posted, now)
    }

    fn reserve(&mut self, m: usize, amount: i64, now: Millis) -> Result<TransferId, LedgerError> {
        self.draw(m, amount, Phase::Pending, now)
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

    fn post(&mut self, reservation: TransferId) {
        let mut p = Posting::default();
        let draws = self.book.draws_of(reservation);
        ops::post_reservation(&mut p, &self.info(reservation), &draws, &Refs::default());
        self.commit(&p, &[]);
    }

    /// Voids a reservation; returns the points that expired at once because their lot had.
    fn void(&mut self, reservation: TransferId, now: Millis) -> i64 {
        let draws: Vec<(Lot, i64)> = self
            .book
            .draws_of(reservation)
            .into_iter()
            .map(|(l, d)| (self.lot(l).clone(), d))
            .collect();
        let mut p = Posting::default();
        let expired = ops::void_reservation(
            &mut p,
            &self.info(reservation),
            &draws,
            self.expiry,
            &Refs::default(),
            now,
        );
        self.commit(&p, &[]);
        expired
    }

    /// Refunds `refund_minor` of an order's paid amount and takes back the proportional share of
    /// the points it earned. Posts nothing when that share is zero.
    fn refund_order(
        &mut self,
        order: &str,
        refund_minor: i64,
        shortfall: ShortfallPolicy,
        now: Millis,
    ) -> ReversalOutcome {
        let policy = LedgerPolicy {
            shortfall,
            ..LedgerPolicy::default()
        };
        self.refund_order_under(&policy, order, refund_minor, now)
    }

    /// `refund_order` under a programme's shortfall and clawback settings.
    fn refund_order_under(
        &mut self,
        policy: &LedgerPolicy,
        order: &str,
        refund_minor: i64,
        now: Millis,
    ) -> ReversalOutcome {
        let o = self.orders[order].clone();
        let to_reverse =
            proportional_reversal(o.earned, o.paid, o.refunded, refund_minor, o.reversed);
        let mut out = ReversalOutcome::default();
        if to_reverse > 0 {
            let mut b = self.member_book(o.member);
            let (order_lots, others): (Vec<Lot>, Vec<Lot>) = self
                .book
                .lots_of(b.balance)
                .into_iter()
                .partition(|l| l.order_ref.as_deref() == Some(order));
            let expired: i64 = order_lots.iter().map(|l| l.expired).sum();
            let refs = Refs {
                order_ref: Some(order.to_string()),
                ..Default::default()
            };
            let mut p = Posting::default();
            out = ops::reverse_earn(
                &mut p,
                &order_lots,
                expired - o.expiry_covered,
                &others,
                &mut b,
                pts(to_reverse),
                policy.shortfall,
                policy.clawback_pending_first,
                ReversalAccounts {
                    reversal: self.reversal,
                    write_off: self.write_off,
                },
                &refs,
                now,
            );
            assert_eq!(out.requested, to_reverse);
            assert_eq!(
                out.from_order_pending
                    + out.from_order_available
                    + out.covered_by_expiry
                    + out.from_other_pending
                    + out.from_other_available
                    + out.to_debt
                    + out.written_off,
                to_reverse,
                "a reversal's parts add up to what was requested"
            );
            self.commit(&p, &[&b]);
        }
        let o = self.orders.get_mut(order).unwrap();
        o.refunded += refund_minor;
        o.reversed += to_reverse;
        o.expiry_covered += out.covered_by_expiry;
        out
    }

    /// Gives back `amount` of a posted spend (or posted reservation) to the lots it drew from.
    fn refund_spend(
        &mut self,
        spend: TransferId,
        amount: i64,
        now: Millis,
    ) -> Result<RestoreOutcome, LedgerError> {
        let mut restored: HashMap<LotId, i64> = HashMap::new();
        for (row, t) in &self.book.transfers {
            if t.reversal_of == Some(spend) {
                for (lot, d) in self.book.draws_of(row.id) {
                    *restored.entry(lot).or_default() += d;
                }
            }
        }
        let draws: Vec<SpentDraw> = self
            .book
            .draws_of(spend)
            .into_iter()
            .map(|(lot, drawn)| SpentDraw {
                lot: self.lot(lot).clone(),
                drawn,
                restored: restored.get(&lot).copied().unwrap_or(0),
            })
            .collect();
        let mut p = Posting::default();
        let out = ops::reverse_spend(
            &mut p,
            &self.info(spend),
            &draws,
            pts(amount),
            self.expiry,
            &Refs::default(),
            now,
        )?;
        self.commit(&p, &[]);
        Ok(out)
    }

    fn transfer(
        &mut self,
        from: usize,
        to: usize,
        amount: i64,
        now: Millis,
    ) -> Result<TransferId, LedgerError> {
        let a = self.member_book(from);
        let mut b = self.member_book(to);
        let lots = self.book.lots_of(a.balance);
        let mut p = Posting::default();
        ops::transfer_between(
            &mut p,
            &lots,
            &a,
            &mut b,
            pts(amount),
            code::MEMBER_TRANSFER,
            &Refs::default(),
            now,
        )?;
        let (ids, _) = self.commit(&p, &[&b]);
        Ok(ids[0])
    }

    fn merge(&mut self, from: usize, to: usize) {
        let a = self.member_book(from);
        let mut b = self.member_book(to);
        let lots = self.book.lots_of(a.balance);
        let mut p = Posting::default();
        ops::merge_into(&mut p, &lots, &a, &mut b, &Refs::default());
        self.commit(&p, &[&b]);
    }

    /// The expiry job over the whole book.
    fn expire(&mut self, now: Millis) -> i64 {
        let lots = self.book.lots.clone();
        let mut p = Posting::default();
        let n = ops::expire(&mut p, &lots, self.expiry, now);
        self.commit(&p, &[]);
        n
    }

    /// The vesting job for one member.
    fn vest(&mut self, m: usize, now: Millis) -> i64 {
        let mut b = self.member_book(m);
        let lots = self.book.lots_of(b.balance);
        let mut p = Posting::default();
        let n = ops::vest(&mut p, &lots, &mut b, now);
        self.commit(&p, &[&b]);
        n
    }

    // ---- Reading ----

    fn balance(&self, m: usize) -> &AccountRow {
        self.book.account(self.members[m].balance)
    }

    /// Settled points of the member.
    fn posted(&self, m: usize) -> i64 {
        self.balance(m).posted()
    }

    /// Settled points that no reservation holds.
    fn available(&self, m: usize) -> i64 {
        self.posted(m) - self.balance(m).debits_pending
    }

    fn reserved(&self, m: usize) -> i64 {
        self.balance(m).debits_pending
    }

    /// Points earned but not yet vested.
    fn pending(&self, m: usize) -> i64 {
        self.balance(m).credits_pending
    }

    fn debt(&self, m: usize) -> i64 {
        let a = self.book.account(self.members[m].debt);
        a.debits_posted - a.credits_posted
    }

    fn system(&self, acc: AccountId) -> &AccountRow {
        self.book.account(acc)
    }

    fn lot(&self, id: LotId) -> &Lot {
        self.book
            .lots
            .iter()
            .find(|l| l.id == id)
            .expect("lot exists")
    }

    fn lots_of(&self, m: usize) -> Vec<Lot> {
        self.book.lots_of(self.members[m].balance)
    }
}

/// Asserts a lot's counters: (remaining, held, spent, expired, reversed, moved).
fn assert_lot(l: &Lot, counters: (i64, i64, i64, i64, i64, i64)) {
    assert_eq!(
        (l.remaining, l.held, l.spent, l.expired, l.reversed, l.moved),
        counters,
        "lot {} counters (remaining, held, spent, expired, reversed, moved)",
        l.id
    );
}

// ---- Earning, vesting, spending ----

#[test]
fn points_earned_in_the_return_window_are_pending_until_they_vest_then_can_be_spent() {
    let mut l = Ledger::new();
    let alice = l.add_member();
    let lot = l.earn(alice, "o1", 100, day(0), day(7), Some(day(365)));

    assert_eq!(l.pending(alice), 100);
    assert_eq!(l.posted(alice), 0);
    assert_eq!(l.lot(lot).status, LotStatus::Pending);
    assert_eq!(
        l.system(l.issuance).credits_pending - l.system(l.issuance).debits_pending,
        -100
    );
    assert_eq!(
        l.spend(alice, 10, day(1)),
        Err(LedgerError::InsufficientPoints {
            available: 0,
            requested: 10
        }),
        "pending points cannot be spent"
    );
    assert_eq!(
        l.vest(alice, day(6)),
        0,
        "nothing vests before the window ends"
    );

    assert_eq!(l.vest(alice, day(7)), 100);
    assert_eq!(l.pending(alice), 0);
    assert_eq!(l.posted(alice), 100);
    assert_eq!(l.lot(lot).status, LotStatus::Active);
    assert_eq!(l.system(l.issuance).posted(), -100);
    assert_eq!(l.vest(alice, day(8)), 0, "a lot vests once");

    l.spend(alice, 30, day(8)).unwrap();
    assert_eq!(l.posted(alice), 70);
    assert_eq!(l.system(l.redemption).posted(), 30);
    assert_lot(l.lot(lot), (70, 0, 30, 0, 0, 0));
}

#[test]
fn spending_draws_the_soonest_expiring_lot_first_and_never_expiring_points_last() {
    let mut l = Ledger::new();
    let bob = l.add_member();
    let late = l.earn_now(bob, "late", 50, day(0), Some(day(30)));
    let never = l.earn_now(bob, "never", 50, day(0), None);
    let soon = l.earn_now(bob, "soon", 50, day(0), Some(day(10)));
    // Same expiry as `late` but earned a day later: drawn after it.
    let late_newer = l.earn_now(bob, "late-newer", 50, day(1), Some(day(30)));

    let spend = l.spend(bob, 120, day(2)).unwrap();

    assert_eq!(
        l.book.draws_of(spend),
        vec![(soon, 50), (late, 50), (late_newer, 20)]
    );
    assert_lot(l.lot(soon), (0, 0, 50, 0, 0, 0));
    assert_lot(l.lot(late), (0, 0, 50, 0, 0, 0));
    assert_lot(l.lot(late_newer), (30, 0, 20, 0, 0, 0));
    assert_lot(l.lot(never), (50, 0, 0, 0, 0, 0));
    assert_eq!(l.posted(bob), 80);

    let spend = l.spend(bob, 40, day(3)).unwrap();
    assert_eq!(l.book.draws_of(spend), vec![(late_newer, 30), (never, 10)]);
}

#[test]
fn spending_more_than_is_available_is_refused_with_both_amounts_and_changes_nothing() {
    let mut l = Ledger::new();
    let carol = l.add_member();
    l.earn_now(carol, "o1", 100, day(0), Some(day(100)));
    l.reserve(carol, 30, day(0)).unwrap();
    l.earn(carol, "o2", 50, day(0), day(7), Some(day(100))); // pending: not spendable
    l.earn_now(carol, "o3", 20, day(0), Some(day(5))); // expired by day 6, job not run yet
    assert_eq!(l.available(carol), 90);

    let accounts = l.book.accounts.clone();
    let lots = l.book.lots.clone();
    let transfers = l.book.transfers.len();

    assert_eq!(
        l.spend(carol, 100, day(6)),
        Err(LedgerError::InsufficientPoints {
            available: 70,
            requested: 100
        })
    );
    assert_eq!(
        l.reserve(carol, 71, day(6)),
        Err(LedgerError::InsufficientPoints {
            available: 70,
            requested: 71
        })
    );
    assert_eq!(l.book.accounts, accounts);
    assert_eq!(l.book.lots, lots);
    assert_eq!(l.book.transfers.len(), transfers);

    l.spend(carol, 70, day(6)).unwrap();
    // The expired lot stays on the balance until the expiry job runs.
    assert_eq!(l.available(carol), 20);
    assert_eq!(l.expire(day(6)), 20);
    assert_eq!(l.available(carol), 0);
}

// ---- Reservations ----

#[test]
fn a_reservation_holds_points_until_it_is_posted() {
    let mut l = Ledger::new();
    let dave = l.add_member();
    let a = l.earn_now(dave, "o1", 100, day(0), Some(day(30)));
    let b = l.earn_now(dave, "o2", 50, day(0), Some(day(60)));

    let res = l.reserve(dave, 120, day(1)).unwrap();
    assert_eq!(l.posted(dave), 150);
    assert_eq!(l.reserved(dave), 120);
    assert_eq!(l.available(dave), 30);
    assert_lot(l.lot(a), (100, 100, 0, 0, 0, 0));
    assert_lot(l.lot(b), (50, 20, 0, 0, 0, 0));
    assert_eq!(l.system(l.redemption).credits_pending, 120);

    l.post(res);
    assert_eq!(l.posted(dave), 30);
    assert_eq!(l.reserved(dave), 0);
    assert_eq!(l.available(dave), 30);
    assert_lot(l.lot(a), (0, 0, 100, 0, 0, 0));
    assert_lot(l.lot(b), (30, 0, 20, 0, 0, 0));
    assert_eq!(l.system(l.redemption).posted(), 120);
    assert_eq!(l.system(l.redemption).credits_pending, 0);
}

#[test]
fn voiding_a_reservation_returns_the_points_to_the_same_lots() {
    let mut l = Ledger::new();
    let erin = l.add_member();
    let a = l.earn_now(erin, "o1", 100, day(0), Some(day(30)));
    let b = l.earn_now(erin, "o2", 50, day(0), Some(day(60)));
    let res = l.reserve(erin, 120, day(1)).unwrap();
    assert_eq!(l.book.draws_of(res), vec![(a, 100), (b, 20)]);

    assert_eq!(l.void(res, day(2)), 0, "nothing had expired");
    assert_eq!(l.posted(erin), 150);
    assert_eq!(l.reserved(erin), 0);
    assert_eq!(l.available(erin), 150);
    assert_lot(l.lot(a), (100, 0, 0, 0, 0, 0));
    assert_lot(l.lot(b), (50, 0, 0, 0, 0, 0));
    assert_eq!(l.system(l.redemption).credits_pending, 0);
    assert_eq!(l.system(l.redemption).posted(), 0);

    // The points kept their lots, so they are drawn in the same order again.
    let spend = l.spend(erin, 120, day(3)).unwrap();
    assert_eq!(l.book.draws_of(spend), vec![(a, 100), (b, 20)]);
}

#[test]
fn voiding_a_reservation_after_its_lot_expired_expires_the_points_at_once() {
    let mut l = Ledger::new();
    let finn = l.add_member();
    let a = l.earn_now(finn, "o1", 100, day(0), Some(day(10)));
    let res = l.reserve(finn, 60, day(1)).unwrap();

    // The job expires only the free part; the held part waits for the reservation.
    assert_eq!(l.expire(day(11)), 40);
    assert_lot(l.lot(a), (60, 60, 0, 40, 0, 0));
    assert_eq!(l.posted(finn), 60);
    assert_eq!(l.available(finn), 0);

    assert_eq!(l.void(res, day(12)), 60);
    assert_lot(l.lot(a), (0, 0, 0, 100, 0, 0));
    assert_eq!(l.posted(finn), 0);
    assert_eq!(l.reserved(finn), 0);
    assert_eq!(l.system(l.expiry).posted(), 100);
    assert_eq!(l.expire(day(13)), 0);
}

// ---- Refunds of orders (reversing earned points) ----

#[test]
fn a_partial_refund_after_a_partial_spend_takes_the_order_lot_then_other_lots_then_debt() {
    let mut l = Ledger::new();
    let gus = l.add_member();
    let order_lot = l.earn_now(gus, "o1", 100, day(0), Some(day(300)));
    let other = l.earn_now(gus, "o2", 30, day(0), Some(day(400)));
    l.spend(gus, 80, day(1)).unwrap();
    assert_lot(l.lot(order_lot), (20, 0, 80, 0, 0, 0));

    // 70% of the 100 yuan paid: 70 of the 100 points.
    let out = l.refund_order("o1", 7_000, ShortfallPolicy::Debt, day(2));
    assert_eq!(
        out,
        ReversalOutcome {
            requested: 70,
            from_order_available: 20,
            from_other_available: 30,
            to_debt: 20,
            ..Default::default()
        }
    );
    assert_lot(l.lot(order_lot), (0, 0, 80, 0, 20, 0));
    assert_lot(l.lot(other), (0, 0, 0, 0, 30, 0));
    assert_eq!(l.posted(gus), 0);
    assert_eq!(l.debt(gus), 20);
    assert_eq!(l.system(l.reversal).posted(), 70);
    assert_eq!(l.system(l.write_off).posted(), 0);
    assert_eq!(l.orders["o1"].reversed, 70);
}

#[test]
fn a_shortfall_is_written_off_when_the_programme_carries_no_debt() {
    let mut l = Ledger::new();
    let hana = l.add_member();
    l.earn_now(hana, "o1", 100, day(0), Some(day(300)));
    l.earn_now(hana, "o2", 30, day(0), Some(day(400)));
    l.spend(hana, 80, day(1)).unwrap();

    let out = l.refund_order("o1", 7_000, ShortfallPolicy::WriteOff, day(2));
    assert_eq!(
        out,
        ReversalOutcome {
            requested: 70,
            from_order_available: 20,
            from_other_available: 30,
            written_off: 20,
            ..Default::default()
        }
    );
    assert_eq!(l.posted(hana), 0);
    assert_eq!(l.debt(hana), 0);
    assert_eq!(l.system(l.write_off).posted(), -20);
    assert_eq!(l.system(l.reversal).posted(), 70);
}

#[test]
fn a_refund_before_vesting_voids_the_orders_pending_points() {
    let mut l = Ledger::new();
    let ivy = l.add_member();
    let lot = l.earn(ivy, "o1", 100, day(0), day(7), Some(day(365)));

    let out = l.refund_order("o1", 2_500, ShortfallPolicy::Debt, day(1));
    assert_eq!(out.from_order_pending, 25);
    assert_eq!(out.requested, 25);
    assert_eq!(l.pending(ivy), 75);
    assert_lot(l.lot(lot), (75, 0, 0, 0, 25, 0));

    // Vesting posts what is left of the pending transfer.
    assert_eq!(l.vest(ivy, day(7)), 75);
    assert_eq!(l.posted(ivy), 75);
    assert_eq!(l.pending(ivy), 0);
    assert_eq!(l.system(l.issuance).posted(), -75);
    assert_eq!(l.system(l.issuance).debits_pending, 0);
}

#[test]
fn a_refund_after_the_earned_points_expired_is_covered_by_expiry_and_leaves_other_points_alone() {
    let mut l = Ledger::new();
    let jan = l.add_member();
    let order_lot = l.earn_now(jan, "o1", 100, day(0), Some(day(10)));
    let other = l.earn_now(jan, "o2", 50, day(0), None);
    assert_eq!(l.expire(day(11)), 100);

    let out = l.refund_order("o1", 4_000, ShortfallPolicy::Debt, day(12));
    assert_eq!(
        out,
        ReversalOutcome {
            requested: 40,
            covered_by_expiry: 40,
            ..Default::default()
        }
    );
    let out = l.refund_order("o1", 6_000, ShortfallPolicy::Debt, day(13));
    assert_eq!(
        out,
        ReversalOutcome {
            requested: 60,
            covered_by_expiry: 60,
            ..Default::default()
        }
    );

    assert_lot(l.lot(order_lot), (0, 0, 0, 100, 0, 0));
    assert_lot(l.lot(other), (50, 0, 0, 0, 0, 0));
    assert_eq!(l.posted(jan), 50);
    assert_eq!(l.debt(jan), 0);
    assert_eq!(l.system(l.reversal).posted(), 0);
    assert_eq!(l.orders["o1"].reversed, 100);
    assert_eq!(l.orders["o1"].expiry_covered, 100);
}

#[test]
fn a_clawback_beyond_the_order_takes_available_points_first_unless_the_programme_prefers_pending() {
    for pending_first in [false, true] {
        let mut l = Ledger::new();
        let uma = l.add_member();
        l.earn_now(uma, "o1", 100, day(0), None);
        l.spend(uma, 100, day(0)).unwrap();
        let available = l.earn_now(uma, "o2", 30, day(0), Some(day(50)));
        let older = l.earn(uma, "o3", 30, day(0), day(5), None);
        let newer = l.earn(uma, "o4", 30, day(1), day(6), None);

        let policy = LedgerPolicy {
            clawback_pending_first: pending_first,
            ..LedgerPolicy::default()
        };
        let out = l.refund_order_under(&policy, "o1", 5_000, day(2));
        // Pending points are taken latest-vesting first.
        if pending_first {
            assert_eq!((out.from_other_pending, out.from_other_available), (50, 0));
            assert_lot(l.lot(newer), (0, 0, 0, 0, 30, 0));
            assert_lot(l.lot(older), (10, 0, 0, 0, 20, 0));
            assert_lot(l.lot(available), (30, 0, 0, 0, 0, 0));
            assert_eq!((l.posted(uma), l.pending(uma)), (30, 10));
        } else {
            assert_eq!((out.from_other_pending, out.from_other_available), (20, 30));
            assert_lot(l.lot(available), (0, 0, 0, 0, 30, 0));
            assert_lot(l.lot(newer), (10, 0, 0, 0, 20, 0));
            assert_lot(l.lot(older), (30, 0, 0, 0, 0, 0));
            assert_eq!((l.posted(uma), l.pending(uma)), (0, 40));
        }
        assert_eq!(out.to_debt, 0);
    }
}

#[test]
fn refunding_an_order_twice_takes_nothing_the_second_time() {
    let mut l = Ledger::new();
    let kim = l.add_member();
    l.earn_now(kim, "o1", 333, day(0), None);
    l.earn_now(kim, "o2", 100, day(0), None);

    let first = l.refund_order("o1", 16_650, ShortfallPolicy::Debt, day(1));
    assert_eq!(first.requested, 167, "half of 333 rounds half up");
    let second = l.refund_order("o1", 16_650, ShortfallPolicy::Debt, day(1));
    assert_eq!(second.requested, 166, "two halves take back exactly 333");
    assert_eq!(l.posted(kim), 100);

    let transfers = l.book.transfers.len();
    let again = l.refund_order("o1", 33_300, ShortfallPolicy::Debt, day(2));
    assert_eq!(again, ReversalOutcome::default());
    assert_eq!(
        l.book.transfers.len(),
        transfers,
        "a refund past the paid amount posts nothing"
    );
    assert_eq!(l.posted(kim), 100);
    assert_eq!(l.orders["o1"].reversed, 333);
}

// ---- Refunds of redemptions (restoring spent points) ----

#[test]
fn refunding_a_redemption_restores_latest_expiring_lots_first_and_expires_what_has_expired() {
    let mut l = Ledger::new();
    let lea = l.add_member();
    let short = l.earn_now(lea, "o1", 100, day(0), Some(day(10)));
    let never = l.earn_now(lea, "o2", 100, day(0), None);
    let spend = l.spend(lea, 150, day(1)).unwrap();
    assert_eq!(l.book.draws_of(spend), vec![(short, 100), (never, 50)]);
    assert_eq!(l.expire(day(11)), 0, "the short lot was fully spent");

    let out = l.refund_spend(spend, 120, day(12)).unwrap();
    assert_eq!(
        out,
        RestoreOutcome {
            restored: 120,
            restored_expired: 70
        }
    );
    assert_lot(l.lot(never), (100, 0, 0, 0, 0, 0));
    assert_lot(l.lot(short), (0, 0, 30, 70, 0, 0));
    assert_eq!(l.posted(lea), 100);
    assert_eq!(l.system(l.redemption).posted(), 30);
    assert_eq!(l.system(l.expiry).posted(), 70);
    assert_eq!(l.expire(day(12)), 0);
}

#[test]
fn restoring_more_than_is_left_of_a_spend_is_refused() {
    let mut l = Ledger::new();
    let max = l.add_member();
    l.earn_now(max, "o1", 100, day(0), None);
    let spend = l.spend(max, 50, day(1)).unwrap();
    assert_eq!(
        l.refund_spend(spend, 51, day(2)),
        Err(LedgerError::RestoreExceedsSpend {
            restorable: 50,
            requested: 51
        })
    );
    l.refund_spend(spend, 30, day(2)).unwrap();
    assert_eq!(l.posted(max), 80);
    let transfers = l.book.transfers.len();
    assert_eq!(
        l.refund_spend(spend, 30, day(3)),
        Err(LedgerError::RestoreExceedsSpend {
            restorable: 20,
            requested: 30
        })
    );
    assert_eq!(l.book.transfers.len(), transfers);
    l.refund_spend(spend, 20, day(3)).unwrap();
    assert_eq!(l.posted(max), 100);
    assert_eq!(l.system(l.redemption).posted(), 0);
}

#[test]
fn a_posted_reservation_can_be_refunded_like_a_spend() {
    let mut l = Ledger::new();
    let ned = l.add_member();
    let lot = l.earn_now(ned, "o1", 100, day(0), None);
    let res = l.reserve(ned, 60, day(1)).unwrap();
    l.post(res);
    let out = l.refund_spend(res, 60, day(2)).unwrap();
    assert_eq!(
        out,
        RestoreOutcome {
            restored: 60,
            restored_expired: 0
        }
    );
    assert_lot(l.lot(lot), (100, 0, 0, 0, 0, 0));
    assert_eq!(l.posted(ned), 100);
}

// ---- Between members ----

#[test]
fn points_transferred_to_another_member_keep_their_expiry_and_the_senders_refund_falls_on_the_sender()
 {
    let mut l = Ledger::new();
    let olga = l.add_member();
    let pia = l.add_member();
    let order_lot = l.earn_now(olga, "o1", 100, day(0), Some(day(30)));
    let other = l.earn_now(olga, "o2", 50, day(0), None);

    let t = l.transfer(olga, pia, 80, day(1)).unwrap();
    assert_eq!(l.book.draws_of(t), vec![(order_lot, 80)]);
    assert_lot(l.lot(order_lot), (20, 0, 0, 0, 0, 80));
    let received = l.lots_of(pia);
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(
        (r.amount, r.status, r.expires_at, r.earned_at),
        (80, LotStatus::Active, Some(day(30)), day(0))
    );
    assert_eq!(l.posted(olga), 70);
    assert_eq!(l.posted(pia), 80);
    assert_eq!(
        l.transfer(olga, olga, 1, day(1)),
        Err(LedgerError::SameMember)
    );

    // The whole order is refunded: the sender gives back what she has and owes the rest.
    let out = l.refund_order("o1", 10_000, ShortfallPolicy::Debt, day(2));
    assert_eq!(
        out,
        ReversalOutcome {
            requested: 100,
            from_order_available: 20,
            from_other_available: 50,
            to_debt: 30,
            ..Default::default()
        }
    );
    assert_lot(l.lot(other), (0, 0, 0, 0, 50, 0));
    assert_eq!(l.posted(olga), 0);
    assert_eq!(l.debt(olga), 30);
    assert_eq!(l.posted(pia), 80, "the receiver keeps the points");
    assert_eq!(l.debt(pia), 0);

    // The received points expire on the original date.
    assert_eq!(l.expire(day(30)), 80);
    assert_eq!(l.posted(pia), 0);
}

#[test]
fn a_debt_is_repaid_from_the_next_credit_and_from_points_as_they_vest() {
    let mut l = Ledger::new();
    let quinn = l.add_member();
    l.earn_now(quinn, "o1", 50, day(0), None);
    l.spend(quinn, 50, day(1)).unwrap();
    l.refund_order("o1", 5_000, ShortfallPolicy::Debt, day(2));
    assert_eq!(l.debt(quinn), 50);

    // Pending points repay nothing until they vest.
    let pending = l.earn(quinn, "o2", 30, day(3), day(10), None);
    assert_eq!(l.debt(quinn), 50);
    assert_eq!(l.pending(quinn), 30);
    assert_eq!(l.vest(quinn, day(10)), 30);
    assert_lot(l.lot(pending), (0, 0, 30, 0, 0, 0));
    assert_eq!(l.debt(quinn), 20);
    assert_eq!(l.posted(quinn), 0);

    let next = l.earn_now(quinn, "o3", 45, day(11), None);
    assert_lot(l.lot(next), (25, 0, 20, 0, 0, 0));
    assert_eq!(l.debt(quinn), 0);
    assert_eq!(l.posted(quinn), 25);
    assert_eq!(l.book.account(l.members[quinn].debt).posted(), 0);

    // Points received from another member repay debt too.
    let rita = l.add_member();
    l.earn_now(rita, "o4", 10, day(11), None);
    l.spend(quinn, 25, day(11)).unwrap();
    l.refund_order("o3", 4_500, ShortfallPolicy::Debt, day(12));
    assert_eq!(l.debt(quinn), 45);
    l.transfer(rita, quinn, 10, day(12)).unwrap();
    assert_eq!(l.debt(quinn), 35);
    assert_eq!(l.posted(quinn), 0);
}

#[test]
fn merging_a_member_moves_active_and_pending_lots_and_debt() {
    let mut l = Ledger::new();
    let from = l.add_member();
    let to = l.add_member();
    l.earn_now(to, "t1", 10, day(0), None);

    // Give `from` free points and a debt at once: the points are held while a refund runs short.
    l.earn_now(from, "o1", 100, day(0), Some(day(30)));
    let res = l.reserve(from, 100, day(0)).unwrap();
    l.earn_now(from, "o2", 60, day(0), None);
    l.spend(from, 60, day(0)).unwrap();
    let out = l.refund_order("o2", 6_000, ShortfallPolicy::Debt, day(1));
    assert_eq!(out.to_debt, 60);
    l.void(res, day(1));
    l.earn(from, "o3", 40, day(1), day(7), Some(day(90)));
    assert_eq!(
        (l.posted(from), l.pending(from), l.debt(from)),
        (100, 40, 60)
    );

    l.merge(from, to);

    assert_eq!((l.posted(from), l.pending(from), l.debt(from)), (0, 0, 0));
    assert_eq!((l.posted(to), l.pending(to), l.debt(to)), (110, 40, 60));
    assert!(l.lots_of(from).iter().all(|x| x.remaining == 0));
    let moved: Vec<_> = l
        .lots_of(to)
        .into_iter()
        .filter(|x| x.order_ref.as_deref() != Some("t1"))
        .map(|x| {
            (
                x.order_ref.unwrap(),
                x.status,
                x.amount,
                x.available_at,
                x.expires_at,
            )
        })
        .collect();
    assert_eq!(
        moved,
        vec![
            (
                "o1".to_string(),
                LotStatus::Active,
                100,
                day(0),
                Some(day(30))
            ),
            (
                "o3".to_string(),
                LotStatus::Pending,
                40,
                day(7),
                Some(day(90))
            ),
        ]
    );

    // The moved pending lot vests on the target and repays the moved debt.
    assert_eq!(l.vest(to, day(7)), 40);
    assert_eq!((l.posted(to), l.pending(to), l.debt(to)), (110, 0, 20));
    assert_eq!(
        l.vest(from, day(7)),
        0,
        "nothing is left to vest on the merged member"
    );
    assert_eq!(l.pending(from), 0);
}

// ---- Jobs ----

#[test]
fn the_expiry_job_expires_free_points_once_and_a_second_run_finds_nothing() {
    let mut l = Ledger::new();
    let sam = l.add_member();
    let tom = l.add_member();
    let a = l.earn_now(sam, "o1", 100, day(0), Some(day(10)));
    let b = l.earn_now(sam, "o2", 100, day(0), Some(day(20)));
    let c = l.earn_now(tom, "o3", 70, day(0), Some(day(10)));
    let d = l.earn(tom, "o4", 50, day(0), day(30), Some(day(10))); // still pending: not expired by the job
    l.spend(sam, 30, day(1)).unwrap();

    assert_eq!(l.expire(day(9)), 0, "nothing has reached its date");
    assert_eq!(l.expire(day(10)), 70 + 70, "a lot expires at its date");
    assert_eq!(l.expire(day(10)), 0);
    assert_eq!(l.expire(day(15)), 0);
    assert_lot(l.lot(a), (0, 0, 30, 70, 0, 0));
    assert_lot(l.lot(b), (100, 0, 0, 0, 0, 0));
    assert_lot(l.lot(c), (0, 0, 0, 70, 0, 0));
    assert_lot(l.lot(d), (50, 0, 0, 0, 0, 0));

    assert_eq!(l.expire(day(20)), 100);
    assert_eq!(l.expire(day(21)), 0);
    assert_eq!(l.posted(sam), 0);
    assert_eq!(l.system(l.expiry).posted(), 240);
    assert_eq!(l.pending(tom), 50);
}

// ---- Postings ----

#[test]
fn two_credits_appended_into_one_posting_each_repay_debt_from_their_own_lot() {
    let mut l = Ledger::new();
    let wes = l.add_member();
    l.earn_now(wes, "o1", 20, day(0), None);
    l.spend(wes, 20, day(0)).unwrap();
    l.refund_order("o1", 2_000, ShortfallPolicy::Debt, day(0));
    assert_eq!(l.debt(wes), 20);

    let mut b = l.member_book(wes);
    let spec = |amount| CreditSpec {
        code: code::PURCHASE,
        source: l.issuance,
        amount: pts(amount),
        earned_at: day(1),
        available_at: day(1),
        expires_at: None,
    };
    let (mut first, mut second) = (Posting::default(), Posting::default());
    ops::credit(&mut first, &mut b, &spec(10), &Refs::default(), day(1));
    ops::credit(&mut second, &mut b, &spec(30), &Refs::default(), day(1));
    first.append(second);
    let (_, lots) = l.commit(&first, &[&b]);

    assert_eq!(lots.len(), 2);
    assert_lot(l.lot(lots[0]), (0, 0, 10, 0, 0, 0));
    assert_lot(l.lot(lots[1]), (20, 0, 10, 0, 0, 0));
    assert_eq!((l.posted(wes), l.debt(wes)), (20, 0));
}

// ---- Expired points repay no debt ----
//
// Expired points can neither be spent (`plan_draws` skips them) nor keep value through a refund
// (`reverse_spend` and `void_reservation` expire them at once), and so they repay no debt either:
// a lot that is already past its expiry date when it becomes available repays nothing.

/// `ops::vest` (via `repay_debt`): a purchase whose return window ends after its expiry
/// date (validity shorter than `pending_days`, or "end of this year" for a purchase in the last
/// days of December) vests already expired, and vesting uses those points to repay the member's
/// debt. Expected: the debt stays and the expiry job expires the whole lot.
#[test]
fn vesting_a_lot_that_expired_during_its_return_window_repays_no_debt() {
    let mut l = Ledger::new();
    let vic = l.add_member();
    l.earn_now(vic, "o1", 50, day(0), None);
    l.spend(vic, 50, day(0)).unwrap();
    l.refund_order("o1", 5_000, ShortfallPolicy::Debt, day(0));
    assert_eq!(l.debt(vic), 50);
    let lot = l.earn(vic, "o2", 100, day(0), day(7), Some(day(3)));

    assert_eq!(l.vest(vic, day(7)), 100);
    assert!(l.lot(lot).is_expired(day(7)));
    assert_eq!(
        l.debt(vic),
        50,
        "expired points repaid debt: lot {:?}",
        l.lot(lot)
    );
    assert_eq!(l.expire(day(7)), 100);
}

/// `ops::credit` (via `repay_debt`): a backdated purchase (`occurred_at` in the past, as
/// the app allows) whose points expired before it is recorded still repays debt with them.
/// Expected: the debt stays and the expiry job expires the whole lot.
#[test]
fn a_backdated_credit_whose_points_already_expired_repays_no_debt() {
    let mut l = Ledger::new();
    let val = l.add_member();
    l.earn_now(val, "o1", 50, day(0), None);
    l.spend(val, 50, day(0)).unwrap();
    l.refund_order("o1", 5_000, ShortfallPolicy::Debt, day(0));
    assert_eq!(l.debt(val), 50);

    let mut b = l.member_book(val);
    let spec = CreditSpec {
        code: code::PURCHASE,
        source: l.issuance,
        amount: pts(100),
        earned_at: day(1),
        available_at: day(8),
        expires_at: Some(day(10)),
    };
    let mut p = Posting::default();
    ops::credit(&mut p, &mut b, &spec, &Refs::default(), day(20));
    let (_, lots) = l.commit(&p, &[&b]);

    assert_eq!(
        l.debt(val),
        50,
        "expired points repaid debt: lot {:?}",
        l.lot(lots[0])
    );
    assert_eq!(l.expire(day(20)), 100);
}

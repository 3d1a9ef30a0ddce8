//! Property tests of the ledger: random sequences of earns, spends, reservations, refunds of
//! orders and of spends, transfers between members, vesting and expiry, applied to the in-memory
//! book. After every step every invariant holds, no member's available balance is negative, and
//! no order has reversed more than it earned.

use jifen_ledger::invariants::{Owner, TransferRow, check};
use jifen_ledger::memory::MemoryBook;
use jifen_ledger::ops::{self, CreditSpec, MemberBook, Refs, ReversalAccounts, SpentDraw};
use jifen_ledger::policy::{ShortfallPolicy, proportional_reversal};
use jifen_ledger::*;
use proptest::prelude::*;

const DAY: i64 = 86_400_000;
const MEMBERS: usize = 3;

#[derive(Debug, Clone)]
enum Step {
    Earn {
        member: usize,
        amount: i64,
        pending_days: i64,
        validity_days: i64,
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
    Advance {
        days: i64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..MEMBERS, 1..500i64, 0..3i64, 1..40i64).prop_map(|(member, amount, pending_days, validity_days)| Step::Earn { member, amount, pending_days, validity_days }),
        2 => (0..MEMBERS, 1..400i64).prop_map(|(member, amount)| Step::Spend { member, amount }),
        1 => (0..MEMBERS, 1..300i64).prop_map(|(member, amount)| Step::Reserve { member, amount }),
        1 => (0..8usize, any::<bool>()).prop_map(|(pick, post)| Step::Settle { pick, post }),
        2 => (0..8usize, 1..=1000i64).prop_map(|(pick, permille)| Step::RefundOrder { pick, permille }),
        1 => (0..8usize, 1..300i64).prop_map(|(pick, amount)| Step::RefundSpend { pick, amount }),
        1 => (0..MEMBERS, 0..MEMBERS, 1..300i64).prop_map(|(from, to, amount)| Step::Transfer { from, to, amount }),
        1 => (1..15i64).prop_map(|days| Step::Advance { days }),
    ]
}

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
    members: Vec<MemberBook>,
    issuance: AccountId,
    redemption: AccountId,
    expiry: AccountId,
    reversal: AccountId,
    write_off: AccountId,
    orders: Vec<Order>,
    reservations: Vec<(TransferId, bool)>,
    spends: Vec<TransferId>,
    now: Millis,
}

impl World {
    fn new(shortfall_debt: bool) -> World {
        let mut book = MemoryBook::default();
        let sys = |book: &mut MemoryBook, k| book.open_account(PointType::Points, Owner::System(k));
        let issuance = sys(&mut book, SystemAccount::IssuancePurchase);
        let redemption = sys(&mut book, SystemAccount::Redemption);
        let expiry = sys(&mut book, SystemAccount::Expiry);
        let reversal = sys(&mut book, SystemAccount::Reversal);
        let write_off = sys(&mut book, SystemAccount::WriteOff);
        let members = (0..MEMBERS)
            .map(|i| {
                let m = MemberId(i as i64 + 1);
                let balance = book.open_account(
                    PointType::Points,
                    Owner::Member(m, MemberAccountKind::Balance),
                );
                let debt =
                    book.open_account(PointType::Points, Owner::Member(m, MemberAccountKind::Debt));
                MemberBook {
                    member: m,
                    point_type: PointType::Points,
                    balance,
                    debt,
                    debt_owed: 0,
                }
            })
            .collect();
        let _ = shortfall_debt;
        World {
            book,
            members,
            issuance,
            redemption,
            expiry,
            reversal,
            write_off,
            orders: vec![],
            reservations: vec![],
            spends: vec![],
            now: 0,
        }
    }

    fn sync_debts(&mut self) {
        for m in &mut self.members {
            let a = self.book.account(m.debt);
            m.debt_owed = (a.debits_posted - a.credits_posted).max(0);
        }
    }

    fn apply(&mut self, p: &Posting) -> (Vec<TransferId>, Vec<LotId>) {
        let out = self.book.apply(p);
        self.sync_debts();
        out
    }

    fn run(&mut self, s: &Step, shortfall: ShortfallPolicy) {
        let now = self.now;
        let mut p = Posting::default();
        match s.clone() {
            Step::Earn {
                member,
                amount,
                pending_days,
                validity_days,
            } => {
                let order_ref = format!("o{}", self.orders.len());
                let refs = Refs {
                    order_ref: Some(order_ref.clone()),
                    ..Default::default()
                };
                let spec = CreditSpec {
                    code: code::PURCHASE,
                    source: self.issuance,
                    amount: Points::positive(amount).unwrap(),
                    earned_at: now,
                    available_at: now + pending_days * DAY,
                    expires_at: Some(now + validity_days * DAY),
                };
                ops::credit(&mut p, &mut self.members[member], &spec, &refs, now);
                self.apply(&p);
                self.orders.push(Order {
                    member,
                    order_ref,
                    earned: amount,
                    paid: amount * 100,
                    refunded: 0,
                    reversed: 0,
                    expiry_covered: 0,
                });
            }
            Step::Spend { member, amount } | Step::Reserve { member, amount } => {
                let phase = if matches!(s, Step::Spend { .. }) {
                    Phase::Posted
                } else {
                    Phase::Pending
                };
                let b = self.members[member].clone();
                let lots = self.book.lots_of(b.balance);
                let before = self.book.account(b.balance).clone();
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
                    Points::positive(amount).unwrap(),
                    code,
                    phase,
                    &Refs::default(),
                    now,
                ) {
                    Ok(_) => {
                        let (t, _) = self.apply(&p);
                        if phase == Phase::Posted {
                            self.spends.push(t[0]);
                        } else {
                            self.reservations.push((t[0], true));
                        }
                    }
                    Err(LedgerError::InsufficientPoints {
                        available,
                        requested,
                    }) => {
                        assert_eq!(requested, amount);
                        assert!(available < amount);
                        assert_eq!(
                            &before,
                            self.book.account(b.balance),
                            "a refused spend changed nothing"
                        );
                    }
                    Err(e) => panic!("unexpected {e}"),
                }
            }
            Step::Settle { pick, post } => {
                let open: Vec<usize> = (0..self.reservations.len())
                    .filter(|i| self.reservations[*i].1)
                    .collect();
                if open.is_empty() {
                    return;
                }
                let i = open[pick % open.len()];
                let id = self.reservations[i].0;
                let (row, t) = self.book.transfer(id).clone();
                let info = ops::TransferInfo {
                    id,
                    code: t.code.clone(),
                    phase: row.phase,
                    point_type: row.point_type,
                    debit: row.debit,
                    credit: row.credit,
                    amount: row.amount,
                    member: t.member,
                    order_ref: None,
                };
                let draws = self.book.draws_of(id);
                if post {
                    ops::post_reservation(&mut p, &info, &draws, &Refs::default());
                    self.spends.push(id);
                } else {
                    let with_lots: Vec<(Lot, i64)> = draws
                        .iter()
                        .map(|(l, a)| {
                            (
                                self.book.lots.iter().find(|x| x.id == *l).unwrap().clone(),
                                *a,
                            )
                        })
                        .collect();
                    ops::void_reservation(
                        &mut p,
                        &info,
                        &with_lots,
                        self.expiry,
                        &Refs::default(),
                        now,
                    );
                }
                self.reservations[i].1 = false;
                self.apply(&p);
            }
            Step::RefundOrder { pick, permille } => {
                if self.orders.is_empty() {
                    return;
                }
                let i = pick % self.orders.len();
                let o = &self.orders[i];
                let refundable = o.paid - o.refunded;
                if refundable == 0 {
                    return;
                }
                let amount = (refundable * permille / 1000).max(1);
                let to_reverse =
                    proportional_reversal(o.earned, o.paid, o.refunded, amount, o.reversed);
                let (member, order_ref) = (o.member, o.order_ref.clone());
                if to_reverse > 0 {
                    let mut b = self.members[member].clone();
                    let all = self.book.lots_of(b.balance);
                    let order_lots: Vec<Lot> = all
                        .iter()
                        .filter(|l| l.order_ref.as_deref() == Some(&order_ref))
                        .cloned()
                        .collect();
                    let others: Vec<Lot> = all
                        .iter()
                        .filter(|l| l.order_ref.as_deref() != Some(&order_ref) && l.remaining > 0)
                        .cloned()
                        .collect();
                    let expired: i64 = order_lots.iter().map(|l| l.expired).sum();
                    let uncovered = expired - self.orders[i].expiry_covered;
                    let accounts = ReversalAccounts {
                        reversal: self.reversal,
                        write_off: self.write_off,
                    };
                    let refs = Refs {
                        order_ref: Some(order_ref.clone()),
                        ..Default::default()
                    };
                    let out = ops::reverse_earn(
                        &mut p,
                        &order_lots,
                        uncovered,
                        &others,
                        &mut b,
                        Points::positive(to_reverse).unwrap(),
                        shortfall,
                        pick % 2 == 0,
                        accounts,
                        &refs,
                        now,
                    );
                    assert_eq!(out.requested, to_reverse);
                    self.orders[i].expiry_covered += out.covered_by_expiry;
                    self.apply(&p);
                }
                let o = &mut self.orders[i];
                o.refunded += amount;
                o.reversed += to_reverse;
            }
            Step::RefundSpend { pick, amount } => {
                if self.spends.is_empty() {
                    return;
                }
                let id = self.spends[pick % self.spends.len()];
                let (row, t) = self.book.transfer(id).clone();
                let restored: std::collections::HashMap<LotId, i64> = self
                    .book
                    .transfers
                    .iter()
                    .filter(|(_, nt)| nt.reversal_of == Some(id))
                    .flat_map(|(r, _)| self.book.draws_of(r.id))
                    .fold(Default::default(), |mut m, (l, a)| {
                        *m.entry(l).or_default() += a;
                        m
                    });
                let draws: Vec<SpentDraw> = self
                    .book
                    .draws_of(id)
                    .into_iter()
                    .map(|(l, a)| SpentDraw {
                        lot: self.book.lots.iter().find(|x| x.id == l).unwrap().clone(),
                        drawn: a,
                        restored: restored.get(&l).copied().unwrap_or(0),
                    })
                    .collect();
                let info = ops::TransferInfo {
                    id,
                    code: t.code.clone(),
                    phase: row.phase,
                    point_type: row.point_type,
                    debit: row.debit,
                    credit: row.credit,
                    amount: row.amount,
                    member: t.member,
                    order_ref: None,
                };
                let restorable: i64 = draws.iter().map(|d| d.drawn - d.restored).sum();
                match ops::reverse_spend(
                    &mut p,
                    &info,
                    &draws,
                    Points::positive(amount).unwrap(),
                    self.expiry,
                    &Refs::default(),
                    now,
                ) {
                    Ok(out) => {
                        assert_eq!(out.restored, amount);
                        self.apply(&p);
                    }
                    Err(LedgerError::RestoreExceedsSpend {
                        restorable: r,
                        requested,
                    }) => {
                        assert_eq!((r, requested), (restorable, amount));
                        assert!(amount > restorable);
                    }
                    Err(e) => panic!("unexpected {e}"),
                }
            }
            Step::Transfer { from, to, amount } => {
                let a = self.members[from].clone();
                let mut b = self.members[to].clone();
                let lots = self.book.lots_of(a.balance);
                match ops::transfer_between(
                    &mut p,
                    &lots,
                    &a,
                    &mut b,
                    Points::positive(amount).unwrap(),
                    code::MEMBER_TRANSFER,
                    &Refs::default(),
                    now,
                ) {
                    Ok(_) => {
                        self.apply(&p);
                    }
                    Err(LedgerError::SameMember) => assert_eq!(from, to),
                    Err(LedgerError::InsufficientPoints { .. }) => {}
                    Err(e) => panic!("unexpected {e}"),
                }
            }
            Step::Advance { days } => {
                self.now += days * DAY;
                let now = self.now;
                for i in 0..MEMBERS {
                    let mut b = self.members[i].clone();
                    let lots = self.book.lots_of(b.balance);
                    let mut p = Posting::default();
                    ops::vest(&mut p, &lots, &mut b, now);
                    self.apply(&p);
                }
                let lots = self.book.lots.clone();
                let mut p = Posting::default();
                ops::expire(&mut p, &lots, self.expiry, now);
                self.apply(&p);
                // Expiry runs at most once per point: a second run finds nothing.
                let lots = self.book.lots.clone();
                let mut again = Posting::default();
                assert_eq!(ops::expire(&mut again, &lots, self.expiry, now), 0);
            }
        }
    }

    fn assert_invariants(&self) {
        let rows: Vec<TransferRow> = self.book.transfers.iter().map(|(r, _)| r.clone()).collect();
        let drift = check(&self.book.accounts, &rows, &self.book.lots);
        assert!(drift.is_empty(), "{drift:#?}");
        for m in &self.members {
            let a = self.book.account(m.balance);
            assert!(
                a.posted() - a.debits_pending >= 0,
                "member {} available is negative",
                m.member
            );
        }
        for o in &self.orders {
            assert!(
                o.reversed <= o.earned,
                "order {} reversed {} of {}",
                o.order_ref,
                o.reversed,
                o.earned
            );
            assert!(o.refunded <= o.paid);
        }
    }
}

fn run_sequence(steps: &[Step], shortfall: ShortfallPolicy) {
    let mut w = World::new(shortfall == ShortfallPolicy::Debt);
    for s in steps {
        w.run(s, shortfall);
        w.assert_invariants();
    }
    // Refunding every order in full takes back exactly what each earned.
    for i in 0..w.orders.len() {
        w.run(
            &Step::RefundOrder {
                pick: i,
                permille: 1000,
            },
            shortfall,
        );
        w.assert_invariants();
        assert_eq!(
            w.orders[i].reversed, w.orders[i].earned,
            "a full refund reverses all an order earned"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_keep_every_invariant_with_debt(steps in proptest::collection::vec(step(), 1..40)) {
        run_sequence(&steps, ShortfallPolicy::Debt);
    }

    #[test]
    fn random_histories_keep_every_invariant_with_write_off(steps in proptest::collection::vec(step(), 1..40)) {
        run_sequence(&steps, ShortfallPolicy::WriteOff);
    }
}

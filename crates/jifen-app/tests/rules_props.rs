//! Property: for random sequences of purchases and refunds under earning rules (a threshold
//! bonus, a category bonus and a ladder bonus of the month), the points an order keeps never
//! exceed what its final (post-refund) state earns, never go below zero, and every ledger
//! invariant holds.

mod common;

use common::*;
use jifen_app::commands::{self, LineItem, MemberRef, Refund};
use jifen_app::earn::{self, RuleIn};
use jifen_ledger::policy::proportional_reversal;
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
    Purchase { amount: i64, coffee_pct: i64 },
    Refund { pick: usize, pct: i64 },
    Days(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (5_000i64..40_000, 0i64..=100).prop_map(|(amount, coffee_pct)| Op::Purchase { amount, coffee_pct }),
        3 => (0usize..50, prop_oneof![Just(100i64), 1i64..100]).prop_map(|(pick, pct)| Op::Refund { pick, pct }),
        1 => (1i64..20).prop_map(Op::Days),
    ]
}

/// An order as the test remembers it, to compute its final entitlement independently.
struct Placed {
    id: String,
    paid: i64,
    coffee_gross: i64,
    at: i64,
}

fn rule(w: &World, def: serde_json::Value) {
    let input = RuleIn {
        definition: serde_json::from_value(def).unwrap(),
        status: Some("active".into()),
        actor: None,
    };
    w.write(move |tx, ctx, now| earn::create_rule(tx, ctx, now, "staff:test", &input))
        .unwrap();
    w.app.invalidate_program(w.pid);
}

fn month_of(at: i64) -> (i16, i8) {
    let d = jiff::Timestamp::from_millisecond(at)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    (d.year(), d.month())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn an_order_never_keeps_more_than_its_final_state_earns(ops in prop::collection::vec(op(), 1..24)) {
        let w = World::new(sqlite(), policy(3));
        let m = w.member("p");
        rule(&w, json!({"name": "threshold", "trigger": "purchase", "points": "order.amount >= 20000 ? 100 : 0"}));
        rule(&w, json!({"name": "coffee", "trigger": "purchase", "points": "order.category_amount['coffee'] / 100"}));
        rule(&w, json!({"name": "ladder", "trigger": "purchase", "condition": "month.orders >= 3", "points": "1000",
            "caps": [{"period": "month", "max_count": 1}]}));
        let mut placed: Vec<Placed> = vec![];
        let mut day = 0;
        for (i, o) in ops.iter().enumerate() {
            match o {
                Op::Purchase { amount, coffee_pct } => {
                    let coffee = amount * coffee_pct / 100;
                    let mut p = World::purchase_input(&format!("o{i}"), MemberRef::Id { member_id: m }, *amount);
                    p.lines = vec![
                        LineItem { sku: "C".into(), category: Some("coffee".into()), quantity: 1, price_minor: coffee, kind: None },
                        LineItem { sku: "B".into(), category: Some("bakery".into()), quantity: 1, price_minor: amount - coffee, kind: None },
                    ];
                    w.write(move |tx, ctx, now| commands::purchase(tx, ctx, now, &p)).unwrap();
                    placed.push(Placed { id: format!("o{i}"), paid: *amount, coffee_gross: coffee, at: w.now() });
                }
                Op::Refund { pick, pct } => {
                    if placed.is_empty() { continue; }
                    let o = &placed[pick % placed.len()];
                    let left = { let r = w.order(&o.id).unwrap(); r.paid_minor - r.refunded_minor };
                    if left == 0 { continue; }
                    let amount = if *pct == 100 { None } else { Some((left * pct / 100).max(1)) };
                    let r = Refund { order_id: o.id.clone(), amount_minor: amount, reason: None };
                    w.write(move |tx, ctx, now| commands::refund(tx, ctx, now, &r)).unwrap();
                }
                Op::Days(d) => {
                    day += d;
                    w.at_day(day);
                    w.jobs();
                }
            }
        }
        // Each order's final entitlement, computed from the final state alone.
        let finals: Vec<(i64, i64, bool)> = placed.iter().map(|o| {
            let r = w.order(&o.id).unwrap();
            (r.paid_minor - r.refunded_minor, r.refunded_minor, r.refunded_minor < r.paid_minor)
        }).collect();
        for (k, o) in placed.iter().enumerate() {
            let r = w.order(&o.id).unwrap();
            let (left, refunded, live) = finals[k];
            let base_earned = o.paid / 100;
            let base_final = base_earned - proportional_reversal(base_earned, o.paid, 0, refunded, 0);
            let threshold = if left >= 20_000 { 100 } else { 0 };
            let coffee_amount = o.coffee_gross * o.paid / o.paid.max(1);
            let coffee = (coffee_amount * left / o.paid) / 100;
            let month = month_of(o.at);
            let in_month = placed.iter().zip(&finals)
                .filter(|(p, f)| month_of(p.at) == month && p.at <= o.at && f.2)
                .count();
            let ladder = if live && in_month >= 3 { 1000 } else { 0 };
            let entitled = if left == 0 { 0 } else { base_final + threshold + coffee + ladder };
            let kept = r.points_earned - r.points_reversed;
            prop_assert!(kept >= 0, "order {} keeps {kept}", o.id);
            prop_assert!(kept <= entitled, "order {} keeps {kept} but its final state earns {entitled} (left {left})", o.id);
        }
        w.verify();
    }
}

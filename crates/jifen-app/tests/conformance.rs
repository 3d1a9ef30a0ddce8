//! Storage conformance: the same business stories on SQLite and on PostgreSQL.
//!
//! Each story is written once, as a function of the backend, and the macro at the end makes a
//! `sqlite::<story>` and a `postgres::<story>` test of it. PostgreSQL is the server at
//! `JIFEN_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`). Under
//! `scripts/test` (and so in CI) its tests fail when it cannot be reached; plain `cargo test`
//! without a server says so in one line and passes them without running. Every story checks exact numbers (balances, lifetime
//! counters, the JSON the commands answer) and ends with `App::verify` finding no drift.

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use jifen_app::AppError;
use jifen_app::commands::{self, MemberRef, Refund};
use jifen_ledger::{LedgerError, PointType, SystemAccount};
use jifen_store::Backend;
use serde_json::json;

fn by_id(member: i64) -> MemberRef {
    MemberRef::Id { member_id: member }
}

fn by_ext(channel: &str, ext: &str) -> MemberRef {
    MemberRef::External {
        channel: channel.into(),
        external_id: ext.into(),
    }
}

// ---- earning, vesting, spending, expiry -----------------------------------------------------

fn purchase_is_pending_then_vests_then_spends_then_expires(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(7));
    let m = w.member("alice");

    let out = w.purchase("o-1", m, 123_456).unwrap();
    let (pt, gt) = (
        id(&out["earned"]["points"], "transfer_id"),
        id(&out["earned"]["growth"], "transfer_id"),
    );
    assert_ne!(pt, gt);
    assert_eq!(
        out,
        json!({
            "order_id": "o-1",
            "member_id": m,
            "amount_minor": 123_456,
            "currency": "CNY",
            "earned": {
                "points": {"amount": 1234, "status": "pending", "available_at": START + 7 * DAY,
                           "expires_at": START + 30 * DAY, "transfer_id": pt},
                "growth": {"amount": 1234, "status": "available", "available_at": START,
                           "expires_at": null, "transfer_id": gt},
            }
        })
    );
    let bal = w.assert_points(m, (0, 1234, 0, 0));
    assert_eq!(
        bal.expiring, 0,
        "pending points are not counted as expiring"
    );
    w.assert_lifetime(m, lifetime(1234, 0, 0, 0, 0, 0));
    let g = w.growth(m);
    assert_eq!((g.available, g.pending, g.lifetime.earned), (1234, 0, 1234));

    // Not spendable during the return window.
    insufficient(w.spend(m, 1), 0, 1);

    // One millisecond before the window ends nothing vests; at its end everything does.
    w.clock.set(START + 7 * DAY - 1);
    assert_eq!(w.jobs_tuple(), (0, 0, 0));
    w.assert_points(m, (0, 1234, 0, 0));
    w.clock.set(START + 7 * DAY);
    assert_eq!(w.jobs_tuple(), (1234, 0, 0));
    let bal = w.assert_points(m, (1234, 0, 0, 0));
    assert_eq!(
        bal.expiring, 1234,
        "all of it expires on day 30, within 30 days"
    );

    let lots = w.lots(m, PointType::Points);
    assert_eq!(lots.len(), 1);
    assert_eq!(
        (lots[0].status, lots[0].transfer_id, lots[0].amount),
        ("available", pt, 1234)
    );
    let out = w.spend(m, 1000).unwrap();
    assert_eq!(
        out,
        json!({
            "transfer_id": id(&out, "transfer_id"),
            "member_id": m,
            "amount": 1000,
            "draws": [{"lot_id": lots[0].lot_id, "amount": 1000}],
        })
    );
    w.assert_points(m, (234, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1234, 0, 1000, 0, 0, 0));
    // Running the jobs again at the same time finds nothing.
    assert_eq!(w.jobs_tuple(), (0, 0, 0));

    // At the expiry instant the rest is no longer available, even before the job runs...
    w.at_day(30);
    let bal = w.assert_points(m, (0, 0, 0, 0));
    assert_eq!(bal.expiring, 0);
    insufficient(w.spend(m, 1), 0, 1);
    // ...and the job expires exactly the 234 left, once.
    assert_eq!(w.jobs_tuple(), (0, 234, 0));
    assert_eq!(w.jobs_tuple(), (0, 0, 0));
    w.assert_points(m, (0, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1234, 0, 1000, 234, 0, 0));
    // Growth value never expires.
    assert_eq!(w.growth(m).available, 1234);
    let expiry = w.system_account(SystemAccount::Expiry);
    assert_eq!((expiry.credits_posted, expiry.debits_posted), (234, 0));
    w.verify();
}

fn unknown_members_orders_and_transfers_are_not_found(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("known");
    w.purchase("seed", m, 10_000).unwrap();
    let before = w.snapshot();

    not_found(w.spend(987_654, 10), "member", "987654");
    not_found(
        w.spend_by(by_ext("app", "nobody"), 10),
        "member",
        "app:nobody",
    );
    not_found(w.purchase("ghost", 987_654, 10_000), "member", "987654");
    not_found(w.reserve(987_654, 10, 60, None), "member", "987654");
    not_found(
        w.adjust(987_654, 10, PointType::Points, Some("r"), Some("staff")),
        "member",
        "987654",
    );
    not_found(w.transfer(by_id(m), by_id(987_654), 10), "member", "987654");
    not_found(w.merge(by_id(987_654), by_id(m)), "member", "987654");
    not_found(w.refund("no-such-order", None), "order", "no-such-order");
    not_found(w.post(424_242), "reservation", "424242");
    not_found(w.void(424_242, None), "reservation", "424242");
    not_found(w.refund_redemption(999_999, None), "spend", "999999");
    assert_eq!(w.snapshot(), before, "refusals wrote nothing");

    // The refused purchase did not take its order id.
    let out = w.purchase("ghost", m, 10_000).unwrap();
    assert_eq!(out["member_id"], m);
    w.assert_points(m, (200, 0, 0, 0));
    w.verify();
}

fn overspending_is_refused_with_the_numbers_and_changes_nothing(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(7));
    let (m, other) = (w.member("spender"), w.member("other"));
    w.purchase("a", m, 50_000).unwrap();
    w.at_day(7);
    assert_eq!(w.jobs_tuple(), (500, 0, 0));
    w.purchase("b", m, 20_000).unwrap(); // 200 pending
    w.reserve(m, 100, 600, None).unwrap();
    w.assert_points(m, (400, 200, 100, 0));
    let before = w.snapshot();

    // Only active, unexpired, unreserved points count: 500 - 100 held; the 200 pending do not.
    insufficient(w.spend(m, 401), 400, 401);
    insufficient(w.reserve(m, 401, 600, None), 400, 401);
    insufficient(w.transfer(by_id(m), by_id(other), 401), 400, 401);
    insufficient(
        w.adjust(m, -401, PointType::Points, Some("fix"), Some("staff")),
        400,
        401,
    );
    invalid(w.spend(m, 0), "amount");
    invalid(w.spend(m, -5), "amount");
    assert!(matches!(
        err(w.transfer(by_id(m), by_id(m), 1)),
        AppError::Ledger(LedgerError::SameMember)
    ));
    assert_eq!(w.snapshot(), before, "refusals wrote nothing");
    w.assert_points(m, (400, 200, 100, 0));

    w.spend(m, 400).unwrap();
    w.assert_points(m, (0, 200, 100, 0));
    insufficient(w.spend(m, 1), 0, 1);
    w.verify();
}

// ---- refunds of orders ----------------------------------------------------------------------

fn refund_larger_than_the_order_is_refused(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("r");
    w.purchase("o", m, 100_000).unwrap();
    let before = w.snapshot();
    let d = conflict(w.refund("o", Some(100_001)), "refund_exceeds_order");
    assert_eq!(
        d,
        json!({"refundable_minor": 100_000, "requested_minor": 100_001})
    );
    invalid(w.refund("o", Some(0)), "amount_minor");
    invalid(w.refund("o", Some(-5)), "amount_minor");
    assert_eq!(w.snapshot(), before);

    let out = w.refund("o", Some(30_000)).unwrap();
    assert_eq!(
        out,
        json!({
            "order_id": "o",
            "member_id": m,
            "refunded_minor": 30_000,
            "order_refunded_minor": 30_000,
            "order_paid_minor": 100_000,
            "reversed": {
                "points": reversal(&[("requested", 300), ("from_order_available", 300)]),
                "growth": reversal(&[("requested", 300), ("from_order_available", 300)]),
            }
        })
    );
    let before = w.snapshot();
    let d = conflict(w.refund("o", Some(70_001)), "refund_exceeds_order");
    assert_eq!(
        d,
        json!({"refundable_minor": 70_000, "requested_minor": 70_001})
    );
    assert_eq!(w.snapshot(), before);

    let out = w.refund("o", None).unwrap();
    assert_eq!(out["refunded_minor"], 70_000);
    assert_eq!(out["order_refunded_minor"], 100_000);
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[("requested", 700), ("from_order_available", 700)])
    );
    w.assert_points(m, (0, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 0, 0, 1000, 0));
    let g = w.growth(m);
    assert_eq!((g.available, g.lifetime.reversed), (0, 1000));
    let o = w.order("o").unwrap();
    assert_eq!(
        (o.refunded_minor, o.points_reversed, o.growth_reversed),
        (100_000, 1000, 1000)
    );
    w.verify();
}

fn partial_refund_after_partial_spend_with_debt(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("d");
    w.purchase("o1", m, 100_000).unwrap(); // 1000 points
    w.spend(m, 700).unwrap();
    w.assert_points(m, (300, 0, 0, 0));

    // Half the order: 500 points to take back; 300 are left on the order's lot, 200 become debt.
    let out = w.refund("o1", Some(50_000)).unwrap();
    assert_eq!(
        out,
        json!({
            "order_id": "o1",
            "member_id": m,
            "refunded_minor": 50_000,
            "order_refunded_minor": 50_000,
            "order_paid_minor": 100_000,
            "reversed": {
                "points": reversal(&[("requested", 500), ("from_order_available", 300), ("to_debt", 200)]),
                "growth": reversal(&[("requested", 500), ("from_order_available", 500)]),
            }
        })
    );
    w.assert_points(m, (0, 0, 0, 200));
    w.assert_lifetime(m, lifetime(1000, 0, 700, 0, 300, 0));
    assert_eq!(w.growth(m).available, 500);

    // New points repay the debt first: 150 of 200, then the last 50 of the next 100.
    w.purchase("o2", m, 15_000).unwrap();
    w.assert_points(m, (0, 0, 0, 50));
    w.assert_lifetime(m, lifetime(1150, 0, 850, 0, 300, 0));
    w.purchase("o3", m, 10_000).unwrap();
    w.assert_points(m, (50, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1250, 0, 900, 0, 300, 0));

    // The other half: 500 more, never more than the order earned. The order's lot is empty, the
    // member's other 50 are taken, 450 become debt.
    let out = w.refund("o1", None).unwrap();
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[
            ("requested", 500),
            ("from_other_available", 50),
            ("to_debt", 450)
        ])
    );
    w.assert_points(m, (0, 0, 0, 450));
    w.assert_lifetime(m, lifetime(1250, 0, 900, 0, 350, 0));
    conflict(w.refund("o1", None), "order_fully_refunded");

    // A staff credit repays the debt too.
    w.adjust(m, 500, PointType::Points, Some("goodwill"), Some("staff:1"))
        .unwrap();
    w.assert_points(m, (50, 0, 0, 0));
    let o = w.order("o1").unwrap();
    assert_eq!((o.points_reversed, o.points_expiry_covered), (1000, 0));
    let reversal_acc = w.system_account(SystemAccount::Reversal);
    assert_eq!(
        reversal_acc.credits_posted, 1000,
        "the reversal account received exactly what o1 earned"
    );
    w.verify();
}

fn partial_refund_after_partial_spend_with_write_off(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        jifen_ledger::policy::LedgerPolicy {
            shortfall: jifen_ledger::policy::ShortfallPolicy::WriteOff,
            ..policy(0)
        },
    );
    let m = w.member("w");
    w.purchase("o1", m, 100_000).unwrap();
    w.spend(m, 700).unwrap();
    let out = w.refund("o1", Some(50_000)).unwrap();
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[
            ("requested", 500),
            ("from_order_available", 300),
            ("written_off", 200)
        ])
    );
    w.assert_points(m, (0, 0, 0, 0));
    // No debt to repay: the next points are the member's.
    w.purchase("o2", m, 15_000).unwrap();
    w.assert_points(m, (150, 0, 0, 0));
    let out = w.refund("o1", None).unwrap();
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[
            ("requested", 500),
            ("from_other_available", 150),
            ("written_off", 350)
        ])
    );
    w.assert_points(m, (0, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1150, 0, 700, 0, 450, 0));
    let write_off = w.system_account(SystemAccount::WriteOff);
    assert_eq!(
        (write_off.debits_posted, write_off.credits_posted),
        (550, 0)
    );
    let reversal_acc = w.system_account(SystemAccount::Reversal);
    assert_eq!(reversal_acc.credits_posted, 1000);
    w.verify();
}

fn refund_in_the_return_window_voids_pending_points_and_debt_is_repaid_on_vesting(
    b: Arc<dyn Backend>,
) {
    let w = World::new(b, policy(7));
    let m = w.member("p");
    w.purchase("o1", m, 100_000).unwrap(); // 1000 pending
    w.purchase("o2", m, 20_000).unwrap(); // 200 pending
    let out = w.refund("o1", Some(40_000)).unwrap();
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[("requested", 400), ("from_order_pending", 400)])
    );
    w.assert_points(m, (0, 800, 0, 0));
    w.assert_lifetime(m, lifetime(1200, 0, 0, 0, 400, 0));

    w.at_day(7);
    assert_eq!(w.jobs_tuple(), (800, 0, 0));
    w.assert_points(m, (800, 0, 0, 0));
    // Same expiry and earn time: lots are drawn in id order, o1's 600 then 100 of o2's.
    w.spend(m, 700).unwrap();
    let out = w.refund("o1", None).unwrap();
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[
            ("requested", 600),
            ("from_other_available", 100),
            ("to_debt", 500)
        ])
    );
    w.assert_points(m, (0, 0, 0, 500));
    // Pending points do not repay debt; vesting does.
    w.purchase("o3", m, 30_000).unwrap();
    w.assert_points(m, (0, 300, 0, 500));
    w.at_day(14);
    assert_eq!(w.jobs_tuple(), (300, 0, 0));
    w.assert_points(m, (0, 0, 0, 200));
    w.verify();
}

fn clawback_takes_other_available_or_pending_first_per_policy(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(7));
    let p = jifen_ledger::policy::LedgerPolicy {
        clawback_pending_first: true,
        ..policy(7)
    };
    let w2 = w.sibling("shop_pending_first", p);
    for (world, pending_first) in [(&w, false), (&w2, true)] {
        let m = world.member("c");
        world.at_day(0);
        world.purchase("o1", m, 100_000).unwrap();
        world.at_day(7);
        world.jobs();
        world.spend(m, 1000).unwrap();
        world.purchase("o2", m, 20_000).unwrap(); // 200 pending
        world
            .adjust(m, 100, PointType::Points, Some("bonus"), Some("staff"))
            .unwrap();
        world.assert_points(m, (100, 200, 0, 0));
        let out = world.refund("o1", Some(25_000)).unwrap();
        let expected = if pending_first {
            reversal(&[
                ("requested", 250),
                ("from_other_pending", 200),
                ("from_other_available", 50),
            ])
        } else {
            reversal(&[
                ("requested", 250),
                ("from_other_available", 100),
                ("from_other_pending", 150),
            ])
        };
        assert_eq!(
            out["reversed"]["points"], expected,
            "pending_first={pending_first}"
        );
        if pending_first {
            world.assert_points(m, (50, 0, 0, 0));
        } else {
            world.assert_points(m, (0, 50, 0, 0));
        }
        world.verify();
    }
}

fn refund_after_the_earned_points_expired_is_covered_by_expiry(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("e");
    w.purchase("old", m, 30_000).unwrap(); // 300, expire on day 30
    w.at_day(20);
    w.purchase("new", m, 10_000).unwrap(); // 100, expire on day 50
    w.at_day(30);
    assert_eq!(w.jobs_tuple(), (0, 300, 0));
    w.assert_points(m, (100, 0, 0, 0));

    let out = w.refund("old", Some(15_000)).unwrap();
    assert_eq!(
        out["reversed"],
        json!({
            "points": reversal(&[("requested", 150), ("covered_by_expiry", 150)]),
            "growth": reversal(&[("requested", 150), ("from_order_available", 150)]),
        })
    );
    w.assert_points(m, (100, 0, 0, 0));
    let out = w.refund("old", None).unwrap();
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[("requested", 150), ("covered_by_expiry", 150)])
    );
    // The member's other points are untouched and nothing is owed.
    w.assert_points(m, (100, 0, 0, 0));
    w.assert_lifetime(m, lifetime(400, 0, 0, 300, 0, 0));
    let o = w.order("old").unwrap();
    assert_eq!((o.points_reversed, o.points_expiry_covered), (300, 300));
    w.spend(m, 100).unwrap();
    w.verify();
}

fn double_refund_is_refused_and_a_retry_replays_the_first_answer(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("dr");
    w.purchase("o1", m, 20_000).unwrap();
    let r = Refund {
        order_id: "o1".into(),
        amount_minor: None,
        reason: None,
    };
    let run = move |r: Refund| {
        move |tx: &mut jifen_store::Tx<'_>, ctx: &jifen_app::ProgramCtx, now| {
            commands::refund(tx, ctx, now, &r)
        }
    };
    let first = w
        .write_on("o:o1", Some(("refund-o1", "hash-1")), run(r.clone()))
        .unwrap();
    assert!(!first.replayed);
    assert_eq!(first.body["refunded_minor"], 20_000);
    assert_eq!(
        first.body["reversed"]["points"],
        reversal(&[("requested", 200), ("from_order_available", 200)])
    );
    let after_first = w.snapshot();

    let d = conflict(w.refund("o1", None), "order_fully_refunded");
    assert_eq!(d, json!({"refundable_minor": 0}));
    conflict(w.refund("o1", Some(1)), "order_fully_refunded");

    // The same request with the same key, even later, gets the first answer back.
    w.at_day(3);
    let replay = w
        .write_on("o:o1", Some(("refund-o1", "hash-1")), run(r.clone()))
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.body, first.body);
    assert_eq!(w.snapshot(), after_first, "replays write nothing");
    w.assert_points(m, (0, 0, 0, 0));
    w.assert_lifetime(m, lifetime(200, 0, 0, 0, 200, 0));
    w.verify();
}

fn same_idempotency_key_with_another_request_is_refused(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("idem");
    let p1 = World::purchase_input("o1", by_id(m), 10_000);
    let p2 = World::purchase_input("o2", by_id(m), 50_000);
    let first = w
        .write_on("m", Some(("purchase-1", "h1")), move |tx, ctx, now| {
            commands::purchase(tx, ctx, now, &p1)
        })
        .unwrap();
    assert!(!first.replayed);
    let before = w.snapshot();
    let p2b = p2.clone();
    let mismatch = w.write_on("m", Some(("purchase-1", "h2")), move |tx, ctx, now| {
        commands::purchase(tx, ctx, now, &p2b)
    });
    assert!(
        matches!(mismatch, Err(AppError::IdempotencyMismatch)),
        "{mismatch:?}"
    );
    assert_eq!(w.snapshot(), before);
    assert!(w.order("o2").is_none(), "the refused request ran nothing");
    // The matching fingerprint replays the first answer, whatever the closure would do now.
    let p2c = p2.clone();
    let replay = w
        .write_on("m", Some(("purchase-1", "h1")), move |tx, ctx, now| {
            commands::purchase(tx, ctx, now, &p2c)
        })
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.body, first.body);
    w.assert_points(m, (100, 0, 0, 0));

    // Keys belong to a programme: another programme may use the same key for its own request.
    let other = w.sibling("other_shop", policy(0));
    let om = other.member("idem");
    let p3 = World::purchase_input("o2", by_id(om), 50_000);
    let out = other
        .write_on("m", Some(("purchase-1", "h2")), move |tx, ctx, now| {
            commands::purchase(tx, ctx, now, &p3)
        })
        .unwrap();
    assert!(!out.replayed);
    other.assert_points(om, (500, 0, 0, 0));
    w.assert_points(m, (100, 0, 0, 0));
    w.verify();
    other.verify();
}

// ---- transfers between members ------------------------------------------------------------

fn transfer_then_refund_of_the_senders_order(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let (a, c) = (w.member("a"), w.member("c"));
    w.purchase("o1", a, 50_000).unwrap(); // 500
    let out = w.transfer(by_id(a), by_ext("app", "c"), 300).unwrap();
    assert_eq!(
        out,
        json!({"transfer_id": id(&out, "transfer_id"), "from_member_id": a, "to_member_id": c, "amount": 300})
    );
    w.assert_points(a, (200, 0, 0, 0));
    w.assert_points(c, (300, 0, 0, 0));
    w.assert_lifetime(a, lifetime(500, 0, 0, 0, 0, 300));
    w.assert_lifetime(c, lifetime(0, 300, 0, 0, 0, 0));
    // The received points keep their expiry date.
    let lots = w.lots(c, PointType::Points);
    assert_eq!(lots.len(), 1);
    assert_eq!(
        (lots[0].amount, lots[0].expires_at, lots[0].status),
        (300, Some(START + 30 * DAY), "available")
    );
    invalid(w.transfer(by_id(a), by_id(c), 0), "amount");

    // Refunding the sender's order takes back what the sender still has of it; the 300 given
    // away become the sender's debt and the receiver keeps them.
    let out = w.refund("o1", None).unwrap();
    assert_eq!(
        out["reversed"],
        json!({
            "points": reversal(&[("requested", 500), ("from_order_available", 200), ("to_debt", 300)]),
            "growth": reversal(&[("requested", 500), ("from_order_available", 500)]),
        })
    );
    w.assert_points(a, (0, 0, 0, 300));
    w.assert_lifetime(a, lifetime(500, 0, 0, 0, 200, 300));
    w.assert_points(c, (300, 0, 0, 0));
    w.spend(c, 300).unwrap();
    w.verify();
}

// ---- reservations ---------------------------------------------------------------------------

fn reservations_post_void_refuse_settled_and_time_out(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("res");
    w.purchase("o1", m, 100_000).unwrap(); // 1000

    let out = w.reserve(m, 300, 600, Some("cart-1")).unwrap();
    let r1 = id(&out, "reservation_id");
    assert_eq!(
        out,
        json!({"reservation_id": r1, "member_id": m, "amount": 300, "state": "open",
               "expires_at": START + 600_000, "order_ref": "cart-1"})
    );
    w.assert_points(m, (700, 0, 300, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 0, 0, 0, 0));

    // reserve -> post
    let out = w.post(r1).unwrap();
    assert_eq!(out["state"], "posted");
    assert_eq!(out["amount"], 300);
    w.assert_points(m, (700, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 300, 0, 0, 0));
    let d = conflict(w.post(r1), "reservation_not_open");
    assert_eq!(d, json!({"reservation_id": r1, "state": "posted"}));
    conflict(w.void(r1, None), "reservation_not_open");

    // reserve -> void
    let r2 = id(&w.reserve(m, 200, 600, None).unwrap(), "reservation_id");
    w.assert_points(m, (500, 0, 200, 0));
    let out = w.void(r2, Some("customer cancelled")).unwrap();
    assert_eq!(
        out,
        json!({"reservation_id": r2, "member_id": m, "amount": 200, "state": "voided",
               "expires_at": START + 600_000, "order_ref": null, "returned_expired": 0})
    );
    w.assert_points(m, (700, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 300, 0, 0, 0));
    let before = w.snapshot();
    let d = conflict(w.post(r2), "reservation_not_open");
    assert_eq!(d, json!({"reservation_id": r2, "state": "voided"}));
    conflict(w.void(r2, None), "reservation_not_open");
    conflict(w.refund_redemption(r2, None), "reservation_not_posted");
    assert_eq!(w.snapshot(), before);

    // A posted reservation is refunded like a spend.
    let out = w.refund_redemption(r1, Some(100)).unwrap();
    assert_eq!(
        (
            &out["refund_of"],
            &out["restored"],
            &out["restored_expired"],
            &out["still_refundable"]
        ),
        (&json!(r1), &json!(100), &json!(0), &json!(200))
    );
    w.assert_points(m, (800, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 200, 0, 0, 0));

    // Timeout: due at exactly its expiry time, voided by the jobs.
    let r3 = id(&w.reserve(m, 50, 60, None).unwrap(), "reservation_id");
    w.assert_points(m, (750, 0, 50, 0));
    w.clock.set(START + 59_999);
    assert_eq!(w.jobs_tuple(), (0, 0, 0));
    w.assert_points(m, (750, 0, 50, 0));
    w.clock.set(START + 60_000);
    assert_eq!(w.jobs_tuple(), (0, 0, 1));
    w.assert_points(m, (800, 0, 0, 0));
    let d = conflict(w.post(r3), "reservation_not_open");
    assert_eq!(d["state"], "voided");
    assert_eq!(w.jobs_tuple(), (0, 0, 0));
    w.verify();
}

fn reserved_points_whose_lot_expired_expire_when_released(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("x");
    w.purchase("o1", m, 100_000).unwrap(); // 1000, expire on day 30
    w.at_day(29);
    let ra = id(
        &w.reserve(m, 300, 2 * 86_400, None).unwrap(),
        "reservation_id",
    );
    let rb = id(
        &w.reserve(m, 100, 30 * 86_400, None).unwrap(),
        "reservation_id",
    );
    w.assert_points(m, (600, 0, 400, 0));
    w.at_day(31);
    // The free 600 expire; the timed-out reservation returns its 300 to an expired lot, so they
    // expire too; the open reservation keeps holding its 100.
    assert_eq!(w.jobs_tuple(), (0, 600, 1));
    w.assert_points(m, (0, 0, 100, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 0, 900, 0, 0));
    let out = w.void(rb, None).unwrap();
    assert_eq!(out["returned_expired"], 100);
    w.assert_points(m, (0, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 0, 1000, 0, 0));
    conflict(w.post(ra), "reservation_not_open");
    w.verify();
}

// ---- refunds of redemptions -----------------------------------------------------------------

fn refund_of_a_redemption_restores_and_expires_what_expired_meanwhile(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("rr");
    w.purchase("a", m, 10_000).unwrap(); // 100, expire on day 30
    w.at_day(10);
    w.purchase("b", m, 10_000).unwrap(); // 100, expire on day 40
    let lots = w.lots(m, PointType::Points);
    let lot_of = |order: &str| {
        lots.iter()
            .find(|l| l.order_ref.as_deref() == Some(order))
            .unwrap()
            .lot_id
    };
    let (la, lb) = (lot_of("a"), lot_of("b"));
    let spend = w.spend(m, 150).unwrap();
    assert_eq!(
        spend["draws"],
        json!([{"lot_id": la, "amount": 100}, {"lot_id": lb, "amount": 50}]),
        "soonest-expiring first"
    );
    let sid = id(&spend, "transfer_id");
    w.at_day(35);
    assert_eq!(
        w.jobs_tuple(),
        (0, 0, 0),
        "lot a is empty, lot b not yet due"
    );
    w.assert_points(m, (50, 0, 0, 0));

    // The latest-expiring lot is restored first.
    let out = w.refund_redemption(sid, Some(30)).unwrap();
    assert_eq!(
        out,
        json!({"transfer_id": id(&out, "transfer_id"), "refund_of": sid, "member_id": m,
               "restored": 30, "restored_expired": 0, "still_refundable": 120})
    );
    w.assert_points(m, (80, 0, 0, 0));
    // The rest: 20 more to b, then 100 to a, whose date has passed: they expire at once.
    let out = w.refund_redemption(sid, None).unwrap();
    assert_eq!(
        (
            &out["restored"],
            &out["restored_expired"],
            &out["still_refundable"]
        ),
        (&json!(120), &json!(100), &json!(0))
    );
    w.assert_points(m, (100, 0, 0, 0));
    w.assert_lifetime(m, lifetime(200, 0, 0, 100, 0, 0));
    let before = w.snapshot();
    let d = conflict(w.refund_redemption(sid, None), "spend_fully_refunded");
    assert_eq!(d, json!({"restorable": 0}));
    conflict(w.refund_redemption(sid, Some(1)), "spend_fully_refunded");
    // A purchase is not a spend.
    let purchase_tid = w.lots(m, PointType::Points)[0].transfer_id;
    invalid(w.refund_redemption(purchase_tid, None), "transfer_id");
    assert_eq!(w.snapshot(), before);
    w.verify();
}

fn refund_of_a_redemption_more_than_spent_is_refused(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("rx");
    w.purchase("a", m, 10_000).unwrap();
    let sid = id(&w.spend(m, 60).unwrap(), "transfer_id");
    w.refund_redemption(sid, Some(20)).unwrap();
    let before = w.snapshot();
    match err(w.refund_redemption(sid, Some(41))) {
        AppError::Ledger(LedgerError::RestoreExceedsSpend {
            restorable: 40,
            requested: 41,
        }) => {}
        other => panic!("expected restore_exceeds_spend, got {other:?}"),
    }
    assert_eq!(w.snapshot(), before);
    w.refund_redemption(sid, Some(40)).unwrap();
    w.assert_points(m, (100, 0, 0, 0));
    w.assert_lifetime(m, lifetime(100, 0, 0, 0, 0, 0));
    w.verify();
}

// ---- staff adjustments ----------------------------------------------------------------------

fn manual_adjustments_need_reason_and_actor(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(7));
    let m = w.member("adj");
    let before = w.snapshot();
    invalid(
        w.adjust(m, 100, PointType::Points, None, Some("staff:7")),
        "reason",
    );
    invalid(
        w.adjust(m, 100, PointType::Points, Some("   "), Some("staff:7")),
        "reason",
    );
    invalid(
        w.adjust(m, 100, PointType::Points, Some("goodwill"), None),
        "actor",
    );
    invalid(
        w.adjust(m, -10, PointType::Points, Some("fix"), None),
        "actor",
    );
    invalid(
        w.adjust(m, 0, PointType::Points, Some("noop"), Some("staff:7")),
        "delta",
    );
    assert_eq!(w.snapshot(), before);

    // A credit is available at once (no return window) and expires per the programme.
    let out = w
        .adjust(m, 100, PointType::Points, Some("goodwill"), Some("staff:7"))
        .unwrap();
    assert_eq!(
        out,
        json!({"transfer_id": id(&out, "transfer_id"), "member_id": m, "delta": 100, "point_type": "points"})
    );
    w.assert_points(m, (100, 0, 0, 0));
    let lots = w.lots(m, PointType::Points);
    assert_eq!(lots[0].expires_at, Some(START + 30 * DAY));
    let out = w
        .adjust(m, 25, PointType::Growth, Some("campaign"), Some("staff:7"))
        .unwrap();
    assert_eq!(out["point_type"], "growth");
    assert_eq!(w.growth(m).available, 25);

    w.adjust(m, -40, PointType::Points, Some("typo"), Some("staff:8"))
        .unwrap();
    w.assert_points(m, (60, 0, 0, 0));
    w.assert_lifetime(m, lifetime(100, 0, 40, 0, 0, 0));
    insufficient(
        w.adjust(m, -61, PointType::Points, Some("typo"), Some("staff:8")),
        60,
        61,
    );
    let h = w.history(m, 10);
    assert_eq!(h.len(), 3);
    assert_eq!(
        (
            &h[0]["code"],
            &h[0]["amount"],
            &h[0]["reason"],
            &h[0]["actor"]
        ),
        (
            &json!("manual_adjustment"),
            &json!(-40),
            &json!("typo"),
            &json!("staff:8")
        )
    );
    assert_eq!(
        (&h[2]["amount"], &h[2]["actor"]),
        (&json!(100), &json!("staff:7"))
    );
    let manual = w.system_account(SystemAccount::IssuanceManual);
    assert_eq!((manual.debits_posted, manual.credits_posted), (100, 40));
    w.verify();
}

// ---- merges ---------------------------------------------------------------------------------

fn merge_moves_lots_identities_and_orders(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(7));
    let (a, c) = (w.member("a"), w.member("c"));
    w.add_identity(a, "wechat", "a-wx").unwrap();
    w.purchase("pa1", a, 10_000).unwrap(); // 100, vests day 7, expires day 30
    w.at_day(7);
    assert_eq!(w.jobs_tuple(), (100, 0, 0));
    w.purchase("pa2", a, 5_000).unwrap(); // 50 pending until day 14
    w.purchase("pc", c, 20_000).unwrap(); // 200 pending until day 14
    w.adjust(c, 30, PointType::Points, Some("bonus"), Some("staff"))
        .unwrap();
    w.assert_points(a, (100, 50, 0, 0));
    w.assert_points(c, (30, 200, 0, 0));

    let out = w.merge(by_id(a), by_ext("app", "c")).unwrap();
    assert_eq!(
        out,
        json!({"from_member_id": a, "into_member_id": c, "moved": {
            "points": {"points": 150, "debt": 0},
            "growth": {"points": 150, "debt": 0},
        }})
    );
    w.assert_points(a, (0, 0, 0, 0));
    w.assert_points(c, (130, 250, 0, 0));
    w.assert_lifetime(a, lifetime(150, 0, 0, 0, 0, 150));
    w.assert_lifetime(c, lifetime(230, 150, 0, 0, 0, 0));
    assert_eq!(w.growth(c).available, 350);
    assert_eq!(w.growth(a).available, 0);
    // Moved lots keep their dates.
    let moved: Vec<_> = w
        .lots(c, PointType::Points)
        .into_iter()
        .filter(|l| l.order_ref.as_deref().is_some_and(|o| o.starts_with("pa")))
        .map(|l| (l.order_ref.unwrap(), l.status, l.remaining, l.expires_at))
        .collect();
    assert_eq!(
        moved,
        vec![
            ("pa2".to_string(), "pending", 50, Some(START + 37 * DAY)),
            ("pa1".to_string(), "available", 100, Some(START + 30 * DAY)),
        ]
    );

    // The merged member's identities now find the survivor.
    let row = w.member_row(a);
    assert_eq!(
        (row.status.as_str(), row.merged_into.map(|x| x.0)),
        ("merged", Some(c))
    );
    assert_eq!(w.resolve(by_ext("app", "a")).unwrap(), c);
    assert_eq!(w.resolve(by_ext("wechat", "a-wx")).unwrap(), c);
    assert_eq!(w.resolve(by_id(a)).unwrap(), c);
    assert_eq!(
        w.identities(c),
        vec![
            ("app".to_string(), "a".to_string()),
            ("app".to_string(), "c".to_string()),
            ("wechat".to_string(), "a-wx".to_string()),
        ]
    );
    assert!(w.identities(a).is_empty());
    let out = w.spend_by(by_ext("app", "a"), 50).unwrap();
    assert_eq!(out["member_id"], c);
    w.assert_points(c, (80, 250, 0, 0));
    let out = w.purchase("pa3", a, 10_000).unwrap();
    assert_eq!(
        out["member_id"], c,
        "a purchase for the old member credits the survivor"
    );
    w.assert_points(c, (80, 350, 0, 0));
    w.assert_points(a, (0, 0, 0, 0));
    invalid(w.merge(by_id(a), by_id(c)), "into");

    w.at_day(14);
    assert_eq!(w.jobs_tuple(), (350, 0, 0));
    w.assert_points(c, (430, 0, 0, 0));
    // The merged member's order is refunded from the survivor's moved lot.
    let out = w.refund("pa2", None).unwrap();
    assert_eq!(out["member_id"], c);
    assert_eq!(
        out["reversed"],
        json!({
            "points": reversal(&[("requested", 50), ("from_order_available", 50)]),
            "growth": reversal(&[("requested", 50), ("from_order_available", 50)]),
        })
    );
    w.assert_points(c, (380, 0, 0, 0));

    // A member with an open reservation cannot be merged away.
    let d = w.member("d");
    w.adjust(d, 100, PointType::Points, Some("bonus"), Some("staff"))
        .unwrap();
    w.reserve(d, 40, 600, None).unwrap();
    let before = w.snapshot();
    let details = conflict(w.merge(by_id(d), by_id(c)), "open_reservations");
    assert_eq!(details, json!({"open_reservations": 1}));
    assert_eq!(w.snapshot(), before);
    w.verify();
}

fn merge_moves_debt_to_the_survivor(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let (a, c) = (w.member("a"), w.member("c"));
    w.purchase("pa", a, 10_000).unwrap();
    w.spend(a, 100).unwrap();
    w.refund("pa", None).unwrap();
    w.assert_points(a, (0, 0, 0, 100));
    w.purchase("pc", c, 5_000).unwrap();
    let out = w.merge(by_id(a), by_id(c)).unwrap();
    assert_eq!(out["moved"]["points"], json!({"points": 0, "debt": 100}));
    w.assert_points(a, (0, 0, 0, 0));
    w.assert_points(c, (50, 0, 0, 100));
    // The survivor's next credit repays the debt it took over.
    w.purchase("pc2", c, 20_000).unwrap();
    w.assert_points(c, (150, 0, 0, 0));
    w.verify();
}

/// A refund of an order whose points expired before their member was merged: the points are
/// gone by expiry exactly as without the merge, so nothing is taken from the survivor.
fn merge_then_refund_of_an_order_whose_points_had_expired(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let (a, c) = (w.member("a"), w.member("c"));
    w.purchase("pa", a, 30_000).unwrap(); // 300, expire on day 30
    w.at_day(20);
    w.purchase("pc", c, 10_000).unwrap(); // 100, expire on day 50
    w.at_day(30);
    assert_eq!(w.jobs_tuple(), (0, 300, 0));
    let out = w.merge(by_id(a), by_id(c)).unwrap();
    assert_eq!(out["moved"]["points"], json!({"points": 0, "debt": 0}));
    w.assert_points(c, (100, 0, 0, 0));
    let out = w.refund("pa", None).unwrap();
    assert_eq!(
        out["reversed"]["points"],
        reversal(&[("requested", 300), ("covered_by_expiry", 300)]),
        "the order's expired points cover its refund after a merge too"
    );
    w.assert_points(c, (100, 0, 0, 0));
    w.verify();
}

// ---- concurrency ----------------------------------------------------------------------------

fn two_hundred_concurrent_spends_never_overspend(b: Arc<dyn Backend>) {
    let w = Arc::new(World::new(b, policy(0)));
    let m = w.member("hot");
    w.purchase("o1", m, 100_000).unwrap(); // 1000 points
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let w = w.clone();
            std::thread::spawn(move || {
                let s = commands::Spend {
                    member: by_id(m),
                    amount: 10,
                    reason: None,
                    order_ref: None,
                };
                // Several partitions: on PostgreSQL the spends meet on several writers and only
                // the member's row locks keep them apart.
                let key = format!("spend-{i}");
                w.write_on(
                    &format!("p{}", i % 8),
                    Some((&key, "h")),
                    move |tx, ctx, now| commands::spend(tx, ctx, now, &s),
                )
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut ids = std::collections::HashSet::new();
    let mut refused = 0;
    for r in results {
        match r {
            Ok(o) => {
                assert!(!o.replayed);
                assert!(ids.insert(id(&o.body, "transfer_id")));
            }
            Err(AppError::Ledger(LedgerError::InsufficientPoints {
                available: 0,
                requested: 10,
            })) => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((ids.len(), refused), (100, 100));
    w.assert_points(m, (0, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 1000, 0, 0, 0));
    let spends = w
        .history(m, 200)
        .iter()
        .filter(|l| l["code"] == "redemption")
        .count();
    assert_eq!(spends, 100);
    let redemption = w.system_account(SystemAccount::Redemption);
    assert_eq!(redemption.credits_posted, 1000);
    w.verify();
}

fn concurrent_purchases_and_spends_over_twenty_members(b: Arc<dyn Backend>) {
    use std::collections::HashMap;
    let w = Arc::new(World::new(b, policy(0)));
    let members: Arc<Vec<i64>> = Arc::new((0..20).map(|i| w.member(&format!("m{i}"))).collect());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (w, members) = (w.clone(), members.clone());
            std::thread::spawn(move || {
                let mut per_member: HashMap<i64, (i64, i64)> = HashMap::new();
                for i in 0..45usize {
                    let m = members[(t * 7 + i * 3) % members.len()];
                    let e = per_member.entry(m).or_default();
                    if i % 3 == 2 {
                        let s = commands::Spend {
                            member: by_id(m),
                            amount: 7,
                            reason: None,
                            order_ref: None,
                        };
                        match w.write_on(&format!("t{t}"), None, move |tx, ctx, now| {
                            commands::spend(tx, ctx, now, &s)
                        }) {
                            Ok(_) => e.1 += 7,
                            Err(AppError::Ledger(LedgerError::InsufficientPoints { .. })) => {}
                            Err(other) => panic!("spend failed: {other:?}"),
                        }
                    } else {
                        let p = World::purchase_input(
                            &format!("t{t}-{i}"),
                            by_id(m),
                            1_000 + i as i64 * 100,
                        );
                        w.write_on(&format!("m:{m}"), None, move |tx, ctx, now| {
                            commands::purchase(tx, ctx, now, &p)
                        })
                        .unwrap();
                        e.0 += 10 + i as i64;
                    }
                }
                per_member
            })
        })
        .collect();
    let mut expected: HashMap<i64, (i64, i64)> = HashMap::new();
    for t in threads {
        for (m, (e, s)) in t.join().unwrap() {
            let x = expected.entry(m).or_default();
            x.0 += e;
            x.1 += s;
        }
    }
    let (mut earned, mut spent, mut total) = (0, 0, 0);
    for m in members.iter() {
        let (e, s) = expected.get(m).copied().unwrap_or_default();
        let bal = w.assert_points(*m, (e - s, 0, 0, 0));
        assert_eq!(
            (bal.lifetime.earned, bal.lifetime.spent),
            (e, s),
            "member {m}"
        );
        earned += e;
        spent += s;
        total += bal.available;
    }
    assert!(spent > 0, "some spends succeeded");
    assert_eq!(total, earned - spent);
    let issued = w.system_account(SystemAccount::IssuancePurchase);
    assert_eq!(issued.debits_posted, earned);
    let redemption = w.system_account(SystemAccount::Redemption);
    assert_eq!(redemption.credits_posted, spent);
    w.verify();
}

// ---- two nodes on one database --------------------------------------------------------------

/// How long the first node keeps its transaction open after its command ran, so that the second
/// node's command starts while the first is still uncommitted.
const HOLD: Duration = Duration::from_millis(800);

/// Runs `first` on the world's node inside a transaction that stays open for `HOLD` after the
/// command returns; once `first` has run, runs `second` on a second node. Returns both answers.
fn race<A, B>(
    w: &World,
    partition: &str,
    mut first: impl FnMut(&mut jifen_store::Tx<'_>, &jifen_app::ProgramCtx, i64) -> Result<A, AppError>
    + Send
    + 'static,
    second: impl FnMut(&mut jifen_store::Tx<'_>, &jifen_app::ProgramCtx, i64) -> Result<B, AppError>
    + Send
    + 'static,
) -> (
    Result<serde_json::Value, AppError>,
    Result<serde_json::Value, AppError>,
)
where
    A: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    B: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let node2 = w.second_node();
    let (signal, ran) = std::sync::mpsc::sync_channel::<()>(8);
    let (app, pid, part) = (w.app.clone(), w.pid, partition.to_string());
    let h = std::thread::spawn(move || {
        app.write_view_blocking(pid, &part, None, move |tx, ctx, now| {
            let r = first(tx, ctx, now)?;
            let _ = signal.try_send(());
            std::thread::sleep(HOLD);
            Ok(r)
        })
    });
    ran.recv_timeout(Duration::from_secs(60))
        .expect("the first node ran its command");
    // Each answer as the JSON the API serves.
    let second = node2
        .write_view_blocking(w.pid, partition, None, second)
        .map(|o| json(o.view));
    let first = h.join().unwrap().map(|o| json(o.view));
    (first, second)
}

/// A view as the JSON the API serves.
fn json<T: serde::Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).expect("an answer serializes")
}

fn two_nodes_refunding_one_order_refund_it_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("r2");
    w.purchase("o1", m, 100_000).unwrap(); // 1000
    w.purchase("o2", m, 50_000).unwrap(); // 500, which a second refund of o1 would take
    let refund = |order: &str| {
        let r = Refund {
            order_id: order.into(),
            amount_minor: None,
            reason: None,
        };
        move |tx: &mut jifen_store::Tx<'_>, ctx: &jifen_app::ProgramCtx, now| {
            commands::refund(tx, ctx, now, &r)
        }
    };
    let (first, second) = race(&w, "o:o1", refund("o1"), refund("o1"));
    let first = first.expect("the first refund succeeds");
    assert_eq!(
        first["reversed"]["points"],
        reversal(&[("requested", 1000), ("from_order_available", 1000)])
    );
    match second {
        Err(AppError::Conflict {
            code: "order_fully_refunded",
            ..
        }) => {}
        other => panic!(
            "the second node refunded order o1 again: expected order_fully_refunded, got {other:?}"
        ),
    }
    w.assert_points(m, (500, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1500, 0, 0, 0, 1000, 0));
    w.verify();
}

fn two_nodes_posting_and_voiding_one_reservation_settle_it_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("pv");
    w.purchase("o1", m, 100_000).unwrap();
    let r = id(&w.reserve(m, 300, 600, None).unwrap(), "reservation_id");
    let (first, second) = race(
        &w,
        &format!("m:{m}"),
        move |tx, ctx, now| commands::post_reservation(tx, ctx, now, r),
        move |tx, ctx, now| commands::void_reservation(tx, ctx, now, r, None),
    );
    assert_eq!(first.unwrap()["state"], "posted");
    let d = conflict(second, "reservation_not_open");
    assert_eq!(d["state"], "posted");
    w.assert_points(m, (700, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 300, 0, 0, 0));
    w.verify();
}

fn two_nodes_refunding_one_redemption_restore_it_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("rs");
    w.purchase("o1", m, 100_000).unwrap();
    let sid = id(&w.spend(m, 400).unwrap(), "transfer_id");
    let rr = || {
        let r = commands::RedemptionRefund {
            transfer_id: sid,
            amount: None,
            reason: None,
        };
        move |tx: &mut jifen_store::Tx<'_>, ctx: &jifen_app::ProgramCtx, now| {
            commands::refund_redemption(tx, ctx, now, &r)
        }
    };
    let (first, second) = race(&w, "s", rr(), rr());
    assert_eq!(first.unwrap()["restored"], 400);
    conflict(second, "spend_fully_refunded");
    w.assert_points(m, (1000, 0, 0, 0));
    w.assert_lifetime(m, lifetime(1000, 0, 0, 0, 0, 0));
    w.verify();
}

fn same_idempotency_key_on_two_nodes_runs_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("ik");
    let node2 = w.second_node();
    let (signal, ran) = std::sync::mpsc::sync_channel::<()>(8);
    let (app, pid) = (w.app.clone(), w.pid);
    let p = World::purchase_input("o1", by_id(m), 10_000);
    let p2 = p.clone();
    let h = std::thread::spawn(move || {
        app.write_view_blocking(
            pid,
            "k",
            Some(("buy-1".into(), "h".into())),
            move |tx, ctx, now| {
                let r = commands::purchase(tx, ctx, now, &p)?;
                let _ = signal.try_send(());
                std::thread::sleep(HOLD);
                Ok(r)
            },
        )
    });
    ran.recv_timeout(Duration::from_secs(60)).unwrap();
    let second = node2
        .write_view_blocking(
            pid,
            "k",
            Some(("buy-1".into(), "h".into())),
            move |tx, ctx, now| commands::purchase(tx, ctx, now, &p2),
        )
        .expect("the retry gets the first answer");
    let first = h.join().unwrap().unwrap();
    assert!(!first.replayed);
    assert!(second.replayed);
    assert_eq!(first.view, second.view);
    w.assert_points(m, (100, 0, 0, 0));
    w.verify();
}

/// A purchase for a member that another node is merging away, submitted while the merge is
/// uncommitted: once the merge commits, the purchase must credit the survivor (as it does when
/// the two run one after the other), never the merged member's emptied accounts.
fn purchase_racing_a_merge_credits_the_survivor(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let (a, c) = (w.member("a"), w.member("c"));
    w.purchase("pa", a, 10_000).unwrap();
    let merge = commands::Merge {
        from: by_id(a),
        into: by_id(c),
        reason: Some("same person".into()),
        actor: Some("staff".into()),
    };
    let p = World::purchase_input("late", by_id(a), 20_000);
    let (first, second) = race(
        &w,
        "merge",
        move |tx, ctx, now| commands::merge(tx, ctx, now, "staff:test", &merge),
        move |tx, ctx, now| commands::purchase(tx, ctx, now, &p),
    );
    first.expect("the merge succeeds");
    let second = second.expect("the purchase succeeds");
    assert_eq!(
        second["member_id"].as_i64(),
        Some(c),
        "member {a} was merged into {c}: the racing purchase must credit {c}"
    );
    w.assert_points(a, (0, 0, 0, 0));
    w.assert_points(c, (300, 0, 0, 0));
    w.verify();
}

on_both_backends!(
    purchase_is_pending_then_vests_then_spends_then_expires,
    unknown_members_orders_and_transfers_are_not_found,
    overspending_is_refused_with_the_numbers_and_changes_nothing,
    refund_larger_than_the_order_is_refused,
    partial_refund_after_partial_spend_with_debt,
    partial_refund_after_partial_spend_with_write_off,
    refund_in_the_return_window_voids_pending_points_and_debt_is_repaid_on_vesting,
    clawback_takes_other_available_or_pending_first_per_policy,
    refund_after_the_earned_points_expired_is_covered_by_expiry,
    double_refund_is_refused_and_a_retry_replays_the_first_answer,
    same_idempotency_key_with_another_request_is_refused,
    transfer_then_refund_of_the_senders_order,
    reservations_post_void_refuse_settled_and_time_out,
    reserved_points_whose_lot_expired_expire_when_released,
    refund_of_a_redemption_restores_and_expires_what_expired_meanwhile,
    refund_of_a_redemption_more_than_spent_is_refused,
    manual_adjustments_need_reason_and_actor,
    merge_moves_lots_identities_and_orders,
    merge_moves_debt_to_the_survivor,
    merge_then_refund_of_an_order_whose_points_had_expired,
    two_hundred_concurrent_spends_never_overspend,
    concurrent_purchases_and_spends_over_twenty_members,
    two_nodes_refunding_one_order_refund_it_once,
    two_nodes_posting_and_voiding_one_reservation_settle_it_once,
    two_nodes_refunding_one_redemption_restore_it_once,
    same_idempotency_key_on_two_nodes_runs_once,
    purchase_racing_a_merge_credits_the_survivor,
);

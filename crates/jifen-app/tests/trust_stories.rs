//! No path around the rules, on both stores: points a mall order or a checkout deduction holds
//! move only through that order or deduction; and one failing job item stops neither the rest of
//! its programme's jobs nor any other programme's.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::commands::{self, MemberRef, RedemptionRefund};
use jifen_app::mall::{self, Address, ItemIn, OrderUpdate, PlaceOrder};
use jifen_app::{AppError, checkout};
use jifen_domain::mall::OrderAction;
use jifen_ledger::PointType;
use jifen_store::Backend;
use serde_json::{Value, json};

fn item(w: &World, sku: &str, points: i64, cash_minor: i64) {
    let i: ItemIn = serde_json::from_value(json!({
        "name_zh": "保温杯", "name_en": "Tumbler", "category": "drinkware",
        "kind": {"type": "physical"}, "status": "on_sale",
        "skus": [{"sku": sku, "points": points, "cash_minor": cash_minor, "stock": 10}]}))
    .expect("item parses");
    w.write(move |tx, ctx, now| mall::create_item(tx, ctx, now, "staff:test", &i))
        .expect("item created");
}

fn credit(w: &World, m: i64, points: i64) {
    w.adjust(
        m,
        points,
        PointType::Points,
        Some("开户赠送"),
        Some("staff:ops"),
    )
    .unwrap();
}

fn order(w: &World, m: i64, sku: &str, request: &str) -> Value {
    let o = PlaceOrder {
        member: MemberRef::Id { member_id: m },
        sku: sku.into(),
        quantity: 1,
        request_id: request.into(),
        address: Some(Address {
            name: "张三".into(),
            phone: "13800000000".into(),
            line: "上海市徐汇区漕溪北路1号".into(),
            city: "上海".into(),
            postcode: "200030".into(),
        }),
        pay_within_seconds: None,
    };
    w.write(move |tx, ctx, now| mall::place_order(tx, ctx, now, &o))
        .expect("order placed")
}

fn act(w: &World, id: i64, action: OrderAction) -> Result<Value, AppError> {
    let u = OrderUpdate {
        actor: Some("staff:ops".into()),
        ..Default::default()
    };
    w.write(move |tx, ctx, now| mall::act(tx, ctx, now, "staff:test", id, action, &u))
}

fn get_order(w: &World, id: i64) -> mall::OrderView {
    w.read(move |tx, ctx| mall::get_order(tx, ctx, id))
}

fn stock(w: &World, sku: &'static str) -> i64 {
    w.read(move |tx, ctx| Ok(tx.mall_sku_by_code(ctx.program.id, sku)?.unwrap().stock))
}

fn refund_spend(w: &World, id: i64) -> Result<Value, AppError> {
    w.refund_redemption(id, None)
}

/// Asserts the refusal that names the owner.
#[track_caller]
fn owned(r: Result<Value, AppError>, kind: &str) -> Value {
    let d = conflict(r, "reservation_owned");
    assert_eq!(d["owner"]["kind"], kind, "{d}");
    d
}

fn a_mall_orders_points_move_only_through_the_order(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    item(&w, "CUP", 1_000, 990);
    let m = w.member("buyer");
    credit(&w, m, 1_500);
    // Points + cash: the points are held until the payment arrives.
    let o = order(&w, m, "CUP", "r-1");
    let oid = o["order_id"].as_i64().unwrap();
    let r = o["reservation_id"].as_i64().unwrap();
    assert_eq!(o["state"], "pending_payment");
    assert_eq!(stock(&w, "CUP"), 9);
    let before = w.snapshot();
    // The reservation API refuses to void, post or refund what the order holds, naming it.
    let d = owned(w.void(r, Some("around the order")), "mall_order");
    assert_eq!(d["owner"]["order_id"], oid);
    assert_eq!(d["reservation_id"], r);
    owned(w.post(r), "mall_order");
    owned(refund_spend(&w, r), "mall_order");
    assert_eq!(w.snapshot(), before, "a refusal writes nothing");
    assert_eq!(get_order(&w, oid).state, "pending_payment");
    // The order itself still cancels: points and stock come back.
    act(&w, oid, OrderAction::Cancel).unwrap();
    w.assert_points(m, (1_500, 0, 0, 0));
    assert_eq!(stock(&w, "CUP"), 10);

    // Points only: paid at once. A refund around the order is refused, so the goods cannot
    // ship for free; the order's own refund gives the points back and marks the order.
    item(&w, "MUG", 600, 0);
    let o = order(&w, m, "MUG", "r-2");
    let oid = o["order_id"].as_i64().unwrap();
    let r = o["reservation_id"].as_i64().unwrap();
    assert_eq!(o["state"], "paid");
    w.assert_points(m, (900, 0, 0, 0));
    let before = w.snapshot();
    owned(refund_spend(&w, r), "mall_order");
    let rr = RedemptionRefund {
        transfer_id: r,
        amount: Some(100),
        reason: None,
    };
    owned(
        w.write(move |tx, ctx, now| commands::refund_redemption(tx, ctx, now, &rr)),
        "mall_order",
    );
    assert_eq!(w.snapshot(), before);
    let refunded = act(&w, oid, OrderAction::Refund).unwrap();
    assert_eq!(refunded["state"], "refunded");
    assert_eq!(refunded["refunded_points"], 600);
    w.assert_points(m, (1_500, 0, 0, 0));
    w.verify();
}

fn a_checkout_deduction_is_settled_only_through_itself(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let s: checkout::CheckoutSettings = serde_json::from_value(json!({
        "points_per_unit": 100, "max_share_pct": 50, "hold_seconds": 600}))
    .unwrap();
    w.write(move |tx, ctx, now| checkout::put_settings(tx, ctx, now, &s))
        .unwrap();
    let m = w.member("shopper");
    credit(&w, m, 5_000);
    let deduct = |order: &str| {
        let d = checkout::Deduction {
            member: MemberRef::Id { member_id: m },
            order_id: order.into(),
            order_total_minor: 10_000,
            points: 2_000,
        };
        w.write(move |tx, ctx, now| checkout::deduct(tx, ctx, now, &d))
            .unwrap()
    };
    let d = deduct("SO-1");
    let r = d["reservation_id"].as_i64().unwrap();
    // The programme's hold time, not a fixed half hour.
    assert_eq!(d["expires_at"], w.now() + 600_000);
    let before = w.snapshot();
    let refused = owned(w.void(r, None), "checkout");
    assert_eq!(refused["owner"]["order_id"], "SO-1");
    owned(w.post(r), "checkout");
    assert_eq!(w.snapshot(), before);
    // A mall order's id is not a deduction.
    not_found(
        w.write(|tx, ctx, now| checkout::post_deduction(tx, ctx, now, 999_999)),
        "checkout deduction",
        "999999",
    );
    w.write(move |tx, ctx, now| checkout::post_deduction(tx, ctx, now, r))
        .unwrap();
    w.assert_points(m, (3_000, 0, 0, 0));
    owned(refund_spend(&w, r), "checkout");
    let rr = checkout::DeductionRefund {
        amount: Some(500),
        reason: Some("部分退货".into()),
    };
    w.write(move |tx, ctx, now| checkout::refund_deduction(tx, ctx, now, r, &rr))
        .unwrap();
    w.assert_points(m, (3_500, 0, 0, 0));

    // An unpaid deduction is voided through itself; one left alone ends with its hold time.
    let r2 = deduct("SO-2")["reservation_id"].as_i64().unwrap();
    w.write(move |tx, ctx, now| checkout::void_deduction(tx, ctx, now, r2, None))
        .unwrap();
    w.assert_points(m, (3_500, 0, 0, 0));
    deduct("SO-3");
    w.assert_points(m, (1_500, 0, 2_000, 0));
    w.clock.set(w.now() + 601_000);
    let report = w.jobs();
    assert_eq!(report.reservations_voided, 1);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    w.assert_points(m, (3_500, 0, 0, 0));
    // A plain reservation is the API's own, and the deduction endpoints do not know it.
    let plain = w.reserve(m, 100, 3_600, None).unwrap()["reservation_id"]
        .as_i64()
        .unwrap();
    not_found(
        w.write(move |tx, ctx, now| checkout::void_deduction(tx, ctx, now, plain, None)),
        "checkout deduction",
        &plain.to_string(),
    );
    w.void(plain, None).unwrap();
    w.verify();
}

/// Plants the state the old defect left behind: a pending mall order whose reservation was
/// voided under it. Its timeout can only fail.
fn break_order_reservation(w: &World, reservation: i64) {
    let mut c = w.app.backend().connect().unwrap();
    let n = c
        .execute(
            "UPDATE reservations SET state = 'voided' WHERE program_id = $1 AND transfer_id = $2",
            &[w.pid.0.into(), reservation.into()],
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn a_broken_job_item_stops_neither_its_programme_nor_another(b: Arc<dyn Backend>) {
    let a = World::new(b, policy(0));
    let other = a.sibling("other", policy(0));
    item(&a, "CUP", 1_000, 990);
    let (ma, mb) = (a.member("a1"), other.member("b1"));
    credit(&a, ma, 5_000);
    credit(&other, mb, 700);
    let broken = order(&a, ma, "CUP", "broken");
    let fine = order(&a, ma, "CUP", "fine");
    break_order_reservation(&a, broken["reservation_id"].as_i64().unwrap());
    // A month on: both orders are past their payment time and every credited point expired.
    a.at_day(40);
    let runs = a.app.run_all_jobs().expect("jobs run");
    assert_eq!(runs.len(), 2);
    let report_a = runs.iter().find(|p| p.program == a.pid).unwrap();
    let report_b = runs.iter().find(|p| p.program == other.pid).unwrap();
    let ra = report_a.report.as_ref().expect("programme a's jobs ran");
    let rb = report_b.report.as_ref().expect("programme b's jobs ran");
    // The other programme's points expired.
    assert_eq!(rb.expired_points, 700);
    assert!(rb.failures.is_empty());
    other.assert_points(mb, (0, 0, 0, 0));
    // In the broken programme: the sound order timed out, the free points expired, and only
    // the broken order failed, named with its cause.
    assert_eq!(ra.mall_orders_timed_out, 1);
    assert_eq!(
        get_order(&a, fine["order_id"].as_i64().unwrap()).state,
        "timed_out"
    );
    assert_eq!(ra.failures.len(), 1, "{:?}", ra.failures);
    let f = &ra.failures[0];
    assert_eq!(f.step, "mall_timeout");
    assert_eq!(f.item, broken["order_id"].as_i64());
    assert!(f.error.contains("already voided"), "{}", f.error);
    // 5,000 credited, 2,000 held by the two orders: the 3,000 free points expired. The fine
    // order's 1,000 came back to lots already past their date and expired with the void; the
    // broken order's stay held (the planted damage is for staff to repair).
    assert_eq!(ra.expired_points, 3_000);
    assert_eq!(a.points(ma).available, 0);
    // The next run tries the broken order again, and nothing else is left to do.
    let again = a.app.run_jobs(a.pid).unwrap();
    assert_eq!(again.failures.len(), 1);
    assert_eq!((again.expired_points, again.mall_orders_timed_out), (0, 0));
}

fn key(w: &World, right: bool) -> jifen_store::KeyCaller {
    let secret = w.app.create_api_key(w.pid, "pos", right).unwrap();
    let hash = jifen_app::sha256_hex(secret.as_bytes());
    w.read(move |tx, _| Ok(tx.key_caller(&hash)?.expect("the key authenticates")))
}

fn api_adjust(
    w: &World,
    k: &jifen_store::KeyCaller,
    m: i64,
    delta: i64,
) -> Result<Value, AppError> {
    let a = commands::Adjustment {
        member: MemberRef::Id { member_id: m },
        delta,
        point_type: PointType::Points,
        reason: Some("补偿".into()),
        actor: Some("cashier-7".into()),
    };
    let k = k.clone();
    w.write(move |tx, ctx, now| jifen_app::staff::adjust_by_key(tx, ctx, now, &k, &a))
}

fn audit(w: &World, action: &'static str) -> Vec<jifen_store::AuditRow> {
    w.read(move |tx, ctx| {
        Ok(tx.audit_entries(ctx.program.id, None, Some(action), i64::MAX, 100)?)
    })
}

fn api_adjustments_are_audited_and_wait_for_approval_above_the_threshold(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("m");
    let pos = key(&w, false);
    // Under the threshold (1,000 by default): applied, the key named as the actor.
    let out = api_adjust(&w, &pos, m, 600).unwrap();
    assert_eq!(out["status"], "applied");
    w.assert_points(m, (600, 0, 0, 0));
    let entries = audit(&w, "points.adjust");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor, pos.actor());
    assert_eq!(entries[0].target, format!("member:{m}"));
    assert!(entries[0].after.as_deref().unwrap().contains("cashier-7"));
    let line = &w.history(m, 1)[0];
    assert!(
        line["actor"].as_str().unwrap().starts_with(&pos.actor()),
        "{line}"
    );
    // 600 + 600 passes the threshold for the day: it waits for a second person, nothing moves.
    let before = w.snapshot();
    let pending = api_adjust(&w, &pos, m, -600).unwrap();
    assert_eq!(pending["status"], "pending_approval");
    assert_eq!(pending["adjusted_today"], 600);
    assert_eq!(pending["threshold"], 1_000);
    w.assert_points(m, (600, 0, 0, 0));
    assert_eq!(w.snapshot(), before, "no ledger row moves");
    assert_eq!(audit(&w, "points.adjust_requested").len(), 1);
    // Ten adjustments just under the threshold are no way around it either.
    let other = w.member("other");
    let mut applied = 0;
    for _ in 0..10 {
        if api_adjust(&w, &pos, other, 999).unwrap()["status"] == "applied" {
            applied += 1;
        }
    }
    assert_eq!(applied, 1);
    w.assert_points(other, (999, 0, 0, 0));
    // A staff member approves the request; it is applied once, in the queue's name.
    let id = pending["approval_id"].as_i64().unwrap();
    let staff = jifen_app::staff::Session {
        staff_id: 1,
        program: w.pid,
        login: "lead".into(),
        name: "Lead".into(),
        role: jifen_app::staff::Role::Owner,
        csrf: String::new(),
        pending: Default::default(),
    };
    // The console's count of what waits agrees with the queue, and the decided list is empty.
    let waiting = |w: &World| {
        let reader = staff.member_reader().unwrap();
        w.read(move |tx, ctx| {
            let counts = jifen_app::staff::pending_counts(
                tx,
                ctx.program.id,
                jifen_app::staff::Role::Owner,
            )?;
            let listed = jifen_app::console::pending_adjustments(tx, &reader, 1_000)?.len();
            let decided = jifen_app::console::decided_adjustments(tx, &reader, 10)?;
            Ok((counts.approvals, listed as i64, decided))
        })
    };
    let (count, listed, decided) = waiting(&w);
    assert!(
        count >= 1 && count == listed,
        "{count} counted, {listed} listed"
    );
    assert!(decided.is_empty());
    let s2 = staff.clone();
    w.write(move |tx, ctx, now| jifen_app::staff::decide(tx, ctx, now, &s2, id, true))
        .unwrap();
    let (after, _, decided) = waiting(&w);
    assert_eq!(after, count - 1);
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].id, id);
    assert_eq!(decided[0].decided_by.as_deref(), Some("staff:lead"));
    assert_eq!(decided[0].status, "approved");
    w.assert_points(m, (0, 0, 0, 0));
    assert!(
        w.write(move |tx, ctx, now| jifen_app::staff::decide(tx, ctx, now, &staff, id, true))
            .is_err()
    );
    // What a second person approved does not count against the day: 600 + 100 is under it.
    assert_eq!(api_adjust(&w, &pos, m, 100).unwrap()["status"], "applied");
    assert_eq!(
        api_adjust(&w, &pos, m, 301).unwrap()["status"],
        "pending_approval"
    );
    // The next day the count starts again.
    w.at_day(1);
    assert_eq!(api_adjust(&w, &pos, m, 800).unwrap()["status"], "applied");
    // A key created with the right applies any amount at once, audited all the same.
    let owner_key = key(&w, true);
    assert_eq!(
        api_adjust(&w, &owner_key, m, 50_000).unwrap()["status"],
        "applied"
    );
    w.assert_points(m, (50_900, 0, 0, 0));
    assert!(
        audit(&w, "points.adjust")
            .iter()
            .any(|e| e.actor == owner_key.actor())
    );
    w.verify();
}

fn a_rule_naming_an_unknown_segment_is_refused_with_the_field(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let rule_in = |status: Option<&str>| jifen_app::earn::RuleIn {
        definition: serde_json::from_value(json!({
            "name": "VIP 加倍", "trigger": "purchase", "points": "100",
            "audience": {"segments": ["vip"]}}))
        .unwrap(),
        status: status.map(Into::into),
        actor: None,
    };
    let before = w.snapshot();
    for status in [None, Some("active")] {
        let r = rule_in(status);
        invalid(
            w.write(move |tx, ctx, now| {
                jifen_app::earn::create_rule(tx, ctx, now, "staff:test", &r)
            }),
            "audience.segments[0]",
        );
    }
    assert_eq!(w.snapshot(), before);
    // Nothing was stored.
    let count = w.read(|tx, ctx| Ok(tx.rules(ctx.program.id, None)?.len()));
    assert_eq!(count, 0, "no rule was stored");
}

fn members_profiles_are_updated_identities_unbound_and_members_frozen(b: Arc<dyn Backend>) {
    use jifen_app::members::{self, ProfileUpdate, StatusChange};
    use jifen_ledger::MemberId;
    let w = World::new(b, policy(7));
    let input = jifen_app::earn::RuleIn {
        definition: serde_json::from_value(
            json!({"name": "生日礼", "trigger": "birthday", "points": "88"}),
        )
        .unwrap(),
        status: Some("active".into()),
        actor: None,
    };
    w.write(move |tx, ctx, now| jifen_app::earn::create_rule(tx, ctx, now, "staff:test", &input))
        .unwrap();
    w.app.invalidate_program(w.pid);
    let m = w.member("p1");
    w.add_identity(m, "wechat", "oX1").unwrap();
    let update = |u: Value| {
        let u: ProfileUpdate = serde_json::from_value(u).unwrap();
        w.write(move |tx, ctx, now| {
            members::update_profile(tx, ctx, now, "staff:lee", MemberId(m), &u)
        })
    };
    // A name, a phone and, later than sign-up, a birthday (2026-01-11: day 10); a field left
    // out is kept, null clears it.
    update(json!({"phone": "13900000000", "birthday": "1990-01-11"})).unwrap();
    let v = update(json!({"name": "新名字", "phone": null})).unwrap();
    assert_eq!(
        (
            v["name"].as_str(),
            v["phone"].as_str(),
            v["birthday"].as_str()
        ),
        (Some("新名字"), None, Some("1990-01-11"))
    );
    invalid(update(json!({"birthday": "1990-02-30"})), "birthday");
    invalid(update(json!({"email": "no-at"})), "email");
    assert_eq!(audit(&w, "member.profile").len(), 2, "one entry per change");
    // The birthday set later pays its next birthday.
    w.at_day(10);
    assert_eq!(w.jobs().birthdays_paid, 1);
    // Identities: one unbound; the last one stays.
    let unbind = |channel: &str, ext: &str| {
        let i = jifen_store::Identity {
            channel: channel.into(),
            external_id: ext.into(),
        };
        w.write(move |tx, ctx, now| {
            members::unbind_identity(tx, ctx, now, "staff:lee", MemberId(m), &i)
        })
    };
    not_found(unbind("wechat", "nobody"), "identity", "wechat:nobody");
    unbind("wechat", "oX1").unwrap();
    assert_eq!(w.identities(m), vec![("app".to_string(), "p1".to_string())]);
    conflict(unbind("app", "p1"), "last_identity");
    // Frozen: earnings wait in pending; no spending, reserving or transfers either way.
    let other = w.member("p2");
    w.adjust(
        other,
        100,
        PointType::Points,
        Some("开户"),
        Some("staff:ops"),
    )
    .unwrap();
    let reason = StatusChange {
        reason: "疑似刷单".into(),
    };
    let r2 = reason.clone();
    let v = w
        .write(move |tx, ctx, now| members::freeze(tx, ctx, now, "staff:lee", MemberId(m), &r2))
        .unwrap();
    assert_eq!(v["status"], "frozen");
    let r2 = reason.clone();
    conflict(
        w.write(move |tx, ctx, now| members::freeze(tx, ctx, now, "staff:lee", MemberId(m), &r2)),
        "member_frozen",
    );
    let before = w.points(m).available;
    w.purchase("frozen-1", m, 50_000).unwrap();
    w.at_day(30);
    w.jobs();
    let p = w.points(m);
    assert_eq!(
        (p.available, p.pending),
        (before, 500),
        "still pending after the window"
    );
    conflict(w.spend(m, 1), "member_frozen");
    conflict(w.reserve(m, 1, 600, None), "member_frozen");
    let (me, them) = (
        MemberRef::Id { member_id: m },
        MemberRef::Id { member_id: other },
    );
    conflict(w.transfer(me.clone(), them.clone(), 1), "member_frozen");
    conflict(w.transfer(them, me, 1), "member_frozen");
    // Unfrozen: the window of the purchase has passed, so its points vest with the next jobs.
    let r2 = reason.clone();
    w.write(move |tx, ctx, now| members::unfreeze(tx, ctx, now, "staff:lee", MemberId(m), &r2))
        .unwrap();
    w.jobs();
    let p = w.points(m);
    assert_eq!((p.available, p.pending), (before + 500, 0));
    w.spend(m, 10).unwrap();
    let entries: Vec<String> = ["member.frozen", "member.unfrozen"]
        .iter()
        .flat_map(|a| audit(&w, a))
        .map(|e| e.actor)
        .collect();
    assert_eq!(entries, vec!["staff:lee", "staff:lee"]);
    w.verify();
}

fn transfers_stay_within_the_programmes_daily_and_monthly_limits(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let s: jifen_rules::signin::EarnSettings = serde_json::from_value(json!({"transfers": {
        "daily_points_max": 1000, "monthly_points_max": 2500, "daily_count_max": 3,
        "received_daily_points_max": 1500}}))
    .unwrap();
    let bad: jifen_rules::signin::EarnSettings =
        serde_json::from_value(json!({"transfers": {"daily_points_max": 0}})).unwrap();
    invalid(
        w.write(move |tx, ctx, now| {
            jifen_app::earn::put_settings(tx, ctx, now, "staff:test", &bad)
        }),
        "transfers.daily_points_max",
    );
    w.write(move |tx, ctx, now| jifen_app::earn::put_settings(tx, ctx, now, "staff:test", &s))
        .unwrap();
    w.app.invalidate_program(w.pid);
    let [a, b2, c] = ["a", "b", "c"].map(|e| {
        let m = w.member(e);
        w.adjust(m, 5_000, PointType::Points, Some("开户"), Some("staff:ops"))
            .unwrap();
        MemberRef::Id { member_id: m }
    });
    let send = |from: &MemberRef, to: &MemberRef, n: i64| w.transfer(from.clone(), to.clone(), n);
    send(&a, &b2, 600).unwrap();
    let d = conflict(send(&a, &b2, 401), "transfer_limit");
    assert_eq!(
        (d["limit"].as_str(), d["left"].as_i64()),
        (Some("daily_points_max"), Some(400))
    );
    send(&a, &c, 300).unwrap();
    // The count: a third transfer is allowed, a fourth is not, whatever its size.
    send(&a, &c, 50).unwrap();
    assert_eq!(
        conflict(send(&a, &c, 1), "transfer_limit")["limit"],
        "daily_count_max"
    );
    // The receiver's day: b has 600 from a; c gives it 900 more, then 1 more is refused.
    send(&c, &b2, 900).unwrap();
    assert_eq!(
        conflict(send(&c, &b2, 1), "transfer_limit")["limit"],
        "received_daily_points_max"
    );
    // The next day the daily limits start again; the month's goes on (950 + 1,000 + 551).
    w.at_day(1);
    send(&a, &b2, 1_000).unwrap();
    w.at_day(2);
    assert_eq!(
        conflict(send(&a, &c, 551), "transfer_limit")["limit"],
        "monthly_points_max"
    );
    send(&a, &c, 550).unwrap();
    w.verify();
}

fn a_member_sees_and_pays_their_tiers_member_price_and_flash_sale_limits_are_set_per_item(
    b: Arc<dyn Backend>,
) {
    let w = World::new(b, policy(0));
    let ladder: jifen_domain::tiers::Ladder = serde_json::from_value(json!({
        "metric": "growth", "window": {"kind": "rolling_months", "months": 12}, "tiers": [
            {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
            {"code": "gold", "name_zh": "黄金会员", "name_en": "Gold", "threshold": 1000,
             "benefits": {"member_price_pct": 90}}]}))
    .unwrap();
    w.write(move |tx, ctx, now| jifen_app::tiers::put_ladder(tx, ctx, now, "staff:test", &ladder))
        .unwrap();
    w.app.invalidate_program(w.pid);
    item(&w, "CUP", 1_005, 990);
    let (gold, plain) = (w.member("gold"), w.member("plain"));
    w.purchase("big", gold, 100_000).unwrap(); // 1,000 growth: gold
    credit(&w, gold, 5_000);
    credit(&w, plain, 5_000);
    let catalog = |m: i64| {
        // The programme as it is now, with its ladder.
        let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
        let catalog = w
            .app
            .read_blocking(move |tx| {
                mall::member_catalog(tx, &ctx, jifen_ledger::MemberId(m), None, "zh", START)
            })
            .unwrap();
        // As the API serves it.
        serde_json::to_value(catalog).unwrap()["items"][0]["skus"][0].clone()
    };
    // 90% of 1,005 is 904.5: rounded up, so the discount is never more than the tier gives.
    let seen = catalog(gold);
    assert_eq!(
        (seen["points"].as_i64(), seen["list_points"].as_i64()),
        (Some(905), Some(1_005))
    );
    assert_eq!(seen["cash_minor"], 891);
    assert_eq!(catalog(plain)["points"], 1_005);
    let o = order(&w, gold, "CUP", "g-1");
    assert_eq!(
        (o["points"].as_i64(), o["cash_minor"].as_i64()),
        (Some(905), Some(891))
    );
    let o = order(&w, plain, "CUP", "p-1");
    assert_eq!(
        (o["points"].as_i64(), o["cash_minor"].as_i64()),
        (Some(1_005), Some(990))
    );

    // A flash sale allows one per member unless the item sets its own lifetime limit.
    let i: ItemIn = serde_json::from_value(json!({
        "name_zh": "秒杀杯", "name_en": "Flash cup", "category": "drinkware",
        "kind": {"type": "virtual"}, "status": "on_sale", "flash_sale": true, "sale_from": START,
        "limits": {"lifetime": 2},
        "skus": [{"sku": "FLASH", "points": 10, "stock": 10}]}))
    .unwrap();
    w.write(move |tx, ctx, now| mall::create_item(tx, ctx, now, "staff:test", &i))
        .unwrap();
    order(&w, plain, "FLASH", "f-1");
    order(&w, plain, "FLASH", "f-2");
    let third = PlaceOrder {
        member: MemberRef::Id { member_id: plain },
        sku: "FLASH".into(),
        quantity: 1,
        request_id: "f-3".into(),
        address: None,
        pay_within_seconds: None,
    };
    conflict(
        w.write(move |tx, ctx, now| mall::place_order(tx, ctx, now, &third)),
        "limit_reached",
    );
    w.verify();
}

fn the_ledger_is_sealed_in_a_hash_chain_that_verify_checks_and_receipts_prove(b: Arc<dyn Backend>) {
    use jifen_app::chain;
    let w = World::new(b, policy(0));
    let (m, other) = (w.member("c1"), w.member("c2"));
    w.purchase("o-1", m, 12_800).unwrap();
    w.spend(m, 28).unwrap();
    w.transfer(
        MemberRef::Id { member_id: m },
        MemberRef::Id { member_id: other },
        10,
    )
    .unwrap();
    let line = w.history(m, 10)[0]["transfer_id"].as_i64().unwrap();
    let receipt = |who: i64, t: i64| {
        w.read(move |tx, ctx| chain::receipt(tx, ctx, jifen_ledger::MemberId(who), t))
    };
    // Before the jobs seal it, a line has no receipt yet.
    let r = w.app.read_blocking({
        let ctx = w.ctx.clone();
        move |tx| chain::receipt(tx, &ctx, jifen_ledger::MemberId(m), line)
    });
    conflict(r, "not_sealed_yet");
    let report = w.jobs();
    assert!(report.transfers_sealed >= 4, "{report:?}");
    assert!(w.app.verify(w.pid).unwrap().is_empty());
    // A receipt proves the line with SHA-256 alone; a changed amount does not.
    let r = receipt(m, line);
    assert!(r.check(), "{r:?}");
    let mut forged = r.clone();
    let changed = r.canonical.replace(",10,", ",1000,");
    assert_ne!(changed, r.canonical);
    // Even with its leaf recomputed, the path no longer leads to the sealed root.
    forged.leaf = jifen_app::sha256_hex(format!("jifen-transfer:{changed}").as_bytes());
    forged.canonical = changed;
    assert!(!forged.check());
    // The receiver has the transfer in their history too; a stranger gets nothing.
    assert!(receipt(other, line).check());
    let stranger = w.member("c3");
    let ctx = w.ctx.clone();
    not_found(
        w.app.read_blocking(move |tx| {
            chain::receipt(tx, &ctx, jifen_ledger::MemberId(stranger), line)
        }),
        "transfer",
        &line.to_string(),
    );
    // The day's checkpoint of the head went to the outbox.
    let checkpoints =
        w.read(|tx, ctx| Ok(tx.outbox_after(ctx.program.id, 0, Some("ledger.checkpoint"), 10)?));
    assert_eq!(checkpoints.len(), 1);
    let head = w.read(|tx, ctx| Ok(tx.chain_head(ctx.program.id)?.unwrap()));
    let published: Value = serde_json::from_str(&checkpoints[0].3).unwrap();
    assert_eq!(
        (published["seq"].as_i64(), published["hash"].as_str()),
        (Some(head.seq), Some(head.hash.as_str()))
    );
    // More activity makes another link after the first.
    w.purchase("o-2", m, 5_000).unwrap();
    w.jobs();
    assert!(w.app.verify(w.pid).unwrap().is_empty());
    // A row edited in the database behind the ledger's back: verify names the broken link.
    let mut c = w.app.backend().connect().unwrap();
    c.execute(
        "UPDATE transfers SET reason = 'edited' WHERE program_id = $1 AND id = $2",
        &[w.pid.0.into(), line.into()],
    )
    .unwrap();
    let drift = w.app.verify(w.pid).unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(drift[0].invariant, "hash_chain");
    assert!(
        drift[0].detail.starts_with("link 1:"),
        "{}",
        drift[0].detail
    );
}

fn a_member_gets_everything_held_about_them_and_can_have_it_erased(b: Arc<dyn Backend>) {
    use jifen_app::members::{self, ProfileUpdate, StatusChange};
    use jifen_ledger::MemberId;
    let w = World::new(b, policy(0));
    item(&w, "CUP", 100, 0);
    let m = w.member("pipl");
    let u: ProfileUpdate =
        serde_json::from_value(json!({"name": "=HYPERLINK(\"x\")", "phone": "13812345678"}))
            .unwrap();
    w.write(move |tx, ctx, now| {
        members::update_profile(tx, ctx, now, "staff:lee", MemberId(m), &u)
    })
    .unwrap();
    credit(&w, m, 1_000);
    w.purchase("so-1", m, 12_800).unwrap();
    let o = order(&w, m, "CUP", "cup-1");
    let line = w.history(m, 1)[0]["transfer_id"].as_i64().unwrap();
    let a = jifen_app::appeals::AppealIn {
        subject: "line".into(),
        subject_id: line,
        message: "我的地址是某某路1号".into(),
    };
    w.write(move |tx, ctx, now| jifen_app::appeals::submit(tx, ctx, now, MemberId(m), &a))
        .unwrap();
    let export = w
        .write(move |tx, ctx, now| members::export(tx, ctx, now, "api_key:k", MemberId(m)))
        .unwrap();
    assert_eq!(export["member"]["phone"], "13812345678");
    assert_eq!(
        export["history"].as_array().unwrap().len(),
        5,
        "{}",
        export["history"]
    );
    assert_eq!(export["purchase_orders"][0]["order_id"], "so-1");
    assert_eq!(export["mall_orders"][0]["order_id"], o["order_id"]);
    assert_eq!(export["appeals"].as_array().unwrap().len(), 1);
    let csv = members::export_csv(&serde_json::from_value(export.clone()).unwrap());
    assert!(csv.starts_with("section,item,field,value\n"));
    assert!(csv.contains("member,0,phone,13812345678\n"), "{csv}");
    // A name that looks like a formula is text in a spreadsheet.
    assert!(
        csv.contains("member,0,name,\"'=HYPERLINK(\"\"x\"\")\"\n"),
        "{csv}"
    );
    assert_eq!(audit(&w, "member.exported").len(), 1);
    // Erasure waits for the mall order that still needs the address.
    let reason = StatusChange {
        reason: "会员申请注销".into(),
    };
    let r2 = reason.clone();
    conflict(
        w.write(move |tx, ctx, now| members::erase(tx, ctx, now, "staff:lee", MemberId(m), &r2)),
        "open_orders",
    );
    let oid = o["order_id"].as_i64().unwrap();
    act(&w, oid, OrderAction::Cancel).unwrap();
    let balance = w.points(m);
    let r2 = reason.clone();
    let v = w
        .write(move |tx, ctx, now| members::erase(tx, ctx, now, "staff:lee", MemberId(m), &r2))
        .unwrap();
    assert_eq!(v["status"], "erased");
    assert_eq!(
        (v["name"].clone(), v["phone"].clone()),
        (Value::Null, Value::Null)
    );
    assert!(w.identities(m).is_empty());
    // The amounts stay: the balance, the books, verify.
    assert_eq!(w.points(m).available, balance.available);
    w.verify();
    // Nothing personal is left in the export, the appeals or the audit log's profile entries.
    let after = w
        .write(move |tx, ctx, now| members::export(tx, ctx, now, "api_key:k", MemberId(m)))
        .unwrap()
        .to_string();
    assert!(
        !after.contains("13812345678") && !after.contains("HYPERLINK") && !after.contains("某某路"),
        "{after}"
    );
    assert!(
        audit(&w, "member.profile")
            .iter()
            .all(|e| e.before.is_none() && e.after.is_none())
    );
    // The erased member is closed: found by no identity, and no command reaches it.
    assert!(
        w.resolve(MemberRef::External {
            channel: "app".into(),
            external_id: "pipl".into()
        })
        .is_err()
    );
    conflict(w.spend(m, 1), "member_erased");
    conflict(w.purchase("so-2", m, 100), "member_erased");
}

fn lookalike_external_ids_name_one_member_and_hidden_characters_are_refused(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    // Full-width letters and digits with a stray space are the same id as the plain ones.
    let m = w.member("ＡＢＣ１２３ ");
    assert_eq!(
        w.identities(m),
        vec![("app".to_string(), "ABC123".to_string())]
    );
    assert_eq!(
        w.resolve(MemberRef::External {
            channel: "app".into(),
            external_id: "ABC123".into()
        })
        .unwrap(),
        m
    );
    assert_eq!(
        w.resolve(MemberRef::External {
            channel: "app".into(),
            external_id: "ＡＢＣ１２３".into()
        })
        .unwrap(),
        m
    );
    conflict(
        w.add_identity(w.member("other"), "app", "ABC123"),
        "identity_taken",
    );
    // Bidirectional overrides and invisible characters make an id that shows as another.
    for bad in ["\u{202E}321CBA", "ABC\u{200B}123", "ABC\u{0007}"] {
        invalid(w.add_identity(m, "wechat", bad), "external_id");
    }
    // Reasons are one line of visible text.
    invalid(
        w.adjust(
            m,
            5,
            PointType::Points,
            Some("补偿\u{0000}"),
            Some("staff:ops"),
        ),
        "reason",
    );
    invalid(
        w.adjust(
            m,
            5,
            PointType::Points,
            Some("补偿\u{202E}"),
            Some("staff:ops"),
        ),
        "reason",
    );
    // CSV cells that a spreadsheet would run are text.
    for (raw, cell) in [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a,b", "\"a,b\""),
        ("plain", "plain"),
    ] {
        assert_eq!(jifen_app::csv_field(raw), cell);
    }
}

fn transfers_get_the_risk_checks_behaviour_events_get(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let s: jifen_rules::signin::EarnSettings = serde_json::from_value(json!({"risk": {
        "velocity": [{"by": "device", "window_minutes": 60, "max_events": 2}],
        "device_members_max": 1}}))
    .unwrap();
    w.write(move |tx, ctx, now| jifen_app::earn::put_settings(tx, ctx, now, "staff:test", &s))
        .unwrap();
    w.app.invalidate_program(w.pid);
    let [a, b2, c] = ["ra", "rb", "rc"].map(|e| {
        let m = w.member(e);
        w.adjust(m, 1_000, PointType::Points, Some("开户"), Some("staff:ops"))
            .unwrap();
        m
    });
    let send = |from: i64, to: i64, device: &str| {
        let t = commands::MemberTransfer {
            from: MemberRef::Id { member_id: from },
            to: MemberRef::Id { member_id: to },
            amount: 10,
            reason: None,
            device_id: Some(device.into()),
            ip: None,
        };
        w.write(move |tx, ctx, now| commands::transfer(tx, ctx, now, "staff:test", &t))
    };
    send(a, b2, "D1").unwrap();
    send(a, b2, "D1").unwrap();
    // A third from the same phone within the hour trips the velocity limit.
    let before = w.snapshot();
    let d = conflict(send(a, b2, "D1"), "transfer_risk");
    assert!(d["reason"].as_str().unwrap().starts_with("velocity"), "{d}");
    assert_eq!(w.snapshot(), before, "a refused transfer writes nothing");
    // Another account on a phone the first one used: the device is shared by more members
    // than allowed.
    send(a, b2, "D3").unwrap();
    let d = conflict(send(c, b2, "D3"), "transfer_risk");
    assert!(d["reason"].as_str().unwrap().contains("shared"), "{d}");
    // From its own phone it goes through.
    send(c, b2, "D2").unwrap();
    w.verify();
}

on_both_backends!(
    transfers_get_the_risk_checks_behaviour_events_get,
    lookalike_external_ids_name_one_member_and_hidden_characters_are_refused,
    a_member_gets_everything_held_about_them_and_can_have_it_erased,
    the_ledger_is_sealed_in_a_hash_chain_that_verify_checks_and_receipts_prove,
    a_member_sees_and_pays_their_tiers_member_price_and_flash_sale_limits_are_set_per_item,
    transfers_stay_within_the_programmes_daily_and_monthly_limits,
    members_profiles_are_updated_identities_unbound_and_members_frozen,
    a_rule_naming_an_unknown_segment_is_refused_with_the_field,
    api_adjustments_are_audited_and_wait_for_approval_above_the_threshold,
    a_mall_orders_points_move_only_through_the_order,
    a_checkout_deduction_is_settled_only_through_itself,
    a_broken_job_item_stops_neither_its_programme_nor_another,
);

/// Raster uploads are decoded and encoded again: metadata riding in the file is gone, a copy
/// sized for the member centre is made, and what only looks like an image is refused.
#[test]
fn uploaded_pictures_are_encoded_again_without_their_metadata_and_with_a_small_copy() {
    let w = World::new(sqlite(), policy(0));
    let img = image::RgbImage::from_fn(1_000, 600, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let mut jpeg = jpeg.into_inner();
    // A comment segment right after the start marker: where cameras and tools put GPS and more.
    let secret = b"GPS 31.2304N 121.4737E";
    let mut com = vec![0xFF, 0xFE, 0, (secret.len() + 2) as u8];
    com.extend_from_slice(secret);
    jpeg.splice(2..2, com);
    assert!(jpeg.windows(secret.len()).any(|w| w == secret));
    let up = |ct: &'static str, data: Vec<u8>| {
        w.write(move |tx, ctx, now| mall::upload_image(tx, ctx, now, ct, &data))
    };
    let out = up("image/jpeg", jpeg).unwrap();
    assert_eq!(out["content_type"], "image/jpeg");
    let (full, thumb) = (
        out["image_id"].as_i64().unwrap(),
        out["thumb_image_id"].as_i64().unwrap(),
    );
    assert_ne!(full, thumb);
    let stored = |id: i64| w.read(move |tx, _| Ok(tx.mall_image(id)?.unwrap().1));
    let bytes = stored(full);
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret),
        "the metadata is gone"
    );
    let small = image::load_from_memory(&stored(thumb)).unwrap();
    assert_eq!((small.width(), small.height()), (480, 288));
    // A small picture is its own copy.
    let mut tiny = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::new(10, 10))
        .write_to(&mut tiny, image::ImageFormat::Png)
        .unwrap();
    let out = up("image/png", tiny.into_inner()).unwrap();
    assert_eq!(out["image_id"], out["thumb_image_id"]);
    // Bytes that only start like a PNG are refused, and so is a picture over the size limit.
    invalid(
        up("image/png", b"\x89PNG\r\n\x1a\nnot really".to_vec()),
        "body",
    );
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(mall::IMAGE_BYTES_MAX + 1, 0);
    match up("image/png", big) {
        Err(AppError::Invalid { message, .. }) => {
            assert!(message.contains("at most 2 MiB"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

//! Earning rules on both stores: purchase rules with explanations and versions, refunds that
//! withdraw what no longer qualifies (a threshold bonus, a ladder bonus of the month), sign-in
//! streaks with make-up sign-ins, concurrency of sign-ins and budgets, sign-up and referral,
//! birthday and anniversary jobs, dry runs and a hand-computed backtest.

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use jifen_app::commands::{self, Adjustment, LineItem, MemberRef, NewMember, Refund};
use jifen_app::earn::{self, BacktestIn, DryRun, EventIn, RuleIn};
use jifen_app::{App, AppError};
use jifen_ledger::PointType;
use jifen_rules::RuleDef;
use jifen_store::{Backend, MemberProfile};
use serde_json::{Value, json};

fn by_id(member: i64) -> MemberRef {
    MemberRef::Id { member_id: member }
}

/// Creates an active rule and makes the programme reload its rules, as the API does.
fn rule(w: &World, def: Value) -> i64 {
    let input = RuleIn {
        definition: serde_json::from_value(def).expect("rule definition parses"),
        status: Some("active".into()),
        actor: Some("ops@shop".into()),
    };
    let out = w
        .write(move |tx, ctx, now| earn::create_rule(tx, ctx, now, "staff:test", &input))
        .expect("rule saved");
    w.app.invalidate_program(w.pid);
    id(&out, "rule_id")
}

fn settings(w: &World, s: Value) {
    let s: jifen_rules::signin::EarnSettings = serde_json::from_value(s).unwrap();
    w.write(move |tx, ctx, now| earn::put_settings(tx, ctx, now, "staff:test", &s))
        .expect("settings saved");
    w.app.invalidate_program(w.pid);
}

fn event_input(member: i64, kind: &str, event_id: Option<&str>, attributes: Value) -> EventIn {
    EventIn {
        event_id: event_id.map(str::to_string),
        trigger: kind.into(),
        member: by_id(member),
        occurred_at: None,
        channel: Some("app".into()),
        tags: vec![],
        attributes: serde_json::from_value(attributes).unwrap(),
        makeup_date: None,
        device_id: None,
        ip: None,
    }
}

fn event_on(app: &App, w: &World, e: EventIn) -> Result<Value, AppError> {
    let partition = e.member.partition();
    app.write_view_blocking(w.pid, &partition, None, move |tx, ctx, now| {
        earn::record_event(tx, ctx, now, &e)
    })
    .map(|o| serde_json::to_value(o.view).expect("an event's answer serializes"))
}

fn event(w: &World, e: EventIn) -> Result<Value, AppError> {
    event_on(&w.app, w, e)
}

fn sign_in(w: &World, member: i64, makeup: Option<&str>) -> Result<Value, AppError> {
    let mut e = event_input(member, "sign_in", None, json!({}));
    e.makeup_date = makeup.map(str::to_string);
    event(w, e)
}

fn points_of(v: &Value) -> i64 {
    v["awarded"]["points"].as_i64().expect("awarded points")
}

fn outcome_of(v: &Value, name: &str) -> String {
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("rule {name} explained in {v}"))["outcome"]
        .as_str()
        .unwrap()
        .to_string()
}

fn line(sku: &str, category: &str, quantity: i64, price_minor: i64) -> LineItem {
    LineItem {
        sku: sku.into(),
        category: Some(category.into()),
        quantity,
        price_minor,
        kind: None,
    }
}

/// Creates a member with a profile and, optionally, the member who referred it.
fn create_member(
    w: &World,
    profile: MemberProfile,
    referrer: Option<i64>,
) -> Result<Value, AppError> {
    let m = NewMember {
        profile,
        identities: vec![],
        referrer: referrer.map(by_id),
        device_id: None,
        ip: None,
    };
    w.write(move |tx, ctx, now| commands::create_member(tx, ctx, now, &m))
}

fn refund(w: &World, order: &str, amount: Option<i64>) -> Value {
    let r = Refund {
        order_id: order.into(),
        amount_minor: amount,
        reason: Some("customer return".into()),
    };
    w.write(move |tx, ctx, now| commands::refund(tx, ctx, now, &r))
        .expect("refund")
}

// ---- purchases ------------------------------------------------------------------------------

fn purchase_rules_pay_with_explanations_and_record_their_version(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(7));
    let m = w.member("alice");
    let coffee = rule(
        &w,
        json!({"name": "咖啡双倍", "trigger": "purchase", "points": "order.category_amount['coffee'] / 100"}),
    );
    let threshold = rule(
        &w,
        json!({"name": "满200送100", "trigger": "purchase", "condition": "order.amount >= 20000", "points": "100"}),
    );
    rule(
        &w,
        json!({"name": "app growth", "trigger": "purchase", "points": "base_points", "point_type": "growth", "audience": {"channels": ["app"]}}),
    );
    rule(
        &w,
        json!({"name": "pos only", "trigger": "purchase", "points": "999", "audience": {"channels": ["pos"]}}),
    );

    let mut p = World::purchase_input("o-1", by_id(m), 25_000);
    p.channel = Some("app".into());
    p.lines = vec![
        line("LATTE", "coffee", 2, 5_000),
        line("CAKE", "bakery", 1, 15_000),
    ];
    let out = w
        .write(move |tx, ctx, now| commands::purchase(tx, ctx, now, &p))
        .unwrap();
    assert_eq!(out["earned"]["points"]["amount"], 250, "the base rate");
    assert_eq!(out["total"], json!({"points": 450, "growth": 500}));
    let awards: Vec<(String, i64)> = out["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["points"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        awards,
        vec![
            ("咖啡双倍".into(), 100),
            ("满200送100".into(), 100),
            ("app growth".into(), 250)
        ]
    );
    assert_eq!(outcome_of(&out, "pos only"), "not_in_audience");
    assert!(
        out["awards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "pending" || a["point_type"] == "growth")
    );
    let order = w.order("o-1").unwrap();
    assert_eq!((order.points_earned, order.growth_earned), (450, 500));
    w.assert_points(m, (0, 450, 0, 0));

    // A new version applies to new purchases; the old award keeps naming version 1.
    let def: RuleDef = serde_json::from_value(json!({"name": "满200送150", "trigger": "purchase", "condition": "order.amount >= 20000", "points": "150"})).unwrap();
    let edit = RuleIn {
        definition: def,
        status: None,
        actor: Some("ops@shop".into()),
    };
    let v2 = w
        .write(move |tx, ctx, now| earn::update_rule(tx, ctx, now, "staff:test", threshold, &edit))
        .unwrap();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["versions"].as_array().unwrap().len(), 2);
    w.app.invalidate_program(w.pid);
    let out = w.purchase("o-2", m, 20_000).unwrap();
    assert_eq!(out["total"]["points"], 350);
    assert_eq!(outcome_of(&out, "咖啡双倍"), "no_points");
    let (a1, a2) = w.read(|tx, ctx| {
        Ok((
            tx.order_awards(ctx.program.id, "o-1")?,
            tx.order_awards(ctx.program.id, "o-2")?,
        ))
    });
    let versions = |a: &[jifen_store::AwardRow]| {
        a.iter()
            .map(|x| (x.rule_id, x.rule_version))
            .collect::<Vec<_>>()
    };
    assert!(versions(&a1).contains(&(threshold, 1)) && versions(&a1).contains(&(coffee, 1)));
    assert_eq!(versions(&a2), vec![(threshold, 2)]);
    let reasons: Vec<String> = w
        .history(m, 20)
        .iter()
        .filter_map(|h| h["reason"].as_str().map(str::to_string))
        .collect();
    // The line reads as the rule's name; which version paid is in the awards (above).
    assert!(reasons.contains(&"满200送150".to_string()), "{reasons:?}");
    assert!(!reasons.iter().any(|r| r.contains("(rule")), "{reasons:?}");

    // A partial refund leaves 150 of 250: the base goes back in proportion (100), the coffee
    // bonus shrinks to the coffee left (100 -> 60) and the threshold bonus no longer qualifies.
    let r = refund(&w, "o-1", Some(10_000));
    assert_eq!(r["reversed"]["points"]["requested"], 240, "{r}");
    assert_eq!(r["reversed"]["growth"]["requested"], 200, "{r}");
    let order = w.order("o-1").unwrap();
    assert_eq!((order.points_reversed, order.growth_reversed), (240, 200));
    w.assert_points(m, (0, 560, 0, 0));
    // The rest of the order takes back everything it still carried.
    refund(&w, "o-1", None);
    let order = w.order("o-1").unwrap();
    assert_eq!((order.points_reversed, order.growth_reversed), (450, 500));
    w.assert_points(m, (0, 350, 0, 0));
    w.verify();
}

fn a_ladder_bonus_is_withdrawn_when_one_of_its_orders_is_refunded(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("bob");
    rule(
        &w,
        json!({"name": "月度三单奖", "trigger": "purchase", "condition": "month.orders >= 3", "points": "5000",
        "caps": [{"period": "month", "max_count": 1}]}),
    );
    let mut totals = vec![];
    for (day, order) in [(0, "o1"), (1, "o2"), (2, "o3")] {
        w.at_day(day);
        totals.push(
            w.purchase(order, m, 10_000).unwrap()["total"]["points"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(totals, vec![100, 100, 5100]);
    w.assert_points(m, (5300, 0, 0, 0));

    // Refunding the first order leaves two purchases in the month: the bonus on o3 goes.
    w.at_day(3);
    let r = refund(&w, "o1", None);
    assert_eq!(r["reversed"]["points"]["requested"], 100);
    assert_eq!(r["bonuses_reversed"][0]["order_id"], "o3", "{r}");
    assert_eq!(
        r["bonuses_reversed"][0]["reversed"]["points"]["requested"],
        5000
    );
    assert_eq!(w.order("o3").unwrap().points_reversed, 5000);
    w.assert_points(m, (200, 0, 0, 0));
    // The cap was given back with the bonus: a new third purchase earns it again, once.
    let again = w.purchase("o4", m, 10_000).unwrap();
    assert_eq!(again["total"]["points"], 5100);
    let fifth = w.purchase("o5", m, 10_000).unwrap();
    assert_eq!(outcome_of(&fifth, "月度三单奖"), "cap_reached");
    // Next month counts from zero.
    w.at_day(31);
    assert_eq!(w.purchase("o6", m, 10_000).unwrap()["total"]["points"], 100);
    w.verify();
}

// ---- behaviour ------------------------------------------------------------------------------

fn sign_in_streaks_make_up_days_and_refuse_a_second_sign_in(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("carol");
    settings(
        &w,
        json!({"sign_in": {"reset": "missed_day", "makeup_cost_points": 10, "makeup_days_max": 7}}),
    );
    rule(
        &w,
        json!({"name": "签到", "trigger": "sign_in", "points": "sign_in.makeup ? 2 : 5"}),
    );
    rule(
        &w,
        json!({"name": "连签3天", "trigger": "sign_in", "condition": "streak.day == 3", "points": "30"}),
    );
    let give = Adjustment {
        member: by_id(m),
        delta: 100,
        point_type: PointType::Points,
        reason: Some("welcome".into()),
        actor: Some("ops".into()),
    };
    w.write(move |tx, ctx, now| commands::adjust(tx, ctx, now, &give))
        .unwrap();

    let day = |d: i64| {
        w.at_day(d);
        let out = sign_in(&w, m, None).unwrap();
        (
            out["sign_in"]["streak_day"].as_i64().unwrap(),
            points_of(&out),
        )
    };
    assert_eq!(day(0), (1, 5));
    let again = conflict(sign_in(&w, m, None), "already_signed_in");
    assert_eq!(again["day"], "2026-01-01");
    assert_eq!(day(1), (2, 5));
    assert_eq!(day(3), (1, 5), "2 January was missed");
    // 补签 for 3 January costs 10 and closes the gap: that day is day 3 of the streak.
    let makeup = sign_in(&w, m, Some("2026-01-03")).unwrap();
    assert_eq!(makeup["sign_in"]["streak_day"], 3);
    assert_eq!(makeup["sign_in"]["makeup_cost_points"], 10);
    assert_eq!(points_of(&makeup), 32);
    assert_eq!(day(4), (5, 5));
    conflict(sign_in(&w, m, Some("2026-01-04")), "already_signed_in");
    // A sign-in dated another day is refused: missed days go through the make-up rules.
    let mut late = event_input(m, "sign_in", None, json!({}));
    late.occurred_at = Some(START + 2 * DAY);
    invalid(event(&w, late), "occurred_at");
    // 100 + 5 + 5 + 5 - 10 + 32 + 5
    w.assert_points(m, (142, 0, 0, 0));
    assert_eq!(makeup["awards"].as_array().unwrap().len(), 2);

    // Make-ups that are too old, in the future or of a signed day are refused with nothing spent.
    w.at_day(12);
    conflict(sign_in(&w, m, Some("2026-01-05")), "makeup_too_old");
    invalid(sign_in(&w, m, Some("2026-01-13")), "makeup_date");
    settings(&w, json!({"sign_in": {"makeup_cost_points": 1000}}));
    let short = err(sign_in(&w, m, Some("2026-01-06")));
    assert!(matches!(short, AppError::Ledger(_)), "{short:?}");
    w.assert_points(m, (142, 0, 0, 0));
    settings(&w, json!({"sign_in": {"makeup_allowed": false}}));
    conflict(sign_in(&w, m, Some("2026-01-06")), "makeup_not_allowed");
    w.verify();
}

fn a_hundred_concurrent_sign_ins_award_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("dave");
    rule(
        &w,
        json!({"name": "签到", "trigger": "sign_in", "points": "5"}),
    );
    let second = w.second_node();
    let w = Arc::new(w);
    let handles: Vec<_> = (0..100)
        .map(|i| {
            let w = w.clone();
            let app = if i % 2 == 0 {
                w.app.clone()
            } else {
                second.clone()
            };
            std::thread::spawn(move || {
                event_on(&app, &w, event_input(m, "sign_in", None, json!({})))
            })
        })
        .collect();
    let results: Vec<Result<Value, AppError>> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "exactly one sign-in of the day succeeds");
    for r in results.into_iter().filter(|r| r.is_err()) {
        conflict(r, "already_signed_in");
    }
    w.assert_points(m, (5, 0, 0, 0));
    w.verify();
}

fn a_campaign_budget_is_never_exceeded_under_concurrent_events(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let budget_rule = rule(
        &w,
        json!({"name": "分享有礼", "trigger": "share", "points": "30", "budget_points": 1000}),
    );
    let members: Vec<i64> = (0..40).map(|i| w.member(&format!("m{i}"))).collect();
    let second = w.second_node();
    let w = Arc::new(w);
    let mut handles = vec![];
    for (i, m) in members.iter().copied().enumerate() {
        for k in 0..2 {
            let w = w.clone();
            let app = if (i + k) % 2 == 0 {
                w.app.clone()
            } else {
                second.clone()
            };
            handles.push(std::thread::spawn(move || {
                event_on(
                    &app,
                    &w,
                    event_input(m, "share", Some(&format!("share-{m}-{k}")), json!({})),
                )
                .map(|v| points_of(&v))
            }));
        }
    }
    let paid: Vec<i64> = handles
        .into_iter()
        .map(|h| h.join().unwrap().expect("event recorded"))
        .collect();
    assert_eq!(
        paid.iter().sum::<i64>(),
        1000,
        "the budget is spent exactly"
    );
    assert_eq!(paid.iter().filter(|p| **p == 30).count(), 33);
    assert_eq!(
        paid.iter().filter(|p| **p == 10).count(),
        1,
        "the last award is cut to fit"
    );
    let total: i64 = members.iter().map(|m| w.points(*m).available).sum();
    assert_eq!(total, 1000);
    let issued = w.read(move |tx, ctx| Ok(tx.rule_totals(ctx.program.id, budget_rule)?));
    assert_eq!(issued.0, 1000);
    w.verify();
}

fn review_points_grow_with_text_and_photos_and_events_apply_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("erin");
    rule(
        &w,
        json!({"name": "评价", "trigger": "review", "points": "10 + (review.text_length >= 50 ? 20 : 0) + min(review.photos, 3) * 10",
        "caps": [{"period": "day", "max_count": 2}]}),
    );
    rule(
        &w,
        json!({"name": "看视频", "trigger": "custom:watch_video", "points": "event.ints['minutes'] >= 3 ? 5 : 0"}),
    );
    let r1 = event(
        &w,
        event_input(
            m,
            "review",
            Some("rv-1"),
            json!({"text_length": 80, "photos": 5}),
        ),
    )
    .unwrap();
    assert_eq!(points_of(&r1), 60);
    conflict(
        event(&w, event_input(m, "review", Some("rv-1"), json!({}))),
        "event_exists",
    );
    assert_eq!(
        points_of(
            &event(
                &w,
                event_input(m, "review", Some("rv-2"), json!({"text_length": 3}))
            )
            .unwrap()
        ),
        10
    );
    let third = event(&w, event_input(m, "review", Some("rv-3"), json!({}))).unwrap();
    assert_eq!(outcome_of(&third, "评价"), "cap_reached");
    assert_eq!(
        points_of(
            &event(
                &w,
                event_input(m, "custom:watch_video", Some("v-1"), json!({"minutes": 4}))
            )
            .unwrap()
        ),
        5
    );
    invalid(
        event(&w, event_input(m, "review", None, json!({}))),
        "event_id",
    );
    invalid(
        event(&w, event_input(m, "purchase", Some("x"), json!({}))),
        "type",
    );
    invalid(
        event(&w, event_input(m, "reveiw", Some("x"), json!({}))),
        "type",
    );
    not_found(
        event(&w, event_input(999_999, "share", Some("x"), json!({}))),
        "member",
        "999999",
    );
    w.assert_points(m, (75, 0, 0, 0));
    w.verify();
}

fn sign_up_packs_referrals_and_the_first_order_bonus(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    rule(
        &w,
        json!({"name": "新人礼包", "trigger": "sign_up", "points": "500"}),
    );
    rule(
        &w,
        json!({"name": "首单双倍", "trigger": "purchase", "condition": "member.order_count == 0", "points": "base_points"}),
    );
    rule(
        &w,
        json!({"name": "邀请奖励", "trigger": "referral", "condition": "referral.role == 'inviter' && referral.stage == 'sign_up'", "points": "200"}),
    );
    rule(
        &w,
        json!({"name": "被邀请首购", "trigger": "referral", "condition": "referral.stage == 'first_purchase'", "points": "referral.role == 'invitee' ? 100 : 300"}),
    );
    let create = |name: &str, phone: &str, referrer: Option<i64>| {
        let profile = MemberProfile {
            name: Some(name.into()),
            phone: Some(phone.into()),
            ..Default::default()
        };
        create_member(&w, profile, referrer)
    };
    let a = create("A", "13800000001", None).unwrap();
    let a_id = id(&a, "member_id");
    assert_eq!(a["rewards"][0]["awarded"]["points"], 500);
    let b_out = create("B", "13800000002", Some(a_id)).unwrap();
    let b_id = id(&b_out, "member_id");
    w.assert_points(a_id, (700, 0, 0, 0));
    w.assert_points(b_id, (500, 0, 0, 0));
    conflict(
        create("A again", "13800000001", Some(a_id)),
        "self_referral",
    );

    let first = w.purchase("b-1", b_id, 10_000).unwrap();
    assert_eq!(
        first["total"]["points"], 200,
        "base plus first-order double"
    );
    let rr: Vec<i64> = first["referral_rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["awarded"]["points"].as_i64().unwrap())
        .collect();
    assert_eq!(rr, vec![100, 300]);
    let second = w.purchase("b-2", b_id, 10_000).unwrap();
    assert_eq!(second["total"]["points"], 100);
    assert!(second.get("referral_rewards").is_none());
    w.assert_points(a_id, (1000, 0, 0, 0));
    w.assert_points(b_id, (900, 0, 0, 0));
    // Refunding the first purchase in full takes its referral rewards back from both sides;
    // the next purchase counts as the first again.
    let r = refund(&w, "b-1", None);
    assert_eq!(r["referral_reversed"]["invitee"]["points"], 100, "{r}");
    assert_eq!(r["referral_reversed"]["inviter"]["points"], 300, "{r}");
    w.assert_points(a_id, (700, 0, 0, 0));
    w.assert_points(b_id, (600, 0, 0, 0));
    let third = w.purchase("b-3", b_id, 10_000).unwrap();
    let rr: Vec<i64> = third["referral_rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["awarded"]["points"].as_i64().unwrap())
        .collect();
    assert_eq!(rr, vec![100, 300]);
    w.assert_points(a_id, (1000, 0, 0, 0));
    w.assert_points(b_id, (800, 0, 0, 0));
    w.verify();
}

fn birthday_and_anniversary_jobs_pay_once_a_year(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    rule(
        &w,
        json!({"name": "生日礼", "trigger": "birthday", "points": "88"}),
    );
    rule(
        &w,
        json!({"name": "入会周年", "trigger": "anniversary", "points": "event.ints['years'] * 100"}),
    );
    let mk = |name: &str, birthday: &str| {
        let profile = MemberProfile {
            name: Some(name.into()),
            birthday: Some(birthday.into()),
            ..Default::default()
        };
        id(&create_member(&w, profile, None).unwrap(), "member_id")
    };
    let jan5 = mk("Jan", "1990-01-05");
    let leap = mk("Leap", "1992-02-29");
    let other = mk("Other", "1990-07-01");
    w.at_day(4); // 2026-01-05 in Shanghai
    assert_eq!(w.jobs().birthdays_paid, 1);
    assert_eq!(w.jobs().birthdays_paid, 0, "once a year");
    w.assert_points(jan5, (88, 0, 0, 0));
    w.at_day(58); // 2026-02-28: no 29 February this year
    assert_eq!(w.jobs().birthdays_paid, 1);
    w.assert_points(leap, (88, 0, 0, 0));
    w.assert_points(other, (0, 0, 0, 0));
    // One year after they joined (2026-01-01), all three have their first anniversary.
    w.at_day(365);
    assert_eq!(w.jobs().birthdays_paid, 3);
    w.assert_points(other, (100, 0, 0, 0));
    w.at_day(369);
    assert_eq!(w.jobs().birthdays_paid, 1, "the birthday of 2027");
    // Paid in the birthday month instead: July's member on 1 July 2027, once.
    settings(&w, json!({"birthday_on": "month"}));
    w.at_day(365 + 181);
    assert_eq!(w.jobs().birthdays_paid, 1);
    w.at_day(365 + 200);
    assert_eq!(w.jobs().birthdays_paid, 0);
    // The anniversary points of January have expired (30-day validity); the 88 are new.
    w.assert_points(other, (88, 0, 0, 0));
    w.verify();
}

fn caps_hold_for_backdated_events_kept_apart_from_the_current_period(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("hal");
    rule(
        &w,
        json!({"name": "分享", "trigger": "share", "points": "10", "caps": [{"period": "day", "max_count": 2}, {"period": "lifetime", "max_points": 1000}]}),
    );
    w.at_day(5);
    let share = |id: &str, at: Option<i64>| {
        let mut e = event_input(m, "share", Some(id), json!({}));
        e.occurred_at = at;
        outcome_of(&event(&w, e).unwrap(), "分享")
    };
    assert_eq!(share("e1", None), "fired");
    // Shares recorded late, dated yesterday, count against yesterday (kept apart): two pay,
    // the third is capped, and today's count stays as it was.
    let yesterday = Some(START + 4 * DAY);
    assert_eq!(share("e2", yesterday), "fired");
    assert_eq!(share("e2b", yesterday), "fired");
    for i in 0..5 {
        assert_eq!(share(&format!("late{i}"), yesterday), "cap_reached");
    }
    assert_eq!(share("e3", None), "fired");
    assert_eq!(share("e4", None), "cap_reached");
    w.at_day(6);
    assert_eq!(share("e5", None), "fired", "a new day");
    // Day 5 was capped on time (e1, e3): once day 6 has begun, late shares of day 5 still
    // find its cap reached, because the closed day's totals moved to the past with it.
    assert_eq!(
        share("late-5", Some(START + 5 * DAY + 3_600_000)),
        "cap_reached"
    );
    let row = w.read(move |tx, ctx| Ok(tx.counters(ctx.program.id, m, &["rule:1".to_string()])?));
    assert_eq!(row[0].periods[0].as_deref(), Some("d2026-01-07"));
    assert_eq!(
        (row[0].count[0], row[0].points[4], row[0].count[4]),
        (1, 50, 5)
    );
    w.verify();
}

fn every_behaviour_event_type_pays_its_own_rules(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("ivy");
    // (event type, points of its rule, attributes)
    let table: [(&str, i64, Value); 8] = [
        ("share", 2, json!({})),
        ("browse", 1, json!({})),
        ("profile_complete", 50, json!({})),
        ("follow", 20, json!({})),
        ("survey", 30, json!({"questions": 10})),
        ("review", 15, json!({"text_length": 10})),
        ("custom:watch_live", 8, json!({"minutes": 12})),
        ("custom:scan_qr", 3, json!({})),
    ];
    for (kind, points, _) in &table {
        rule(
            &w,
            json!({"name": format!("{kind} rule"), "trigger": kind, "points": points.to_string()}),
        );
    }
    // A rule of another type never fires on these.
    rule(
        &w,
        json!({"name": "sign-in only", "trigger": "sign_in", "points": "999"}),
    );
    let mut total = 0;
    for (i, (kind, points, attrs)) in table.iter().enumerate() {
        let out = event(
            &w,
            event_input(m, kind, Some(&format!("ev-{i}")), attrs.clone()),
        )
        .unwrap();
        assert_eq!(points_of(&out), *points, "{kind}: {out}");
        assert_eq!(
            out["rules"].as_array().unwrap().len(),
            1,
            "{kind} sees only its own rules"
        );
        assert_eq!(out["awards"][0]["point_type"], "points");
        total += points;
    }
    w.assert_points(m, (total, 0, 0, 0));
    // Every award's ledger line is coded by its event type.
    let codes: Vec<String> = w
        .history(m, 50)
        .iter()
        .map(|h| h["code"].as_str().unwrap().to_string())
        .collect();
    for (kind, _, _) in &table {
        assert!(codes.contains(&kind.to_string()), "{kind} in {codes:?}");
    }
    w.verify();
}

fn referrals_follow_a_merged_inviter(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    rule(
        &w,
        json!({"name": "好友首单奖励邀请人", "trigger": "referral",
        "condition": "referral.role == 'inviter' && referral.stage == 'first_purchase'", "points": "300"}),
    );
    let a = w.member("old-account");
    let c = w.member("main-account");
    let profile = MemberProfile {
        name: Some("B".into()),
        ..Default::default()
    };
    let b_id = id(&create_member(&w, profile, Some(a)).unwrap(), "member_id");
    // The inviter's old account is merged into its main one before the invitee buys.
    w.merge(by_id(a), by_id(c)).unwrap();
    let first = w.purchase("m-1", b_id, 10_000).unwrap();
    assert_eq!(first["referral_rewards"][1]["member_id"], c, "{first}");
    w.assert_points(c, (300, 0, 0, 0));
    // A partial refund keeps the reward; the full refund takes it back from the survivor.
    refund(&w, "m-1", Some(5_000));
    w.assert_points(c, (300, 0, 0, 0));
    let r = refund(&w, "m-1", None);
    assert_eq!(r["referral_reversed"]["inviter"]["member_id"], c, "{r}");
    w.assert_points(c, (0, 0, 0, 0));
    w.verify();
}

// ---- anti-fraud ----------------------------------------------------------------------------

fn from_device(mut e: EventIn, device: &str) -> EventIn {
    e.device_id = Some(device.into());
    e
}

fn decide(w: &World, hold: i64, decision: earn::HoldDecision) -> Result<Value, AppError> {
    let r = earn::HoldReview {
        actor: "risk@shop".into(),
        note: Some("checked".into()),
    };
    w.write(move |tx, ctx, now| earn::decide_hold(tx, ctx, now, "staff:test", hold, decision, &r))
}

fn risky_events_are_held_for_review_then_released_or_rejected(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    settings(
        &w,
        json!({"risk": {"velocity": [{"by": "device", "window_minutes": 60, "max_events": 3}], "device_members_max": 2}}),
    );
    rule(
        &w,
        json!({"name": "分享", "trigger": "share", "points": "20"}),
    );
    let sign_in_rule = rule(
        &w,
        json!({"name": "签到", "trigger": "sign_in", "points": "5", "budget_points": 1000}),
    );
    let ms: Vec<i64> = (0..4).map(|i| w.member(&format!("r{i}"))).collect();
    // Three shares from one device within the hour pay; the fourth is held.
    let mut held = vec![];
    for (k, m) in ms.iter().enumerate() {
        let out = event(
            &w,
            from_device(
                event_input(*m, "share", Some(&format!("s{k}")), json!({})),
                "dev-1",
            ),
        )
        .unwrap();
        held.push(out.get("risk_hold").cloned());
        assert_eq!(
            points_of(&out),
            20,
            "the award is decided; only its payment waits"
        );
    }
    assert!(held[..3].iter().all(|h| h.is_none()));
    let hold = held[3].clone().expect("the fourth share is held");
    assert!(
        hold["reason"]
            .as_str()
            .unwrap()
            .contains("velocity: 4 events from one device within 60 minutes"),
        "{hold}"
    );
    let balance = w.points(ms[3]);
    assert_eq!((balance.available, balance.pending), (0, 20));
    // An hour later the device may share again.
    w.clock.set(START + 61 * 60_000);
    assert!(
        event(
            &w,
            from_device(event_input(ms[0], "share", Some("s9"), json!({})), "dev-1")
        )
        .unwrap()
        .get("risk_hold")
        .is_none()
    );

    let open = w.read(|tx, ctx| earn::list_holds(tx, ctx, None, None, None));
    assert_eq!(open.holds.len(), 1);
    let hold_id = id(&hold, "hold_id");
    let released = decide(&w, hold_id, earn::HoldDecision::Release).unwrap();
    assert_eq!(
        (
            released["status"].as_str(),
            released["points_moved"].as_i64()
        ),
        (Some("released"), Some(20))
    );
    assert_eq!(w.points(ms[3]).available, 20);
    conflict(
        decide(&w, hold_id, earn::HoldDecision::Reject),
        "hold_decided",
    );
    not_found(
        decide(&w, 99_999, earn::HoldDecision::Reject),
        "risk hold",
        "99999",
    );

    // A device already used by two members holds the sign-in of a third; rejecting voids it.
    for m in &ms[..2] {
        assert!(
            event(
                &w,
                from_device(event_input(*m, "sign_in", None, json!({})), "dev-2")
            )
            .unwrap()
            .get("risk_hold")
            .is_none()
        );
    }
    let third = event(
        &w,
        from_device(event_input(ms[2], "sign_in", None, json!({})), "dev-2"),
    )
    .unwrap();
    assert_eq!(third["awards"][0]["status"], "held");
    assert!(
        third["risk_hold"]["reason"]
            .as_str()
            .unwrap()
            .contains("device shared by 3 members")
    );
    let rejected = decide(
        &w,
        id(&third["risk_hold"], "hold_id"),
        earn::HoldDecision::Reject,
    )
    .unwrap();
    assert_eq!(rejected["points_moved"], 5);
    let b2 = w.points(ms[2]);
    assert_eq!(
        (b2.available, b2.pending),
        (20, 0),
        "only the share points remain"
    );
    // The rejected award is not issued and gives its budget back.
    let issued = w.read(move |tx, ctx| Ok(tx.rule_totals(ctx.program.id, sign_in_rule)?));
    assert_eq!(issued, (10, 0, 2));
    let budget = w.read(move |tx, ctx| {
        Ok(tx.counters(ctx.program.id, 0, &[format!("budget:{sign_in_rule}")])?)
    });
    assert_eq!(budget[0].points[4], 10);
    let done = w.read(|tx, ctx| earn::list_holds(tx, ctx, Some("rejected"), None, None));
    assert_eq!(done.holds[0].decided_by.as_deref(), Some("risk@shop"));
    // Events held do not vest with the jobs, whatever the date.
    w.at_day(400);
    w.jobs();
    w.verify();
}

fn referrals_from_a_shared_phone_are_held(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    settings(&w, json!({"risk": {"phone_members_max": 1}}));
    rule(
        &w,
        json!({"name": "邀请奖励", "trigger": "referral", "points": "200", "condition": "referral.role == 'inviter'"}),
    );
    let inviter = w.member("inv");
    let create = |phone: &str| {
        let profile = MemberProfile {
            phone: Some(phone.into()),
            ..Default::default()
        };
        create_member(&w, profile, Some(inviter)).unwrap()
    };
    let first = create("13900000000");
    assert!(first["rewards"][1].get("risk_hold").is_none(), "{first}");
    let second = create("13900000000");
    assert!(
        second["rewards"][1]["risk_hold"]["reason"]
            .as_str()
            .unwrap()
            .contains("phone shared by 2 members"),
        "{second}"
    );
    let b = w.points(inviter);
    assert_eq!((b.available, b.pending), (200, 200));
    w.verify();
}

// ---- dry run and backtest -------------------------------------------------------------------

fn dry_runs_explain_draft_rules_and_write_nothing(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("fay");
    let input = RuleIn {
        definition: serde_json::from_value(
            json!({"name": "周末双倍", "trigger": "purchase", "points": "base_points",
            "schedule": {"days_of_week": [6, 7]}}),
        )
        .unwrap(),
        status: None,
        actor: None,
    };
    let draft = id(
        &w.write(move |tx, ctx, now| earn::create_rule(tx, ctx, now, "staff:test", &input))
            .unwrap(),
        "rule_id",
    );
    w.app.invalidate_program(w.pid);
    let dry = |at_day: i64, rule_ids: Vec<i64>, rules: Vec<Value>| {
        let d = DryRun {
            purchase: Some(World::purchase_input("dry-1", by_id(m), 12_800)),
            event: None,
            at: Some(START + at_day * DAY),
            rule_ids,
            rules: rules
                .into_iter()
                .map(|r| serde_json::from_value(r).unwrap())
                .collect(),
            include_active: true,
        };
        let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
        w.app
            .read_blocking(move |tx| earn::dry_run(tx, &ctx, START, &d))
    };
    // Saturday 3 January in Shanghai: the draft would double the base.
    let sat = dry(2, vec![draft], vec![]).unwrap();
    assert_eq!(sat.awarded.points, 128);
    assert_eq!(sat.base.map(|b| b.points), Some(128));
    let fri = dry(1, vec![draft], vec![]).unwrap();
    assert_eq!(
        fri.rules[0].outcome,
        jifen_rules::eval::Outcome::OutsideSchedule
    );
    // Without the draft, the active set has no rules.
    assert!(dry(2, vec![], vec![]).unwrap().rules.is_empty());
    let inline = dry(
        2,
        vec![],
        vec![json!({"name": "x", "trigger": "purchase", "points": "order.amount / 1000"})],
    )
    .unwrap();
    assert_eq!(inline.awards[0].points, 12);
    assert_eq!(inline.awards[0].rule_id, -1);
    invalid(
        dry(
            2,
            vec![],
            vec![json!({"name": "x", "trigger": "purchase", "points": "order.amont"})],
        ),
        "rules[0].points",
    );
    not_found(dry(2, vec![424_242], vec![]), "rule", "424242");
    // Nothing was written: no order, no event, no points.
    assert!(w.order("dry-1").is_none());
    w.assert_points(m, (0, 0, 0, 0));
    let events = w.read(|tx, ctx| Ok(tx.count_events(ctx.program.id, 0, i64::MAX)?));
    assert_eq!(events, 0);
}

fn backtest_of_a_double_points_weekend_reports_its_cost(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m1 = w.member("g1");
    let m2 = w.member("g2");
    // 2026-01-02 is a Friday; 3 and 4 January are the weekend (08:00 in Shanghai).
    for (day, order, member, amount) in [
        (1, "p1", m1, 10_000),
        (2, "p2", m1, 20_000),
        (3, "p3", m2, 30_000),
        (4, "p4", m2, 40_000),
        (9, "p5", m1, 55_500),
    ] {
        w.at_day(day);
        w.purchase(order, member, amount).unwrap();
    }
    w.at_day(2);
    sign_in(&w, m1, None).unwrap();
    w.at_day(20);
    let weekend: RuleDef = serde_json::from_value(
        json!({"name": "周末双倍", "trigger": "purchase", "points": "base_points",
        "schedule": {"days_of_week": [6, 7]}}),
    )
    .unwrap();
    let run = |b: BacktestIn| {
        let started = w.app.start_backtest(w.pid, b).unwrap();
        for _ in 0..500 {
            let s = w.app.backtest(w.pid, &started.backtest_id).unwrap();
            if s.status != "running" {
                assert_eq!(s.status, "done", "{s:?}");
                assert_eq!(s.events_done, s.events_total);
                return s.result.unwrap();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the backtest did not finish");
    };
    // Events p1..p4 and the sign-in fall in the range; p5 (10 January) does too.
    let r = run(BacktestIn {
        from: START,
        to: START + 20 * DAY,
        rule_ids: vec![],
        rules: vec![weekend.clone()],
        mode: None,
    });
    assert_eq!(r.events, 6);
    // Saturday 3 January: p2 doubles 200; Sunday 4 January: p3 doubles 300; Saturday
    // 10 January: p5 doubles 555. Friday's and Monday's purchases do not count.
    assert_eq!(r.proposed.points, 200 + 300 + 555);
    assert_eq!(r.actual.points, 0);
    assert_eq!(r.change.points, 1055);
    assert_eq!(r.members_affected, 2);
    assert_eq!(r.by_rule[0].awards, 3);
    // A narrower range and a capped variant.
    let capped: RuleDef = serde_json::from_value(
        json!({"name": "capped", "trigger": "purchase", "points": "base_points",
        "schedule": {"days_of_week": [6, 7]}, "budget_points": 400}),
    )
    .unwrap();
    let r = run(BacktestIn {
        from: START,
        to: START + 5 * DAY,
        rule_ids: vec![],
        rules: vec![capped],
        mode: Some("replace".into()),
    });
    assert_eq!(r.events, 5);
    assert_eq!(
        r.proposed.points, 400,
        "200, then 200 of the 300: the budget is 400"
    );
    let bad = w.app.start_backtest(
        w.pid,
        BacktestIn {
            from: START,
            to: START,
            rule_ids: vec![],
            rules: vec![],
            mode: None,
        },
    );
    invalid(bad, "to");
}

// ---- the history as people read it ---------------------------------------------------------

fn activity(w: &World, m: i64, mut q: jifen_app::activity::ActivityQuery) -> Vec<Value> {
    q.point_type.get_or_insert_with(|| "points".into());
    let page = w
        .read(move |tx, ctx| jifen_app::activity::activity(tx, ctx, jifen_ledger::MemberId(m), &q));
    let v = serde_json::to_value(&page).unwrap();
    v["lines"].as_array().unwrap().clone()
}

/// The member's points lines in the ledger itself.
fn ledger_points_lines(w: &World, m: i64) -> usize {
    let lines = w.history(m, 50);
    lines.iter().filter(|h| h["point_type"] == "points").count()
}

fn newest(w: &World, m: i64) -> Value {
    activity(w, m, Default::default())[0].clone()
}

fn state(l: &Value) -> (&str, &str, i64, i64) {
    (
        l["code"].as_str().unwrap(),
        l["state"].as_str().unwrap(),
        l["amount"].as_i64().unwrap(),
        l["original"].as_i64().unwrap(),
    )
}

/// One purchase is one line (待生效, then 已到账), one order's points are one line (冻结中, then
/// 已兑换 or 已释放), points held for review say so; the ledger keeps every line underneath.
fn history_reads_one_line_per_business_event(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(7));
    let m = w.member("reader");
    w.purchase("o-486", m, 48_600).unwrap();
    let line = newest(&w, m);
    assert_eq!(state(&line), ("purchase", "pending", 486, 486), "{line}");
    assert_eq!(line["available_at"], START + 7 * DAY, "{line}");
    assert_eq!(line["settled_at"], Value::Null);
    // The points vest: still one line, now vested, while the ledger has two.
    w.at_day(8);
    assert_eq!(w.jobs_tuple().0, 486);
    let lines = activity(&w, m, Default::default());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(state(&lines[0]), ("purchase", "vested", 486, 486));
    assert_eq!(lines[0]["available_at"], Value::Null);
    assert_eq!(lines[0]["settled_at"], START + 8 * DAY);
    assert_eq!(ledger_points_lines(&w, m), 2);
    // Reserved and spent reads as the spend; reserved and released reads released, 0 moved;
    // an open reservation reads reserved.
    let r = id(
        &w.reserve(m, 100, 600, Some("mall-1")).unwrap(),
        "reservation_id",
    );
    w.post(r).unwrap();
    assert_eq!(
        state(&newest(&w, m)),
        ("reservation_post", "redeemed", -100, -100)
    );
    let r = id(&w.reserve(m, 50, 600, None).unwrap(), "reservation_id");
    w.void(r, Some("order cancelled")).unwrap();
    assert_eq!(state(&newest(&w, m)), ("reservation", "released", 0, -50));
    w.reserve(m, 30, 600, None).unwrap();
    assert_eq!(state(&newest(&w, m)), ("reservation", "reserved", -30, -30));
    assert_eq!(activity(&w, m, Default::default()).len(), 4);
    assert_eq!(ledger_points_lines(&w, m), 7);
    // A share held by the risk checks says so, with no date to vest; rejected, it is voided.
    settings(
        &w,
        json!({"risk": {"velocity": [{"by": "device", "window_minutes": 60, "max_events": 1}]}}),
    );
    rule(
        &w,
        json!({"name": "分享", "trigger": "share", "points": "20"}),
    );
    let other = w.member("other");
    for (k, who) in [other, m].iter().enumerate() {
        let e = from_device(
            event_input(*who, "share", Some(&format!("sh{k}")), json!({})),
            "dev-9",
        );
        event(&w, e).unwrap();
    }
    let held = newest(&w, m);
    assert_eq!(state(&held), ("share", "held", 20, 20), "{held}");
    assert_eq!(held["available_at"], Value::Null);
    let page = w.read(|tx, ctx| earn::list_holds(tx, ctx, Some("open"), None, Some(10)));
    let hold = page.holds[0].hold_id;
    decide(&w, hold, earn::HoldDecision::Reject).unwrap();
    assert_eq!(state(&newest(&w, m)), ("share", "voided", 0, 20));
    // Filters and pages.
    let only = |code: &str| jifen_app::activity::ActivityQuery {
        code: Some(code.into()),
        ..Default::default()
    };
    assert_eq!(activity(&w, m, only("purchase")).len(), 1);
    let way = |d: &str| jifen_app::activity::ActivityQuery {
        direction: Some(d.into()),
        ..Default::default()
    };
    let codes = |lines: Vec<Value>| -> Vec<String> {
        lines
            .iter()
            .map(|l| l["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes(activity(&w, m, way("in"))), ["share", "purchase"]);
    assert_eq!(
        codes(activity(&w, m, way("out"))),
        ["reservation", "reservation", "reservation_post"]
    );
    let two = jifen_app::activity::ActivityQuery {
        limit: Some(2),
        point_type: Some("points".into()),
        ..Default::default()
    };
    let page = w.read(move |tx, ctx| {
        jifen_app::activity::activity(tx, ctx, jifen_ledger::MemberId(m), &two)
    });
    assert_eq!(page.lines.len(), 2);
    assert_eq!(page.next_before, Some(page.lines[1].transfer_id));
    let rest = jifen_app::activity::ActivityQuery {
        before: page.next_before,
        ..Default::default()
    };
    let rest = activity(&w, m, rest);
    assert_eq!(rest.len(), 3, "{rest:?}");
    let until = jifen_app::activity::ActivityQuery {
        to: Some(START + DAY),
        ..Default::default()
    };
    assert_eq!(
        activity(&w, m, until).len(),
        1,
        "only the purchase was made on day 0"
    );
    for (q, field) in [
        (
            jifen_app::activity::ActivityQuery {
                limit: Some(0),
                ..Default::default()
            },
            "limit",
        ),
        (
            jifen_app::activity::ActivityQuery {
                before: Some(0),
                ..Default::default()
            },
            "before",
        ),
        (
            jifen_app::activity::ActivityQuery {
                from: Some(5),
                to: Some(5),
                ..Default::default()
            },
            "to",
        ),
    ] {
        let r = w.app.read_blocking({
            let ctx = w.ctx.clone();
            move |tx| jifen_app::activity::activity(tx, &ctx, jifen_ledger::MemberId(m), &q)
        });
        invalid(r, field);
    }
    w.verify();
}

on_both_backends!(
    purchase_rules_pay_with_explanations_and_record_their_version,
    a_ladder_bonus_is_withdrawn_when_one_of_its_orders_is_refunded,
    sign_in_streaks_make_up_days_and_refuse_a_second_sign_in,
    a_hundred_concurrent_sign_ins_award_once,
    a_campaign_budget_is_never_exceeded_under_concurrent_events,
    review_points_grow_with_text_and_photos_and_events_apply_once,
    sign_up_packs_referrals_and_the_first_order_bonus,
    birthday_and_anniversary_jobs_pay_once_a_year,
    dry_runs_explain_draft_rules_and_write_nothing,
    backtest_of_a_double_points_weekend_reports_its_cost,
    risky_events_are_held_for_review_then_released_or_rejected,
    caps_hold_for_backdated_events_kept_apart_from_the_current_period,
    every_behaviour_event_type_pays_its_own_rules,
    referrals_follow_a_merged_inviter,
    referrals_from_a_shared_phone_are_held,
    history_reads_one_line_per_business_event,
);

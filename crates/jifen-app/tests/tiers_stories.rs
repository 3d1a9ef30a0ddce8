//! Member tiers on both stores: thresholds exactly at and one below, an upgrade in the same
//! purchase request, tiers feeding rule audiences, refunds that do not downgrade, the rolling
//! window, and progress in both languages.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::commands::{self, Refund};
use jifen_app::earn::{self, RuleIn};
use jifen_domain::tiers::Ladder;
use jifen_store::Backend;
use serde_json::{Value, json};

fn ladder(w: &World, v: Value) -> Result<Value, jifen_app::AppError> {
    let l: Ladder = serde_json::from_value(v).unwrap();
    let out =
        w.write(move |tx, ctx, now| jifen_app::tiers::put_ladder(tx, ctx, now, "staff:test", &l));
    w.app.invalidate_program(w.pid);
    out
}

fn progress(w: &World, m: i64, locale: &'static str) -> Value {
    let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
    let now = w.now();
    w.app
        .read_blocking(move |tx| {
            jifen_app::tiers::member_progress(tx, &ctx, jifen_ledger::MemberId(m), now, locale)
        })
        .map(|p| serde_json::to_value(p).expect("the view serializes"))
        .unwrap()
}

fn four_tiers() -> Value {
    json!({"metric": "growth", "window": {"kind": "rolling_months", "months": 12}, "tiers": [
        {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
        {"code": "silver", "name_zh": "白银会员", "name_en": "Silver", "threshold": 1000},
        {"code": "gold", "name_zh": "黄金会员", "name_en": "Gold", "threshold": 5000},
        {"code": "diamond", "name_zh": "钻石会员", "name_en": "Diamond", "threshold": 20000}]})
}

fn a_member_climbs_in_the_request_that_crosses_a_threshold(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    ladder(&w, four_tiers()).unwrap();
    let input = RuleIn {
        definition: serde_json::from_value(
            json!({"name": "金卡双倍", "trigger": "purchase", "points": "base_points",
            "audience": {"tiers": ["gold", "diamond"]}}),
        )
        .unwrap(),
        status: Some("active".into()),
        actor: None,
    };
    w.write(move |tx, ctx, now| earn::create_rule(tx, ctx, now, "staff:test", &input))
        .unwrap();
    w.app.invalidate_program(w.pid);
    let m = w.member("t1");
    assert_eq!(progress(&w, m, "zh")["tier"], "normal");
    // 999 growth: one below silver.
    let out = w.purchase("t-1", m, 99_900).unwrap();
    assert!(out.get("tier_change").is_none(), "{out}");
    assert_eq!(
        progress(&w, m, "zh")["message"],
        "再获得 1 成长值升级白银会员"
    );
    // Exactly at the threshold: silver, in this same request.
    let out = w.purchase("t-2", m, 100).unwrap();
    assert_eq!(
        out["tier_change"],
        json!({"from": "normal", "to": "silver", "metric_value": 1000, "cause": "purchase t-2"})
    );
    let p = progress(&w, m, "zh");
    assert_eq!(
        (p["tier"].as_str(), p["message"].as_str()),
        (Some("silver"), Some("再获得 4,000 成长值升级黄金会员"))
    );
    assert_eq!(
        progress(&w, m, "en")["message"],
        "Earn 4,000 more growth points to reach Gold"
    );
    // Up two tiers at once: 1,000 + 19,000 growth reaches diamond directly; the rule for gold
    // members did not pay on the purchase that made the member diamond (tier at its start).
    let out = w.purchase("t-3", m, 1_900_000).unwrap();
    assert_eq!(out["tier_change"]["to"], "diamond");
    assert_eq!(out["rules"][0]["outcome"], "not_in_audience");
    let out = w.purchase("t-4", m, 10_000).unwrap();
    assert_eq!(out["rules"][0]["outcome"], "fired");
    assert_eq!(out["total"]["points"], 200);
    // A refund that drops the metric below diamond moves the member down at once, to the tier
    // the metric still reaches.
    let r = Refund {
        order_id: "t-3".into(),
        amount_minor: None,
        reason: None,
    };
    let out = w
        .write(move |tx, ctx, now| commands::refund(tx, ctx, now, &r))
        .unwrap();
    assert_eq!(out["tier_change"]["to"], "silver");
    let p = progress(&w, m, "zh");
    assert_eq!(
        (p["tier"].as_str(), p["metric_value"].as_i64()),
        (Some("silver"), Some(1_100))
    );
    assert_eq!(p["message"], "再获得 3,900 成长值升级黄金会员");
    assert_eq!(p["changes"].as_array().unwrap().len(), 3);
    assert_eq!(p["changes"][0]["cause"], "refund t-3");
    w.verify();
}

fn growth_earned_twelve_months_and_a_day_ago_no_longer_counts(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    ladder(&w, four_tiers()).unwrap();
    let m = w.member("t2");
    w.purchase("old", m, 80_000).unwrap(); // 800 growth on 2026-01-01
    w.at_day(300);
    w.purchase("new", m, 10_000).unwrap(); // 100 more
    assert_eq!(progress(&w, m, "zh")["metric_value"], 900);
    // 2027-01-01 08:00 Shanghai: the window starts 2026-01-02, so the first purchase is out.
    w.at_day(365);
    assert_eq!(progress(&w, m, "zh")["metric_value"], 100);
    assert_eq!(
        progress(&w, m, "zh")["window_from"],
        START + DAY - 8 * 3_600_000
    );
}

fn spend_and_order_ladders_and_invalid_ladders(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let bad = ladder(
        &w,
        json!({"metric": "spend", "window": {"kind": "calendar_year"}, "tiers": [
        {"code": "a", "name_zh": "甲", "name_en": "A", "threshold": 0},
        {"code": "b", "name_zh": "乙", "name_en": "B", "threshold": 0}]}),
    );
    invalid(bad, "tiers[1].threshold");
    ladder(
        &w,
        json!({"metric": "orders", "window": {"kind": "calendar_year"}, "tiers": [
        {"code": "a", "name_zh": "甲", "name_en": "A", "threshold": 0},
        {"code": "b", "name_zh": "乙", "name_en": "B", "threshold": 3}]}),
    )
    .unwrap();
    let m = w.member("t3");
    let mut last = Value::Null;
    for i in 0..3 {
        last = w.purchase(&format!("o{i}"), m, 1_000).unwrap();
    }
    assert_eq!(last["tier_change"]["to"], "b");
    assert_eq!(
        progress(&w, m, "en")["message"],
        "You are at the top tier: B"
    );
}

fn a_manual_tier_shows_as_manual_and_ends_on_its_date(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    ladder(&w, four_tiers()).unwrap();
    let input = RuleIn {
        definition: serde_json::from_value(
            json!({"name": "金卡礼", "trigger": "share", "points": "10",
            "audience": {"tiers": ["gold"]}}),
        )
        .unwrap(),
        status: Some("active".into()),
        actor: None,
    };
    w.write(move |tx, ctx, now| earn::create_rule(tx, ctx, now, "staff:test", &input))
        .unwrap();
    w.app.invalidate_program(w.pid);
    let m = w.member("t4");
    w.purchase("p1", m, 150_000).unwrap(); // earns silver
    let set = |tier: &str, until: i64| {
        let t = jifen_app::tiers::ManualTier {
            tier: tier.into(),
            until,
            reason: "VIP 投诉补偿".into(),
            actor: "cs:li".into(),
        };
        w.write(move |tx, ctx, now| {
            jifen_app::tiers::set_manual(tx, ctx, now, jifen_ledger::MemberId(m), &t)
        })
    };
    invalid(set("platinum", START + 10 * DAY), "tier");
    invalid(set("gold", START - 1), "until");
    let out = set("gold", START + 30 * DAY).unwrap();
    assert_eq!(
        (out["tier"].as_str(), out["earned_tier"].as_str()),
        (Some("gold"), Some("silver"))
    );
    assert_eq!(out["manual"]["by"], "cs:li");
    // Rules see the manual tier while it lasts.
    let share = |id: &str| {
        let e = earn::EventIn {
            event_id: Some(id.into()),
            trigger: "share".into(),
            member: jifen_app::commands::MemberRef::Id { member_id: m },
            occurred_at: None,
            channel: None,
            tags: vec![],
            attributes: Default::default(),
            makeup_date: None,
            device_id: None,
            ip: None,
        };
        w.write(move |tx, ctx, now| earn::record_event(tx, ctx, now, &e))
            .unwrap()["awarded"]["points"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(share("s1"), 10);
    // After its end date the member is at the tier it earned: the manual tier was no floor.
    w.at_day(31);
    let p = progress(&w, m, "en");
    assert_eq!(
        (p["tier"].as_str(), p["manual"].is_null()),
        (Some("silver"), true)
    );
    assert_eq!(share("s2"), 0);
    w.verify();
}

fn the_review_moves_down_one_tier_per_period_after_the_grace(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let mut l = four_tiers();
    l["review"] = json!({"every": "month", "grace_days": 3, "downgrade_steps_max": 1});
    // The longest refund grace: the refund below does not move the member down before it ends.
    l["refund_grace_days"] = json!(90);
    ladder(&w, l).unwrap();
    let m = w.member("r1");
    let keeper = w.member("r2");
    w.purchase("big", m, 2_500_000).unwrap(); // 25,000 growth: diamond
    w.purchase("keep", keeper, 150_000).unwrap(); // 1,500: silver, and keeps it
    // A full refund takes the growth away; within the refund grace nobody moves down.
    let r = Refund {
        order_id: "big".into(),
        amount_minor: None,
        reason: None,
    };
    w.write(move |tx, ctx, now| commands::refund(tx, ctx, now, &r))
        .unwrap();
    assert_eq!(
        w.jobs().tiers_reviewed,
        0,
        "January's review is not due before 4 January"
    );
    let p = progress(&w, m, "zh");
    assert_eq!(p["tier"], "diamond");
    // To keep diamond at the next review (4 January) it needs its 20,000 growth back.
    assert_eq!(
        (p["keep_needed"].as_i64(), p["next_review_at"].as_i64()),
        (Some(20_000), Some(START + 3 * DAY - 8 * 3_600_000))
    );
    // February's review runs from 4 February (3 days' grace): one tier down, once.
    w.at_day(33); // 2026-02-03 08:00 Shanghai
    assert_eq!(w.jobs().tiers_reviewed, 0, "still in the grace");
    w.at_day(34);
    assert_eq!(w.jobs().tiers_reviewed, 2);
    assert_eq!(progress(&w, m, "zh")["tier"], "gold");
    assert_eq!(progress(&w, keeper, "zh")["tier"], "silver");
    assert_eq!(w.jobs().tiers_reviewed, 0, "the February review is done");
    // March and April take it down a step each.
    w.at_day(62);
    w.jobs();
    assert_eq!(progress(&w, m, "zh")["tier"], "silver");
    w.at_day(93);
    w.jobs();
    let p = progress(&w, m, "zh");
    assert_eq!(p["tier"], "normal");
    let causes: Vec<&str> = p["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cause"].as_str().unwrap())
        .collect();
    // The refund's grace ended on day 90: its re-check moved the member down before April's
    // review could.
    assert_eq!(
        causes,
        vec![
            "refund re-check",
            "review 2026-03",
            "review 2026-02",
            "purchase big"
        ]
    );
    w.verify();
}

fn tier_of(w: &World, m: i64) -> String {
    progress(w, m, "en")["tier"].as_str().unwrap().to_string()
}

/// Every window kind with every review it allows: a member who earned gold in April 2026 keeps
/// it through the first review of 2027, which measures the period just ended (a calendar year is
/// last year's, not January's); a calendar year reviewed monthly or quarterly is refused.
fn each_window_and_review_measures_the_period_just_ended(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let calendar = json!({"kind": "calendar_year"});
    let rolling = json!({"kind": "rolling_months", "months": 12});
    for every in ["month", "quarter"] {
        let mut l = four_tiers();
        l["window"] = calendar.clone();
        l["review"] = json!({"every": every, "grace_days": 30});
        invalid(ladder(&w, l), "review.every");
    }
    let cases = [
        (rolling.clone(), "month"),
        (rolling.clone(), "quarter"),
        (rolling, "year"),
        (calendar, "year"),
    ];
    for (i, (window, every)) in cases.into_iter().enumerate() {
        let p = w.sibling(&format!("p{i}"), policy(0));
        p.at_day(0);
        let mut l = four_tiers();
        l["window"] = window.clone();
        l["review"] = json!({"every": every, "grace_days": 10, "downgrade_steps_max": 1});
        ladder(&p, l).unwrap();
        let m = p.member("m");
        p.at_day(100); // 2026-04-11
        p.purchase("big", m, 600_000).unwrap(); // 6,000 growth: gold
        assert_eq!(tier_of(&p, m), "gold");
        // 2027-01-13: the first review of 2027 is due, whatever its period (10 days' grace).
        p.at_day(377);
        let r = p.jobs();
        assert_eq!(r.tiers_reviewed, 1, "{window} {every}");
        assert_eq!(tier_of(&p, m), "gold", "{window} reviewed every {every}");
        // A year on, with nothing earned in 2027, the review takes it down one step.
        p.at_day(742);
        p.jobs();
        assert_eq!(tier_of(&p, m), "silver", "{window} reviewed every {every}");
        p.verify();
    }
}

on_both_backends!(
    each_window_and_review_measures_the_period_just_ended,
    the_review_moves_down_one_tier_per_period_after_the_grace,
    a_manual_tier_shows_as_manual_and_ends_on_its_date,
    a_member_climbs_in_the_request_that_crosses_a_threshold,
    growth_earned_twelve_months_and_a_day_ago_no_longer_counts,
    spend_and_order_ladders_and_invalid_ladders,
);

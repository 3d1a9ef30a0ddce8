//! Table-driven tests of rule evaluation: stacking modes, caps at period boundaries in the
//! programme's time zone, schedules at their edges, audiences, budgets and validation errors.

use std::collections::HashMap;

use jifen_rules::*;
use jiff::tz::TimeZone;
use serde_json::json;

fn tz() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap()
}

/// Milliseconds of a civil time in Shanghai.
fn at(s: &str) -> i64 {
    s.parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned(tz())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn rule(id: i64, v: serde_json::Value) -> CompiledRule {
    let def: RuleDef = serde_json::from_value(v).unwrap();
    def.compile(id, 1, &tz()).unwrap()
}

fn purchase_vars(amount: i64) -> Vec<Value> {
    let mut v = Vars::default();
    v.int("order.amount", amount)
        .int("base_points", amount / 100)
        .set("event.channel", Value::Str("app".into()))
        .set("member.tier", Value::Str("gold".into()));
    v.0
}

struct Run<'a> {
    set: &'a RuleSet,
    trigger: Trigger,
    now: i64,
    vars: Vec<Value>,
    counters: HashMap<CounterKey, Counter>,
    caps: Vec<TriggerCap>,
}

impl Run<'_> {
    fn eval(&self) -> Evaluation {
        let ev = EventInput {
            trigger: &self.trigger,
            now: self.now,
            vars: &self.vars,
            tz: &tz(),
            trigger_caps: &self.caps,
        };
        evaluate(self.set, &ev, &|k| {
            self.counters.get(k).copied().unwrap_or_default()
        })
    }

    /// Applies an evaluation's increments, as the store would at commit.
    fn commit(&mut self, e: &Evaluation) {
        for (k, inc) in &e.increments {
            let c = self.counters.entry(k.clone()).or_default();
            c.points += inc.points;
            c.count += inc.count;
        }
    }
}

fn run(set: &RuleSet, trigger: Trigger, now: i64, vars: Vec<Value>) -> Run<'_> {
    Run {
        set,
        trigger,
        now,
        vars,
        counters: HashMap::new(),
        caps: vec![],
    }
}

fn outcomes(e: &Evaluation) -> Vec<(i64, Outcome, i64)> {
    e.explain
        .iter()
        .map(|x| (x.rule_id, x.outcome, x.points))
        .collect()
}

#[test]
fn stacking_modes_combine_as_documented() {
    struct Case {
        name: &'static str,
        rules: Vec<(i64, i64, &'static str, &'static str)>, // id, priority, stacking, points
        want: Vec<(i64, Outcome, i64)>,
    }
    let cases = vec![
        Case {
            name: "stack rules all pay",
            rules: vec![(1, 0, "stack", "base_points"), (2, 0, "stack", "50")],
            want: vec![(1, Outcome::Fired, 128), (2, Outcome::Fired, 50)],
        },
        Case {
            name: "best_of pays only the largest, ties to the earlier",
            rules: vec![
                (1, 0, "best_of", "100"),
                (2, 0, "best_of", "300"),
                (3, 0, "best_of", "300"),
                (4, 0, "stack", "7"),
            ],
            want: vec![
                (1, Outcome::Outranked, 0),
                (2, Outcome::Fired, 300),
                (3, Outcome::Outranked, 0),
                (4, Outcome::Fired, 7),
            ],
        },
        Case {
            name: "exclusive shuts out lower priorities only",
            rules: vec![
                (1, 10, "stack", "1"),
                (2, 5, "exclusive", "500"),
                (3, 0, "stack", "9"),
                (4, 0, "best_of", "900"),
            ],
            want: vec![
                (1, Outcome::Fired, 1),
                (2, Outcome::Fired, 500),
                (3, Outcome::Excluded, 0),
                (4, Outcome::Excluded, 0),
            ],
        },
        Case {
            name: "an exclusive rule that does not fire excludes nothing",
            rules: vec![(1, 5, "exclusive", "0"), (2, 0, "stack", "9")],
            want: vec![(1, Outcome::NoPoints, 0), (2, Outcome::Fired, 9)],
        },
        Case {
            name: "priority orders evaluation, then rule id",
            rules: vec![
                (3, 0, "exclusive", "30"),
                (2, 0, "exclusive", "20"),
                (1, -1, "stack", "10"),
            ],
            want: vec![
                (2, Outcome::Fired, 20),
                (3, Outcome::Excluded, 0),
                (1, Outcome::Excluded, 0),
            ],
        },
    ];
    for c in cases {
        let set = RuleSet::new(c.rules.iter().map(|(id, prio, stacking, points)| {
            rule(*id, json!({"name": format!("r{id}"), "trigger": "purchase", "points": points, "priority": prio, "stacking": stacking}))
        }));
        let e = run(
            &set,
            Trigger::Purchase,
            at("2026-12-01T12:00"),
            purchase_vars(12_800),
        )
        .eval();
        assert_eq!(outcomes(&e), c.want, "{}", c.name);
        let paid: i64 = c.want.iter().map(|w| w.2).sum();
        assert_eq!(e.total(jifen_ledger::PointType::Points), paid, "{}", c.name);
    }
}

#[test]
fn daily_caps_roll_over_at_midnight_in_the_programme_time_zone() {
    let set = RuleSet::new([rule(
        1,
        json!({"name": "review", "trigger": "review", "points": "60", "caps": [{"period": "day", "max_points": 100}]}),
    )]);
    // 23:59 Shanghai is 15:59 UTC: the same Shanghai day until 16:00 UTC.
    let mut r = run(
        &set,
        Trigger::Review,
        at("2026-12-01T23:58"),
        Vars::default().0,
    );
    let first = r.eval();
    assert_eq!(first.total(jifen_ledger::PointType::Points), 60);
    r.commit(&first);
    r.now = at("2026-12-01T23:59:59");
    let second = r.eval();
    assert_eq!(
        second.total(jifen_ledger::PointType::Points),
        40,
        "cut to fit the cap of 100"
    );
    assert!(
        second.explain[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("cut from 60 to 40")
    );
    r.commit(&second);
    let third = r.eval();
    assert_eq!(outcomes(&third), vec![(1, Outcome::CapReached, 0)]);
    r.now = at("2026-12-02T00:00");
    assert_eq!(
        r.eval().total(jifen_ledger::PointType::Points),
        60,
        "a new Shanghai day"
    );
}

#[test]
fn period_keys_follow_the_calendar_edges() {
    let cases = [
        (Period::Day, "2026-12-01T23:59:59.999", "d2026-12-01"),
        (Period::Day, "2026-12-02T00:00", "d2026-12-02"),
        (Period::Month, "2026-01-31T23:59", "m2026-01"),
        (Period::Month, "2026-02-01T00:00", "m2026-02"),
        (Period::Month, "2028-02-29T12:00", "m2028-02"),
        (Period::Day, "2028-02-29T12:00", "d2028-02-29"),
        (Period::Day, "2028-03-01T00:00", "d2028-03-01"),
        (Period::Week, "2026-12-27T23:59", "w2026-W52"),
        (Period::Week, "2026-12-28T00:00", "w2026-W53"),
        (Period::Week, "2027-01-04T00:00", "w2027-W01"),
        (Period::Year, "2026-12-31T23:59", "y2026"),
        (Period::Year, "2027-01-01T00:00", "y2027"),
        (Period::Lifetime, "2027-01-01T00:00", "all"),
    ];
    for (p, t, want) in cases {
        assert_eq!(period_key(p, at(t), &tz()), want, "{p:?} at {t}");
    }
    // The same instant is a different day in another zone.
    let utc = TimeZone::UTC;
    assert_eq!(
        period_key(Period::Day, at("2026-12-02T07:59"), &utc),
        "d2026-12-01"
    );
}

#[test]
fn monthly_count_caps_reset_on_the_first_and_lifetime_caps_never() {
    let set = RuleSet::new([
        rule(
            1,
            json!({"name": "monthly", "trigger": "share", "points": "5", "caps": [{"period": "month", "max_count": 2}]}),
        ),
        rule(
            2,
            json!({"name": "once", "trigger": "share", "points": "100", "caps": [{"period": "lifetime", "max_count": 1}]}),
        ),
    ]);
    let mut r = run(
        &set,
        Trigger::Share,
        at("2028-02-28T10:00"),
        Vars::default().0,
    );
    let mut got = vec![];
    for t in [
        "2028-02-28T10:00",
        "2028-02-29T10:00",
        "2028-02-29T23:59",
        "2028-03-01T00:00",
    ] {
        r.now = at(t);
        let e = r.eval();
        got.push(outcomes(&e));
        r.commit(&e);
    }
    assert_eq!(
        got,
        vec![
            vec![(1, Outcome::Fired, 5), (2, Outcome::Fired, 100)],
            vec![(1, Outcome::Fired, 5), (2, Outcome::CapReached, 0)],
            vec![(1, Outcome::CapReached, 0), (2, Outcome::CapReached, 0)],
            vec![(1, Outcome::Fired, 5), (2, Outcome::CapReached, 0)],
        ]
    );
}

#[test]
fn schedules_include_the_start_and_exclude_the_end() {
    let weekend = rule(
        1,
        json!({"name": "双倍积分周末", "trigger": "purchase", "points": "base_points",
        "schedule": {"starts_at": "2026-12-05", "ends_at": "2026-12-07"}}),
    );
    let evenings = rule(
        2,
        json!({"name": "weekday evenings", "trigger": "purchase", "points": "1",
        "schedule": {"days_of_week": [1,2,3,4,5], "hours": [18, 22]}}),
    );
    let late = rule(
        3,
        json!({"name": "night owls", "trigger": "purchase", "points": "1",
        "schedule": {"hours": [22, 2]}}),
    );
    let utc_day = rule(
        4,
        json!({"name": "UTC day", "trigger": "purchase", "points": "1",
        "schedule": {"starts_at": "2026-12-05", "ends_at": "2026-12-06", "timezone": "UTC"}}),
    );
    let set = RuleSet::new([weekend, evenings, late, utc_day]);
    let fired = |t: &str| -> Vec<i64> {
        let e = run(&set, Trigger::Purchase, at(t), purchase_vars(10_000)).eval();
        e.awards.iter().map(|a| a.rule_id).collect()
    };
    assert_eq!(
        fired("2026-12-04T23:59:59"),
        vec![3],
        "Friday 23:59 is before the weekend"
    );
    assert_eq!(
        fired("2026-12-05T00:00"),
        vec![1, 3],
        "Saturday 00:00 Shanghai is still Friday in UTC"
    );
    assert_eq!(
        fired("2026-12-05T08:00"),
        vec![1, 4],
        "08:00 Shanghai is midnight UTC"
    );
    assert_eq!(fired("2026-12-06T07:59"), vec![1, 4]);
    assert_eq!(fired("2026-12-06T08:00"), vec![1], "the UTC day ended");
    assert_eq!(fired("2026-12-06T23:59"), vec![1, 3]);
    assert_eq!(fired("2026-12-07T00:00"), vec![3], "the end is exclusive");
    assert_eq!(fired("2026-12-07T18:00"), vec![2]);
    assert_eq!(fired("2026-12-07T21:59"), vec![2]);
    assert_eq!(fired("2026-12-07T22:00"), vec![3]);
    assert_eq!(fired("2026-12-08T01:59"), vec![3]);
    assert_eq!(fired("2026-12-08T02:00"), Vec::<i64>::new());
    let e = run(
        &set,
        Trigger::Purchase,
        at("2026-12-08T02:00"),
        purchase_vars(10_000),
    )
    .eval();
    assert!(
        e.explain
            .iter()
            .all(|x| x.outcome == Outcome::OutsideSchedule)
    );
}

#[test]
fn audiences_and_conditions_explain_why_a_rule_did_not_fire() {
    let set = RuleSet::new([
        rule(
            1,
            json!({"name": "gold triple", "trigger": "purchase", "points": "base_points * 2", "audience": {"tiers": ["gold", "diamond"]}}),
        ),
        rule(
            2,
            json!({"name": "pos only", "trigger": "purchase", "points": "10", "audience": {"channels": ["pos"]}}),
        ),
        rule(
            3,
            json!({"name": "big orders", "trigger": "purchase", "points": "200", "condition": "order.amount >= 20000"}),
        ),
        rule(
            4,
            json!({"name": "new members", "trigger": "purchase", "points": "base_points", "audience": {"joined_within_days": 30}}),
        ),
        rule(
            5,
            json!({"name": "vip segment", "trigger": "purchase", "points": "1", "audience": {"segments": ["vip"]}}),
        ),
        rule(
            6,
            json!({"name": "bad math", "trigger": "purchase", "points": "100 / order.item_count"}),
        ),
    ]);
    let mut vars = Vars(purchase_vars(12_800));
    vars.int("member.days_since_joined", 31)
        .int("order.item_count", 0);
    let e = run(&set, Trigger::Purchase, at("2026-12-01T12:00"), vars.0).eval();
    assert_eq!(
        outcomes(&e),
        vec![
            (1, Outcome::Fired, 256),
            (2, Outcome::NotInAudience, 0),
            (3, Outcome::ConditionFalse, 0),
            (4, Outcome::NotInAudience, 0),
            (5, Outcome::NotInAudience, 0),
            (6, Outcome::Error, 0),
        ]
    );
    assert!(
        e.explain[1]
            .detail
            .as_deref()
            .unwrap()
            .contains("channel \"app\"")
    );
    assert!(e.explain[3].detail.as_deref().unwrap().contains("31 days"));
    assert_eq!(
        e.explain[5].detail.as_deref(),
        Some("points: division by zero")
    );
}

#[test]
fn budgets_stop_a_rule_and_cut_the_last_award_to_fit() {
    let set = RuleSet::new([rule(
        1,
        json!({"name": "launch", "trigger": "sign_up", "points": "400", "budget_points": 1000}),
    )]);
    let mut r = run(
        &set,
        Trigger::SignUp,
        at("2026-12-01T12:00"),
        Vars::default().0,
    );
    let mut paid = vec![];
    for _ in 0..4 {
        let e = r.eval();
        paid.push(e.total(jifen_ledger::PointType::Points));
        r.commit(&e);
    }
    assert_eq!(paid, vec![400, 400, 200, 0]);
    let budget = CounterKey {
        kind: jifen_rules::eval::CounterKind::Budget(1),
        period: jifen_rules::eval::PeriodKey::All,
    };
    assert_eq!(budget.name(), "budget:1");
    assert_eq!(r.counters[&budget].points, 1000);
    assert_eq!(r.eval().explain[0].outcome, Outcome::BudgetExhausted);
}

#[test]
fn caps_per_event_type_span_rules() {
    let set = RuleSet::new([
        rule(
            1,
            json!({"name": "review base", "trigger": "review", "points": "20", "priority": 1}),
        ),
        rule(
            2,
            json!({"name": "review photos", "trigger": "review", "points": "30", "condition": "review.photos > 0"}),
        ),
        rule(
            3,
            json!({"name": "review growth", "trigger": "review", "points": "5", "point_type": "growth"}),
        ),
    ]);
    let mut vars = Vars::default();
    vars.int("review.photos", 2);
    let mut r = run(&set, Trigger::Review, at("2026-12-01T12:00"), vars.0);
    r.caps = vec![TriggerCap {
        trigger: "review".into(),
        period: Period::Day,
        max_points: Some(70),
        max_count: None,
    }];
    let first = r.eval();
    assert_eq!(
        outcomes(&first),
        vec![
            (1, Outcome::Fired, 20),
            (2, Outcome::Fired, 30),
            (3, Outcome::Fired, 5)
        ]
    );
    r.commit(&first);
    let second = r.eval();
    assert_eq!(
        outcomes(&second),
        vec![
            (1, Outcome::Fired, 20),
            (2, Outcome::CapReached, 0),
            (3, Outcome::Fired, 5)
        ]
    );
    r.commit(&second);
    // Growth value is not counted by a points cap.
    assert_eq!(outcomes(&r.eval())[2], (3, Outcome::Fired, 5));
}

#[test]
fn definitions_are_refused_with_the_field_and_reason() {
    let cases = [
        (
            json!({"name": "", "trigger": "purchase", "points": "1"}),
            "name",
            "required",
        ),
        (
            json!({"name": "x", "trigger": "purchse", "points": "1"}),
            "trigger",
            "unknown event type",
        ),
        (
            json!({"name": "x", "trigger": "custom:Bad", "points": "1"}),
            "trigger",
            "custom:<name>",
        ),
        (
            json!({"name": "x", "trigger": "sign_in", "points": "order.amount"}),
            "points",
            "unknown variable order.amount",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "order.amount > 1"}),
            "points",
            "it must be a int",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "condition": "order.amount"}),
            "condition",
            "must be a bool",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1 / (order.item_count - 2)"}),
            "points",
            "trial evaluation",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "schedule": {"starts_at": "2026-12-07", "ends_at": "2026-12-05"}}),
            "schedule.ends_at",
            "after starts_at",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "schedule": {"starts_at": "next week"}}),
            "schedule.starts_at",
            "not a time",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "schedule": {"days_of_week": [0]}}),
            "schedule.days_of_week",
            "1 (Monday)",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "schedule": {"hours": [5, 5]}}),
            "schedule.hours",
            "from != to",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "schedule": {"timezone": "Mars/Olympus"}}),
            "schedule.timezone",
            "unknown time zone",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "caps": [{"period": "day"}]}),
            "caps[0]",
            "max_points, max_count",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "caps": [{"period": "day", "max_points": 0}]}),
            "caps[0]",
            "between 1",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "budget_points": -5}),
            "budget_points",
            "between 1",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "priority": 5000}),
            "priority",
            "between",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "point_type": "growth", "validity_days": 30}),
            "validity_days",
            "never expires",
        ),
    ];
    for (v, field, msg) in cases {
        let def: RuleDef = serde_json::from_value(v.clone()).unwrap();
        let e = def.compile(1, 1, &tz()).unwrap_err();
        assert_eq!(e.field, field, "{v}");
        assert!(e.message.contains(msg), "{v}: {}", e.message);
    }
    // Unknown fields are refused when parsing, not ignored.
    assert!(
        serde_json::from_value::<RuleDef>(
            json!({"name": "x", "trigger": "purchase", "points": "1", "cap": []})
        )
        .is_err()
    );
}

#[test]
fn streak_rules_reward_day_n_and_formulas_can_read_event_attributes() {
    let set = RuleSet::new([
        rule(
            1,
            json!({"name": "daily", "trigger": "sign_in", "points": "sign_in.makeup ? 0 : 5"}),
        ),
        rule(
            2,
            json!({"name": "day 7", "trigger": "sign_in", "points": "50", "condition": "streak.day % 7 == 0"}),
        ),
        rule(
            3,
            json!({"name": "long review", "trigger": "review", "points": "10 + (review.text_length >= 100 ? 20 : 0) + min(review.photos, 3) * 10"}),
        ),
        rule(
            4,
            json!({"name": "watched", "trigger": "custom:watch_video", "points": "event.ints['minutes'] >= 3 ? 2 : 0"}),
        ),
    ]);
    for (day, want) in [(1, 5), (6, 5), (7, 55), (14, 55)] {
        let mut v = Vars::default();
        v.int("streak.day", day);
        let e = run(&set, Trigger::SignIn, at("2026-12-01T08:00"), v.0).eval();
        assert_eq!(e.total(jifen_ledger::PointType::Points), want, "day {day}");
    }
    let mut v = Vars::default();
    v.int("review.text_length", 120).int("review.photos", 5);
    assert_eq!(
        run(&set, Trigger::Review, 0, v.0)
            .eval()
            .total(jifen_ledger::PointType::Points),
        60
    );
    let mut v = Vars::default();
    v.set(
        "event.ints",
        Value::Map([("minutes".to_string(), 4)].into_iter().collect()),
    );
    let custom = Trigger::parse("custom:watch_video").unwrap();
    assert_eq!(
        run(&set, custom, 0, v.0)
            .eval()
            .total(jifen_ledger::PointType::Points),
        2
    );
}

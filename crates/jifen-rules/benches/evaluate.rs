//! Evaluating one purchase against 50 active rules, in process: building the event's variables,
//! finding the counters, and evaluating every rule with caps and budgets from a map.
//! `cargo bench -p jifen-rules` prints the median time per event over several runs.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use jifen_rules::*;
use jiff::tz::TimeZone;

fn rules(tz: &TimeZone) -> RuleSet {
    let mut out = Vec::new();
    for i in 0..50i64 {
        let def = serde_json::json!({
            "name": format!("rule {i}"),
            "trigger": "purchase",
            "points": match i % 5 {
                0 => "base_points".to_string(),
                1 => format!("order.category_amount['cat{i}'] / 100 * 2"),
                2 => "min(base_points * 2, 5000)".to_string(),
                3 => "order.amount >= 20000 ? 300 : 0".to_string(),
                _ => format!("'sku{i}' in order.skus ? 50 : 0"),
            },
            "condition": if i % 2 == 0 { Some("order.amount >= 5000 && member.tier != 'blocked'") } else { None },
            "schedule": if i % 3 == 0 { Some(serde_json::json!({"starts_at": "2026-01-01", "ends_at": "2027-01-01", "days_of_week": [1,2,3,4,5,6,7]})) } else { None },
            "audience": if i % 4 == 0 { serde_json::json!({"channels": ["app", "web"]}) } else { serde_json::json!({}) },
            "caps": if i % 2 == 0 { serde_json::json!([{"period": "day", "max_points": 10000}, {"period": "month", "max_count": 100}]) } else { serde_json::json!([]) },
            "budget_points": if i % 10 == 0 { Some(1_000_000_000) } else { None },
            "stacking": match i % 7 { 0 => "best_of", _ => "stack" },
            "priority": i % 3,
        });
        let def: RuleDef = serde_json::from_value(def).unwrap();
        out.push(def.compile(i + 1, 1, tz).unwrap());
    }
    RuleSet::new(out)
}

fn main() {
    let tz = TimeZone::get("Asia/Shanghai").unwrap();
    let set = rules(&tz);
    let counters: HashMap<CounterKey, Counter> = HashMap::new();
    let now = 1_765_000_000_000;
    let caps = vec![];
    let one = || {
        let mut v = Vars::default();
        v.int("order.amount", 12_800)
            .int("base_points", 128)
            .int("order.item_count", 3)
            .set("event.channel", Value::Str("app".into()))
            .set(
                "order.skus",
                Value::List(vec!["sku4".into(), "sku9".into()]),
            )
            .set("order.categories", Value::List(vec!["cat1".into()]))
            .set(
                "order.category_amount",
                Value::Map([("cat1".to_string(), 12_800)].into_iter().collect()),
            );
        let ev = EventInput {
            trigger: &Trigger::Purchase,
            now,
            vars: &v.0,
            tz: &tz,
            trigger_caps: &caps,
        };
        let keys = needed_counters(&set, &ev);
        let loaded: HashMap<&CounterKey, Counter> = keys
            .iter()
            .map(|k| (k, counters.get(k).copied().unwrap_or_default()))
            .collect();
        let e = evaluate(&set, &ev, &|k| loaded.get(k).copied().unwrap_or_default());
        black_box(e.awards.len())
    };
    let fired = {
        let mut v = Vars::default();
        v.int("order.amount", 12_800);
        one()
    };
    for _ in 0..2_000 {
        one();
    }
    let iters = 20_000;
    let mut runs = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..iters {
            one();
        }
        runs.push(t.elapsed().as_nanos() as f64 / iters as f64 / 1000.0);
    }
    runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "evaluate: {} active rules, {fired} awards per event: median {:.2} µs/event (min {:.2}, max {:.2}) over 7 runs of {iters}",
        set.len(),
        runs[3],
        runs[0],
        runs[6]
    );
}

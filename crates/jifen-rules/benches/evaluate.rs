//! Evaluating one purchase against 50 active rules, in process: building the event's variables,
//! finding the counters, and evaluating every rule with caps and budgets from a map.
//! `cargo bench -p jifen-rules` prints the median time per event over several runs.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use jifen_rules::*;
use jiff::tz::TimeZone;

fn rules(tz: &TimeZone) -> RuleSet {
    let defs = jifen_rules::sample::purchase_rules(50);
    RuleSet::new(defs.into_iter().enumerate().map(|(i, d)| {
        let def: RuleDef = serde_json::from_value(d).unwrap();
        def.compile(i as i64 + 1, 1, tz).unwrap()
    }))
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
    let fired = one();
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

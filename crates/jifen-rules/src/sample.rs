//! A realistic mix of purchase rules, for benchmarks: category and SKU bonuses, a threshold
//! bonus, capped doubles, scheduled and channel-bound rules, budgets and best-of stacking.

use serde_json::{Value, json};

/// `n` purchase rule definitions (JSON of [`crate::RuleDef`]), all valid.
pub fn purchase_rules(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
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
                "schedule": if i % 3 == 0 { Some(json!({"starts_at": "2026-01-01", "ends_at": "2036-01-01", "days_of_week": [1, 2, 3, 4, 5, 6, 7]})) } else { None },
                "audience": if i % 4 == 0 { json!({"channels": ["app", "web"]}) } else { json!({}) },
                "caps": if i % 2 == 0 { json!([{"period": "day", "max_points": 10000}, {"period": "month", "max_count": 100}]) } else { json!([]) },
                "budget_points": if i % 10 == 0 { Some(1_000_000_000_000i64) } else { None },
                "stacking": if i % 7 == 0 { "best_of" } else { "stack" },
                "priority": i % 3,
            })
        })
        .collect()
}

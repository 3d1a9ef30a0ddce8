//! Common shapes of purchase rules, which the console's pickers fill in instead of an
//! expression typed by hand: a threshold (满额送), a multiplier of the base points (倍数积分) and
//! a bonus per amount spent in one category (品类加赠). A shape writes the rule's condition and
//! points formula in the expression language ([`Shape::expressions`]) and reads them back
//! ([`Shape::recognise`]) when they are exactly what it writes, so that an edited rule shows
//! its picker filled in. Everything a shape writes compiles as a purchase rule (tested).

use serde::{Deserialize, Serialize};

/// Most points a shape pays per order or per step.
pub const POINTS_MAX: i64 = 1_000_000;
/// Highest multiplier, in percent of the base points (10×).
pub const PERCENT_MAX: i64 = 1_000;
/// Largest amount in minor units a threshold or a step may name (¥10,000,000).
pub const AMOUNT_MAX: i64 = 1_000_000_000;
/// Longest category code.
pub const CATEGORY_LEN_MAX: usize = 64;

/// A common shape of purchase rule and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Shape {
    /// An order paying at least `min_amount` (minor units, shipping excluded) earns `points`.
    Threshold { min_amount: i64, points: i64 },
    /// Points in all are `percent` of the base points (200 = double points): the rule pays the
    /// part above the base, which the programme's base rate pays already.
    Multiplier { percent: i64 },
    /// Every full `per_amount` (minor units) paid for lines of `category` earns `points` more.
    CategoryBonus {
        category: String,
        per_amount: i64,
        points: i64,
    },
}

/// What is wrong with a shape's parameter: the parameter's name and the problem, in English
/// (the console words it in the page's language by the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub field: &'static str,
    pub message: &'static str,
}

fn refuse(field: &'static str, message: &'static str) -> ShapeError {
    ShapeError { field, message }
}

fn in_range(
    field: &'static str,
    v: i64,
    max: i64,
    message: &'static str,
) -> Result<(), ShapeError> {
    if (1..=max).contains(&v) {
        Ok(())
    } else {
        Err(refuse(field, message))
    }
}

/// Whether `c` may name a category inside a quoted string of the expression language.
pub fn category_ok(c: &str) -> bool {
    !c.is_empty()
        && c.chars().count() <= CATEGORY_LEN_MAX
        && c.chars()
            .all(|ch| !ch.is_control() && !ch.is_whitespace() && !matches!(ch, '\'' | '"' | '\\'))
}

impl Shape {
    /// The parameters checked: every amount and number of points positive and bounded, a
    /// multiplier above 1× and at most 10×, a category code without quotes or spaces.
    pub fn check(&self) -> Result<(), ShapeError> {
        match self {
            Shape::Threshold { min_amount, points } => {
                in_range("min_amount", *min_amount, AMOUNT_MAX, "a positive amount")?;
                in_range("points", *points, POINTS_MAX, "a positive number of points")
            }
            Shape::Multiplier { percent } => {
                if *percent <= 100 || *percent > PERCENT_MAX {
                    return Err(refuse("percent", "a multiplier above 1 and at most 10"));
                }
                Ok(())
            }
            Shape::CategoryBonus {
                category,
                per_amount,
                points,
            } => {
                if !category_ok(category.trim()) {
                    return Err(refuse(
                        "category",
                        "a category code without spaces or quotes",
                    ));
                }
                in_range("per_amount", *per_amount, AMOUNT_MAX, "a positive amount")?;
                in_range("points", *points, POINTS_MAX, "a positive number of points")
            }
        }
    }

    /// The rule's condition (none when the shape has none) and points formula, after
    /// [`Shape::check`]. The trigger is always `purchase`.
    pub fn expressions(&self) -> Result<(Option<String>, String), ShapeError> {
        self.check()?;
        Ok(match self {
            Shape::Threshold { min_amount, points } => (
                Some(format!("order.amount >= {min_amount}")),
                points.to_string(),
            ),
            Shape::Multiplier { percent: 200 } => (None, "base_points".into()),
            Shape::Multiplier { percent } => {
                (None, format!("base_points * {} / 100", percent - 100))
            }
            Shape::CategoryBonus {
                category,
                per_amount,
                points,
            } => {
                let c = category.trim();
                (
                    Some(format!("order.category_amount['{c}'] >= {per_amount}")),
                    format!("order.category_amount['{c}'] / {per_amount} * {points}"),
                )
            }
        })
    }

    /// The shape whose [`Shape::expressions`] are exactly `condition` and `points` (spaces
    /// around them aside), if any.
    pub fn recognise(condition: Option<&str>, points: &str) -> Option<Shape> {
        let condition = condition.map(str::trim).filter(|c| !c.is_empty());
        let points = points.trim();
        let int = |s: &str| s.parse::<i64>().ok();
        let shape = match condition {
            None if points == "base_points" => Shape::Multiplier { percent: 200 },
            None => {
                let extra = points
                    .strip_prefix("base_points * ")?
                    .strip_suffix(" / 100")?;
                Shape::Multiplier {
                    percent: int(extra)?.checked_add(100)?,
                }
            }
            Some(c) if c.starts_with("order.amount >= ") => Shape::Threshold {
                min_amount: int(c.strip_prefix("order.amount >= ")?)?,
                points: int(points)?,
            },
            Some(c) => {
                let rest = c.strip_prefix("order.category_amount['")?;
                let (category, per) = rest.split_once("'] >= ")?;
                let formula_rest = points
                    .strip_prefix("order.category_amount['")?
                    .strip_prefix(category)?
                    .strip_prefix("'] / ")?;
                let (per2, pts) = formula_rest.split_once(" * ")?;
                if per2 != per {
                    return None;
                }
                Shape::CategoryBonus {
                    category: category.to_string(),
                    per_amount: int(per)?,
                    points: int(pts)?,
                }
            }
        };
        // Only what the shape would write itself: checked, and written back the same.
        let (c, p) = shape.expressions().ok()?;
        (c.as_deref() == condition && p == points).then_some(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleDef;
    use crate::vars::Vars;
    use crate::{Counter, EventInput, RuleSet, Trigger, Value, evaluate};

    fn shapes() -> Vec<Shape> {
        vec![
            Shape::Threshold {
                min_amount: 20_000,
                points: 50,
            },
            Shape::Multiplier { percent: 200 },
            Shape::Multiplier { percent: 150 },
            Shape::Multiplier { percent: 300 },
            Shape::CategoryBonus {
                category: "coffee".into(),
                per_amount: 1_000,
                points: 5,
            },
            Shape::CategoryBonus {
                category: "咖啡".into(),
                per_amount: 500,
                points: 1,
            },
        ]
    }

    /// The points a rule of `shape` pays for one purchase, with the base points and the amount
    /// paid per category given.
    fn pays(shape: &Shape, amount: i64, base: i64, categories: &[(&str, i64)]) -> i64 {
        let (condition, points) = shape.expressions().unwrap();
        let def: RuleDef = serde_json::from_value(serde_json::json!({
            "name": "shape", "trigger": "purchase", "condition": condition, "points": points
        }))
        .unwrap();
        let tz = jiff::tz::TimeZone::UTC;
        let set = RuleSet::new([def.compile(1, 1, &tz).expect("a shape compiles")]);
        let mut vars = Vars::default();
        vars.int("order.amount", amount)
            .int("base_points", base)
            .set(
                "order.category_amount",
                Value::Map(
                    categories
                        .iter()
                        .map(|(c, a)| (c.to_string(), *a))
                        .collect(),
                ),
            );
        let ev = evaluate(
            &set,
            &EventInput {
                trigger: &Trigger::Purchase,
                now: 1_780_000_000_000,
                vars: &vars.0,
                tz: &tz,
                trigger_caps: &[],
            },
            &|_| Counter::default(),
        );
        ev.awards.iter().map(|a| a.points).sum()
    }

    #[test]
    fn every_shape_compiles_and_pays_what_it_says() {
        let threshold = &shapes()[0];
        assert_eq!(pays(threshold, 19_999, 199, &[]), 0);
        assert_eq!(pays(threshold, 20_000, 200, &[]), 50);
        assert_eq!(
            pays(&Shape::Multiplier { percent: 200 }, 5_000, 50, &[]),
            50
        );
        assert_eq!(
            pays(&Shape::Multiplier { percent: 150 }, 5_000, 51, &[]),
            25
        );
        assert_eq!(
            pays(&Shape::Multiplier { percent: 300 }, 5_000, 50, &[]),
            100
        );
        let coffee = &shapes()[4];
        assert_eq!(pays(coffee, 9_000, 90, &[("tea", 9_000)]), 0);
        assert_eq!(pays(coffee, 9_000, 90, &[("coffee", 999)]), 0);
        assert_eq!(
            pays(coffee, 9_000, 90, &[("coffee", 3_500), ("tea", 5_500)]),
            15
        );
        assert_eq!(pays(&shapes()[5], 900, 9, &[("咖啡", 900)]), 1);
    }

    #[test]
    fn a_shape_reads_back_from_what_it_writes_and_nothing_else() {
        for s in shapes() {
            let (c, p) = s.expressions().unwrap();
            assert_eq!(Shape::recognise(c.as_deref(), &p), Some(s.clone()), "{s:?}");
            assert_eq!(
                Shape::recognise(
                    c.as_deref().map(|c| format!("  {c} ")).as_deref(),
                    &format!(" {p}")
                ),
                Some(s)
            );
        }
        for (c, p) in [
            (None, "base_points * 2"),
            (None, "base_points * 0 / 100"),
            (None, "50"),
            (Some("order.amount >= 100 && member.tier == 'gold'"), "5"),
            (Some("order.amount >= 100"), "base_points"),
            (Some("order.amount > 100"), "5"),
            (
                Some("order.category_amount['a'] >= 100"),
                "order.category_amount['b'] / 100 * 5",
            ),
            (
                Some("order.category_amount['a'] >= 100"),
                "order.category_amount['a'] / 200 * 5",
            ),
        ] {
            assert_eq!(Shape::recognise(c, p), None, "{c:?} {p}");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let field = |s: Shape| s.expressions().unwrap_err().field;
        assert_eq!(
            field(Shape::Threshold {
                min_amount: 0,
                points: 5
            }),
            "min_amount"
        );
        assert_eq!(
            field(Shape::Threshold {
                min_amount: 100,
                points: -1
            }),
            "points"
        );
        assert_eq!(
            field(Shape::Threshold {
                min_amount: 100,
                points: POINTS_MAX + 1
            }),
            "points"
        );
        assert_eq!(field(Shape::Multiplier { percent: 100 }), "percent");
        assert_eq!(
            field(Shape::Multiplier {
                percent: PERCENT_MAX + 1
            }),
            "percent"
        );
        for bad in [
            "",
            "a b",
            "it's",
            "a\"b",
            "a\\b",
            &"x".repeat(CATEGORY_LEN_MAX + 1),
        ] {
            let s = Shape::CategoryBonus {
                category: bad.into(),
                per_amount: 100,
                points: 1,
            };
            assert_eq!(field(s), "category", "{bad:?}");
        }
        let s = Shape::CategoryBonus {
            category: "tea".into(),
            per_amount: 0,
            points: 1,
        };
        assert_eq!(field(s), "per_amount");
    }
}

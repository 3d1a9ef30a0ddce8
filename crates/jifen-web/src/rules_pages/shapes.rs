//! The rule form's pickers for common shapes (满额送, 倍数积分, 品类加赠): a few fields each and a
//! button that writes the trigger, condition and points formula into the form, which stays
//! unsaved until the operator saves it. Without script: the button posts the whole form back
//! and the page answers it filled in. The expressions come from `jifen_rules::shape`.

use jifen_rules::shape::{Shape, ShapeError};

use super::*;
use crate::forms::parse_money;

/// Minor units as yuan typed back into a field: `200`, `199.5` → `199.50`.
fn yuan(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

/// A multiplier in percent as typed: 200 → `2`, 150 → `1.5`.
fn times(percent: i64) -> String {
    let s = yuan(percent);
    s.strip_suffix('0')
        .filter(|t| t.contains('.'))
        .map(str::to_string)
        .unwrap_or(s)
}

impl RuleForm {
    /// The shape a picker's button names, read from that picker's fields; a field that does not
    /// read is named in the page's words.
    fn picked_shape(&self, st: &Staff) -> Result<Shape, (String, String)> {
        let money = |field: &str, v: &str| match parse_money(v) {
            Some(m) if m > 0 => Ok(m),
            _ => Err((
                field.to_string(),
                st.t(
                    "请填写金额（元），如 200 或 99.5",
                    "An amount in yuan, e.g. 200 or 99.5",
                )
                .to_string(),
            )),
        };
        let points = |field: &str, v: &str| {
            v.trim()
                .replace([',', '_'], "")
                .parse::<i64>()
                .map_err(|_| {
                    (
                        field.to_string(),
                        st.t("请填写整数积分，如 50", "A whole number of points, e.g. 50")
                            .to_string(),
                    )
                })
        };
        Ok(match self.apply_shape.as_str() {
            "threshold" => Shape::Threshold {
                min_amount: money("shape_min_amount", &self.shape_min_amount)?,
                points: points("shape_points", &self.shape_points)?,
            },
            "multiplier" => Shape::Multiplier {
                percent: parse_money(&self.shape_times)
                    .filter(|p| *p > 0)
                    .ok_or_else(|| {
                        (
                            "shape_times".to_string(),
                            st.t("倍数如 2 或 1.5", "A multiplier such as 2 or 1.5")
                                .to_string(),
                        )
                    })?,
            },
            _ => Shape::CategoryBonus {
                category: self.shape_category.trim().to_string(),
                per_amount: money("shape_per_amount", &self.shape_per_amount)?,
                points: points("shape_bonus_points", &self.shape_bonus_points)?,
            },
        })
    }

    /// Writes the picked shape into the trigger, condition and points formula; on an error the
    /// form is left as typed and the error names the picker's field.
    pub(super) fn apply_picked_shape(&mut self, st: &Staff) -> Result<(), (String, String)> {
        let shape = self.picked_shape(st)?;
        let (condition, points) = shape
            .expressions()
            .map_err(|e| shape_error(st, &shape, &e))?;
        self.trigger = "purchase".into();
        self.condition = condition.unwrap_or_default();
        self.points = points;
        self.shape_applied = true;
        Ok(())
    }

    /// The picker of the shape the rule is written as, filled in; none when it is written
    /// another way. Fields already typed are kept.
    fn recognised_shape(&self) -> Option<Shape> {
        if self.trigger != "purchase" {
            return None;
        }
        let condition = (!self.condition.trim().is_empty()).then_some(self.condition.as_str());
        Shape::recognise(condition, &self.points)
    }
}

/// A shape's refusal in the page's words, on the picker's field it concerns.
fn shape_error(st: &Staff, shape: &Shape, e: &ShapeError) -> (String, String) {
    let (field, message) = match (shape, e.field) {
        (Shape::Multiplier { .. }, _) => (
            "shape_times",
            st.t(
                "倍数须大于 1 且不超过 10",
                "The multiplier must be above 1 and at most 10",
            ),
        ),
        (_, "category") => (
            "shape_category",
            st.t(
                "请填写分类编码（不含空格和引号，最多 64 个字符）",
                "A category code, without spaces or quotes, at most 64 characters",
            ),
        ),
        (Shape::Threshold { .. }, "min_amount") => (
            "shape_min_amount",
            st.t("金额须大于 0", "The amount must be above zero"),
        ),
        (_, "per_amount") => (
            "shape_per_amount",
            st.t("金额须大于 0", "The amount must be above zero"),
        ),
        (Shape::Threshold { .. }, _) => (
            "shape_points",
            st.t(
                "积分须在 1 到 1,000,000 之间",
                "Points must be between 1 and 1,000,000",
            ),
        ),
        _ => (
            "shape_bonus_points",
            st.t(
                "积分须在 1 到 1,000,000 之间",
                "Points must be between 1 and 1,000,000",
            ),
        ),
    };
    (field.to_string(), message.to_string())
}

/// The pickers' fields as the form shows them.
pub(super) struct ShapeFields {
    pub(super) min_amount: String,
    pub(super) points: String,
    pub(super) times: String,
    pub(super) category: String,
    pub(super) per_amount: String,
    pub(super) bonus_points: String,
}

/// The pickers' fields, filled in from the rule when it is written as one of the shapes, and
/// whether the pickers show unfolded: they do when the rule is written as a shape or a picker
/// was just used.
pub(super) fn shape_fields(f: &RuleForm, error: Option<&(String, String)>) -> (ShapeFields, bool) {
    let mut f = f.clone();
    let recognised = f.recognised_shape();
    if let Some(shape) = &recognised {
        fill_fields(&mut f, shape);
    }
    let on_picker = error.is_some_and(|(field, _)| field.starts_with("shape_"));
    let open = recognised.is_some() || on_picker || f.shape_applied;
    let fields = ShapeFields {
        min_amount: f.shape_min_amount,
        points: f.shape_points,
        times: f.shape_times,
        category: f.shape_category,
        per_amount: f.shape_per_amount,
        bonus_points: f.shape_bonus_points,
    };
    (fields, open)
}

/// The picker's fields of `shape`, where the operator typed none.
fn fill_fields(f: &mut RuleForm, shape: &Shape) {
    let keep = |field: &mut String, v: String| {
        if field.trim().is_empty() {
            *field = v;
        }
    };
    match shape {
        Shape::Threshold { min_amount, points } => {
            keep(&mut f.shape_min_amount, yuan(*min_amount));
            keep(&mut f.shape_points, points.to_string());
        }
        Shape::Multiplier { percent } => keep(&mut f.shape_times, times(*percent)),
        Shape::CategoryBonus {
            category,
            per_amount,
            points,
        } => {
            keep(&mut f.shape_category, category.clone());
            keep(&mut f.shape_per_amount, yuan(*per_amount));
            keep(&mut f.shape_bonus_points, points.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_multipliers_type_back_as_they_read() {
        assert_eq!(yuan(20_000), "200");
        assert_eq!(yuan(9_950), "99.50");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(times(200), "2");
        assert_eq!(times(150), "1.5");
        assert_eq!(times(125), "1.25");
        for p in [150, 200, 125, 1_000] {
            assert_eq!(parse_money(&times(p)), Some(p));
        }
    }
}

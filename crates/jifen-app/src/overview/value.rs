//! What the points members hold are worth: the programme's value of points in money, set by the
//! owner in the console or through the API (audited), and the liability it gives.
//!
//! The value is an integer: minor units of the programme's currency (分 for CNY) that **100
//! points** are worth, so "100 积分 = 1 元" is 100 and half a fen per point is 50. The liability
//! is `outstanding × value ÷ 100` in minor units, computed exactly and rounded half away from
//! zero to a whole minor unit.

use jifen_ledger::Millis;
use jifen_store::Tx;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AppError, ProgramCtx};

/// The most a value may be: 100 points for 10,000 currency units (1 point = 100 yuan).
pub const POINT_VALUE_MAX: i64 = 1_000_000;

/// The value of points in money: minor units of the programme's currency per 100 points;
/// `null` when not set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PointValue {
    pub minor_per_100_points: Option<i64>,
}

/// The points members hold and, when the programme has valued points, their worth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Liability {
    /// Points members hold, pending ones included.
    pub outstanding: i64,
    /// ISO 4217 code of the programme's currency.
    pub currency: String,
    /// Minor units per 100 points; `null` when not set (then no value is shown).
    pub minor_per_100_points: Option<i64>,
    /// `outstanding × minor_per_100_points ÷ 100`, rounded half away from zero; `null` when the
    /// value is not set.
    pub value_minor: Option<i64>,
}

/// The worth of `points` at `minor_per_100` minor units per 100 points, rounded half away from
/// zero; `None` when it does not fit.
pub fn worth(points: i64, minor_per_100: i64) -> Option<i64> {
    let product = i128::from(points) * i128::from(minor_per_100);
    let (q, r) = (product / 100, product % 100);
    let rounded = if r.abs() >= 50 {
        q + product.signum()
    } else {
        q
    };
    i64::try_from(rounded).ok()
}

impl Liability {
    pub fn new(outstanding: i64, currency: &str, value: &PointValue) -> Liability {
        Liability {
            outstanding,
            currency: currency.to_string(),
            minor_per_100_points: value.minor_per_100_points,
            value_minor: value
                .minor_per_100_points
                .and_then(|v| worth(outstanding, v)),
        }
    }
}

/// The programme's value of points (not set until an owner sets it).
pub fn point_value(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<PointValue, AppError> {
    Ok(PointValue {
        minor_per_100_points: tx.point_value(ctx.program.id)?,
    })
}

/// Sets it in `actor`'s name, audited as `point_value.update` with before and after; `null`
/// clears it.
pub fn put_point_value(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    v: &PointValue,
) -> Result<PointValue, AppError> {
    if let Some(n) = v.minor_per_100_points
        && !(1..=POINT_VALUE_MAX).contains(&n)
    {
        return Err(AppError::invalid(
            "minor_per_100_points",
            format!("must be from 1 to {POINT_VALUE_MAX} minor units per 100 points, or null"),
        ));
    }
    let before = point_value(tx, ctx)?;
    tx.set_point_value(ctx.program.id, v.minor_per_100_points, now)?;
    let text = |v: &PointValue| serde_json::to_string(v).expect("value serializes");
    tx.audit(
        ctx.program.id,
        actor,
        "point_value.update",
        &format!("program:{}", ctx.program.id),
        Some(&text(&before)),
        Some(&text(v)),
        now,
    )?;
    Ok(v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worth_is_exact_and_rounded_half_away_from_zero() {
        assert_eq!(worth(12_345, 100), Some(12_345));
        assert_eq!(worth(12_345, 1), Some(123));
        assert_eq!(worth(150, 1), Some(2));
        assert_eq!(worth(149, 1), Some(1));
        assert_eq!(worth(-150, 1), Some(-2));
        assert_eq!(worth(0, 50), Some(0));
        assert_eq!(worth(i64::MAX, POINT_VALUE_MAX), None);
        let l = Liability::new(1_000, "CNY", &PointValue::default());
        assert_eq!(l.value_minor, None);
        let l = Liability::new(
            1_000,
            "CNY",
            &PointValue {
                minor_per_100_points: Some(100),
            },
        );
        assert_eq!(l.value_minor, Some(1_000));
    }
}

//! `Points`: an integer amount of points with checked arithmetic.

use serde::{Deserialize, Serialize};

use crate::LedgerError;

/// The largest amount one operation may move. It keeps every sum of a few hundred thousand
/// operations far inside `i64`, so counters can never overflow in practice, and it turns a
/// fat-fingered amount into a clear validation error instead of an overflow later.
pub const POINTS_PER_OPERATION_MAX: i64 = 1_000_000_000_000;

/// A positive or zero number of points. Points are whole numbers everywhere in Jifen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Points(i64);

impl Points {
    pub const ZERO: Points = Points(0);

    /// Parses an amount given by a caller: it must be positive and at most
    /// [`POINTS_PER_OPERATION_MAX`].
    pub fn positive(value: i64) -> Result<Points, LedgerError> {
        if value <= 0 {
            return Err(LedgerError::NonPositiveAmount { amount: value });
        }
        if value > POINTS_PER_OPERATION_MAX {
            return Err(LedgerError::AmountTooLarge {
                amount: value,
                max: POINTS_PER_OPERATION_MAX,
            });
        }
        Ok(Points(value))
    }

    /// Wraps a value that the ledger itself computed and knows to be in range.
    pub fn new_unchecked(value: i64) -> Points {
        assert!(value >= 0, "points must never be negative, got {value}");
        Points(value)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Points) -> Result<Points, LedgerError> {
        self.0
            .checked_add(other.0)
            .map(Points)
            .ok_or(LedgerError::Overflow)
    }

    /// Subtracts, failing with `InsufficientPoints` when `other` exceeds `self`.
    pub fn checked_sub(self, other: Points) -> Result<Points, LedgerError> {
        if other.0 > self.0 {
            return Err(LedgerError::InsufficientPoints {
                available: self.0,
                requested: other.0,
            });
        }
        Ok(Points(self.0 - other.0))
    }

    pub fn min(self, other: Points) -> Points {
        Points(self.0.min(other.0))
    }
}

impl std::fmt::Display for Points {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_rejects_zero_negative_and_huge_amounts() {
        assert!(matches!(
            Points::positive(0),
            Err(LedgerError::NonPositiveAmount { amount: 0 })
        ));
        assert!(matches!(
            Points::positive(-5),
            Err(LedgerError::NonPositiveAmount { amount: -5 })
        ));
        assert!(matches!(
            Points::positive(i64::MAX),
            Err(LedgerError::AmountTooLarge { .. })
        ));
        assert_eq!(Points::positive(7).unwrap().get(), 7);
    }

    #[test]
    fn subtracting_more_than_held_reports_both_amounts() {
        let err = Points::new_unchecked(5)
            .checked_sub(Points::new_unchecked(8))
            .unwrap_err();
        assert_eq!(
            err,
            LedgerError::InsufficientPoints {
                available: 5,
                requested: 8
            }
        );
    }

    #[test]
    fn adding_past_i64_is_an_overflow_error() {
        let big = Points::new_unchecked(i64::MAX);
        assert_eq!(
            big.checked_add(Points::new_unchecked(1)),
            Err(LedgerError::Overflow)
        );
    }
}

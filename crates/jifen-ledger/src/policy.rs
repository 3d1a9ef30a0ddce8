//! A programme's settings that the ledger applies: validity, pending days, earn rate, debt policy.

use jiff::{Span, Timestamp, ToSpan, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{LedgerError, Millis};

/// How long earned points stay spendable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Validity {
    /// Points never expire.
    Never,
    /// Expire this many days after they were earned.
    Days { days: u32 },
    /// Expire this many calendar months after they were earned (in the programme's time zone).
    Months { months: u32 },
    /// Expire at the end of the calendar year `years` after the year they were earned in:
    /// `years = 1` is the common "end of the following year".
    EndOfYear { years: u32 },
}

/// The longest validity a programme may set; it keeps every computed date inside jiff's range.
pub const VALIDITY_YEARS_MAX: u32 = 100;

impl Validity {
    pub fn validate(&self) -> Result<(), LedgerError> {
        let too_long = match *self {
            Validity::Never => false,
            Validity::Days { days } => days == 0 || days > VALIDITY_YEARS_MAX * 366,
            Validity::Months { months } => months == 0 || months > VALIDITY_YEARS_MAX * 12,
            Validity::EndOfYear { years } => years > VALIDITY_YEARS_MAX,
        };
        if too_long {
            return Err(LedgerError::InvalidPolicy(format!(
                "validity must be between 1 day and {VALIDITY_YEARS_MAX} years"
            )));
        }
        Ok(())
    }

    /// The instant points earned at `earned_at` expire, or `None` if they never do.
    pub fn expires_at(&self, earned_at: Millis, tz: &TimeZone) -> Option<Millis> {
        let ts = Timestamp::from_millisecond(earned_at).ok()?;
        let zoned = ts.to_zoned(tz.clone());
        let at = match *self {
            Validity::Never => return None,
            Validity::Days { days } => zoned.checked_add((days as i64).days()).ok()?,
            Validity::Months { months } => {
                zoned.checked_add(Span::new().months(months as i64)).ok()?
            }
            Validity::EndOfYear { years } => {
                let next_year = zoned.year() as i64 + years as i64 + 1;
                let start = jiff::civil::date(i16::try_from(next_year).ok()?, 1, 1)
                    .at(0, 0, 0, 0)
                    .to_zoned(tz.clone())
                    .ok()?;
                // The last millisecond of the year: points are spendable through 31 December.
                start.checked_sub(1.millisecond()).ok()?
            }
        };
        Some(at.timestamp().as_millisecond())
    }
}

/// What happens when a refund takes back points the member has already spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortfallPolicy {
    /// The shortfall is carried on the member's debt account and repaid from future credits.
    Debt,
    /// The programme absorbs the shortfall: it is recorded as a write-off, never silently dropped.
    WriteOff,
}

/// Settings the ledger needs to decide a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerPolicy {
    pub validity: Validity,
    /// Days purchase points stay pending (the return window) before they can be spent.
    pub pending_days: u32,
    /// Points per 100 minor units of paid amount (per yuan when the currency is CNY).
    pub points_per_unit: i64,
    /// Growth value per 100 minor units of paid amount.
    pub growth_per_unit: i64,
    pub shortfall: ShortfallPolicy,
    /// When clawing back beyond the order's own lots, take the member's pending points before
    /// their available points.
    pub clawback_pending_first: bool,
}

impl Default for LedgerPolicy {
    fn default() -> Self {
        LedgerPolicy {
            validity: Validity::EndOfYear { years: 1 },
            pending_days: 7,
            points_per_unit: 1,
            growth_per_unit: 1,
            shortfall: ShortfallPolicy::Debt,
            clawback_pending_first: false,
        }
    }
}

/// The longest return window a programme may set.
pub const PENDING_DAYS_MAX: u32 = 365;
/// The highest earn rate per currency unit; keeps `amount * rate` far from overflow.
pub const POINTS_PER_UNIT_MAX: i64 = 10_000;

impl LedgerPolicy {
    pub fn validate(&self) -> Result<(), LedgerError> {
        self.validity.validate()?;
        if self.pending_days > PENDING_DAYS_MAX {
            return Err(LedgerError::InvalidPolicy(format!(
                "pending_days must be at most {PENDING_DAYS_MAX}"
            )));
        }
        for (name, v) in [
            ("points_per_unit", self.points_per_unit),
            ("growth_per_unit", self.growth_per_unit),
        ] {
            if !(0..=POINTS_PER_UNIT_MAX).contains(&v) {
                return Err(LedgerError::InvalidPolicy(format!(
                    "{name} must be between 0 and {POINTS_PER_UNIT_MAX}"
                )));
            }
        }
        Ok(())
    }

    /// When points earned at `earned_at` become spendable.
    pub fn available_at(&self, earned_at: Millis) -> Millis {
        earned_at.saturating_add(self.pending_days as i64 * 86_400_000)
    }
}

/// Points earned on a paid amount at `per_unit` points per 100 minor units, rounded down.
pub fn base_rate_points(paid_minor: i64, per_unit: i64) -> i64 {
    ((paid_minor as i128 * per_unit as i128) / 100).clamp(0, i64::MAX as i128) as i64
}

/// How many of an order's earned points a refund takes back.
///
/// The refunds so far (`refunded_before_minor`, then this one) are cumulative: the total reversed
/// after this refund is `earned * refunded_total / paid`, rounded half up, so two partial refunds
/// that add up to the whole order take back exactly what it earned, never more.
pub fn proportional_reversal(
    earned: i64,
    paid_minor: i64,
    refunded_before_minor: i64,
    refund_minor: i64,
    reversed_before: i64,
) -> i64 {
    if paid_minor <= 0 || earned <= 0 {
        return 0;
    }
    let refunded_total = (refunded_before_minor + refund_minor).min(paid_minor) as i128;
    let target =
        (2 * earned as i128 * refunded_total + paid_minor as i128) / (2 * paid_minor as i128);
    let target = (target as i64).min(earned);
    (target - reversed_before).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    fn ms(s: &str) -> Millis {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn end_of_following_year_is_the_last_millisecond_of_next_year_in_the_programme_zone() {
        let at =
            Validity::EndOfYear { years: 1 }.expires_at(ms("2025-03-10T04:00:00Z"), &shanghai());
        assert_eq!(at, Some(ms("2026-12-31T15:59:59.999Z")));
    }

    #[test]
    fn months_validity_clamps_to_month_end() {
        let at =
            Validity::Months { months: 1 }.expires_at(ms("2025-01-31T00:00:00Z"), &TimeZone::UTC);
        assert_eq!(at, Some(ms("2025-02-28T00:00:00Z")));
    }

    #[test]
    fn never_expiring_points_have_no_date() {
        assert_eq!(Validity::Never.expires_at(0, &TimeZone::UTC), None);
    }

    #[test]
    fn two_partial_refunds_reverse_exactly_what_was_earned() {
        let first = proportional_reversal(333, 10_000, 0, 5_000, 0);
        let second = proportional_reversal(333, 10_000, 5_000, 5_000, first);
        assert_eq!(first, 167);
        assert_eq!(first + second, 333);
    }

    #[test]
    fn refunds_beyond_the_paid_amount_never_take_more_than_earned() {
        assert_eq!(proportional_reversal(100, 1_000, 900, 500, 90), 10);
        assert_eq!(proportional_reversal(100, 1_000, 1_000, 1, 100), 0);
    }

    #[test]
    fn base_rate_rounds_down() {
        assert_eq!(base_rate_points(12_345, 1), 123);
        assert_eq!(base_rate_points(99, 1), 0);
        assert_eq!(base_rate_points(12_345, 3), 370);
    }

    #[test]
    fn policies_outside_their_limits_are_refused() {
        let p = LedgerPolicy {
            pending_days: 400,
            ..LedgerPolicy::default()
        };
        assert!(p.validate().is_err());
        let p = LedgerPolicy {
            validity: Validity::Days { days: 0 },
            ..LedgerPolicy::default()
        };
        assert!(p.validate().is_err());
        assert!(LedgerPolicy::default().validate().is_ok());
    }
}

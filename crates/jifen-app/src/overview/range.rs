//! The days the overview covers: the last N days or the days from one date to another, whole
//! days in the programme's time zone, at most [`RANGE_DAYS_MAX`]. The console and the API take
//! the same question ([`RangeQuery`]) and say what is wrong with it in the same words
//! ([`RangeProblem`]), next to the field it is about.

use jifen_ledger::Millis;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest range the overview reads, in days.
pub const RANGE_DAYS_MAX: i64 = 366;
/// The range when none is asked for: the last 14 days, today included.
pub const RANGE_DAYS_DEFAULT: i64 = 14;
/// The ranges the console offers with one click.
pub const RANGE_PRESETS: [i64; 4] = [7, 14, 30, 90];

/// Which days to read: `days` ending today, or `from` to `to` (both dates included,
/// `YYYY-MM-DD` in the programme's zone). Neither: the last [`RANGE_DAYS_DEFAULT`] days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// Whole days of the programme's calendar, `first` to `last`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DayRange {
    pub first: Date,
    pub last: Date,
}

/// What is wrong with a [`RangeQuery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeProblem {
    /// `days` is not between 1 and [`RANGE_DAYS_MAX`].
    Days,
    /// `days` together with dates.
    DaysWithDates,
    /// The date of the field named is not `YYYY-MM-DD`.
    NotADate(&'static str),
    /// One date without the other.
    Missing(&'static str),
    /// `from` is after `to`.
    Reversed,
    /// More than [`RANGE_DAYS_MAX`] days.
    TooLong,
}

impl RangeProblem {
    /// The field the problem is about: `days`, `from` or `to`.
    pub fn field(&self) -> &'static str {
        match self {
            RangeProblem::Days | RangeProblem::DaysWithDates => "days",
            RangeProblem::NotADate(f) | RangeProblem::Missing(f) => f,
            RangeProblem::Reversed => "to",
            RangeProblem::TooLong => "from",
        }
    }

    /// What is wrong, in Chinese or English.
    pub fn text(&self, en: bool) -> String {
        let max = RANGE_DAYS_MAX;
        match (self, en) {
            (RangeProblem::Days, false) => format!("天数应为 1 到 {max} 之间的整数"),
            (RangeProblem::Days, true) => format!("days must be a whole number from 1 to {max}"),
            (RangeProblem::DaysWithDates, false) => "请选天数或起止日期，不要同时填写".into(),
            (RangeProblem::DaysWithDates, true) => {
                "give either days or from and to dates, not both".into()
            }
            (RangeProblem::NotADate(_), false) => {
                "日期格式不对，应为 YYYY-MM-DD，例如 2026-01-31".into()
            }
            (RangeProblem::NotADate(_), true) => {
                "is not a date; use YYYY-MM-DD, for example 2026-01-31".into()
            }
            (RangeProblem::Missing(_), false) => "请同时填写开始和结束日期".into(),
            (RangeProblem::Missing(_), true) => "give both the from and the to date".into(),
            (RangeProblem::Reversed, false) => "结束日期早于开始日期".into(),
            (RangeProblem::Reversed, true) => "the to date is before the from date".into(),
            (RangeProblem::TooLong, false) => format!("时间范围最长 {max} 天，请缩短"),
            (RangeProblem::TooLong, true) => {
                format!("the range is longer than {max} days; choose a shorter one")
            }
        }
    }
}

/// A `YYYY-MM-DD` date, exactly so shaped.
pub fn parse_date(v: &str) -> Option<Date> {
    let b = v.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped.then(|| v.parse::<Date>().ok()).flatten()
}

impl DayRange {
    /// The range `q` asks for, on the programme's calendar at `now`.
    pub fn resolve(q: &RangeQuery, tz: &TimeZone, now: Millis) -> Result<DayRange, RangeProblem> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (from, to) = (text(&q.from), text(&q.to));
        if from.is_none() && to.is_none() {
            let days = q.days.unwrap_or(RANGE_DAYS_DEFAULT);
            if !(1..=RANGE_DAYS_MAX).contains(&days) {
                return Err(RangeProblem::Days);
            }
            let last = crate::member_centre::local_date(now, tz);
            let first = last
                .checked_sub(jiff::Span::new().days(days - 1))
                .map_err(|_| RangeProblem::Days)?;
            return Ok(DayRange { first, last });
        }
        if q.days.is_some() {
            return Err(RangeProblem::DaysWithDates);
        }
        let date = |v: Option<String>, field: &'static str| match v {
            None => Err(RangeProblem::Missing(field)),
            Some(v) => parse_date(&v).ok_or(RangeProblem::NotADate(field)),
        };
        let (first, last) = (date(from, "from")?, date(to, "to")?);
        if first > last {
            return Err(RangeProblem::Reversed);
        }
        let r = DayRange { first, last };
        if r.days() as i64 > RANGE_DAYS_MAX {
            return Err(RangeProblem::TooLong);
        }
        Ok(r)
    }

    /// How many days, both ends included.
    pub fn days(&self) -> usize {
        let span = self
            .last
            .since(self.first)
            .map(|s| s.get_days())
            .unwrap_or(0);
        usize::try_from(span).unwrap_or(0) + 1
    }

    /// The first instant of the first day.
    pub fn start(&self, tz: &TimeZone) -> Millis {
        crate::earn::start_of(self.first, tz)
    }

    /// The first instant after the last day.
    pub fn end(&self, tz: &TimeZone) -> Millis {
        match self.last.tomorrow() {
            Ok(d) => crate::earn::start_of(d, tz),
            Err(_) => Millis::MAX,
        }
    }

    /// Each day as `YYYY-MM-DD`, oldest first.
    pub fn dates(&self) -> Vec<String> {
        self.first
            .series(jiff::Span::new().days(1))
            .take(self.days())
            .map(|d| d.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(days: Option<i64>, from: Option<&str>, to: Option<&str>) -> RangeQuery {
        RangeQuery {
            days,
            from: from.map(str::to_string),
            to: to.map(str::to_string),
        }
    }

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    /// 2026-03-10 01:00 in Shanghai (still 03-09 in UTC).
    const NOW: Millis = 1_773_075_600_000;

    #[test]
    fn the_last_days_end_today_in_the_programmes_zone() {
        let r = DayRange::resolve(&q(None, None, None), &shanghai(), NOW).unwrap();
        assert_eq!(r.last.to_string(), "2026-03-10");
        assert_eq!(r.days(), 14);
        assert_eq!(r.first.to_string(), "2026-02-25");
        let r = DayRange::resolve(&q(Some(7), None, None), &shanghai(), NOW).unwrap();
        assert_eq!(r.dates().len(), 7);
        assert_eq!(r.dates()[6], "2026-03-10");
        // Midnight in Shanghai is 16:00 UTC the day before.
        assert_eq!(r.start(&shanghai()) % 86_400_000, 16 * 3_600_000);
        assert_eq!(r.end(&shanghai()) - r.start(&shanghai()), 7 * 86_400_000);
    }

    #[test]
    fn dates_are_both_included_and_bad_ones_name_their_field() {
        let r = DayRange::resolve(
            &q(None, Some("2025-03-01"), Some("2025-03-31")),
            &shanghai(),
            NOW,
        )
        .unwrap();
        assert_eq!(r.days(), 31);
        let one = DayRange::resolve(
            &q(None, Some(" 2025-03-01 "), Some("2025-03-01")),
            &shanghai(),
            NOW,
        )
        .unwrap();
        assert_eq!(one.days(), 1);
        let bad =
            |days, from, to| DayRange::resolve(&q(days, from, to), &shanghai(), NOW).unwrap_err();
        assert_eq!(bad(Some(0), None, None), RangeProblem::Days);
        assert_eq!(bad(Some(367), None, None), RangeProblem::Days);
        assert_eq!(
            bad(None, Some("2025-02-30"), Some("2025-03-01")),
            RangeProblem::NotADate("from")
        );
        assert_eq!(
            bad(None, Some("2025-03-01"), Some("3/4/2025")).field(),
            "to"
        );
        assert_eq!(
            bad(None, Some("2025-03-01"), None),
            RangeProblem::Missing("to")
        );
        assert_eq!(
            bad(None, Some("2025-03-02"), Some("2025-03-01")),
            RangeProblem::Reversed
        );
        assert_eq!(
            bad(None, Some("2024-01-01"), Some("2025-01-01")),
            RangeProblem::TooLong
        );
        // 366 days (a leap year) are fine.
        assert!(
            DayRange::resolve(
                &q(None, Some("2024-01-01"), Some("2024-12-31")),
                &shanghai(),
                NOW
            )
            .is_ok()
        );
        assert_eq!(
            bad(Some(7), Some("2025-03-01"), Some("2025-03-02")),
            RangeProblem::DaysWithDates
        );
        for p in [
            RangeProblem::TooLong,
            RangeProblem::Reversed,
            RangeProblem::Days,
        ] {
            assert!(!p.text(false).is_empty() && p.text(true).is_ascii());
        }
    }
}

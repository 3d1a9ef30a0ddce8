//! Daily sign-in (签到) streaks and the programme's earning settings.
//!
//! A streak is computed from the set of days a member signed in, never stored as a running
//! counter: a make-up sign-in (补签) that fills a missed day then lengthens the streak exactly as
//! if the member had signed in on time, and nothing can drift.

use std::collections::BTreeSet;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::eval::TriggerCap;
use crate::rule::{POINTS_MAX, Period, Trigger};

/// When a streak starts again from day 1.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StreakReset {
    /// Only when a day is missed.
    #[default]
    MissedDay,
    /// Every Monday, and when a day is missed.
    Weekly,
    /// On the first of every month, and when a day is missed.
    Monthly,
}

/// Sign-in streaks and make-up sign-ins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInSettings {
    #[serde(default)]
    pub reset: StreakReset,
    /// Whether members may sign in for a missed day afterwards.
    #[serde(default = "yes")]
    pub makeup_allowed: bool,
    /// Points a make-up sign-in costs (0 for free).
    #[serde(default)]
    pub makeup_cost_points: i64,
    /// How many days back a make-up sign-in may reach.
    #[serde(default = "seven")]
    pub makeup_days_max: u32,
}

fn yes() -> bool {
    true
}
fn seven() -> u32 {
    7
}

impl Default for SignInSettings {
    fn default() -> Self {
        SignInSettings {
            reset: StreakReset::MissedDay,
            makeup_allowed: true,
            makeup_cost_points: 0,
            makeup_days_max: 7,
        }
    }
}

/// The longest streak looked at: a streak longer than this counts as this long, which keeps a
/// sign-in's read bounded. Rules reward day 7, 30 or 100, not day 1000.
pub const STREAK_DAYS_MAX: i64 = 400;
/// How far back a make-up sign-in may reach at most.
pub const MAKEUP_DAYS_MAX: u32 = 31;

/// The streak on `day`: consecutive signed days ending at `day`, within the reset period.
pub fn streak_on(days: &BTreeSet<Date>, day: Date, reset: StreakReset) -> i64 {
    let mut n = 0;
    let mut d = day;
    while days.contains(&d) && n < STREAK_DAYS_MAX {
        n += 1;
        let starts_period = match reset {
            StreakReset::MissedDay => false,
            StreakReset::Weekly => d.weekday() == jiff::civil::Weekday::Monday,
            StreakReset::Monthly => d.day() == 1,
        };
        if starts_period {
            break;
        }
        match d.checked_sub(1.day()) {
            Ok(prev) => d = prev,
            Err(_) => break,
        }
    }
    n
}

/// Programme-wide earning settings: sign-in behaviour, per-event-type caps and risk limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EarnSettingsView")]
pub struct EarnSettings {
    #[serde(default)]
    pub sign_in: SignInSettings,
    /// Per member per event type caps across all rules of that type (points awards only).
    #[serde(default)]
    pub trigger_caps: Vec<TriggerCap>,
    #[serde(default)]
    pub risk: RiskSettings,
    /// When birthday rules pay: on the day, or on the first day of the birthday month.
    #[serde(default)]
    pub birthday_on: BirthdayOn,
    /// Limits on points members give each other (积分转赠).
    #[serde(default)]
    pub transfers: TransferLimits,
}

/// Limits on transfers between members, per calendar day or month in the programme's zone.
/// Each is off when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferLimits {
    /// Points one member may give in a day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_points_max: Option<i64>,
    /// Points one member may give in a month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_points_max: Option<i64>,
    /// Transfers one member may make in a day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_count_max: Option<i64>,
    /// Points one member may receive in a day (many senders gathering on one account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_daily_points_max: Option<i64>,
}

/// Whether birthday rules pay on the day or in the month.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BirthdayOn {
    #[default]
    Day,
    Month,
}

/// What a behaviour event is traced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskKey {
    Device,
    Ip,
}

impl RiskKey {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskKey::Device => "device",
            RiskKey::Ip => "ip",
        }
    }
}

/// At most `max_events` behaviour events from one device or address per `window_minutes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VelocityLimit {
    pub by: RiskKey,
    pub window_minutes: u32,
    pub max_events: u32,
}

/// Anti-fraud (防刷) limits. An event that breaks one is not refused: its awards are held as
/// pending with the reason, for staff to release or reject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskSettings {
    #[serde(default)]
    pub velocity: Vec<VelocityLimit>,
    /// Sign-ins and referrals from a device used by more members than this are held.
    #[serde(default)]
    pub device_members_max: Option<u32>,
    /// Referrals of a new member whose phone number more members than this share are held.
    #[serde(default)]
    pub phone_members_max: Option<u32>,
}

/// What the store saw of one device or address, for [`RiskSettings::assess`].
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub key: RiskKey,
    /// Events from it within the longest velocity window of its kind, this one excluded.
    pub recent: i64,
    /// Members who used it, this member included.
    pub members: i64,
}

/// The longest window a velocity limit may have (a week).
pub const VELOCITY_WINDOW_MINUTES_MAX: u32 = 7 * 24 * 60;

impl RiskSettings {
    /// The longest velocity window of a kind, in milliseconds (0 when it has none).
    pub fn window_ms(&self, key: RiskKey) -> i64 {
        self.velocity
            .iter()
            .filter(|v| v.by == key)
            .map(|v| v.window_minutes as i64 * 60_000)
            .max()
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.velocity.is_empty()
            && self.device_members_max.is_none()
            && self.phone_members_max.is_none()
    }

    /// Why an event should be held, if it should. `counts_recent` answers, for a kind and a
    /// window, how many events came from it within the window (this one excluded).
    pub fn assess(
        &self,
        trigger: &Trigger,
        seen: &[Seen],
        counts_recent: &mut dyn FnMut(RiskKey, i64) -> i64,
    ) -> Option<String> {
        let sharing = matches!(
            trigger,
            Trigger::SignIn | Trigger::Referral | Trigger::SignUp
        );
        self.assess_traces(sharing, seen, counts_recent)
    }

    /// The velocity limits, and with `device_sharing` the limit on members per device.
    pub fn assess_traces(
        &self,
        device_sharing: bool,
        seen: &[Seen],
        counts_recent: &mut dyn FnMut(RiskKey, i64) -> i64,
    ) -> Option<String> {
        for s in seen {
            for v in self.velocity.iter().filter(|v| v.by == s.key) {
                let n = counts_recent(s.key, v.window_minutes as i64 * 60_000) + 1;
                if n > v.max_events as i64 {
                    return Some(format!(
                        "velocity: {n} events from one {} within {} minutes (limit {})",
                        s.key.as_str(),
                        v.window_minutes,
                        v.max_events
                    ));
                }
            }
            if s.key == RiskKey::Device
                && device_sharing
                && let Some(max) = self.device_members_max
                && s.members > max as i64
            {
                return Some(format!(
                    "device shared by {} members (limit {max})",
                    s.members
                ));
            }
        }
        None
    }
}

impl EarnSettings {
    pub fn validate(&self) -> Result<(), crate::RuleError> {
        let bad = |field: &str, m: &str| {
            let zh = match m {
                "must be between 0 and 10^12" => "须在 0 到 10^12 之间",
                "must be between 1 and 31" => "须在 1 到 31 之间",
                "at most 10 limits" => "最多 10 条限制",
                "window_minutes must be 1 to 10080 and max_events at least 1" => {
                    "时间窗须为 1 到 10080 分钟，次数至少 1"
                }
                "must be between 1 and 10^12" => "须在 1 到 10^12 之间",
                "must be at least 1" => "至少为 1",
                "at most 50" => "最多 50 条",
                "needs max_points, max_count or both" => "须填写最多积分、最多次数或两者",
                "limits must be between 1 and 10^12" => "上限须在 1 到 10^12 之间",
                "a lifetime cap needs a limit" => "终身上限须填写限额",
                _ => "无法识别的触发事件",
            };
            crate::RuleError {
                field: field.into(),
                message: m.into(),
                message_zh: zh.into(),
            }
        };
        if !(0..=POINTS_MAX).contains(&self.sign_in.makeup_cost_points) {
            return Err(bad(
                "sign_in.makeup_cost_points",
                "must be between 0 and 10^12",
            ));
        }
        if !(1..=MAKEUP_DAYS_MAX).contains(&self.sign_in.makeup_days_max) {
            return Err(bad("sign_in.makeup_days_max", "must be between 1 and 31"));
        }
        if self.risk.velocity.len() > 10 {
            return Err(bad("risk.velocity", "at most 10 limits"));
        }
        for (i, v) in self.risk.velocity.iter().enumerate() {
            if !(1..=VELOCITY_WINDOW_MINUTES_MAX).contains(&v.window_minutes) || v.max_events == 0 {
                return Err(bad(
                    &format!("risk.velocity[{i}]"),
                    "window_minutes must be 1 to 10080 and max_events at least 1",
                ));
            }
        }
        for (f, v) in [
            (
                "transfers.daily_points_max",
                self.transfers.daily_points_max,
            ),
            (
                "transfers.monthly_points_max",
                self.transfers.monthly_points_max,
            ),
            ("transfers.daily_count_max", self.transfers.daily_count_max),
            (
                "transfers.received_daily_points_max",
                self.transfers.received_daily_points_max,
            ),
        ] {
            if v.is_some_and(|v| !(1..=POINTS_MAX).contains(&v)) {
                return Err(bad(f, "must be between 1 and 10^12"));
            }
        }
        for (f, v) in [
            ("risk.device_members_max", self.risk.device_members_max),
            ("risk.phone_members_max", self.risk.phone_members_max),
        ] {
            if v == Some(0) {
                return Err(bad(f, "must be at least 1"));
            }
        }
        if self.trigger_caps.len() > 50 {
            return Err(bad("trigger_caps", "at most 50"));
        }
        for (i, c) in self.trigger_caps.iter().enumerate() {
            let f = format!("trigger_caps[{i}]");
            Trigger::parse(&c.trigger).map_err(|m| bad(&f, &m))?;
            if c.max_points.is_none() && c.max_count.is_none() {
                return Err(bad(&f, "needs max_points, max_count or both"));
            }
            if [c.max_points, c.max_count]
                .into_iter()
                .flatten()
                .any(|v| !(1..=POINTS_MAX).contains(&v))
            {
                return Err(bad(&f, "limits must be between 1 and 10^12"));
            }
            if c.period == Period::Lifetime && c.max_count.is_none() && c.max_points.is_none() {
                return Err(bad(&f, "a lifetime cap needs a limit"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn set(days: &[(i16, i8, i8)]) -> BTreeSet<Date> {
        days.iter().map(|(y, m, d)| date(*y, *m, *d)).collect()
    }

    #[test]
    fn a_missed_day_restarts_the_streak() {
        let s = set(&[(2026, 12, 1), (2026, 12, 2), (2026, 12, 4), (2026, 12, 5)]);
        assert_eq!(streak_on(&s, date(2026, 12, 2), StreakReset::MissedDay), 2);
        assert_eq!(streak_on(&s, date(2026, 12, 5), StreakReset::MissedDay), 2);
        assert_eq!(streak_on(&s, date(2026, 12, 3), StreakReset::MissedDay), 0);
    }

    #[test]
    fn weekly_and_monthly_resets_cut_at_monday_and_the_first() {
        // 2026-11-28 is a Saturday; 2026-11-30 a Monday; 2026-12-01 a Tuesday.
        let s = set(&[
            (2026, 11, 28),
            (2026, 11, 29),
            (2026, 11, 30),
            (2026, 12, 1),
            (2026, 12, 2),
        ]);
        assert_eq!(streak_on(&s, date(2026, 12, 2), StreakReset::MissedDay), 5);
        assert_eq!(streak_on(&s, date(2026, 12, 2), StreakReset::Weekly), 3);
        assert_eq!(streak_on(&s, date(2026, 12, 2), StreakReset::Monthly), 2);
        assert_eq!(streak_on(&s, date(2026, 11, 30), StreakReset::Monthly), 3);
    }

    #[test]
    fn streaks_run_across_leap_day_and_year_end() {
        let s = set(&[(2028, 2, 28), (2028, 2, 29), (2028, 3, 1)]);
        assert_eq!(streak_on(&s, date(2028, 3, 1), StreakReset::MissedDay), 3);
        let y = set(&[(2026, 12, 31), (2027, 1, 1)]);
        assert_eq!(streak_on(&y, date(2027, 1, 1), StreakReset::MissedDay), 2);
        assert_eq!(streak_on(&y, date(2027, 1, 1), StreakReset::Monthly), 1);
    }
}

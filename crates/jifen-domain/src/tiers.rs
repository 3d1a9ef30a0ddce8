//! Tier ladders (会员等级): ordered tiers with entry thresholds on one metric over a window, and
//! what a member needs to reach the next tier, in Chinese and English.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::thousands;

/// Tiers one ladder may have.
pub const TIERS_MAX: usize = 12;
/// The longest rolling window, in months.
pub const WINDOW_MONTHS_MAX: u32 = 60;

/// What qualifies a member for a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Growth value (成长值) earned in the window, net of refunds.
    Growth,
    /// Paid amount in the window net of refunds, in minor units.
    Spend,
    /// Purchases in the window not fully refunded.
    Orders,
}

impl Metric {
    /// The metric's code, as the ladder's JSON names it.
    pub fn code(self) -> &'static str {
        match self {
            Metric::Growth => "growth",
            Metric::Spend => "spend",
            Metric::Orders => "orders",
        }
    }
}

/// Over which time the metric counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schemars(rename = "TierWindow")]
pub enum Window {
    /// The last N calendar months up to now (in the programme's time zone).
    RollingMonths { months: u32 },
    /// The calendar year so far.
    CalendarYear,
}

/// One tier of a ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LadderTier")]
pub struct Tier {
    /// A short code rules use (`member.tier`): `silver`, `gold`...
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The metric value from which a member qualifies; the first tier's is 0.
    pub threshold: i64,
    /// What members at this tier get.
    #[serde(default)]
    pub benefits: Benefits,
}

/// A tier's benefits (会员权益), each with an effect somewhere in the programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TierBenefits")]
pub struct Benefits {
    /// Base purchase points are multiplied by this percentage (150 = 1.5×); rules read it as
    /// `member.tier_multiplier`.
    #[serde(default = "hundred")]
    pub earn_multiplier_pct: u32,
    /// Days newly earned points stay valid, instead of the programme's validity (rule awards with
    /// a validity of their own keep theirs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_validity_days: Option<u32>,
    /// Paid by the birthday job, once a year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday_gift: Option<Gift>,
    /// Paid once when a member first reaches this tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_up_gift: Option<Gift>,
    /// Coupons a member at this tier gets each calendar month (e.g. free-shipping coupons).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monthly_coupons: Vec<CouponGrant>,
    /// Member price: the percentage of the list price members at this tier pay (95 = 5% off),
    /// for the merchant's checkout to apply.
    #[serde(default = "hundred")]
    pub member_price_pct: u32,
    /// Whether members at this tier may transfer points to other members (积分转赠).
    #[serde(default = "yes")]
    pub transfer_allowed: bool,
    /// Points worth one currency unit at checkout (100 = 100 points for 1 yuan); fewer is a
    /// better ratio. Without it the programme's ratio applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_points_per_unit: Option<i64>,
    /// Served first by customer service; the API exposes the flag.
    #[serde(default)]
    pub priority_service: bool,
}

fn hundred() -> u32 {
    100
}

fn yes() -> bool {
    true
}

impl Default for Benefits {
    fn default() -> Self {
        Benefits {
            earn_multiplier_pct: 100,
            points_validity_days: None,
            birthday_gift: None,
            tier_up_gift: None,
            monthly_coupons: Vec::new(),
            member_price_pct: 100,
            transfer_allowed: true,
            checkout_points_per_unit: None,
            priority_service: false,
        }
    }
}

/// Points and/or a coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TierGift")]
pub struct Gift {
    #[serde(default)]
    pub points: i64,
    /// A coupon template code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
}

/// Coupons of one template given each month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TierCouponGrant")]
pub struct CouponGrant {
    /// A coupon template code.
    pub coupon: String,
    pub count: u32,
}

/// Limits of benefits.
pub const MULTIPLIER_PCT_MAX: u32 = 1_000;
pub const GIFT_POINTS_MAX: i64 = 10_000_000;
pub const MONTHLY_COUPONS_MAX: u32 = 20;
/// The longest validity a benefit may give, in days (ten years).
pub const BENEFIT_VALIDITY_DAYS_MAX: u32 = 3_660;

impl Benefits {
    /// Every coupon template code the benefits name.
    pub fn coupon_codes(&self) -> impl Iterator<Item = &str> {
        self.birthday_gift
            .iter()
            .chain(self.tier_up_gift.iter())
            .filter_map(|g| g.coupon.as_deref())
            .chain(self.monthly_coupons.iter().map(|c| c.coupon.as_str()))
    }

    fn validate(&self, f: &dyn Fn(&str) -> String) -> Result<(), TierError> {
        if !(1..=MULTIPLIER_PCT_MAX).contains(&self.earn_multiplier_pct) {
            return Err(bad(
                f("benefits.earn_multiplier_pct"),
                format!("must be between 1 and {MULTIPLIER_PCT_MAX} (100 = 1×)"),
            ));
        }
        if let Some(d) = self.points_validity_days
            && !(1..=BENEFIT_VALIDITY_DAYS_MAX).contains(&d)
        {
            return Err(bad(
                f("benefits.points_validity_days"),
                format!("must be between 1 and {BENEFIT_VALIDITY_DAYS_MAX}"),
            ));
        }
        for (name, g) in [
            ("birthday_gift", &self.birthday_gift),
            ("tier_up_gift", &self.tier_up_gift),
        ] {
            if let Some(g) = g {
                if !(0..=GIFT_POINTS_MAX).contains(&g.points) {
                    return Err(bad(
                        f(&format!("benefits.{name}.points")),
                        format!("must be between 0 and {GIFT_POINTS_MAX}"),
                    ));
                }
                if g.points == 0 && g.coupon.is_none() {
                    return Err(bad(
                        f(&format!("benefits.{name}")),
                        "a gift has points, a coupon or both",
                    ));
                }
            }
        }
        for (j, c) in self.monthly_coupons.iter().enumerate() {
            if !(1..=MONTHLY_COUPONS_MAX).contains(&c.count) {
                return Err(bad(
                    f(&format!("benefits.monthly_coupons[{j}].count")),
                    format!("must be between 1 and {MONTHLY_COUPONS_MAX}"),
                ));
            }
        }
        if !(1..=100).contains(&self.member_price_pct) {
            return Err(bad(
                f("benefits.member_price_pct"),
                "must be between 1 and 100 (100 = list price)",
            ));
        }
        if let Some(r) = self.checkout_points_per_unit
            && !(1..=100_000).contains(&r)
        {
            return Err(bad(
                f("benefits.checkout_points_per_unit"),
                "must be between 1 and 100000",
            ));
        }
        Ok(())
    }
}

/// A programme's tier ladder: the metric, its window, the tiers and how members move down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TierLadder")]
pub struct Ladder {
    pub metric: Metric,
    pub window: Window,
    /// From the lowest tier to the highest.
    pub tiers: Vec<Tier>,
    /// Retention (保级): how members who no longer reach their tier move down. Without it,
    /// members only ever move up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// Days a member a refund took below their tier keeps it before the jobs move them down
    /// (0: at once, in the refund's request). A tier-up gift the refunded order paid is taken
    /// back when the member moves down.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refund_grace_days: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// The periodic review of tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TierReview")]
pub struct Review {
    /// How often members are reviewed: at the start of each calendar month, quarter or year.
    pub every: ReviewPeriod,
    /// Days after the period starts before the review runs: time to earn the tier back.
    #[serde(default)]
    pub grace_days: u32,
    /// The most tiers one review moves a member down.
    #[serde(default = "one")]
    pub downgrade_steps_max: u32,
}

fn one() -> u32 {
    1
}

/// How often a review runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "TierReviewPeriod")]
pub enum ReviewPeriod {
    Month,
    Quarter,
    Year,
}

/// The longest grace of a review.
pub const GRACE_DAYS_MAX: u32 = 90;

impl Review {
    /// The period containing `now` in `tz`: its key (`2027-03`, `2027-Q1`, `2027`) and first day.
    fn period(&self, now: i64, tz: &TimeZone) -> Option<(String, Date)> {
        let today: Date = Timestamp::from_millisecond(now)
            .ok()?
            .to_zoned(tz.clone())
            .date();
        Some(match self.every {
            ReviewPeriod::Month => (
                format!("{:04}-{:02}", today.year(), today.month()),
                today.first_of_month(),
            ),
            ReviewPeriod::Quarter => {
                let q = (today.month() - 1) / 3;
                (
                    format!("{:04}-Q{}", today.year(), q + 1),
                    Date::new(today.year(), q * 3 + 1, 1).ok()?,
                )
            }
            ReviewPeriod::Year => (format!("{:04}", today.year()), today.first_of_year()),
        })
    }

    /// The instant the review of a period starting on `start` measures: start plus the grace.
    fn measures_at(&self, start: Date, tz: &TimeZone) -> Option<i64> {
        Some(
            start
                .checked_add((self.grace_days as i64).days())
                .ok()?
                .at(0, 0, 0, 0)
                .to_zoned(tz.clone())
                .ok()?
                .timestamp()
                .as_millisecond(),
        )
    }

    /// The review due at `now`: its key and the instant it measures at, or `None` before that
    /// instant.
    pub fn due(&self, now: i64, tz: &TimeZone) -> Option<(String, i64)> {
        let (key, start) = self.period(now, tz)?;
        let at = self.measures_at(start, tz)?;
        (now >= at).then_some((key, at))
    }

    /// When the next review after `now` measures: this period's, if its grace has not passed,
    /// else the next period's.
    pub fn next_after(&self, now: i64, tz: &TimeZone) -> Option<i64> {
        let (_, start) = self.period(now, tz)?;
        let this = self.measures_at(start, tz)?;
        if now < this {
            return Some(this);
        }
        let step = match self.every {
            ReviewPeriod::Month => 1.month(),
            ReviewPeriod::Quarter => 3.months(),
            ReviewPeriod::Year => 1.year(),
        };
        self.measures_at(start.checked_add(step).ok()?, tz)
    }
}

/// Where a review puts a member at tier `current` whose metric is `value`: the tier they reach,
/// but at most `downgrade_steps_max` below `current`, and never above it (reviews only move down).
pub fn reviewed(ladder: &Ladder, review: &Review, current: usize, value: i64) -> usize {
    let reach = ladder.qualify(value);
    if reach >= current {
        return current;
    }
    reach.max(current.saturating_sub(review.downgrade_steps_max as usize))
}

/// A ladder problem, with the field to show it next to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct TierError {
    pub field: String,
    pub message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> TierError {
    TierError {
        field: field.into(),
        message: message.into(),
    }
}

impl Ladder {
    pub fn validate(&self) -> Result<(), TierError> {
        if let Some(r) = &self.review {
            if r.grace_days > GRACE_DAYS_MAX {
                return Err(bad(
                    "review.grace_days",
                    format!("must be at most {GRACE_DAYS_MAX}"),
                ));
            }
            if r.downgrade_steps_max == 0 {
                return Err(bad("review.downgrade_steps_max", "must be at least 1"));
            }
            // A calendar year reviewed monthly or quarterly would measure a part of a year:
            // everyone who qualified last year would fall in February.
            if self.window == Window::CalendarYear && r.every != ReviewPeriod::Year {
                return Err(bad(
                    "review.every",
                    "a calendar-year window is reviewed every year: a review each month or quarter would measure only part of the year",
                ));
            }
        }
        if self.refund_grace_days > GRACE_DAYS_MAX {
            return Err(bad(
                "refund_grace_days",
                format!("must be at most {GRACE_DAYS_MAX}"),
            ));
        }
        if self.tiers.is_empty() || self.tiers.len() > TIERS_MAX {
            return Err(bad("tiers", format!("a ladder has 1 to {TIERS_MAX} tiers")));
        }
        if let Window::RollingMonths { months } = self.window
            && !(1..=WINDOW_MONTHS_MAX).contains(&months)
        {
            return Err(bad(
                "window.months",
                format!("must be between 1 and {WINDOW_MONTHS_MAX}"),
            ));
        }
        for (i, t) in self.tiers.iter().enumerate() {
            let f = |name: &str| format!("tiers[{i}].{name}");
            if t.code.is_empty()
                || t.code.len() > 32
                || !t
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(bad(
                    f("code"),
                    "must be 1 to 32 characters of a-z, 0-9 and _",
                ));
            }
            for (name, v) in [("name_zh", &t.name_zh), ("name_en", &t.name_en)] {
                if v.trim().is_empty() || v.chars().count() > 50 {
                    return Err(bad(f(name), "must be 1 to 50 characters"));
                }
            }
            if self.tiers[..i].iter().any(|o| o.code == t.code) {
                return Err(bad(f("code"), format!("{} is used twice", t.code)));
            }
            if i == 0 && t.threshold != 0 {
                return Err(bad(
                    f("threshold"),
                    "the first tier starts at 0: every member has a tier",
                ));
            }
            if i > 0 && t.threshold <= self.tiers[i - 1].threshold {
                return Err(bad(
                    f("threshold"),
                    "thresholds must rise from tier to tier",
                ));
            }
            if !(0..=1_000_000_000_000).contains(&t.threshold) {
                return Err(bad(f("threshold"), "must be between 0 and 10^12"));
            }
            t.benefits.validate(&f)?;
        }
        Ok(())
    }

    /// The index of the highest tier whose threshold `value` reaches.
    pub fn qualify(&self, value: i64) -> usize {
        self.tiers
            .iter()
            .rposition(|t| value >= t.threshold)
            .unwrap_or(0)
    }

    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.code == code)
    }

    /// The first instant a review measuring at `at` counts from. A rolling window is the one
    /// ending at `at`; a calendar-year window is the year the review closes (the year before the
    /// review's own, which starts at most the grace before `at`), with the grace days added:
    /// time to earn the tier back.
    pub fn review_window_start(&self, at: i64, tz: &TimeZone) -> i64 {
        match self.window {
            Window::RollingMonths { .. } => self.window_start(at, tz),
            Window::CalendarYear => {
                let today: Date = Timestamp::from_millisecond(at)
                    .unwrap_or(Timestamp::UNIX_EPOCH)
                    .to_zoned(tz.clone())
                    .date();
                Date::new(today.year() - 1, 1, 1)
                    .unwrap_or(today)
                    .at(0, 0, 0, 0)
                    .to_zoned(tz.clone())
                    .map(|z| z.timestamp().as_millisecond())
                    .unwrap_or(0)
            }
        }
    }

    /// The first instant the metric counts from, for `now` in `tz`.
    pub fn window_start(&self, now: i64, tz: &TimeZone) -> i64 {
        let today: Date = Timestamp::from_millisecond(now)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(tz.clone())
            .date();
        let start = match self.window {
            Window::RollingMonths { months } => today
                .checked_sub((months as i64).months())
                .unwrap_or(today)
                .checked_add(1.day())
                .unwrap_or(today),
            Window::CalendarYear => today.first_of_year(),
        };
        start
            .at(0, 0, 0, 0)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(0)
    }
}

/// Where a member stands and what the next tier takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub tier: String,
    pub tier_name: String,
    pub metric: Metric,
    pub value: i64,
    pub next_tier: Option<String>,
    pub next_tier_name: Option<String>,
    /// How much more of the metric the next tier needs.
    pub needed: Option<i64>,
    pub message: String,
}

/// Progress of a member at tier `current` with metric `value`, worded for `locale`
/// (`zh`, the default, or `en`).
pub fn progress(ladder: &Ladder, current: usize, value: i64, locale: &str) -> Progress {
    let en = locale.starts_with("en");
    let name = |t: &Tier| {
        if en {
            t.name_en.clone()
        } else {
            t.name_zh.clone()
        }
    };
    let cur = &ladder.tiers[current.min(ladder.tiers.len() - 1)];
    let next = ladder.tiers.get(current + 1);
    let needed = next.map(|n| (n.threshold - value).max(0));
    // Money is shown in currency units (minor units / 100).
    let amount = |v: i64| match ladder.metric {
        Metric::Spend if v % 100 == 0 => thousands(v / 100),
        Metric::Spend => format!("{}.{:02}", thousands(v / 100), v % 100),
        _ => thousands(v),
    };
    let message = match (next, needed) {
        (Some(n), Some(k)) => match (ladder.metric, en) {
            (Metric::Growth, false) => format!("再获得 {} 成长值升级{}", amount(k), n.name_zh),
            (Metric::Spend, false) => format!("再消费 {} 元升级{}", amount(k), n.name_zh),
            (Metric::Orders, false) => format!("再完成 {} 笔订单升级{}", amount(k), n.name_zh),
            (Metric::Growth, true) => format!(
                "Earn {} more growth points to reach {}",
                amount(k),
                n.name_en
            ),
            (Metric::Spend, true) => format!("Spend {} more to reach {}", amount(k), n.name_en),
            (Metric::Orders, true) => format!("{} more orders to reach {}", amount(k), n.name_en),
        },
        _ if en => format!("You are at the top tier: {}", cur.name_en),
        _ => format!("您已是最高等级：{}", cur.name_zh),
    };
    Progress {
        tier: cur.code.clone(),
        tier_name: name(cur),
        metric: ladder.metric,
        value,
        next_tier: next.map(|n| n.code.clone()),
        next_tier_name: next.map(name),
        needed,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder() -> Ladder {
        Ladder {
            metric: Metric::Growth,
            window: Window::RollingMonths { months: 12 },
            tiers: vec![
                Tier {
                    code: "normal".into(),
                    name_zh: "普通会员".into(),
                    name_en: "Member".into(),
                    threshold: 0,
                    benefits: Benefits::default(),
                },
                Tier {
                    code: "silver".into(),
                    name_zh: "白银会员".into(),
                    name_en: "Silver".into(),
                    threshold: 1_000,
                    benefits: Benefits::default(),
                },
                Tier {
                    code: "gold".into(),
                    name_zh: "黄金会员".into(),
                    name_en: "Gold".into(),
                    threshold: 5_000,
                    benefits: Benefits::default(),
                },
                Tier {
                    code: "diamond".into(),
                    name_zh: "钻石会员".into(),
                    name_en: "Diamond".into(),
                    threshold: 20_000,
                    benefits: Benefits::default(),
                },
            ],
            review: None,
            refund_grace_days: 0,
        }
    }

    #[test]
    fn reviews_move_down_at_most_the_allowed_steps_and_never_up() {
        let l = ladder();
        let one = Review {
            every: ReviewPeriod::Month,
            grace_days: 0,
            downgrade_steps_max: 1,
        };
        let two = Review {
            downgrade_steps_max: 2,
            ..one
        };
        assert_eq!(reviewed(&l, &one, 3, 25_000), 3, "kept");
        assert_eq!(
            reviewed(&l, &one, 3, 20_000),
            3,
            "exactly at the threshold keeps it"
        );
        assert_eq!(reviewed(&l, &one, 3, 19_999), 2);
        assert_eq!(reviewed(&l, &one, 3, 0), 2, "one step per review");
        assert_eq!(reviewed(&l, &two, 3, 0), 1);
        assert_eq!(reviewed(&l, &one, 1, 50_000), 1, "a review never upgrades");
    }

    #[test]
    fn reviews_are_due_after_the_grace_of_each_period() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let at = |s: &str| {
            s.parse::<jiff::civil::DateTime>()
                .unwrap()
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        let r = Review {
            every: ReviewPeriod::Month,
            grace_days: 7,
            downgrade_steps_max: 1,
        };
        assert_eq!(r.due(at("2027-03-07T23:59"), &tz), None);
        assert_eq!(
            r.due(at("2027-03-08T00:00"), &tz),
            Some(("2027-03".into(), at("2027-03-08T00:00")))
        );
        let q = Review {
            every: ReviewPeriod::Quarter,
            grace_days: 0,
            ..r
        };
        assert_eq!(q.due(at("2027-05-20T10:00"), &tz).unwrap().0, "2027-Q2");
        let y = Review {
            every: ReviewPeriod::Year,
            grace_days: 0,
            ..r
        };
        assert_eq!(
            y.due(at("2027-05-20T10:00"), &tz),
            Some(("2027".into(), at("2027-01-01T00:00")))
        );
    }

    #[test]
    fn thresholds_qualify_exactly_at_and_not_one_below() {
        let l = ladder();
        for (value, tier) in [
            (0, 0),
            (999, 0),
            (1_000, 1),
            (4_999, 1),
            (5_000, 2),
            (19_999, 2),
            (20_000, 3),
            (10_000_000, 3),
        ] {
            assert_eq!(l.qualify(value), tier, "value {value}");
        }
    }

    #[test]
    fn progress_says_what_the_next_tier_needs_in_both_languages() {
        let l = ladder();
        let p = progress(&l, 1, 3_800, "zh");
        assert_eq!(p.message, "再获得 1,200 成长值升级黄金会员");
        assert_eq!(
            (p.next_tier.as_deref(), p.needed),
            (Some("gold"), Some(1_200))
        );
        assert_eq!(
            progress(&l, 1, 3_800, "en").message,
            "Earn 1,200 more growth points to reach Gold"
        );
        assert_eq!(
            progress(&l, 3, 25_000, "zh").message,
            "您已是最高等级：钻石会员"
        );
        let spend = Ladder {
            metric: Metric::Spend,
            ..ladder()
        };
        assert_eq!(
            progress(&spend, 0, 200, "zh").message,
            "再消费 8 元升级白银会员"
        );
        assert_eq!(
            progress(&spend, 0, 150, "en").message,
            "Spend 8.50 more to reach Silver"
        );
    }

    #[test]
    fn ladders_are_validated_with_the_field() {
        let mut l = ladder();
        l.tiers[0].threshold = 10;
        assert_eq!(l.validate().unwrap_err().field, "tiers[0].threshold");
        let mut l = ladder();
        l.tiers[2].threshold = 1_000;
        assert_eq!(l.validate().unwrap_err().field, "tiers[2].threshold");
        let mut l = ladder();
        l.tiers[1].code = "Gold!".into();
        assert_eq!(l.validate().unwrap_err().field, "tiers[1].code");
        let mut l = ladder();
        l.tiers[3].code = "gold".into();
        assert!(l.validate().unwrap_err().message.contains("twice"));
        let l = Ladder {
            window: Window::RollingMonths { months: 0 },
            ..ladder()
        };
        assert_eq!(l.validate().unwrap_err().field, "window.months");
        assert!(ladder().validate().is_ok());
        // A calendar year is reviewed yearly, never on a part of it.
        for (every, ok) in [
            (ReviewPeriod::Month, false),
            (ReviewPeriod::Quarter, false),
            (ReviewPeriod::Year, true),
        ] {
            let l = Ladder {
                window: Window::CalendarYear,
                review: Some(Review {
                    every,
                    grace_days: 30,
                    downgrade_steps_max: 1,
                }),
                ..ladder()
            };
            match l.validate() {
                Ok(()) => assert!(ok, "{every:?}"),
                Err(e) => {
                    assert!(!ok, "{every:?}");
                    assert_eq!(e.field, "review.every");
                }
            }
        }
    }

    #[test]
    fn a_rolling_window_starts_the_day_after_the_same_day_n_months_ago() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let at = |s: &str| {
            s.parse::<jiff::civil::DateTime>()
                .unwrap()
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        let l = ladder();
        // On 2027-03-15, twelve months count from 2026-03-16 00:00: growth earned on 2026-03-15
        // (12 months and a day ago, counting today) no longer counts.
        assert_eq!(
            l.window_start(at("2027-03-15T12:00"), &tz),
            at("2026-03-16T00:00")
        );
        let y = Ladder {
            window: Window::CalendarYear,
            ..ladder()
        };
        assert_eq!(
            y.window_start(at("2027-03-15T12:00"), &tz),
            at("2027-01-01T00:00")
        );
        // A review measuring on 2027-01-31 (the grace after the year's start) counts the whole
        // of 2026 and the grace; a rolling window's review counts the window ending then.
        assert_eq!(
            y.review_window_start(at("2027-01-31T00:00"), &tz),
            at("2026-01-01T00:00")
        );
        assert_eq!(
            l.review_window_start(at("2027-01-31T00:00"), &tz),
            at("2026-02-01T00:00")
        );
    }
}

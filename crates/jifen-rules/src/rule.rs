//! A rule as operators write it (`RuleDef`, stored as JSON) and as the evaluator runs it
//! (`CompiledRule`). Compiling is validation: a definition that compiles is one the evaluator can
//! run on any event of its trigger.

use jifen_ledger::{Millis, PointType};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::expr::{Expr, Type};
use crate::vars::{self, TriggerSchema};

pub const NAME_LEN_MAX: usize = 100;
pub const DESCRIPTION_LEN_MAX: usize = 1_000;
/// Caps one rule may carry: one per period is all anyone needs.
pub const CAPS_MAX: usize = 5;
/// Priorities run from -1000 to 1000; higher is evaluated first.
pub const PRIORITY_ABS_MAX: i64 = 1_000;
/// Audience lists (tiers, channels, segments) per rule.
pub const AUDIENCE_LIST_MAX: usize = 50;
/// The largest cap or budget.
pub const POINTS_MAX: i64 = 1_000_000_000_000;
/// The most points one rule gives for one event: a formula giving more is cut to this. With at
/// most 200 active rules, all of an event's awards together stay within the ledger's
/// per-operation maximum (10^12).
pub const AWARD_POINTS_MAX: i64 = 5_000_000_000;

/// The event type a rule listens to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trigger {
    Purchase,
    SignUp,
    SignIn,
    Review,
    Share,
    Browse,
    ProfileComplete,
    Follow,
    Survey,
    Referral,
    Birthday,
    Anniversary,
    /// A merchant-defined event, `custom:<name>`.
    Custom(String),
}

/// The built-in event types, as named on the wire.
pub const BUILT_IN_TRIGGERS: [&str; 12] = [
    "purchase",
    "sign_up",
    "sign_in",
    "review",
    "share",
    "browse",
    "profile_complete",
    "follow",
    "survey",
    "referral",
    "birthday",
    "anniversary",
];

impl Trigger {
    pub fn parse(s: &str) -> Result<Trigger, String> {
        Ok(match s {
            "purchase" => Trigger::Purchase,
            "sign_up" => Trigger::SignUp,
            "sign_in" => Trigger::SignIn,
            "review" => Trigger::Review,
            "share" => Trigger::Share,
            "browse" => Trigger::Browse,
            "profile_complete" => Trigger::ProfileComplete,
            "follow" => Trigger::Follow,
            "survey" => Trigger::Survey,
            "referral" => Trigger::Referral,
            "birthday" => Trigger::Birthday,
            "anniversary" => Trigger::Anniversary,
            _ => match s.strip_prefix("custom:") {
                Some(name)
                    if !name.is_empty()
                        && name.len() <= 32
                        && name
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
                {
                    Trigger::Custom(name.to_string())
                }
                _ => {
                    return Err(format!(
                        "unknown event type {s:?}; use one of {} or custom:<name> (a-z, 0-9, _; up to 32)",
                        BUILT_IN_TRIGGERS.join(", ")
                    ));
                }
            },
        })
    }

    /// Something a member does that the member centre lists as a task to do (任务卡): every
    /// event type but purchases (the mall and the history), sign-ins (their own card), sign-ups
    /// (done by anyone who has a centre), referrals (the invite card) and birthdays and
    /// anniversaries (nothing to do). Only these rules take a [`RuleDef::task_url`].
    pub fn is_task_to_do(&self) -> bool {
        !matches!(
            self,
            Trigger::Purchase
                | Trigger::SignIn
                | Trigger::SignUp
                | Trigger::Referral
                | Trigger::Birthday
                | Trigger::Anniversary
        )
    }

    pub fn as_string(&self) -> String {
        match self {
            Trigger::Custom(n) => format!("custom:{n}"),
            t => BUILT_IN_TRIGGERS[t.index()].to_string(),
        }
    }

    fn index(&self) -> usize {
        match self {
            Trigger::Purchase => 0,
            Trigger::SignUp => 1,
            Trigger::SignIn => 2,
            Trigger::Review => 3,
            Trigger::Share => 4,
            Trigger::Browse => 5,
            Trigger::ProfileComplete => 6,
            Trigger::Follow => 7,
            Trigger::Survey => 8,
            Trigger::Referral => 9,
            Trigger::Birthday => 10,
            Trigger::Anniversary => 11,
            Trigger::Custom(_) => usize::MAX,
        }
    }
}

/// A calendar window in which a rule may fire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// First instant the rule applies: an RFC 3339 timestamp, or a civil date or date-time
    /// (`2026-12-05`, `2026-12-05T10:00`) read in the schedule's time zone.
    #[serde(default)]
    pub starts_at: Option<String>,
    /// First instant the rule no longer applies (exclusive), same forms.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Days of the week it applies, 1 = Monday ... 7 = Sunday; empty means every day.
    #[serde(default)]
    pub days_of_week: Vec<u8>,
    /// Hours it applies: `[from, to)`, 0-24; `[22, 2]` wraps past midnight.
    #[serde(default)]
    pub hours: Option<[u8; 2]>,
    /// IANA time zone; the programme's when absent.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// Who a rule applies to. Empty lists mean everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub segments: Vec<String>,
    /// Only members who joined at most this many days ago.
    #[serde(default)]
    pub joined_within_days: Option<u32>,
}

/// A calendar period a cap counts over, in the programme's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Year,
    Lifetime,
}

/// A per-member limit over a calendar period in the programme's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    pub period: Period,
    /// Most points in the period; an award that would pass it is cut down to fit.
    #[serde(default)]
    pub max_points: Option<i64>,
    /// Most awards in the period.
    #[serde(default)]
    pub max_count: Option<i64>,
}

/// How a rule combines with the other rules that fire on the same event.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stacking {
    /// Adds to whatever else fires.
    #[default]
    Stack,
    /// Of all `best_of` rules that fire, only the one giving most points pays.
    BestOf,
    /// When it fires, no rule of lower priority fires.
    Exclusive,
}

/// The schema of a [`PointType`] (the ledger's type, which has none of its own).
pub fn point_type_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "enum": ["points", "growth"],
        "description": "spendable points, or growth value (成长值) that drives tiers"
    })
}

pub(crate) fn default_point_type() -> PointType {
    PointType::Points
}

/// A rule as stored: data, not code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The event type: `purchase`, `sign_in`, `review`, ..., or `custom:<name>`.
    pub trigger: String,
    #[serde(default)]
    pub schedule: Option<Schedule>,
    #[serde(default)]
    pub audience: Audience,
    /// A bool expression; the rule fires only when it is true. Absent means always.
    #[serde(default)]
    pub condition: Option<String>,
    /// An int expression: the points awarded. Zero or less awards nothing.
    pub points: String,
    #[serde(default = "default_point_type")]
    #[schemars(schema_with = "point_type_schema")]
    pub point_type: PointType,
    /// Days the award stays pending; the programme's return window for purchases and 0 for
    /// other events when absent.
    #[serde(default)]
    pub pending_days: Option<u32>,
    /// Days the awarded points stay valid, instead of the programme's validity.
    #[serde(default)]
    pub validity_days: Option<u32>,
    #[serde(default)]
    pub caps: Vec<Cap>,
    /// Total points this rule may give across all members, then it stops.
    #[serde(default)]
    pub budget_points: Option<i64>,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub stacking: Stacking,
    /// Where the member centre's 去完成 button of this task goes: an `https://` address, or a
    /// path (`/review`) on the site that serves the centre. Without one the task is shown as
    /// words with its reward and no button. Only for tasks ([`Trigger::is_task_to_do`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_url: Option<String>,
}

/// The longest task link.
pub const TASK_URL_LEN_MAX: usize = 500;

/// Characters a task link may not hold besides control characters and white space: it goes
/// into an attribute of the member centre's page.
const TASK_URL_REFUSED: [char; 6] = ['"', '\'', '<', '>', '\\', '`'];

/// Whether `url` may be a task's link: an `https://` address with a host, or a path starting
/// with one `/`; at most [`TASK_URL_LEN_MAX`] characters, no white space, quotes, angle
/// brackets, backslashes or control characters.
pub fn task_url_ok(url: &str) -> bool {
    let clean = url.chars().count() <= TASK_URL_LEN_MAX
        && !url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || TASK_URL_REFUSED.contains(&c));
    let shaped = match url.strip_prefix("https://") {
        Some(rest) => rest
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|h| !h.is_empty()),
        None => url.starts_with('/') && !url.starts_with("//"),
    };
    clean && shaped
}

/// A definition problem, naming the field so that a form can show it next to the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct RuleError {
    pub field: String,
    pub message: String,
    /// The same in Chinese, for the console's 中文 pages.
    #[serde(skip)]
    pub message_zh: String,
}

impl RuleError {
    /// What is wrong, in English or in Chinese.
    pub fn text(&self, en: bool) -> &str {
        if en { &self.message } else { &self.message_zh }
    }
}

fn bad(field: &str, message: impl Into<String>, zh: impl Into<String>) -> RuleError {
    RuleError {
        field: field.into(),
        message: message.into(),
        message_zh: zh.into(),
    }
}

/// A window with its bounds resolved to instants.
#[derive(Debug, Clone)]
pub struct CompiledSchedule {
    pub starts_at: Option<Millis>,
    pub ends_at: Option<Millis>,
    /// Bit `d` set for weekday `d` (1 = Monday); 0 means every day.
    pub days_mask: u8,
    pub hours: Option<[u8; 2]>,
    pub tz: Option<TimeZone>,
}

/// A rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub id: i64,
    /// The name, shared by every explanation and award that quotes it.
    pub name: std::sync::Arc<str>,
    pub version: i64,
    pub def: RuleDef,
    pub trigger: Trigger,
    pub schedule: Option<CompiledSchedule>,
    pub condition: Option<Expr>,
    pub points: Expr,
    /// Reads `month.*`: refunds of other orders of the month re-evaluate its awards.
    pub uses_month: bool,
}

fn parse_instant(field: &str, s: &str, tz: &TimeZone) -> Result<Millis, RuleError> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let dt = s
        .parse::<DateTime>()
        .or_else(|_| s.parse::<Date>().map(|d| d.at(0, 0, 0, 0)))
        .map_err(|_| {
            bad(
                field,
                format!(
                    "{s:?} is not a time: use 2026-12-05, 2026-12-05T10:00 or an RFC 3339 timestamp"
                ),
                format!("{s:?} 不是时间：请写 2026-12-05、2026-12-05T10:00 或 RFC 3339 时间戳"),
            )
        })?;
    dt.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| {
            bad(
                field,
                format!("{s:?} does not exist in the time zone: {e}"),
                format!("{s:?} 在这个时区不存在"),
            )
        })
}

fn check_text(field: &str, v: &str, max: usize, required: bool) -> Result<(), RuleError> {
    if required && v.trim().is_empty() {
        return Err(bad(field, "is required", "必填"));
    }
    if v.chars().count() > max {
        return Err(bad(
            field,
            format!("must be at most {max} characters"),
            format!("最多 {max} 个字符"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(bad(
            field,
            "must not contain control characters",
            "不能包含控制字符",
        ));
    }
    Ok(())
}

fn check_list(field: &str, items: &[String]) -> Result<(), RuleError> {
    if items.len() > AUDIENCE_LIST_MAX {
        return Err(bad(
            field,
            format!("at most {AUDIENCE_LIST_MAX} entries"),
            format!("最多 {AUDIENCE_LIST_MAX} 项"),
        ));
    }
    for i in items {
        if i.is_empty() || i.chars().count() > 64 {
            return Err(bad(
                field,
                "entries must be 1 to 64 characters",
                "每项 1 到 64 个字符",
            ));
        }
    }
    Ok(())
}

impl RuleDef {
    /// Checks every field and compiles the expressions. `tz` is the programme's time zone.
    pub fn compile(&self, id: i64, version: i64, tz: &TimeZone) -> Result<CompiledRule, RuleError> {
        check_text("name", &self.name, NAME_LEN_MAX, true)?;
        if let Some(d) = &self.description {
            check_text("description", d, DESCRIPTION_LEN_MAX, false)?;
        }
        let trigger = Trigger::parse(&self.trigger).map_err(|m| {
            bad(
                "trigger",
                m,
                format!("无法识别的触发事件 {:?}", self.trigger),
            )
        })?;
        let schema = TriggerSchema(&trigger);
        let expr_err =
            |field: &str, e: crate::expr::CompileError| bad(field, e.to_string(), e.text(false));
        let condition = match &self.condition {
            Some(c) if !c.trim().is_empty() => {
                Some(Expr::compile(c, &schema, Type::Bool).map_err(|e| expr_err("condition", e))?)
            }
            _ => None,
        };
        if self.points.trim().is_empty() {
            return Err(bad(
                "points",
                "is required: an int expression such as 100 or base_points * 2",
                "必填：整数表达式，如 100 或 base_points * 2",
            ));
        }
        let points =
            Expr::compile(&self.points, &schema, Type::Int).map_err(|e| expr_err("points", e))?;
        let schedule = match &self.schedule {
            None => None,
            Some(s) => Some(compile_schedule(s, tz)?),
        };
        self.check_audience_and_limits()?;
        if let Some(u) = &self.task_url {
            if !trigger.is_task_to_do() {
                return Err(bad(
                    "task_url",
                    "only rules the member centre lists as tasks take a task_url (not purchase, sign_in, sign_up, referral, birthday or anniversary rules)",
                    "只有会员中心的任务可以设置任务链接（消费、签到、注册、邀请、生日和入会周年规则不行）",
                ));
            }
            if !task_url_ok(u) {
                return Err(bad(
                    "task_url",
                    format!(
                        "must be an https:// address or a path starting with / (at most {TASK_URL_LEN_MAX} characters, without spaces, quotes or angle brackets)"
                    ),
                    format!(
                        "须为 https:// 地址或以 / 开头的站内路径（最多 {TASK_URL_LEN_MAX} 个字符，不能有空格、引号或尖括号）"
                    ),
                ));
            }
        }
        let uses_month = points
            .vars()
            .iter()
            .chain(condition.iter().flat_map(|c| c.vars()))
            .any(|s| vars::is_month_var(*s));
        let rule = CompiledRule {
            id,
            name: self.name.as_str().into(),
            version,
            def: self.clone(),
            trigger,
            schedule,
            condition,
            points,
            uses_month,
        };
        trial_run(&rule)?;
        Ok(rule)
    }

    /// Checks the audience lists, pending days, validity, caps, budget and priority.
    fn check_audience_and_limits(&self) -> Result<(), RuleError> {
        check_list("audience.tiers", &self.audience.tiers)?;
        check_list("audience.channels", &self.audience.channels)?;
        check_list("audience.segments", &self.audience.segments)?;
        if let Some(p) = self.pending_days
            && p > jifen_ledger::policy::PENDING_DAYS_MAX
        {
            return Err(bad(
                "pending_days",
                format!("must be at most {}", jifen_ledger::policy::PENDING_DAYS_MAX),
                format!("最多 {} 天", jifen_ledger::policy::PENDING_DAYS_MAX),
            ));
        }
        if let Some(v) = self.validity_days
            && !(1..=36_600).contains(&v)
        {
            return Err(bad(
                "validity_days",
                "must be between 1 and 36600",
                "须在 1 到 36600 天之间",
            ));
        }
        if self.caps.len() > CAPS_MAX {
            return Err(bad(
                "caps",
                format!("at most {CAPS_MAX} caps per rule"),
                format!("每条规则最多 {CAPS_MAX} 个上限"),
            ));
        }
        for (i, c) in self.caps.iter().enumerate() {
            let field = format!("caps[{i}]");
            if c.max_points.is_none() && c.max_count.is_none() {
                return Err(bad(
                    &field,
                    "needs max_points, max_count or both",
                    "须填写最多积分、最多次数或两者",
                ));
            }
            for v in [c.max_points, c.max_count].into_iter().flatten() {
                if !(1..=POINTS_MAX).contains(&v) {
                    return Err(bad(
                        &field,
                        format!("limits must be between 1 and {POINTS_MAX}"),
                        format!("上限须在 1 到 {POINTS_MAX} 之间"),
                    ));
                }
            }
        }
        if let Some(b) = self.budget_points
            && !(1..=POINTS_MAX).contains(&b)
        {
            return Err(bad(
                "budget_points",
                format!("must be between 1 and {POINTS_MAX}"),
                format!("须在 1 到 {POINTS_MAX} 之间"),
            ));
        }
        if self.priority.unsigned_abs() > PRIORITY_ABS_MAX as u64 {
            return Err(bad(
                "priority",
                format!("must be between -{PRIORITY_ABS_MAX} and {PRIORITY_ABS_MAX}"),
                format!("须在 -{PRIORITY_ABS_MAX} 到 {PRIORITY_ABS_MAX} 之间"),
            ));
        }
        if self.point_type == PointType::Growth && self.validity_days.is_some() {
            return Err(bad(
                "validity_days",
                "growth value never expires",
                "成长值不会过期",
            ));
        }
        Ok(())
    }
}

/// Checks a schedule and resolves its instants in its own time zone, else the programme's.
fn compile_schedule(s: &Schedule, tz: &TimeZone) -> Result<CompiledSchedule, RuleError> {
    let stz = match &s.timezone {
        Some(name) => Some(TimeZone::get(name).map_err(|e| {
            bad(
                "schedule.timezone",
                format!("unknown time zone {name:?}: {e}"),
                format!("无法识别的时区 {name:?}"),
            )
        })?),
        None => None,
    };
    let ztz = stz.as_ref().unwrap_or(tz);
    let starts_at = s
        .starts_at
        .as_deref()
        .map(|v| parse_instant("schedule.starts_at", v, ztz))
        .transpose()?;
    let ends_at = s
        .ends_at
        .as_deref()
        .map(|v| parse_instant("schedule.ends_at", v, ztz))
        .transpose()?;
    if let (Some(a), Some(b)) = (starts_at, ends_at)
        && b <= a
    {
        return Err(bad(
            "schedule.ends_at",
            "must be after starts_at",
            "须晚于开始时间",
        ));
    }
    let mut days_mask = 0u8;
    for d in &s.days_of_week {
        if !(1..=7).contains(d) {
            return Err(bad(
                "schedule.days_of_week",
                "days are 1 (Monday) to 7 (Sunday)",
                "星期为 1（周一）到 7（周日）",
            ));
        }
        days_mask |= 1 << d;
    }
    if let Some([from, to]) = s.hours
        && (from > 23 || to > 24 || to == 0 || from == to)
    {
        return Err(bad(
            "schedule.hours",
            "hours are [from, to) with from 0-23 and to 1-24, and from != to",
            "时段为 开始-结束，开始 0 到 23、结束 1 到 24，且两者不同",
        ));
    }
    Ok(CompiledSchedule {
        starts_at,
        ends_at,
        days_mask,
        hours: s.hours,
        tz: stz,
    })
}

/// Trial evaluation on sample values: a formula that cannot run on a typical event is
/// refused now rather than failing silently on every real one.
fn trial_run(rule: &CompiledRule) -> Result<(), RuleError> {
    let sample = vars::sample();
    if let Some(c) = &rule.condition {
        c.eval_bool(&sample).map_err(|e| {
            bad(
                "condition",
                format!("trial evaluation on sample values failed: {e}"),
                format!("用示例值试算失败：{}", e.zh()),
            )
        })?;
    }
    rule.points.eval_int(&sample).map_err(|e| {
        bad(
            "points",
            format!("trial evaluation on sample values failed: {e}"),
            format!("用示例值试算失败：{}", e.zh()),
        )
    })?;
    Ok(())
}

impl CompiledSchedule {
    /// Whether `now` falls inside the window. `local` is (weekday, hour) of `now` in the
    /// programme's time zone, computed once per event.
    pub fn contains(&self, now: Millis, local: (u8, u8)) -> bool {
        if self.starts_at.is_some_and(|s| now < s) || self.ends_at.is_some_and(|e| now >= e) {
            return false;
        }
        if self.days_mask == 0 && self.hours.is_none() {
            return true;
        }
        let (weekday, hour) = match &self.tz {
            None => local,
            Some(tz) => match local_fields(now, tz) {
                Some(l) => l,
                None => return false,
            },
        };
        if self.days_mask != 0 && self.days_mask & (1 << weekday) == 0 {
            return false;
        }
        if let Some([from, to]) = self.hours {
            let h = hour;
            let inside = if from < to {
                h >= from && h < to
            } else {
                h >= from || h < to
            };
            if !inside {
                return false;
            }
        }
        true
    }
}

/// (weekday 1-7 from Monday, hour 0-23) of an instant in a time zone.
pub fn local_fields(now: Millis, tz: &TimeZone) -> Option<(u8, u8)> {
    let z = Timestamp::from_millisecond(now).ok()?.to_zoned(tz.clone());
    Some((z.weekday().to_monday_one_offset() as u8, z.hour() as u8))
}

impl Serialize for Trigger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Trigger::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod task_url_tests {
    use super::*;

    #[test]
    fn a_task_link_is_an_https_address_or_a_path() {
        for ok in [
            "https://shop.example/review?from=jifen&tab=2",
            "https://shop.example",
            "/review",
            "/",
        ] {
            assert!(task_url_ok(ok), "{ok}");
        }
        for bad in [
            "http://shop.example/review",
            "ftp://shop.example",
            "javascript:alert(1)",
            "//evil.example/x",
            "https://",
            "https:///x",
            "review",
            "/a b",
            "/a\"onmouseover=x",
            "/a<b>",
            "/a\\b",
            "/a\u{7}",
            "",
        ] {
            assert!(!task_url_ok(bad), "{bad:?}");
        }
        assert!(task_url_ok(&format!(
            "/{}",
            "a".repeat(TASK_URL_LEN_MAX - 1)
        )));
        assert!(!task_url_ok(&format!("/{}", "a".repeat(TASK_URL_LEN_MAX))));
    }

    #[test]
    fn only_tasks_take_a_link_and_a_bad_one_names_its_field() {
        let def = |trigger: &str, url: &str| RuleDef {
            name: "x".into(),
            description: None,
            trigger: trigger.into(),
            schedule: None,
            audience: Audience::default(),
            condition: None,
            points: "1".into(),
            point_type: PointType::Points,
            pending_days: None,
            validity_days: None,
            caps: Vec::new(),
            budget_points: None,
            priority: 0,
            stacking: Stacking::Stack,
            task_url: Some(url.into()),
        };
        let tz = TimeZone::UTC;
        assert!(
            def("review", "https://shop.example/r")
                .compile(1, 1, &tz)
                .is_ok()
        );
        assert!(def("custom:quiz", "/quiz").compile(1, 1, &tz).is_ok());
        for (trigger, url) in [
            ("review", "http://shop.example/r"),
            ("sign_in", "/sign-in"),
            ("purchase", "https://shop.example"),
            ("referral", "https://shop.example"),
        ] {
            let e = def(trigger, url).compile(1, 1, &tz).unwrap_err();
            assert_eq!(e.field, "task_url", "{trigger} {url}");
        }
    }
}

//! The rule form as typed: its fields, reading them into a rule definition, and drawing it with its errors.

use jifen_ledger::PointType;
use jifen_rules::{Cap, Period, Schedule, Stacking};
use serde::Serialize;

use super::shapes::ShapeFields;
use super::*;
use crate::forms::{Choice, FormState, choices};
use crate::page::pick;

/// A rule form as typed: every field is text, so that what was typed comes back with the error.
#[derive(Deserialize, Default, Clone)]
pub(super) struct RuleForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) trigger: String,
    #[serde(default)]
    pub(super) condition: String,
    #[serde(default)]
    pub(super) points: String,
    #[serde(default)]
    pub(super) point_type: String,
    #[serde(default)]
    pub(super) starts_at: String,
    #[serde(default)]
    pub(super) ends_at: String,
    #[serde(default)]
    pub(super) days_of_week: String,
    #[serde(default)]
    pub(super) hours: String,
    #[serde(default)]
    pub(super) tiers: String,
    #[serde(default)]
    pub(super) channels: String,
    #[serde(default)]
    pub(super) pending_days: String,
    #[serde(default)]
    pub(super) validity_days: String,
    #[serde(default)]
    pub(super) cap_period: String,
    #[serde(default)]
    pub(super) cap_points: String,
    #[serde(default)]
    pub(super) cap_count: String,
    #[serde(default)]
    pub(super) budget_points: String,
    #[serde(default)]
    pub(super) priority: String,
    #[serde(default)]
    pub(super) stacking: String,
    #[serde(default)]
    pub(super) task_url: String,
    #[serde(default)]
    pub(super) activate: String,
    /// The shape picker whose button was pressed (`threshold`, `multiplier`,
    /// `category_bonus`), when one was: the form is filled in, not saved.
    #[serde(default)]
    pub(super) apply_shape: String,
    #[serde(default)]
    pub(super) shape_min_amount: String,
    #[serde(default)]
    pub(super) shape_points: String,
    #[serde(default)]
    pub(super) shape_times: String,
    #[serde(default)]
    pub(super) shape_category: String,
    #[serde(default)]
    pub(super) shape_per_amount: String,
    #[serde(default)]
    pub(super) shape_bonus_points: String,
    /// A picker just wrote the condition and formula.
    #[serde(skip)]
    pub(super) shape_applied: bool,
    #[serde(default)]
    pub(super) form_key: String,
    #[serde(default)]
    pub(super) csrf: String,
}

/// Items as a form shows a list: joined with commas.
fn joined<T: ToString>(v: &[T]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An optional value as text; empty when absent.
fn text_of<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The word a period or a choice is stored as.
fn word_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A variable's type in words.
fn type_word(st: &Staff, ty: &str) -> &'static str {
    match ty {
        "int" => st.t("整数", "Integer"),
        "str" => st.t("文本", "Text"),
        "bool" => st.t("是/否", "Yes/no"),
        "list" => st.t("列表", "List"),
        "map" => st.t("键值表", "Map"),
        _ => st.t("其他", "Other"),
    }
}

impl RuleForm {
    pub(super) fn from_def(d: &RuleDef) -> RuleForm {
        let s = d.schedule.clone().unwrap_or_default();
        let cap = d.caps.first();
        RuleForm {
            name: d.name.clone(),
            description: text_of(&d.description),
            trigger: d.trigger.clone(),
            condition: text_of(&d.condition),
            points: d.points.clone(),
            point_type: d.point_type.as_str().to_string(),
            starts_at: text_of(&s.starts_at),
            ends_at: text_of(&s.ends_at),
            days_of_week: joined(&s.days_of_week),
            hours: s.hours.map(|[a, b]| format!("{a}-{b}")).unwrap_or_default(),
            tiers: joined(&d.audience.tiers),
            channels: joined(&d.audience.channels),
            pending_days: text_of(&d.pending_days),
            validity_days: text_of(&d.validity_days),
            cap_period: cap.map(|c| word_of(&c.period)).unwrap_or_default(),
            cap_points: cap.map(|c| text_of(&c.max_points)).unwrap_or_default(),
            cap_count: cap.map(|c| text_of(&c.max_count)).unwrap_or_default(),
            budget_points: text_of(&d.budget_points),
            priority: if d.priority == 0 {
                String::new()
            } else {
                d.priority.to_string()
            },
            stacking: word_of(&d.stacking),
            task_url: text_of(&d.task_url),
            ..Default::default()
        }
    }

    /// The definition the form describes, on top of `base` (the stored definition when
    /// editing), so that what the form does not show (segments, more caps, the schedule's
    /// own time zone) is kept. A field that is not even the right kind of value is named.
    pub(super) fn to_def(
        &self,
        lang: Lang,
        base: Option<&RuleDef>,
    ) -> Result<RuleDef, (String, String)> {
        let points_word = pick(lang, "请填写整数积分", "a whole number of points");
        // Read in the order the fields are checked, so the first bad one is named.
        let pending_days = days_field(lang, "pending_days", &self.pending_days)?;
        let validity_days = days_field(lang, "validity_days", &self.validity_days)?;
        let budget_points = int_field("budget_points", &self.budget_points, points_word)?;
        let whole = pick(lang, "请填写整数", "a whole number");
        let priority = int_field("priority", &self.priority, whole)?.unwrap_or(0);
        let schedule = self.schedule(lang, base)?;
        let mut audience = base.map(|b| b.audience.clone()).unwrap_or_default();
        audience.tiers = list_field(&self.tiers);
        audience.channels = list_field(&self.channels);
        Ok(RuleDef {
            name: self.name.trim().to_string(),
            description: opt_text(&self.description),
            trigger: self.trigger.trim().to_string(),
            schedule,
            audience,
            condition: opt_text(&self.condition),
            points: self.points.trim().to_string(),
            point_type: if self.point_type == "growth" {
                PointType::Growth
            } else {
                PointType::Points
            },
            pending_days,
            validity_days,
            caps: self.caps(lang, base)?,
            budget_points,
            priority,
            stacking: match self.stacking.as_str() {
                "best_of" => Stacking::BestOf,
                "exclusive" => Stacking::Exclusive,
                _ => Stacking::Stack,
            },
            task_url: opt_text(&self.task_url),
        })
    }

    /// The schedule the form describes, with the time zone stored in `base`; none when there
    /// is none. Days and hours that do not read are named.
    fn schedule(
        &self,
        lang: Lang,
        base: Option<&RuleDef>,
    ) -> Result<Option<Schedule>, (String, String)> {
        let mut days = Vec::new();
        for p in list_field(&self.days_of_week) {
            match p.parse::<u8>() {
                Ok(n) => days.push(n),
                Err(_) => {
                    return Err(bad(
                        "days_of_week",
                        pick(
                            lang,
                            "星期请填 1（周一）到 7（周日）的数字，如 6, 7",
                            "days are numbers 1 (Monday) to 7 (Sunday), e.g. 6, 7",
                        ),
                    ));
                }
            }
        }
        let hours_word = pick(lang, "时段请写成 10-22 这样", "hours look like 10-22");
        let hours = match self.hours.trim() {
            "" => None,
            h => {
                let parts: Vec<&str> = h.split(['-', '–', '~']).map(str::trim).collect();
                match parts.as_slice() {
                    [a, b] => match (a.parse::<u8>(), b.parse::<u8>()) {
                        (Ok(a), Ok(b)) => Some([a, b]),
                        _ => return Err(bad("hours", hours_word)),
                    },
                    _ => return Err(bad("hours", hours_word)),
                }
            }
        };
        let timezone = base
            .and_then(|b| b.schedule.as_ref())
            .and_then(|s| s.timezone.clone());
        let schedule = Schedule {
            starts_at: opt_text(&self.starts_at),
            ends_at: opt_text(&self.ends_at),
            days_of_week: days,
            hours,
            timezone,
        };
        Ok((schedule != Schedule::default()).then_some(schedule))
    }

    /// The caps: the form's (the first) when it names a period, then any others stored with
    /// the rule in `base`. A limit without a period is an error.
    fn caps(&self, lang: Lang, base: Option<&RuleDef>) -> Result<Vec<Cap>, (String, String)> {
        let mut caps: Vec<Cap> = base
            .map(|b| b.caps.iter().skip(1).cloned().collect())
            .unwrap_or_default();
        let period = match self.cap_period.trim() {
            "" => None,
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            "year" => Some(Period::Year),
            "lifetime" => Some(Period::Lifetime),
            _ => {
                return Err(bad(
                    "cap_period",
                    pick(lang, "请选择周期", "choose a period"),
                ));
            }
        };
        if let Some(period) = period {
            caps.insert(
                0,
                Cap {
                    period,
                    max_points: int_field(
                        "cap_points",
                        &self.cap_points,
                        pick(lang, "请填写整数积分", "a whole number of points"),
                    )?,
                    max_count: int_field(
                        "cap_count",
                        &self.cap_count,
                        pick(lang, "请填写整数次数", "a whole number of times"),
                    )?,
                },
            );
        } else if !self.cap_points.trim().is_empty() || !self.cap_count.trim().is_empty() {
            return Err(bad(
                "cap_period",
                pick(
                    lang,
                    "请选择上限按什么周期计算",
                    "choose the period the limit counts over",
                ),
            ));
        }
        Ok(caps)
    }
}

/// The error for field `f`: the field and what it should be.
fn bad(f: &str, m: &str) -> (String, String) {
    (f.to_string(), m.to_string())
}

/// A whole number as typed (commas and underscores allowed), none when empty; otherwise the
/// error for field `f` saying what it should be.
fn int_field(f: &str, v: &str, zh_en: &str) -> Result<Option<i64>, (String, String)> {
    let v = v.trim().replace([',', '_'], "");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>().map(Some).map_err(|_| bad(f, zh_en))
}

/// A number of days as typed; a whole number out of range is refused for the form as a whole,
/// as the definition would be.
fn days_field(lang: Lang, f: &str, v: &str) -> Result<Option<u32>, (String, String)> {
    match int_field(f, v, pick(lang, "请填写整数天数", "a whole number of days"))? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| {
            bad(
                f,
                pick(
                    lang,
                    "天数不能为负数或过大",
                    "days cannot be negative or that large",
                ),
            )
        }),
    }
}

/// The parts of a list typed with commas (either kind) or spaces.
fn list_field(v: &str) -> Vec<String> {
    v.split([',', '，', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Text as typed, trimmed; none when empty.
fn opt_text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Where a use case's field error goes on the form.
pub(super) fn form_field(field: &str) -> String {
    let f = field
        .trim_start_matches("schedule.")
        .trim_start_matches("audience.");
    if f.starts_with("caps") {
        return "cap_period".into();
    }
    match f {
        "name" | "description" | "trigger" | "condition" | "points" | "point_type"
        | "starts_at" | "ends_at" | "days_of_week" | "hours" | "tiers" | "channels"
        | "pending_days" | "validity_days" | "budget_points" | "priority" | "stacking"
        | "task_url" => f.to_string(),
        "timezone" => "starts_at".into(),
        _ => "form".into(),
    }
}

/// A variable a condition or formula can use, as the form's panel lists it: its doc in parts,
/// `true` for the parts that are code.
pub(super) struct VarRow {
    pub(super) name: String,
    pub(super) ty: &'static str,
    pub(super) doc: Vec<(bool, String)>,
}

/// The rule form as `templates/console/rule_form.html` draws it.
pub(super) struct RuleFormView {
    pub(super) form: FormState,
    pub(super) action: String,
    pub(super) editable: bool,
    /// A new rule: offers to activate it when saved.
    pub(super) new: bool,
    pub(super) values: RuleForm,
    pub(super) shape: ShapeFields,
    pub(super) shapes_open: bool,
    pub(super) triggers: Vec<Choice>,
    pub(super) kinds: Vec<Choice>,
    pub(super) periods: Vec<Choice>,
    pub(super) stacking: Vec<Choice>,
    pub(super) vars: Vec<VarRow>,
}

/// Text with its `backticked` spans marked as code.
fn with_code(text: &str) -> Vec<(bool, String)> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| (i % 2 == 1, part.to_string()))
        .collect()
}

/// The rule form: what it pays and when, who it is for, its limits, and (on a new rule) the
/// choice to activate it at once; disabled when the rule may not be edited.
pub(super) fn rule_form(
    st: &Staff,
    action: &str,
    f: &RuleForm,
    error: Option<&(String, String)>,
    editable: bool,
) -> RuleFormView {
    let mut triggers: Vec<(&str, String)> = words::TRIGGERS
        .iter()
        .map(|t| (t.word.code, trigger_label(st, t.word.code)))
        .collect();
    // A trigger the words do not know is kept as an option.
    if !f.trigger.is_empty() && words::find(words::TRIGGERS, &f.trigger).is_none() {
        triggers.push((f.trigger.as_str(), f.trigger.clone()));
    }
    let kinds = [
        ("points", st.t("积分", "Points")),
        ("growth", st.t("成长值", "Growth")),
    ];
    let periods = [
        ("", st.t("不限", "No limit")),
        ("day", st.t("每天", "Day")),
        ("week", st.t("每周", "Week")),
        ("month", st.t("每月", "Month")),
        ("year", st.t("每年", "Year")),
        ("lifetime", st.t("终身", "Lifetime")),
    ];
    let stacking = [
        ("stack", st.t("与其他规则叠加", "Adds to others")),
        ("best_of", st.t("择优（取最高）", "Best of")),
        ("exclusive", st.t("独占", "Exclusive")),
    ];
    let vars = earn::variables()
        .variables
        .iter()
        .map(|v| VarRow {
            name: v.name.clone(),
            ty: type_word(st, &word_of(&v.ty)),
            doc: with_code(st.t(&v.doc_zh, &v.doc)),
        })
        .collect();
    let (shape, shapes_open) = super::shapes::shape_fields(f, error);
    RuleFormView {
        form: FormState::new(st, &f.form_key, error.cloned()),
        action: action.to_string(),
        editable,
        new: action.ends_with("/new"),
        values: f.clone(),
        shape,
        shapes_open,
        triggers: choices(&triggers, &f.trigger),
        kinds: choices(&kinds, &f.point_type),
        periods: choices(&periods, &f.cap_period),
        stacking: choices(&stacking, &f.stacking),
        vars,
    }
}

/// A use case's field error as the form shows it: next to the input the field belongs to, and
/// for the task link in the page's words.
pub(super) fn invalid_field(
    st: &Staff,
    f: &RuleForm,
    field: &str,
    message: String,
) -> (String, String) {
    let message = match field {
        "task_url" => task_url_error(st, f),
        _ => message,
    };
    (form_field(field), message)
}

/// What is wrong with the task link typed, in the page's words: the address itself, or a rule
/// whose event the member centre does not list as a task.
fn task_url_error(st: &Staff, f: &RuleForm) -> String {
    let most = jifen_rules::rule::TASK_URL_LEN_MAX;
    match (jifen_rules::rule::task_url_ok(f.task_url.trim()), st.lang) {
        (true, _) => st
            .t(
                "只有会员中心的任务（评价、分享、浏览、关注、问卷、完善资料、自定义事件）可以设置任务链接",
                "Only member centre tasks (reviews, shares, browsing, follows, surveys, profiles, custom events) take a task link",
            )
            .to_string(),
        (false, Lang::Zh) => format!(
            "链接须以 https:// 开头，或是以 / 开头的站内路径，不能有空格、引号或尖括号，最多 {most} 个字符"
        ),
        (false, Lang::En) => format!(
            "The link must start with https://, or be a path starting with /, without spaces, quotes or angle brackets, at most {most} characters"
        ),
    }
}

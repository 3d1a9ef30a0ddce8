//! The queues and the audit log as tables: approvals, audit entries, appeals, risk holds.

use super::*;

/// What an audit entry is about, in words: `rule:5` reads 规则 #5, `coupon_template:off_10`
/// 券模板 with its code; an unknown kind as it was written (`word` empty, `code` the target).
pub struct AuditTarget {
    pub word: &'static str,
    pub number: String,
    pub code: String,
}

fn audit_target(lang: Lang, target: &str) -> AuditTarget {
    let (kind, id) = target.split_once(':').unwrap_or((target, ""));
    let word = match kind {
        "rule" => pick(lang, "规则", "Rule"),
        "mall_order" => pick(lang, "订单", "Order"),
        "mall_item" => pick(lang, "商品", "Item"),
        "member" => pick(lang, "会员", "Member"),
        "hold" => pick(lang, "风控", "Risk hold"),
        "appeal" => pick(lang, "申诉", "Appeal"),
        "webhook" => pick(lang, "推送地址", "Webhook"),
        "request" => pick(lang, "调整申请", "Request"),
        "program" => pick(lang, "计划", "Programme"),
        "sku" => "SKU",
        "coupon_template" => pick(lang, "券模板", "Coupon template"),
        "lottery" => pick(lang, "抽奖", "Lottery"),
        "staff" => pick(lang, "员工", "Staff"),
        "api_key" => pick(lang, "接口密钥", "API key"),
        "tiers" => pick(lang, "等级体系", "Tier ladder"),
        "earn_settings" => pick(lang, "积分设置", "Earning settings"),
        "members" => pick(lang, "会员", "Members"),
        "ledger" => pick(lang, "积分流水", "Ledger"),
        "orders" => pick(lang, "订单", "Orders"),
        _ => {
            return AuditTarget {
                word: "",
                number: String::new(),
                code: target.to_string(),
            };
        }
    };
    let numeric = !id.is_empty() && id.chars().all(|c| c.is_ascii_digit());
    AuditTarget {
        word,
        number: if numeric {
            id.to_string()
        } else {
            String::new()
        },
        code: if numeric {
            String::new()
        } else {
            id.to_string()
        },
    }
}

/// The state an audit entry recorded: a word as it is, a document folded behind 详情 as code,
/// the reason a document gives (a refund's, a key's revocation) shown before it in words.
pub struct Recorded {
    pub reason: Option<String>,
    /// As recorded; empty when nothing was.
    pub value: String,
    /// A document (JSON), folded.
    pub folded: bool,
}

fn recorded(v: Option<&str>) -> Recorded {
    let v = v.unwrap_or("");
    let reason = Some(v)
        .filter(|v| v.starts_with('{'))
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|d| d["reason"].as_str().map(str::to_string));
    Recorded {
        reason,
        value: v.to_string(),
        folded: v.starts_with('{') || v.starts_with('['),
    }
}

/// One entry of the audit log, in words.
pub struct AuditLine {
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: AuditTarget,
    pub before: Recorded,
    pub after: Recorded,
}

/// The audit log: the filter (actor, action), the entries, newest first, and the link to the
/// next page (the filter URL-encoded into it).
#[derive(askama::Template)]
#[template(path = "console/audit.html")]
pub struct AuditPage {
    pub frame: crate::frame::Frame,
    pub actor: String,
    pub actions: Vec<crate::forms::Choice>,
    pub lines: Vec<AuditLine>,
    pub next: Option<String>,
}

pub fn audit(
    frame: crate::frame::Frame,
    tz: &TimeZone,
    rows: &[jifen_app::console::AuditRow],
    actor: &str,
    action: &str,
    more: bool,
) -> AuditPage {
    let (lang, en) = (frame.lang, frame.english);
    let lines = rows
        .iter()
        .map(|r| AuditLine {
            time: fmt_time(r.created_at, tz),
            actor: actor_label(lang, &r.actor),
            action: words::text(words::AUDIT_ACTIONS, &r.action, en).to_string(),
            target: audit_target(lang, &r.target),
            before: recorded(r.before.as_deref()),
            after: recorded(r.after.as_deref()),
        })
        .collect();
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/console/audit?{}",
            serde_urlencoded::to_string([
                ("actor", actor),
                ("action", action),
                ("before", &last.id.to_string()),
            ])
            .unwrap_or_default()
        )),
        _ => None,
    };
    let mut options = vec![("", pick(lang, "全部", "All"))];
    options.extend(words::AUDIT_ACTIONS.iter().map(|w| (w.code, w.text(en))));
    AuditPage {
        frame,
        actor: actor.to_string(),
        actions: crate::forms::choices(&options, action),
        lines,
        next,
    }
}

pub(super) fn hours(ms: i64, lang: Lang) -> String {
    let h = ms.abs() / 3_600_000;
    let m = ms.abs() % 3_600_000 / 60_000;
    match lang {
        Lang::Zh => format!("{h}小时{m}分"),
        Lang::En => format!("{h} h {m} min"),
    }
}

/// A decision's outcome in words, with the pill's class.
fn outcome(lang: Lang, status: &str) -> (&'static str, &'static str) {
    match status {
        "approved" => (pick(lang, "已批准", "Approved"), "pos"),
        "resolved" => (pick(lang, "已解决", "Resolved"), "pos"),
        "released" => (pick(lang, "已放行", "Released"), "pos"),
        "rejected" => (pick(lang, "已驳回", "Rejected"), "neg"),
        _ => (pick(lang, "已处理", "Decided"), ""),
    }
}

/// How an item left its queue: the outcome, who decided, when.
pub struct Decided {
    pub outcome: &'static str,
    pub class: &'static str,
    pub by: String,
    pub at: String,
}

impl Decided {
    fn of(lang: Lang, tz: &TimeZone, status: &str, by: Option<&str>, at: Option<i64>) -> Decided {
        let (outcome, class) = outcome(lang, status);
        Decided {
            outcome,
            class,
            by: by.map(|b| actor_label(lang, b)).unwrap_or_default(),
            at: at.map(|t| fmt_time(t, tz)).unwrap_or_default(),
        }
    }
}

/// A points adjustment waiting for a second person, or decided.
pub struct ApprovalRow {
    pub id: i64,
    pub time: String,
    pub member: i64,
    pub delta: String,
    pub up: bool,
    pub reason: String,
    pub by: String,
    pub decided: Decided,
}

/// An appeal, open or answered; `error` is the answer form's (field, message) on this row.
pub struct AppealRow {
    pub id: i64,
    pub time: String,
    pub member: i64,
    pub subject: String,
    pub subject_id: i64,
    pub message: String,
    pub due: String,
    pub late: bool,
    pub answer: String,
    pub delta: Option<String>,
    pub decided: Decided,
    pub error: Option<(String, String)>,
}

impl AppealRow {
    pub fn error_on(&self, field: &str) -> Option<&str> {
        match &self.error {
            Some((f, m)) if f == field => Some(m),
            _ => None,
        }
    }
}

/// Points held by the risk checks, open or decided.
pub struct HoldRow {
    pub id: i64,
    pub time: String,
    pub member: i64,
    pub points: String,
    pub reason: String,
    pub decided: Decided,
}

/// What a queue page lists.
pub enum QueueBody {
    Approvals(Vec<ApprovalRow>),
    ApprovalsDone(Vec<ApprovalRow>),
    Appeals(Vec<AppealRow>),
    AppealsDone(Vec<AppealRow>),
    Holds(Vec<HoldRow>),
    HoldsDone(Vec<HoldRow>),
}

#[derive(askama::Template)]
#[template(path = "console/queue.html")]
pub struct QueuePage {
    pub frame: crate::frame::Frame,
    /// The queue's address, for its two tabs.
    pub path: &'static str,
    pub done: bool,
    pub notice: Option<String>,
    pub body: QueueBody,
}

fn signed(v: i64) -> String {
    format!("{}{}", if v > 0 { "+" } else { "" }, num(v))
}

pub fn approval_rows(
    lang: Lang,
    tz: &TimeZone,
    rows: &[jifen_app::console::AdjustmentRequest],
) -> Vec<ApprovalRow> {
    rows.iter()
        .map(|r| ApprovalRow {
            id: r.id,
            time: fmt_time(r.created_at, tz),
            member: r.member.0,
            delta: signed(r.delta),
            up: r.delta >= 0,
            reason: r.reason.clone(),
            by: actor_label(lang, &r.requested_by),
            decided: Decided::of(lang, tz, &r.status, r.decided_by.as_deref(), r.decided_at),
        })
        .collect()
}

/// Appeals with the time left to answer (or how late), the answer form's error on the row of
/// `error.0`.
pub fn appeal_rows(
    lang: Lang,
    tz: &TimeZone,
    now: i64,
    rows: &[jifen_app::console::AppealRow],
    error: Option<(i64, String, String)>,
) -> Vec<AppealRow> {
    rows.iter()
        .map(|a| {
            let left = a.due_at - now;
            let due = if left >= 0 {
                format!("{} {}", L::DueIn.t(lang), hours(left, lang))
            } else {
                format!("{} {}", L::Overdue.t(lang), hours(left, lang))
            };
            AppealRow {
                id: a.id,
                time: fmt_time(a.created_at, tz),
                member: a.member.0,
                subject: appeal_subject(lang, &a.subject),
                subject_id: a.subject_id,
                message: a.message.clone(),
                due,
                late: left < 0,
                answer: a.answer.clone().unwrap_or_default(),
                delta: a.delta.filter(|d| *d != 0).map(signed),
                decided: Decided::of(lang, tz, &a.status, a.decided_by.as_deref(), a.decided_at),
                error: error
                    .as_ref()
                    .filter(|(id, _, _)| *id == a.id)
                    .map(|(_, f, m)| (f.clone(), m.clone())),
            }
        })
        .collect()
}

pub fn hold_rows(lang: Lang, tz: &TimeZone, holds: &[jifen_app::earn::HoldView]) -> Vec<HoldRow> {
    holds
        .iter()
        .map(|h| HoldRow {
            id: h.hold_id,
            time: fmt_time(h.created_at, tz),
            member: h.member_id,
            points: num(h.points),
            reason: h.reason.clone(),
            decided: Decided::of(lang, tz, &h.status, h.decided_by.as_deref(), h.decided_at),
        })
        .collect()
}

//! The queues and the audit log as tables: approvals, audit entries, appeals, risk holds.

use super::*;

/// What an audit entry is about, in words: `rule:5` reads 规则 #5, `coupon_template:off_10`
/// 券模板 with its code; an unknown kind as it was written.
fn target_html(lang: Lang, target: &str) -> String {
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
        _ => return format!("<code>{}</code>", esc(target)),
    };
    match id {
        "" => word.to_string(),
        id if id.chars().all(|c| c.is_ascii_digit()) => format!("{word} #{id}"),
        code => format!("{word} <code>{}</code>", esc(code)),
    }
}

/// The state an audit entry recorded: a word as it is, a document folded behind 详情 as code,
/// the reason a document gives (a refund's, a key's revocation) shown before it in words.
fn recorded(lang: Lang, v: Option<&str>) -> String {
    let reason = v
        .filter(|v| v.starts_with('{'))
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|d| d["reason"].as_str().map(str::to_string));
    let shown = recorded_as_is(v);
    match reason {
        Some(r) => format!(
            "<div class=\"reason\">{}{}</div>{shown}",
            pick(lang, "原因：", "Reason: "),
            esc(&r)
        ),
        None => shown,
    }
}

fn recorded_as_is(v: Option<&str>) -> String {
    match v {
        None | Some("") => String::new(),
        Some(v) if v.starts_with('{') || v.starts_with('[') => {
            format!(
                "<details><summary>…</summary><code>{}</code></details>",
                esc(v)
            )
        }
        Some(v) => format!("<code>{}</code>", esc(v)),
    }
}

pub fn audit(
    lang: Lang,
    tz: &TimeZone,
    rows: &[jifen_app::console::AuditRow],
    actor: &str,
    action: &str,
    more: bool,
) -> String {
    let body: String = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"6\" class=\"muted\">{}</td></tr>",
            L::NoneYet.t(lang)
        )
    } else {
        rows.iter()
            .map(|r| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"muted\">{}</td><td class=\"muted\">{}</td></tr>",
                    fmt_time(r.created_at, tz),
                    esc(&actor_label(lang, &r.actor)),
                    esc(&words::text(words::AUDIT_ACTIONS, &r.action, lang == Lang::En)),
                    target_html(lang, &r.target),
                    recorded(lang, r.before.as_deref()),
                    recorded(lang, r.after.as_deref()),
                )
            })
            .collect()
    };
    let pager = match (more, rows.last()) {
        (true, Some(last)) => format!(
            "<div class=\"pager\"><a href=\"/console/audit?actor={}&action={}&before={}\">{} →</a></div>",
            esc(actor),
            esc(action),
            last.id,
            L::Next.t(lang)
        ),
        _ => String::new(),
    };
    format!(
        "<form class=\"search\" method=\"get\" action=\"/console/audit\"><input type=\"search\" name=\"actor\" value=\"{}\" placeholder=\"{}\"><label>{} <select name=\"action\"><option value=\"\">{}</option>{}</select></label><button>{}</button></form>\
         <table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{body}</tbody></table>{pager}",
        esc(actor),
        L::Actor.t(lang),
        L::Action.t(lang),
        pick(lang, "全部", "All"),
        words::AUDIT_ACTIONS
            .iter()
            .map(|w| format!(
                "<option value=\"{}\"{}>{}</option>",
                w.code,
                if w.code == action { " selected" } else { "" },
                esc(w.text(lang == Lang::En))
            ))
            .collect::<String>(),
        L::Filter.t(lang),
        L::Time.t(lang),
        L::Actor.t(lang),
        L::Action.t(lang),
        L::Target.t(lang),
        L::Before.t(lang),
        L::After.t(lang),
    )
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

//! The queues and the audit log as tables: approvals, audit entries, appeals, risk holds.

use jifen_app::earn::HoldsPage;

use super::*;

pub fn approvals(
    lang: Lang,
    tz: &TimeZone,
    rows: &[jifen_app::console::AdjustmentRequest],
    s: &Session,
    notice: Option<&str>,
) -> String {
    let body: String = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"6\" class=\"muted\">{}</td></tr>",
            L::NoApprovals.t(lang)
        )
    } else {
        rows.iter()
            .map(|r| {
                let form = |decision: &str, label: L| {
                    format!(
                        "<form method=\"post\" action=\"/console/approvals/{}/{decision}\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"{decision}\">{}</button></form>",
                        r.id,
                        esc(&s.csrf),
                        label.t(lang)
                    )
                };
                format!(
                    "<tr><td>#{}</td><td>{}</td><td><a href=\"/console/members/{m}\">#{m}</a></td><td class=\"num {}\">{}{}</td><td>{}</td><td>{}</td><td>{} {}</td></tr>",
                    r.id,
                    fmt_time(r.created_at, tz),
                    if r.delta >= 0 { "pos" } else { "neg" },
                    if r.delta > 0 { "+" } else { "" },
                    num(r.delta),
                    esc(&r.reason),
                    esc(&actor_label(lang, &r.requested_by)),
                    form("approve", L::Approve),
                    form("reject", L::Reject),
                    m = r.member.0,
                )
            })
            .collect()
    };
    let blank_th = crate::page::th_hidden(crate::page::L::Action.t(lang));
    format!(
        "{}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th>{blank_th}</tr></thead><tbody>{body}</tbody></table>",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        L::Time.t(lang),
        L::Members.t(lang),
        L::Delta.t(lang),
        L::Reason.t(lang),
        L::RequestedBy.t(lang),
    )
}

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

/// The appeals queue, the soonest due first, with the time left (or how late) on each.
pub fn appeals(
    lang: Lang,
    tz: &TimeZone,
    now: i64,
    rows: &[jifen_app::console::AppealRow],
    s: &Session,
    notice: Option<&str>,
    error: Option<(i64, &str, &str)>,
) -> String {
    let body: String = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"5\" class=\"muted\">{}</td></tr>",
            L::NoneYet.t(lang)
        )
    } else {
        rows.iter()
            .map(|a| {
                let left = a.due_at - now;
                let sla = if left >= 0 {
                    format!("<span class=\"pill\">{} {}</span>", L::DueIn.t(lang), hours(left, lang))
                } else {
                    format!("<span class=\"pill overdue\">{} {}</span>", L::Overdue.t(lang), hours(left, lang))
                };
                let err = |field: &str| match error {
                    Some((id, f, m)) if id == a.id && f == field => format!("<div class=\"field-error\" role=\"alert\">{}</div>", esc(m)),
                    _ => String::new(),
                };
                format!(
                    "<tr class=\"{}\"><td>#{}<div class=\"muted\">{}</div></td><td><a href=\"/console/members/{m}\">#{m}</a><div class=\"muted\">{} #{}</div></td><td>{}</td><td>{sla}</td>\
                     <td><form class=\"answer\" method=\"post\" action=\"/console/appeals/{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                     <input type=\"text\" name=\"answer\" placeholder=\"{}\">{}<input type=\"text\" name=\"delta\" placeholder=\"{}\" style=\"min-width:0;width:110px\">{}\
                     <button name=\"decision\" value=\"resolve\">{}</button> <button class=\"reject\" name=\"decision\" value=\"reject\">{}</button></form></td></tr>",
                    if left < 0 { "late" } else { "" },
                    a.id,
                    fmt_time(a.created_at, tz),
                    esc(&a.subject),
                    a.subject_id,
                    esc(&a.message),
                    a.id,
                    esc(&s.csrf),
                    L::Answer.t(lang),
                    err("answer"),
                    L::Delta.t(lang),
                    err("delta"),
                    L::Resolve.t(lang),
                    L::Reject.t(lang),
                    m = a.member.0,
                )
            })
            .collect()
    };
    format!(
        "{}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{body}</tbody></table>",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        L::Subject.t(lang),
        L::Reason.t(lang),
        pick(lang, "答复时限", "Due"),
        L::Answer.t(lang),
    )
}

/// Awards held by the anti-fraud limits, with release and reject.
pub fn risk_holds(
    lang: Lang,
    tz: &TimeZone,
    holds: &HoldsPage,
    s: &Session,
    notice: Option<&str>,
) -> String {
    let rows: String = holds
        .holds
        .iter()
        .map(|h| {
            let id = h.hold_id;
            let form = |decision: &str, label: L, class: &str| {
                format!(
                    "<form method=\"post\" action=\"/console/risk-holds/{id}/{decision}\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"{class}\">{}</button></form>",
                    esc(&s.csrf),
                    label.t(lang)
                )
            };
            format!(
                "<tr><td>#{id}</td><td>{}</td><td><a href=\"/console/members/{m}\">#{m}</a></td><td class=\"num\">{}</td><td>{}</td><td>{} {}</td></tr>",
                fmt_time(h.created_at, tz),
                num(h.points),
                esc(&h.reason),
                form("release", L::Release, "approve"),
                form("reject", L::Reject, "reject"),
                m = h.member_id,
            )
        })
        .collect();
    let rows = or_none_yet(lang, rows, 6);
    let blank_th = crate::page::th_hidden(crate::page::L::Action.t(lang));
    format!(
        "{}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th>{blank_th}</tr></thead><tbody>{rows}</tbody></table>",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        L::Time.t(lang),
        L::Members.t(lang),
        L::Points.t(lang),
        L::Reason.t(lang),
    )
}

// ---- 待处理 / 已处理 ------------------------------------------------------------------------

/// The queue's two tabs: what waits (待处理) and what was decided (已处理), at `path`.
pub fn queue_tabs(lang: Lang, path: &str, done: bool) -> String {
    let tab = |href: String, on: bool, label: &str| {
        format!(
            "<a href=\"{href}\"{}>{label}</a>",
            if on {
                " class=\"on\" aria-current=\"page\""
            } else {
                ""
            }
        )
    };
    format!(
        "<div class=\"toolbar\"><nav class=\"tabs\" aria-label=\"{}\">{}{}</nav></div>",
        pick(lang, "队列", "Queue"),
        tab(path.to_string(), !done, pick(lang, "待处理", "Pending")),
        tab(
            format!("{path}?tab=done"),
            done,
            pick(lang, "已处理", "Decided")
        ),
    )
}

/// A decision's outcome in words.
fn outcome(lang: Lang, status: &str) -> String {
    let (word, class) = match status {
        "approved" => (pick(lang, "已批准", "Approved"), "pos"),
        "resolved" => (pick(lang, "已解决", "Resolved"), "pos"),
        "released" => (pick(lang, "已放行", "Released"), "pos"),
        "rejected" => (pick(lang, "已驳回", "Rejected"), "neg"),
        _ => (pick(lang, "已处理", "Decided"), ""),
    };
    format!("<span class=\"pill {class}\">{word}</span>")
}

/// Who decided and when, as two cells.
fn decided_cells(lang: Lang, tz: &TimeZone, by: Option<&str>, at: Option<i64>) -> String {
    format!(
        "<td>{}</td><td>{}</td>",
        by.map(|b| esc(&actor_label(lang, b))).unwrap_or_default(),
        at.map(|t| fmt_time(t, tz)).unwrap_or_default(),
    )
}

/// The heads every decided table ends with: the outcome, who decided, when.
fn decided_heads(lang: Lang) -> String {
    format!(
        "<th>{}</th><th>{}</th><th>{}</th>",
        pick(lang, "结果", "Outcome"),
        pick(lang, "处理人", "Decided by"),
        pick(lang, "处理时间", "Decided at"),
    )
}

/// Decided adjustment requests, the latest decision first.
pub fn approvals_done(
    lang: Lang,
    tz: &TimeZone,
    rows: &[jifen_app::console::AdjustmentRequest],
) -> String {
    let body: String = rows
        .iter()
        .map(|r| {
            format!(
                "<tr><td>#{}</td><td><a href=\"/console/members/{m}\">#{m}</a></td><td class=\"num {}\">{}{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
                r.id,
                if r.delta >= 0 { "pos" } else { "neg" },
                if r.delta > 0 { "+" } else { "" },
                num(r.delta),
                esc(&r.reason),
                esc(&actor_label(lang, &r.requested_by)),
                outcome(lang, &r.status),
                decided_cells(lang, tz, r.decided_by.as_deref(), r.decided_at),
                m = r.member.0,
            )
        })
        .collect();
    format!(
        "<table><thead><tr><th>#</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th>{}</tr></thead><tbody>{}</tbody></table>",
        L::Members.t(lang),
        L::Delta.t(lang),
        L::Reason.t(lang),
        L::RequestedBy.t(lang),
        decided_heads(lang),
        or_none_yet(lang, body, 8),
    )
}

/// Answered appeals, the latest answer first, with the answer and any points given.
pub fn appeals_done(lang: Lang, tz: &TimeZone, rows: &[jifen_app::console::AppealRow]) -> String {
    let body: String = rows
        .iter()
        .map(|a| {
            format!(
                "<tr><td>#{}</td><td><a href=\"/console/members/{m}\">#{m}</a><div class=\"muted\">{} #{}</div></td><td>{}</td><td>{}{}</td><td>{}</td>{}</tr>",
                a.id,
                esc(&a.subject),
                a.subject_id,
                esc(&a.message),
                esc(a.answer.as_deref().unwrap_or_default()),
                a.delta
                    .filter(|d| *d != 0)
                    .map(|d| format!(" <span class=\"num\">{}{}</span>", if d > 0 { "+" } else { "" }, num(d)))
                    .unwrap_or_default(),
                outcome(lang, &a.status),
                decided_cells(lang, tz, a.decided_by.as_deref(), a.decided_at),
                m = a.member.0,
            )
        })
        .collect();
    format!(
        "<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th>{}</tr></thead><tbody>{}</tbody></table>",
        L::Subject.t(lang),
        L::Reason.t(lang),
        L::Answer.t(lang),
        decided_heads(lang),
        or_none_yet(lang, body, 7),
    )
}

/// Decided risk holds, the latest decision first.
pub fn risk_holds_done(lang: Lang, tz: &TimeZone, holds: &[jifen_app::earn::HoldView]) -> String {
    let body: String = holds
        .iter()
        .map(|h| {
            format!(
                "<tr><td>#{}</td><td>{}</td><td><a href=\"/console/members/{m}\">#{m}</a></td><td class=\"num\">{}</td><td>{}</td><td>{}</td>{}</tr>",
                h.hold_id,
                fmt_time(h.created_at, tz),
                num(h.points),
                esc(&h.reason),
                outcome(lang, &h.status),
                decided_cells(lang, tz, h.decided_by.as_deref(), h.decided_at),
                m = h.member_id,
            )
        })
        .collect();
    format!(
        "<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th>{}</tr></thead><tbody>{}</tbody></table>",
        L::Time.t(lang),
        L::Members.t(lang),
        L::Points.t(lang),
        L::Reason.t(lang),
        decided_heads(lang),
        or_none_yet(lang, body, 8),
    )
}

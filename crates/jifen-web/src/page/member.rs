//! The member list and one member's page: balance, lots, history, orders, coupons, appeals and the adjustment form.

use super::*;

pub fn members(
    lang: Lang,
    q: &str,
    rows: &[MemberListRow],
    next: Option<i64>,
    phones: bool,
) -> String {
    let body: String = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"6\" class=\"muted\">{}</td></tr>",
            L::NoMembers.t(lang)
        )
    } else {
        rows.iter()
            .map(|r| {
                let (m, b) = (&r.member, &r.balance);
                let tier = pick(lang, &r.tier_zh, &r.tier_en);
                format!(
                    "<tr><td><a href=\"/console/members/{id}\">#{id}</a></td><td><a href=\"/console/members/{id}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    esc(m.profile.name.as_deref().unwrap_or("–")),
                    esc(&shown_phone(m.profile.phone.as_deref(), phones).unwrap_or_else(|| "–".into())),
                    esc(tier),
                    num(b.available),
                    num(b.expiring),
                    id = m.id.0,
                )
            })
            .collect()
    };
    let pager = next
        .map(|n| {
            format!(
                "<div class=\"pager\"><a href=\"/console/members?before={n}\">{} →</a></div>",
                L::Next.t(lang)
            )
        })
        .unwrap_or_default();
    format!(
        "<form class=\"search\" method=\"get\" action=\"/console/members\"><input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"{}\" maxlength=\"64\"><button>{}</button><a class=\"export\" href=\"/console/exports/members.csv\">{}</a></form>\
         <table><thead><tr><th>ID</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{body}</tbody></table>{pager}",
        esc(q),
        L::SearchHint.t(lang),
        L::Search.t(lang),
        L::ExportCsv.t(lang),
        L::Name.t(lang),
        L::Phone.t(lang),
        L::Tier.t(lang),
        L::Available.t(lang),
        L::Expiring30.t(lang),
    )
}

/// The adjustment form as sent back: its values, the problem next to its field, or a notice.
#[derive(Debug, Clone, Default)]
pub struct AdjustForm {
    pub delta: String,
    pub reason: String,
    /// The transfer form: to whom, how much, why.
    pub to: String,
    pub amount: String,
    pub transfer_reason: String,
    /// The merge form: the duplicate account to fold into this one.
    pub merge_from: String,
    pub merge_reason: String,
    /// (field, message): `delta`, `reason`, or `form` for the whole form.
    pub error: Option<(String, String)>,
    pub notice: Option<String>,
}

pub struct MemberPage<'a> {
    pub csrf: &'a str,
    pub can_adjust: bool,
    /// Whether the role sees phone numbers whole.
    pub phones: bool,
    pub form: &'a AdjustForm,
    pub member: &'a Member,
    pub balance: &'a Balance,
    pub lots: &'a [LotView],
    pub history: &'a Value,
    pub tier: Option<&'a Value>,
    pub orders: &'a Value,
    pub coupons: &'a Value,
    pub appeals: &'a [jifen_app::console::AppealRow],
}

/// A phone as a role sees it: whole, or masked for roles that do not need it.
pub fn shown_phone(phone: Option<&str>, whole: bool) -> Option<String> {
    phone.map(|p| {
        if whole {
            p.to_string()
        } else {
            jifen_app::members::mask_phone(p)
        }
    })
}

pub fn member(lang: Lang, tz: &TimeZone, p: &MemberPage<'_>) -> String {
    let b = p.balance;
    let tier = p
        .tier
        .map(|t| {
            format!(
                "{} <span class=\"muted\">{}</span>",
                esc(t["tier_name"].as_str().unwrap_or("")),
                esc(t["message"].as_str().unwrap_or(""))
            )
        })
        .unwrap_or_else(|| "–".into());
    let cards = [
        card(L::Available.t(lang), &num(b.available)),
        card(L::Pending.t(lang), &num(b.pending)),
        card(L::Reserved.t(lang), &num(b.reserved)),
        card(L::Expiring30.t(lang), &num(b.expiring)),
        card(L::Debt.t(lang), &num(b.debt)),
    ]
    .concat();
    let m = p.member;
    let facts = format!(
        "<p><span class=\"pill\">{}</span> {} · {} {} · {} {}</p><p>{}: {tier}</p>",
        esc(&m.status),
        match (&m.profile.phone, p.phones) {
            (Some(ph), false) => format!(
                "{} <a href=\"/console/members/{}/phone\">{}</a>",
                esc(&jifen_app::members::mask_phone(ph)),
                m.id.0,
                pick(lang, "查看完整号码", "Show the whole number")
            ),
            (ph, _) => esc(ph.as_deref().unwrap_or("")),
        },
        L::Joined.t(lang),
        fmt_time(m.created_at, tz),
        "ID",
        m.id.0,
        L::Tier.t(lang),
    );
    let lots: String = p
        .lots
        .iter()
        .map(|l| {
            format!(
                "<tr><td>#{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                l.lot_id,
                fmt_time(l.earned_at, tz),
                num(l.amount),
                num(l.remaining),
                l.expires_at.map(|e| fmt_time(e, tz)).unwrap_or_else(|| L::Never.t(lang).into()),
                l.status,
            )
        })
        .collect();
    let history: String = p.history["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|h| {
                    let amount = h["amount"].as_i64().unwrap_or(0);
                    format!(
                        "<tr><td>{}</td><td>{}</td><td class=\"num {}\">{}{}</td><td>{}</td></tr>",
                        fmt_time(h["created_at"].as_i64().unwrap_or(0), tz),
                        esc(&code_label(h["code"].as_str().unwrap_or(""), lang)),
                        if amount >= 0 { "pos" } else { "neg" },
                        if amount > 0 { "+" } else { "" },
                        num(amount),
                        esc(h["reason"].as_str().unwrap_or("")),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let orders: String = p.orders["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|o| {
                    format!(
                        "<tr><td>#{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><span class=\"pill\">{}</span></td></tr>",
                        o["order_id"],
                        fmt_time(o["created_at"].as_i64().unwrap_or(0), tz),
                        esc(item_name(lang, o)),
                        num(o["points"].as_i64().unwrap_or(0)),
                        esc(&order_state(lang, o["state"].as_str().unwrap_or(""))),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let coupons: String = p.coupons["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|c| {
                    format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><span class=\"pill\">{}</span></td></tr>",
                        esc(c["code"].as_str().unwrap_or("")),
                        esc(c[if lang == Lang::En { "name_en" } else { "name_zh" }].as_str().unwrap_or("")),
                        fmt_time(c["valid_until"].as_i64().unwrap_or(0), tz),
                        esc(c["status"].as_str().unwrap_or("")),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let empty = |rows: String, cols: usize| {
        if rows.is_empty() {
            format!(
                "<tr><td colspan=\"{cols}\" class=\"muted\">{}</td></tr>",
                L::NoneYet.t(lang)
            )
        } else {
            rows
        }
    };
    let (history, lots, orders, coupons) = (
        empty(history, 4),
        empty(lots, 6),
        empty(orders, 5),
        empty(coupons, 4),
    );
    let f = p.form;
    let field_error = |name: &str| match &f.error {
        Some((field, msg)) if field == name => format!(
            "<div class=\"field-error\" role=\"alert\">{}</div>",
            esc(msg)
        ),
        _ => String::new(),
    };
    let adjust = if p.can_adjust {
        format!(
            "<h2>{}</h2>{}{}<form class=\"adjust\" method=\"post\" action=\"/console/members/{}/adjust\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <div class=\"field\"><label for=\"delta\">{}</label><input type=\"text\" id=\"delta\" name=\"delta\" value=\"{}\" placeholder=\"{}\" inputmode=\"numeric\">{}</div>\
             <div class=\"field grow\"><label for=\"reason\">{}</label><input type=\"text\" id=\"reason\" name=\"reason\" value=\"{}\" maxlength=\"500\">{}</div>\
             <button type=\"submit\">{}</button></form>",
            L::AdjustPoints.t(lang),
            f.notice
                .as_ref()
                .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
                .unwrap_or_default(),
            field_error("form"),
            m.id.0,
            esc(p.csrf),
            L::Delta.t(lang),
            esc(&f.delta),
            L::DeltaHint.t(lang),
            field_error("delta"),
            L::Reason.t(lang),
            esc(&f.reason),
            field_error("reason"),
            L::Submit.t(lang),
        )
    } else {
        String::new()
    };
    let input = |id: &str, label: &str, value: &str, hint: &str, grow: bool| {
        format!(
            "<div class=\"field{}\"><label for=\"{id}\">{label}</label><input type=\"text\" id=\"{id}\" name=\"{id}\" value=\"{}\" placeholder=\"{}\">{}</div>",
            if grow { " grow" } else { "" },
            esc(value),
            esc(hint),
            field_error(id)
        )
    };
    let more = if p.can_adjust {
        format!(
            "<div class=\"two\"><section><h2>{}</h2>{}<form class=\"adjust\" method=\"post\" action=\"/console/members/{id}/transfer\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{}{}{}<button type=\"submit\">{}</button></form></section>\
             <section><h2>{}</h2>{}<form class=\"adjust\" method=\"post\" action=\"/console/members/{id}/merge\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{}{}\
             <div class=\"field\"><label><input type=\"checkbox\" name=\"confirm\" value=\"1\"> {}</label>{}</div><button type=\"submit\" class=\"reject\">{}</button></form></section></div>",
            pick(lang, "转赠积分", "Transfer points"),
            field_error("transfer_form"),
            input(
                "to",
                pick(lang, "转给（会员ID或手机号）", "To (member id or phone)"),
                &f.to,
                "13900139000",
                false
            ),
            input(
                "amount",
                pick(lang, "积分", "Points"),
                &f.amount,
                "500",
                false
            ),
            input(
                "transfer_reason",
                L::Reason.t(lang),
                &f.transfer_reason,
                "",
                true
            ),
            pick(lang, "转赠", "Transfer"),
            pick(lang, "合并重复账户", "Merge a duplicate account"),
            field_error("merge_form"),
            input(
                "merge_from",
                pick(
                    lang,
                    "被合并账户（会员ID或手机号）",
                    "Duplicate (member id or phone)"
                ),
                &f.merge_from,
                "",
                false
            ),
            input("merge_reason", L::Reason.t(lang), &f.merge_reason, "", true),
            pick(lang, "已核实为同一人", "Checked: same person"),
            field_error("confirm"),
            pick(lang, "合并到本账户", "Merge into this account"),
            id = m.id.0,
            csrf = esc(p.csrf),
        )
    } else {
        String::new()
    };
    let appeals: String = p
        .appeals
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{} #{}</td><td>{}</td><td><span class=\"pill\">{}</span></td><td>{}</td></tr>",
                fmt_time(a.created_at, tz),
                esc(&a.subject),
                a.subject_id,
                esc(&a.message),
                esc(&a.status),
                esc(a.answer.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let appeals = empty(appeals, 5);
    format!(
        "{facts}<div class=\"cards\">{cards}</div>{adjust}{more}\
         <h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{history}</tbody></table>\
         <h2>{}</h2><table><thead><tr><th>#</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{lots}</tbody></table>\
         <h2>{}</h2><table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{orders}</tbody></table>\
         <h2>{}</h2><table><thead><tr><th>Code</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{coupons}</tbody></table>\
         <h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{appeals}</tbody></table>",
        L::History.t(lang),
        L::Time.t(lang),
        L::Kind.t(lang),
        L::Points.t(lang),
        L::Reason.t(lang),
        L::Lots.t(lang),
        L::Time.t(lang),
        L::Amount.t(lang),
        L::Remaining.t(lang),
        L::ExpiresAt.t(lang),
        L::Status.t(lang),
        L::Orders.t(lang),
        L::Time.t(lang),
        L::Item.t(lang),
        L::Points.t(lang),
        L::State.t(lang),
        L::Coupons.t(lang),
        L::Title.t(lang),
        L::ExpiresAt.t(lang),
        L::Status.t(lang),
        L::Appeals.t(lang),
        L::Time.t(lang),
        L::Subject.t(lang),
        pick(lang, "申诉内容", "Message"),
        L::Status.t(lang),
        L::Answer.t(lang),
    )
}

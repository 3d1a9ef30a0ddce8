//! The member list and one member's page: balance, lots, history, orders, coupons, appeals and the adjustment form.

use super::*;
use crate::forms::field_error;
use jifen_app::activity::ActivityPage;
use jifen_app::coupons::CouponList;
use jifen_app::mall::OrdersPage;

/// The member list as a page shows it: the query as typed, its answer or the field at fault,
/// the programme's tiers to choose from, and whether phones are shown whole.
pub struct MembersView<'a> {
    pub query: &'a jifen_app::console::MemberListQuery,
    pub page: Option<&'a jifen_app::console::MemberListPage>,
    pub error: Option<(String, String)>,
    /// (code, 中文, English)
    pub tiers: Vec<(String, String, String)>,
    pub phones: bool,
}

/// The list's address with the query's filters and sort, on page `page`.
fn members_href(q: &jifen_app::console::MemberListQuery, page: i64) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("tier", &q.tier),
        ("min_balance", &q.min_balance),
        ("max_balance", &q.max_balance),
        ("joined_from", &q.joined_from),
        ("joined_to", &q.joined_to),
        ("sort", &q.sort),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", urlencoding_min(v)));
        }
    }
    parts.push(format!("page={page}"));
    format!("/console/members?{}", parts.join("&amp;"))
}

/// Percent-encodes what a query value may hold beyond letters, digits and `-_.`.
fn urlencoding_min(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The filters: tier, balance range, join dates and sort, each keeping what was typed.
fn member_filters(lang: Lang, v: &MembersView) -> String {
    let q = v.query;
    let val = |o: &Option<String>| esc(o.as_deref().unwrap_or(""));
    let e = v.error.as_ref();
    let tiers: String = v
        .tiers
        .iter()
        .map(|(code, zh, en)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                esc(code),
                if q.tier.as_deref() == Some(code) {
                    " selected"
                } else {
                    ""
                },
                esc(pick(lang, zh, en))
            )
        })
        .collect();
    let by_balance = q.sort.as_deref() == Some("balance");
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/console/members\">\
         <div class=\"field\"><label for=\"tier\">{}</label><select id=\"tier\" name=\"tier\"><option value=\"\">{}</option>{tiers}</select>{}</div>\
         <div class=\"field\"><label for=\"min_balance\">{}</label><input type=\"text\" id=\"min_balance\" name=\"min_balance\" inputmode=\"numeric\" value=\"{}\">{}</div>\
         <div class=\"field\"><label for=\"max_balance\">{}</label><input type=\"text\" id=\"max_balance\" name=\"max_balance\" inputmode=\"numeric\" value=\"{}\">{}</div>\
         <div class=\"field\"><label for=\"joined_from\">{}</label><input type=\"date\" id=\"joined_from\" name=\"joined_from\" value=\"{}\">{}</div>\
         <div class=\"field\"><label for=\"joined_to\">{}</label><input type=\"date\" id=\"joined_to\" name=\"joined_to\" value=\"{}\">{}</div>\
         <div class=\"field\"><label for=\"sort\">{}</label><select id=\"sort\" name=\"sort\"><option value=\"newest\">{}</option><option value=\"balance\"{}>{}</option></select></div>\
         <button>{}</button></form>",
        pick(lang, "等级", "Tier"),
        pick(lang, "全部等级", "All tiers"),
        field_error(e, "tier"),
        pick(lang, "积分不少于", "Balance from"),
        val(&q.min_balance),
        field_error(e, "min_balance"),
        pick(lang, "积分不多于", "Balance up to"),
        val(&q.max_balance),
        field_error(e, "max_balance"),
        pick(lang, "注册日期从", "Joined from"),
        val(&q.joined_from),
        field_error(e, "joined_from"),
        pick(lang, "注册日期到", "Joined up to"),
        val(&q.joined_to),
        field_error(e, "joined_to"),
        pick(lang, "排序", "Sort"),
        pick(lang, "最新注册", "Newest first"),
        if by_balance { " selected" } else { "" },
        pick(lang, "积分从高到低", "Balance, high to low"),
        pick(lang, "筛选", "Filter"),
    )
}

pub fn members(lang: Lang, v: &MembersView) -> String {
    let rows = v.page.map(|p| p.rows.as_slice()).unwrap_or(&[]);
    let phones = v.phones;
    let q = v.query.text.as_deref().unwrap_or("");
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
    let pager = match v.page {
        Some(p) if v.query.text.is_none() => {
            let prev = if p.page > 1 {
                {
                    format!(
                        "<a href=\"{}\" rel=\"prev\">← {}</a>",
                        members_href(v.query, p.page - 1),
                        pick(lang, "上一页", "Previous")
                    )
                }
            } else {
                Default::default()
            };
            let next = if p.page < p.pages {
                {
                    format!(
                        "<a href=\"{}\" rel=\"next\">{} →</a>",
                        members_href(v.query, p.page + 1),
                        L::Next.t(lang)
                    )
                }
            } else {
                Default::default()
            };
            format!(
                "<div class=\"pager\"><span class=\"muted\">{}</span>{prev}{next}</div>",
                match lang {
                    Lang::Zh => format!(
                        "共 {} 位会员 · 第 {} / {} 页",
                        num(p.total),
                        p.page,
                        p.pages
                    ),
                    Lang::En => format!("{} found · page {} of {}", num(p.total), p.page, p.pages),
                }
            )
        }
        _ => String::new(),
    };
    format!(
        "<form class=\"search\" method=\"get\" action=\"/console/members\"><input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"{}\" maxlength=\"64\"><button>{}</button><a class=\"export\" href=\"/console/exports/members.csv\">{}</a></form>{}\
         <table><thead><tr><th>ID</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{body}</tbody></table>{pager}",
        esc(q),
        L::SearchHint.t(lang),
        L::Search.t(lang),
        L::ExportCsv.t(lang),
        member_filters(lang, v),
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
    pub history: &'a ActivityPage,
    pub tier: Option<&'a jifen_app::tiers::TierProgress>,
    pub orders: &'a OrdersPage,
    pub coupons: &'a CouponList,
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

/// One member's page: the facts, the balance cards, the forms of staff who may change points,
/// and the tables of history, lots, orders, coupons and appeals.
pub fn member(lang: Lang, tz: &TimeZone, p: &MemberPage<'_>) -> String {
    let (adjust, more) = if p.can_adjust {
        (adjust_form(lang, p), transfer_and_merge_forms(lang, p))
    } else {
        (String::new(), String::new())
    };
    format!(
        "{}<div class=\"cards\">{}</div>{adjust}{more}{}{}{}{}{}",
        member_facts(lang, tz, p),
        balance_cards(lang, p.balance),
        history_table(lang, tz, p.history, p.member.id.0),
        lots_table(lang, tz, p.lots),
        orders_table(lang, tz, p.orders),
        coupons_table(lang, tz, p.coupons),
        appeals_table(lang, tz, p.appeals),
    )
}

/// The line of facts: status, phone (masked, with a link to the whole number, for roles that
/// do not see it), when the member joined, the id, and the tier with its message.
fn member_facts(lang: Lang, tz: &TimeZone, p: &MemberPage<'_>) -> String {
    let tier = p
        .tier
        .map(|t| {
            format!(
                "{} <span class=\"muted\">{}</span>",
                esc(&t.tier_name),
                esc(&t.message)
            )
        })
        .unwrap_or_else(|| "–".into());
    let m = p.member;
    format!(
        "<p><span class=\"pill\">{}</span> {} · {} {} · {} {}</p><p>{}: {tier}</p>",
        esc(&words::text(
            words::MEMBER_STATUSES,
            &m.status,
            lang == Lang::En
        )),
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
    )
}

/// The balance cards: available, pending, reserved, expiring within 30 days, and debt.
fn balance_cards(lang: Lang, b: &Balance) -> String {
    [
        card(L::Available.t(lang), &num(b.available)),
        card(L::Pending.t(lang), &num(b.pending)),
        card(L::Reserved.t(lang), &num(b.reserved)),
        card(L::Expiring30.t(lang), &num(b.expiring)),
        card(L::Debt.t(lang), &num(b.debt)),
    ]
    .concat()
}

/// The adjustment form: its notice, its form-level error, the delta and the reason.
fn adjust_form(lang: Lang, p: &MemberPage<'_>) -> String {
    let f = p.form;
    let field_error = |name: &str| crate::forms::field_error(f.error.as_ref(), name);
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
        p.member.id.0,
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
}

/// A text field of the transfer and merge forms, with its error (`grow` widens it).
fn member_input(
    f: &AdjustForm,
    id: &str,
    label: &str,
    value: &str,
    hint: &str,
    grow: bool,
) -> String {
    format!(
        "<div class=\"field{}\"><label for=\"{id}\">{label}</label><input type=\"text\" id=\"{id}\" name=\"{id}\" value=\"{}\" placeholder=\"{}\">{}</div>",
        if grow { " grow" } else { "" },
        esc(value),
        esc(hint),
        crate::forms::field_error(f.error.as_ref(), id)
    )
}

/// The transfer form (to whom, how much, why) and the merge form (the duplicate account, why,
/// and the check that it is the same person), side by side.
fn transfer_and_merge_forms(lang: Lang, p: &MemberPage<'_>) -> String {
    let f = p.form;
    let field_error = |name: &str| crate::forms::field_error(f.error.as_ref(), name);
    format!(
        "<div class=\"two\"><section><h2>{}</h2>{}<form class=\"adjust\" method=\"post\" action=\"/console/members/{id}/transfer\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{}{}{}<button type=\"submit\">{}</button></form></section>\
         <section><h2>{}</h2>{}<form class=\"adjust\" method=\"post\" action=\"/console/members/{id}/merge\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{}{}\
         <div class=\"confirm-row\"><div class=\"field confirm\"><label><input type=\"checkbox\" name=\"confirm\" value=\"1\"> {}</label>{}</div><button type=\"submit\" class=\"reject\">{}</button></div></form></section></div>",
        pick(lang, "转赠积分", "Transfer points"),
        field_error("transfer_form"),
        member_input(
            f,
            "to",
            pick(lang, "转给（会员ID或手机号）", "To (member id or phone)"),
            &f.to,
            "13900139000",
            false
        ),
        member_input(
            f,
            "amount",
            pick(lang, "积分", "Points"),
            &f.amount,
            "500",
            false
        ),
        member_input(
            f,
            "transfer_reason",
            L::Reason.t(lang),
            &f.transfer_reason,
            "",
            true
        ),
        pick(lang, "转赠", "Transfer"),
        pick(lang, "合并重复账户", "Merge a duplicate account"),
        field_error("merge_form"),
        member_input(
            f,
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
        member_input(
            f,
            "merge_reason",
            L::Reason.t(lang),
            &f.merge_reason,
            "",
            true
        ),
        pick(lang, "已核实为同一人", "Checked: same person"),
        field_error("confirm"),
        pick(lang, "合并到本账户", "Merge into this account"),
        id = p.member.id.0,
        csrf = esc(p.csrf),
    )
}

/// A table under its title: the head's cells, then the rows, or one row across `cols` columns
/// saying there are none yet.
fn titled_table(lang: Lang, title: &str, head: String, rows: String, cols: usize) -> String {
    format!(
        "<h2>{title}</h2><table><thead><tr>{head}</tr></thead><tbody>{}</tbody></table>",
        or_none_yet(lang, rows, cols)
    )
}

/// The points history, one line per business event: time, kind with its state, signed amount
/// and reason.
fn history_table(lang: Lang, tz: &TimeZone, history: &ActivityPage, member: i64) -> String {
    let rows = history
        .lines
        .iter()
        .map(|h| {
            format!(
                "<tr><td>{}</td><td>{} {}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                fmt_time(h.created_at, tz),
                esc(&code_label(&h.code, lang)),
                crate::page::line_state(lang, tz, h),
                crate::page::line_amount(h),
                esc(h.reason.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let head = format!(
        "<th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th>",
        L::Time.t(lang),
        L::Kind.t(lang),
        L::Points.t(lang),
        L::Reason.t(lang),
    );
    let all = format!(
        "<p><a href=\"/console/members/{member}/history\">{} →</a></p>",
        pick(
            lang,
            "全部积分明细（可筛选）",
            "The whole history, with filters"
        )
    );
    titled_table(lang, L::History.t(lang), head, rows, 4) + &all
}

/// The lots: when each was earned, its amount, what remains, when it expires, its status.
fn lots_table(lang: Lang, tz: &TimeZone, lots: &[LotView]) -> String {
    let rows = lots
        .iter()
        .map(|l| {
            format!(
                "<tr><td>#{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                l.lot_id,
                fmt_time(l.earned_at, tz),
                num(l.amount),
                num(l.remaining),
                l.expires_at.map(|e| fmt_time(e, tz)).unwrap_or_else(|| L::Never.t(lang).into()),
                words::text(words::LOT_STATUSES, l.status, lang == Lang::En),
            )
        })
        .collect();
    let head = format!(
        "<th>#</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th>",
        L::Time.t(lang),
        L::Amount.t(lang),
        L::Remaining.t(lang),
        L::ExpiresAt.t(lang),
        L::Status.t(lang),
    );
    // Lots are many small rows (a sign-in makes one): folded until asked for.
    format!(
        "<details class=\"lots\"><summary>{} ({})</summary>{}</details>",
        L::Lots.t(lang),
        lots.len(),
        titled_table(lang, L::Lots.t(lang), head, rows, 6)
    )
}

/// The member's mall orders: number, time, item, points and state.
fn orders_table(lang: Lang, tz: &TimeZone, orders: &OrdersPage) -> String {
    let rows = orders
        .items
        .iter()
        .map(|o| {
            format!(
                "<tr><td>#{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><span class=\"pill\">{}</span></td></tr>",
                o.order_id,
                fmt_time(o.created_at, tz),
                esc(o.item_name(lang == Lang::En)),
                num(o.points),
                esc(&order_state(lang, &o.state)),
            )
        })
        .collect();
    let head = format!(
        "<th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th>",
        L::Time.t(lang),
        L::Item.t(lang),
        L::Points.t(lang),
        L::State.t(lang),
    );
    titled_table(lang, L::Orders.t(lang), head, rows, 5)
}

/// The member's coupons: code, title, valid until, status.
fn coupons_table(lang: Lang, tz: &TimeZone, coupons: &CouponList) -> String {
    let rows = coupons
        .items
        .iter()
        .map(|c| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><span class=\"pill\">{}</span></td></tr>",
                esc(&c.code),
                esc(if lang == Lang::En { &c.name_en } else { &c.name_zh }),
                fmt_time(c.valid_until, tz),
                esc(&words::text(words::COUPON_STATUSES, &c.status, lang == Lang::En)),
            )
        })
        .collect();
    let head = format!(
        "<th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
        pick(lang, "券码", "Code"),
        L::Title.t(lang),
        L::ExpiresAt.t(lang),
        L::Status.t(lang),
    );
    titled_table(lang, L::Coupons.t(lang), head, rows, 4)
}

/// The member's appeals: when, about what, the message, the status and the answer.
fn appeals_table(lang: Lang, tz: &TimeZone, appeals: &[jifen_app::console::AppealRow]) -> String {
    let rows = appeals
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
    let head = format!(
        "<th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
        L::Time.t(lang),
        L::Subject.t(lang),
        pick(lang, "申诉内容", "Message"),
        L::Status.t(lang),
        L::Answer.t(lang),
    );
    titled_table(lang, L::Appeals.t(lang), head, rows, 5)
}

pub(super) fn card(label: &str, value: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div></div>"
    )
}

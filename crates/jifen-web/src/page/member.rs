//! The member list and one member's page (balance, lots, history, orders, coupons, appeals, the
//! staff forms on points and the account card) as typed views for `templates/console/members.html`
//! and `member.html`.

use super::*;
use crate::forms::{Choice, FormState, choices};
use crate::frame::Frame;
use askama::Template;
use jifen_app::activity::ActivityPage;
use jifen_app::coupons::CouponList;
use jifen_app::mall::OrdersPage;

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
    format!("/console/members?{}", parts.join("&"))
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

/// The filters as typed.
pub struct MemberFilters {
    pub min_balance: String,
    pub max_balance: String,
    pub joined_from: String,
    pub joined_to: String,
}

/// A member as the list shows it.
pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub tier: String,
    pub available: String,
    pub expiring: String,
}

/// The count and the links to the pages either side.
pub struct Pager {
    pub summary: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/members.html")]
pub struct MembersPage {
    pub frame: Frame,
    pub q: String,
    pub form: FormState,
    pub tiers: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub filters: MemberFilters,
    pub rows: Vec<MemberRow>,
    pub pager: Option<Pager>,
}

/// The member list as a page shows it: the query as typed, its answer or the field at fault
/// (`error`), and the programme's tiers (code, 中文, English).
pub fn members(
    frame: Frame,
    query: &jifen_app::console::MemberListQuery,
    page: Option<&jifen_app::console::MemberListPage>,
    error: Option<(String, String)>,
    tiers: &[(String, String, String)],
) -> MembersPage {
    let lang = frame.lang;
    let val = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut tier_choices = vec![("", pick(lang, "全部等级", "All tiers").to_string())];
    tier_choices.extend(
        tiers
            .iter()
            .map(|(code, zh, en)| (code.as_str(), pick(lang, zh, en).to_string())),
    );
    let sorts = [
        ("newest", pick(lang, "最新注册", "Newest first")),
        (
            "balance",
            pick(lang, "积分从高到低", "Balance, high to low"),
        ),
    ];
    let rows = page
        .map(|p| p.members.as_slice())
        .unwrap_or(&[])
        .iter()
        .map(|r| MemberRow {
            id: r.member_id.0,
            name: r.name.clone().unwrap_or_else(|| "–".into()),
            // Masked by the use case for a role that does not see phones.
            phone: r.phone.clone().unwrap_or_else(|| "–".into()),
            tier: pick(lang, &r.tier_zh, &r.tier_en).to_string(),
            available: num(r.points.available),
            expiring: num(r.points.expiring),
        })
        .collect();
    // A text search answers one page; the filters page through all their matches.
    let pager = page.filter(|_| query.text.is_none()).map(|p| Pager {
        summary: match lang {
            Lang::Zh => format!(
                "共 {} 位会员 · 第 {} / {} 页",
                num(p.total),
                p.page,
                p.pages
            ),
            Lang::En => format!("{} found · page {} of {}", num(p.total), p.page, p.pages),
        },
        prev: (p.page > 1).then(|| members_href(query, p.page - 1)),
        next: (p.page < p.pages).then(|| members_href(query, p.page + 1)),
    });
    MembersPage {
        q: query.text.clone().unwrap_or_default(),
        form: FormState {
            csrf: frame.csrf.clone(),
            key: String::new(),
            error,
        },
        frame,
        tiers: choices(&tier_choices, query.tier.as_deref().unwrap_or("")),
        sorts: choices(&sorts, query.sort.as_deref().unwrap_or("newest")),
        filters: MemberFilters {
            min_balance: val(&query.min_balance),
            max_balance: val(&query.max_balance),
            joined_from: val(&query.joined_from),
            joined_to: val(&query.joined_to),
        },
        rows,
        pager,
    }
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
    pub can_adjust: bool,
    /// Whether the role sees phone numbers whole.
    pub phones: bool,
    /// Whether the role manages the account (freeze, erase, profile).
    pub manages: bool,
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

/// A history line as the console shows it: its state when it is not simply done (the tone's
/// class and the words), and its points as shown.
pub struct HistoryRow {
    pub time: String,
    pub kind: String,
    pub state: Option<(&'static str, String)>,
    pub amount: LinePoints,
    pub reason: String,
    /// Who made it, in words (empty for the system).
    pub actor: String,
}

impl HistoryRow {
    pub fn of(lang: Lang, tz: &TimeZone, l: &jifen_app::activity::ActivityLine) -> HistoryRow {
        HistoryRow {
            time: fmt_time(l.created_at, tz),
            kind: code_label(&l.code, lang),
            state: line_badge(lang, tz, l),
            amount: line_points(l),
            reason: l.reason.clone().unwrap_or_default(),
            actor: l
                .actor
                .as_deref()
                .map(|a| actor_label(lang, a))
                .unwrap_or_default(),
        }
    }
}

pub struct LotRow {
    pub id: i64,
    pub earned: String,
    pub amount: String,
    pub remaining: String,
    pub expires: String,
    pub status: String,
}

pub struct OrderRow {
    pub id: i64,
    pub time: String,
    pub item: String,
    pub points: String,
    pub state: String,
}

pub struct CouponRow {
    pub code: String,
    pub title: String,
    pub until: String,
    pub status: String,
}

pub struct AppealLine {
    pub time: String,
    pub subject: String,
    pub subject_id: i64,
    pub message: String,
    pub status: String,
    pub answer: String,
}

/// The account card, for roles that manage members.
pub struct AccountCard {
    pub frozen: bool,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub birthday: String,
}

#[derive(Template)]
#[template(path = "console/member.html")]
pub struct MemberView {
    pub frame: Frame,
    pub id: i64,
    pub status: String,
    /// The phone masked, for roles that see it only on asking; else `phone` whole.
    pub masked_phone: Option<String>,
    pub phone: String,
    pub joined: String,
    /// The tier's name and its message.
    pub tier: Option<(String, String)>,
    pub cards: Vec<(&'static str, String)>,
    pub can_adjust: bool,
    pub notice: Option<String>,
    pub form: FormState,
    pub v: AdjustForm,
    pub history: Vec<HistoryRow>,
    pub lots: Vec<LotRow>,
    pub orders: Vec<OrderRow>,
    pub coupons: Vec<CouponRow>,
    pub appeals: Vec<AppealLine>,
    pub account: Option<AccountCard>,
}

/// What an appeal is about, in words.
pub fn appeal_subject(lang: Lang, subject: &str) -> String {
    match subject {
        "line" => pick(lang, "积分明细", "Points line").into(),
        "order" => pick(lang, "订单", "Order").into(),
        other => other.into(),
    }
}

/// An appeal's status, in words.
pub fn appeal_status(lang: Lang, status: &str) -> String {
    match status {
        "open" => pick(lang, "待处理", "Open").into(),
        "resolved" => pick(lang, "已解决", "Resolved").into(),
        "rejected" => pick(lang, "已驳回", "Rejected").into(),
        other => other.into(),
    }
}

/// One member's page: the facts, the balance cards, the forms of staff who may change points,
/// the tables of history, lots, orders, coupons and appeals, and the account card.
pub fn member(frame: Frame, tz: &TimeZone, p: &MemberPage<'_>) -> MemberView {
    let lang = frame.lang;
    let en = lang == Lang::En;
    let m = p.member;
    let b = p.balance;
    let (masked_phone, phone) = match (&m.profile.phone, p.phones) {
        (Some(ph), false) => (Some(jifen_app::members::mask_phone(ph)), String::new()),
        (ph, _) => (None, ph.clone().unwrap_or_default()),
    };
    MemberView {
        id: m.id.0,
        status: words::text(words::MEMBER_STATUSES, &m.status, en),
        masked_phone,
        phone,
        joined: fmt_time(m.created_at, tz),
        tier: p.tier.map(|t| (t.tier_name.clone(), t.message.clone())),
        cards: vec![
            (L::Available.t(lang), num(b.available)),
            (L::Pending.t(lang), num(b.pending)),
            (L::Reserved.t(lang), num(b.reserved)),
            (L::Expiring30.t(lang), num(b.expiring)),
            (L::Debt.t(lang), num(b.debt)),
        ],
        can_adjust: p.can_adjust,
        notice: p.form.notice.clone(),
        form: FormState {
            csrf: frame.csrf.clone(),
            key: String::new(),
            error: p.form.error.clone(),
        },
        v: p.form.clone(),
        history: p
            .history
            .lines
            .iter()
            .map(|h| HistoryRow::of(lang, tz, h))
            .collect(),
        lots: p
            .lots
            .iter()
            .map(|l| LotRow {
                id: l.lot_id,
                earned: fmt_time(l.earned_at, tz),
                amount: num(l.amount),
                remaining: num(l.remaining),
                expires: l
                    .expires_at
                    .map(|e| fmt_time(e, tz))
                    .unwrap_or_else(|| L::Never.t(lang).into()),
                status: words::text(words::LOT_STATUSES, l.status, en),
            })
            .collect(),
        orders: p
            .orders
            .items
            .iter()
            .map(|o| OrderRow {
                id: o.order_id,
                time: fmt_time(o.created_at, tz),
                item: o.item_name(en).to_string(),
                points: num(o.points),
                state: order_state(lang, &o.state),
            })
            .collect(),
        coupons: p
            .coupons
            .items
            .iter()
            .map(|c| CouponRow {
                code: c.code.clone(),
                title: if en { &c.name_en } else { &c.name_zh }.clone(),
                until: fmt_time(c.valid_until, tz),
                status: words::text(words::COUPON_STATUSES, &c.status, en),
            })
            .collect(),
        appeals: p
            .appeals
            .iter()
            .map(|a| AppealLine {
                time: fmt_time(a.created_at, tz),
                subject: appeal_subject(lang, &a.subject),
                subject_id: a.subject_id,
                message: a.message.clone(),
                status: appeal_status(lang, &a.status),
                answer: a.answer.clone().unwrap_or_default(),
            })
            .collect(),
        account: p.manages.then(|| AccountCard {
            frozen: m.status == "frozen",
            name: m.profile.name.clone().unwrap_or_default(),
            phone: m.profile.phone.clone().unwrap_or_default(),
            email: m.profile.email.clone().unwrap_or_default(),
            birthday: m.profile.birthday.clone().unwrap_or_default(),
        }),
        frame,
    }
}

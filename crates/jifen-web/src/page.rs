//! The console's HTML: words in both languages, formatting, and one function per page.

use jifen_app::console::{Member, MemberListRow};
use jifen_app::overview::{Figures, OverviewView, TopItem};
use jifen_app::staff::Session;
use jifen_app::views::{Balance, LotView};
use jifen_domain::words;
use jiff::tz::TimeZone;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// Every word the console shows, in Chinese and English.
#[derive(Debug, Clone, Copy)]
pub enum L {
    Console,
    SignIn,
    SignOut,
    Program,
    Login,
    Password,
    WrongLogin,
    TooMany,
    FormExpired,
    FillAll,
    NotFound,
    Overview,
    Members,
    MembersTotal,
    Outstanding,
    Issued14,
    Spent14,
    RedemptionRate,
    OpenHolds,
    RecentOrders,
    NoOrders,
    Search,
    SearchHint,
    Name,
    Phone,
    Tier,
    Available,
    Pending,
    Reserved,
    Expiring30,
    Joined,
    Next,
    NoMembers,
    Lots,
    History,
    Orders,
    Coupons,
    Amount,
    Remaining,
    ExpiresAt,
    Status,
    Reason,
    Time,
    Kind,
    Title,
    AuditLog,
    Appeals,
    Release,
    Answered,
    DueIn,
    Overdue,
    Resolve,
    Answer,
    Subject,
    ExportCsv,
    NoAccess,
    Actor,
    Action,
    Target,
    Before,
    After,
    Filter,
    Applied,
    SentForApproval,
    WholeNumber,
    Approved,
    Rejected,
    Approvals,
    AdjustPoints,
    Delta,
    DeltaHint,
    Approve,
    Reject,
    RequestedBy,
    NoApprovals,
    Submit,
    NoneYet,
    Item,
    State,
    Points,
    Never,
    Debt,
    IssuedLegend,
    SpentLegend,
}

impl L {
    pub fn t(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            L::Console => ("积分运营后台", "Loyalty console"),
            L::SignIn => ("登录", "Sign in"),
            L::SignOut => ("退出", "Sign out"),
            L::Program => ("会员计划", "Programme"),
            L::Login => ("账号", "Login"),
            L::Password => ("密码", "Password"),
            L::WrongLogin => ("账号或密码错误", "The login or the password is wrong"),
            L::TooMany => (
                "尝试次数过多，请稍后再试",
                "Too many attempts; try again a little later",
            ),
            L::FormExpired => (
                "表单已过期，请重新提交",
                "The form expired; please send it again",
            ),
            L::FillAll => (
                "请填写会员计划、账号和密码",
                "Fill in the programme, login and password",
            ),
            L::NotFound => ("未找到", "Not found"),
            L::Overview => ("概览", "Overview"),
            L::Members => ("会员", "Members"),
            L::MembersTotal => ("会员总数", "Members"),
            L::Outstanding => ("未使用积分", "Points outstanding"),
            L::Issued14 => ("近14天发放", "Issued, last 14 days"),
            L::Spent14 => ("近14天消耗", "Spent, last 14 days"),
            L::RedemptionRate => ("消耗/发放（14天）", "Spent / issued (14 days)"),
            L::OpenHolds => ("待审风控", "Risk holds to review"),
            L::RecentOrders => ("最新兑换订单", "Recent mall orders"),
            L::NoOrders => ("暂无订单", "No orders yet"),
            L::Search => ("搜索", "Search"),
            L::SearchHint => ("手机号、外部ID或姓名", "Phone, external id or name"),
            L::Name => ("姓名", "Name"),
            L::Phone => ("手机号", "Phone"),
            L::Tier => ("等级", "Tier"),
            L::Available => ("可用积分", "Available"),
            L::Pending => ("待生效", "Pending"),
            L::Reserved => ("冻结中", "Reserved"),
            L::Expiring30 => ("30天内过期", "Expiring in 30 days"),
            L::Joined => ("入会时间", "Joined"),
            L::Next => ("下一页", "Next page"),
            L::NoMembers => ("没有找到会员", "No members found"),
            L::Lots => ("积分批次", "Lots"),
            L::History => ("积分明细", "Points history"),
            L::Orders => ("兑换订单", "Mall orders"),
            L::Coupons => ("优惠券", "Coupons"),
            L::Amount => ("数量", "Amount"),
            L::Remaining => ("剩余", "Remaining"),
            L::ExpiresAt => ("过期时间", "Expires"),
            L::Status => ("状态", "Status"),
            L::Reason => ("原因", "Reason"),
            L::Time => ("时间", "Time"),
            L::Kind => ("类型", "Type"),
            L::Title => ("名称", "Name"),
            L::AuditLog => ("操作日志", "Audit log"),
            L::Appeals => ("申诉处理", "Appeals"),
            L::Release => ("放行", "Release"),
            L::Answered => ("已答复会员", "The member has the answer"),
            L::DueIn => ("剩余", "Due in"),
            L::Overdue => ("已超时", "Overdue by"),
            L::Resolve => ("处理", "Resolve"),
            L::Answer => ("答复", "Answer"),
            L::Subject => ("申诉对象", "About"),
            L::ExportCsv => ("导出 CSV", "Export CSV"),
            L::NoAccess => ("您的角色无权查看此页面", "Your role may not see this page"),
            L::Actor => ("操作人", "Who"),
            L::Action => ("操作", "Action"),
            L::Target => ("对象", "Target"),
            L::Before => ("修改前", "Before"),
            L::After => ("修改后", "After"),
            L::Filter => ("筛选", "Filter"),
            L::Applied => ("积分已调整", "The points were adjusted"),
            L::SentForApproval => (
                "调整超过审批额度，已提交给另一位同事审批",
                "Above the approval threshold: sent to a colleague for approval",
            ),
            L::WholeNumber => (
                "请输入整数积分，例如 500 或 -200",
                "Enter a whole number of points, e.g. 500 or -200",
            ),
            L::Approved => ("已批准并入账", "Approved and posted"),
            L::Rejected => ("已驳回", "Rejected"),
            L::Approvals => ("调整审批", "Approvals"),
            L::AdjustPoints => ("调整积分", "Adjust points"),
            L::Delta => ("积分变动", "Points (+/-)"),
            L::DeltaHint => ("正数增加，负数扣减", "Positive adds, negative deducts"),
            L::Approve => ("批准", "Approve"),
            L::Reject => ("驳回", "Reject"),
            L::RequestedBy => ("申请人", "Requested by"),
            L::NoApprovals => ("没有待审批的调整", "Nothing waits for approval"),
            L::Submit => ("提交", "Submit"),
            L::NoneYet => ("暂无记录", "None yet"),
            L::Item => ("商品", "Item"),
            L::State => ("状态", "State"),
            L::Points => ("积分", "Points"),
            L::Never => ("永久有效", "Never"),
            L::Debt => ("欠分", "Debt"),
            L::IssuedLegend => ("发放", "Issued"),
            L::SpentLegend => ("消耗", "Spent"),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// What a ledger line is, in words: its transfer code.
pub fn code_label(code: &str, lang: Lang) -> String {
    words::ledger_text(code, lang == Lang::En)
}

/// A mall order's state in words.
pub fn order_state(lang: Lang, s: &str) -> String {
    words::text(words::ORDER_STATES, s, lang == Lang::En)
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An integer with thousands separators: 1,234,567.
pub fn num(v: i64) -> String {
    jifen_domain::thousands(v)
}

/// A time in the programme's zone: 2026-12-01 09:30.
pub fn fmt_time(ms: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn fmt_date(ms: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz.clone()).strftime("%m-%d").to_string())
        .unwrap_or_default()
}

fn head(lang: Lang, title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Jifen</title><link rel=\"stylesheet\" href=\"/console/assets/console.css\"></head>",
        if lang == Lang::En { "en" } else { "zh-CN" },
        esc(title)
    )
}

fn lang_switch(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "<span class=\"lang\">中文 · <a href=\"?lang=en\">English</a></span>",
        Lang::En => "<span class=\"lang\"><a href=\"?lang=zh\">中文</a> · English</span>",
    }
}

/// Chinese or English words, by the page's language.
pub fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    if lang == Lang::En { en } else { zh }
}

pub fn layout(lang: Lang, s: &Session, active: &str, title: &str, body: &str) -> String {
    let nav = [
        ("overview", "/console", L::Overview.t(lang)),
        ("members", "/console/members", L::Members.t(lang)),
        ("rules", "/console/rules", pick(lang, "规则", "Rules")),
        ("tiers", "/console/tiers", pick(lang, "等级", "Tiers")),
        ("mall", "/console/mall", pick(lang, "商城", "Mall")),
        ("orders", "/console/orders", L::Orders.t(lang)),
        ("approvals", "/console/approvals", L::Approvals.t(lang)),
        ("appeals", "/console/appeals", L::Appeals.t(lang)),
        ("holds", "/console/risk-holds", pick(lang, "风控", "Risk")),
        ("audit", "/console/audit", L::AuditLog.t(lang)),
        (
            "settings",
            "/console/settings",
            pick(lang, "设置", "Settings"),
        ),
    ]
    .iter()
    // Only what the role may open.
    .filter(|(key, _, _)| match *key {
        "members" | "approvals" | "appeals" | "holds" => s.role.reads_members(),
        "audit" => s.role.audits(),
        _ => true,
    })
    .map(|(key, href, label)| {
        format!(
            "<a href=\"{href}\"{}>{label}</a>",
            if *key == active { " class=\"on\"" } else { "" },
        )
    })
    .collect::<String>();
    format!(
        "{}<body><header class=\"top\"><span class=\"logo\">积分 Jifen</span><nav>{nav}</nav>\
         <span class=\"who\">{} <span class=\"pill\">{}</span>{}\
         <form method=\"post\" action=\"/console/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"link\">{}</button></form></span></header>\
         <main><h1>{}</h1>{body}</main></body></html>",
        head(lang, title),
        esc(&s.name),
        s.role.as_str(),
        lang_switch(lang),
        esc(&s.csrf),
        L::SignOut.t(lang),
        esc(title),
    )
}

pub fn login(lang: Lang, program: &str, login: &str, csrf: &str, error: Option<&str>) -> String {
    format!(
        "{}<body><div class=\"login\"><h1>{}</h1>{}\
         <form method=\"post\" action=\"/console/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"program\">{}</label><input type=\"text\" id=\"program\" name=\"program\" value=\"{}\" required>\
         <label for=\"login\">{}</label><input type=\"text\" id=\"login\" name=\"login\" value=\"{}\" autocomplete=\"username\" required autofocus>\
         <label for=\"password\">{}</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">{}</button></form><p class=\"muted\" style=\"text-align:center;margin-top:16px\">{}</p></div></body></html>",
        head(lang, L::SignIn.t(lang)),
        L::Console.t(lang),
        error
            .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(e)))
            .unwrap_or_default(),
        esc(csrf),
        L::Program.t(lang),
        esc(program),
        L::Login.t(lang),
        esc(login),
        L::Password.t(lang),
        L::SignIn.t(lang),
        lang_switch(lang),
    )
}

fn card(label: &str, value: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div></div>"
    )
}

/// A name in the page's language (`zh`/`en` name the two fields), the Chinese one when the
/// English is empty.
pub fn name_of<'a>(lang: Lang, v: &'a Value, zh: &str, en: &str) -> &'a str {
    let n = v[pick(lang, zh, en)].as_str().unwrap_or("");
    if n.is_empty() {
        v[zh].as_str().unwrap_or("")
    } else {
        n
    }
}

fn item_name(lang: Lang, v: &Value) -> &str {
    name_of(lang, v, "item_name_zh", "item_name_en")
}

pub fn overview(lang: Lang, tz: &TimeZone, o: &OverviewView) -> String {
    let f = &o.figures;
    format!(
        "<div class=\"cards\">{}</div><p class=\"muted as-of\">{} {}</p><h2>{} / {}</h2><div class=\"chart\">{}</div>\
         <div class=\"legend\"><i style=\"background:#e8a27c\"></i>{}<i style=\"background:#7c9ee8\"></i>{}<i style=\"background:#b9bec7\"></i>{}</div>\
         <div class=\"two\"><section><h2>{}</h2><table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table></section>\
         <section><h2>{}</h2><table><thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{}</tbody></table></section></div>",
        overview_cards(lang, o),
        pick(
            lang,
            "汇总数据每分钟更新 · 更新于",
            "Totals refresh every minute · as of"
        ),
        fmt_time(f.as_of, tz),
        L::Issued14.t(lang),
        L::Spent14.t(lang),
        overview_chart(lang, tz, f),
        L::IssuedLegend.t(lang),
        L::SpentLegend.t(lang),
        pick(lang, "过期", "Expired"),
        L::RecentOrders.t(lang),
        L::Time.t(lang),
        L::Item.t(lang),
        L::Points.t(lang),
        L::State.t(lang),
        recent_orders(lang, tz, &o.recent_orders),
        pick(lang, "近30天热门兑换", "Top items, last 30 days"),
        L::Item.t(lang),
        pick(lang, "订单", "Orders"),
        L::Points.t(lang),
        top_items(lang, &f.top_items),
    )
}

fn overview_cards(lang: Lang, o: &OverviewView) -> String {
    let f = &o.figures;
    let rate = if f.total_issued > 0 {
        format!(
            "{:.1}%",
            f.total_spent as f64 * 100.0 / f.total_issued as f64
        )
    } else {
        "–".into()
    };
    [
        card(L::MembersTotal.t(lang), &num(f.members)),
        card(L::Outstanding.t(lang), &num(f.outstanding)),
        card(L::Issued14.t(lang), &num(f.total_issued)),
        card(L::Spent14.t(lang), &num(f.total_spent)),
        card(pick(lang, "30天活跃会员", "Active, last 30 days"), &num(f.active)),
        card(L::RedemptionRate.t(lang), &rate),
        card(
            pick(lang, "近14天过期", "Expired, last 14 days"),
            &num(f.expired.iter().sum()),
        ),
        format!(
            "<a class=\"card\" href=\"/console/appeals\"><div class=\"label\">{}</div><div class=\"value\">{}</div></a>",
            pick(lang, "待处理申诉", "Appeals to answer"),
            num(o.open_appeals as i64)
        ),
        format!(
            "<a class=\"card\" href=\"/console/risk-holds\"><div class=\"label\">{}</div><div class=\"value\">{}</div></a>",
            L::OpenHolds.t(lang),
            num(o.open_holds as i64)
        ),
    ]
    .concat()
}

fn overview_chart(lang: Lang, tz: &TimeZone, f: &Figures) -> String {
    let peak = f
        .issued
        .iter()
        .chain(&f.spent)
        .chain(&f.expired)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    f.issued
        .iter()
        .zip(&f.spent)
        .zip(&f.expired)
        .enumerate()
        .map(|(d, ((i, s), x))| {
            let day = fmt_date(f.from + d as i64 * 86_400_000, tz);
            format!(
                "<div class=\"bar\" title=\"{day}: +{} / -{} / {} {}\"><span class=\"issued\" style=\"height:{}%\"></span><span class=\"spent\" style=\"height:{}%\"></span><span class=\"expired\" style=\"height:{}%\"></span><em>{day}</em></div>",
                num(*i),
                num(*s),
                pick(lang, "过期", "expired"),
                num(*x),
                i * 33 / peak,
                s * 33 / peak,
                x * 33 / peak
            )
        })
        .collect()
}

fn recent_orders(lang: Lang, tz: &TimeZone, recent: &[Value]) -> String {
    if recent.is_empty() {
        return format!(
            "<tr><td colspan=\"5\" class=\"muted\">{}</td></tr>",
            L::NoOrders.t(lang)
        );
    }
    recent
        .iter()
        .map(|v| {
            format!(
                "<tr><td>#{}</td><td>{}</td><td><a href=\"/console/members/{}\">{}</a></td><td class=\"num\">{}</td><td><span class=\"pill\">{}</span></td></tr>",
                v["order_id"],
                fmt_time(v["created_at"].as_i64().unwrap_or(0), tz),
                v["member_id"],
                esc(item_name(lang, v)),
                num(v["points"].as_i64().unwrap_or(0)),
                esc(&order_state(lang, v["state"].as_str().unwrap_or(""))),
            )
        })
        .collect()
}

fn top_items(lang: Lang, top: &[TopItem]) -> String {
    if top.is_empty() {
        return format!(
            "<tr><td colspan=\"3\" class=\"muted\">{}</td></tr>",
            L::NoOrders.t(lang)
        );
    }
    top.iter()
        .map(|t| {
            let name = if lang == Lang::En && !t.name_en.is_empty() {
                &t.name_en
            } else {
                &t.name_zh
            };
            format!(
                "<tr><td><a href=\"/console/mall/items/{}\">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                t.item_id,
                esc(name),
                num(t.orders),
                num(t.points)
            )
        })
        .collect()
}

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
                    esc(&r.requested_by),
                    form("approve", L::Approve),
                    form("reject", L::Reject),
                    m = r.member.0,
                )
            })
            .collect()
    };
    format!(
        "{}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{body}</tbody></table>",
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
                    "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"muted\">{}</td><td class=\"muted\">{}</td></tr>",
                    fmt_time(r.created_at, tz),
                    esc(&r.actor),
                    esc(&r.action),
                    esc(&r.target),
                    esc(r.before.as_deref().unwrap_or("")),
                    esc(r.after.as_deref().unwrap_or("")),
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
        "<form class=\"search\" method=\"get\" action=\"/console/audit\"><input type=\"search\" name=\"actor\" value=\"{}\" placeholder=\"{}\"><input type=\"search\" name=\"action\" value=\"{}\" placeholder=\"{}\"><button>{}</button></form>\
         <table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{body}</tbody></table>{pager}",
        esc(actor),
        L::Actor.t(lang),
        esc(action),
        L::Action.t(lang),
        L::Filter.t(lang),
        L::Time.t(lang),
        L::Actor.t(lang),
        L::Action.t(lang),
        L::Target.t(lang),
        L::Before.t(lang),
        L::After.t(lang),
    )
}

fn hours(ms: i64, lang: Lang) -> String {
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
        "{}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>SLA</th><th>{}</th></tr></thead><tbody>{body}</tbody></table>",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        L::Subject.t(lang),
        L::Reason.t(lang),
        L::Answer.t(lang),
    )
}

/// Awards held by the anti-fraud limits, with release and reject.
pub fn risk_holds(
    lang: Lang,
    tz: &TimeZone,
    holds: &Value,
    s: &Session,
    notice: Option<&str>,
) -> String {
    let rows: String = holds["holds"]
        .as_array()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    let id = h["hold_id"].as_i64().unwrap_or(0);
                    let form = |decision: &str, label: L, class: &str| {
                        format!(
                            "<form method=\"post\" action=\"/console/risk-holds/{id}/{decision}\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"{class}\">{}</button></form>",
                            esc(&s.csrf),
                            label.t(lang)
                        )
                    };
                    format!(
                        "<tr><td>#{id}</td><td>{}</td><td><a href=\"/console/members/{m}\">#{m}</a></td><td class=\"num\">{}</td><td>{}</td><td>{} {}</td></tr>",
                        fmt_time(h["created_at"].as_i64().unwrap_or(0), tz),
                        num(h["points"].as_i64().unwrap_or(0)),
                        esc(h["reason"].as_str().unwrap_or("")),
                        form("release", L::Release, "approve"),
                        form("reject", L::Reject, "reject"),
                        m = h["member_id"],
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let rows = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"6\" class=\"muted\">{}</td></tr>",
            L::NoneYet.t(lang)
        )
    } else {
        rows
    };
    format!(
        "{}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th></th></tr></thead><tbody>{rows}</tbody></table>",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        L::Time.t(lang),
        L::Members.t(lang),
        L::Points.t(lang),
        L::Reason.t(lang),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_thousands_separators_and_text_is_escaped() {
        assert_eq!(num(0), "0");
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(num(-1_000), "-1,000");
        assert_eq!(
            esc("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}

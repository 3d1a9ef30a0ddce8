//! The console's HTML: words in both languages, formatting, and one function per page.

use jifen_app::console::Member;
use jifen_app::views::{Balance, LotView};
use jifen_domain::words;
use jiff::tz::TimeZone;

mod member;
mod queues;
pub(crate) use member::*;
pub(crate) use queues::*;

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
            L::RedemptionRate => ("期间使用/发放", "Spent / issued in range"),
            L::OpenHolds => ("待审风控", "Risk holds to review"),
            L::RecentOrders => ("最新兑换订单", "Recent mall orders"),
            L::NoOrders => ("暂无订单", "No orders yet"),
            L::Search => ("搜索", "Search"),
            L::SearchHint => (
                "手机号、手机尾号、外部ID或姓名",
                "Phone, last 4 digits of a phone, external id or name",
            ),
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

/// A history line's state, when it was not simply done: its tone's class and its words, with
/// the day points waiting will vest.
pub fn line_badge(
    lang: Lang,
    tz: &TimeZone,
    l: &jifen_app::activity::ActivityLine,
) -> Option<(&'static str, String)> {
    use jifen_app::activity::LineState;
    if l.state == LineState::Done {
        return None;
    }
    let en = lang == Lang::En;
    let tone = words::find(words::LINE_STATES, l.state.as_str()).map_or("wait", |w| w.tone.class());
    let word = words::text(words::LINE_STATES, l.state.as_str(), en);
    let when = match l.available_at {
        Some(at) if en => format!(" · available {}", fmt_date(at, tz)),
        Some(at) => format!(" · {} 到账", fmt_date(at, tz)),
        None => String::new(),
    };
    Some((tone, format!("{word}{when}")))
}

/// A history line's points as shown: signed, struck through when none of it happened (voided,
/// released), muted (`wait`) while it waits, else `pos` or `neg`.
pub struct LinePoints {
    pub struck: bool,
    pub class: &'static str,
    pub text: String,
}

pub fn line_points(l: &jifen_app::activity::ActivityLine) -> LinePoints {
    use jifen_app::activity::LineState;
    let signed = |v: i64| format!("{}{}", if v > 0 { "+" } else { "" }, num(v));
    let (struck, class, v) = match l.state {
        LineState::Voided | LineState::Released if l.amount == 0 => (true, "off", l.original),
        LineState::Pending | LineState::Held | LineState::Reserved => (false, "wait", l.amount),
        _ => (false, if l.amount >= 0 { "pos" } else { "neg" }, l.amount),
    };
    LinePoints {
        struck,
        class,
        text: signed(v),
    }
}

/// Who did something, in words: `staff:amy` reads 员工 amy, `member:12` 会员 #12, a key 接口
/// (its name), `system:…` 系统; anything else as it was written (a name the caller gave).
pub fn actor_label(lang: Lang, actor: &str) -> String {
    let (kind, rest) = actor.split_once(':').unwrap_or((actor, ""));
    match kind {
        "staff" => format!("{} {rest}", pick(lang, "员工", "Staff")),
        "member" => format!("{} #{rest}", pick(lang, "会员", "Member")),
        "system" => pick(lang, "系统", "System").to_string(),
        "api_key" => {
            let name = rest
                .split_once('(')
                .map(|(_, n)| n.trim_end_matches(')'))
                .unwrap_or(rest);
            format!("{} {name}", pick(lang, "接口", "API"))
        }
        "login" => format!("{} {rest}", pick(lang, "登录", "Sign-in")),
        _ => actor.to_string(),
    }
}

fn fmt_date(ms: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz.clone()).strftime("%m-%d").to_string())
        .unwrap_or_default()
}

/// Chinese or English words, by the page's language.
pub fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    if lang == Lang::En { en } else { zh }
}

/// The sign-in page.
#[derive(askama::Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    lang: Lang,
    english: bool,
    program: &'a str,
    login: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
}

pub fn login(lang: Lang, program: &str, login: &str, csrf: &str, error: Option<&str>) -> String {
    crate::frame::render(&LoginPage {
        lang,
        english: lang == Lang::En,
        program,
        login,
        csrf,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!(num(0), "0");
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(num(-1_000), "-1,000");
    }
}

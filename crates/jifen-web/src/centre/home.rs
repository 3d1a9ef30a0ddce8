//! The home page as a typed page (`templates/centre/home.html`): the top bar and the balance,
//! the notice, the sign-in, tier and task cards, the open lotteries, the mall within reach, the
//! appeals and the history.

use askama::Template;
use jifen_app::mall::MemberItem;
use jifen_app::member_centre::{Checkin, HomeView, Task, plain_points, task_done};
use jifen_ledger::PointType;
use jifen_rules::{CompiledRule, Period, Trigger};

use super::frame::{CentreFrame, Icon, Tab};
use super::frame::{Cover, Pic};
use super::{HistoryLine, t};
use crate::page::{Lang, num};

#[derive(Template)]
#[template(path = "centre/home.html")]
pub(crate) struct HomePage {
    pub frame: CentreFrame,
    pub programme: String,
    pub name: String,
    /// Points available, and those expiring within 30 days when any are.
    pub available: String,
    pub expiring: Option<String>,
    /// After an action: whether it is a refusal (an alert), and its words.
    pub notice: Option<(bool, &'static str)>,
    /// A make-up sign-in refused, in the page's language.
    pub refusal: Option<String>,
    pub checkin: Checkin,
    pub days: Vec<Day>,
    pub makeup_note: Option<String>,
    pub next_points: Option<String>,
    pub tier: Option<jifen_app::tiers::TierProgress>,
    pub tasks: Vec<TaskRow>,
    pub tasks_open: usize,
    pub invite: Option<Invite>,
    /// The open lotteries: (code, name).
    pub lotteries: Vec<(String, String)>,
    pub mall: Vec<HomeItem>,
    pub appeals: Vec<jifen_app::console::AppealRow>,
    pub history: Vec<HistoryLine>,
}

/// One of the last seven days on the sign-in card.
pub(crate) struct Day {
    pub date: jiff::civil::Date,
    pub class: &'static str,
    pub label: &'static str,
    pub mark: DayMark,
}

pub(crate) enum DayMark {
    Signed,
    /// A missed day the member may sign in for, with the button's name (its cost in it).
    Makeup(String),
    Plain,
}

/// A task's progress: once per period, or a bar with its words.
pub(crate) enum TaskBar {
    Once(&'static str),
    Bar(i64, String),
}

pub(crate) struct TaskRow {
    pub id: i64,
    pub done: bool,
    pub icon: &'static str,
    pub name: String,
    pub text: Option<String>,
    pub progress: Option<TaskBar>,
    /// What it pays: the points and their unit.
    pub pays: Option<(String, &'static str)>,
    /// Where the merchant's app does it (no link, no button).
    pub url: Option<String>,
}

/// The invite card: the code, the link carrying it when the shop's sign-up address is set,
/// and what inviting pays.
pub(crate) struct Invite {
    pub icon: &'static str,
    pub code: String,
    pub link: Option<String>,
    pub rewards: Vec<TaskRow>,
}

/// An item of the mall card.
pub(crate) struct HomeItem {
    pub id: i64,
    pub cover: Cover,
    pub points: String,
    pub cash: Option<String>,
    pub message: String,
}

/// The home page of `h` for the member's link `token`.
pub(crate) fn home_page(
    lang: Lang,
    token: &str,
    ctx: &jifen_app::ProgramCtx,
    h: HomeView,
    lotteries: Vec<(String, String)>,
    done: Option<&str>,
) -> HomePage {
    let HomeView {
        member: m,
        balance,
        tier,
        history,
        mall,
        checkin,
        tasks,
        programme_name,
        referral_url,
        appeals,
    } = h;
    let mut frame = CentreFrame::plain(lang, token, t(lang, "积分中心", "Points centre"));
    frame.tabs = Some(Some(Tab::Home));
    let (invites, tasks): (Vec<&Task>, Vec<&Task>) = tasks
        .iter()
        .partition(|t| t.rule.trigger == Trigger::Referral);
    let invite = (!invites.is_empty()).then(|| {
        let code = format!("M{}", m.id.0);
        // With the shop's sign-up address set, a link that carries the code.
        let link = referral_url
            .as_deref()
            .map(|u| format!("{u}{}ref={code}", if u.contains('?') { '&' } else { '?' }));
        Invite {
            icon: jifen_domain::words::trigger_icon(&Trigger::Referral.as_string()),
            code,
            link,
            rewards: invites.iter().map(|t| task_row(lang, t)).collect(),
        }
    });
    HomePage {
        programme: programme_name,
        name: m.profile.name.clone().unwrap_or_default(),
        available: num(balance.available),
        expiring: (balance.expiring > 0).then(|| num(balance.expiring)),
        notice: notice(lang, done),
        refusal: None,
        days: days(lang, &checkin),
        makeup_note: checkin
            .makeup
            .as_ref()
            .filter(|m| !m.days.is_empty())
            .map(|m| makeup_price(lang, m.cost_points)),
        next_points: checkin.next_points.filter(|p| *p > 0).map(num),
        checkin,
        tier,
        tasks_open: tasks.iter().filter(|t| !task_done(t)).count(),
        tasks: tasks.iter().map(|t| task_row(lang, t)).collect(),
        invite,
        lotteries,
        mall: within_reach(lang, &ctx.program.currency, &mall),
        appeals,
        history: history
            .lines
            .iter()
            .map(|l| HistoryLine::of(lang, &ctx.tz, l))
            .collect(),
        frame,
    }
}

/// The notice after an action (`done`): signed in, appeal sent, or already signed in today.
fn notice(lang: Lang, done: Option<&str>) -> Option<(bool, &'static str)> {
    Some(match done? {
        "signed_in" => (false, t(lang, "签到成功！", "Signed in for today!")),
        "made_up" => (
            false,
            t(lang, "补签成功！", "Signed in for the missed day!"),
        ),
        "appealed" => (
            false,
            t(
                lang,
                "申诉已提交，我们会在一个工作日内答复",
                "Appeal sent; we answer within one working day",
            ),
        ),
        "already" => (
            true,
            t(lang, "今天已经签到过了", "You already signed in today"),
        ),
        _ => return None,
    })
}

/// Up to four items that can be had now, within reach first (affordable, then fewest points
/// short).
fn within_reach(
    lang: Lang,
    currency: &str,
    mall: &jifen_app::mall::MemberCatalog,
) -> Vec<HomeItem> {
    let mut v: Vec<&MemberItem> = mall
        .items
        .iter()
        .filter(|i| i.item.in_stock && i.on_sale_now())
        .collect();
    v.sort_by_key(|i| i.item.skus.first().map_or(i64::MAX, |s| s.points_short));
    v.into_iter()
        .filter_map(|i| {
            let sku = i.item.skus.first()?;
            let cash = sku.sku.cash_minor;
            Some(HomeItem {
                id: i.item.id,
                cover: Cover::new(i.item.cover(), i.item.name(lang == Lang::En), Pic::Card),
                points: num(sku.sku.points),
                cash: (cash > 0).then(|| jifen_app::mall::money_text(currency, cash)),
                message: sku.message.clone(),
            })
        })
        .take(4)
        .collect()
}

// ---- daily sign-in -------------------------------------------------------------------------

fn days(lang: Lang, c: &Checkin) -> Vec<Day> {
    const ZH_DAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const EN_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    c.week
        .iter()
        .map(|(d, on)| {
            let is_today = *d == c.today;
            let i = d.weekday().to_monday_zero_offset() as usize;
            let label = if is_today {
                t(lang, "今天", "Today")
            } else if lang == Lang::En {
                EN_DAYS[i]
            } else {
                ZH_DAYS[i]
            };
            let makeup = c.makeup.as_ref().filter(|m| m.days.contains(d));
            let mark = if *on {
                DayMark::Signed
            } else if let Some(m) = makeup {
                DayMark::Makeup(makeup_name(lang, *d, label, m.cost_points))
            } else {
                DayMark::Plain
            };
            let class = match (*on, is_today, makeup.is_some()) {
                (true, true, _) => "on today",
                (true, false, _) => "on",
                (false, true, _) => "today",
                (false, false, true) => "missed",
                (false, false, false) => "",
            };
            Day {
                date: *d,
                class,
                label,
                mark,
            }
        })
        .collect()
}

/// "补签 −20 积分", or "免费补签" when a make-up sign-in costs nothing.
fn makeup_price(lang: Lang, cost: i64) -> String {
    match (lang, cost) {
        (Lang::Zh, 0) => "点击漏签的日子可免费补签".to_string(),
        (Lang::En, 0) => "Tap a missed day to sign in for it, free".to_string(),
        (Lang::Zh, p) => format!("点击漏签的日子补签 · 补签 −{} 积分", num(p)),
        (Lang::En, p) => format!("Tap a missed day to sign in for it · −{} points", num(p)),
    }
}

/// The name of a missed day's make-up button, its cost in it.
fn makeup_name(lang: Lang, d: jiff::civil::Date, label: &str, cost: i64) -> String {
    match (lang, cost) {
        (Lang::Zh, 0) => format!("补签{}（{}月{}日）", label, d.month(), d.day()),
        (Lang::En, 0) => format!("Sign in for {label} {}", d.strftime("%b %-d")),
        (Lang::Zh, p) => format!(
            "补签{}（{}月{}日），−{} 积分",
            label,
            d.month(),
            d.day(),
            num(p)
        ),
        (Lang::En, p) => format!(
            "Sign in for {label} {}, −{} points",
            d.strftime("%b %-d"),
            num(p)
        ),
    }
}

// ---- tasks (任务卡) and the invite card -----------------------------------------------------

/// What a rule pays: "+N 积分", or "+N 成长值" for a rule paying growth.
fn pays(lang: Lang, r: &CompiledRule) -> Option<(String, &'static str)> {
    plain_points(r).map(|p| {
        (
            num(p),
            if r.def.point_type == PointType::Growth {
                t(lang, "成长值", "growth")
            } else {
                t(lang, "积分", "pts")
            },
        )
    })
}

fn period_word(lang: Lang, p: Period) -> &'static str {
    match p {
        Period::Day => t(lang, "今日", "today"),
        Period::Week => t(lang, "本周", "this week"),
        Period::Month => t(lang, "本月", "this month"),
        Period::Year => t(lang, "今年", "this year"),
        Period::Lifetime => t(lang, "累计", "in all"),
    }
}

/// "Once a day" and the like, for a task with a count cap of one.
fn once(lang: Lang, p: Period) -> &'static str {
    match p {
        Period::Day => t(lang, "每日限 1 次", "Once a day"),
        Period::Week => t(lang, "每周限 1 次", "Once a week"),
        Period::Month => t(lang, "每月限 1 次", "Once a month"),
        Period::Year => t(lang, "每年限 1 次", "Once a year"),
        Period::Lifetime => t(lang, "限 1 次", "Once only"),
    }
}

/// The line under a task's name: the rule's description, or what it pays in words when the
/// formula is not a plain number and the rule has no description.
fn task_text(lang: Lang, r: &CompiledRule) -> Option<String> {
    match r.def.description.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => Some(d.to_string()),
        _ if plain_points(r).is_some() => None,
        _ => Some(t(lang, "按活动规则奖励积分", "Points as the offer says").to_string()),
    }
}

/// A task's progress toward its cap: a task once per period needs no bar (it is done or not).
fn task_bar(lang: Lang, p: &jifen_app::member_centre::Progress) -> TaskBar {
    if !p.counts_points && p.max == 1 {
        return TaskBar::Once(once(lang, p.period));
    }
    let pct = if p.max > 0 {
        (p.done * 100 / p.max).clamp(0, 100)
    } else {
        100
    };
    let (done, max, period) = (
        num(p.done.min(p.max)),
        num(p.max),
        period_word(lang, p.period),
    );
    let what = match (lang, p.counts_points) {
        (Lang::Zh, false) => format!("{period}已完成 {done}/{max} 次"),
        (Lang::Zh, true) => format!("{period}已得 {done}/{max} 积分"),
        (Lang::En, false) => format!("{done} of {max} {period}"),
        (Lang::En, true) => format!("{done} of {max} points {period}"),
    };
    TaskBar::Bar(pct, what)
}

/// A task as its card shows it. The action happens in the merchant's app, which reports it as
/// an event: the centre only points there, to the link the operator set on the rule. Nothing
/// here records an event (a member must not award themselves points).
fn task_row(lang: Lang, task: &Task) -> TaskRow {
    let r = &task.rule;
    TaskRow {
        id: r.id,
        done: task_done(task),
        icon: jifen_domain::words::trigger_icon(&r.trigger.as_string()),
        name: r.def.name.clone(),
        text: task_text(lang, r),
        progress: task.progress.as_ref().map(|p| task_bar(lang, p)),
        pays: pays(lang, r),
        url: r.def.task_url.clone(),
    }
}

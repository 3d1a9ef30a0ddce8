//! The member points centre (积分中心), mobile first: balance with what expires soon, daily
//! sign-in with the streak and the last seven days, the tier card with a progress bar, task
//! cards built from the programme's active behaviour rules (with progress toward their caps)
//! and the invite card, what the mall has within reach, and the points history with reasons.
//! A signed link from the merchant's system opens it.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jifen_app::AppError;
use jifen_app::commands::MemberRef;
use jifen_app::mall::{MemberCatalog, MemberItem};
use jifen_app::member_centre::{Checkin, HomeView, Task, plain_points, task_done};
use jifen_ledger::PointType;
use jifen_rules::{CompiledRule, Period, Trigger};
use serde::Deserialize;
use serde_json::json;

use crate::page::{Lang, code_label, esc, fmt_time, num};
use crate::{LangQuery, Web, html, lang_of};

/// The member centre's pages beyond the home page, sign-in and appeals (which `lib.rs` routes):
/// the mall, redemption, orders, coupons and the lucky wheel (`centre_mall.rs`).
pub(crate) fn routes() -> axum::Router<Web> {
    crate::centre_mall::routes()
}

pub const CSS: &str = include_str!("../assets/centre.css");

/// The programme and member a link names, if it is genuine and current.
pub(crate) async fn member_of(
    web: &Web,
    token: &str,
) -> Option<(jifen_ledger::ProgramId, jifen_ledger::MemberId)> {
    let now = web.app.now();
    let tk = token.to_string();
    web.app
        .read(move |tx| jifen_app::centre::verify(tx, &tk, now))
        .await
        .ok()
        .flatten()
}

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

pub(crate) fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En { en } else { zh }
}

pub(crate) fn expired_page(lang: Lang) -> Response {
    let title = t(lang, "链接已失效", "This link has expired");
    html(
        StatusCode::UNAUTHORIZED,
        format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"/m/assets/centre.css\"></head>\
             <body><main class=\"wrap\"><div class=\"card\"><h1>{title}</h1><p class=\"muted\">{}</p></div></main></body></html>",
            if lang == Lang::En { "en" } else { "zh-CN" },
            t(
                lang,
                "请从商家App重新进入积分中心。",
                "Open the points centre again from the shop's app."
            ),
        ),
        &[],
    )
}

#[derive(Deserialize, Default)]
pub struct CentreQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn home(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<CentreQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let (program, h, tz) = match read_home(&web, &token, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let lotteries = crate::centre_mall::open_lotteries(&web, program, lang).await;
    html(
        StatusCode::OK,
        home_page(lang, &token, &tz, h, &lotteries, q.done.as_deref()),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

/// The programme a link names and its member's home view, with the programme's time zone; or
/// the answer when the link is not good (the expired page) or the read fails.
async fn read_home(
    web: &Web,
    token: &str,
    lang: Lang,
) -> Result<(jifen_ledger::ProgramId, HomeView, jiff::tz::TimeZone), Response> {
    let Some((program, member)) = member_of(web, token).await else {
        return Err(expired_page(lang));
    };
    let now = web.app.now();
    let ctx = match web.app.program_ctx(program).await {
        Ok(c) => c,
        Err(_) => return Err(expired_page(lang)),
    };
    let tz = ctx.tz.clone();
    let loc = if lang == Lang::En { "en" } else { "zh" };
    let data = web
        .app
        .read(move |tx| jifen_app::member_centre::home(tx, &ctx, member, now, loc))
        .await;
    match data {
        Ok(h) => Ok((program, h, tz)),
        Err(AppError::NotFound { .. }) => Err(expired_page(lang)),
        Err(e) => {
            let (status, msg) = crate::shown_error(lang, &e);
            Err(html(status, esc(&msg), &[]))
        }
    }
}

/// The home page: the top bar and the balance, the notice, the sign-in, tier and task cards,
/// the open lotteries (code, name), the mall within reach, the appeals, the history and the tabs.
fn home_page(
    lang: Lang,
    token: &str,
    tz: &jiff::tz::TimeZone,
    h: HomeView,
    lotteries: &[(String, String)],
    done: Option<&str>,
) -> String {
    let HomeView {
        member: m,
        balance: b,
        tier,
        history,
        mall,
        checkin,
        tasks,
        programme_name: program_name,
        referral_url: referral,
        appeals,
    } = h;
    let name = m.profile.name.clone().unwrap_or_default();
    format!(
        "{}{}{}{}{}{}{}{}{}{}</main>{}</body></html>",
        home_top(lang, &program_name, &name),
        balance_hero(lang, &b),
        home_notice(lang, done),
        checkin_card(lang, token, &checkin),
        tier.as_ref().map(tier_card).unwrap_or_default(),
        task_cards(lang, &tasks, m.id.0, referral.as_deref()),
        lottery_promos(lang, token, lotteries),
        mall_card(lang, token, &mall),
        appeals_card(lang, &appeals),
        history_card(lang, token, tz, &history),
        crate::centre_mall::tabs(lang, token, Some(crate::centre_mall::Tab::Home)),
    )
}

/// The document's head and the top bar: the programme's name, the member's name and the
/// language switch.
fn home_top(lang: Lang, program_name: &str, name: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/m/assets/centre.css\"></head><body class=\"has-tabs\"><main class=\"wrap\">\
         <div class=\"top\"><h1 class=\"brand\">{}</h1><span>{}<a href=\"?lang={}\" lang=\"{}\">{}</a></span></div>",
        if lang == Lang::En { "en" } else { "zh-CN" },
        t(lang, "积分中心", "Points centre"),
        esc(program_name),
        esc(name),
        if lang == Lang::En { "zh" } else { "en" },
        if lang == Lang::En { "zh-CN" } else { "en" },
        if lang == Lang::En {
            "中文"
        } else {
            "English"
        },
    )
}

/// The balance: points available and what expires within 30 days.
fn balance_hero(lang: Lang, b: &jifen_app::views::Balance) -> String {
    format!(
        "<div class=\"hero\"><div class=\"label\">{}</div><div class=\"points\">{}</div><div class=\"expiring\">{}</div></div>",
        t(lang, "可用积分", "Available points"),
        num(b.available),
        if b.expiring > 0 {
            format!(
                "{} {}",
                num(b.expiring),
                t(lang, "积分将在30天内过期", "points expire within 30 days")
            )
        } else {
            t(
                lang,
                "近30天没有积分过期",
                "Nothing expires in the next 30 days",
            )
            .to_string()
        },
    )
}

/// The notice after an action (`done`): signed in, appeal sent, or already signed in today.
fn home_notice(lang: Lang, done: Option<&str>) -> String {
    match done {
        Some("signed_in") => format!(
            "<div class=\"notice\" role=\"status\">{}</div>",
            t(lang, "签到成功！", "Signed in for today!")
        ),
        Some("made_up") => format!(
            "<div class=\"notice\" role=\"status\">{}</div>",
            t(lang, "补签成功！", "Signed in for the missed day!")
        ),
        Some("appealed") => format!(
            "<div class=\"notice\" role=\"status\">{}</div>",
            t(
                lang,
                "申诉已提交，我们会在一个工作日内答复",
                "Appeal sent; we answer within one working day"
            )
        ),
        Some("already") => format!(
            "<div class=\"error\" role=\"alert\">{}</div>",
            t(lang, "今天已经签到过了", "You already signed in today")
        ),
        _ => String::new(),
    }
}

/// A card for each open lottery (code, name), linking to its wheel.
fn lottery_promos(lang: Lang, token: &str, lotteries: &[(String, String)]) -> String {
    lotteries
        .iter()
        .map(|(code, n)| {
            format!(
                "<a class=\"card promo\" href=\"/m/{token}/lottery/{}\"><span class=\"wheel-ico\" aria-hidden=\"true\"></span><span><b>{}</b><span class=\"muted\">{}</span></span><span class=\"go\">›</span></a>",
                esc(code),
                esc(n),
                t(lang, "幸运大转盘 · 点击参与", "Lucky wheel · tap to play")
            )
        })
        .collect()
}

/// The mall card: up to four items that can be had now, within reach first (affordable, then
/// fewest points short), or a line saying new items are coming.
fn mall_card(lang: Lang, token: &str, mall: &MemberCatalog) -> String {
    let mut v: Vec<&MemberItem> = mall
        .items
        .iter()
        .filter(|i| i.item.in_stock && i.on_sale_now())
        .collect();
    v.sort_by_key(|i| i.item.skus.first().map_or(i64::MAX, |s| s.points_short));
    let items: String = v
        .into_iter()
        .take(4)
        .map(|i| item_card(lang, token, i))
        .collect();
    let items = if items.is_empty() {
        format!(
            "<div class=\"muted\">{}</div>",
            t(lang, "商城即将上新", "New items are coming soon")
        )
    } else {
        items
    };
    format!(
        "<div class=\"card\"><div class=\"head\"><h2>{}</h2><a href=\"/m/{token}/mall\">{} ›</a></div><div class=\"items\">{items}</div></div>",
        t(lang, "积分商城 · 离你最近", "Mall · within reach"),
        t(lang, "全部商品", "All items"),
    )
}

/// The member's appeals with their status and answer; nothing when there are none.
fn appeals_card(lang: Lang, appeals: &[jifen_app::console::AppealRow]) -> String {
    if appeals.is_empty() {
        return String::new();
    }
    let rows: String = appeals
        .iter()
        .map(|a| {
            let status = match a.status.as_str() {
                "open" => t(lang, "处理中", "In progress"),
                "resolved" => t(lang, "已处理", "Resolved"),
                _ => t(lang, "未通过", "Declined"),
            };
            format!(
                "<li><div>{}<div class=\"r\">{}</div></div><div class=\"muted\">{status}</div></li>",
                esc(&a.message),
                esc(a.answer.as_deref().unwrap_or("")),
            )
        })
        .collect();
    format!(
        "<div class=\"card appeals\"><h2>{}</h2><ul class=\"lines\">{rows}</ul></div>",
        t(lang, "我的申诉", "My appeals")
    )
}

/// The member's history lines, each with its kind and state, time, reason, a link to appeal
/// it, and the amount: the home's card and the history page show them alike.
pub(crate) fn history_lines(
    lang: Lang,
    token: &str,
    tz: &jiff::tz::TimeZone,
    lines: &[jifen_app::activity::ActivityLine],
) -> String {
    lines
        .iter()
        .map(|l| {
            let reason = l
                .reason
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(|r| format!(" · {}", esc(r)))
                .unwrap_or_default();
            format!(
                "<li><div>{} {}<div class=\"r\">{}{reason} · <a href=\"/m/{token}/appeal?subject=line&id={}\">{}</a></div></div><div>{}</div></li>",
                esc(&code_label(&l.code, lang)),
                crate::page::line_state(lang, tz, l),
                fmt_time(l.created_at, tz),
                l.transfer_id,
                t(lang, "申诉", "Appeal"),
                crate::page::line_amount(l),
            )
        })
        .collect()
}

/// The points history, one line per business event: its kind and state, time, reason, a link
/// to appeal it, and the amount.
fn history_card(
    lang: Lang,
    token: &str,
    tz: &jiff::tz::TimeZone,
    history: &jifen_app::activity::ActivityPage,
) -> String {
    let lines = history_lines(lang, token, tz, &history.lines);
    format!(
        "<div class=\"card\"><div class=\"head\"><h2>{}</h2><a class=\"more\" href=\"/m/{token}/history\">{}</a></div><ul class=\"lines\">{lines}</ul></div>",
        t(lang, "积分明细", "Points history"),
        t(lang, "查看全部 ›", "See all ›"),
    )
}

fn tier_card(p: &jifen_app::tiers::TierProgress) -> String {
    let pct = p.percent();
    format!(
        "<div class=\"card\"><div class=\"tier\"><span class=\"name\">{}</span><span class=\"muted\">{}</span></div>\
         <div class=\"bar\"><span style=\"width:{pct}%\"></span></div><div class=\"muted\">{}</div></div>",
        esc(&p.tier_name),
        p.next_tier_name
            .as_deref()
            .map(|n| format!("→ {}", esc(n)))
            .unwrap_or_default(),
        esc(&p.message),
    )
}

fn item_card(lang: Lang, token: &str, i: &MemberItem) -> String {
    let Some(sku) = i.item.skus.first() else {
        return String::new();
    };
    let name = i.item.name(lang == Lang::En);
    let img = crate::centre_mall::cover(i.item.cover(), name, crate::centre_mall::Pic::Card);
    let cash = sku.sku.cash_minor;
    format!(
        "<a class=\"item\" href=\"/m/{token}/mall/{}\">{img}<div class=\"n\">{}</div><div class=\"p\">{} {}{}</div><div class=\"s\">{}</div></a>",
        i.item.id,
        esc(name),
        num(sku.sku.points),
        t(lang, "积分", "pts"),
        if cash > 0 {
            format!(" + ¥{}.{:02}", cash / 100, cash % 100)
        } else {
            String::new()
        },
        esc(&sku.message),
    )
}

// ---- daily sign-in -------------------------------------------------------------------------

const ICON_CHECK: &str = "<path d=\"M5 12.5l4.5 4.5L19 7.5\"/>";

fn checkin_card(lang: Lang, token: &str, c: &Checkin) -> String {
    const ZH_DAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const EN_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let days: String = c
        .week
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
                format!(
                    "<span class=\"d\"><svg class=\"ico\" viewBox=\"0 0 24 24\" role=\"img\" aria-label=\"{}\">{ICON_CHECK}</svg></span>",
                    t(lang, "已签", "signed")
                )
            } else if let Some(m) = makeup {
                makeup_form(lang, token, *d, label, m.cost_points)
            } else {
                format!("<span class=\"d\">{}</span>", d.day())
            };
            let class = match (*on, is_today, makeup.is_some()) {
                (true, true, _) => " class=\"on today\"",
                (true, false, _) => " class=\"on\"",
                (false, true, _) => " class=\"today\"",
                (false, false, true) => " class=\"missed\"",
                (false, false, false) => "",
            };
            format!("<li{class} data-day=\"{d}\">{mark}<small>{label}</small></li>")
        })
        .collect();
    let streak = match (lang, c.streak) {
        (Lang::En, 0) => "Sign in today to start a streak".to_string(),
        (Lang::En, 1) => "1-day streak".to_string(),
        (Lang::En, n) => format!("<b class=\"streak\">{n}</b>-day streak"),
        (Lang::Zh, 0) => "今天签到，开启连续签到".to_string(),
        (Lang::Zh, n) => format!("已连续签到 <b class=\"streak\">{n}</b> 天"),
    };
    let next = match (c.next_points, c.signed_today, lang) {
        (Some(p), false, Lang::En) if p > 0 => {
            format!("Sign in today for <b>+{}</b> points", num(p))
        }
        (Some(p), false, Lang::Zh) if p > 0 => format!("今天签到可得 <b>+{}</b> 积分", num(p)),
        (Some(p), true, Lang::En) if p > 0 => {
            format!("Come back tomorrow for <b>+{}</b> points", num(p))
        }
        (Some(p), true, Lang::Zh) if p > 0 => format!("明天签到可得 <b>+{}</b> 积分", num(p)),
        _ => t(
            lang,
            "每天签到领积分，连续签到奖励更多",
            "Sign in daily; streaks earn more",
        )
        .to_string(),
    };
    format!(
        "<div class=\"card checkin\"><div class=\"signin\"><div><b>{}</b><div class=\"muted\">{streak}</div></div>\
         <form method=\"post\" action=\"/m/{token}/sign-in\"><button {}>{}</button></form></div>\
         <ol class=\"days\" aria-label=\"{}\">{days}</ol>{}<div class=\"next\">{next}</div></div>",
        t(lang, "每日签到", "Daily sign-in"),
        if c.signed_today { "disabled" } else { "" },
        if c.signed_today {
            t(lang, "已签到", "Signed in")
        } else {
            t(lang, "签到", "Sign in")
        },
        t(lang, "近7天签到", "The last 7 days"),
        c.makeup
            .as_ref()
            .filter(|m| !m.days.is_empty())
            .map(|m| format!(
                "<p class=\"makeup-note muted\">{}</p>",
                makeup_price(lang, m.cost_points)
            ))
            .unwrap_or_default(),
    )
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

/// A missed day as a small form posting the make-up sign-in for it, its cost in its name.
fn makeup_form(lang: Lang, token: &str, d: jiff::civil::Date, label: &str, cost: i64) -> String {
    let name = match (lang, cost) {
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
    };
    format!(
        "<form method=\"post\" action=\"/m/{token}/sign-in/makeup\"><input type=\"hidden\" name=\"date\" value=\"{d}\">\
         <button type=\"submit\" class=\"d makeup\" aria-label=\"{}\" title=\"{}\">{}</button></form>",
        esc(&name),
        esc(&name),
        d.day()
    )
}

// ---- tasks (任务卡) and the invite card -----------------------------------------------------

/// "+N 积分", or "+N 成长值" for a rule paying growth.
fn pays(lang: Lang, r: &CompiledRule) -> Option<String> {
    plain_points(r).map(|p| {
        format!(
            "+{}<small>{}</small>",
            num(p),
            if r.def.point_type == PointType::Growth {
                t(lang, "成长值", "growth")
            } else {
                t(lang, "积分", "pts")
            }
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

fn task_icon(t: &Trigger) -> String {
    let paths = jifen_domain::words::trigger_icon(&t.as_string());
    format!(
        "<span class=\"tico\" aria-hidden=\"true\"><svg class=\"ico\" viewBox=\"0 0 24 24\">{paths}</svg></span>"
    )
}

/// The line under a task's name: the rule's description, or what it pays in words when the
/// formula is not a plain number and the rule has no description.
fn task_text(lang: Lang, r: &CompiledRule) -> String {
    match r.def.description.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => esc(d),
        _ if plain_points(r).is_some() => String::new(),
        _ => t(lang, "按活动规则奖励积分", "Points as the offer says").to_string(),
    }
}

fn task_row(lang: Lang, task: &Task) -> String {
    let r = &task.rule;
    let done = task_done(task);
    let progress = task
        .progress
        .as_ref()
        .map(|p| {
            // A task once per period needs no bar: it is done or not.
            if !p.counts_points && p.max == 1 {
                return format!("<div class=\"tp\"><small>{}</small></div>", once(lang, p.period));
            }
            let pct = if p.max > 0 {
                (p.done * 100 / p.max).clamp(0, 100)
            } else {
                100
            };
            let what = match (lang, p.counts_points) {
                (Lang::Zh, false) => format!(
                    "{}已完成 {}/{} 次",
                    period_word(lang, p.period),
                    num(p.done.min(p.max)),
                    num(p.max)
                ),
                (Lang::Zh, true) => format!(
                    "{}已得 {}/{} 积分",
                    period_word(lang, p.period),
                    num(p.done.min(p.max)),
                    num(p.max)
                ),
                (Lang::En, false) => format!(
                    "{} of {} {}",
                    num(p.done.min(p.max)),
                    num(p.max),
                    period_word(lang, p.period)
                ),
                (Lang::En, true) => format!(
                    "{} of {} points {}",
                    num(p.done.min(p.max)),
                    num(p.max),
                    period_word(lang, p.period)
                ),
            };
            format!(
                "<div class=\"tp\"><span class=\"bar\"><span style=\"width:{pct}%\"></span></span><small>{what}</small></div>"
            )
        })
        .unwrap_or_default();
    let text = task_text(lang, r);
    let text = if text.is_empty() {
        String::new()
    } else {
        format!("<div class=\"td\">{text}</div>")
    };
    // The action happens in the merchant's app, which reports it as an event: the centre only
    // points there, to the link the operator set on the rule. Without a link there is nowhere
    // to go, so no button: the task reads as its words and reward. Nothing here records an
    // event (a member must not award themselves points).
    let action = match (done, r.def.task_url.as_deref()) {
        (true, _) => format!(
            "<span class=\"btn sm done\" aria-disabled=\"true\">{}</span>",
            t(lang, "已完成", "Done")
        ),
        (false, Some(url)) => format!(
            "<a class=\"btn sm\" href=\"{}\" role=\"button\">{}</a>",
            esc(url),
            t(lang, "去完成", "Do it")
        ),
        (false, None) => String::new(),
    };
    format!(
        "<li class=\"task{}\" data-rule=\"{}\">{}<div class=\"tb\"><div class=\"tn\">{}</div>{text}{progress}</div>\
         <div class=\"ta\">{}{action}</div></li>",
        if done { " done" } else { "" },
        r.id,
        task_icon(&r.trigger),
        esc(&r.def.name),
        pays(lang, r)
            .map(|p| format!("<span class=\"pts\">{p}</span>"))
            .unwrap_or_default(),
    )
}

/// Copies `data-copy` to the clipboard; falls back to a selected textarea where the Clipboard
/// API is missing (plain HTTP, older WebViews).
const COPY_JS: &str = "<script>document.querySelectorAll('[data-copy]').forEach(function(b){b.onclick=function(){var v=b.dataset.copy,ok=function(){b.textContent=b.dataset.done;b.classList.add('ghost');};var f=function(){var a=document.createElement('textarea');a.value=v;a.setAttribute('readonly','');a.style.position='fixed';a.style.opacity='0';document.body.appendChild(a);a.select();try{if(document.execCommand('copy'))ok();}catch(e){}document.body.removeChild(a);};if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(v).then(ok,f);}else{f();}};});</script>";

/// The task card and, when referral rules are active, the invite card.
///
/// The invite code is `M{member_id}`: Jifen's own id of the member, which the merchant's
/// system passes back as `"referrer": {"member_id": N}` when it creates the invited member
/// (`POST /api/v1/members`). Not an external id: those are the merchant's account ids or phone
/// numbers, not for showing to other people, and a member may have several. The id is stable,
/// and a merged member's id still resolves to the member it was merged into. The programme has
/// no setting for a referral landing page (the merchant owns sign-up), so the card shows the
/// code with a copy button rather than a link.
fn task_cards(lang: Lang, tasks: &[Task], member_id: i64, referral_url: Option<&str>) -> String {
    let (invites, tasks): (Vec<&Task>, Vec<&Task>) = tasks
        .iter()
        .partition(|t| t.rule.trigger == Trigger::Referral);
    let mut out = String::new();
    if !tasks.is_empty() {
        let open = tasks.iter().filter(|t| !task_done(t)).count();
        let rows: String = tasks.iter().map(|t| task_row(lang, t)).collect();
        out.push_str(&format!(
            "<div class=\"card tasks\"><div class=\"head\"><h2>{}</h2><span class=\"muted\">{}</span></div><ul class=\"tasks\">{rows}</ul></div>",
            t(lang, "做任务 赚积分", "Earn more points"),
            match lang {
                Lang::Zh => format!("{open} 项待完成"),
                Lang::En => format!("{open} to do"),
            },
        ));
    }
    if !invites.is_empty() {
        let code = format!("M{member_id}");
        // With the shop's sign-up address set, a link that carries the code.
        let link = referral_url
            .map(|u| {
                let href = format!("{u}{}ref={code}", if u.contains('?') { '&' } else { '?' });
                format!(
                    "<div class=\"inv-code\"><div><small>{}</small><code id=\"ref-link\">{}</code></div>\
                     <button type=\"button\" class=\"btn sm\" data-copy=\"{}\" data-done=\"{}\">{}</button></div>",
                    t(lang, "邀请链接", "Invite link"),
                    esc(&href),
                    esc(&href),
                    t(lang, "已复制", "Copied"),
                    t(lang, "复制链接", "Copy link"),
                )
            })
            .unwrap_or_default();
        let rewards: String = invites
            .iter()
            .map(|t| {
                let r = &t.rule;
                let text = task_text(lang, r);
                format!(
                    "<li><div><b>{}</b>{}</div>{}</li>",
                    esc(&r.def.name),
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!("<div class=\"td\">{text}</div>")
                    },
                    pays(lang, r)
                        .map(|p| format!("<span class=\"pts\">{p}</span>"))
                        .unwrap_or_default(),
                )
            })
            .collect();
        out.push_str(&format!(
            "<div class=\"card invite\"><div class=\"inv-top\">{}<div><h2>{}</h2><div class=\"muted\">{}</div></div></div>\
             <ul class=\"inv-rules\">{rewards}</ul>\
             <div class=\"inv-code\"><div><small>{}</small><code id=\"ref-code\">{code}</code></div>\
             <button type=\"button\" class=\"btn sm\" data-copy=\"{code}\" data-done=\"{}\">{}</button></div>{link}</div>{COPY_JS}",
            task_icon(&Trigger::Referral),
            t(lang, "邀请好友", "Invite friends"),
            t(
                lang,
                "好友注册时填写你的邀请码，即算作你邀请的好友",
                "Friends enter your code when they join, and count as yours"
            ),
            t(lang, "我的邀请码", "My invite code"),
            t(lang, "已复制", "Copied"),
            t(lang, "复制", "Copy"),
        ));
    }
    out
}

pub async fn sign_in(State(web): State<Web>, Path(token): Path<String>) -> Response {
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(Lang::Zh);
    };
    let done = match record_sign_in(&web, program, member, None).await {
        Ok(()) => "signed_in",
        Err(AppError::Conflict { .. }) => "already",
        Err(_) => "failed",
    };
    Redirect::to(&format!("/m/{token}?done={done}")).into_response()
}

/// Records the member's sign-in from the centre: today's, or a make-up for `makeup_date`.
async fn record_sign_in(
    web: &Web,
    program: jifen_ledger::ProgramId,
    member: jifen_ledger::MemberId,
    makeup_date: Option<String>,
) -> Result<(), AppError> {
    let e: jifen_app::earn::EventIn = serde_json::from_value(json!({
        "type": "sign_in", "member": {"member_id": member.0}, "channel": "web",
        "makeup_date": makeup_date
    }))
    .map_err(|_| AppError::invalid("makeup_date", "must be a date"))?;
    let partition = MemberRef::Id {
        member_id: member.0,
    }
    .partition();
    web.app
        .write_view(program, &partition, None, move |tx, ctx, now| {
            jifen_app::earn::record_event(tx, ctx, now, &e)
        })
        .await
        .map(|_| ())
}

#[derive(Deserialize)]
pub struct MakeupForm {
    #[serde(default)]
    date: String,
}

/// A make-up sign-in (补签) for a missed day: back to the home page when done; a refusal (too
/// old, not enough points, already signed, none allowed) is the home page with the refusal in
/// the page's language, nothing changed.
pub async fn sign_in_makeup(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<MakeupForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery { lang: None });
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let out = record_sign_in(&web, program, member, Some(f.date)).await;
    let e = match out {
        Ok(_) => return Redirect::to(&format!("/m/{token}?done=made_up")).into_response(),
        Err(e) => e,
    };
    let (status, shown) = match &e {
        AppError::Invalid { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t(lang, "这一天不能补签", "That day cannot be signed in for").to_string(),
        ),
        e => crate::shown_error(lang, e),
    };
    let (program, h, tz) = match read_home(&web, &token, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let lotteries = crate::centre_mall::open_lotteries(&web, program, lang).await;
    let page = home_page(lang, &token, &tz, h, &lotteries, None).replacen(
        "<div class=\"card checkin\">",
        &format!(
            "<div class=\"error\" role=\"alert\">{}</div><div class=\"card checkin\">",
            esc(&shown)
        ),
        1,
    );
    html(status, page, &[])
}

#[derive(Deserialize, Default)]
pub struct AppealQuery {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The appeal form for one history line or order (一键申诉).
pub async fn appeal_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<AppealQuery>,
) -> Response {
    let (lang, _) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let Some(_) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let subject = if q.subject.as_deref() == Some("order") {
        "order"
    } else {
        "line"
    };
    let id =
        q.id.as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
    html(
        StatusCode::OK,
        appeal_page(lang, &token, subject, id, "", None),
        &[],
    )
}

fn appeal_page(
    lang: Lang,
    token: &str,
    subject: &str,
    id: i64,
    message: &str,
    error: Option<&str>,
) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/m/assets/centre.css\"></head><body><main class=\"wrap\">\
         <div class=\"card\"><h1>{}</h1><p class=\"muted\"><label for=\"message\">{}</label></p>\
         <form method=\"post\" action=\"/m/{token}/appeal\"><input type=\"hidden\" name=\"subject\" value=\"{}\"><input type=\"hidden\" name=\"subject_id\" value=\"{id}\">\
         <textarea name=\"message\" id=\"message\" rows=\"5\" style=\"width:100%;border:1px solid #ddd;border-radius:10px;padding:10px;font:inherit\">{}</textarea>{}\
         <div class=\"signin\" style=\"margin-top:12px\"><a href=\"{}\">{}</a><button type=\"submit\">{}</button></div></form></div></main></body></html>",
        if lang == Lang::En { "en" } else { "zh-CN" },
        t(lang, "积分申诉", "Points appeal"),
        t(lang, "积分申诉", "Points appeal"),
        t(
            lang,
            "请说明哪里不对，我们会在一个工作日内答复。",
            "Tell us what is wrong; we answer within one working day."
        ),
        esc(subject),
        esc(message),
        error
            .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(e)))
            .unwrap_or_default(),
        if subject == "order" && id > 0 {
            format!("/m/{token}/orders/{id}")
        } else {
            format!("/m/{token}")
        },
        t(lang, "返回", "Back"),
        t(lang, "提交申诉", "Send appeal"),
    )
}

#[derive(Deserialize)]
pub struct AppealFormIn {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    subject_id: String,
    #[serde(default)]
    message: String,
}

pub async fn appeal_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::extract::Form(f): axum::extract::Form<AppealFormIn>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let a = jifen_app::appeals::AppealIn {
        subject: f.subject.clone(),
        subject_id: f.subject_id.parse().unwrap_or(0),
        message: f.message.clone(),
    };
    let partition = MemberRef::Id {
        member_id: member.0,
    }
    .partition();
    let out = web
        .app
        .write_view(program, &partition, None, move |tx, ctx, now| {
            jifen_app::appeals::submit(tx, ctx, now, member, &a)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/m/{token}?done=appealed")).into_response(),
        Err(e) => {
            let msg = match &e {
                AppError::Invalid { .. } => t(
                    lang,
                    "请用5到1000个字说明问题",
                    "Say what is wrong in 5 to 1000 characters",
                )
                .to_string(),
                AppError::NotFound { .. } => {
                    t(lang, "找不到这条记录", "That record was not found").to_string()
                }
                other => other.to_string(),
            };
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                appeal_page(
                    lang,
                    &token,
                    &f.subject,
                    f.subject_id.parse().unwrap_or(0),
                    &f.message,
                    Some(&msg),
                ),
                &[],
            )
        }
    }
}

//! The console's overview (`/console`), rendered by `templates/console/overview.html` from
//! `jifen_app::overview::OverviewView`: the cards (members, outstanding points and their worth,
//! the range's totals), the points issued above a baseline and spent and expired below it per
//! day, members who joined and were active per day, members per tier, then recent orders and
//! the items ordered most. The charts are drawn by Apache ECharts (`/assets/echarts-….js`) and
//! our `overview.js` from the numbers in a JSON block of the page; the same numbers are in
//! tables under each chart, so the page reads without scripts.
//!
//! The range is 7, 14, 30 or 90 days by one link, or from one date to another by the form; a
//! range that does not read is answered with 422 and its problem next to the field, the dates
//! kept as typed.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jifen_app::overview::{
    DayRange, Figures, OverviewView, RANGE_PRESETS, RangeProblem, RangeQuery, TierCount,
};
use serde::Serialize;

use crate::frame::{Frame, respond};
use crate::page::{L, Lang, fmt_time, num, order_state};
use crate::{Staff, Web};

/// A card of figures: its words, the value, an optional line under it and an optional link.
pub(crate) struct Card {
    label: String,
    value: String,
    note: Option<String>,
    href: Option<&'static str>,
}

/// A preset range link.
pub(crate) struct Preset {
    days: i64,
    label: String,
    on: bool,
}

/// One day of the tables.
pub(crate) struct Day {
    date: String,
    issued: String,
    spent: String,
    expired: String,
    new_members: String,
    active: String,
}

/// One tier of the distribution table.
pub(crate) struct TierRow {
    name: String,
    members: String,
    share: String,
}

/// One recent order.
pub(crate) struct OrderRow {
    id: i64,
    time: String,
    member_id: i64,
    item: String,
    points: String,
    state: String,
}

/// One of the items ordered most.
pub(crate) struct ItemRow {
    id: i64,
    name: String,
    orders: String,
    points: String,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
pub(crate) struct OverviewPage {
    frame: Frame,
    cards: Vec<Card>,
    as_of: String,
    presets: Vec<Preset>,
    /// The dates as typed (or as shown when none were).
    from: String,
    to: String,
    /// A problem with the range, by field: `days`, `from` or `to`.
    errors: HashMap<&'static str, String>,
    /// What the range covers, in words: 2026-02-25 至 2026-03-10.
    span: String,
    days: Vec<Day>,
    totals: Day,
    tiers: Vec<TierRow>,
    has_ladder: bool,
    orders: Vec<OrderRow>,
    items: Vec<ItemRow>,
    /// The charts' numbers and words, JSON made safe inside `<script>`.
    data: String,
}

impl OverviewPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn echarts(&self) -> &'static str {
        crate::assets::ECHARTS_PATH
    }
}

/// What the chart script reads: the series and every word it draws, in the page's language.
#[derive(Serialize)]
struct ChartData<'a> {
    locale: &'static str,
    dates: &'a [String],
    issued: &'a [i64],
    /// Spent and expired as negative numbers: drawn below the baseline.
    spent: Vec<i64>,
    expired: Vec<i64>,
    new_members: &'a [i64],
    active: &'a [i64],
    tiers: Vec<(String, i64)>,
    words: HashMap<&'static str, &'static str>,
}

fn chart_words(lang: Lang) -> HashMap<&'static str, &'static str> {
    let t = |zh, en| crate::page::pick(lang, zh, en);
    HashMap::from([
        ("issued", t("发放", "Issued")),
        ("spent", t("使用", "Spent")),
        ("expired", t("过期", "Expired")),
        ("points", t("积分", "Points")),
        ("day", t("日期", "Day")),
        ("new_members", t("新会员", "New members")),
        ("active", t("活跃会员", "Active members")),
        ("members", t("会员数", "Members")),
        ("tiers", t("等级分布", "Members per tier")),
    ])
}

/// JSON that cannot end the `<script>` element it sits in.
fn script_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A share of a whole, to one decimal: 12.5%.
fn share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "–".into();
    }
    let tenths = (i128::from(part) * 1000 + i128::from(whole) / 2) / i128::from(whole);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// The range the query asks for, with the problem (by field) when it does not read.
fn range_query(q: &HashMap<String, String>) -> Result<RangeQuery, RangeProblem> {
    let text = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let days = match text("days") {
        None => None,
        Some(d) => Some(d.parse::<i64>().map_err(|_| RangeProblem::Days)?),
    };
    Ok(RangeQuery {
        days,
        from: text("from"),
        to: text("to"),
    })
}

pub(crate) async fn overview(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = st.lang;
    let en = lang == Lang::En;
    let now = web.app.now();
    let typed = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut errors = HashMap::new();
    let asked = range_query(&q).and_then(|r| DayRange::resolve(&r, &st.ctx.tz, now).map(|_| r));
    let (query, status) = match asked {
        Ok(r) => (r, StatusCode::OK),
        Err(p) => {
            errors.insert(p.field(), p.text(en));
            (RangeQuery::default(), StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let view = match jifen_app::overview::overview(&web.app, st.ctx.clone(), &query, now).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let mut page = render_view(&st, &view, &query);
    if !errors.is_empty() {
        // The dates as typed, with the problem next to its field.
        page.from = typed("from");
        page.to = typed("to");
        page.errors = errors;
    }
    respond(status, &page, &st.set_lang)
}

fn render_view(st: &Staff, v: &OverviewView, q: &RangeQuery) -> OverviewPage {
    let lang = st.lang;
    let f = &v.figures;
    let tz = &st.ctx.tz;
    let first = f.dates.first().cloned().unwrap_or_default();
    let last = f.dates.last().cloned().unwrap_or_default();
    let span = match lang {
        Lang::Zh => format!("{first} 至 {last}，共 {} 天", f.dates.len()),
        Lang::En => format!("{first} to {last}, {} days", f.dates.len()),
    };
    let presets = RANGE_PRESETS
        .iter()
        .map(|d| Preset {
            days: *d,
            label: match lang {
                Lang::Zh => format!("近{d}天"),
                Lang::En => format!("{d} days"),
            },
            on: q.from.is_none() && q.days.unwrap_or(jifen_app::overview::RANGE_DAYS_DEFAULT) == *d,
        })
        .collect();
    let tier_total: i64 = f.tiers.iter().map(|t| t.members).sum();
    let tiers = f
        .tiers
        .iter()
        .map(|t: &TierCount| TierRow {
            name: tier_name(lang, t),
            members: num(t.members),
            share: share(t.members, tier_total),
        })
        .collect();
    let data = ChartData {
        locale: if lang == Lang::En { "EN" } else { "ZH" },
        dates: &f.dates,
        issued: &f.issued,
        spent: f.spent.iter().map(|s| -s).collect(),
        expired: f.expired.iter().map(|s| -s).collect(),
        new_members: &f.new_members,
        active: &f.active_daily,
        tiers: f
            .tiers
            .iter()
            .map(|t| (tier_name(lang, t), t.members))
            .collect(),
        words: chart_words(lang),
    };
    OverviewPage {
        frame: Frame::new(lang, &st.s, "overview", L::Overview.t(lang)),
        cards: cards(st, v),
        as_of: fmt_time(f.as_of, tz),
        presets,
        from: first,
        to: last,
        errors: HashMap::new(),
        span,
        days: days(f),
        totals: Day {
            date: st.t("合计", "Total").to_string(),
            issued: num(f.total_issued),
            spent: num(f.total_spent),
            expired: num(f.total_expired),
            new_members: num(f.total_new_members),
            active: "–".into(),
        },
        tiers,
        has_ladder: st.ctx.earn.ladder.is_some(),
        orders: v
            .recent_orders
            .iter()
            .map(|o| OrderRow {
                id: o.order_id,
                time: fmt_time(o.created_at, tz),
                member_id: o.member_id,
                item: o.item_name(lang == Lang::En).to_string(),
                points: num(o.points),
                state: order_state(lang, &o.state),
            })
            .collect(),
        items: f
            .top_items
            .iter()
            .map(|t| ItemRow {
                id: t.item_id,
                name: if lang == Lang::En && !t.name_en.is_empty() {
                    t.name_en.clone()
                } else {
                    t.name_zh.clone()
                },
                orders: num(t.orders),
                points: num(t.points),
            })
            .collect(),
        data: script_json(&data),
    }
}

fn tier_name(lang: Lang, t: &TierCount) -> String {
    if lang == Lang::En && !t.name_en.is_empty() {
        t.name_en.clone()
    } else {
        t.name_zh.clone()
    }
}

fn days(f: &Figures) -> Vec<Day> {
    f.dates
        .iter()
        .enumerate()
        .map(|(i, d)| Day {
            date: d.clone(),
            issued: num(f.issued[i]),
            spent: num(f.spent[i]),
            expired: num(f.expired[i]),
            new_members: num(f.new_members[i]),
            active: num(f.active_daily[i]),
        })
        .collect()
}

/// The cards: the programme now, then the range's totals, then what waits for staff.
fn cards(st: &Staff, v: &OverviewView) -> Vec<Card> {
    let f = &v.figures;
    let card = |label: &str, value: String| Card {
        label: label.to_string(),
        value,
        note: None,
        href: None,
    };
    let rate = if f.total_issued > 0 {
        format!(
            "{:.1}%",
            f.total_spent as f64 * 100.0 / f.total_issued as f64
        )
    } else {
        "–".into()
    };
    let l = &v.liability;
    let liability = match (l.value_minor, l.minor_per_100_points) {
        (Some(value), Some(per100)) => Card {
            label: st.t("积分负债", "Points liability").to_string(),
            value: jifen_app::mall::money_text(&l.currency, value),
            note: Some(match st.lang {
                Lang::Zh => format!(
                    "按每 100 积分 {} 计",
                    jifen_app::mall::money_text(&l.currency, per100)
                ),
                Lang::En => format!(
                    "at {} per 100 points",
                    jifen_app::mall::money_text(&l.currency, per100)
                ),
            }),
            href: None,
        },
        _ => Card {
            label: st.t("积分负债", "Points liability").to_string(),
            value: st.t("未设置", "Not set").to_string(),
            note: Some(
                st.t(
                    "在设置中填写每 100 积分的价值后显示金额",
                    "Set the value of 100 points in the settings to see it in money",
                )
                .to_string(),
            ),
            href: Some("/console/settings#point-value"),
        },
    };
    vec![
        card(L::MembersTotal.t(st.lang), num(f.members)),
        card(L::Outstanding.t(st.lang), num(f.outstanding)),
        liability,
        card(st.t("期间发放", "Issued in range"), num(f.total_issued)),
        card(st.t("期间使用", "Spent in range"), num(f.total_spent)),
        card(st.t("期间过期", "Expired in range"), num(f.total_expired)),
        card(
            st.t("期间新会员", "New members in range"),
            num(f.total_new_members),
        ),
        Card {
            note: Some(
                st.t(
                    "近 30 天有任何积分变动的会员",
                    "Members with any points movement in the last 30 days",
                )
                .to_string(),
            ),
            ..card(st.t("30天活跃会员", "Active, last 30 days"), num(f.active))
        },
        card(L::RedemptionRate.t(st.lang), rate),
        Card {
            href: Some("/console/appeals"),
            ..card(
                st.t("待处理申诉", "Appeals to answer"),
                num(v.open_appeals as i64),
            )
        },
        Card {
            href: Some("/console/risk-holds"),
            ..card(L::OpenHolds.t(st.lang), num(v.open_holds as i64))
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_have_one_decimal_and_json_cannot_close_its_script() {
        assert_eq!(share(1, 8), "12.5%");
        assert_eq!(share(2, 3), "66.7%");
        assert_eq!(share(0, 0), "–");
        let j = script_json(&vec!["</script><script>alert(1)</script>"]);
        assert!(!j.contains('<') && !j.contains('>'), "{j}");
        let back: Vec<String> = serde_json::from_str(&j).unwrap();
        assert_eq!(back[0], "</script><script>alert(1)</script>");
    }
}

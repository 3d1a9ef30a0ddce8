//! The overview page: the figures as cards, the 14-day chart, recent orders and the top items.

use super::*;
use jifen_app::mall::OrderView;

pub(super) fn card(label: &str, value: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div></div>"
    )
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

pub(super) fn overview_cards(lang: Lang, o: &OverviewView) -> String {
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

pub(super) fn overview_chart(lang: Lang, tz: &TimeZone, f: &Figures) -> String {
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

pub(super) fn recent_orders(lang: Lang, tz: &TimeZone, recent: &[OrderView]) -> String {
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
                v.order_id,
                fmt_time(v.created_at, tz),
                v.member_id,
                esc(v.item_name(lang == Lang::En)),
                num(v.points),
                esc(&order_state(lang, &v.state)),
            )
        })
        .collect()
}

pub(super) fn top_items(lang: Lang, top: &[TopItem]) -> String {
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

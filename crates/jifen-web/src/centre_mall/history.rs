//! The member's whole points history: one line per business event with its state, 全部 · 收入 ·
//! 支出, a page at a time.

use super::*;
use jifen_app::activity::{ActivityQuery, activity};

#[derive(Deserialize, Default)]
pub(super) struct HistoryQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) before: Option<String>,
    /// `in` or `out`; everything otherwise.
    #[serde(default)]
    pub(super) dir: Option<String>,
}

/// Lines per page of the member's history.
pub(super) const HISTORY_PAGE: i64 = 30;

pub(super) async fn history(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let dir = q.dir.clone().filter(|d| d == "in" || d == "out");
    let query = ActivityQuery {
        before: q
            .before
            .as_deref()
            .and_then(|b| b.parse::<i64>().ok())
            .filter(|b| *b > 0),
        direction: dir.clone(),
        ..ActivityQuery::points(HISTORY_PAGE)
    };
    let (ctx, member) = (c.ctx.clone(), c.member);
    let page = match web
        .app
        .read(move |tx| activity(tx, &ctx, member, &query))
        .await
    {
        Ok(p) => p,
        Err(e) => return c.failed(e),
    };
    let lang = c.lang;
    let tz = &c.ctx.tz;
    let here = format!("/m/{token}/history");
    let filter = |d: Option<&str>, zh: &'static str, en: &'static str| {
        let href = d.map_or(here.clone(), |d| format!("{here}?dir={d}"));
        let on = if dir.as_deref() == d {
            " on\" aria-current=\"page"
        } else {
            ""
        };
        format!(
            "<a class=\"chip{on}\" href=\"{href}\">{}</a>",
            t(lang, zh, en)
        )
    };
    let chips = format!(
        "<nav class=\"chips\" aria-label=\"{}\">{}{}{}</nav>",
        t(lang, "收支筛选", "Earned or used"),
        filter(None, "全部", "All"),
        filter(Some("in"), "收入", "Earned"),
        filter(Some("out"), "支出", "Used"),
    );
    let lines = crate::centre::history_lines(lang, &token, tz, &page.lines);
    let more = page
        .next_before
        .map(|b| {
            let dir = dir
                .as_deref()
                .map(|d| format!("&dir={d}"))
                .unwrap_or_default();
            format!(
                "<a class=\"btn ghost\" href=\"{here}?before={b}{dir}\">{}</a>",
                t(lang, "更早的明细", "Older lines")
            )
        })
        .unwrap_or_default();
    let list = if lines.is_empty() {
        format!(
            "<p class=\"muted none\">{}</p>",
            t(lang, "暂无明细", "Nothing here yet")
        )
    } else {
        format!("<ul class=\"lines\">{lines}</ul>")
    };
    let body = format!("{chips}<div class=\"card\">{list}</div>{more}");
    c.page(
        StatusCode::OK,
        shell(
            &c,
            None,
            t(lang, "积分明细", "Points history"),
            Some(&format!("/m/{token}")),
            &here,
            &body,
        ),
    )
}

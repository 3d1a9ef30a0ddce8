//! The member's whole points history: one line per business event with its state, 全部 · 收入 ·
//! 支出, a page at a time.

use super::*;
use crate::centre::HistoryLine;
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

/// A page of the history: the filter (`in`, `out`, or empty for all), the lines, and where
/// the older lines start when there are more.
#[derive(Template)]
#[template(path = "centre/history.html")]
struct HistoryPage {
    frame: CentreFrame,
    dir: &'static str,
    lines: Vec<HistoryLine>,
    older: Option<i64>,
}

impl HistoryPage {
    /// The filters: (`dir`, words).
    fn filters(&self) -> [(&'static str, &'static str); 3] {
        let t = |zh, en| self.frame.t(zh, en);
        [
            ("", t("全部", "All")),
            ("in", t("收入", "Earned")),
            ("out", t("支出", "Used")),
        ]
    }
}

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
    let dir = match q.dir.as_deref() {
        Some("in") => "in",
        Some("out") => "out",
        _ => "",
    };
    let query = ActivityQuery {
        before: q
            .before
            .as_deref()
            .and_then(|b| b.parse::<i64>().ok())
            .filter(|b| *b > 0),
        direction: (!dir.is_empty()).then(|| dir.to_string()),
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
    let here = format!("/m/{token}/history");
    let page = HistoryPage {
        frame: c.frame(
            None,
            t(lang, "积分明细", "Points history"),
            Some(&format!("/m/{token}")),
            &here,
        ),
        dir,
        lines: page
            .lines
            .iter()
            .map(|l| HistoryLine::of(lang, &c.ctx.tz, l))
            .collect(),
        older: page.next_before,
    };
    respond(StatusCode::OK, &page, &c.cookies)
}

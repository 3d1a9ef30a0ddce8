//! A member's whole points history in the console: one line per business event with its
//! state, filtered by kind and by days (in the programme's zone), a page at a time. Rendered by
//! `templates/console/member_history.html`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use jifen_app::activity::{ActivityPage, ActivityQuery};
use jifen_domain::words;

use crate::frame::{Frame, respond};
use crate::page::{HistoryRow, L, Lang};
use crate::{Staff, Web};

pub(crate) fn routes() -> axum::Router<Web> {
    axum::Router::new().route("/console/members/{id}/history", get(history))
}

/// Lines per page.
const PAGE: i64 = 50;

/// A kind of line the filter offers.
struct Kind {
    code: &'static str,
    label: &'static str,
    on: bool,
}

#[derive(Template)]
#[template(path = "console/member_history.html")]
struct HistoryPage {
    frame: Frame,
    member_id: i64,
    kinds: Vec<Kind>,
    from: String,
    to: String,
    error: Option<String>,
    lines: Vec<HistoryRow>,
    older: Option<String>,
}

async fn history(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = st.lang;
    let title = L::History.t(lang);
    let id = match crate::forms::id_of(&st, &id, "member") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let Some(reader) = st.s.member_reader() else {
        return st.forbidden("members", title);
    };
    let field = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let code = field("code").filter(|c| words::find(words::LEDGER_CODES, c).is_some());
    let mut page = HistoryPage {
        frame: Frame::new(lang, &st.s, "members", title),
        member_id: id,
        kinds: words::LEDGER_CODES
            .iter()
            .map(|w| Kind {
                code: w.word.code,
                label: w.word.text(lang == Lang::En),
                on: code.as_deref() == Some(w.word.code),
            })
            .collect(),
        from: field("from").unwrap_or_default(),
        to: field("to").unwrap_or_default(),
        error: None,
        lines: Vec::new(),
        older: None,
    };
    let (from, to) = match crate::settings::export_range(&q, &st.ctx.tz, lang) {
        Ok(r) => r,
        Err(msg) => {
            page.error = Some(msg);
            return respond(StatusCode::UNPROCESSABLE_ENTITY, &page, &st.set_lang);
        }
    };
    let query = ActivityQuery {
        before: field("before")
            .and_then(|b| b.parse::<i64>().ok())
            .filter(|b| *b > 0),
        code: code.clone(),
        from: (from != i64::MIN).then_some(from),
        to: (to != i64::MAX).then_some(to),
        ..ActivityQuery::points(PAGE)
    };
    let ctx = st.ctx.clone();
    let out = web
        .app
        .read(move |tx| jifen_app::console::member_activity(tx, &reader, &ctx, id, &query))
        .await;
    let found: ActivityPage = match out {
        Ok(p) => p,
        Err(e) => return st.fail(e),
    };
    let tz = &st.ctx.tz;
    page.lines = found
        .lines
        .iter()
        .map(|l| HistoryRow::of(lang, tz, l))
        .collect();
    page.older = found.next_before.map(|b| {
        let mut keep: Vec<(&str, String)> = ["code", "from", "to"]
            .iter()
            .filter_map(|k| field(k).map(|v| (*k, v)))
            .collect();
        keep.push(("before", b.to_string()));
        let keep = serde_urlencoded::to_string(&keep).unwrap_or_default();
        format!("/console/members/{id}/history?{keep}")
    });
    respond(StatusCode::OK, &page, &st.set_lang)
}

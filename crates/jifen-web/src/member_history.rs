//! A member's whole points history in the console: one line per business event with its
//! state, filtered by kind and by days (in the programme's zone), a page at a time.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use jifen_app::activity::ActivityQuery;
use jifen_domain::words;

use crate::page::{L, Lang, code_label, esc, fmt_time, line_amount, line_state, or_none_yet, pick};
use crate::{Staff, Web};

pub(crate) fn routes() -> axum::Router<Web> {
    axum::Router::new().route("/console/members/{id}/history", get(history))
}

/// Lines per page.
const PAGE: i64 = 50;

async fn history(
    axum::extract::State(web): axum::extract::State<Web>,
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
    let before = field("before")
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0);
    let (from, to) = match crate::settings::export_range(&q, &st.ctx.tz, lang) {
        Ok(r) => r,
        Err(msg) => {
            let body = format!(
                "{}<div class=\"error\" role=\"alert\">{}</div>",
                filters(lang, id, &q, code.as_deref()),
                esc(&msg)
            );
            return st.page(StatusCode::UNPROCESSABLE_ENTITY, "members", title, &body);
        }
    };
    let query = ActivityQuery {
        before,
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
    let page = match out {
        Ok(p) => p,
        Err(e) => return st.fail(e),
    };
    let tz = &st.ctx.tz;
    let rows: String = page
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{} {}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                fmt_time(l.created_at, tz),
                esc(&code_label(&l.code, lang)),
                line_state(lang, tz, l),
                line_amount(l),
                esc(l.reason.as_deref().unwrap_or("")),
                esc(l.actor.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let more = page
        .next_before
        .map(|b| {
            let mut keep: Vec<(&str, String)> = ["code", "from", "to"]
                .iter()
                .filter_map(|k| field(k).map(|v| (*k, v)))
                .collect();
            keep.push(("before", b.to_string()));
            let keep = serde_urlencoded::to_string(&keep).unwrap_or_default();
            format!(
                "<div class=\"pager\"><a href=\"/console/members/{id}/history?{}\">{} →</a></div>",
                esc(&keep),
                pick(lang, "更早的明细", "Older lines")
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<p><a href=\"/console/members/{id}\">← {}</a></p>{}<table><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>{more}",
        pick(lang, "返回会员", "Back to the member"),
        filters(lang, id, &q, code.as_deref()),
        L::Time.t(lang),
        L::Kind.t(lang),
        L::Points.t(lang),
        L::Reason.t(lang),
        pick(lang, "操作人", "By"),
        or_none_yet(lang, rows, 5),
    );
    st.page(StatusCode::OK, "members", title, &body)
}

/// The filter form: the kind of line, and the first and last day.
fn filters(lang: Lang, id: i64, q: &HashMap<String, String>, code: Option<&str>) -> String {
    let options: String = words::LEDGER_CODES
        .iter()
        .map(|w| {
            let c = w.word.code;
            format!(
                "<option value=\"{c}\"{}>{}</option>",
                if code == Some(c) { " selected" } else { "" },
                esc(w.word.text(lang == Lang::En))
            )
        })
        .collect();
    let day = |k: &str| esc(q.get(k).map(|v| v.trim()).unwrap_or(""));
    format!(
        "<form class=\"search\" method=\"get\" action=\"/console/members/{id}/history\">\
         <label>{} <select name=\"code\"><option value=\"\">{}</option>{options}</select></label>\
         <label>{} <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>{} <input type=\"date\" name=\"to\" value=\"{}\"></label>\
         <button>{}</button></form>",
        L::Kind.t(lang),
        pick(lang, "全部", "All"),
        pick(lang, "从", "From"),
        day("from"),
        pick(lang, "到", "To"),
        day("to"),
        pick(lang, "筛选", "Filter"),
    )
}

//! The queues staff work through: adjustments waiting for approval, appeals, risk holds; the audit log and the members export.

use super::*;
use crate::page::QueueBody;

pub(super) async fn approvals(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<MemberQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(reader) = s.member_reader() else {
        return no_access(lang, &s, "approvals", L::Approvals.t(lang));
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    let done_tab = q.tab.as_deref() == Some("done");
    let queue = Queue {
        nav: "approvals",
        title: L::Approvals,
        path: "/console/approvals",
        done: done_tab,
    };
    if done_tab {
        let body = match web
            .app
            .read(move |tx| jifen_app::console::decided_adjustments(tx, &reader, 100))
            .await
        {
            Ok(rows) => QueueBody::ApprovalsDone(page::approval_rows(lang, &ctx.tz, &rows)),
            Err(e) => return failure(lang, &s, e),
        };
        return queue.page(lang, &s, None, body, StatusCode::OK, set_lang);
    }
    let rows = match web
        .app
        .read(move |tx| jifen_app::console::pending_adjustments(tx, &reader, 100))
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(lang, &s, e),
    };
    let notice = q.done.as_deref().map(|d| {
        if d == "approved" {
            L::Approved.t(lang).to_string()
        } else {
            L::Rejected.t(lang).to_string()
        }
    });
    let body = QueueBody::Approvals(page::approval_rows(lang, &ctx.tz, &rows));
    queue.page(lang, &s, notice, body, StatusCode::OK, set_lang)
}

/// A queue: where it sits in the navigation, its title and address, and which tab is shown.
struct Queue {
    nav: &'static str,
    title: L,
    path: &'static str,
    done: bool,
}

impl Queue {
    /// The queue's page: its tabs above its table.
    fn page(
        &self,
        lang: Lang,
        s: &Session,
        notice: Option<String>,
        body: QueueBody,
        status: StatusCode,
        set_lang: Option<String>,
    ) -> Response {
        let page = page::QueuePage {
            frame: crate::frame::Frame::new(lang, s, self.nav, self.title.t(lang)),
            path: self.path,
            done: self.done,
            notice,
            body,
        };
        crate::frame::respond(status, &page, &set_lang.into_iter().collect::<Vec<_>>())
    }
}

pub(super) async fn decide(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((id, decision)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return failure(
                lang,
                &s,
                AppError::NotFound {
                    what: "page",
                    id: decision,
                },
            );
        }
    };
    let refused = |e: AppError| failure_at(lang, &s, e, "approvals", "/console/approvals");
    if f.csrf != s.csrf {
        let expired = L::FormExpired.t(lang);
        return error_page(
            lang,
            &s,
            StatusCode::FORBIDDEN,
            None,
            expired,
            "approvals",
            "/console/approvals",
        );
    }
    let Some(id) = crate::forms::positive_id(&id) else {
        return failure(
            lang,
            &s,
            AppError::NotFound {
                what: "adjustment request",
                id,
            },
        );
    };
    let session = s.clone();
    let out = web
        .app
        .write_view(s.program, "approvals", None, move |tx, ctx, now| {
            staff::decide(tx, ctx, now, &session, id, approve)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!(
            "/console/approvals?done={}",
            if approve { "approved" } else { "rejected" }
        ))
        .into_response(),
        Err(e) => refused(e),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    pub(super) actor: Option<String>,
    #[serde(default)]
    pub(super) action: Option<String>,
    #[serde(default)]
    pub(super) before: Option<String>,
}

/// The audit log, newest first, filtered by actor and action: for owners and auditors.
pub(super) async fn audit(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<AuditQuery>,
) -> Response {
    let title = L::AuditLog.t(st.lang);
    let Some(auditor) = st.s.audit_reader() else {
        return st.forbidden("audit", title);
    };
    let clean = |v: &Option<String>| {
        v.clone()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.len() <= 100)
    };
    let (actor, action) = (clean(&q.actor), clean(&q.action));
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0)
        .unwrap_or(i64::MAX);
    let (a2, b2) = (actor.clone(), action.clone());
    let rows = match web
        .app
        .read(move |tx| {
            jifen_app::console::audit_entries(
                tx,
                &auditor,
                a2.as_deref(),
                b2.as_deref(),
                before,
                PAGE,
            )
        })
        .await
    {
        Ok(r) => r,
        Err(e) => return st.fail(e),
    };
    let page = page::audit(
        st.frame("audit", title),
        &st.ctx.tz,
        &rows,
        actor.as_deref().unwrap_or(""),
        action.as_deref().unwrap_or(""),
        rows.len() as i64 == PAGE,
    );
    st.render(StatusCode::OK, &page)
}

/// Rows read per page of an export.
pub(super) const EXPORT_PAGE: i64 = 2_000;

/// All members as CSV, streamed a page at a time (UTF-8 with a byte-order mark, for Excel).
pub(super) async fn export_members(State(web): State<Web>, headers: HeaderMap) -> Response {
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(exporter) = s.exporter() else {
        return (StatusCode::FORBIDDEN, "your role may not export").into_response();
    };
    let Ok(ctx) = web.app.program_ctx(s.program).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let tz = ctx.tz.clone();
    let who = exporter.clone();
    let members = jifen_app::console::ExportKind::Members;
    let begun = web
        .app
        .write_view(s.program, "staff", None, move |tx, _ctx, now| {
            jifen_app::console::begin_export(tx, &who, members, None, None, now)
        })
        .await;
    if let Err(e) = begun {
        // No export leaves without its audit entry.
        tracing::error!(error = %e, "the members export could not be audited");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let app = web.app.clone();
    // Roles that do not need phone numbers export them masked.
    let phones = s.role.sees_phones();
    let head = "\u{feff}id,name,phone,email,status,joined,available_points\n".to_string();
    let stream = futures_util::stream::unfold(Some((0i64, Some(head))), move |state| {
        let app = app.clone();
        let (tz, exporter) = (tz.clone(), exporter.clone());
        async move {
            let (after, head) = state?;
            if let Some(h) = head {
                return Some((Ok::<_, std::io::Error>(h), Some((after, None))));
            }
            let rows = app
                .read(move |tx| {
                    jifen_app::console::member_export_page(tx, &exporter, after, EXPORT_PAGE)
                })
                .await
                .ok()?;
            let last = rows.last()?.id;
            let mut chunk = String::new();
            for r in &rows {
                chunk.push_str(&format!(
                    "{},{},{},{},{},{},{}\n",
                    r.id,
                    csv_field(r.name.as_deref().unwrap_or("")),
                    csv_field(&page::shown_phone(r.phone.as_deref(), phones).unwrap_or_default(),),
                    csv_field(r.email.as_deref().unwrap_or("")),
                    csv_field(&r.status),
                    page::fmt_time(r.created_at, &tz),
                    r.available
                ));
            }
            Some((Ok(chunk), Some((last, None))))
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"members.csv\"".to_string(),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

pub(super) async fn appeals(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<MemberQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(reader) = s.member_reader() else {
        return no_access(lang, &s, "appeals", L::Appeals.t(lang));
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    let done_tab = q.tab.as_deref() == Some("done");
    let now = web.app.now();
    let (body, notice) = if done_tab {
        match web
            .app
            .read(move |tx| jifen_app::console::answered_appeals(tx, &reader, 200))
            .await
        {
            Ok(rows) => (
                QueueBody::AppealsDone(page::appeal_rows(lang, &ctx.tz, now, &rows, None)),
                None,
            ),
            Err(e) => return failure(lang, &s, e),
        }
    } else {
        match web
            .app
            .read(move |tx| jifen_app::console::open_appeals(tx, &reader, 200))
            .await
        {
            Ok(rows) => (
                QueueBody::Appeals(page::appeal_rows(lang, &ctx.tz, now, &rows, None)),
                q.done.as_deref().map(|_| L::Answered.t(lang).to_string()),
            ),
            Err(e) => return failure(lang, &s, e),
        }
    };
    appeals_queue(done_tab).page(lang, &s, notice, body, StatusCode::OK, set_lang)
}

fn appeals_queue(done: bool) -> Queue {
    Queue {
        nav: "appeals",
        title: L::Appeals,
        path: "/console/appeals",
        done,
    }
}

#[derive(Deserialize)]
pub(super) struct AnswerForm {
    #[serde(default)]
    pub(super) decision: String,
    #[serde(default)]
    pub(super) answer: String,
    #[serde(default)]
    pub(super) delta: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn answer_appeal(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(id) = crate::forms::positive_id(&id) else {
        return failure(lang, &s, AppError::NotFound { what: "appeal", id });
    };
    let reshow = |status: StatusCode, field: &str, msg: String| {
        let web = web.clone();
        let s = s.clone();
        let field = field.to_string();
        async move {
            let rows = match s.member_reader() {
                Some(reader) => web
                    .app
                    .read(move |tx| jifen_app::console::open_appeals(tx, &reader, 200))
                    .await
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            let tz = web
                .app
                .program_ctx(s.program)
                .await
                .map(|c| c.tz.clone())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let rows = page::appeal_rows(lang, &tz, web.app.now(), &rows, Some((id, field, msg)));
            appeals_queue(false).page(lang, &s, None, QueueBody::Appeals(rows), status, None)
        }
    };
    if f.csrf != s.csrf {
        return reshow(
            StatusCode::FORBIDDEN,
            "answer",
            L::FormExpired.t(lang).into(),
        )
        .await;
    }
    let delta = match f.delta.trim().replace(',', "") {
        d if d.is_empty() => None,
        d => match d.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return reshow(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "delta",
                    L::WholeNumber.t(lang).into(),
                )
                .await;
            }
        },
    };
    let a = jifen_app::appeals::Answer {
        appeal_id: id,
        resolve: f.decision == "resolve",
        answer: f.answer.clone(),
        delta,
    };
    let session = s.clone();
    let out = web
        .app
        .write_view(s.program, "appeals", None, move |tx, ctx, now| {
            jifen_app::appeals::answer(tx, ctx, now, &session, &a)
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/appeals?done=answered").into_response(),
        Err(AppError::Invalid { field, message }) => {
            reshow(StatusCode::UNPROCESSABLE_ENTITY, &field, message).await
        }
        Err(AppError::Conflict { message, .. }) => {
            reshow(StatusCode::CONFLICT, "answer", message).await
        }
        Err(e) => failure(lang, &s, e),
    }
}

pub(super) async fn risk_holds(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<MemberQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !s.role.reads_members() {
        return no_access(lang, &s, "holds", L::OpenHolds.t(lang));
    }
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    let tz = ctx.tz.clone();
    let done_tab = q.tab.as_deref() == Some("done");
    let max = jifen_app::earn::HOLDS_PAGE_MAX;
    let (body, notice) = if done_tab {
        match web
            .app
            .read(move |tx| jifen_app::earn::decided_holds(tx, &ctx, max))
            .await
        {
            Ok(h) => (QueueBody::HoldsDone(page::hold_rows(lang, &tz, &h)), None),
            Err(e) => return failure(lang, &s, e),
        }
    } else {
        match web
            .app
            .read(move |tx| jifen_app::earn::list_holds(tx, &ctx, Some("open"), None, Some(max)))
            .await
        {
            Ok(h) => (
                QueueBody::Holds(page::hold_rows(lang, &tz, &h.holds)),
                q.done.as_deref().map(|_| L::Answered.t(lang).to_string()),
            ),
            Err(e) => return failure(lang, &s, e),
        }
    };
    let queue = Queue {
        nav: "holds",
        title: L::OpenHolds,
        path: "/console/risk-holds",
        done: done_tab,
    };
    queue.page(lang, &s, notice, body, StatusCode::OK, set_lang)
}

pub(super) async fn decide_hold(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((id, decision)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let decision = match decision.as_str() {
        "release" => jifen_app::earn::HoldDecision::Release,
        "reject" => jifen_app::earn::HoldDecision::Reject,
        _ => {
            return failure(
                lang,
                &s,
                AppError::NotFound {
                    what: "page",
                    id: decision,
                },
            );
        }
    };
    let Some(id) = crate::forms::positive_id(&id) else {
        return failure(
            lang,
            &s,
            AppError::NotFound {
                what: "risk hold",
                id,
            },
        );
    };
    let refused = |e: AppError| failure_at(lang, &s, e, "holds", "/console/risk-holds");
    if f.csrf != s.csrf || !s.role.manages_members() {
        let message = L::NoAccess.t(lang);
        return error_page(
            lang,
            &s,
            StatusCode::FORBIDDEN,
            None,
            message,
            "holds",
            "/console/risk-holds",
        );
    }
    let review = jifen_app::earn::HoldReview {
        actor: s.actor(),
        note: None,
    };
    let actor = s.actor();
    let out = web
        .app
        .write_view(
            s.program,
            &format!("hold:{id}"),
            None,
            move |tx, ctx, now| {
                jifen_app::earn::decide_hold(tx, ctx, now, &actor, id, decision, &review)
            },
        )
        .await;
    match out {
        Ok(_) => Redirect::to("/console/risk-holds?done=1").into_response(),
        Err(e) => refused(e),
    }
}

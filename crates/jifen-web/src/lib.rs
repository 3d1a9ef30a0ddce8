//! Jifen's web pages, rendered by the server: the staff console under `/console` (the member
//! points centre comes under `/m`). Every asset is inside the binary; pages use the same use
//! cases and views as the JSON API. Chinese by default, English with `?lang=en`; times in the
//! programme's time zone; numbers with thousands separators.
//!
//! Staff sign in with a password (argon2id); the session cookie is HttpOnly and SameSite=Lax,
//! every form that changes data carries the session's CSRF token, and failed sign-ins are
//! limited per login.

mod account;
mod assets;
mod centre;
mod centre_mall;
mod forms;
mod frame;
mod mall_pages;
mod overview_page;
mod page;
mod rules_pages;
mod settings;
mod staff_pages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use jifen_app::csv_field;
use jifen_app::staff::{self, Session};
use jifen_app::{App, AppError};
use jifen_ledger::{MemberId, PointType};
use serde::Deserialize;

use page::{L, Lang};

mod member_history;
mod member_pages;
mod queues;
mod sign_in;
pub(crate) use member_pages::*;
use queues::*;
use sign_in::*;

mod headers;

/// `; Secure` on cookies when the service is reached over https.
fn secure() -> &'static str {
    if headers::public_https() {
        "; Secure"
    } else {
        ""
    }
}

const CSS: &str = include_str!("../assets/console.css");
const SESSION_COOKIE: &str = "jifen_session";
const LOGIN_CSRF_COOKIE: &str = "jifen_login_csrf";
const LANG_COOKIE: &str = "jifen_lang";

/// Failed sign-ins allowed per login in a window, and the window.
/// Wrong passwords for one login from one source before each further try waits: 1 s, then
/// twice as long after every failure, up to `LOGIN_DELAY_MAX`. The owner signing in from
/// elsewhere is not held up by an attacker's failures.
pub const LOGIN_FAILURES_MAX: u32 = 5;
/// Wrong passwords for one login from all sources together before tries wait the same way.
pub const LOGIN_FAILURES_ACCOUNT_MAX: u32 = 20;
pub const LOGIN_DELAY_MAX: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// How long a login must wait after `n` failures beyond `free`, counted from the last one.
fn login_delay(n: u32, free: u32) -> Duration {
    if n < free {
        return Duration::ZERO;
    }
    let secs = 1u64.checked_shl(n - free).unwrap_or(u64::MAX);
    Duration::from_secs(secs).min(LOGIN_DELAY_MAX)
}

/// Where a sign-in comes from: the peer's address (or, with `JIFEN_TRUST_PROXY=1` behind a
/// proxy, the first `X-Forwarded-For` address).
struct Source(String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        if std::env::var("JIFEN_TRUST_PROXY").is_ok_and(|v| v == "1")
            && let Some(f) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
        {
            return Ok(Source(f.trim().to_string()));
        }
        Ok(Source(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "-".to_string(), |c| c.0.ip().to_string()),
        ))
    }
}

#[derive(Clone)]
struct Web {
    app: App,
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

/// The console's routes, with their state; merged with the API router by the binary.
pub fn router(app: App) -> Router {
    let web = Web {
        app,
        failures: Arc::default(),
    };
    Router::new()
        .route("/console/assets/console.css", get(css))
        .route("/m/assets/centre.css", get(centre::css))
        .route("/m/{token}", get(centre::home))
        .route("/m/{token}/sign-in", axum::routing::post(centre::sign_in))
        .route(
            "/m/{token}/sign-in/makeup",
            axum::routing::post(centre::sign_in_makeup),
        )
        .route(
            "/m/{token}/appeal",
            get(centre::appeal_form).post(centre::appeal_submit),
        )
        .route("/console/appeals", get(appeals))
        .route("/console/appeals/{id}", axum::routing::post(answer_appeal))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", axum::routing::post(logout))
        .route("/console", get(overview_page::overview))
        .route("/console/members", get(members))
        .route("/console/members/{id}", get(member))
        .route("/console/members/{id}/adjust", axum::routing::post(adjust))
        .route(
            "/console/members/{id}/transfer",
            axum::routing::post(member_transfer),
        )
        .route(
            "/console/members/{id}/merge",
            axum::routing::post(member_merge),
        )
        .route("/console/approvals", get(approvals))
        .route("/console/audit", get(audit))
        .route("/console/risk-holds", get(risk_holds))
        .route(
            "/console/risk-holds/{id}/{decision}",
            axum::routing::post(decide_hold),
        )
        .route("/console/exports/members.csv", get(export_members))
        .route(
            "/console/approvals/{id}/{decision}",
            axum::routing::post(decide),
        )
        .merge(centre::routes())
        .merge(rules_pages::routes())
        .merge(mall_pages::routes())
        .merge(settings::routes())
        .merge(staff_pages::routes())
        .merge(member_history::routes())
        .merge(account::routes())
        .merge(assets::routes())
        .with_state(web)
        .layer(axum::middleware::from_fn(headers::security_headers))
        // Outside the headers, which hash the page's scripts as written: gzip for a browser
        // that asks for it (pages, the stylesheets, SVG pictures; not images already compressed).
        .layer(tower_http::compression::CompressionLayer::new())
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[derive(Deserialize, Default)]
struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// The language of a request: `?lang=` (remembered in a cookie), else the cookie, else Chinese.
fn lang_of(headers: &HeaderMap, q: &LangQuery) -> (Lang, Option<String>) {
    match q.lang.as_deref() {
        Some("en") => (
            Lang::En,
            Some(format!(
                "{LANG_COOKIE}=en; Path=/; SameSite=Lax; Max-Age=31536000"
            )),
        ),
        Some(_) => (
            Lang::Zh,
            Some(format!(
                "{LANG_COOKIE}=zh; Path=/; SameSite=Lax; Max-Age=31536000"
            )),
        ),
        None => (
            if cookie(headers, LANG_COOKIE).as_deref() == Some("en") {
                Lang::En
            } else {
                Lang::Zh
            },
            None,
        ),
    }
}

fn html(status: StatusCode, body: String, set_cookies: &[String]) -> Response {
    let mut r = (status, Html(body)).into_response();
    let h = r.headers_mut();
    for c in set_cookies {
        if let Ok(v) = c.parse() {
            h.append(header::SET_COOKIE, v);
        }
    }
    h.insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    h.insert("x-frame-options", "DENY".parse().expect("header"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        "nosniff".parse().expect("header"),
    );
    r
}

fn random_hex() -> String {
    // A session-independent token for the sign-in form (double-submit cookie).
    let t = jifen_app::staff::generate_password();
    t.chars().map(|c| format!("{:02x}", c as u8)).collect()
}

async fn signed_in(web: &Web, headers: &HeaderMap) -> Option<Session> {
    let token = cookie(headers, SESSION_COOKIE)?;
    let now = web.app.now();
    web.app
        .read(move |tx| staff::session(tx, &token, now))
        .await
        .ok()
        .flatten()
}

/// A console request: the signed-in staff member, the page's language and the programme.
/// Extracting it answers a visitor who is not signed in with the sign-in page, so handlers
/// start from a session they can trust.
pub(crate) struct Staff {
    pub s: Session,
    pub lang: Lang,
    pub set_lang: Vec<String>,
    pub ctx: Arc<jifen_app::ProgramCtx>,
}

impl axum::extract::FromRequestParts<Web> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        web: &Web,
    ) -> Result<Self, Response> {
        let lang = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .map(|(_, v)| v.to_string())
        });
        let (lang, set_lang) = lang_of(&parts.headers, &LangQuery { lang });
        let s = require(web, &parts.headers).await?;
        let ctx = web
            .app
            .program_ctx(s.program)
            .await
            .map_err(|e| failure(lang, &s, e))?;
        Ok(Staff {
            s,
            lang,
            set_lang: set_lang.into_iter().collect(),
            ctx,
        })
    }
}

impl Staff {
    /// The frame of a page titled `title`, its navigation entry `active` marked.
    pub fn frame(&self, active: &str, title: &str) -> frame::Frame {
        frame::Frame::new(self.lang, &self.s, active, title)
    }

    /// A page rendered from its template (which holds its frame).
    pub fn render<T: askama::Template>(&self, status: StatusCode, page: &T) -> Response {
        frame::respond(status, page, &self.set_lang)
    }

    /// The answer to a failed use case.
    pub fn fail(&self, e: AppError) -> Response {
        failure(self.lang, &self.s, e)
    }

    /// The answer to a role that may not do or see this.
    pub fn forbidden(&self, active: &str, title: &str) -> Response {
        no_access(self.lang, &self.s, active, title)
    }

    /// Chinese or English words, by the page's language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        page::pick(self.lang, zh, en)
    }
}

/// The signed-in staff member, or a redirect to the sign-in page.
async fn require(web: &Web, headers: &HeaderMap) -> Result<Session, Response> {
    signed_in(web, headers)
        .await
        .ok_or_else(|| Redirect::to("/console/login").into_response())
}

/// The page for a role that may not see or do this.
fn no_access(lang: Lang, s: &Session, active: &str, title: &str) -> Response {
    let message = L::NoAccess.t(lang);
    error_page(
        lang,
        s,
        StatusCode::FORBIDDEN,
        Some(title),
        message,
        active,
        "/console",
    )
}

/// What a failed use case shows a person, and the status it answers with: bad input and a
/// business refusal say what is wrong (422, 409); a busy service says to try again (503); a
/// fault says it was logged (500), and its cause goes to the log, never to the page.
pub(crate) fn shown_error(lang: Lang, e: &AppError) -> (StatusCode, String) {
    use jifen_app::ErrorClass;
    match e.class() {
        ErrorClass::NotFound => (StatusCode::NOT_FOUND, L::NotFound.t(lang).to_string()),
        ErrorClass::Invalid => (
            StatusCode::UNPROCESSABLE_ENTITY,
            match e {
                AppError::Invalid { field, message } => format!("{field}: {message}"),
                e => e.to_string(),
            },
        ),
        ErrorClass::Refused => (
            if matches!(e, AppError::Conflict { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            refusal_words(lang, e),
        ),
        ErrorClass::Busy => {
            tracing::warn!(error = %e, "a page could not be served: the service is busy");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                page::pick(
                    lang,
                    "服务繁忙，请稍后再试",
                    "The service is busy; please try again shortly",
                )
                .to_string(),
            )
        }
        ErrorClass::Fault => {
            tracing::error!(error = %e, "a page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                page::pick(
                    lang,
                    "出错了，我们已记录下来，请稍后再试",
                    "Something went wrong; it has been logged. Please try again later",
                )
                .to_string(),
            )
        }
    }
}

/// A refusal in the page's language (`words::REFUSALS`), its `{name}`s filled from its details
/// (numbers with thousands separators); the refusal's own message when the table lacks it.
fn refusal_words(lang: Lang, e: &AppError) -> String {
    let Some((code, details)) = e.refusal() else {
        return e.to_string();
    };
    let Some(w) = jifen_domain::words::find(jifen_domain::words::REFUSALS, code) else {
        return e.to_string();
    };
    let mut text = w.text(lang == Lang::En).to_string();
    if let Some(d) = details.as_object() {
        for (k, v) in d {
            let shown = match v {
                serde_json::Value::Number(n) => n.as_i64().map_or(n.to_string(), page::num),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text = text.replace(&format!("{{{k}}}"), &shown);
        }
    }
    text
}

/// The one error page: a title by the kind of failure, what went wrong in the page's language,
/// and a way back.
fn failure(lang: Lang, s: &Session, e: AppError) -> Response {
    failure_at(lang, s, e, "", "/console")
}

/// The one error page for a failure on a page under the navigation entry `active`, leading
/// back to `back`.
pub(crate) fn failure_at(
    lang: Lang,
    s: &Session,
    e: AppError,
    active: &str,
    back: &str,
) -> Response {
    let (status, msg) = shown_error(lang, &e);
    error_page(lang, s, status, None, &msg, active, back)
}

/// The one error page: `message` under `title` (by default a title by the status), and a way
/// back to `back`.
pub(crate) fn error_page(
    lang: Lang,
    s: &Session,
    status: StatusCode,
    title: Option<&str>,
    message: &str,
    active: &str,
    back: &str,
) -> Response {
    let title = title.unwrap_or(match status {
        StatusCode::NOT_FOUND => page::pick(lang, "找不到", "Not found"),
        StatusCode::FORBIDDEN => page::pick(lang, "无权访问", "Not allowed"),
        s if s.is_client_error() => page::pick(lang, "无法完成", "Could not be done"),
        _ => page::pick(lang, "出错了", "Something went wrong"),
    });
    let frame = frame::Frame::new(lang, s, active, title);
    let page = frame::ErrorPage {
        frame: &frame,
        message,
        back,
    };
    frame::respond(status, &page, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refusals say what is wrong with a 4xx; a busy service answers 503; a fault answers 500
    /// with words that say nothing of its cause, which goes to the log instead.
    #[test]
    fn errors_are_shown_by_class_and_faults_only_logged() {
        let (logs, _guard) = jifen_testkit::LogBuffer::capture();
        let short = AppError::Ledger(jifen_ledger::LedgerError::InsufficientPoints {
            available: 10,
            requested: 500,
        });
        let (status, msg) = shown_error(Lang::En, &short);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(msg.contains("500"), "{msg}");
        let taken = AppError::conflict("already_decided", "already decided", serde_json::json!({}));
        assert_eq!(shown_error(Lang::Zh, &taken).0, StatusCode::CONFLICT);
        let away = AppError::Unavailable;
        assert_eq!(
            shown_error(Lang::Zh, &away).0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        let bug = AppError::Internal("column lots.secret_detail does not exist".into());
        let (status, msg) = shown_error(Lang::Zh, &bug);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !msg.contains("secret_detail") && msg.contains("已记录"),
            "{msg}"
        );
        let logged = logs.text();
        assert!(
            logged.contains("a page failed") && logged.contains("secret_detail"),
            "{logged}"
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(super::csv_field("王小明"), "王小明");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::csv_field("-5"), "'-5");
    }
}

//! Jifen's web pages, rendered by the server: the staff console under `/console` (the member
//! points centre comes under `/m`). Every asset is inside the binary; pages use the same use
//! cases and views as the JSON API. Chinese by default, English with `?lang=en`; times in the
//! programme's time zone; numbers with thousands separators.
//!
//! Staff sign in with a password (argon2id); the session cookie is HttpOnly and SameSite=Lax,
//! every form that changes data carries the session's CSRF token, and failed sign-ins are
//! limited per login.

mod account;
mod centre;
mod centre_mall;
mod forms;
mod mall_pages;
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
use jifen_app::staff::{self, Session};
use jifen_app::{App, AppError};
use jifen_ledger::{MemberId, PointType};
use serde::Deserialize;

use forms::Audit;
use page::{L, Lang, esc};

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
    /// The overview's figures per programme, read at most once a minute.
    figures: jifen_app::overview::FiguresCache,
}

/// The console's routes, with their state; merged with the API router by the binary.
pub fn router(app: App) -> Router {
    let web = Web {
        app,
        failures: Arc::default(),
        figures: Default::default(),
    };
    Router::new()
        .route("/console/assets/console.css", get(css))
        .route("/m/assets/centre.css", get(centre::css))
        .route("/m/{token}", get(centre::home))
        .route("/m/{token}/sign-in", axum::routing::post(centre::sign_in))
        .route(
            "/m/{token}/appeal",
            get(centre::appeal_form).post(centre::appeal_submit),
        )
        .route("/console/appeals", get(appeals))
        .route("/console/appeals/{id}", axum::routing::post(answer_appeal))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", axum::routing::post(logout))
        .route("/console", get(overview))
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
        .merge(account::routes())
        .with_state(web)
        .layer(axum::middleware::from_fn(headers::security_headers))
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

#[derive(Deserialize, Default)]
struct LoginQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    program: Option<String>,
}

async fn login_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let program = match q.program {
        Some(p) => p,
        None => web
            .app
            .read(jifen_app::console::default_programme)
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
    };
    let csrf = random_hex();
    let body = page::login(lang, &program, "", &csrf, None);
    let mut cookies = vec![format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; Path=/console; HttpOnly; SameSite=Strict{}",
        secure()
    )];
    cookies.extend(set_lang);
    html(StatusCode::OK, body, &cookies)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    program: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(web): State<Web>,
    Source(source): Source,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let fail = |status: StatusCode, msg: &str| {
        let csrf = random_hex();
        html(
            status,
            page::login(lang, &f.program, &f.login, &csrf, Some(msg)),
            &[format!(
                "{LOGIN_CSRF_COOKIE}={csrf}; Path=/console; HttpOnly; SameSite=Strict{}",
                secure()
            )],
        )
    };
    if f.csrf.is_empty() || cookie(&headers, LOGIN_CSRF_COOKIE).as_deref() != Some(f.csrf.as_str())
    {
        return fail(StatusCode::FORBIDDEN, L::FormExpired.t(lang));
    }
    if f.login.trim().is_empty() || f.password.is_empty() || f.program.trim().is_empty() {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, L::FillAll.t(lang));
    }
    let account = format!("{}/{}", f.program, f.login.to_lowercase());
    let key = format!("{account}@{source}");
    {
        let mut failures = web.failures.lock().expect("failures lock");
        let mut wait = Duration::ZERO;
        for (k, free) in [
            (&key, LOGIN_FAILURES_MAX),
            (&account, LOGIN_FAILURES_ACCOUNT_MAX),
        ] {
            if let Some((n, last)) = failures.get(k).copied() {
                if last.elapsed() > LOGIN_WINDOW {
                    failures.remove(k);
                } else {
                    wait = wait.max(login_delay(n, free).saturating_sub(last.elapsed()));
                }
            }
        }
        if !wait.is_zero() {
            let mut r = fail(StatusCode::TOO_MANY_REQUESTS, L::TooMany.t(lang));
            r.headers_mut().insert(
                header::RETRY_AFTER,
                wait.as_secs().max(1).to_string().parse().expect("a number"),
            );
            return r;
        }
    }
    let code = f.program.clone();
    let Ok(Some(program)) = web
        .app
        .read(move |tx| jifen_app::console::programme(tx, &code))
        .await
    else {
        return fail(StatusCode::UNAUTHORIZED, L::WrongLogin.t(lang));
    };
    let (login, password) = (f.login.clone(), f.password.clone());
    let out = web
        .app
        .write(program.id, "staff", None, move |tx, ctx, now| {
            let (token, s) = staff::sign_in(tx, ctx, now, &login, &password)?;
            Ok(serde_json::json!({"token": token, "login": s.login}))
        })
        .await;
    match out {
        Ok(o) => {
            {
                let mut failures = web.failures.lock().expect("failures lock");
                failures.remove(&key);
                failures.remove(&account);
            }
            let token = o.body["token"].as_str().unwrap_or_default().to_string();
            let mut r = Redirect::to("/console").into_response();
            let c = format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
                staff::SESSION_MS / 1000,
                secure()
            );
            r.headers_mut()
                .append(header::SET_COOKIE, c.parse().expect("cookie"));
            r
        }
        Err(AppError::Conflict {
            code: "wrong_login",
            ..
        }) => {
            {
                let mut failures = web.failures.lock().expect("failures lock");
                for k in [key, account] {
                    let e = failures.entry(k).or_insert((0, Instant::now()));
                    e.0 += 1;
                    e.1 = Instant::now();
                }
            }
            // Every failed sign-in is in the audit log, with where it came from.
            let (login, src) = (f.login.to_lowercase(), source.clone());
            let _ = web
                .app
                .write(program.id, "staff", None, move |tx, ctx, now| {
                    jifen_app::console::record_failed_sign_in(
                        tx,
                        ctx.program.id,
                        &login,
                        &src,
                        now,
                    )?;
                    Ok(serde_json::Value::Null)
                })
                .await;
            fail(StatusCode::UNAUTHORIZED, L::WrongLogin.t(lang))
        }
        Err(e) => {
            let (status, msg) = shown_error(lang, &e);
            fail(status, &msg)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(web): State<Web>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    if let Some(s) = signed_in(&web, &headers).await
        && s.csrf == f.csrf
        && let Some(token) = cookie(&headers, SESSION_COOKIE)
    {
        let _ = web
            .app
            .write(s.program, "staff", None, move |tx, _ctx, _now| {
                staff::sign_out(tx, &token)?;
                Ok(serde_json::json!(null))
            })
            .await;
    }
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
            .parse()
            .expect("cookie"),
    );
    r
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
    /// A page inside the console's frame.
    pub fn page(&self, status: StatusCode, active: &str, title: &str, body: &str) -> Response {
        html(
            status,
            page::layout(self.lang, &self.s, active, title, body),
            &self.set_lang,
        )
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
    html(
        StatusCode::FORBIDDEN,
        page::layout(
            lang,
            s,
            active,
            title,
            &format!("<div class=\"error\">{}</div>", L::NoAccess.t(lang)),
        ),
        &[],
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
            e.to_string(),
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

fn failure(lang: Lang, s: &Session, e: AppError) -> Response {
    let (status, msg) = shown_error(lang, &e);
    html(
        status,
        page::layout(
            lang,
            s,
            "",
            &msg,
            &format!("<div class=\"error\">{}</div>", esc(&msg)),
        ),
        &[],
    )
}

async fn overview(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(&headers, &q);
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    let tz = ctx.tz.clone();
    let view = match jifen_app::overview::overview(&web.app, &web.figures, ctx, web.app.now()).await
    {
        Ok(v) => v,
        Err(e) => return failure(lang, &s, e),
    };
    let body = page::overview(lang, &tz, &view);
    html(
        StatusCode::OK,
        page::layout(lang, &s, "overview", L::Overview.t(lang), &body),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

#[derive(Deserialize, Default)]
struct MembersQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// Members listed per page.
pub const PAGE: i64 = 50;

async fn members(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<MembersQuery>,
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
        return no_access(lang, &s, "members", L::Members.t(lang));
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    // A malformed cursor is the first page, never an error page.
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0)
        .unwrap_or(i64::MAX);
    let query =
        q.q.clone()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.chars().count() <= 64);
    let now = web.app.now();
    let qq = query.clone();
    let rows = web
        .app
        .read(move |tx| {
            jifen_app::console::member_list(tx, &ctx, &reader, qq.as_deref(), before, PAGE, now)
        })
        .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return failure(lang, &s, e),
    };
    let next = (query.is_none() && rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.member.id.0))
        .flatten();
    let body = page::members(
        lang,
        query.as_deref().unwrap_or(""),
        &rows,
        next,
        s.role.sees_phones(),
    );
    html(
        StatusCode::OK,
        page::layout(lang, &s, "members", L::Members.t(lang), &body),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

#[derive(Deserialize, Default)]
struct MemberQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn member(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
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
        return no_access(lang, &s, "members", L::Members.t(lang));
    }
    let notice = match q.done.as_deref() {
        Some("applied") => Some(L::Applied.t(lang).to_string()),
        Some("pending") => Some(L::SentForApproval.t(lang).to_string()),
        _ => None,
    };
    render_member(
        &web,
        &s,
        lang,
        &id,
        &page::AdjustForm {
            notice,
            ..Default::default()
        },
        StatusCode::OK,
        set_lang,
    )
    .await
}

async fn render_member(
    web: &Web,
    s: &Session,
    lang: Lang,
    id: &str,
    form: &page::AdjustForm,
    status: StatusCode,
    set_lang: Option<String>,
) -> Response {
    let Some(id) = crate::forms::positive_id(id) else {
        return failure(
            lang,
            s,
            AppError::NotFound {
                what: "member",
                id: id.to_string(),
            },
        );
    };
    let Some(reader) = s.member_reader() else {
        return no_access(lang, s, "members", L::Members.t(lang));
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, s, e),
    };
    let now = web.app.now();
    let tz = ctx.tz.clone();
    let data = web
        .app
        .read(move |tx| {
            let m = jifen_app::commands::resolve(
                tx,
                &ctx,
                &jifen_app::commands::MemberRef::Id { member_id: id },
            )?;
            let b = jifen_app::views::balance(tx, &ctx, m.id, PointType::Points, now, 30)?;
            let lots = jifen_app::views::lots(tx, &ctx, m.id, PointType::Points, false, now)?;
            let history = jifen_app::views::history(tx, &ctx, m.id, None, 50)?;
            let tier = jifen_app::tiers::member_progress(
                tx,
                &ctx,
                m.id,
                now,
                if lang == Lang::En { "en" } else { "zh" },
            )
            .ok();
            let orders =
                jifen_app::mall::list_orders(tx, &ctx, Some(MemberId(m.id.0)), None, None, 20)?;
            let coupons = jifen_app::coupons::member_coupons(tx, &ctx, m.id, None, now)?;
            let appeals = jifen_app::console::member_appeals(tx, &reader, m.id, 20)?;
            Ok((m, b, lots, history, tier, orders, coupons, appeals))
        })
        .await;
    let (m, b, lots, history, tier, orders, coupons, appeals) = match data {
        Ok(d) => d,
        Err(e) => return failure(lang, s, e),
    };
    let body = page::member(
        lang,
        &tz,
        &page::MemberPage {
            member: &m,
            balance: &b,
            lots: &lots,
            history: &history,
            tier: tier.as_ref(),
            orders: &orders,
            coupons: &coupons,
            appeals: &appeals,
            csrf: &s.csrf,
            can_adjust: s.role.manages_members(),
            phones: s.role.sees_phones(),
            form,
        },
    );
    let body = if s.role.manages_members() {
        format!("{body}{}", account::card(lang, &m, &s.csrf, form))
    } else {
        body
    };
    let title = m
        .profile
        .name
        .clone()
        .unwrap_or_else(|| format!("#{}", m.id.0));
    html(
        status,
        page::layout(lang, s, "members", &title, &body),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

#[derive(Deserialize)]
struct AdjustFormIn {
    #[serde(default)]
    delta: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

async fn adjust(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<AdjustFormIn>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut form = page::AdjustForm {
        delta: f.delta.clone(),
        reason: f.reason.clone(),
        ..Default::default()
    };
    if f.csrf != s.csrf {
        form.error = Some(("form".into(), L::FormExpired.t(lang).into()));
        return render_member(&web, &s, lang, &id, &form, StatusCode::FORBIDDEN, None).await;
    }
    let Some(member_id) = crate::forms::positive_id(&id) else {
        return failure(lang, &s, AppError::NotFound { what: "member", id });
    };
    let Ok(delta) = f.delta.trim().replace(',', "").parse::<i64>() else {
        form.error = Some(("delta".into(), L::WholeNumber.t(lang).into()));
        return render_member(
            &web,
            &s,
            lang,
            &id,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    };
    let a = staff::StaffAdjustment {
        member_id,
        delta,
        reason: f.reason.clone(),
    };
    let session = s.clone();
    let partition = jifen_app::commands::MemberRef::Id { member_id }.partition();
    let out = web
        .app
        .write(s.program, &partition, None, move |tx, ctx, now| {
            staff::adjust(tx, ctx, now, &session, &a)
        })
        .await;
    match out {
        Ok(o) => {
            let done = if o.body.get("pending").is_some() {
                "pending"
            } else {
                "applied"
            };
            Redirect::to(&format!("/console/members/{member_id}?done={done}")).into_response()
        }
        Err(AppError::Invalid { field, message }) => {
            form.error = Some((field, message));
            render_member(
                &web,
                &s,
                lang,
                &id,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(AppError::Conflict { code, message, .. }) => {
            form.error = Some(("form".into(), message));
            let status = if code == "forbidden" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::CONFLICT
            };
            render_member(&web, &s, lang, &id, &form, status, None).await
        }
        Err(AppError::Ledger(e)) => {
            form.error = Some(("delta".into(), e.to_string()));
            render_member(&web, &s, lang, &id, &form, StatusCode::CONFLICT, None).await
        }
        Err(e) => failure(lang, &s, e),
    }
}

#[derive(Deserialize)]
struct TransferFormIn {
    #[serde(default)]
    to: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    transfer_reason: String,
    #[serde(default)]
    csrf: String,
}

/// A transfer from this member to another, done by staff at the member's request: the same use
/// case as `POST /api/v1/transfers` (the tier's transfer permission applies), audited.
async fn member_transfer(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<TransferFormIn>,
) -> Response {
    let mut form = page::AdjustForm {
        to: f.to.clone(),
        amount: f.amount.clone(),
        transfer_reason: f.transfer_reason.clone(),
        ..Default::default()
    };
    let again = |form: &page::AdjustForm, status: StatusCode| {
        let (web, st, id, form) = (web.clone(), &st, id.clone(), form.clone());
        async move { render_member(&web, &st.s, st.lang, &id, &form, status, None).await }
    };
    if !st.s.role.manages_members() {
        return st.forbidden("members", L::Members.t(st.lang));
    }
    if f.csrf != st.s.csrf {
        form.error = Some(("transfer_form".into(), L::FormExpired.t(st.lang).into()));
        return again(&form, StatusCode::FORBIDDEN).await;
    }
    let Some(from) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound { what: "member", id });
    };
    let Ok(amount) = f.amount.trim().replace(',', "").parse::<i64>() else {
        form.error = Some(("amount".into(), L::WholeNumber.t(st.lang).into()));
        return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let to = match forms::member_by_text(&web, &st, &f.to, "to").await {
        Ok(t) => t,
        Err(e) => {
            form.error = Some(e);
            return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let t = jifen_app::commands::MemberTransfer {
        from: jifen_app::commands::MemberRef::Id { member_id: from },
        to: jifen_app::commands::MemberRef::Id { member_id: to },
        amount,
        reason: Some(f.transfer_reason.trim().to_string()).filter(|r| !r.is_empty()),
        device_id: None,
        ip: None,
    };
    let partition = t.from.partition();
    let out = st
        .audited(&web, &partition, None, move |tx, ctx, now| {
            let v = jifen_app::commands::transfer(tx, ctx, now, &t)?;
            let audit = Audit {
                action: "member.transfer".to_string(),
                target: format!("member:{from}"),
                before: None,
                after: Some(serde_json::json!({"to": to, "amount": amount}).to_string()),
            };
            Ok((v, audit))
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/members/{from}?done=applied")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = match field.as_str() {
                "amount" => "amount",
                "reason" => "transfer_reason",
                "to" | "to.member_id" => "to",
                _ => "transfer_form",
            };
            form.error = Some((field.into(), message));
            again(&form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            form.error = Some(("transfer_form".into(), message));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(AppError::Ledger(e)) => {
            form.error = Some(("amount".into(), e.to_string()));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
struct MergeFormIn {
    #[serde(default)]
    merge_from: String,
    #[serde(default)]
    merge_reason: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

/// Folds a duplicate account into this member (points, lots, identities, history): the same use
/// case as `POST /api/v1/members/merge`, only once the staff member confirms, audited.
async fn member_merge(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<MergeFormIn>,
) -> Response {
    let mut form = page::AdjustForm {
        merge_from: f.merge_from.clone(),
        merge_reason: f.merge_reason.clone(),
        ..Default::default()
    };
    let again = |form: &page::AdjustForm, status: StatusCode| {
        let (web, st, id, form) = (web.clone(), &st, id.clone(), form.clone());
        async move { render_member(&web, &st.s, st.lang, &id, &form, status, None).await }
    };
    if !st.s.role.manages_members() {
        return st.forbidden("members", L::Members.t(st.lang));
    }
    if f.csrf != st.s.csrf {
        form.error = Some(("merge_form".into(), L::FormExpired.t(st.lang).into()));
        return again(&form, StatusCode::FORBIDDEN).await;
    }
    let Some(into) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound { what: "member", id });
    };
    let from = match forms::member_by_text(&web, &st, &f.merge_from, "merge_from").await {
        Ok(t) => t,
        Err(e) => {
            form.error = Some(e);
            return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if from == into {
        form.error = Some((
            "merge_from".into(),
            st.t(
                "不能把账户合并到自己",
                "An account cannot be merged into itself",
            )
            .into(),
        ));
        return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if f.confirm.is_empty() {
        form.error = Some((
            "confirm".into(),
            st.t(
                "合并不可撤销，请先核实两个账户属于同一人",
                "A merge cannot be undone: check both accounts are the same person",
            )
            .into(),
        ));
        return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let m = jifen_app::commands::Merge {
        from: jifen_app::commands::MemberRef::Id { member_id: from },
        into: jifen_app::commands::MemberRef::Id { member_id: into },
        reason: Some(f.merge_reason.trim().to_string()).filter(|r| !r.is_empty()),
        actor: Some(st.s.actor()),
    };
    let partition = m.into.partition();
    let out = st
        .audited(&web, &partition, None, move |tx, ctx, now| {
            let v = jifen_app::commands::merge(tx, ctx, now, &m)?;
            let audit = Audit {
                action: "member.merge".to_string(),
                target: format!("member:{into}"),
                before: Some(format!("member:{from}")),
                after: Some(v.to_string()),
            };
            Ok((v, audit))
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/members/{into}?done=applied")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = if field == "reason" {
                "merge_reason"
            } else {
                "merge_form"
            };
            form.error = Some((field.into(), message));
            again(&form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            form.error = Some(("merge_form".into(), message));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(AppError::Ledger(e)) => {
            form.error = Some(("merge_form".into(), e.to_string()));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

async fn approvals(
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
    let rows = match web
        .app
        .read(move |tx| jifen_app::console::pending_adjustments(tx, &reader, 100))
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(lang, &s, e),
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    let notice = q.done.as_deref().map(|d| {
        if d == "approved" {
            L::Approved.t(lang)
        } else {
            L::Rejected.t(lang)
        }
    });
    let body = page::approvals(lang, &ctx.tz, &rows, &s, notice);
    html(
        StatusCode::OK,
        page::layout(lang, &s, "approvals", L::Approvals.t(lang), &body),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

async fn decide(
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
    let message = |status: StatusCode, text: &str| {
        html(
            status,
            page::layout(
                lang,
                &s,
                "approvals",
                L::Approvals.t(lang),
                &format!(
                    "<div class=\"error\" role=\"alert\">{}</div><p><a href=\"/console/approvals\">{}</a></p>",
                    esc(text),
                    L::Approvals.t(lang)
                ),
            ),
            &[],
        )
    };
    if f.csrf != s.csrf {
        return message(StatusCode::FORBIDDEN, L::FormExpired.t(lang));
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
        .write(s.program, "approvals", None, move |tx, ctx, now| {
            staff::decide(tx, ctx, now, &session, id, approve)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!(
            "/console/approvals?done={}",
            if approve { "approved" } else { "rejected" }
        ))
        .into_response(),
        Err(AppError::Conflict { message: m, .. }) => message(StatusCode::CONFLICT, &m),
        Err(AppError::Ledger(e)) => message(StatusCode::CONFLICT, &e.to_string()),
        Err(e) => failure(lang, &s, e),
    }
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The audit log, newest first, filtered by actor and action: for owners and auditors.
async fn audit(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
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
    let Some(auditor) = s.audit_reader() else {
        return no_access(lang, &s, "audit", L::AuditLog.t(lang));
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
        Err(e) => return failure(lang, &s, e),
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    let body = page::audit(
        lang,
        &ctx.tz,
        &rows,
        actor.as_deref().unwrap_or(""),
        action.as_deref().unwrap_or(""),
        rows.len() as i64 == PAGE,
    );
    html(
        StatusCode::OK,
        page::layout(lang, &s, "audit", L::AuditLog.t(lang), &body),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

use jifen_app::csv_field;

/// Rows read per page of an export.
const EXPORT_PAGE: i64 = 2_000;

/// All members as CSV, streamed a page at a time (UTF-8 with a byte-order mark, for Excel).
async fn export_members(State(web): State<Web>, headers: HeaderMap) -> Response {
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
    let _ = web
        .app
        .write(s.program, "staff", None, move |tx, _ctx, now| {
            let entry = jifen_app::console::AuditEntry {
                action: "export.members".into(),
                target: "members".into(),
                ..Default::default()
            };
            jifen_app::console::record(tx, who.program(), who.actor(), &entry, now)?;
            Ok(serde_json::json!(null))
        })
        .await;
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

async fn appeals(
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
    let rows = match web
        .app
        .read(move |tx| jifen_app::console::open_appeals(tx, &reader, 200))
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(lang, &s, e),
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    let notice = q.done.as_deref().map(|_| L::Answered.t(lang));
    let body = page::appeals(lang, &ctx.tz, web.app.now(), &rows, &s, notice, None);
    html(
        StatusCode::OK,
        page::layout(lang, &s, "appeals", L::Appeals.t(lang), &body),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    delta: String,
    #[serde(default)]
    csrf: String,
}

async fn answer_appeal(
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
            let body = page::appeals(
                lang,
                &tz,
                web.app.now(),
                &rows,
                &s,
                None,
                Some((id, &field, &msg)),
            );
            html(
                status,
                page::layout(lang, &s, "appeals", L::Appeals.t(lang), &body),
                &[],
            )
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
        .write(s.program, "appeals", None, move |tx, ctx, now| {
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

async fn risk_holds(
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
    let holds = match web
        .app
        .read(move |tx| {
            jifen_app::earn::list_holds(
                tx,
                &ctx,
                Some("open"),
                None,
                Some(jifen_app::earn::HOLDS_PAGE_MAX),
            )
        })
        .await
    {
        Ok(h) => h,
        Err(e) => return failure(lang, &s, e),
    };
    let notice = q.done.as_deref().map(|_| L::Answered.t(lang));
    let body = page::risk_holds(lang, &tz, &holds, &s, notice);
    html(
        StatusCode::OK,
        page::layout(lang, &s, "holds", L::OpenHolds.t(lang), &body),
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

async fn decide_hold(
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
    if f.csrf != s.csrf || !s.role.manages_members() {
        return html(
            StatusCode::FORBIDDEN,
            page::layout(
                lang,
                &s,
                "holds",
                L::OpenHolds.t(lang),
                &format!("<div class=\"error\">{}</div>", L::NoAccess.t(lang)),
            ),
            &[],
        );
    }
    let review = jifen_app::earn::HoldReview {
        actor: s.actor(),
        note: None,
    };
    let actor = s.actor();
    let out = web
        .app
        .write(
            s.program,
            &format!("hold:{id}"),
            None,
            move |tx, ctx, now| {
                let v = jifen_app::earn::decide_hold(tx, ctx, now, id, decision, &review)?;
                let entry = jifen_app::console::AuditEntry {
                    action: format!("risk_hold.{decision:?}").to_lowercase(),
                    target: format!("hold:{id}"),
                    before: None,
                    after: Some(v.to_string()),
                };
                jifen_app::console::record(tx, ctx.program.id, &actor, &entry, now)?;
                Ok(v)
            },
        )
        .await;
    match out {
        Ok(_) => Redirect::to("/console/risk-holds?done=1").into_response(),
        Err(AppError::Conflict { message, .. }) => html(
            StatusCode::CONFLICT,
            page::layout(
                lang,
                &s,
                "holds",
                L::OpenHolds.t(lang),
                &format!(
                    "<div class=\"error\" role=\"alert\">{}</div>",
                    esc(&message)
                ),
            ),
            &[],
        ),
        Err(e) => failure(lang, &s, e),
    }
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

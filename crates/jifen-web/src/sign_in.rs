//! Signing in and out of the console: the sign-in page, the password check with a delay that grows with failures (per address and per account), audited failures, the session cookie.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct LoginQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) program: Option<String>,
}

pub(super) async fn login_page(
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
pub(super) struct LoginForm {
    #[serde(default)]
    pub(super) program: String,
    #[serde(default)]
    pub(super) login: String,
    #[serde(default)]
    pub(super) password: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn login(
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
pub(super) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn logout(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
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

//! The member points centre (积分中心), mobile first: balance with what expires soon, daily
//! sign-in with the streak and the last seven days, the tier card with a progress bar, task
//! cards built from the programme's active behaviour rules (with progress toward their caps)
//! and the invite card, what the mall has within reach, and the points history with reasons.
//! A signed link from the merchant's system opens it.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jifen_app::AppError;
use jifen_app::commands::MemberRef;
use jifen_app::member_centre::HomeView;
use serde::Deserialize;
use serde_json::json;

use crate::page::{Lang, code_label, fmt_time};
use crate::{LangQuery, Web, lang_of};

pub(crate) mod forms;
pub(crate) mod frame;
mod home;
pub(crate) use frame::expired_page;
use frame::{CentreFrame, ErrorPage, respond};

/// The member centre's pages beyond the home page, sign-in and appeals (which `lib.rs` routes):
/// the mall, redemption, orders, coupons and the lucky wheel (`centre_mall.rs`).
pub(crate) fn routes() -> axum::Router<Web> {
    crate::centre_mall::routes()
}

pub const CSS: &str = include_str!("../assets/centre.css");

/// The programme and member a link names, if it is genuine and current.
pub(crate) async fn member_of(
    web: &Web,
    token: &str,
) -> Option<(jifen_ledger::ProgramId, jifen_ledger::MemberId)> {
    let now = web.app.now();
    let tk = token.to_string();
    web.app
        .read(move |tx| jifen_app::centre::verify(tx, &tk, now))
        .await
        .ok()
        .flatten()
}

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

pub(crate) fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En { en } else { zh }
}

#[derive(Deserialize, Default)]
pub struct CentreQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn home(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<CentreQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let (program, h, ctx) = match read_home(&web, &token, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let lotteries = crate::centre_mall::open_lotteries(&web, program, lang).await;
    let page = home::home_page(lang, &token, &ctx, h, lotteries, q.done.as_deref());
    respond(
        StatusCode::OK,
        &page,
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

/// The programme a link names and its member's home view, with the programme; or the answer
/// when the link is not good (the expired page) or the read fails (the error page).
async fn read_home(
    web: &Web,
    token: &str,
    lang: Lang,
) -> Result<
    (
        jifen_ledger::ProgramId,
        HomeView,
        std::sync::Arc<jifen_app::ProgramCtx>,
    ),
    Response,
> {
    let Some((program, member)) = member_of(web, token).await else {
        return Err(expired_page(lang));
    };
    let now = web.app.now();
    let ctx = match web.app.program_ctx(program).await {
        Ok(c) => c,
        Err(_) => return Err(expired_page(lang)),
    };
    let loc = if lang == Lang::En { "en" } else { "zh" };
    let c = ctx.clone();
    let data = web
        .app
        .read(move |tx| jifen_app::member_centre::home(tx, &c, member, now, loc))
        .await;
    match data {
        Ok(h) => Ok((program, h, ctx)),
        Err(AppError::NotFound { .. }) => Err(expired_page(lang)),
        Err(e) => Err(unavailable(lang, token, &ctx.program.name, &e)),
    }
}

/// A failure the member cannot fix here: the service is busy, a fault (logged, never shown in
/// detail), or a refusal, said in words on the error page.
pub(crate) fn unavailable(lang: Lang, token: &str, programme: &str, e: &AppError) -> Response {
    let (status, msg) = crate::shown_error(lang, e);
    let title = t(lang, "积分中心", "Points centre");
    let frame = CentreFrame::inner(lang, token, programme, title, None, None, String::new());
    respond(
        status,
        &ErrorPage {
            frame: &frame,
            heading: frame.t("暂时无法完成", "This could not be done just now"),
            detail: Some(&msg),
            icon: false,
            alert: false,
            back: None,
        },
        &[],
    )
}

/// A line of the member's history as the home's card and the history page show it: its kind
/// and state, time, reason (a link to appeal it follows), and the amount.
pub(crate) struct HistoryLine {
    pub kind: String,
    /// The state's tone and words, when it was not simply done.
    pub state: Option<(&'static str, String)>,
    pub time: String,
    pub reason: Option<String>,
    pub transfer_id: i64,
    pub amount: crate::page::LinePoints,
}

impl HistoryLine {
    pub(crate) fn of(
        lang: Lang,
        tz: &jiff::tz::TimeZone,
        l: &jifen_app::activity::ActivityLine,
    ) -> HistoryLine {
        HistoryLine {
            kind: code_label(&l.code, lang),
            state: crate::page::line_badge(lang, tz, l),
            time: fmt_time(l.created_at, tz),
            reason: l.reason.clone().filter(|r| !r.is_empty()),
            transfer_id: l.transfer_id,
            amount: crate::page::line_points(l),
        }
    }
}

pub async fn sign_in(State(web): State<Web>, Path(token): Path<String>) -> Response {
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(Lang::Zh);
    };
    let done = match record_sign_in(&web, program, member, None).await {
        Ok(()) => "signed_in",
        Err(AppError::Conflict { .. }) => "already",
        Err(_) => "failed",
    };
    Redirect::to(&format!("/m/{token}?done={done}")).into_response()
}

/// Records the member's sign-in from the centre: today's, or a make-up for `makeup_date`.
async fn record_sign_in(
    web: &Web,
    program: jifen_ledger::ProgramId,
    member: jifen_ledger::MemberId,
    makeup_date: Option<String>,
) -> Result<(), AppError> {
    let e: jifen_app::earn::EventIn = serde_json::from_value(json!({
        "type": "sign_in", "member": {"member_id": member.0}, "channel": "web",
        "makeup_date": makeup_date
    }))
    .map_err(|_| AppError::invalid("makeup_date", "must be a date"))?;
    let partition = MemberRef::Id {
        member_id: member.0,
    }
    .partition();
    web.app
        .write_view(program, &partition, None, move |tx, ctx, now| {
            jifen_app::earn::record_event(tx, ctx, now, &e)
        })
        .await
        .map(|_| ())
}

#[derive(Deserialize)]
pub struct MakeupForm {
    #[serde(default)]
    date: String,
}

/// A make-up sign-in (补签) for a missed day: back to the home page when done; a refusal (too
/// old, not enough points, already signed, none allowed) is the home page with the refusal in
/// the page's language, nothing changed.
pub async fn sign_in_makeup(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<MakeupForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery { lang: None });
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let out = record_sign_in(&web, program, member, Some(f.date)).await;
    let e = match out {
        Ok(_) => return Redirect::to(&format!("/m/{token}?done=made_up")).into_response(),
        Err(e) => e,
    };
    let (status, shown) = match &e {
        AppError::Invalid { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t(lang, "这一天不能补签", "That day cannot be signed in for").to_string(),
        ),
        e => crate::shown_error(lang, e),
    };
    let (program, h, ctx) = match read_home(&web, &token, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let lotteries = crate::centre_mall::open_lotteries(&web, program, lang).await;
    let mut page = home::home_page(lang, &token, &ctx, h, lotteries, None);
    page.refusal = Some(shown);
    respond(status, &page, &[])
}

#[derive(Deserialize, Default)]
pub struct AppealQuery {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The appeal form for one history line or order (一键申诉).
pub async fn appeal_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<AppealQuery>,
) -> Response {
    let (lang, _) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let Some(_) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let subject = if q.subject.as_deref() == Some("order") {
        "order"
    } else {
        "line"
    };
    let id =
        q.id.as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
    let page = appeal_page(lang, &token, subject, id, String::new(), None);
    respond(StatusCode::OK, &page, &[])
}

/// The appeal form: what the member wrote, and the refusal when it was sent back.
#[derive(Template)]
#[template(path = "centre/appeal.html")]
struct AppealPage {
    frame: CentreFrame,
    form: forms::CentreForm,
    subject: String,
    id: i64,
    message: String,
    back: String,
}

fn appeal_page(
    lang: Lang,
    token: &str,
    subject: &str,
    id: i64,
    message: String,
    error: Option<String>,
) -> AppealPage {
    AppealPage {
        frame: CentreFrame::plain(lang, token, t(lang, "积分申诉", "Points appeal")),
        form: forms::CentreForm::with_error("", error),
        subject: subject.to_string(),
        id,
        message,
        back: if subject == "order" && id > 0 {
            format!("/m/{token}/orders/{id}")
        } else {
            format!("/m/{token}")
        },
    }
}

#[derive(Deserialize)]
pub struct AppealFormIn {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    subject_id: String,
    #[serde(default)]
    message: String,
}

pub async fn appeal_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::extract::Form(f): axum::extract::Form<AppealFormIn>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let a = jifen_app::appeals::AppealIn {
        subject: f.subject.clone(),
        subject_id: f.subject_id.parse().unwrap_or(0),
        message: f.message.clone(),
    };
    let partition = MemberRef::Id {
        member_id: member.0,
    }
    .partition();
    let out = web
        .app
        .write_view(program, &partition, None, move |tx, ctx, now| {
            jifen_app::appeals::submit(tx, ctx, now, member, &a)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/m/{token}?done=appealed")).into_response(),
        Err(e) => {
            let msg = match &e {
                AppError::Invalid { .. } => t(
                    lang,
                    "请用5到1000个字说明问题",
                    "Say what is wrong in 5 to 1000 characters",
                )
                .to_string(),
                AppError::NotFound { .. } => {
                    t(lang, "找不到这条记录", "That record was not found").to_string()
                }
                other => crate::shown_error(lang, other).1,
            };
            let page = appeal_page(
                lang,
                &token,
                &f.subject,
                f.subject_id.parse().unwrap_or(0),
                f.message,
                Some(msg),
            );
            respond(StatusCode::UNPROCESSABLE_ENTITY, &page, &[])
        }
    }
}

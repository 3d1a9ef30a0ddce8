//! The member page's account card: freeze and unfreeze, revoke member-centre links, export
//! everything held about the member (JSON or CSV) and erase their personal data — the same use
//! cases as the API (`jifen_app::members`, `jifen_app::centre::revoke`), in the staff member's
//! name, audited. Owners and service staff only.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::AppError;
use jifen_app::members::MemberExport;
use jifen_ledger::MemberId;
use serde::Deserialize;

use crate::page::{self, L};
use crate::{Staff, Web};

pub fn routes() -> axum::Router<Web> {
    axum::Router::new()
        .route("/console/members/{id}/account", post(act))
        .route("/console/members/{id}/export.json", get(export_json))
        .route("/console/members/{id}/export.csv", get(export_csv))
        .route("/console/members/{id}/phone", get(reveal_phone))
        .route("/console/members/{id}/profile", post(profile))
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    birthday: String,
    #[serde(default)]
    csrf: String,
}

/// The profile as staff correct it: each field as typed (blank clears it), through the same
/// use case as `PATCH /api/v1/members/{id}`; a problem is shown in the card.
async fn profile(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<ProfileForm>,
) -> Response {
    if !st.s.role.manages_members() {
        return st.forbidden("members", L::Members.t(st.lang));
    }
    if f.csrf != st.s.csrf {
        return again(
            &web,
            &st,
            &id,
            L::FormExpired.t(st.lang).into(),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let Some(member) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound { what: "member", id });
    };
    let field = |v: &str| Some(Some(v.trim().to_string()).filter(|v| !v.is_empty()));
    let u = jifen_app::members::ProfileUpdate {
        name: field(&f.name),
        phone: field(&f.phone),
        email: field(&f.email),
        birthday: field(&f.birthday),
    };
    let actor = st.s.actor();
    let out = web
        .app
        .write_view(
            st.s.program,
            &format!("member:{member}"),
            None,
            move |tx, ctx, now| {
                jifen_app::members::update_profile(tx, ctx, now, &actor, MemberId(member), &u)
            },
        )
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/members/{member}?done=profile")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            again(
                &web,
                &st,
                &id,
                format!("{field}: {message}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            again(&web, &st, &id, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => st.fail(e),
    }
}

/// A masked phone number shown whole, on request, to a role that reads members: audited.
async fn reveal_phone(State(web): State<Web>, st: Staff, Path(id): Path<String>) -> Response {
    let Some(reader) = st.s.member_reader() else {
        return st.forbidden("members", L::Members.t(st.lang));
    };
    let Some(member) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound { what: "member", id });
    };
    let out = web
        .app
        .write_view(
            st.s.program,
            &format!("member:{member}"),
            None,
            move |tx, _ctx, now| {
                jifen_app::console::reveal_phone(tx, &reader, MemberId(member), now)
            },
        )
        .await;
    match out {
        Ok(o) => {
            let page = PhonePage {
                frame: st.frame("members", st.t("手机号", "Phone")),
                member,
                phone: o.view.unwrap_or_else(|| "–".into()),
            };
            st.render(StatusCode::OK, &page)
        }
        Err(e) => st.fail(e),
    }
}

/// A member's phone number shown whole.
#[derive(askama::Template)]
#[template(path = "console/phone.html")]
struct PhonePage {
    frame: crate::frame::Frame,
    member: i64,
    phone: String,
}

/// The member page again, with the account card's problem shown in it.
async fn again(web: &Web, st: &Staff, id: &str, msg: String, status: StatusCode) -> Response {
    let form = page::AdjustForm {
        error: Some(("account".into(), msg)),
        ..Default::default()
    };
    crate::render_member(web, &st.s, st.lang, id, &form, status, None).await
}

#[derive(Deserialize)]
struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn act(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    if !st.s.role.manages_members() {
        return st.forbidden("members", L::Members.t(st.lang));
    }
    if f.csrf != st.s.csrf {
        return again(
            &web,
            &st,
            &id,
            L::FormExpired.t(st.lang).into(),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let Some(member) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound { what: "member", id });
    };
    let member = MemberId(member);
    let reason = jifen_app::members::StatusChange {
        reason: f.reason.clone(),
    };
    if f.action == "erase" && f.confirm.is_none() {
        let msg = st.t(
            "注销不可撤销：请勾选确认",
            "Erasure cannot be undone: tick the confirmation",
        );
        return again(&web, &st, &id, msg.into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let actor = st.s.actor();
    let action = f.action.clone();
    let out = web
        .app
        .write_view(
            st.s.program,
            &format!("member:{}", member.0),
            None,
            move |tx, ctx, now| match action.as_str() {
                "freeze" => {
                    jifen_app::members::freeze(tx, ctx, now, &actor, member, &reason).map(|_| ())
                }
                "unfreeze" => {
                    jifen_app::members::unfreeze(tx, ctx, now, &actor, member, &reason).map(|_| ())
                }
                "revoke_links" => {
                    jifen_app::centre::revoke(tx, ctx, now, &actor, member).map(|_| ())
                }
                "erase" => {
                    jifen_app::members::erase(tx, ctx, now, &actor, member, &reason).map(|_| ())
                }
                _ => Err(AppError::invalid("action", "is not an account action")),
            },
        )
        .await;
    match out {
        // An erased member has no page any more: back to the list.
        Ok(_) if f.action == "erase" => {
            Redirect::to("/console/members?done=erased").into_response()
        }
        Ok(_) => Redirect::to(&format!("/console/members/{}?done={}", member.0, f.action))
            .into_response(),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict { message, .. }) => {
            again(&web, &st, &id, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => st.fail(e),
    }
}

async fn export(web: &Web, st: &Staff, id: &str) -> Result<MemberExport, Response> {
    if !st.s.role.manages_members() {
        return Err(st.forbidden("members", L::Members.t(st.lang)));
    }
    let Some(member) = crate::forms::positive_id(id) else {
        return Err(st.fail(AppError::NotFound {
            what: "member",
            id: id.to_string(),
        }));
    };
    let actor = st.s.actor();
    web.app
        .write_view(
            st.s.program,
            &format!("member:{member}"),
            None,
            move |tx, ctx, now| jifen_app::members::export(tx, ctx, now, &actor, MemberId(member)),
        )
        .await
        .map(|o| o.view)
        .map_err(|e| st.fail(e))
}

fn attachment(id: &str, ext: &str, content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"member-{id}.{ext}\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

async fn export_json(State(web): State<Web>, st: Staff, Path(id): Path<String>) -> Response {
    match export(&web, &st, &id).await {
        Ok(v) => attachment(
            &id,
            "json",
            "application/json",
            serde_json::to_string_pretty(&v).unwrap_or_default(),
        ),
        Err(r) => r,
    }
}

async fn export_csv(State(web): State<Web>, st: Staff, Path(id): Path<String>) -> Response {
    match export(&web, &st, &id).await {
        Ok(v) => attachment(
            &id,
            "csv",
            "text/csv; charset=utf-8",
            format!("\u{feff}{}", jifen_app::members::export_csv(&v)),
        ),
        Err(r) => r,
    }
}

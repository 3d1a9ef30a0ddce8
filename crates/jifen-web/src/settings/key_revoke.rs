//! The confirmation before an API key is revoked: the key named by its name, prefix, creation
//! and last audited write, and the reason, which is required and shown afterwards in the key
//! list and the audit log. Rendered by `templates/console/key_revoke.html`.

use askama::Template;

use super::*;
use crate::frame::{Frame, respond};

#[derive(Template)]
#[template(path = "console/key_revoke.html")]
struct RevokePage {
    frame: Frame,
    key_id: String,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    reason: String,
    reason_max: usize,
    reason_error: Option<String>,
    form_error: Option<String>,
}

pub(super) async fn revoke_key_form(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
) -> Response {
    render_revoke(&web, &st, &id, "", None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// The confirmation of key `id`, with what was typed and its error (`reason` or the form's).
async fn render_revoke(
    web: &Web,
    st: &Staff,
    id: &str,
    reason: &str,
    error: Option<(&str, String)>,
    status: StatusCode,
) -> Response {
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(st));
    }
    let (program, key_id) = (st.s.program, id.to_string());
    let found = web
        .app
        .read(move |tx| keys::key_to_revoke(tx, program, &key_id))
        .await;
    let k = match found {
        Ok(k) => k,
        Err(e) => return st.fail(e),
    };
    let tz = &st.ctx.tz;
    let (reason_error, form_error) = match error {
        Some(("reason", m)) => (Some(m), None),
        Some((_, m)) => (None, Some(m)),
        None => (None, None),
    };
    let page = RevokePage {
        frame: Frame::new(
            st.lang,
            &st.s,
            "settings",
            &format!(
                "{}「{}」",
                st.t("吊销接口密钥", "Revoke the API key "),
                k.key.name
            ),
        ),
        key_id: k.key.key_id.clone(),
        name: k.key.name.clone(),
        prefix: k
            .key
            .prefix
            .as_deref()
            .map_or_else(|| "–".into(), |p| format!("{p}…")),
        created: fmt_time(k.key.created_at, tz),
        last_used: k.last_audited_at.map_or_else(
            || st.t("没有记录", "None recorded").to_string(),
            |at| fmt_time(at, tz),
        ),
        reason: reason.to_string(),
        reason_max: keys::REVOKE_REASON_MAX,
        reason_error,
        form_error,
    };
    respond(status, &page, &st.set_lang)
}

pub(super) async fn revoke_key(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        let msg = L::FormExpired.t(st.lang).to_string();
        return render_revoke(
            &web,
            &st,
            &id,
            &f.reason,
            Some(("form", msg)),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    if f.reason.trim().is_empty() {
        let msg = st
            .t(
                "请填写吊销的原因，它会显示在密钥列表和操作日志中",
                "Say why the key is revoked; it is shown in the key list and the audit log",
            )
            .to_string();
        return render_revoke(
            &web,
            &st,
            &id,
            &f.reason,
            Some(("reason", msg)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match web
        .app
        .revoke_api_key(st.s.program, &st.s.actor(), &id, &f.reason)
        .await
    {
        Ok(_) => Redirect::to("/console/settings?done=revoked").into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = if field == "reason" { "reason" } else { "form" };
            render_revoke(
                &web,
                &st,
                &id,
                &f.reason,
                Some((field, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e @ AppError::Conflict { .. }) => {
            let (status, msg) = crate::shown_error(st.lang, &e);
            render_revoke(&web, &st, &id, &f.reason, Some(("form", msg)), status).await
        }
        Err(e) => st.fail(e),
    }
}

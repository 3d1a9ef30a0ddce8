//! The settings forms: the programme, the member centre, online payment, API keys and webhooks,
//! each audited.

use super::*;

/// The answer to a form whose CSRF token does not match the session's.
pub(super) async fn expired(web: &Web, st: &Staff) -> Response {
    show(
        web,
        st,
        StatusCode::FORBIDDEN,
        Forms::error("csrf", L::FormExpired.t(st.lang)),
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct ProgramForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) timezone: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn update_program(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<ProgramForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, field: &str, msg: String| {
        let mut forms = Forms::error(field, msg);
        forms.name = Some(f.name.clone());
        forms.timezone = Some(f.timezone.clone());
        show(&web, &st, status, forms)
    };
    let (name, tz) = (f.name.trim().to_string(), f.timezone.trim().to_string());
    if name.is_empty() || name.chars().count() > 100 {
        let msg = st.t(
            "请填写名称（1 到 100 个字符）",
            "Enter a name of 1 to 100 characters",
        );
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "program.name", msg.into()).await;
    }
    if tz.is_empty() || tz.len() > 64 || TimeZone::get(&tz).is_err() {
        let msg = st.t(
            "未知的时区，请填写 IANA 时区名，例如 Asia/Shanghai",
            "Unknown time zone; use an IANA name such as Asia/Shanghai",
        );
        return reshow(
            StatusCode::UNPROCESSABLE_ENTITY,
            "program.timezone",
            msg.into(),
        )
        .await;
    }
    let (app, program, policy) = (web.app.clone(), st.s.program, st.ctx.program.policy.clone());
    let (n, z, actor) = (name.clone(), tz.clone(), st.s.actor());
    let out = tokio::task::spawn_blocking(move || app.update_program(program, actor, n, z, policy))
        .await
        .unwrap_or_else(|e| Err(AppError::Internal(e.to_string())));
    match out {
        Ok(()) => {}
        Err(AppError::Invalid { field, message }) => {
            let field = match field.as_str() {
                "name" | "timezone" => format!("program.{field}"),
                _ => "program.form".into(),
            };
            return reshow(StatusCode::UNPROCESSABLE_ENTITY, &field, message).await;
        }
        Err(e) => return st.fail(e),
    }
    Redirect::to("/console/settings?done=program").into_response()
}

#[derive(Deserialize)]
pub(super) struct CentreForm {
    #[serde(default)]
    pub(super) threshold: String,
    #[serde(default)]
    pub(super) referral_url: String,
    /// A checked box: webhooks may post to private addresses.
    #[serde(default)]
    pub(super) webhooks_private: Option<String>,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn update_centre(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<CentreForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, field: &str, msg: String| {
        let mut forms = Forms::error(field, msg);
        forms.threshold = Some(f.threshold.clone());
        forms.referral_url = Some(f.referral_url.clone());
        show(&web, &st, status, forms)
    };
    let Ok(threshold) = f.threshold.trim().replace(',', "").parse::<i64>() else {
        let msg = L::WholeNumber.t(st.lang).to_string();
        return reshow(
            StatusCode::UNPROCESSABLE_ENTITY,
            "centre.approval_threshold",
            msg,
        )
        .await;
    };
    let url = Some(f.referral_url.trim().to_string()).filter(|u| !u.is_empty());
    let settings = staff::CentreSettings {
        approval_threshold: threshold,
        referral_url: url,
        webhooks_private: f.webhooks_private.is_some(),
    };
    if let Err(p) = staff::check_centre_settings(&settings) {
        let (field, msg) = (format!("centre.{}", p.field()), p.text(st.lang == Lang::En));
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, &field, msg).await;
    }
    let by = st.s.clone();
    let out = web
        .app
        .write_view(st.s.program, "staff", None, move |tx, ctx, now| {
            staff::put_centre_settings(tx, ctx, now, &by, &settings)
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/settings?done=centre").into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = match field.as_str() {
                "approval_threshold" | "referral_url" => format!("centre.{field}"),
                _ => "centre.form".into(),
            };
            reshow(StatusCode::UNPROCESSABLE_ENTITY, &field, message).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
pub(super) struct PaymentForm {
    #[serde(default)]
    pub(super) payment_url: String,
    #[serde(default)]
    pub(super) pay_window: String,
    #[serde(default)]
    pub(super) csrf: String,
}

/// Sets the merchant's payment link and the payment window (owners only), through the same
/// use case as the API; a problem is shown next to its field in the page's language, with
/// what was typed kept.
pub(super) async fn update_payment(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<PaymentForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    let Some(owner) = st.s.owner() else {
        return st.forbidden("settings", title(&st));
    };
    let reshow = |field: &str, msg: String| {
        let mut forms = Forms::error(&format!("payment.{field}"), msg);
        forms.payment_url = Some(f.payment_url.clone());
        forms.pay_window = Some(f.pay_window.clone());
        show(&web, &st, StatusCode::UNPROCESSABLE_ENTITY, forms)
    };
    let Ok(minutes) = f.pay_window.trim().parse::<i64>() else {
        let msg = L::WholeNumber.t(st.lang).to_string();
        return reshow("pay_window_minutes", msg).await;
    };
    let settings = PaymentSettings {
        payment_url: Some(f.payment_url.trim().to_string()).filter(|u| !u.is_empty()),
        pay_window_minutes: minutes,
    };
    if let Err(p) = jifen_app::mall::check_payment_settings(&settings) {
        return reshow(p.field(), p.text(st.lang == Lang::En)).await;
    }
    let out = web
        .app
        .write_view(st.s.program, "mall", None, move |tx, ctx, now| {
            jifen_app::mall::put_payment_settings(tx, ctx, now, owner.actor(), &settings)
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/settings?done=payment#payment").into_response(),
        Err(AppError::Invalid { field, message }) => reshow(&field, message).await,
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
pub(super) struct KeyForm {
    #[serde(default)]
    pub(super) name: String,
    /// A checked box: the key may adjust points above the approval threshold.
    #[serde(default)]
    pub(super) adjust: Option<String>,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn create_key(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<KeyForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, msg: String| {
        let mut forms = Forms::error("key.name", msg);
        forms.key_name = f.name.clone();
        show(&web, &st, status, forms)
    };
    let name = f.name.trim().to_string();
    if name.is_empty() {
        let msg = st.t("请填写密钥名称", "Enter a name for the key");
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, msg.into()).await;
    }
    if name.chars().count() > keys::NAME_MAX || name.chars().any(char::is_control) {
        let msg = match st.lang {
            Lang::Zh => format!("名称最多 {} 个字符，不能换行", keys::NAME_MAX),
            Lang::En => format!(
                "A name has at most {} characters, on one line",
                keys::NAME_MAX
            ),
        };
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, msg).await;
    }
    let key = keys::generate();
    let (actor, n, k) = (st.s.actor(), name.clone(), key.clone());
    let adjust = f.adjust.is_some();
    let out = web
        .app
        .write_view(st.s.program, "api_keys", None, move |tx, ctx, now| {
            keys::create(tx, ctx, now, &actor, &n, &k, adjust)
        })
        .await;
    match out {
        Ok(_) => {
            let forms = Forms {
                new_key: Some((name, key.secret)),
                ..Forms::default()
            };
            show(&web, &st, StatusCode::OK, forms).await
        }
        Err(AppError::Invalid { message, .. }) => {
            reshow(StatusCode::UNPROCESSABLE_ENTITY, message).await
        }
        Err(e @ AppError::Conflict { .. }) => {
            // A refusal in the page's language.
            let (status, msg) = crate::shown_error(st.lang, &e);
            reshow(status, msg).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

#[derive(Deserialize)]
pub(super) struct HookForm {
    #[serde(default)]
    pub(super) url: String,
    #[serde(default)]
    pub(super) topics: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn create_webhook(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<HookForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, field: &str, msg: String| {
        let mut forms = Forms::error(field, msg);
        forms.hook_url = f.url.clone();
        forms.hook_topics = f.topics.clone();
        show(&web, &st, status, forms)
    };
    let url = f.url.trim().to_string();
    if url.is_empty() {
        let msg = st.t("请填写接收地址", "Enter the address to deliver to");
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "hook.url", msg.into()).await;
    }
    if !url.starts_with("https://") && !url.starts_with("http://") {
        let msg = st.t(
            "请填写 https:// 或 http:// 开头的地址",
            "Enter an address that starts with https:// or http://",
        );
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "hook.url", msg.into()).await;
    }
    let topics: Vec<String> = f
        .topics
        .split([',', '，', ' ', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    if topics.is_empty() {
        let msg = st.t(
            "请至少填写一个主题，例如 mall.order.*",
            "Name at least one topic, for example mall.order.*",
        );
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "hook.topics", msg.into()).await;
    }
    let e = webhooks::EndpointIn {
        url: url.clone(),
        topics,
    };
    // The use case checks again; checked here, a problem is in the page's language.
    let (program, en) = (st.s.program, st.lang == Lang::En);
    let allow_private = web
        .app
        .read(move |tx| webhooks::private_allowed(tx, program))
        .await;
    let allow_private = match allow_private {
        Ok(a) => a,
        Err(e) => return st.fail(e),
    };
    if let Err(p) = webhooks::check_endpoint(&e, allow_private) {
        let field = hook_field(&p.field());
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, field, p.text(en)).await;
    }
    let actor = st.s.actor();
    let out = web
        .app
        .write_view(st.s.program, "webhooks", None, move |tx, ctx, now| {
            webhooks::create_endpoint(tx, ctx, now, &actor, &e)
        })
        .await;
    match out {
        Ok(o) => {
            let secret = o.view.secret;
            let forms = Forms {
                new_hook: Some((url, secret)),
                ..Forms::default()
            };
            show(&web, &st, StatusCode::OK, forms).await
        }
        Err(AppError::Invalid { field, message }) => {
            reshow(
                StatusCode::UNPROCESSABLE_ENTITY,
                hook_field(&field),
                message,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            reshow(StatusCode::CONFLICT, "hook.url", message).await
        }
        Err(e) => st.fail(e),
    }
}

/// The form's field for a problem with the endpoint's `field` (`url`, `topics[2]`).
fn hook_field(field: &str) -> &'static str {
    if field.starts_with("topics") {
        "hook.topics"
    } else {
        "hook.url"
    }
}

pub(super) async fn webhook_status(
    State(web): State<Web>,
    st: Staff,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let status = match action.as_str() {
        "disable" => "disabled",
        "enable" => "active",
        _ => {
            return st.fail(AppError::NotFound {
                what: "page",
                id: action,
            });
        }
    };
    let Some(id) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound {
            what: "webhook endpoint",
            id,
        });
    };
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let actor = st.s.actor();
    let out = web
        .app
        .write_view(st.s.program, "webhooks", None, move |tx, ctx, now| {
            webhooks::set_status(tx, ctx, now, &actor, id, status)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!(
            "/console/settings?done={}",
            if status == "active" {
                "enabled"
            } else {
                "disabled"
            }
        ))
        .into_response(),
        Err(e) => st.fail(e),
    }
}

//! Coupons, tier benefits and the outbox.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jifen_app::App;
use jifen_app::commands::MemberRef;
use jifen_app::coupons::{self, CouponRelease, CouponUse, IssueCoupon};
use jifen_domain::coupons::CouponTemplate;
use serde::Deserialize;

use crate::extract::{ApiPath, ApiQuery, IdempotencyKey, JsonBody, Program};
use crate::{ApiError, ApiResult, member_id, respond_view, submit_as, submit_view};

pub async fn list_templates(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| coupons::templates(tx, &ctx)).await?;
    Ok(Json(v).into_response())
}

pub async fn create_template(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(t): JsonBody<CouponTemplate>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "coupon_template",
        key,
        "coupon_templates".into(),
        t,
        coupons::create_template,
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

async fn template_status(app: App, p: Program, code: String, status: &'static str) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "coupon_template_status",
        None,
        "coupon_templates".into(),
        (code, status.to_string()),
        |tx, ctx, now, actor, (code, status)| {
            coupons::set_template_status(tx, ctx, now, actor, code, status)
        },
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn archive_template(
    State(app): State<App>,
    p: Program,
    ApiPath(code): ApiPath,
) -> ApiResult {
    template_status(app, p, code, "archived").await
}

pub async fn activate_template(
    State(app): State<App>,
    p: Program,
    ApiPath(code): ApiPath,
) -> ApiResult {
    template_status(app, p, code, "active").await
}

pub async fn issue(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    JsonBody(r): JsonBody<IssueCoupon>,
) -> ApiResult {
    let id = member_id(&id)?;
    let partition = MemberRef::Id { member_id: id.0 }.partition();
    let out = submit_view(
        &app,
        p,
        "coupon_issue",
        None,
        partition,
        (id, r),
        |tx, ctx, now, (id, r)| coupons::issue_by_api(tx, ctx, now, *id, r),
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

#[derive(Deserialize)]
pub struct CouponsQuery {
    #[serde(default)]
    status: Option<String>,
}

pub async fn member_coupons(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<CouponsQuery>,
) -> ApiResult {
    let id = member_id(&id)?;
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| coupons::member_coupons(tx, &ctx, id, q.status.as_deref(), now))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn validate(
    State(app): State<App>,
    p: Program,
    JsonBody(u): JsonBody<CouponUse>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| coupons::validate(tx, &ctx, now, &u))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn redeem(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(u): JsonBody<CouponUse>,
) -> ApiResult {
    let partition = MemberRef::Id {
        member_id: u.member_id,
    }
    .partition();
    let out = submit_view(&app, p, "coupon_redeem", key, partition, u, coupons::redeem).await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn release(
    State(app): State<App>,
    p: Program,
    ApiPath(code): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(r): JsonBody<CouponRelease>,
) -> ApiResult {
    let partition = format!("coupon:{code}");
    let out = submit_view(
        &app,
        p,
        "coupon_release",
        key,
        partition,
        (code, r),
        |tx, ctx, now, (code, r)| coupons::release(tx, ctx, now, code, r),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn member_benefits(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
) -> ApiResult {
    let id = member_id(&id)?;
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| jifen_app::tiers::member_benefits(tx, &ctx, id, now))
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// Outbox events oldest first from `after` (an event id): consumers keep the last id they saw.
pub async fn outbox(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> ApiResult {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid("after", "must be an event id, 0 or more"));
    }
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| {
            let rows = tx.outbox_after(ctx.program.id, after, q.topic.as_deref(), limit)?;
            let items: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|(id, topic, member, payload, at)| {
                    serde_json::json!({
                        "id": id,
                        "topic": topic,
                        "member_id": member,
                        "payload": serde_json::from_str::<serde_json::Value>(&payload)
                            .unwrap_or(serde_json::Value::String(payload)),
                        "created_at": at,
                    })
                })
                .collect();
            let next = items.last().map(|v| v["id"].clone());
            Ok(serde_json::json!({"items": items, "next_after": next}))
        })
        .await?;
    Ok(Json(v).into_response())
}

// ---- webhooks ------------------------------------------------------------------------------

pub async fn webhooks(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| jifen_app::webhooks::endpoints(tx, &ctx))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn create_webhook(
    State(app): State<App>,
    p: Program,
    JsonBody(e): JsonBody<jifen_app::webhooks::EndpointIn>,
) -> ApiResult {
    let actor = p.1.actor();
    let out = submit_view(
        &app,
        p,
        "webhook",
        None,
        "webhooks".into(),
        (actor, e),
        |tx, ctx, now, (actor, e)| jifen_app::webhooks::create_endpoint(tx, ctx, now, actor, e),
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

fn endpoint_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::invalid("endpoint id", format!("{raw:?} is not an endpoint id")))
}

async fn webhook_status(app: App, p: Program, id: String, status: &'static str) -> ApiResult {
    let id = endpoint_id(&id)?;
    let actor = p.1.actor();
    let out = submit_view(
        &app,
        p,
        "webhook_status",
        None,
        "webhooks".into(),
        (actor, id, status.to_string()),
        |tx, ctx, now, (actor, id, s)| jifen_app::webhooks::set_status(tx, ctx, now, actor, *id, s),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn disable_webhook(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
) -> ApiResult {
    webhook_status(app, p, id, "disabled").await
}

pub async fn enable_webhook(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    webhook_status(app, p, id, "active").await
}

pub async fn webhook_deliveries(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
) -> ApiResult {
    let id = endpoint_id(&id)?;
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| jifen_app::webhooks::deliveries(tx, &ctx, id))
        .await?;
    Ok(Json(v).into_response())
}

/// A signed link into the member points centre, for the merchant's app to open.
pub async fn centre_link(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    let id = member_id(&id)?;
    let out = submit_view(
        &app,
        p,
        "centre_link",
        None,
        MemberRef::Id { member_id: id.0 }.partition(),
        id,
        |tx, ctx, now, id| jifen_app::centre::link(tx, ctx, now, *id),
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

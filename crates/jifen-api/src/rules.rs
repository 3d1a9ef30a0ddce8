//! Earning rules, behaviour events, dry runs and backtests.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jifen_app::earn::{self, BacktestIn, DryRun, EventIn, RuleAction, RuleIn};
use jifen_app::{App, AppError};
use jifen_rules::RuleDef;
use jifen_rules::signin::EarnSettings;
use serde::Deserialize;

use crate::extract::{ApiPath, ApiQuery, IdempotencyKey, JsonBody, Program};
use crate::{ApiError, ApiResult, respond_view, submit_as};

fn rule_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::invalid("rule id", format!("{raw:?} is not a rule id")))
}

/// A rule body is the definition itself with two optional extras, `status` and `actor`.
fn rule_in(mut v: serde_json::Value) -> Result<RuleIn, ApiError> {
    let Some(obj) = v.as_object_mut() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "a rule is a JSON object",
        ));
    };
    let text = |v: Option<serde_json::Value>, field: &str| -> Result<Option<String>, ApiError> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(field, "must be a string")),
        }
    };
    let status = text(obj.remove("status"), "status")?;
    let actor = text(obj.remove("actor"), "actor")?;
    let definition: RuleDef = serde_json::from_value(v).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            e.to_string(),
        )
    })?;
    Ok(RuleIn {
        definition,
        status,
        actor,
    })
}

#[derive(Deserialize)]
pub struct RulesQuery {
    #[serde(default)]
    status: Option<String>,
}

pub async fn list_rules(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<RulesQuery>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| earn::list_rules(tx, &ctx, q.status.as_deref()))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn variables() -> ApiResult {
    Ok(Json(earn::variables()).into_response())
}

pub async fn get_rule(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    let id = rule_id(&id)?;
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| earn::get_rule(tx, &ctx, id)).await?;
    Ok(Json(v).into_response())
}

pub async fn create_rule(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(v): JsonBody<serde_json::Value>,
) -> ApiResult {
    let input = rule_in(v)?;
    let program = p.0;
    let out = submit_as(
        &app,
        p,
        "create_rule",
        key,
        "rules".into(),
        input,
        earn::create_rule,
    )
    .await?;
    app.invalidate_program(program);
    Ok(respond_view(out, StatusCode::CREATED))
}

pub async fn update_rule(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(v): JsonBody<serde_json::Value>,
) -> ApiResult {
    let id = rule_id(&id)?;
    let input = rule_in(v)?;
    let program = p.0;
    let out = submit_as(
        &app,
        p,
        "update_rule",
        key,
        "rules".into(),
        (id, input),
        |tx, ctx, now, actor, (id, r)| earn::update_rule(tx, ctx, now, actor, *id, r),
    )
    .await?;
    app.invalidate_program(program);
    Ok(respond_view(out, StatusCode::OK))
}

async fn rule_action(app: App, p: Program, id: &str, action: RuleAction) -> ApiResult {
    let id = rule_id(id)?;
    let program = p.0;
    let out = submit_as(
        &app,
        p,
        "rule_action",
        None,
        "rules".into(),
        (id, action),
        |tx, ctx, now, actor, (id, a)| earn::change_rule_status(tx, ctx, now, actor, *id, *a),
    )
    .await?;
    app.invalidate_program(program);
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn activate_rule(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    rule_action(app, p, &id, RuleAction::Activate).await
}

pub async fn pause_rule(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    rule_action(app, p, &id, RuleAction::Pause).await
}

pub async fn archive_rule(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    rule_action(app, p, &id, RuleAction::Archive).await
}

pub async fn get_settings(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    Ok(Json(serde_json::to_value(&ctx.earn.settings).expect("settings serialize")).into_response())
}

pub async fn put_settings(
    State(app): State<App>,
    p: Program,
    JsonBody(s): JsonBody<EarnSettings>,
) -> ApiResult {
    let program = p.0;
    let out = submit_as(
        &app,
        p,
        "earn_settings",
        None,
        "rules".into(),
        s,
        earn::put_settings,
    )
    .await?;
    app.invalidate_program(program);
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn record_event(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(e): JsonBody<EventIn>,
) -> ApiResult {
    e.validate()?;
    // The event's own id is its natural idempotency key; a sign-in without one is still once
    // a day by nature.
    let key = key.or_else(|| e.event_id.as_ref().map(|id| format!("event:{id}")));
    let partition = e.member.partition();
    let out = crate::submit_view(&app, p, "event", key, partition, e, earn::record_event).await?;
    Ok(crate::respond_view(out, StatusCode::OK))
}

pub async fn dry_run(
    State(app): State<App>,
    p: Program,
    JsonBody(d): JsonBody<DryRun>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app.read(move |tx| earn::dry_run(tx, &ctx, now, &d)).await?;
    Ok(Json(v).into_response())
}

pub async fn start_backtest(
    State(app): State<App>,
    p: Program,
    JsonBody(b): JsonBody<BacktestIn>,
) -> ApiResult {
    let a = app.clone();
    let state = tokio::task::spawn_blocking(move || a.start_backtest(p.0, b))
        .await
        .map_err(|e| ApiError::from(AppError::Internal(e.to_string())))??;
    Ok((StatusCode::CREATED, Json(state)).into_response())
}

pub async fn get_backtest(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    match app.backtest(p.0, &id) {
        Some(b) => Ok(Json(b).into_response()),
        None => Err(AppError::NotFound {
            what: "backtest",
            id,
        }
        .into()),
    }
}

#[derive(Deserialize)]
pub struct HoldsQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

pub async fn list_holds(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<HoldsQuery>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| earn::list_holds(tx, &ctx, q.status.as_deref(), q.after, q.limit))
        .await?;
    Ok(Json(v).into_response())
}

async fn decide(
    app: App,
    p: Program,
    id: &str,
    decision: earn::HoldDecision,
    r: earn::HoldReview,
) -> ApiResult {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::invalid("hold id", format!("{id:?} is not a risk hold id")))?;
    // Decisions lock the member; the hold id is the routing key the caller has.
    let partition = format!("hold:{id}");
    let out = submit_as(
        &app,
        p,
        "risk_hold",
        None,
        partition,
        (id, decision, r),
        |tx, ctx, now, actor, (id, d, r)| earn::decide_hold(tx, ctx, now, actor, *id, *d, r),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn release_hold(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    JsonBody(r): JsonBody<earn::HoldReview>,
) -> ApiResult {
    decide(app, p, &id, earn::HoldDecision::Release, r).await
}

pub async fn reject_hold(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    JsonBody(r): JsonBody<earn::HoldReview>,
) -> ApiResult {
    decide(app, p, &id, earn::HoldDecision::Reject, r).await
}

//! The programme at a glance (`GET /api/v1/overview`, the figures the console's overview shows,
//! over the same ranges) and the value of points that prices the outstanding points.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jifen_app::App;
use jifen_app::overview::{self, PointValue, RangeQuery};
use serde::Deserialize;

use crate::extract::{ApiQuery, JsonBody, Program};
use crate::{ApiResult, respond_view, submit_as};

/// The range asked for: `days` ending today, or `from` to `to` (`YYYY-MM-DD`, both included).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverviewParams {
    #[serde(default)]
    days: Option<i64>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// The overview over `days` days ending today or `from`–`to`; a range that does not read is a
/// 422 naming its field.
pub async fn overview(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<OverviewParams>,
) -> ApiResult {
    let q = RangeQuery {
        days: q.days,
        from: q.from,
        to: q.to,
    };
    let ctx = app.program_ctx(p.0).await?;
    let v = overview::overview(&app, ctx, &q, app.now()).await?;
    Ok(Json(v).into_response())
}

/// The programme's value of points.
pub async fn point_value_get(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| overview::point_value(tx, &ctx)).await?;
    Ok(Json(v).into_response())
}

/// Sets it in the key's name (audited as `point_value.update`).
pub async fn point_value_put(
    State(app): State<App>,
    p: Program,
    JsonBody(v): JsonBody<PointValue>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "point_value",
        None,
        "staff".into(),
        v,
        overview::put_point_value,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

//! Jifen's JSON API under `/api/v1`.
//!
//! Handlers parse the request into the use case's input (or answer with the one error shape),
//! pick the idempotency key and the writer partition, and hand the command to `jifen-app`. They
//! decide nothing about points. The OpenAPI document lists every route; a test keeps the two
//! in step.

#![recursion_limit = "256"]

mod coupons;
mod error;
mod extract;
mod mall;
mod members;
pub mod observe;
pub mod openapi;
mod overview;
mod serve;
pub use extract::BODY_TIMEOUT;
pub use observe::{observed, observed_with};
pub use serve::{DRAIN, HEADER_TIMEOUT, serve};
mod rules;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jifen_app::commands::{self, MemberRef};
use jifen_app::staff::AdjustmentOutcome;
use jifen_app::{App, AppError, ProgramCtx, Written, views};
use jifen_ledger::{MemberId, Millis, PointType};
use jifen_store::{Identity, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use error::ApiError;
use extract::{ApiPath, ApiQuery, BODY_BYTES_MAX, IdempotencyKey, JsonBody, Program, RawBody};

type ApiResult = Result<Response, ApiError>;

// ---- the /api/v1 routes (the OpenAPI tests read them from here) ----------------------------

/// Members, the ledger, rules, tiers and coupons.
fn v1_members_and_ledger() -> Router<App> {
    Router::new()
        .route("/program", get(program).put(update_program))
        .route(
            "/program/point-value",
            get(overview::point_value_get).put(overview::point_value_put),
        )
        .route("/overview", get(overview::overview))
        .route("/members", get(members::list_members).post(create_member))
        .route("/members/lookup", get(lookup_member))
        .route("/members/merge", post(merge_members))
        .route("/members/{id}", get(member).patch(members::update_member))
        .route("/members/{id}/identities", post(add_identity))
        .route(
            "/members/{id}/identities/unbind",
            post(members::unbind_identity),
        )
        .route("/members/{id}/freeze", post(members::freeze_member))
        .route("/members/{id}/unfreeze", post(members::unfreeze_member))
        .route("/members/{id}/export", get(members::export_member))
        .route("/members/{id}/erase", post(members::erase_member))
        .route(
            "/members/{id}/centre-link/revoke",
            post(members::revoke_centre_links),
        )
        .route("/members/{id}/balance", get(balance))
        .route("/members/{id}/lots", get(lots))
        .route("/members/{id}/history", get(history))
        .route("/members/{id}/activity", get(members::activity))
        .route("/members/{id}/receipt", get(members::receipt))
        .route("/chain/links", get(members::chain_links))
        .route("/audit", get(members::audit_log))
        .route("/purchases", post(purchase))
        .route("/refunds", post(refund))
        .route("/spends", post(spend))
        .route("/spends/{id}/refunds", post(refund_spend))
        .route("/reservations", post(reserve))
        .route("/reservations/{id}/post", post(post_reservation))
        .route("/reservations/{id}/void", post(void_reservation))
        .route("/transfers", post(transfer))
        .route("/adjustments", post(adjust))
        .route("/rules", get(rules::list_rules).post(rules::create_rule))
        .route("/rules/variables", get(rules::variables))
        .route("/rules/{id}", get(rules::get_rule).put(rules::update_rule))
        .route("/rules/{id}/activate", post(rules::activate_rule))
        .route("/rules/{id}/pause", post(rules::pause_rule))
        .route("/rules/{id}/archive", post(rules::archive_rule))
        .route(
            "/earn-settings",
            get(rules::get_settings).put(rules::put_settings),
        )
        .route("/events", post(rules::record_event))
        .route("/events/dry-run", post(rules::dry_run))
        .route("/backtests", post(rules::start_backtest))
        .route("/backtests/{id}", get(rules::get_backtest))
        .route("/tiers", get(tiers_get).put(tiers_put))
        .route("/members/{id}/tier", get(member_tier).post(set_member_tier))
        .route("/members/{id}/benefits", get(coupons::member_benefits))
        .route("/members/{id}/centre-link", post(coupons::centre_link))
        .route(
            "/members/{id}/coupons",
            get(coupons::member_coupons).post(coupons::issue),
        )
        .route(
            "/coupon-templates",
            get(coupons::list_templates).post(coupons::create_template),
        )
        .route(
            "/coupon-templates/{code}/archive",
            post(coupons::archive_template),
        )
        .route(
            "/coupon-templates/{code}/activate",
            post(coupons::activate_template),
        )
        .route("/coupons/validate", post(coupons::validate))
        .route("/coupons/redeem", post(coupons::redeem))
        .route("/coupons/{code}/release", post(coupons::release))
        .route("/outbox", get(coupons::outbox))
        .route(
            "/webhooks",
            get(coupons::webhooks).post(coupons::create_webhook),
        )
        .route("/webhooks/{id}/disable", post(coupons::disable_webhook))
        .route("/webhooks/{id}/enable", post(coupons::enable_webhook))
        .route(
            "/webhooks/{id}/deliveries",
            get(coupons::webhook_deliveries),
        )
}

/// The mall, checkout, lotteries and risk holds.
fn v1_mall() -> Router<App> {
    Router::new()
        .route("/mall/items", get(mall::list_items).post(mall::create_item))
        .route(
            "/mall/items/{id}",
            get(mall::get_item).put(mall::update_item),
        )
        .route("/mall/items/{id}/status", post(mall::set_item_status))
        .route("/mall/skus/{sku}/stock", post(mall::restock))
        .route("/members/{id}/mall", get(mall::member_catalog))
        .route(
            "/mall/orders",
            get(mall::list_orders).post(mall::place_order),
        )
        .route("/mall/orders/{id}", get(mall::get_order))
        .route("/mall/orders/ship-batch", post(mall::ship_batch))
        .route("/mall/orders/{id}/pay", post(mall::pay_order))
        .route("/mall/orders/{id}/cancel", post(mall::cancel_order))
        .route("/mall/orders/{id}/ship", post(mall::ship_order))
        .route("/mall/orders/{id}/deliver", post(mall::deliver_order))
        .route("/mall/orders/{id}/refund", post(mall::refund_order))
        .route("/mall/skus/{sku}/arrivals", post(mall::arrival))
        .route(
            "/mall/images",
            post(mall::upload_image).layer(DefaultBodyLimit::max(jifen_app::mall::IMAGE_BYTES_MAX)),
        )
        .route("/mall/items/{id}/alternatives", get(mall::alternatives))
        .route("/mall/reports/slow-items", post(mall::slow_items))
        .route(
            "/mall/candidates",
            get(mall::candidates).post(mall::add_candidate),
        )
        .route("/mall/candidates/{id}/close", post(mall::close_candidate))
        .route("/mall/candidates/{id}/votes", post(mall::vote))
        .route(
            "/mall/payment-settings",
            get(mall::payment_settings_get).put(mall::payment_settings_put),
        )
        .route(
            "/mall/categories",
            get(mall::categories_get).put(mall::categories_put),
        )
        .route(
            "/checkout/settings",
            get(mall::checkout_settings_get).put(mall::checkout_settings_put),
        )
        .route("/checkout/quote", post(mall::checkout_quote))
        .route("/checkout/deductions", post(mall::checkout_deduct))
        .route(
            "/checkout/deductions/{id}/post",
            post(mall::checkout_post_deduction),
        )
        .route(
            "/checkout/deductions/{id}/void",
            post(mall::checkout_void_deduction),
        )
        .route(
            "/checkout/deductions/{id}/refunds",
            post(mall::checkout_refund_deduction),
        )
        .route(
            "/lotteries",
            get(mall::lotteries).post(mall::create_lottery),
        )
        .route("/lotteries/{code}", get(mall::lottery))
        .route("/lotteries/{code}/grants", post(mall::lottery_grant))
        .route(
            "/lotteries/{code}/draws",
            get(mall::lottery_draws).post(mall::lottery_draw),
        )
        .route("/risk-holds", get(rules::list_holds))
        .route("/risk-holds/{id}/release", post(rules::release_hold))
        .route("/risk-holds/{id}/reject", post(rules::reject_hold))
}

// ---- end of the /api/v1 routes ---------------------------------------------------------------

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    let v1 = Router::new()
        .merge(v1_members_and_ledger())
        .merge(v1_mall());
    Router::new()
        .nest("/api/v1", v1)
        .route(
            "/api/openapi.json",
            get(|| async { Json(openapi::document()) }),
        )
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/media/{id}", get(mall::media))
        .route("/media/{id}/thumb", get(mall::media_thumb))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        // gzip for a client that asks for it: JSON, the document, metrics, SVG; PNG and JPEG
        // pictures are already compressed and go as they are.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(app)
}

/// The answer to a path no route serves.
async fn route_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "no such route; see /api/openapi.json",
    )
}

/// The answer to a method a served path does not take.
async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

/// The answer to a write of a typed view: the view, and `Idempotent-Replayed` on a replay.
pub(crate) fn respond_view<V: Serialize>(w: Written<V>, status: StatusCode) -> Response {
    let mut r = (status, Json(w.view)).into_response();
    if w.replayed {
        r.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}

type ViewFn<T, V> = fn(&mut Tx<'_>, &ProgramCtx, Millis, &T) -> Result<V, AppError>;

/// Submits a use case that answers a typed view. The request fingerprint covers the route and the
/// parsed input, so the same key on another route or with another body is refused rather than
/// replayed.
pub(crate) async fn submit_view<T, V>(
    app: &App,
    program: Program,
    route: &str,
    key: Option<String>,
    partition: String,
    input: T,
    f: ViewFn<T, V>,
) -> Result<Written<V>, ApiError>
where
    T: Serialize + Send + Sync + 'static,
    V: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let run =
        move |tx: &mut Tx<'_>, ctx: &ProgramCtx, now, _: &str, input: &T| f(tx, ctx, now, input);
    submit_as(app, program, route, key, partition, input, run).await
}

/// [`submit_view`] for a use case made in the calling key's name: the key is the audit log's
/// actor, and it does not enter the request's fingerprint.
pub(crate) async fn submit_as<T, V, F>(
    app: &App,
    program: Program,
    route: &str,
    key: Option<String>,
    partition: String,
    input: T,
    f: F,
) -> Result<Written<V>, ApiError>
where
    T: Serialize + Send + Sync + 'static,
    V: Serialize + serde::de::DeserializeOwned + Send + 'static,
    F: Fn(&mut Tx<'_>, &ProgramCtx, Millis, &str, &T) -> Result<V, AppError> + Send + 'static,
{
    let idem = key.map(|k| fingerprint(k, route, &input));
    let actor = program.1.actor();
    Ok(app
        .write_view(program.0, &partition, idem, move |tx, ctx, now| {
            f(tx, ctx, now, &actor, &input)
        })
        .await?)
}

/// The idempotency key with the fingerprint of the route and the parsed input.
pub(crate) fn fingerprint<T: Serialize>(key: String, route: &str, input: &T) -> (String, String) {
    let mut fp = route.as_bytes().to_vec();
    fp.extend(serde_json::to_vec(input).expect("input serializes"));
    (key, jifen_app::sha256_hex(&fp))
}

fn require_key(key: Option<String>) -> Result<String, ApiError> {
    key.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            "this write needs an Idempotency-Key header so that a retry never applies twice",
        )
    })
}

fn member_id(raw: &str) -> Result<MemberId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(MemberId)
        .ok_or_else(|| ApiError::invalid("member id", format!("{raw:?} is not a member id")))
}

async fn program(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    Ok(Json(json!({
        "program_id": ctx.program.id,
        "code": ctx.program.code,
        "name": ctx.program.name,
        "currency": ctx.program.currency,
        "timezone": ctx.program.timezone,
        "policy": ctx.program.policy,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
struct ProgramUpdate {
    name: String,
    timezone: String,
    policy: jifen_ledger::policy::LedgerPolicy,
}

async fn update_program(
    State(app): State<App>,
    p: Program,
    JsonBody(u): JsonBody<ProgramUpdate>,
) -> ApiResult {
    let (a, id, actor) = (app.clone(), p.0, p.1.actor());
    tokio::task::spawn_blocking(move || a.update_program(id, actor, u.name, u.timezone, u.policy))
        .await
        .map_err(|e| ApiError::from(AppError::Internal(e.to_string())))??;
    program(State(app), p).await
}

// ---- members -------------------------------------------------------------------------------

async fn create_member(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(m): JsonBody<commands::NewMember>,
) -> ApiResult {
    m.validate()?;
    let partition = m.identities.first().map_or_else(
        || "new-member".to_string(),
        |i| format!("e:{}:{}", i.channel, i.external_id),
    );
    let out = submit_view(
        &app,
        p,
        "create_member",
        key,
        partition,
        m,
        commands::create_member,
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

async fn read_member(app: &App, p: Program, id: MemberId) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| views::member_view(tx, &ctx, id, now))
        .await?;
    Ok(Json(v).into_response())
}

async fn member(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    read_member(&app, p, member_id(&id)?).await
}

#[derive(Deserialize)]
struct LookupQuery {
    channel: String,
    external_id: String,
}

async fn lookup_member(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> ApiResult {
    let r = MemberRef::External {
        channel: q.channel,
        external_id: q.external_id,
    };
    r.validate()?;
    let ctx = app.program_ctx(p.0).await?;
    let id = app
        .read(move |tx| Ok(commands::resolve(tx, &ctx, &r)?.id))
        .await?;
    read_member(&app, p, id).await
}

async fn add_identity(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(i): JsonBody<Identity>,
) -> ApiResult {
    let m = MemberRef::Id {
        member_id: member_id(&id)?.0,
    };
    let out = submit_view(
        &app,
        p,
        "add_identity",
        key,
        m.partition(),
        (m, i),
        |tx, ctx, now, (m, i)| commands::add_identity(tx, ctx, now, m, i),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

async fn merge_members(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(m): JsonBody<commands::Merge>,
) -> ApiResult {
    let partition = m.into.partition();
    let out = submit_as(&app, p, "merge", key, partition, m, commands::merge).await?;
    Ok(respond_view(out, StatusCode::OK))
}

#[derive(Deserialize)]
struct BalanceQuery {
    #[serde(default)]
    days: Option<i64>,
}

async fn balance(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<BalanceQuery>,
) -> ApiResult {
    let id = member_id(&id)?;
    let days = q.days.unwrap_or(30);
    if !(0..=views::EXPIRING_DAYS_MAX).contains(&days) {
        return Err(ApiError::invalid(
            "days",
            format!("must be between 0 and {}", views::EXPIRING_DAYS_MAX),
        ));
    }
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| {
            let m = commands::resolve(tx, &ctx, &MemberRef::Id { member_id: id.0 })?;
            views::member_balance(tx, &ctx, m.id, now, days)
        })
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct LotsQuery {
    #[serde(default)]
    point_type: Option<String>,
    #[serde(default)]
    include_closed: Option<bool>,
}

async fn lots(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<LotsQuery>,
) -> ApiResult {
    let id = member_id(&id)?;
    let pt = match q.point_type.as_deref() {
        None => PointType::Points,
        Some(s) => PointType::parse(s)
            .ok_or_else(|| ApiError::invalid("point_type", "must be points or growth"))?,
    };
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let include_closed = q.include_closed.unwrap_or(false);
    let v = app
        .read(move |tx| {
            let m = commands::resolve(tx, &ctx, &MemberRef::Id { member_id: id.0 })?;
            Ok(json!({"member_id": m.id, "lots": views::lots(tx, &ctx, m.id, pt, include_closed, now)?}))
        })
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct HistoryQuery {
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

async fn history(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult {
    let id = member_id(&id)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=views::HISTORY_PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {}", views::HISTORY_PAGE_MAX),
        ));
    }
    let ctx = app.program_ctx(p.0).await?;
    let before = q.before;
    let v = app
        .read(move |tx| {
            let m = commands::resolve(tx, &ctx, &MemberRef::Id { member_id: id.0 })?;
            views::history(tx, &ctx, m.id, before, limit)
        })
        .await?;
    Ok(Json(v).into_response())
}

// ---- tiers ---------------------------------------------------------------------------------

async fn tiers_get(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    match &ctx.earn.ladder {
        Some(l) => Ok(Json(serde_json::to_value(l).expect("ladder serializes")).into_response()),
        None => Err(AppError::NotFound {
            what: "tier ladder",
            id: ctx.program.code.clone(),
        }
        .into()),
    }
}

async fn tiers_put(
    State(app): State<App>,
    p: Program,
    JsonBody(l): JsonBody<jifen_domain::tiers::Ladder>,
) -> ApiResult {
    let program = p.0;
    let out = submit_as(
        &app,
        p,
        "tiers",
        None,
        "tiers".into(),
        l,
        jifen_app::tiers::put_ladder,
    )
    .await?;
    app.invalidate_program(program);
    Ok(respond_view(out, StatusCode::OK))
}

#[derive(Deserialize)]
struct TierQuery {
    #[serde(default)]
    locale: Option<String>,
}

async fn member_tier(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<TierQuery>,
) -> ApiResult {
    let id = member_id(&id)?;
    let locale = q.locale.unwrap_or_else(|| "zh".into());
    if !["zh", "zh-CN", "en", "en-US"].contains(&locale.as_str()) {
        return Err(ApiError::invalid("locale", "must be zh or en"));
    }
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| {
            let m = commands::resolve(tx, &ctx, &MemberRef::Id { member_id: id.0 })?;
            jifen_app::tiers::member_progress(tx, &ctx, m.id, now, &locale)
        })
        .await?;
    Ok(Json(v).into_response())
}

async fn set_member_tier(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(m): JsonBody<jifen_app::tiers::ManualTier>,
) -> ApiResult {
    let id = member_id(&id)?;
    let partition = MemberRef::Id { member_id: id.0 }.partition();
    let out = submit_view(
        &app,
        p,
        "manual_tier",
        key,
        partition,
        (id, m),
        |tx, ctx, now, (id, m)| jifen_app::tiers::set_manual(tx, ctx, now, *id, m),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

// ---- ledger writes -------------------------------------------------------------------------

async fn purchase(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<commands::Purchase>,
) -> ApiResult {
    input.validate()?;
    // The order id is the natural idempotency key of a purchase.
    let key = key.unwrap_or_else(|| format!("purchase:{}", input.order_id));
    let partition = input.member.partition();
    let out = submit_view(
        &app,
        p,
        "purchase",
        Some(key),
        partition,
        input,
        commands::purchase,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefundBody {
    #[serde(flatten)]
    refund: commands::Refund,
    /// The merchant's id of this refund: its natural idempotency key.
    #[serde(default)]
    refund_id: Option<String>,
}

async fn refund(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<RefundBody>,
) -> ApiResult {
    let key = match (key, &input.refund_id) {
        (Some(k), _) => k,
        (None, Some(r)) => format!("refund:{}:{r}", input.refund.order_id),
        (None, None) => require_key(None)?,
    };
    // Refunds of one order go to one writer, and an order belongs to one member; the order id
    // is the routing key the caller has.
    let partition = format!("o:{}", input.refund.order_id);
    let out = submit_view(
        &app,
        p,
        "refund",
        Some(key),
        partition,
        input,
        |tx, ctx, now, i| commands::refund(tx, ctx, now, &i.refund),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

async fn spend(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<commands::Spend>,
) -> ApiResult {
    input.validate()?;
    let key = require_key(key)?;
    let partition = input.member.partition();
    let out = submit_view(
        &app,
        p,
        "spend",
        Some(key),
        partition,
        input,
        commands::spend,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefundSpendBody {
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    reason: Option<String>,
}

async fn refund_spend(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(b): JsonBody<RefundSpendBody>,
) -> ApiResult {
    let key = require_key(key)?;
    let transfer_id = id
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::invalid("spend id", "must be a positive integer"))?;
    let input = commands::RedemptionRefund {
        transfer_id,
        amount: b.amount,
        reason: b.reason,
    };
    let out = submit_view(
        &app,
        p,
        "refund_spend",
        Some(key),
        format!("t:{transfer_id}"),
        input,
        commands::refund_redemption,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

async fn reserve(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<commands::Reserve>,
) -> ApiResult {
    let key = require_key(key)?;
    let partition = input.member.partition();
    let out = submit_view(
        &app,
        p,
        "reserve",
        Some(key),
        partition,
        input,
        commands::reserve,
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SettleBody {
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// An optional JSON body with a reason: empty means none.
pub(crate) fn optional_reason(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        Ok(extract::parse_json::<SettleBody>(body)?.reason)
    }
}

pub(crate) fn reservation_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::invalid("reservation id", "must be a positive integer"))
}

/// Posts a reservation-like hold by the id in the path; the natural key is `{what}:{id}:post`.
pub(crate) async fn post_by_id<V>(
    app: &App,
    p: Program,
    raw_id: &str,
    key: Option<String>,
    what: &str,
    f: ViewFn<i64, V>,
) -> ApiResult
where
    V: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let id = reservation_id(raw_id)?;
    let key = key.unwrap_or_else(|| format!("{what}:{id}:post"));
    let route = format!("post_{what}");
    let out = submit_view(app, p, &route, Some(key), format!("r:{id}"), id, f).await?;
    Ok(respond_view(out, StatusCode::OK))
}

/// Voids a reservation-like hold by the id in the path, with an optional reason in the body;
/// the natural key is `{what}:{id}:void`.
pub(crate) async fn void_by_id<V>(
    app: &App,
    p: Program,
    raw_id: &str,
    key: Option<String>,
    body: &[u8],
    what: &str,
    f: ViewFn<(i64, Option<String>), V>,
) -> ApiResult
where
    V: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let id = reservation_id(raw_id)?;
    // The body is optional here: an empty one means no reason.
    let reason = optional_reason(body)?;
    let key = key.unwrap_or_else(|| format!("{what}:{id}:void"));
    let route = format!("void_{what}");
    let out = submit_view(
        app,
        p,
        &route,
        Some(key),
        format!("r:{id}"),
        (id, reason),
        f,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

async fn post_reservation(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
) -> ApiResult {
    post_by_id(&app, p, &id, key, "reservation", |tx, ctx, now, id| {
        commands::post_reservation(tx, ctx, now, *id)
    })
    .await
}

async fn void_reservation(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    RawBody(body): RawBody,
) -> ApiResult {
    void_by_id(
        &app,
        p,
        &id,
        key,
        &body,
        "reservation",
        |tx, ctx, now, (id, r)| commands::void_reservation(tx, ctx, now, *id, r.clone()),
    )
    .await
}

async fn transfer(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<commands::MemberTransfer>,
) -> ApiResult {
    let key = require_key(key)?;
    let partition = input.from.partition();
    let out = submit_as(
        &app,
        p,
        "transfer",
        Some(key),
        partition,
        input,
        commands::transfer,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

async fn adjust(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<commands::Adjustment>,
) -> ApiResult {
    let key = require_key(key)?;
    let partition = input.member.partition();
    let caller = p.1.clone();
    let out = app
        .write_view(
            p.0,
            &partition,
            Some(fingerprint(key, "adjust", &input)),
            move |tx, ctx, now| jifen_app::staff::adjust_by_key(tx, ctx, now, &caller, &input),
        )
        .await?;
    // Above the threshold the adjustment waits for a second person: accepted, not applied.
    let status = match out.view {
        AdjustmentOutcome::PendingApproval(_) => StatusCode::ACCEPTED,
        AdjustmentOutcome::Applied(_) => StatusCode::OK,
    };
    Ok(respond_view(out, status))
}

//! The points mall: catalog, a member's view of it, orders and their fulfilment.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jifen_app::App;
use jifen_app::mall::{self, ItemIn, OrderUpdate, PlaceOrder, Restock};
use jifen_domain::mall::{ItemDef, OrderAction};
use serde::Deserialize;

use crate::extract::{ApiPath, ApiQuery, IdempotencyKey, JsonBody, Program, RawBody};
use crate::{ApiError, ApiResult, member_id, post_by_id, require_key, reservation_id, void_by_id};
use crate::{respond_view, submit_as, submit_view};

fn positive_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::invalid(what, format!("{raw:?} is not a {what}")))
}

#[derive(Deserialize)]
pub struct ItemsQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

pub async fn list_items(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| {
            mall::list_items(
                tx,
                &ctx,
                q.status.as_deref(),
                q.category.as_deref(),
                q.after.unwrap_or(0),
                q.limit.unwrap_or(50),
            )
        })
        .await?;
    Ok(Json(v).into_response())
}

pub async fn create_item(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(i): JsonBody<ItemIn>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "mall_item",
        key,
        "mall".into(),
        i,
        mall::create_item,
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

pub async fn get_item(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    let id = positive_id(&id, "item id")?;
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| mall::get_item(tx, &ctx, id)).await?;
    Ok(Json(v).into_response())
}

pub async fn update_item(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    JsonBody(d): JsonBody<ItemDef>,
) -> ApiResult {
    let id = positive_id(&id, "item id")?;
    let out = submit_as(
        &app,
        p,
        "mall_item_update",
        None,
        "mall".into(),
        (id, d),
        |tx, ctx, now, actor, (id, d)| mall::update_item(tx, ctx, now, actor, *id, d),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    status: String,
}

pub async fn set_item_status(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    JsonBody(s): JsonBody<StatusIn>,
) -> ApiResult {
    let id = positive_id(&id, "item id")?;
    let out = submit_as(
        &app,
        p,
        "mall_item_status",
        None,
        "mall".into(),
        (id, s),
        |tx, ctx, now, actor, (id, s)| mall::set_item_status(tx, ctx, now, actor, *id, &s.status),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn restock(
    State(app): State<App>,
    p: Program,
    ApiPath(sku): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(r): JsonBody<Restock>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "mall_restock",
        key,
        "mall".into(),
        (sku, r),
        |tx, ctx, now, actor, (sku, r)| mall::restock(tx, ctx, now, actor, sku, r),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

#[derive(Deserialize)]
pub struct CatalogQuery {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

pub async fn member_catalog(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<CatalogQuery>,
) -> ApiResult {
    let id = member_id(&id)?;
    let locale = q.locale.unwrap_or_else(|| "zh".into());
    if !["zh", "zh-CN", "en", "en-US"].contains(&locale.as_str()) {
        return Err(ApiError::invalid("locale", "must be zh or en"));
    }
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| mall::member_catalog(tx, &ctx, id, q.category.as_deref(), &locale, now))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn place_order(
    State(app): State<App>,
    p: Program,
    JsonBody(o): JsonBody<PlaceOrder>,
) -> ApiResult {
    o.member.validate()?;
    let partition = o.member.partition();
    let out = submit_view(&app, p, "mall_order", None, partition, o, mall::place_order).await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

#[derive(Deserialize)]
pub struct OrdersQuery {
    #[serde(default)]
    member_id: Option<i64>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    q: Option<String>,
}

pub async fn list_orders(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| match q.q.as_deref() {
            Some(text) => mall::search_orders(tx, &ctx, text, q.limit.unwrap_or(50)),
            None => mall::list_orders(
                tx,
                &ctx,
                q.member_id.map(jifen_ledger::MemberId),
                q.state.as_deref(),
                q.before,
                q.limit.unwrap_or(50),
            ),
        })
        .await?;
    Ok(Json(v).into_response())
}

pub async fn get_order(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    let id = positive_id(&id, "order id")?;
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| mall::get_order(tx, &ctx, id)).await?;
    Ok(Json(v).into_response())
}

async fn act(
    app: App,
    p: Program,
    id: String,
    key: Option<String>,
    action: OrderAction,
    u: OrderUpdate,
) -> ApiResult {
    let id = positive_id(&id, "order id")?;
    // Actions lock the order's member; the order id is the routing key the caller has.
    let partition = format!("mall-order:{id}");
    let out = submit_as(
        &app,
        p,
        "mall_order_action",
        key,
        partition,
        (id, action, u),
        |tx, ctx, now, actor, (id, action, u)| mall::act(tx, ctx, now, actor, *id, *action, u),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

macro_rules! action {
    ($name:ident, $action:expr) => {
        pub async fn $name(
            State(app): State<App>,
            p: Program,
            ApiPath(id): ApiPath,
            IdempotencyKey(key): IdempotencyKey,
            JsonBody(u): JsonBody<OrderUpdate>,
        ) -> ApiResult {
            act(app, p, id, key, $action, u).await
        }
    };
}

action!(pay_order, OrderAction::Pay);
action!(cancel_order, OrderAction::Cancel);
action!(ship_order, OrderAction::Ship);
action!(deliver_order, OrderAction::Deliver);
action!(refund_order, OrderAction::Refund);

/// Ships many orders from `order, carrier, tracking_no` rows in the key's name: every row
/// checked and applied on its own, the answer says per row shipped, already shipped (done,
/// not applied again) or refused with why. Sending the same rows again ships nothing twice.
pub async fn ship_batch(
    State(app): State<App>,
    p: Program,
    JsonBody(b): JsonBody<mall::ShipBatch>,
) -> ApiResult {
    let actor = p.1.actor();
    let v = app.ship_batch(p.0, &actor, mall::numbered(b.rows)).await?;
    Ok(Json(v).into_response())
}

// ---- presales, checkout, renewal, lotteries ------------------------------------------------

pub async fn arrival(
    State(app): State<App>,
    p: Program,
    ApiPath(sku): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(a): JsonBody<mall::Arrival>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "mall_arrival",
        key,
        "mall".into(),
        (sku, a),
        |tx, ctx, now, actor, (sku, a)| mall::arrival(tx, ctx, now, actor, sku, a),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn alternatives(State(app): State<App>, p: Program, ApiPath(id): ApiPath) -> ApiResult {
    let id = positive_id(&id, "item id")?;
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| mall::item_alternatives(tx, &ctx, id))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn slow_items(
    State(app): State<App>,
    p: Program,
    JsonBody(r): JsonBody<mall::SlowItems>,
) -> ApiResult {
    let out = submit_view(
        &app,
        p,
        "mall_slow_items",
        None,
        "mall".into(),
        r,
        mall::slow_items,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn candidates(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| mall::candidates(tx, &ctx)).await?;
    Ok(Json(v).into_response())
}

pub async fn add_candidate(
    State(app): State<App>,
    p: Program,
    JsonBody(c): JsonBody<mall::Candidate>,
) -> ApiResult {
    let out = submit_view(
        &app,
        p,
        "mall_candidate",
        None,
        "mall".into(),
        c,
        mall::add_candidate,
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

pub async fn close_candidate(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
) -> ApiResult {
    let id = positive_id(&id, "candidate id")?;
    let out = submit_view(
        &app,
        p,
        "mall_candidate_close",
        None,
        "mall".into(),
        id,
        |tx, ctx, now, id| mall::close_candidate(tx, ctx, now, *id),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn vote(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    JsonBody(v): JsonBody<mall::Vote>,
) -> ApiResult {
    let id = positive_id(&id, "candidate id")?;
    let partition = jifen_app::commands::MemberRef::Id {
        member_id: v.member_id,
    }
    .partition();
    let out = submit_view(
        &app,
        p,
        "mall_vote",
        None,
        partition,
        (id, v),
        |tx, ctx, now, (id, v)| mall::vote(tx, ctx, now, *id, v),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

/// How members pay the cash part of orders: the merchant's payment link and the payment window.
pub async fn payment_settings_get(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| mall::payment_settings(tx, &ctx)).await?;
    Ok(Json(v).into_response())
}

/// Sets them in the key's name (audited as `mall_payment.update`).
pub async fn payment_settings_put(
    State(app): State<App>,
    p: Program,
    JsonBody(s): JsonBody<mall::PaymentSettings>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "mall_payment_settings",
        None,
        "mall".into(),
        s,
        mall::put_payment_settings,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

/// The mall's categories in the merchant's order, with their names in both languages.
pub async fn categories_get(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app.read(move |tx| mall::categories(tx, &ctx)).await?;
    Ok(Json(v).into_response())
}

/// Replaces them in the key's name (audited as `mall_categories.update`).
pub async fn categories_put(
    State(app): State<App>,
    p: Program,
    JsonBody(c): JsonBody<mall::MallCategories>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "mall_categories",
        None,
        "mall".into(),
        c,
        mall::put_categories,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn checkout_settings_get(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| {
            jifen_app::checkout::settings(tx, &ctx)?
                .map(|s| serde_json::to_value(s).expect("settings serialize"))
                .ok_or_else(|| jifen_app::AppError::NotFound {
                    what: "checkout settings",
                    id: ctx.program.code.clone(),
                })
        })
        .await?;
    Ok(Json(v).into_response())
}

pub async fn checkout_settings_put(
    State(app): State<App>,
    p: Program,
    JsonBody(s): JsonBody<jifen_app::checkout::CheckoutSettings>,
) -> ApiResult {
    let out = submit_view(
        &app,
        p,
        "checkout_settings",
        None,
        "checkout".into(),
        s,
        jifen_app::checkout::put_settings,
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn checkout_quote(
    State(app): State<App>,
    p: Program,
    JsonBody(q): JsonBody<jifen_app::checkout::Quote>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let v = app
        .read(move |tx| jifen_app::checkout::quote(tx, &ctx, now, &q))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn checkout_deduct(
    State(app): State<App>,
    p: Program,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(d): JsonBody<jifen_app::checkout::Deduction>,
) -> ApiResult {
    d.member.validate()?;
    let partition = d.member.partition();
    let out = submit_view(
        &app,
        p,
        "checkout_deduction",
        key,
        partition,
        d,
        jifen_app::checkout::deduct,
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

pub async fn checkout_post_deduction(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
) -> ApiResult {
    post_by_id(&app, p, &id, key, "deduction", |tx, ctx, now, id| {
        jifen_app::checkout::post_deduction(tx, ctx, now, *id)
    })
    .await
}

pub async fn checkout_void_deduction(
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
        "deduction",
        |tx, ctx, now, (id, r)| jifen_app::checkout::void_deduction(tx, ctx, now, *id, r.clone()),
    )
    .await
}

pub async fn checkout_refund_deduction(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(r): JsonBody<jifen_app::checkout::DeductionRefund>,
) -> ApiResult {
    let key = require_key(key)?;
    let id = reservation_id(&id)?;
    let out = submit_view(
        &app,
        p,
        "checkout_refund_deduction",
        Some(key),
        format!("r:{id}"),
        (id, r),
        |tx, ctx, now, (id, r)| jifen_app::checkout::refund_deduction(tx, ctx, now, *id, r),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn lotteries(State(app): State<App>, p: Program) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| jifen_app::lottery::list(tx, &ctx))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn create_lottery(
    State(app): State<App>,
    p: Program,
    JsonBody(d): JsonBody<jifen_domain::lottery::LotteryDef>,
) -> ApiResult {
    let out = submit_as(
        &app,
        p,
        "lottery",
        None,
        "lotteries".into(),
        d,
        jifen_app::lottery::create,
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

pub async fn lottery(State(app): State<App>, p: Program, ApiPath(code): ApiPath) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| jifen_app::lottery::get(tx, &ctx, &code))
        .await?;
    Ok(Json(v).into_response())
}

pub async fn lottery_grant(
    State(app): State<App>,
    p: Program,
    ApiPath(code): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(g): JsonBody<jifen_app::lottery::Grant>,
) -> ApiResult {
    let partition = jifen_app::commands::MemberRef::Id {
        member_id: g.member_id,
    }
    .partition();
    let out = submit_view(
        &app,
        p,
        "lottery_grant",
        key,
        partition,
        (code, g),
        |tx, ctx, now, (code, g)| jifen_app::lottery::grant(tx, ctx, now, code, g),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn lottery_draw(
    State(app): State<App>,
    p: Program,
    ApiPath(code): ApiPath,
    JsonBody(d): JsonBody<jifen_app::lottery::DrawIn>,
) -> ApiResult {
    d.member.validate()?;
    let partition = d.member.partition();
    let out = submit_view(
        &app,
        p,
        "lottery_draw",
        None,
        partition,
        (code, d),
        |tx, ctx, now, (code, d)| jifen_app::lottery::draw(tx, ctx, now, code, d),
    )
    .await?;
    Ok(respond_view(out, StatusCode::OK))
}

#[derive(Deserialize)]
pub struct DrawsQuery {
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

pub async fn lottery_draws(
    State(app): State<App>,
    p: Program,
    ApiPath(code): ApiPath,
    ApiQuery(q): ApiQuery<DrawsQuery>,
) -> ApiResult {
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| {
            jifen_app::lottery::audit(
                tx,
                &ctx,
                &code,
                q.after.unwrap_or(0),
                q.limit.unwrap_or(100),
            )
        })
        .await?;
    Ok(Json(v).into_response())
}

/// Uploads an image: the body is the image itself, its type in `Content-Type`.
pub async fn upload_image(
    State(app): State<App>,
    p: Program,
    headers: axum::http::HeaderMap,
    crate::extract::RawBody(bytes): crate::extract::RawBody,
) -> ApiResult {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let data = bytes.to_vec();
    let out = submit_view(
        &app,
        p,
        "mall_image",
        None,
        "mall".into(),
        (ct, data),
        |tx, ctx, now, (ct, data)| mall::upload_image(tx, ctx, now, ct, data),
    )
    .await?;
    Ok(respond_view(out, StatusCode::CREATED))
}

/// Serves an item image to anyone (catalog pictures are public), cached for a year: an image
/// never changes under its id. SVG is served sandboxed.
/// A picture's copy sized for the member centre (the picture itself when it is small).
pub async fn media_thumb(State(app): State<App>, ApiPath(id): ApiPath) -> ApiResult {
    let id = positive_id(&id, "image id")?;
    let thumb = app.read(move |tx| Ok(tx.image_thumb(id)?)).await?;
    serve_image(&app, thumb.unwrap_or(id)).await
}

pub async fn media(State(app): State<App>, ApiPath(id): ApiPath) -> ApiResult {
    let id = positive_id(&id, "image id")?;
    serve_image(&app, id).await
}

async fn serve_image(app: &App, id: i64) -> ApiResult {
    let found = app.read(move |tx| Ok(tx.mall_image(id)?)).await?;
    let Some((ct, data)) = found else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "image_not_found",
            format!("image {id} not found"),
        ));
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, ct),
            (
                axum::http::header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox".to_string(),
            ),
        ],
        data,
    )
        .into_response())
}

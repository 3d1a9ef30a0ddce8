//! A member's record over the API after creation (profile, identities, freeze, centre links,
//! export and erasure), each in the calling key's name; receipts, the hash chain's links and the
//! audit log.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use jifen_app::commands::MemberRef;
use jifen_app::{App, AppError, ProgramCtx, commands};
use jifen_ledger::{MemberId, Millis};
use jifen_store::{Identity, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::extract::{ApiPath, ApiQuery, IdempotencyKey, JsonBody, Program};
use crate::{ApiError, ApiResult, fingerprint, member_id, respond_view};

/// A command on the member in the path, made in the calling key's name (the audit log's actor).
type MemberFn<T, V> =
    fn(&mut Tx<'_>, &ProgramCtx, Millis, &str, MemberId, &T) -> Result<V, AppError>;

/// Submits a [`MemberFn`]; the idempotency fingerprint covers the route, the member and the
/// input, as [`crate::submit_view`]'s does.
pub async fn member_command<T, V>(
    app: &App,
    p: Program,
    id: &str,
    key: Option<String>,
    route: &str,
    input: T,
    f: MemberFn<T, V>,
) -> ApiResult
where
    T: Serialize + Send + Sync + 'static,
    V: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let m = member_id(id)?;
    let idem = key.map(|k| fingerprint(k, route, &(m.0, &input)));
    let actor = p.1.actor();
    let out = app
        .write_view(
            p.0,
            &format!("member:{}", m.0),
            idem,
            move |tx, ctx, now| f(tx, ctx, now, &actor, m, &input),
        )
        .await?;
    Ok(respond_view(out, StatusCode::OK))
}

pub async fn update_member(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(u): JsonBody<jifen_app::members::ProfileUpdate>,
) -> ApiResult {
    let f = jifen_app::members::update_profile;
    member_command(&app, p, &id, key, "update_member", u, f).await
}

pub async fn unbind_identity(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(i): JsonBody<Identity>,
) -> ApiResult {
    let f = jifen_app::members::unbind_identity;
    member_command(&app, p, &id, key, "unbind_identity", i, f).await
}

pub async fn freeze_member(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(r): JsonBody<jifen_app::members::StatusChange>,
) -> ApiResult {
    let f = jifen_app::members::freeze;
    member_command(&app, p, &id, key, "freeze_member", r, f).await
}

pub async fn unfreeze_member(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(r): JsonBody<jifen_app::members::StatusChange>,
) -> ApiResult {
    let f = jifen_app::members::unfreeze;
    member_command(&app, p, &id, key, "unfreeze_member", r, f).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// Everything held about a member (PIPL), as JSON or (`?format=csv`) CSV; audited.
pub async fn export_member(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult {
    let m = member_id(&id)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("format", "must be json or csv")),
    };
    let actor = p.1.actor();
    let out = app
        .write_view(
            p.0,
            &format!("member:{}", m.0),
            None,
            move |tx, ctx, now| jifen_app::members::export(tx, ctx, now, &actor, m),
        )
        .await?;
    if csv {
        let mut body = "\u{feff}".to_string();
        body.push_str(&jifen_app::members::export_csv(&out.view));
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!("attachment; filename=\"member-{}.csv\"", m.0))
                        .expect("a plain header value"),
                ),
            ],
            body,
        )
            .into_response());
    }
    Ok(Json(out.view).into_response())
}

pub async fn revoke_centre_links(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
) -> ApiResult {
    member_command(
        &app,
        p,
        &id,
        None,
        "revoke_centre_links",
        (),
        |tx, ctx, now, actor, m, ()| jifen_app::centre::revoke(tx, ctx, now, actor, m),
    )
    .await
}

pub async fn erase_member(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(r): JsonBody<jifen_app::members::StatusChange>,
) -> ApiResult {
    let f = jifen_app::members::erase;
    member_command(&app, p, &id, key, "erase_member", r, f).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptQuery {
    transfer_id: i64,
}

/// A receipt proving one line of a member's history is sealed in the programme's hash chain.
pub async fn receipt(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<ReceiptQuery>,
) -> ApiResult {
    let id = member_id(&id)?;
    let ctx = app.program_ctx(p.0).await?;
    let v = app
        .read(move |tx| {
            let m = commands::resolve(tx, &ctx, &MemberRef::Id { member_id: id.0 })?;
            jifen_app::chain::receipt(tx, &ctx, m.id, q.transfer_id)
        })
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinksQuery {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    limit: Option<i64>,
}

/// The chain's links after a place: enough to walk from a receipt's link to a published
/// checkpoint.
pub async fn chain_links(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<LinksQuery>,
) -> ApiResult {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let program = p.0;
    let v = app
        .read(move |tx| {
            let links = tx.chain_links(program, q.after.max(0), limit)?;
            Ok(json!({"links": links.iter().map(|l| json!({
                "seq": l.seq, "prev_hash": l.prev_hash, "root": l.root, "hash": l.hash,
                "transfer_count": l.transfer_count, "total_count": l.total_count,
                "total_amount": l.total_amount, "created_at": l.created_at})).collect::<Vec<_>>()}))
        })
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

/// The audit log, newest first: what staff, keys and members changed, through the console and
/// the API alike.
pub async fn audit_log(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult {
    let who = jifen_app::access::AuditReader::for_key(&p.1);
    let page = app
        .read(move |tx| {
            jifen_app::console::audit_page(
                tx,
                &who,
                q.actor.as_deref(),
                q.action.as_deref(),
                q.before,
                q.limit,
            )
        })
        .await?;
    Ok(Json(page).into_response())
}

/// The member list's query: a search, or filters, a sort and a page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberListParams {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    min_balance: Option<i64>,
    #[serde(default)]
    max_balance: Option<i64>,
    #[serde(default)]
    joined_from: Option<String>,
    #[serde(default)]
    joined_to: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

/// Members narrowed, sorted and paged as the console's list does it, answered as the same
/// typed page.
pub async fn list_members(
    State(app): State<App>,
    p: Program,
    ApiQuery(q): ApiQuery<MemberListParams>,
) -> ApiResult {
    let max = jifen_app::console::MEMBER_PAGE_MAX;
    let limit = q.limit.unwrap_or(50);
    if !(1..=max).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be between 1 and {max}")).into());
    }
    let page = q.page.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err(AppError::invalid("page", "must be between 1 and 1000000").into());
    }
    if !matches!(q.sort.as_deref(), None | Some("newest" | "balance")) {
        return Err(AppError::invalid("sort", "must be newest or balance").into());
    }
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > 64) {
        return Err(AppError::invalid("q", "at most 64 characters").into());
    }
    let query = jifen_app::console::MemberListQuery {
        text: text.map(str::to_string),
        tier: q.tier,
        min_balance: q.min_balance.map(|v| v.to_string()),
        max_balance: q.max_balance.map(|v| v.to_string()),
        joined_from: q.joined_from,
        joined_to: q.joined_to,
        sort: q.sort,
        page,
    };
    let who = jifen_app::access::MemberReader::for_key(&p.1);
    let ctx = app.program_ctx(p.0).await?;
    let now = app.now();
    let list = app
        .read(move |tx| jifen_app::console::member_list(tx, &ctx, &who, &query, limit, now))
        .await?;
    Ok(Json(list).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityParams {
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    point_type: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    from: Option<i64>,
    #[serde(default)]
    to: Option<i64>,
}

/// A member's history, one line per business event, with its state.
pub async fn activity(
    State(app): State<App>,
    p: Program,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<ActivityParams>,
) -> ApiResult {
    let q = jifen_app::activity::ActivityQuery {
        before: q.before,
        limit: q.limit,
        code: q.code,
        point_type: q.point_type,
        direction: q.direction,
        from: q.from,
        to: q.to,
    };
    let id = member_id(&id)?;
    let ctx = app.program_ctx(p.0).await?;
    let page = app
        .read(move |tx| {
            let m = commands::resolve(tx, &ctx, &MemberRef::Id { member_id: id.0 })?;
            jifen_app::activity::activity(tx, &ctx, m.id, &q)
        })
        .await?;
    Ok(Json(page).into_response())
}

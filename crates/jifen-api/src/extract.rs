//! Extractors that turn requests into domain input or a clear error.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use jifen_app::App;
use jifen_ledger::ProgramId;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest request body: far above any real command (a purchase with 500 lines is ~60 KiB).
pub const BODY_BYTES_MAX: usize = 256 * 1024;
/// How long a request body may take to arrive.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// Longest Idempotency-Key.
pub const IDEMPOTENCY_KEY_LEN_MAX: usize = 128;

/// A JSON body: `application/json` required, syntax errors are 400, shape errors 422.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON body: a body that is not JSON at all is a 400 `malformed_json` (checked first,
/// so a truncated body is never reported as a shape error); JSON of the wrong shape is a 422.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body is an object: `[]` where an object is required must not read as one with
    // every field left out (and so, say, wipe settings).
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "the body must be a JSON object",
        )
        .with_details(serde_json::json!({"field": "body"})));
    }
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) => Ok(v),
        Err(e) => match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Err(syntax) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {syntax}"),
            )),
            Ok(_) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                e.to_string(),
            )),
        },
    }
}

/// The programme an API key belongs to. Keys come as `Authorization: Bearer <key>` (the scheme
/// in any case, RFC 9110) or in the `X-Api-Key` header; both are in the OpenAPI document.
pub struct Program(pub ProgramId, pub jifen_store::KeyCaller);

/// The token of `Authorization: Bearer <token>`, the scheme matched without regard to case.
fn bearer(v: &str) -> Option<&str> {
    let (scheme, token) = v.trim_start().split_once([' ', '\t'])?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

impl FromRequestParts<App> for Program {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let key = h
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .or_else(|| h.get("x-api-key").and_then(|v| v.to_str().ok()))
            .map(str::trim);
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API key is required (Authorization: Bearer <key>)",
            )
        };
        let key = key
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or_else(unauthorized)?;
        match app.authenticate_caller(key).await.map_err(ApiError::from)? {
            Some(c) => Ok(Program(c.program, c)),
            None => Err(unauthorized()),
        }
    }
}

/// The `Idempotency-Key` header, if sent.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let v = v
            .to_str()
            .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?
            .trim();
        if v.is_empty() || v.len() > IDEMPOTENCY_KEY_LEN_MAX {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                format!("must be 1 to {IDEMPOTENCY_KEY_LEN_MAX} characters"),
            ));
        }
        Ok(IdempotencyKey(Some(v.to_string())))
    }
}

/// Query parameters; a bad query string is a 422 in the error shape.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    format!("query string: {}", e.body_text()),
                )
            })
    }
}

/// One path parameter as text; a path that is not valid UTF-8 is a 422 in the error shape.
pub struct ApiPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    format!("path: {}", e.body_text()),
                )
            })
    }
}

/// A raw body that may be empty; an oversized one is a 413 in the error shape.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body must be at most {BODY_BYTES_MAX} bytes"),
            )
        };
        // A body over the limit is refused once the limit is passed: at most the limit is
        // read. (Answering before reading at all, on the declared length alone, would reset
        // the connection under a client still sending, which then never sees the answer.)
        // A body that trickles in (or never comes) is given up on, not waited for.
        tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(req, state))
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!(
                        "the body did not arrive within {} seconds",
                        BODY_TIMEOUT.as_secs()
                    ),
                )
            })?
            .map(RawBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, "bad_body", e.body_text())
                }
            })
    }
}

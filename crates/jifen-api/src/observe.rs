//! What an operator sees of the HTTP surface: a request id per request (taken from
//! `X-Request-Id` when the caller sends a sane one, made up otherwise, and returned in the
//! answer), a `tracing` span carrying it around everything the request logs, every 5xx and
//! every panic in a handler logged with its cause, and Prometheus metrics served at
//! `/metrics`: requests by route and status, latency histograms, and what the writers, jobs
//! and webhooks record through the `metrics` facade.

use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::FutureExt;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

use crate::ApiError;

/// The header a request id travels in, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Latency buckets, in seconds, for every `*_seconds` histogram.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets for the writers' batch sizes (commands per transaction).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The process's Prometheus recorder, installed the first time anything asks for it. Metrics
/// recorded before that (or in a process that serves no HTTP) go nowhere.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("jifen_writer_batch_size".into()),
                    BATCH_BUCKETS,
                )
            })
            .expect("the buckets are not empty");
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (an embedding program's): keep serving, with a
            // recorder of our own that nothing records into.
            Err(e) => {
                tracing::warn!(error = %e, "a metrics recorder was already installed; /metrics shows only its own");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// Wraps a router with request ids, spans, panic capture, access metrics and `/metrics`
/// (guarded by `JIFEN_METRICS_TOKEN` when it is set).
pub fn observed(router: Router) -> Router {
    let token = std::env::var("JIFEN_METRICS_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    observed_with(router, token)
}

/// [`observed`] with the metrics token given rather than read from the environment.
pub fn observed_with(router: Router, metrics_token: Option<String>) -> Router {
    metrics_handle();
    router
        .route(
            "/metrics",
            get(move |req: Request| metrics(req, metrics_token.clone())),
        )
        .layer(axum::middleware::from_fn(track))
}

/// `GET /metrics`: the Prometheus text format. Open to this machine and private networks;
/// when a token is set, to whoever sends it as a bearer token, and only them.
async fn metrics(req: Request, token: Option<String>) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let allowed = match token {
        Some(token) => req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(scheme, t)| {
                scheme.eq_ignore_ascii_case("bearer") && t.trim() == token.as_str()
            }),
        None => peer.is_none_or(is_local),
    };
    if !allowed {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "metrics_forbidden",
            "the metrics are served to this machine and private networks, or to the holder of JIFEN_METRICS_TOKEN",
        )
        .into_response();
    }
    let handle = metrics_handle();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_local(IpAddr::V4(v4));
            }
            v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00
        }
    }
}

/// A request id the caller sent, if it is short and plain enough to log as it is.
fn caller_request_id(req: &Request) -> Option<String> {
    let v = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| v.to_string())
}

fn new_request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

async fn track(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let rid = caller_request_id(&req).unwrap_or_else(new_request_id);
    let method = req.method().clone();
    // The route template, not the path: ids in paths would make a series per member.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    if let Ok(v) = HeaderValue::from_str(&rid) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let span = tracing::info_span!("http", rid = %rid, method = %method, route = %route);
    let mut response = AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .instrument(span.clone())
        .await
        .unwrap_or_else(|panic| {
            let message = panic_message(panic.as_ref());
            span.in_scope(|| tracing::error!(panic = %message, "a request handler panicked"));
            metrics::counter!("jifen_panics_total", "where" => "http").increment(1);
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; nothing was written",
            )
            .into_response()
        });
    let status = response.status();
    let elapsed = started.elapsed();
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                ms = elapsed.as_secs_f64() * 1e3,
                "answered with a server error"
            );
        } else {
            tracing::debug!(
                status = status.as_u16(),
                ms = elapsed.as_secs_f64() * 1e3,
                "answered"
            );
        }
    });
    if route != "/metrics" {
        let method = method.as_str().to_string();
        metrics::counter!("jifen_http_requests_total",
            "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string())
        .increment(1);
        metrics::histogram!("jifen_http_request_duration_seconds",
            "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    }
    if let Ok(v) = HeaderValue::from_str(&rid) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// The text of a panic's payload, whatever it was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    jifen_app::panic_message(payload)
}

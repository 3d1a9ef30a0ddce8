//! A real Jifen API server on a loopback port over a fresh SQLite file, with a manual clock, and
//! a small HTTP client around it.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jifen_app::{App, ManualClock};
use jifen_ledger::ProgramId;
use jifen_ledger::policy::LedgerPolicy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const DAY: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z
pub const START: i64 = 1_767_225_600_000;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_db_path() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "jifen-api-test-{}-{}-{nanos}.db",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ))
}

pub struct Server {
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
    pub app: App,
    pub pid: ProgramId,
    pub clock: Arc<ManualClock>,
}

/// One answer: status, headers, raw text and the body parsed as JSON (`Null` if it is not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn replayed(&self) -> bool {
        self.headers
            .get("idempotent-replayed")
            .is_some_and(|v| v == "true")
    }

    /// Asserts a success status and returns the body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {} with body {}",
            self.status,
            self.text
        );
        &self.json
    }

    /// Asserts the one error shape, `{"error": {"code", "message", "details"}}`, with the given
    /// status and code, and returns `details`.
    #[track_caller]
    pub fn err(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {code}, got {} with body {}",
            self.status,
            self.text
        );
        assert_error_shape(self);
        assert_eq!(self.json["error"]["code"], code, "body: {}", self.text);
        &self.json["error"]["details"]
    }
}

/// Every error body is JSON of exactly `{"error": {"code": str, "message": non-empty str,
/// "details": object}}`.
#[track_caller]
pub fn assert_error_shape(r: &Resp) {
    let ct = r
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        ct.starts_with("application/json"),
        "error body must be application/json, got content-type {ct:?} and body {:?} (status {})",
        r.text,
        r.status
    );
    let top = r
        .json
        .as_object()
        .unwrap_or_else(|| panic!("error body is not a JSON object: {:?}", r.text));
    assert_eq!(top.len(), 1, "only `error` at the top: {}", r.text);
    let e = r.json["error"]
        .as_object()
        .unwrap_or_else(|| panic!("`error` is not an object: {}", r.text));
    assert_eq!(e.len(), 3, "error has code, message, details: {}", r.text);
    assert!(
        e.get("code")
            .and_then(Value::as_str)
            .is_some_and(|c| !c.is_empty()),
        "{}",
        r.text
    );
    assert!(
        e.get("message")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.is_empty()),
        "{}",
        r.text
    );
    assert!(e.get("details").is_some_and(Value::is_object), "{}", r.text);
}

pub fn policy(pending_days: u32) -> LedgerPolicy {
    LedgerPolicy {
        pending_days,
        ..LedgerPolicy::default()
    }
}

/// Starts a server on 127.0.0.1:0 with a programme of the given policy. The clock stands at
/// [`START`].
pub async fn start(policy: LedgerPolicy) -> Server {
    let clock = Arc::new(ManualClock::new(START));
    let c = clock.clone();
    let (app, created) = tokio::task::spawn_blocking(move || {
        let backend = Arc::new(jifen_store_sqlite::SqliteBackend::new(unique_db_path()).unwrap());
        let app = App::start(backend, Arc::new(c)).unwrap();
        let created = app
            .create_program("t", "Test", "CNY", "Asia/Shanghai", policy)
            .unwrap();
        (app, created)
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = jifen_api::router(app.clone());
    // Through the server the binary runs: request ids, logs, metrics.
    tokio::spawn(jifen_api::serve(listener, router, std::future::pending()));
    Server {
        base,
        key: created.api_key,
        client: reqwest::Client::new(),
        app,
        pid: created.id,
        clock,
    }
}

pub async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the programme's API key.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.key)
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        read(rb.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(Method::GET, path)).await
    }

    /// POST a JSON body, with an Idempotency-Key when given.
    pub async fn post(&self, path: &str, idem: Option<&str>, body: Value) -> Resp {
        let mut rb = self.request(Method::POST, path).json(&body);
        if let Some(k) = idem {
            rb = rb.header("Idempotency-Key", k);
        }
        self.send(rb).await
    }

    pub async fn create_member(&self, ext: &str) -> i64 {
        let r = self
            .post(
                "/api/v1/members",
                None,
                json!({"name": ext, "identities": [{"channel": "app", "external_id": ext}]}),
            )
            .await;
        r.ok(201)["member_id"].as_i64().unwrap()
    }

    /// The member's points balance (`available`, `pending`, `reserved`, `debt`, ...).
    pub async fn points(&self, member: i64) -> Value {
        let r = self.get(&format!("/api/v1/members/{member}/balance")).await;
        r.ok(200)["points"].clone()
    }

    pub async fn available(&self, member: i64) -> i64 {
        self.points(member).await["available"].as_i64().unwrap()
    }

    /// Credits points by a staff adjustment.
    pub async fn credit(&self, member: i64, points: i64) {
        let key = format!("credit-{member}-{}", COUNTER.fetch_add(1, Ordering::SeqCst));
        self.post(
            "/api/v1/adjustments",
            Some(&key),
            json!({"member": {"member_id": member}, "delta": points, "reason": "test credit", "actor": "tests"}),
        )
        .await
        .ok(200);
    }

    pub async fn purchase(&self, member: i64, order_id: &str, amount_minor: i64) -> Resp {
        self.post(
            "/api/v1/purchases",
            None,
            json!({"order_id": order_id, "member": {"member_id": member}, "amount_minor": amount_minor, "currency": "CNY"}),
        )
        .await
    }

    pub async fn run_jobs(&self) -> jifen_app::JobReport {
        let app = self.app.clone();
        let pid = self.pid;
        tokio::task::spawn_blocking(move || app.run_jobs(pid))
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn verify_clean(&self) {
        let app = self.app.clone();
        let pid = self.pid;
        let drift = tokio::task::spawn_blocking(move || app.verify(pid))
            .await
            .unwrap()
            .unwrap();
        assert!(drift.is_empty(), "ledger drift: {drift:?}");
    }
}

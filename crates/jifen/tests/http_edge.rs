//! The HTTP edge: every endpoint validates, answers in one error shape, and a refused or
//! repeated request changes nothing. The real router runs on a loopback port over SQLite.

use std::sync::Arc;

use jifen_app::{App, ManualClock};
use jifen_ledger::policy::LedgerPolicy;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Server {
    base: String,
    key: String,
    client: reqwest::Client,
    app: App,
    pid: jifen_ledger::ProgramId,
}

async fn start() -> Server {
    let path = std::env::temp_dir().join(format!(
        "jifen-http-{}-{}.db",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    let (app, created) = tokio::task::spawn_blocking(move || {
        let backend = Arc::new(jifen_store_sqlite::SqliteBackend::new(path).unwrap());
        let app = App::start(
            backend,
            Arc::new(Arc::new(ManualClock::new(1_767_225_600_000))),
        )
        .unwrap();
        let created = app
            .create_program(
                "t",
                "Test",
                "CNY",
                "Asia/Shanghai",
                LedgerPolicy {
                    pending_days: 0,
                    ..LedgerPolicy::default()
                },
            )
            .unwrap();
        (app, created)
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = jifen_api::router(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Server {
        base,
        key: created.api_key,
        client: reqwest::Client::new(),
        app,
        pid: created.id,
    }
}

impl Server {
    async fn post(&self, path: &str, key: Option<&str>, body: Value) -> (StatusCode, Value, bool) {
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        let resp = r.send().await.unwrap();
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        (
            resp.status(),
            resp.json().await.unwrap_or(Value::Null),
            replayed,
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }

    async fn member(&self, ext: &str) -> i64 {
        let (s, v, _) = self
            .post(
                "/api/v1/members",
                None,
                json!({"name": ext, "identities": [{"channel": "app", "external_id": ext}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["member_id"].as_i64().unwrap()
    }

    async fn available(&self, member: i64) -> i64 {
        self.get(&format!("/api/v1/members/{member}/balance"))
            .await
            .1["points"]["available"]
            .as_i64()
            .unwrap()
    }
}

/// Every error has `{"error": {"code", "message", "details"}}` and the expected code.
fn assert_error(status: StatusCode, body: &Value, expected_status: StatusCode, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["details"].is_object(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchases_replay_and_refuse_a_reused_key() {
    let s = start().await;
    let m = s.member("u1").await;
    let body = json!({"order_id": "SO-1", "member": {"channel": "app", "external_id": "u1"}, "amount_minor": 12_800, "currency": "CNY"});
    let (st, first, replayed) = s.post("/api/v1/purchases", None, body.clone()).await;
    assert_eq!((st, replayed), (StatusCode::OK, false), "{first}");
    assert_eq!(first["earned"]["points"]["amount"], 128);
    let (st, again, replayed) = s.post("/api/v1/purchases", None, body).await;
    assert_eq!((st, replayed), (StatusCode::OK, true));
    assert_eq!(again, first);
    let (st, err, _) = s.post("/api/v1/purchases", None, json!({"order_id": "SO-1", "member": {"member_id": m}, "amount_minor": 99, "currency": "CNY"})).await;
    assert_error(
        st,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );
    assert_eq!(s.available(m).await, 128);
    let (st, err, _) = s.post("/api/v1/purchases", None, json!({"order_id": "SO-2", "member": {"member_id": m}, "amount_minor": 100, "currency": "USD"})).await;
    assert_error(
        st,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let s = start().await;
    let m = s.member("u1").await;
    s.post("/api/v1/purchases", None, json!({"order_id": "o", "member": {"member_id": m}, "amount_minor": 10_000, "currency": "CNY"})).await;
    let spend = |amount: Value| json!({"member": {"member_id": m}, "amount": amount});

    let (st, e, _) = s.post("/api/v1/spends", None, spend(json!(10))).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "idempotency_key_required");
    let (st, e, _) = s
        .post("/api/v1/spends", Some("k1"), spend(json!(101)))
        .await;
    assert_error(
        st,
        &e,
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_points",
    );
    assert_eq!(
        (
            e["error"]["details"]["available"].as_i64(),
            e["error"]["details"]["requested"].as_i64()
        ),
        (Some(100), Some(101))
    );
    for bad in [
        json!(0),
        json!(-5),
        json!(i64::MAX),
        json!("10"),
        json!(1.5),
    ] {
        let (st, e, _) = s
            .post("/api/v1/spends", Some("k2"), spend(bad.clone()))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "amount {bad}: {e}");
        assert!(
            e["error"]["code"] == "invalid_request" || e["error"]["code"] == "invalid_amount",
            "{e}"
        );
    }
    let (st, e, _) = s
        .post(
            "/api/v1/spends",
            Some("k3"),
            json!({"member": {"member_id": m}}),
        )
        .await;
    assert_error(st, &e, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let (st, e, _) = s
        .post(
            "/api/v1/spends",
            Some("k4"),
            json!({"member": {"member_id": 424242}, "amount": 1}),
        )
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "member_not_found");
    let (st, e, _) = s
        .post(
            "/api/v1/refunds",
            Some("k5"),
            json!({"order_id": "o", "amount_minor": 10_001}),
        )
        .await;
    assert_error(st, &e, StatusCode::CONFLICT, "refund_exceeds_order");
    let (st, e, _) = s
        .post("/api/v1/reservations/999/post", None, json!({}))
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "reservation_not_found");

    let raw = |body: &'static str, ctype: &'static str| {
        s.client
            .post(format!("{}/api/v1/spends", s.base))
            .bearer_auth(&s.key)
            .header("Idempotency-Key", "raw")
            .header("Content-Type", ctype)
            .body(body)
    };
    let r = raw("{\"member\":", "application/json")
        .send()
        .await
        .unwrap();
    let (st, e) = (r.status(), r.json::<Value>().await.unwrap());
    assert_error(st, &e, StatusCode::BAD_REQUEST, "malformed_json");
    let r = raw("member=1", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let (st, e) = (r.status(), r.json::<Value>().await.unwrap());
    assert_error(
        st,
        &e,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    let r = s
        .client
        .post(format!("{}/api/v1/spends", s.base))
        .bearer_auth(&s.key)
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let (st, e) = (r.status(), r.json::<Value>().await.unwrap());
    assert_error(st, &e, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let r = s
        .client
        .get(format!("{}/api/v1/members/{m}", s.base))
        .bearer_auth("jf_wrong")
        .send()
        .await
        .unwrap();
    let (st, e) = (r.status(), r.json::<Value>().await.unwrap());
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "unauthorized");
    let r = s
        .client
        .get(format!("{}/api/v1/members/{m}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (st, e) = s.get("/api/v1/nothing-here").await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "route_not_found");

    assert_eq!(
        s.available(m).await,
        100,
        "no refused request changed the balance"
    );
    let app = s.app.clone();
    let pid = s.pid;
    assert!(
        tokio::task::spawn_blocking(move || app.verify(pid))
            .await
            .unwrap()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_refunds_and_history_over_http() {
    let s = start().await;
    let m = s.member("u1").await;
    s.member("u2").await;
    s.post("/api/v1/purchases", None, json!({"order_id": "o", "member": {"member_id": m}, "amount_minor": 100_000, "currency": "CNY"})).await;
    let (st, r, _) = s
        .post(
            "/api/v1/reservations",
            Some("r1"),
            json!({"member": {"member_id": m}, "amount": 300}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id = r["reservation_id"].as_i64().unwrap();
    let (st, posted, _) = s
        .post(&format!("/api/v1/reservations/{id}/post"), None, json!({}))
        .await;
    assert_eq!(
        (st, posted["state"].as_str()),
        (StatusCode::OK, Some("posted"))
    );
    let (st, again, replayed) = s
        .post(&format!("/api/v1/reservations/{id}/post"), None, json!({}))
        .await;
    assert_eq!((st, replayed), (StatusCode::OK, true));
    assert_eq!(again, posted);
    let (st, e, _) = s
        .post(&format!("/api/v1/reservations/{id}/void"), None, json!({}))
        .await;
    assert_error(st, &e, StatusCode::CONFLICT, "reservation_not_open");
    let (st, back, _) = s
        .post(
            &format!("/api/v1/spends/{id}/refunds"),
            Some("rr1"),
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(
        (st, back["restored"].as_i64()),
        (StatusCode::OK, Some(100)),
        "{back}"
    );
    let (st, t, _) = s.post("/api/v1/transfers", Some("t1"), json!({"from": {"member_id": m}, "to": {"channel": "app", "external_id": "u2"}, "amount": 50})).await;
    assert_eq!(st, StatusCode::OK, "{t}");
    let (st, a, _) = s.post("/api/v1/adjustments", Some("a1"), json!({"member": {"member_id": m}, "delta": 7, "reason": "goodwill", "actor": "staff:1"})).await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(s.available(m).await, 1000 - 300 + 100 - 50 + 7);

    // Pages of two lines each cover every line exactly once, newest first.
    let (_, all) = s
        .get(&format!("/api/v1/members/{m}/history?limit=200"))
        .await;
    let all: Vec<i64> = all["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["transfer_id"].as_i64().unwrap())
        .collect();
    let mut paged = Vec::new();
    let mut before = String::new();
    loop {
        let (_, page) = s
            .get(&format!("/api/v1/members/{m}/history?limit=2{before}"))
            .await;
        paged.extend(
            page["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["transfer_id"].as_i64().unwrap()),
        );
        match page["next_before"].as_i64() {
            Some(n) => before = format!("&before={n}"),
            None => break,
        }
    }
    assert_eq!(paged, all);
    assert!(all.windows(2).all(|w| w[0] > w[1]));
    let (st, e) = s.get(&format!("/api/v1/members/{m}/history?limit=0")).await;
    assert_error(st, &e, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_spends_over_http_never_overspend() {
    let s = Arc::new(start().await);
    let m = s.member("hot").await;
    s.post("/api/v1/purchases", None, json!({"order_id": "o", "member": {"member_id": m}, "amount_minor": 20_000, "currency": "CNY"})).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.post(
                    "/api/v1/spends",
                    Some(&format!("c{i}")),
                    json!({"member": {"member_id": m}, "amount": 10}),
                )
                .await
                .0
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 20);
    assert_eq!(s.available(m).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route() {
    let s = start().await;
    let (st, doc) = s.get("/api/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    let source = include_str!("../../jifen-api/src/lib.rs");
    // The routes of the /api/v1 router: between the markers around them in lib.rs.
    let v1 = source
        .split("// ---- the /api/v1 routes")
        .nth(1)
        .unwrap()
        .split("// ---- end of the /api/v1 routes")
        .next()
        .unwrap();
    let mut routes = 0;
    for part in v1.split(".route(\"").skip(1) {
        let path = part.split('"').next().unwrap();
        let full = format!("/api/v1{path}");
        assert!(
            doc["paths"].get(&full).is_some(),
            "{full} is served but missing from the OpenAPI document"
        );
        routes += 1;
    }
    assert!(
        routes >= 15,
        "found only {routes} routes in the router source"
    );
}

//! Operating the server: request ids, logs of server errors and panics with their cause, and
//! the Prometheus metrics at `/metrics`.

mod common;

use axum::Router;
use axum::routing::get;
use common::*;
use serde_json::json;

/// The value of the first sample of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|lab| l.contains(lab)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(s: &Server) -> String {
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
    );
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_shows_in_the_metrics() {
    let s = start(policy(0)).await;
    let m = s
        .post(
            "/api/v1/members",
            None,
            json!({"identities": [{"channel": "app", "external_id": "M1"}]}),
        )
        .await;
    let member = m.ok(201)["member_id"].as_i64().unwrap();
    let labels = [
        "method=\"POST\"",
        "route=\"/api/v1/purchases\"",
        "status=\"200\"",
    ];
    let before = sample(&scrape(&s).await, "jifen_http_requests_total", &labels).unwrap_or(0.0);
    let batches_before =
        sample(&scrape(&s).await, "jifen_writer_commands_total", &[]).unwrap_or(0.0);
    s.post(
        "/api/v1/purchases",
        None,
        json!({"order_id": "MET-1", "member": {"member_id": member},
               "amount_minor": 12800, "currency": "CNY"}),
    )
    .await
    .ok(200);
    let text = scrape(&s).await;
    let after = sample(&text, "jifen_http_requests_total", &labels)
        .unwrap_or_else(|| panic!("no purchase requests in\n{text}"));
    assert!(after >= before + 1.0, "{before} → {after}");
    // The latency histogram, by route template (never by member id).
    assert!(
        sample(
            &text,
            "jifen_http_request_duration_seconds_bucket",
            &["route=\"/api/v1/purchases\"", "le=\"+Inf\""]
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "jifen_http_requests_total",
            &["route=\"/api/v1/members\"", "status=\"201\""]
        )
        .is_some()
    );
    assert!(!text.contains(&format!("/api/v1/members/{member}")));
    // The writers' side: commands, batch sizes, commit time.
    let commands = sample(&text, "jifen_writer_commands_total", &[]).unwrap();
    assert!(commands >= batches_before + 1.0, "{text}");
    for name in [
        "jifen_writer_batch_size_bucket",
        "jifen_writer_commit_seconds_bucket",
        "jifen_writer_queue_depth",
    ] {
        assert!(
            sample(&text, name, &[]).is_some(),
            "{name} missing in\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id_and_a_sane_one_sent_is_kept() {
    let s = start(policy(0)).await;
    let r = s.get("/api/v1/program").await;
    let made = r.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(made.len(), 16, "{made}");
    let r2 = s.get("/api/v1/program").await;
    assert_ne!(
        r2.headers["x-request-id"],
        made.as_str(),
        "one id per request"
    );
    let kept = s
        .send(
            s.request(reqwest::Method::GET, "/api/v1/program")
                .header("X-Request-Id", "shop-7f3a.42"),
        )
        .await;
    assert_eq!(kept.headers["x-request-id"], "shop-7f3a.42");
    let odd = "a".repeat(65);
    let replaced = s
        .send(
            s.request(reqwest::Method::GET, "/api/v1/program")
                .header("X-Request-Id", odd.as_str()),
        )
        .await;
    assert_ne!(replaced.headers["x-request-id"], odd.as_str());
    // Refusals and unknown routes carry one too.
    let missing = s.get("/api/v1/no-such-thing").await;
    assert_eq!(missing.status, 404);
    assert!(missing.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn the_metrics_token_guards_the_metrics() {
    let router = jifen_api::observed_with(Router::new(), Some("s3cret".into()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = reqwest::Client::new();
    let none = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(none.status(), 403);
    let wrong = client
        .get(format!("{base}/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let right = client
        .get(format!("{base}/metrics"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

/// A handler that panics answers 500 in the API's error shape, and the panic is logged with
/// its message and the request's id; the server goes on serving.
#[tokio::test]
async fn a_panicking_handler_is_logged_with_its_request_id_and_the_server_goes_on() {
    // A current-thread runtime: the server's tasks run on this thread, under this subscriber.
    let (logs, _guard) = jifen_testkit::LogBuffer::capture();
    let router = jifen_api::observed_with(
        Router::new()
            .route(
                "/boom",
                get(|| async {
                    if true {
                        panic!("the tier table has no row for level 9");
                    }
                    "unreachable"
                }),
            )
            .route("/fine", get(|| async { "fine" })),
        None,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{base}/boom"))
        .header("X-Request-Id", "req-boom-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal");
    assert!(
        !body.to_string().contains("level 9"),
        "the panic's text stays in the logs"
    );
    let fine = client.get(format!("{base}/fine")).send().await.unwrap();
    assert_eq!(fine.status(), 200);
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("a request handler panicked"))
        .unwrap_or_else(|| panic!("no log of the panic in:\n{text}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("req-boom-1"), "{line}");
    assert!(
        line.contains("the tier table has no row for level 9"),
        "{line}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("answered with a server error") && l.contains("req-boom-1")),
        "{text}"
    );
}

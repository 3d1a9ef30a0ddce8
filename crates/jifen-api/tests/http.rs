//! The JSON API over real HTTP: a server on a loopback port over a fresh SQLite file per test,
//! talked to with reqwest. Every assertion is on exact status codes, error codes and numbers;
//! every error body is checked for the one error shape.

mod common;

use common::{DAY, START, Server, policy, start};
use reqwest::Method;
use serde_json::{Value, json};

/// The last millisecond of 2027 in Asia/Shanghai (2027-12-31T15:59:59.999Z): when points earned
/// in 2026 expire under the default "end of the following year" validity.
const END_OF_2027_SHANGHAI: i64 = START + 729 * DAY + 16 * 3_600_000 - 1;

fn sum_draws(v: &Value) -> i64 {
    v["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["amount"].as_i64().unwrap())
        .sum()
}

// ---- members -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_created_looked_up_and_identities_are_unique() {
    let s = start(policy(7)).await;

    let r = s
        .post(
            "/api/v1/members",
            None,
            json!({"name": "Alice", "phone": "13800000000", "email": "a@example.com", "birthday": "1990-05-17",
                   "identities": [{"channel": "app", "external_id": "alice"}, {"channel": "wechat", "external_id": "oA1"}]}),
        )
        .await;
    let m = r.ok(201).clone();
    assert!(!r.replayed());
    let id = m["member_id"].as_i64().unwrap();
    assert!(id > 0);
    assert_eq!(m["name"], "Alice");
    assert_eq!(m["phone"], "13800000000");
    assert_eq!(m["email"], "a@example.com");
    assert_eq!(m["birthday"], "1990-05-17");
    assert_eq!(m["status"], "active");
    assert_eq!(m["merged_into"], Value::Null);
    assert_eq!(m["created_at"], START);
    let mut ids: Vec<(String, String)> = m["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["channel"].as_str().unwrap().to_string(),
                i["external_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            ("app".to_string(), "alice".to_string()),
            ("wechat".to_string(), "oA1".to_string())
        ]
    );
    assert_eq!(m["points"]["available"], 0);
    assert_eq!(m["points"]["pending"], 0);
    assert_eq!(m["growth"]["available"], 0);

    // Read back by id and by each identity: the same member view.
    let by_id = s.get(&format!("/api/v1/members/{id}")).await;
    assert_eq!(by_id.ok(200), &m);
    let by_app = s
        .get("/api/v1/members/lookup?channel=app&external_id=alice")
        .await;
    assert_eq!(by_app.ok(200), &m);
    let by_wechat = s
        .get("/api/v1/members/lookup?channel=wechat&external_id=oA1")
        .await;
    assert_eq!(by_wechat.ok(200)["member_id"], id);

    // Unknown identity, invalid channel.
    let d = s
        .get("/api/v1/members/lookup?channel=app&external_id=nobody")
        .await;
    assert_eq!(d.err(404, "member_not_found")["id"], "app:nobody");
    s.get("/api/v1/members/lookup?channel=APP&external_id=alice")
        .await
        .err(422, "invalid_request");

    // An identity belongs to one member: creating another member with it is refused, and
    // nothing of that member is created.
    let dup = s
        .post(
            "/api/v1/members",
            None,
            json!({"name": "Mallory", "identities": [{"channel": "web", "external_id": "m"}, {"channel": "app", "external_id": "alice"}]}),
        )
        .await;
    assert_eq!(dup.err(409, "identity_taken")["member_id"], id);
    s.get("/api/v1/members/lookup?channel=web&external_id=m")
        .await
        .err(404, "member_not_found");

    // Adding an identity: a taken one is refused, a new one is added.
    let bob = s.create_member("bob").await;
    let taken = s
        .post(
            &format!("/api/v1/members/{bob}/identities"),
            None,
            json!({"channel": "wechat", "external_id": "oA1"}),
        )
        .await;
    assert_eq!(taken.err(409, "identity_taken")["member_id"], id);
    let added = s
        .post(
            &format!("/api/v1/members/{bob}/identities"),
            Some("add-pos-bob"),
            json!({"channel": "pos", "external_id": "card-77"}),
        )
        .await;
    assert_eq!(added.ok(200)["member_id"], bob);
    assert_eq!(added.json["identities"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.get("/api/v1/members/lookup?channel=pos&external_id=card-77")
            .await
            .ok(200)["member_id"],
        bob
    );
    s.post(
        "/api/v1/members/999999/identities",
        None,
        json!({"channel": "pos", "external_id": "x"}),
    )
    .await
    .err(404, "member_not_found");

    // Validation of the new member.
    let twice = s
        .post(
            "/api/v1/members",
            None,
            json!({"identities": [{"channel": "app", "external_id": "z"}, {"channel": "app", "external_id": "z"}]}),
        )
        .await;
    assert_eq!(twice.err(422, "invalid_request")["field"], "identities");
    let bad_channel = s
        .post(
            "/api/v1/members",
            None,
            json!({"identities": [{"channel": "App!", "external_id": "z"}]}),
        )
        .await;
    assert_eq!(bad_channel.err(422, "invalid_request")["field"], "channel");
    let bad_email = s
        .post("/api/v1/members", None, json!({"email": "nope"}))
        .await;
    assert_eq!(bad_email.err(422, "invalid_request")["field"], "email");
    let bad_birthday = s
        .post("/api/v1/members", None, json!({"birthday": "1990-13-40"}))
        .await;
    assert_eq!(
        bad_birthday.err(422, "invalid_request")["field"],
        "birthday"
    );

    // An Idempotency-Key makes member creation safe to retry: the same answer, one member.
    let body = json!({"name": "Carol", "identities": [{"channel": "app", "external_id": "carol"}]});
    let first = s
        .post("/api/v1/members", Some("mk-carol"), body.clone())
        .await;
    first.ok(201);
    let again = s.post("/api/v1/members", Some("mk-carol"), body).await;
    again.ok(201);
    assert!(again.replayed());
    assert_eq!(again.text, first.text);
    let other = s
        .post(
            "/api/v1/members",
            Some("mk-carol"),
            json!({"name": "Carol2", "identities": []}),
        )
        .await;
    other.err(422, "idempotency_key_reused");

    // Unknown and malformed member ids.
    assert_eq!(
        s.get("/api/v1/members/999999")
            .await
            .err(404, "member_not_found")["id"],
        "999999"
    );
    for bad in ["abc", "0", "-3", "99999999999999999999"] {
        let r = s.get(&format!("/api/v1/members/{bad}")).await;
        assert_eq!(r.err(422, "invalid_request")["field"], "member id");
    }
    for sub in ["balance", "lots", "history"] {
        s.get(&format!("/api/v1/members/999999/{sub}"))
            .await
            .err(404, "member_not_found");
    }
    s.verify_clean().await;
}

// ---- purchases -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_points_are_pending_through_the_return_window_then_vest() {
    let s = start(policy(7)).await;
    let m = s.create_member("p7").await;

    let r = s.purchase(m, "ord-7", 12_345).await;
    let v = r.ok(200);
    assert_eq!(v["order_id"], "ord-7");
    assert_eq!(v["member_id"], m);
    assert_eq!(v["amount_minor"], 12_345);
    assert_eq!(v["currency"], "CNY");
    let p = &v["earned"]["points"];
    assert_eq!(p["amount"], 123);
    assert_eq!(p["status"], "pending");
    assert_eq!(p["available_at"], START + 7 * DAY);
    assert_eq!(p["expires_at"], END_OF_2027_SHANGHAI);
    assert!(p["transfer_id"].as_i64().unwrap() > 0);
    let g = &v["earned"]["growth"];
    assert_eq!(g["amount"], 123);
    assert_eq!(g["status"], "available");
    assert_eq!(g["available_at"], START);
    assert_eq!(g["expires_at"], Value::Null);

    let b = s.points(m).await;
    assert_eq!(b["available"], 0);
    assert_eq!(b["pending"], 123);
    assert_eq!(b["reserved"], 0);
    assert_eq!(b["debt"], 0);

    // Pending points cannot be spent.
    let d = s
        .post(
            "/api/v1/spends",
            Some("sp-pending"),
            json!({"member": {"member_id": m}, "amount": 1}),
        )
        .await;
    let d = d.err(422, "insufficient_points");
    assert_eq!(d["available"], 0);
    assert_eq!(d["requested"], 1);

    // One day short of the window: nothing vests.
    s.clock.advance_days(6);
    assert_eq!(s.run_jobs().await.vested_points, 0);
    assert_eq!(s.points(m).await["pending"], 123);

    s.clock.advance_days(1);
    let report = s.run_jobs().await;
    assert_eq!(report.vested_points, 123);
    assert_eq!(report.expired_points, 0);
    let b = s.points(m).await;
    assert_eq!(b["available"], 123);
    assert_eq!(b["pending"], 0);
    // Running again finds nothing to do.
    assert_eq!(s.run_jobs().await.vested_points, 0);

    let lots = s.get(&format!("/api/v1/members/{m}/lots")).await;
    let lots = lots.ok(200)["lots"].as_array().unwrap().clone();
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0]["status"], "available");
    assert_eq!(lots[0]["amount"], 123);
    assert_eq!(lots[0]["remaining"], 123);
    assert_eq!(lots[0]["order_ref"], "ord-7");
    s.verify_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_replays_by_order_id_and_refuses_a_changed_request() {
    let s = start(policy(0)).await;
    let m = s.create_member("buyer").await;

    let first = s.purchase(m, "o-1", 12_345).await;
    let v = first.ok(200).clone();
    assert!(!first.replayed());
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(v["earned"]["points"]["amount"], 123);
    assert_eq!(v["earned"]["points"]["status"], "available");
    assert_eq!(v["earned"]["points"]["available_at"], START);
    assert_eq!(v["earned"]["growth"]["amount"], 123);
    assert_eq!(s.available(m).await, 123);

    // The same order again: the first answer, byte for byte, and nothing earned twice.
    let again = s.purchase(m, "o-1", 12_345).await;
    again.ok(200);
    assert_eq!(
        again.headers.get("idempotent-replayed").unwrap(),
        "true",
        "replay header"
    );
    assert_eq!(again.text, first.text);
    assert_eq!(again.json, v);
    assert_eq!(s.available(m).await, 123);

    // The same order id with another amount is another request under the same key.
    s.purchase(m, "o-1", 99_999)
        .await
        .err(422, "idempotency_key_reused");
    // The same order under an explicit key of its own: the order id is taken.
    let d = s
        .post(
            "/api/v1/purchases",
            Some("explicit-key"),
            json!({"order_id": "o-1", "member": {"member_id": m}, "amount_minor": 12_345, "currency": "CNY"}),
        )
        .await;
    let d = d.err(409, "order_exists");
    assert_eq!(d["order_id"], "o-1");
    assert_eq!(d["member_id"], m);
    assert_eq!(s.available(m).await, 123);

    // By external identity.
    let r = s
        .post(
            "/api/v1/purchases",
            None,
            json!({"order_id": "o-2", "member": {"channel": "app", "external_id": "buyer"}, "amount_minor": 250, "currency": "CNY"}),
        )
        .await;
    assert_eq!(r.ok(200)["member_id"], m);
    assert_eq!(r.json["earned"]["points"]["amount"], 2);
    assert_eq!(s.available(m).await, 125);

    // Refusals: unknown member, other currency, amounts out of range, wrong types, missing.
    let d = s.purchase(999_999, "o-x", 100).await;
    assert_eq!(d.err(404, "member_not_found")["id"], "999999");
    let d = s
        .post(
            "/api/v1/purchases",
            None,
            json!({"order_id": "o-usd", "member": {"member_id": m}, "amount_minor": 100, "currency": "USD"}),
        )
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "currency");
    for amount in [0, -1, i64::MAX, 10_000_000_000_001] {
        let d = s.purchase(m, &format!("o-amt-{amount}"), amount).await;
        assert_eq!(d.err(422, "invalid_request")["field"], "amount_minor");
    }
    s.post(
        "/api/v1/purchases",
        None,
        json!({"order_id": "o-s", "member": {"member_id": m}, "amount_minor": "100", "currency": "CNY"}),
    )
    .await
    .err(422, "invalid_request");
    s.post(
        "/api/v1/purchases",
        None,
        json!({"order_id": "o-s", "member": {"member_id": m}, "currency": "CNY"}),
    )
    .await
    .err(422, "invalid_request");
    s.post(
        "/api/v1/purchases",
        None,
        json!({"order_id": "o-s", "member": {"member_id": m}, "amount_minor": 1.5, "currency": "CNY"}),
    )
    .await
    .err(422, "invalid_request");
    // In the future (beyond five minutes of clock skew).
    let d = s
        .post(
            "/api/v1/purchases",
            None,
            json!({"order_id": "o-f", "member": {"member_id": m}, "amount_minor": 100, "currency": "CNY", "occurred_at": START + DAY}),
        )
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "occurred_at");

    assert_eq!(s.available(m).await, 125);
    s.verify_clean().await;
}

// ---- spends and request refusals -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_refusals_have_exact_codes_and_change_nothing() {
    let s = start(policy(0)).await;
    let m = s.create_member("spender").await;
    s.credit(m, 100).await;
    assert_eq!(s.available(m).await, 100);
    let spend =
        |amount: Value| json!({"member": {"member_id": m}, "amount": amount, "reason": "test"});

    // No Idempotency-Key.
    s.post("/api/v1/spends", None, spend(json!(10)))
        .await
        .err(400, "idempotency_key_required");

    // More than the balance: refused with what there is, and the balance is unchanged.
    let d = s
        .post("/api/v1/spends", Some("over"), spend(json!(150)))
        .await;
    let d = d.err(422, "insufficient_points");
    assert_eq!(d["available"], 100);
    assert_eq!(d["requested"], 150);
    let b = s.points(m).await;
    assert_eq!(b["available"], 100);
    assert_eq!(b["reserved"], 0);

    // Amounts out of range.
    for (i, amount) in [
        json!(0),
        json!(-10),
        json!(i64::MAX),
        json!(1_000_000_000_001i64),
    ]
    .into_iter()
    .enumerate()
    {
        let r = s
            .post("/api/v1/spends", Some(&format!("bad-{i}")), spend(amount))
            .await;
        assert_eq!(r.err(422, "invalid_request")["field"], "amount");
    }
    // Beyond i64, a string, a fraction, missing.
    let r = s
        .send(
            s.request(Method::POST, "/api/v1/spends")
                .header("Idempotency-Key", "big")
                .header("Content-Type", "application/json")
                .body(format!(
                    r#"{{"member": {{"member_id": {m}}}, "amount": 99999999999999999999999}}"#
                )),
        )
        .await;
    r.err(422, "invalid_request");
    s.post("/api/v1/spends", Some("str"), spend(json!("10")))
        .await
        .err(422, "invalid_request");
    s.post("/api/v1/spends", Some("frac"), spend(json!(2.5)))
        .await
        .err(422, "invalid_request");
    s.post(
        "/api/v1/spends",
        Some("missing"),
        json!({"member": {"member_id": m}}),
    )
    .await
    .err(422, "invalid_request");
    s.post("/api/v1/spends", Some("nomember"), json!({"amount": 5}))
        .await
        .err(422, "invalid_request");
    s.post(
        "/api/v1/spends",
        Some("badref"),
        json!({"member": {"member_id": "5"}, "amount": 5}),
    )
    .await
    .err(422, "invalid_request");
    let d = s
        .post(
            "/api/v1/spends",
            Some("zero-member"),
            json!({"member": {"member_id": 0}, "amount": 5}),
        )
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "member_id");
    s.post(
        "/api/v1/spends",
        Some("unknown"),
        json!({"member": {"member_id": 999_999}, "amount": 5}),
    )
    .await
    .err(404, "member_not_found");

    // Malformed JSON, an array, an empty body.
    for body in [r#"{"member": "#, "{", "", "not json", "{\"amount\": 1,}"] {
        let r = s
            .send(
                s.request(Method::POST, "/api/v1/spends")
                    .header("Idempotency-Key", "malformed")
                    .header("Content-Type", "application/json")
                    .body(body),
            )
            .await;
        r.err(400, "malformed_json");
    }

    // Content types other than JSON, or none.
    let valid = spend(json!(10)).to_string();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut rb = s
            .request(Method::POST, "/api/v1/spends")
            .header("Idempotency-Key", "ct")
            .body(valid.clone());
        if let Some(ct) = ct {
            rb = rb.header("Content-Type", ct);
        }
        s.send(rb).await.err(415, "unsupported_media_type");
    }

    // Over 256 KiB.
    let huge = json!({"member": {"member_id": m}, "amount": 10, "reason": "x".repeat(300 * 1024)});
    let r = s.post("/api/v1/spends", Some("huge"), huge).await;
    let d = r.err(413, "payload_too_large");
    assert_eq!(d, &json!({}));

    // Bad Idempotency-Keys.
    for key in ["k".repeat(129), "   ".to_string()] {
        let r = s.post("/api/v1/spends", Some(&key), spend(json!(10))).await;
        assert_eq!(r.err(422, "invalid_request")["field"], "Idempotency-Key");
    }
    // A reason over 500 characters.
    let d = s
        .post(
            "/api/v1/spends",
            Some("long-reason"),
            json!({"member": {"member_id": m}, "amount": 10, "reason": "r".repeat(501)}),
        )
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "reason");

    // None of that changed anything.
    assert_eq!(s.available(m).await, 100);
    let h = s.get(&format!("/api/v1/members/{m}/history")).await;
    assert_eq!(h.ok(200)["lines"].as_array().unwrap().len(), 1);

    // A real spend, with a charset on the content type; its replay; the key reused.
    let r = s
        .send(
            s.request(Method::POST, "/api/v1/spends")
                .header("Idempotency-Key", "s-ok")
                .header("Content-Type", "application/json; charset=utf-8")
                .body(spend(json!(30)).to_string()),
        )
        .await;
    let v = r.ok(200).clone();
    assert!(!r.replayed());
    assert_eq!(v["member_id"], m);
    assert_eq!(v["amount"], 30);
    assert_eq!(sum_draws(&v), 30);
    assert!(v["transfer_id"].as_i64().unwrap() > 0);
    assert_eq!(s.available(m).await, 70);
    let again = s
        .post("/api/v1/spends", Some("s-ok"), spend(json!(30)))
        .await;
    again.ok(200);
    assert!(again.replayed());
    assert_eq!(again.json, v);
    assert_eq!(again.text, r.text);
    s.post("/api/v1/spends", Some("s-ok"), spend(json!(31)))
        .await
        .err(422, "idempotency_key_reused");
    // The same key on another route is another request too.
    let other = s.create_member("other").await;
    s.post(
        "/api/v1/transfers",
        Some("s-ok"),
        json!({"from": {"member_id": m}, "to": {"member_id": other}, "amount": 30}),
    )
    .await
    .err(422, "idempotency_key_reused");
    assert_eq!(s.available(m).await, 70);
    assert_eq!(s.available(other).await, 0);
    s.verify_clean().await;
}

// ---- authentication and routing ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_unknown_routes() {
    let s = start(policy(7)).await;

    // Missing, wrong, malformed keys.
    let no_key =
        crate::common::read(s.client.get(s.url("/api/v1/program")).send().await.unwrap()).await;
    no_key.err(401, "unauthorized");
    for auth in [
        "Bearer jf_wrong".to_string(),
        "Bearer ".to_string(),
        format!("Basic {}", s.key),
        s.key.clone(),
        format!("Bearer {}", "k".repeat(300)),
    ] {
        let r = crate::common::read(
            s.client
                .get(s.url("/api/v1/program"))
                .header("Authorization", auth)
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.err(401, "unauthorized");
    }
    let r = crate::common::read(
        s.client
            .get(s.url("/api/v1/program"))
            .header("X-Api-Key", "jf_wrong")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.err(401, "unauthorized");
    // A write without a key is refused before its body is looked at.
    let r = crate::common::read(
        s.client
            .post(s.url("/api/v1/spends"))
            .header("Content-Type", "text/plain")
            .body("nonsense")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.err(401, "unauthorized");

    // The right key, as a bearer token and as X-Api-Key.
    let v = s.get("/api/v1/program").await;
    let v = v.ok(200);
    assert_eq!(v["code"], "t");
    assert_eq!(v["name"], "Test");
    assert_eq!(v["currency"], "CNY");
    assert_eq!(v["timezone"], "Asia/Shanghai");
    assert_eq!(v["policy"]["pending_days"], 7);
    assert_eq!(v["program_id"], s.pid.0);
    let r = crate::common::read(
        s.client
            .get(s.url("/api/v1/program"))
            .header("X-Api-Key", &s.key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.ok(200)["code"], "t");
    // The scheme is matched without regard to case (RFC 9110), whatever the blank after it.
    for auth in [
        format!("bearer {}", s.key),
        format!("BEARER {}", s.key),
        format!("Bearer\t{}", s.key),
        format!("bEaReR  {}", s.key),
    ] {
        let r = crate::common::read(
            s.client
                .get(s.url("/api/v1/program"))
                .header("Authorization", &auth)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.ok(200)["code"], "t", "{auth:?}");
    }

    // Unknown routes, with or without a key.
    for path in [
        "/api/v1/nope",
        "/nope",
        "/api/v2/members",
        "/api/v1/members/1/nope",
        "/",
    ] {
        s.get(path).await.err(404, "route_not_found");
        let r = crate::common::read(s.client.get(s.url(path)).send().await.unwrap()).await;
        r.err(404, "route_not_found");
    }
    s.post("/api/v1/nope", Some("k"), json!({}))
        .await
        .err(404, "route_not_found");

    let h = crate::common::read(s.client.get(s.url("/health")).send().await.unwrap()).await;
    assert_eq!(h.ok(200), &json!({"status": "ok"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_route_with_another_method_is_405_in_the_error_shape() {
    let s = start(policy(7)).await;
    s.get("/api/v1/spends").await.err(405, "method_not_allowed");
    s.send(s.request(Method::DELETE, "/api/v1/members/1"))
        .await
        .err(405, "method_not_allowed");
    s.post("/api/v1/program", None, json!({}))
        .await
        .err(405, "method_not_allowed");
}

// ---- the programme -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programme_settings_are_read_and_replaced() {
    let s = start(policy(7)).await;
    let new_policy = json!({"validity": {"kind": "days", "days": 90}, "pending_days": 0, "points_per_unit": 2,
                            "growth_per_unit": 1, "shortfall": "write_off", "clawback_pending_first": true});
    let r = s
        .send(
            s.request(Method::PUT, "/api/v1/program").json(
                &json!({"name": "Renamed", "timezone": "Europe/Berlin", "policy": new_policy}),
            ),
        )
        .await;
    let v = r.ok(200);
    assert_eq!(v["name"], "Renamed");
    assert_eq!(v["timezone"], "Europe/Berlin");
    assert_eq!(v["policy"], new_policy);
    assert_eq!(s.get("/api/v1/program").await.ok(200), v);

    // The new rate and return window apply to the next purchase.
    let m = s.create_member("p").await;
    let p = s.purchase(m, "after-update", 1_000).await;
    assert_eq!(p.ok(200)["earned"]["points"]["amount"], 20);
    assert_eq!(p.json["earned"]["points"]["status"], "available");
    // 90 calendar days in Berlin: 01:00 CET on 1 January to 01:00 CEST on 1 April, one hour
    // short of 90 × 24 h.
    assert_eq!(
        p.json["earned"]["points"]["expires_at"],
        START + 90 * DAY - 3_600_000
    );
    assert_eq!(s.available(m).await, 20);

    let put = |body: Value| s.request(Method::PUT, "/api/v1/program").json(&body);
    let d = s
        .send(put(
            json!({"name": "X", "timezone": "Mars/Olympus", "policy": new_policy}),
        ))
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "timezone");
    let mut bad = new_policy.clone();
    bad["pending_days"] = json!(400);
    s.send(put(json!({"name": "X", "timezone": "UTC", "policy": bad})))
        .await
        .err(422, "invalid_policy");
    let d = s
        .send(put(
            json!({"name": " ", "timezone": "UTC", "policy": new_policy}),
        ))
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "name");
    s.send(put(json!({"name": "X", "timezone": "UTC"})))
        .await
        .err(422, "invalid_request");
    assert_eq!(s.get("/api/v1/program").await.ok(200)["name"], "Renamed");
}

// ---- refunds of orders ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_reverse_proportional_points_and_never_more_than_the_order() {
    let s = start(policy(0)).await;
    let m = s.create_member("refunder").await;
    s.purchase(m, "ord-1", 10_000).await.ok(200);
    assert_eq!(s.available(m).await, 100);

    let refund = |body: Value, key: Option<&'static str>| s.post("/api/v1/refunds", key, body);

    refund(json!({"order_id": "ord-1", "amount_minor": 100}), None)
        .await
        .err(400, "idempotency_key_required");
    let d = refund(
        json!({"order_id": "ord-1", "refund_id": "r0", "amount_minor": 20_000}),
        None,
    )
    .await;
    let d = d.err(409, "refund_exceeds_order");
    assert_eq!(d["refundable_minor"], 10_000);
    assert_eq!(d["requested_minor"], 20_000);
    for amount in [0, -5] {
        let d = refund(
            json!({"order_id": "ord-1", "refund_id": "rbad", "amount_minor": amount}),
            None,
        )
        .await;
        assert_eq!(d.err(422, "invalid_request")["field"], "amount_minor");
    }
    let d = refund(json!({"order_id": "no-such-order", "refund_id": "r"}), None).await;
    assert_eq!(d.err(404, "order_not_found")["id"], "no-such-order");
    refund(json!({"refund_id": "r"}), None)
        .await
        .err(422, "invalid_request");
    assert_eq!(s.available(m).await, 100);

    // A quarter: a quarter of the points and growth come back.
    let r1 = refund(
        json!({"order_id": "ord-1", "refund_id": "r1", "amount_minor": 2_500, "reason": "one item returned"}),
        None,
    )
    .await;
    let v = r1.ok(200).clone();
    assert_eq!(v["order_id"], "ord-1");
    assert_eq!(v["member_id"], m);
    assert_eq!(v["refunded_minor"], 2_500);
    assert_eq!(v["order_refunded_minor"], 2_500);
    assert_eq!(v["order_paid_minor"], 10_000);
    assert_eq!(v["reversed"]["points"]["requested"], 25);
    assert_eq!(v["reversed"]["points"]["from_order_available"], 25);
    assert_eq!(v["reversed"]["points"]["to_debt"], 0);
    assert_eq!(v["reversed"]["growth"]["requested"], 25);
    let b = s
        .get(&format!("/api/v1/members/{m}/balance"))
        .await
        .ok(200)
        .clone();
    assert_eq!(b["points"]["available"], 75);
    assert_eq!(b["growth"]["available"], 75);

    // The same refund id again: the same answer, nothing reversed twice.
    let again = refund(
        json!({"order_id": "ord-1", "refund_id": "r1", "amount_minor": 2_500, "reason": "one item returned"}),
        None,
    )
    .await;
    again.ok(200);
    assert!(again.replayed());
    assert_eq!(again.text, r1.text);
    refund(
        json!({"order_id": "ord-1", "refund_id": "r1", "amount_minor": 2_000}),
        None,
    )
    .await
    .err(422, "idempotency_key_reused");
    assert_eq!(s.available(m).await, 75);

    // The rest (no amount: all that is still refundable).
    let r2 = refund(json!({"order_id": "ord-1", "refund_id": "r2"}), None).await;
    let v = r2.ok(200);
    assert_eq!(v["refunded_minor"], 7_500);
    assert_eq!(v["order_refunded_minor"], 10_000);
    assert_eq!(v["reversed"]["points"]["requested"], 75);
    assert_eq!(s.available(m).await, 0);
    let d = refund(json!({"order_id": "ord-1", "refund_id": "r3"}), None).await;
    assert_eq!(d.err(409, "order_fully_refunded")["refundable_minor"], 0);

    // Rounding: 333 points on 333.33 yuan; half and the rest take back 167 and 166, never 334.
    let p = s.purchase(m, "ord-2", 33_333).await;
    assert_eq!(p.ok(200)["earned"]["points"]["amount"], 333);
    assert_eq!(s.available(m).await, 333);
    let h1 = refund(
        json!({"order_id": "ord-2", "amount_minor": 16_667}),
        Some("half-1"),
    )
    .await;
    assert_eq!(h1.ok(200)["reversed"]["points"]["requested"], 167);
    assert_eq!(s.available(m).await, 166);
    let h2 = refund(
        json!({"order_id": "ord-2", "amount_minor": 16_666}),
        Some("half-2"),
    )
    .await;
    assert_eq!(h2.ok(200)["reversed"]["points"]["requested"], 166);
    assert_eq!(h2.json["order_refunded_minor"], 33_333);
    assert_eq!(s.available(m).await, 0);

    // Points already spent: the refund puts the member in debt for the shortfall.
    s.purchase(m, "ord-3", 5_000).await.ok(200);
    s.post(
        "/api/v1/spends",
        Some("spend-ord-3"),
        json!({"member": {"member_id": m}, "amount": 40}),
    )
    .await
    .ok(200);
    let r = refund(json!({"order_id": "ord-3"}), Some("full-3")).await;
    let v = r.ok(200);
    assert_eq!(v["reversed"]["points"]["requested"], 50);
    assert_eq!(v["reversed"]["points"]["from_order_available"], 10);
    assert_eq!(v["reversed"]["points"]["to_debt"], 40);
    let b = s.points(m).await;
    assert_eq!(b["available"], 0);
    assert_eq!(b["debt"], 40);
    s.verify_clean().await;
}

// ---- reservations --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_are_created_posted_replayed_and_voided() {
    let s = start(policy(0)).await;
    let m = s.create_member("reserver").await;
    s.credit(m, 100).await;

    s.post(
        "/api/v1/reservations",
        None,
        json!({"member": {"member_id": m}, "amount": 30}),
    )
    .await
    .err(400, "idempotency_key_required");

    let r = s
        .post(
            "/api/v1/reservations",
            Some("res-1"),
            json!({"member": {"member_id": m}, "amount": 30, "order_ref": "mall-1"}),
        )
        .await;
    let v = r.ok(201).clone();
    let id = v["reservation_id"].as_i64().unwrap();
    assert!(id > 0);
    assert_eq!(v["member_id"], m);
    assert_eq!(v["amount"], 30);
    assert_eq!(v["state"], "open");
    assert_eq!(v["order_ref"], "mall-1");
    assert_eq!(v["expires_at"], START + 30 * 60 * 1000);
    let b = s.points(m).await;
    assert_eq!(b["available"], 70);
    assert_eq!(b["reserved"], 30);
    // Its replay keeps the 201.
    let again = s
        .post(
            "/api/v1/reservations",
            Some("res-1"),
            json!({"member": {"member_id": m}, "amount": 30, "order_ref": "mall-1"}),
        )
        .await;
    again.ok(201);
    assert!(again.replayed());
    assert_eq!(again.text, r.text);
    assert_eq!(s.points(m).await["reserved"], 30);

    let d = s
        .post(
            "/api/v1/reservations",
            Some("res-big"),
            json!({"member": {"member_id": m}, "amount": 500}),
        )
        .await;
    let d = d.err(422, "insufficient_points");
    assert_eq!(d["available"], 70);
    assert_eq!(d["requested"], 500);
    for (i, amount) in [0i64, -1, i64::MAX].into_iter().enumerate() {
        s.post(
            "/api/v1/reservations",
            Some(&format!("res-amt-{i}")),
            json!({"member": {"member_id": m}, "amount": amount}),
        )
        .await
        .err(422, "invalid_request");
    }
    let d = s
        .post(
            "/api/v1/reservations",
            Some("res-ttl"),
            json!({"member": {"member_id": m}, "amount": 1, "ttl_seconds": 0}),
        )
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "ttl_seconds");

    // Post it, no key, no body; posting again is the same answer.
    let p1 = s
        .send(s.request(Method::POST, &format!("/api/v1/reservations/{id}/post")))
        .await;
    let pv = p1.ok(200).clone();
    assert!(!p1.replayed());
    assert_eq!(pv["reservation_id"], id);
    assert_eq!(pv["state"], "posted");
    assert_eq!(pv["amount"], 30);
    let p2 = s
        .send(s.request(Method::POST, &format!("/api/v1/reservations/{id}/post")))
        .await;
    p2.ok(200);
    assert!(p2.replayed());
    assert_eq!(p2.text, p1.text);
    let b = s.points(m).await;
    assert_eq!(b["available"], 70);
    assert_eq!(b["reserved"], 0);

    // A posted reservation cannot be voided.
    let d = s
        .send(s.request(Method::POST, &format!("/api/v1/reservations/{id}/void")))
        .await;
    let d = d.err(409, "reservation_not_open");
    assert_eq!(d["reservation_id"], id);
    assert_eq!(d["state"], "posted");
    let d = s
        .post(
            &format!("/api/v1/reservations/{id}/void"),
            Some("void-with-key"),
            json!({"reason": "late"}),
        )
        .await;
    assert_eq!(d.err(409, "reservation_not_open")["state"], "posted");
    assert_eq!(s.available(m).await, 70);

    // Void an open one, with a reason: the points return.
    let r2 = s
        .post(
            "/api/v1/reservations",
            Some("res-2"),
            json!({"member": {"member_id": m}, "amount": 20}),
        )
        .await;
    let id2 = r2.ok(201)["reservation_id"].as_i64().unwrap();
    assert_eq!(s.available(m).await, 50);
    s.send(
        s.request(Method::POST, &format!("/api/v1/reservations/{id2}/void"))
            .header("Content-Type", "application/json")
            .body("{\"reason\": "),
    )
    .await
    .err(400, "malformed_json");
    let v1 = s
        .post(
            &format!("/api/v1/reservations/{id2}/void"),
            None,
            json!({"reason": "customer cancelled"}),
        )
        .await;
    let vv = v1.ok(200);
    assert_eq!(vv["state"], "voided");
    assert_eq!(vv["returned_expired"], 0);
    assert_eq!(vv["amount"], 20);
    let b = s.points(m).await;
    assert_eq!(b["available"], 70);
    assert_eq!(b["reserved"], 0);
    let v2 = s
        .post(
            &format!("/api/v1/reservations/{id2}/void"),
            None,
            json!({"reason": "customer cancelled"}),
        )
        .await;
    v2.ok(200);
    assert!(v2.replayed());
    assert_eq!(v2.text, v1.text);
    let d = s
        .send(s.request(Method::POST, &format!("/api/v1/reservations/{id2}/post")))
        .await;
    assert_eq!(d.err(409, "reservation_not_open")["state"], "voided");
    assert_eq!(s.available(m).await, 70);

    // Unknown and malformed reservation ids.
    for action in ["post", "void"] {
        let d = s
            .send(s.request(
                Method::POST,
                &format!("/api/v1/reservations/999999/{action}"),
            ))
            .await;
        assert_eq!(d.err(404, "reservation_not_found")["id"], "999999");
        let d = s
            .send(s.request(Method::POST, &format!("/api/v1/reservations/abc/{action}")))
            .await;
        assert_eq!(d.err(422, "invalid_request")["field"], "reservation id");
    }

    // An open reservation past its time is voided by the jobs.
    let r3 = s
        .post(
            "/api/v1/reservations",
            Some("res-3"),
            json!({"member": {"member_id": m}, "amount": 10, "ttl_seconds": 60}),
        )
        .await;
    let id3 = r3.ok(201)["reservation_id"].as_i64().unwrap();
    assert_eq!(r3.json["expires_at"], START + 60_000);
    assert_eq!(s.available(m).await, 60);
    s.clock.set(START + 61_000);
    assert_eq!(s.run_jobs().await.reservations_voided, 1);
    assert_eq!(s.available(m).await, 70);
    let d = s
        .send(s.request(Method::POST, &format!("/api/v1/reservations/{id3}/post")))
        .await;
    assert_eq!(d.err(409, "reservation_not_open")["state"], "voided");

    // A posted reservation is refunded like a spend.
    let d = s
        .post(
            &format!("/api/v1/spends/{id2}/refunds"),
            Some("refund-voided"),
            json!({}),
        )
        .await;
    d.err(409, "reservation_not_posted");
    let rr = s
        .post(
            &format!("/api/v1/spends/{id}/refunds"),
            Some("refund-res-1"),
            json!({"reason": "order cancelled"}),
        )
        .await;
    let rv = rr.ok(200);
    assert_eq!(rv["refund_of"], id);
    assert_eq!(rv["restored"], 30);
    assert_eq!(rv["still_refundable"], 0);
    assert_eq!(s.available(m).await, 100);
    s.verify_clean().await;
}

// ---- refunds of spends ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunding_a_spend_restores_its_points() {
    let s = start(policy(0)).await;
    let m = s.create_member("sr").await;
    let credit = s
        .post(
            "/api/v1/adjustments",
            Some("credit-sr"),
            json!({"member": {"member_id": m}, "delta": 100, "reason": "welcome", "actor": "ops"}),
        )
        .await;
    let credit_tid = credit.ok(200)["transfer_id"].as_i64().unwrap();

    let sp = s
        .post(
            "/api/v1/spends",
            Some("sp-40"),
            json!({"member": {"member_id": m}, "amount": 40, "order_ref": "mall-9"}),
        )
        .await;
    let tid = sp.ok(200)["transfer_id"].as_i64().unwrap();
    assert_eq!(s.available(m).await, 60);

    let path = format!("/api/v1/spends/{tid}/refunds");
    s.post(&path, None, json!({"amount": 15}))
        .await
        .err(400, "idempotency_key_required");

    let r1 = s
        .post(
            &path,
            Some("spr-1"),
            json!({"amount": 15, "reason": "partial"}),
        )
        .await;
    let v = r1.ok(200).clone();
    assert_eq!(v["refund_of"], tid);
    assert_eq!(v["member_id"], m);
    assert_eq!(v["restored"], 15);
    assert_eq!(v["restored_expired"], 0);
    assert_eq!(v["still_refundable"], 25);
    assert!(v["transfer_id"].as_i64().unwrap() > tid);
    assert_eq!(s.available(m).await, 75);
    let again = s
        .post(
            &path,
            Some("spr-1"),
            json!({"amount": 15, "reason": "partial"}),
        )
        .await;
    again.ok(200);
    assert!(again.replayed());
    assert_eq!(again.text, r1.text);
    assert_eq!(s.available(m).await, 75);

    let d = s
        .post(&path, Some("spr-over"), json!({"amount": 100}))
        .await;
    let d = d.err(422, "refund_exceeds_spend");
    assert_eq!(d["restorable"], 25);
    assert_eq!(d["requested"], 100);
    for (i, amount) in [0i64, -3].into_iter().enumerate() {
        let d = s
            .post(
                &path,
                Some(&format!("spr-bad-{i}")),
                json!({"amount": amount}),
            )
            .await;
        assert_eq!(d.err(422, "invalid_request")["field"], "amount");
    }
    s.post(&path, Some("spr-str"), json!({"amount": "5"}))
        .await
        .err(422, "invalid_request");
    assert_eq!(s.available(m).await, 75);

    // The rest.
    let r2 = s.post(&path, Some("spr-2"), json!({})).await;
    assert_eq!(r2.ok(200)["restored"], 25);
    assert_eq!(r2.json["still_refundable"], 0);
    assert_eq!(s.available(m).await, 100);
    let d = s.post(&path, Some("spr-3"), json!({})).await;
    assert_eq!(d.err(409, "spend_fully_refunded")["restorable"], 0);

    // Not a spend, unknown, malformed.
    let d = s
        .post(
            &format!("/api/v1/spends/{credit_tid}/refunds"),
            Some("spr-credit"),
            json!({}),
        )
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "transfer_id");
    let d = s
        .post(
            "/api/v1/spends/999999/refunds",
            Some("spr-unknown"),
            json!({}),
        )
        .await;
    assert_eq!(d.err(404, "spend_not_found")["id"], "999999");
    let d = s
        .post("/api/v1/spends/abc/refunds", Some("spr-abc"), json!({}))
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "spend id");

    // The restored points went back to the lot they came from.
    let lots = s.get(&format!("/api/v1/members/{m}/lots")).await;
    let lots = lots.ok(200)["lots"].as_array().unwrap().clone();
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0]["remaining"], 100);
    assert_eq!(lots[0]["spent"], 0);
    s.verify_clean().await;
}

// ---- transfers -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_move_points_between_members() {
    let s = start(policy(0)).await;
    let a = s.create_member("ta").await;
    let b = s.create_member("tb").await;
    s.credit(a, 100).await;

    let t = |from: Value, to: Value, amount: Value| json!({"from": from, "to": to, "amount": amount, "reason": "gift"});
    let ida = json!({"member_id": a});
    let idb = json!({"member_id": b});

    s.post(
        "/api/v1/transfers",
        None,
        t(ida.clone(), idb.clone(), json!(30)),
    )
    .await
    .err(400, "idempotency_key_required");

    let r = s
        .post(
            "/api/v1/transfers",
            Some("tr-1"),
            t(ida.clone(), idb.clone(), json!(30)),
        )
        .await;
    let v = r.ok(200).clone();
    assert!(v["transfer_id"].as_i64().unwrap() > 0);
    assert_eq!(v["from_member_id"], a);
    assert_eq!(v["to_member_id"], b);
    assert_eq!(v["amount"], 30);
    assert_eq!(s.available(a).await, 70);
    assert_eq!(s.available(b).await, 30);
    let again = s
        .post(
            "/api/v1/transfers",
            Some("tr-1"),
            t(ida.clone(), idb.clone(), json!(30)),
        )
        .await;
    again.ok(200);
    assert!(again.replayed());
    assert_eq!(again.text, r.text);
    assert_eq!(s.available(a).await, 70);
    assert_eq!(s.available(b).await, 30);

    // By external identities, the other way.
    let r = s
        .post(
            "/api/v1/transfers",
            Some("tr-2"),
            t(
                json!({"channel": "app", "external_id": "tb"}),
                json!({"channel": "app", "external_id": "ta"}),
                json!(10),
            ),
        )
        .await;
    assert_eq!(r.ok(200)["from_member_id"], b);
    assert_eq!(r.json["to_member_id"], a);
    assert_eq!(s.available(a).await, 80);
    assert_eq!(s.available(b).await, 20);

    s.post(
        "/api/v1/transfers",
        Some("tr-self"),
        t(ida.clone(), ida.clone(), json!(5)),
    )
    .await
    .err(422, "same_member");
    let d = s
        .post(
            "/api/v1/transfers",
            Some("tr-over"),
            t(ida.clone(), idb.clone(), json!(1_000)),
        )
        .await;
    let d = d.err(422, "insufficient_points");
    assert_eq!(d["available"], 80);
    assert_eq!(d["requested"], 1_000);
    for (i, amount) in [json!(0), json!(-5), json!(i64::MAX)]
        .into_iter()
        .enumerate()
    {
        let d = s
            .post(
                "/api/v1/transfers",
                Some(&format!("tr-bad-{i}")),
                t(ida.clone(), idb.clone(), amount),
            )
            .await;
        assert_eq!(d.err(422, "invalid_request")["field"], "amount");
    }
    s.post(
        "/api/v1/transfers",
        Some("tr-str"),
        t(ida.clone(), idb.clone(), json!("5")),
    )
    .await
    .err(422, "invalid_request");
    s.post(
        "/api/v1/transfers",
        Some("tr-unknown"),
        t(ida.clone(), json!({"member_id": 999_999}), json!(5)),
    )
    .await
    .err(404, "member_not_found");
    assert_eq!(s.available(a).await, 80);
    assert_eq!(s.available(b).await, 20);

    // Both sides see the transfer in their history, with the counterparty.
    let hb = s.get(&format!("/api/v1/members/{b}/history")).await;
    let lines = hb.ok(200)["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["amount"], -10);
    assert_eq!(lines[1]["amount"], 30);
    assert_eq!(lines[1]["transfer_id"], v["transfer_id"]);
    assert_eq!(lines[1]["reason"], "gift");
    let ha = s.get(&format!("/api/v1/members/{a}/history")).await;
    let lines = ha.ok(200)["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["amount"], 10);
    assert_eq!(lines[1]["amount"], -30);
    assert_eq!(lines[2]["amount"], 100);
    s.verify_clean().await;
}

// ---- adjustments ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adjustments_need_a_reason_and_an_actor() {
    let s = start(policy(0)).await;
    let m = s.create_member("adj").await;
    let adj = |body: Value, key: &'static str| s.post("/api/v1/adjustments", Some(key), body);
    let member = json!({"member_id": m});

    let r = adj(
        json!({"member": member, "delta": 50, "reason": "goodwill", "actor": "staff:42"}),
        "adj-1",
    )
    .await;
    let v = r.ok(200).clone();
    assert!(v["transfer_id"].as_i64().unwrap() > 0);
    assert_eq!(v["member_id"], m);
    assert_eq!(v["delta"], 50);
    assert_eq!(v["point_type"], "points");
    assert_eq!(s.available(m).await, 50);

    s.post(
        "/api/v1/adjustments",
        None,
        json!({"member": member, "delta": 50, "reason": "goodwill", "actor": "staff:42"}),
    )
    .await
    .err(400, "idempotency_key_required");
    for (key, body, field) in [
        (
            "a1",
            json!({"member": member, "delta": 5, "actor": "staff:42"}),
            "reason",
        ),
        (
            "a2",
            json!({"member": member, "delta": 5, "reason": "x"}),
            "actor",
        ),
        ("a3", json!({"member": member, "delta": 5}), "reason"),
        (
            "a4",
            json!({"member": member, "delta": 5, "reason": "   ", "actor": "s"}),
            "reason",
        ),
        (
            "a5",
            json!({"member": member, "delta": 5, "reason": null, "actor": "s"}),
            "reason",
        ),
        (
            "a6",
            json!({"member": member, "delta": 5, "reason": "x", "actor": ""}),
            "actor",
        ),
        (
            "a7",
            json!({"member": member, "delta": 0, "reason": "x", "actor": "s"}),
            "delta",
        ),
        (
            "a8",
            json!({"member": member, "delta": i64::MAX, "reason": "x", "actor": "s"}),
            "delta",
        ),
        (
            "a9",
            json!({"member": member, "delta": i64::MIN, "reason": "x", "actor": "s"}),
            "delta",
        ),
    ] {
        let d = adj(body, key).await;
        assert_eq!(d.err(422, "invalid_request")["field"], field, "{key}");
    }
    adj(
        json!({"member": member, "delta": "5", "reason": "x", "actor": "s"}),
        "a10",
    )
    .await
    .err(422, "invalid_request");
    adj(
        json!({"member": member, "delta": 5, "point_type": "gold", "reason": "x", "actor": "s"}),
        "a11",
    )
    .await
    .err(422, "invalid_request");
    adj(
        json!({"member": {"member_id": 999_999}, "delta": 5, "reason": "x", "actor": "s"}),
        "a12",
    )
    .await
    .err(404, "member_not_found");
    assert_eq!(s.available(m).await, 50);

    // Debits.
    let r = adj(
        json!({"member": member, "delta": -20, "reason": "correction", "actor": "staff:7"}),
        "adj-2",
    )
    .await;
    assert_eq!(r.ok(200)["delta"], -20);
    assert_eq!(s.available(m).await, 30);
    let d = adj(
        json!({"member": member, "delta": -1_000, "reason": "correction", "actor": "staff:7"}),
        "adj-3",
    )
    .await;
    let d = d.err(422, "insufficient_points");
    assert_eq!(d["available"], 30);
    assert_eq!(d["requested"], 1_000);
    assert_eq!(s.available(m).await, 30);

    // Growth.
    let r = adj(
        json!({"member": member, "delta": 7, "point_type": "growth", "reason": "tier fix", "actor": "staff:7"}),
        "adj-4",
    )
    .await;
    assert_eq!(r.ok(200)["point_type"], "growth");
    let b = s.get(&format!("/api/v1/members/{m}/balance")).await;
    assert_eq!(b.ok(200)["growth"]["available"], 7);
    assert_eq!(b.json["points"]["available"], 30);

    // History keeps the reason, and the actor names the key that did it with the caller's own
    // actor beside it.
    let h = s.get(&format!("/api/v1/members/{m}/history")).await;
    let lines = h.ok(200)["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["point_type"], "growth");
    assert_eq!(lines[0]["amount"], 7);
    assert_eq!(lines[1]["amount"], -20);
    assert_eq!(lines[1]["reason"], "correction");
    let actor = lines[1]["actor"].as_str().unwrap();
    assert!(
        actor.starts_with("api_key:") && actor.ends_with("(default) for staff:7"),
        "{actor}"
    );
    assert_eq!(lines[1]["code"], lines[2]["code"]);
    assert_eq!(lines[2]["amount"], 50);
    assert_eq!(lines[2]["reason"], "goodwill");
    assert!(
        lines[2]["actor"]
            .as_str()
            .unwrap()
            .ends_with("for staff:42")
    );
    assert_eq!(lines[2]["transfer_id"], v["transfer_id"]);
    s.verify_clean().await;
}

// ---- history -------------------------------------------------------------------------------

async fn walk_history(s: &Server, m: i64, limit: i64) -> (Vec<i64>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut before: Option<i64> = None;
    loop {
        let path = match before {
            Some(b) => format!("/api/v1/members/{m}/history?limit={limit}&before={b}"),
            None => format!("/api/v1/members/{m}/history?limit={limit}"),
        };
        let r = s.get(&path).await;
        let v = r.ok(200);
        assert_eq!(v["member_id"], m);
        let lines = v["lines"].as_array().unwrap();
        assert!(lines.len() as i64 <= limit);
        pages += 1;
        ids.extend(lines.iter().map(|l| l["transfer_id"].as_i64().unwrap()));
        match v["next_before"].as_i64() {
            Some(next) => {
                assert_eq!(lines.len() as i64, limit, "a short page has no next page");
                assert_eq!(
                    Some(next),
                    lines.last().map(|l| l["transfer_id"].as_i64().unwrap())
                );
                before = Some(next);
            }
            None => {
                assert_eq!(v["next_before"], Value::Null);
                break;
            }
        }
        assert!(pages < 100, "pagination does not end");
    }
    (ids, pages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_return_every_line_exactly_once() {
    let s = start(policy(0)).await;
    let m = s.create_member("hist").await;
    let other = s.create_member("other").await;
    // 2 lines (points and growth), then 18 adjustments: 20 lines.
    s.purchase(m, "h-1", 1_000).await.ok(200);
    for i in 1..=18 {
        s.credit(m, i).await;
        // Someone else's activity in between must not show up.
        if i % 6 == 0 {
            s.credit(other, 1).await;
        }
    }
    let full = s
        .get(&format!("/api/v1/members/{m}/history?limit=200"))
        .await;
    let full_v = full.ok(200);
    assert_eq!(full_v["next_before"], Value::Null);
    let all: Vec<i64> = full_v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["member"], m);
            l["transfer_id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(all.len(), 20);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first: {all:?}");
    let points_total: i64 = full_v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["point_type"] == "points")
        .map(|l| l["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(points_total, 10 + (1..=18).sum::<i64>());
    assert_eq!(s.available(m).await, points_total);

    // The default page holds them all.
    let default = s.get(&format!("/api/v1/members/{m}/history")).await;
    assert_eq!(default.ok(200)["lines"].as_array().unwrap().len(), 20);

    // Limit 5: four full pages, then an empty one that ends the walk.
    let (ids, pages) = walk_history(&s, m, 5).await;
    assert_eq!(ids, all);
    assert_eq!(pages, 5);
    // Limit 7: 7, 7, 6.
    let (ids, pages) = walk_history(&s, m, 7).await;
    assert_eq!(ids, all);
    assert_eq!(pages, 3);
    // Limit 1 and 20.
    let (ids, pages) = walk_history(&s, m, 1).await;
    assert_eq!(ids, all);
    assert_eq!(pages, 21);
    let (ids, pages) = walk_history(&s, m, 20).await;
    assert_eq!(ids, all);
    assert_eq!(pages, 2);
    let (ids, _) = walk_history(&s, m, 200).await;
    assert_eq!(ids, all);

    // `before` is exclusive.
    let r = s
        .get(&format!(
            "/api/v1/members/{m}/history?limit=200&before={}",
            all[3]
        ))
        .await;
    let after: Vec<i64> = r.ok(200)["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["transfer_id"].as_i64().unwrap())
        .collect();
    assert_eq!(after, all[4..].to_vec());

    for bad in [0, -1, 201] {
        let d = s
            .get(&format!("/api/v1/members/{m}/history?limit={bad}"))
            .await;
        assert_eq!(d.err(422, "invalid_request")["field"], "limit");
    }
}

// ---- concurrency ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_spends_never_overdraw() {
    let s = std::sync::Arc::new(start(policy(0)).await);
    let m = s.create_member("busy").await;
    s.purchase(m, "fund", 20_000).await.ok(200);
    assert_eq!(s.available(m).await, 200);

    let mut tasks = Vec::new();
    for i in 0..50 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.post(
                "/api/v1/spends",
                Some(&format!("concurrent-{i}")),
                json!({"member": {"member_id": m}, "amount": 10}),
            )
            .await
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            200 => {
                assert_eq!(r.json["amount"], 10);
                assert_eq!(sum_draws(&r.json), 10);
                ok += 1;
            }
            _ => {
                let d = r.err(422, "insufficient_points");
                assert_eq!(d["available"], 0);
                assert_eq!(d["requested"], 10);
                refused += 1;
            }
        }
    }
    assert_eq!(ok, 20);
    assert_eq!(refused, 30);
    let b = s.points(m).await;
    assert_eq!(b["available"], 0);
    assert_eq!(b["reserved"], 0);
    assert_eq!(b["debt"], 0);
    let h = s.get(&format!("/api/v1/members/{m}/history")).await;
    let spends = h.ok(200)["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["point_type"] == "points" && l["amount"] == -10)
        .count();
    assert_eq!(spends, 20);
    s.verify_clean().await;
}

/// The same request sent many times at once (a client retrying eagerly) applies once: every
/// answer is the same spend, all but one marked as replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_key_apply_once() {
    let s = std::sync::Arc::new(start(policy(0)).await);
    let m = s.create_member("retry").await;
    s.credit(m, 100).await;

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.post(
                "/api/v1/spends",
                Some("one-key"),
                json!({"member": {"member_id": m}, "amount": 10}),
            )
            .await
        }));
    }
    let mut bodies = Vec::new();
    let mut replayed = 0;
    for t in tasks {
        let r = t.await.unwrap();
        r.ok(200);
        if r.replayed() {
            replayed += 1;
        }
        bodies.push(r.text);
    }
    assert_eq!(replayed, 19);
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:#?}");
    assert_eq!(s.available(m).await, 90);
    s.verify_clean().await;
}

// ---- every error in the one shape ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_strings_and_paths_answer_in_the_error_shape() {
    let s = start(policy(0)).await;
    let m = s.create_member("q").await;
    // The checks the handlers make themselves.
    let d = s.get(&format!("/api/v1/members/{m}/balance?days=-1")).await;
    assert_eq!(d.err(422, "invalid_request")["field"], "days");
    let d = s
        .get(&format!("/api/v1/members/{m}/lots?point_type=gold"))
        .await;
    assert_eq!(d.err(422, "invalid_request")["field"], "point_type");
    // What the query extractor refuses.
    let mut wrong = Vec::new();
    for path in [
        "/api/v1/members/lookup?channel=app".to_string(),
        "/api/v1/members/lookup".to_string(),
        format!("/api/v1/members/{m}/history?limit=abc"),
        format!("/api/v1/members/{m}/history?before=x"),
        format!("/api/v1/members/{m}/balance?days=soon"),
        format!("/api/v1/members/{m}/lots?include_closed=maybe"),
        // Not a query, but the same family: a path segment that is not UTF-8 once decoded.
        "/api/v1/members/%FF".to_string(),
    ] {
        let r = s.get(&path).await;
        let shaped = r.json["error"]["code"] == "invalid_request"
            && r.json["error"]["details"].is_object()
            && r.status.as_u16() == 422;
        if !shaped {
            wrong.push(format!("GET {path} -> {} {:?}", r.status.as_u16(), r.text));
        }
    }
    assert!(
        wrong.is_empty(),
        "bad query strings not answered 422 invalid_request in the error shape: {wrong:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_void_body_is_413_in_the_error_shape() {
    let s = start(policy(0)).await;
    let m = s.create_member("v").await;
    s.credit(m, 10).await;
    let r = s
        .post(
            "/api/v1/reservations",
            Some("res"),
            json!({"member": {"member_id": m}, "amount": 10}),
        )
        .await;
    let id = r.ok(201)["reservation_id"].as_i64().unwrap();
    let huge = json!({"reason": "x".repeat(300 * 1024)});
    let r = s
        .post(&format!("/api/v1/reservations/{id}/void"), None, huge)
        .await;
    r.err(413, "payload_too_large");
    assert_eq!(s.points(m).await["reserved"], 10);
}

/// Syntactically broken JSON is 400 malformed_json even when the part before the break already
/// has the wrong shape: the client must fix its JSON encoder, not its fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_is_malformed_whatever_its_prefix() {
    let s = start(policy(0)).await;
    let m = s.create_member("t").await;
    s.credit(m, 100).await;
    let mut wrong = Vec::new();
    for body in [
        "[1, 2".to_string(),
        r#"{"member": 5, "amount": "#.to_string(),
        format!(r#"{{"member": {{"member_id": {m}}}, "amount": "ten", "reason": "#),
    ] {
        let r = s
            .send(
                s.request(Method::POST, "/api/v1/spends")
                    .header("Idempotency-Key", "truncated")
                    .header("Content-Type", "application/json")
                    .body(body.clone()),
            )
            .await;
        common::assert_error_shape(&r);
        if r.status.as_u16() != 400 || r.json["error"]["code"] != "malformed_json" {
            wrong.push(format!(
                "{body:?} -> {} {}",
                r.status.as_u16(),
                r.json["error"]["code"]
            ));
        }
    }
    assert_eq!(s.available(m).await, 100);
    assert!(
        wrong.is_empty(),
        "not JSON, but not answered 400 malformed_json: {wrong:#?}"
    );
}

// ---- a refused command leaves nothing behind ------------------------------------------------

/// At the highest earn rate, a large purchase earns more points than one operation may carry,
/// and is refused. Refused commands must write nothing, so the order id stays free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_purchase_does_not_keep_its_order_id() {
    let s = start(policy(0)).await;
    let r = s
        .send(s.request(Method::PUT, "/api/v1/program").json(&json!({
            "name": "High rate", "timezone": "Asia/Shanghai",
            "policy": {"validity": {"kind": "never"}, "pending_days": 0, "points_per_unit": 10_000,
                       "growth_per_unit": 1, "shortfall": "debt", "clawback_pending_first": false}
        })))
        .await;
    r.ok(200);
    let m = s.create_member("whale").await;

    // 10^13 fen at 10 000 points per yuan is 10^15 points: over the per-operation maximum.
    let d = s.purchase(m, "big-order", 10_000_000_000_000).await;
    assert_eq!(d.status.as_u16(), 422, "{}", d.text);
    common::assert_error_shape(&d);
    assert_eq!(s.available(m).await, 0);

    // The order was refused: the same order id with a corrected amount must go through.
    let ok = s.purchase(m, "big-order", 10_000).await;
    assert_eq!(
        ok.status.as_u16(),
        200,
        "a refused purchase left its order row behind: {}",
        ok.text
    );
    assert_eq!(ok.json["earned"]["points"]["amount"], 1_000_000);
    s.verify_clean().await;
}

/// `occurred_at` far outside any real date must be refused, not turned into points that never
/// expire under a programme whose points do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_occurred_at_out_of_range_is_refused() {
    let s = start(policy(7)).await;
    let m = s.create_member("old").await;
    let r = s
        .post(
            "/api/v1/purchases",
            None,
            json!({"order_id": "ancient", "member": {"member_id": m}, "amount_minor": 10_000, "currency": "CNY", "occurred_at": i64::MIN}),
        )
        .await;
    let d = r.err(422, "invalid_request");
    assert_eq!(d["field"], "occurred_at");
    assert_eq!(s.points(m).await["available"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_merge_own_lines_and_transfers_received() {
    let s = start(policy(0)).await;
    let a = s.create_member("ha").await;
    let b = s.create_member("hb").await;
    s.credit(a, 100).await;
    // b's history interleaves its own credits with transfers it receives from a.
    for i in 1..=7 {
        s.post(
            "/api/v1/transfers",
            Some(&format!("ht-{i}")),
            json!({"from": {"member_id": a}, "to": {"member_id": b}, "amount": i}),
        )
        .await
        .ok(200);
        s.credit(b, 1).await;
    }
    let full = s
        .get(&format!("/api/v1/members/{b}/history?limit=200"))
        .await;
    let full_v = full.ok(200);
    let all: Vec<i64> = full_v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["transfer_id"].as_i64().unwrap())
        .collect();
    assert_eq!(all.len(), 14, "{full_v}");
    let received: i64 = full_v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["member"] == a)
        .map(|l| l["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(
        received, 28,
        "1+2+...+7 received, each shown as a credit to b"
    );
    for limit in [1, 2, 3, 5] {
        let (ids, _) = walk_history(&s, b, limit).await;
        assert_eq!(ids, all, "pages of {limit}");
    }
    s.verify_clean().await;
}

/// An adjustment through a key without the right to skip approval, above the programme's
/// threshold, is accepted into the approval queue (202) and moves nothing; a retry returns the
/// same request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_adjustments_above_the_threshold_wait_for_approval() {
    let s = start(policy(0)).await;
    let m = s.create_member("adj").await;
    let app = s.app.clone();
    let pid = s.pid;
    let pos = tokio::task::spawn_blocking(move || app.create_api_key(pid, "pos", false).unwrap())
        .await
        .unwrap();
    let body = json!({"member": {"member_id": m}, "delta": 5000, "reason": "goodwill", "actor": "cashier-7"});
    let send = || {
        s.send(
            s.client
                .post(s.url("/api/v1/adjustments"))
                .header("Authorization", format!("bearer {pos}"))
                .header("Idempotency-Key", "big-1")
                .json(&body),
        )
    };
    let r = send().await;
    let v = r.ok(202).clone();
    assert_eq!(v["status"], "pending_approval");
    let id = v["approval_id"].as_i64().unwrap();
    assert_eq!(s.available(m).await, 0);
    let again = send().await;
    assert!(again.replayed());
    assert_eq!(again.ok(202)["approval_id"], id);
    // The programme's own key has the right: applied at once.
    let r = s
        .post("/api/v1/adjustments", Some("big-2"), body.clone())
        .await;
    assert_eq!(r.ok(200)["status"], "applied");
    assert_eq!(s.available(m).await, 5000);
    s.verify_clean().await;
}

/// Profiles change after sign-up, identities are unbound and members frozen over the API, each
/// in the calling key's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_updated_unbound_and_frozen_over_the_api() {
    let s = start(policy(0)).await;
    let m = s.create_member("upd").await;
    let r = s
        .send(
            s.request(Method::PATCH, &format!("/api/v1/members/{m}"))
                .json(&json!({"name": "Lee", "birthday": "1991-03-04"})),
        )
        .await;
    let v = r.ok(200);
    assert_eq!(
        (v["name"].as_str(), v["birthday"].as_str()),
        (Some("Lee"), Some("1991-03-04"))
    );
    let bad = s
        .send(
            s.request(Method::PATCH, &format!("/api/v1/members/{m}"))
                .json(&json!({"nickname": "x"})),
        )
        .await;
    bad.err(422, "invalid_request");
    s.post(
        &format!("/api/v1/members/{m}/identities"),
        None,
        json!({"channel": "wechat", "external_id": "oA"}),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/members/{m}/identities/unbind"),
        None,
        json!({"channel": "wechat", "external_id": "oA"}),
    )
    .await
    .ok(200);
    s.get("/api/v1/members/lookup?channel=wechat&external_id=oA")
        .await
        .err(404, "member_not_found");
    s.credit(m, 100).await;
    let f = s
        .post(
            &format!("/api/v1/members/{m}/freeze"),
            None,
            json!({"reason": "风控"}),
        )
        .await;
    assert_eq!(f.ok(200)["status"], "frozen");
    s.post(
        "/api/v1/spends",
        Some("sp-frozen"),
        json!({"member": {"member_id": m}, "amount": 10}),
    )
    .await
    .err(409, "member_frozen");
    s.post(
        &format!("/api/v1/members/{m}/unfreeze"),
        None,
        json!({"reason": "核实无误"}),
    )
    .await
    .ok(200);
    s.post(
        "/api/v1/spends",
        Some("sp-after"),
        json!({"member": {"member_id": m}, "amount": 10}),
    )
    .await
    .ok(200);
    s.verify_clean().await;
}

/// A member's history line has a receipt once the jobs sealed it, and the chain's links are
/// there to walk to a published checkpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_line_has_a_receipt_from_the_hash_chain() {
    let s = start(policy(0)).await;
    let m = s.create_member("rcpt").await;
    s.credit(m, 300).await;
    let h = s.get(&format!("/api/v1/members/{m}/history")).await;
    let line = h.ok(200)["lines"][0]["transfer_id"].as_i64().unwrap();
    let path = format!("/api/v1/members/{m}/receipt?transfer_id={line}");
    s.get(&path).await.err(409, "not_sealed_yet");
    s.run_jobs().await;
    let r = s.get(&path).await;
    let r = r.ok(200).clone();
    assert!(jifen_app::chain::check_receipt(&r), "{r}");
    s.get(&format!("/api/v1/members/{m}/receipt?transfer_id=999999"))
        .await
        .err(404, "transfer_not_found");
    s.get(&format!("/api/v1/members/{m}/receipt?transfer_id=x"))
        .await
        .err(422, "invalid_request");
    let links = s.get("/api/v1/chain/links?after=0").await;
    let links = links.ok(200)["links"].as_array().unwrap().clone();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["hash"], r["link"]["hash"]);
    s.verify_clean().await;
}

/// A member's data leaves as JSON or CSV and is erased on request, each in the key's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_data_is_exported_and_erased_over_the_api() {
    let s = start(policy(0)).await;
    let m = s.create_member("gdpr").await;
    s.credit(m, 50).await;
    let j = s.get(&format!("/api/v1/members/{m}/export")).await;
    assert_eq!(j.ok(200)["history"].as_array().unwrap().len(), 1);
    let c = s
        .get(&format!("/api/v1/members/{m}/export?format=csv"))
        .await;
    assert_eq!(c.status, 200);
    assert!(
        c.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        c.text.starts_with("\u{feff}section,item,field,value\n"),
        "{}",
        c.text
    );
    s.get(&format!("/api/v1/members/{m}/export?format=xml"))
        .await
        .err(422, "invalid_request");
    let e = s
        .post(
            &format!("/api/v1/members/{m}/erase"),
            None,
            json!({"reason": "注销"}),
        )
        .await;
    assert_eq!(e.ok(200)["status"], "erased");
    s.get("/api/v1/members/lookup?channel=app&external_id=gdpr")
        .await
        .err(404, "member_not_found");
    s.verify_clean().await;
}

/// A JSON array where an object is required is refused, and nothing changes: `[]` does not
/// read as settings with every field left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrays_and_scalars_where_an_object_is_required_are_refused() {
    let s = start(policy(0)).await;
    let put = |body: &'static str| {
        s.send(
            s.request(Method::PUT, "/api/v1/earn-settings")
                .header("Content-Type", "application/json")
                .body(body),
        )
    };
    put(r#"{"risk": {"velocity": [{"by": "device", "window_minutes": 60, "max_events": 3}]}}"#)
        .await
        .ok(200);
    for body in ["[]", "[{}]", "null", "1", "\"x\""] {
        let r = put(body).await;
        assert_eq!(r.err(422, "invalid_request")["field"], "body", "{body}");
    }
    let now = s.get("/api/v1/earn-settings").await;
    assert_eq!(
        now.ok(200)["risk"]["velocity"][0]["max_events"],
        3,
        "nothing was wiped"
    );
    let r = s
        .send(
            s.request(Method::POST, "/api/v1/purchases")
                .header("Content-Type", "application/json")
                .body("[]"),
        )
        .await;
    r.err(422, "invalid_request");
}

/// Slow and silent clients on loopback are closed, not held: a connection that sends half its
/// headers and stops, one that goes idle after a request, and a body that trickles in is
/// answered 408. The server is the binary's (`jifen_api::serve`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_clients_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start(policy(0)).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = jifen_api::router(s.app.clone());
    tokio::spawn(jifen_api::serve(listener, router, std::future::pending()));
    // A normal request goes through.
    let r = s
        .client
        .get(format!("http://{addr}/api/v1/program"))
        .bearer_auth(&s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    /// Reads until the server closes; what it sent, or `None` if it never closed.
    async fn until_closed(
        mut c: tokio::net::TcpStream,
        within: std::time::Duration,
    ) -> Option<String> {
        let mut got = Vec::new();
        let read = tokio::time::timeout(within, c.read_to_end(&mut got)).await;
        read.ok().map(|_| String::from_utf8_lossy(&got).to_string())
    }
    let limit = jifen_api::HEADER_TIMEOUT * 3;
    // Half the headers, then nothing.
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /api/v1/program HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // A request, then idle on the kept-alive connection.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // A body declared at 100 bytes that stops after 10.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/spends HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nIdempotency-Key: slow-1\r\nContent-Length: 100\r\n\r\n{{\"member\":",
        s.key
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let (half, idle, slow) = tokio::join!(
        until_closed(half, limit),
        until_closed(idle, limit),
        until_closed(slow, jifen_api::BODY_TIMEOUT * 3),
    );
    assert!(
        half.is_some(),
        "a connection with half its headers is closed"
    );
    let idle = idle.expect("an idle kept-alive connection is closed");
    assert!(idle.starts_with("HTTP/1.1 200"), "{idle}");
    let slow = slow.expect("a trickling body is given up on");
    assert!(slow.starts_with("HTTP/1.1 408"), "{slow}");
    assert!(slow.contains("request_timeout"), "{slow}");
}

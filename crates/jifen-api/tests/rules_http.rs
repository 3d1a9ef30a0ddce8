//! The earning-rules API over real HTTP: rule lifecycle and validation errors with the field
//! named, events with explanations and idempotent replays, dry runs, backtests polled to the
//! end, earn settings, and the risk-hold review queue.

mod common;

use common::{START, policy, start};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_validated_versioned_and_moved_through_their_lifecycle() {
    let s = start(policy(0)).await;
    // Invalid definitions: the field and the reason, nothing stored.
    let cases = [
        (
            json!({"name": "x", "trigger": "purchase", "points": "order.amont * 2"}),
            "points",
            "unknown variable order.amont",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "condition": "order.amount"}),
            "condition",
            "must be a bool",
        ),
        (
            json!({"name": "x", "trigger": "tweet", "points": "1"}),
            "trigger",
            "unknown event type",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "caps": [{"period": "day"}]}),
            "caps[0]",
            "max_points",
        ),
        (
            json!({"name": "x", "trigger": "purchase", "points": "1", "status": "paused"}),
            "status",
            "draft or active",
        ),
    ];
    // Where a task's button goes: an https:// address or a path on the shop's site, and only
    // on a rule the member centre lists as a task.
    let links = [
        ("review", "ftp://shop.example/x", "https://"),
        ("review", "javascript:alert(1)", "https://"),
        ("review", "//evil.example/x", "https://"),
        ("review", "https://shop.example/a b", "spaces"),
        ("purchase", "https://shop.example/x", "task"),
    ];
    let links = links.map(|(trigger, url, msg)| {
        (
            json!({"name": "x", "trigger": trigger, "points": "1", "task_url": url}),
            "task_url",
            msg,
        )
    });
    for (body, field, msg) in cases.into_iter().chain(links) {
        let r = s.post("/api/v1/rules", None, body.clone()).await;
        let d = r.err(422, "invalid_request");
        assert_eq!(d["field"], field, "{body}");
        assert!(
            r.json["error"]["message"].as_str().unwrap().contains(msg),
            "{body}: {}",
            r.text
        );
    }
    let shape = s
        .post(
            "/api/v1/rules",
            None,
            json!({"name": "x", "trigger": "purchase", "points": "1", "pionts": 2}),
        )
        .await;
    shape.err(422, "invalid_request");
    assert!(shape.text.contains("pionts"), "{}", shape.text);
    s.post("/api/v1/rules", None, json!([1, 2]))
        .await
        .err(422, "invalid_request");
    assert_eq!(s.get("/api/v1/rules").await.ok(200)["rules"], json!([]));
    // A task's link is kept with the definition, and changed with it.
    let task = s.post("/api/v1/rules", None, json!({"name": "晒单", "trigger": "review", "points": "20", "task_url": "https://shop.example/review?from=jifen"})).await;
    let task = task.ok(201).clone();
    let task_id = task["rule_id"].as_i64().unwrap();
    assert_eq!(
        task["definition"]["task_url"],
        "https://shop.example/review?from=jifen"
    );
    let edit = s
        .send(s.request(Method::PUT, &format!("/api/v1/rules/{task_id}")).json(&json!({"name": "晒单", "trigger": "review", "points": "20", "task_url": "/reviews"})))
        .await;
    assert_eq!(edit.ok(200)["definition"]["task_url"], "/reviews");
    let bad = s
        .send(s.request(Method::PUT, &format!("/api/v1/rules/{task_id}")).json(&json!({"name": "晒单", "trigger": "review", "points": "20", "task_url": "http://shop.example/x"})))
        .await;
    assert_eq!(bad.err(422, "invalid_request")["field"], "task_url");
    s.post(&format!("/api/v1/rules/{task_id}/archive"), None, json!({}))
        .await
        .ok(200);

    // Create as draft, activate, edit (version 2), pause, archive.
    let r = s.post("/api/v1/rules", Some("rule-1"), json!({"name": "满100送10", "trigger": "purchase", "condition": "order.amount >= 10000", "points": "10", "actor": "ops"})).await;
    let rule = r.ok(201).clone();
    let id = rule["rule_id"].as_i64().unwrap();
    assert_eq!(
        (rule["status"].as_str(), rule["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    assert!(s.post("/api/v1/rules", Some("rule-1"), json!({"name": "满100送10", "trigger": "purchase", "condition": "order.amount >= 10000", "points": "10", "actor": "ops"})).await.replayed());
    let m = s.create_member("u1").await;
    let out = s.purchase(m, "o-1", 12_000).await.ok(200).clone();
    assert!(out.get("rules").is_none(), "a draft does not pay");
    s.post(&format!("/api/v1/rules/{id}/activate"), None, json!({}))
        .await
        .ok(200);
    s.post(&format!("/api/v1/rules/{id}/activate"), None, json!({}))
        .await
        .err(409, "rule_status");
    let out = s.purchase(m, "o-2", 12_000).await.ok(200).clone();
    assert_eq!(out["total"]["points"], 130);
    assert_eq!(out["rules"][0]["outcome"], "fired");
    let edit = s
        .send(s.request(Method::PUT, &format!("/api/v1/rules/{id}")).json(&json!({"name": "满100送20", "trigger": "purchase", "condition": "order.amount >= 10000", "points": "20"})))
        .await;
    assert_eq!(edit.ok(200)["version"], 2);
    assert_eq!(
        s.purchase(m, "o-3", 12_000).await.ok(200)["awards"][0]["rule_version"],
        2
    );
    let small = s.purchase(m, "o-4", 5_000).await.ok(200).clone();
    assert_eq!(small["rules"][0]["outcome"], "condition_false");
    let got = s.get(&format!("/api/v1/rules/{id}")).await.ok(200).clone();
    assert_eq!(
        got["issued"],
        json!({"points": 30, "growth": 0, "members": 1})
    );
    assert_eq!(got["versions"].as_array().unwrap().len(), 2);
    s.post(&format!("/api/v1/rules/{id}/pause"), None, json!({}))
        .await
        .ok(200);
    assert!(
        s.purchase(m, "o-5", 12_000)
            .await
            .ok(200)
            .get("rules")
            .is_none()
    );
    assert_eq!(
        s.get("/api/v1/rules?status=paused").await.ok(200)["rules"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.get("/api/v1/rules?status=sleeping")
        .await
        .err(422, "invalid_request");
    s.post(&format!("/api/v1/rules/{id}/archive"), None, json!({}))
        .await
        .ok(200);
    s.post(&format!("/api/v1/rules/{id}/activate"), None, json!({}))
        .await
        .err(409, "rule_status");
    s.send(
        s.request(Method::PUT, &format!("/api/v1/rules/{id}"))
            .json(&json!({"name": "x", "trigger": "purchase", "points": "1"})),
    )
    .await
    .err(409, "rule_archived");
    s.get("/api/v1/rules/99999")
        .await
        .err(404, "rule_not_found");
    s.get("/api/v1/rules/abc").await.err(422, "invalid_request");
    let vars = s.get("/api/v1/rules/variables").await.ok(200).clone();
    assert!(
        vars["variables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "streak.day" && v["triggers"] == json!(["sign_in"]))
    );
    s.verify_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_explain_every_rule_and_replay_by_event_id() {
    let s = start(policy(0)).await;
    let r = s
        .post(
            "/api/v1/rules",
            None,
            json!({"name": "评价", "trigger": "review", "status": "active",
        "points": "10 + min(review.photos, 3) * 5", "caps": [{"period": "day", "max_count": 1}]}),
        )
        .await;
    r.ok(201);
    s.post("/api/v1/rules", None, json!({"name": "晒图", "trigger": "review", "status": "active", "condition": "review.photos > 0", "points": "7"})).await.ok(201);
    let m = s.create_member("u1").await;
    let body = json!({"event_id": "rv-1", "type": "review", "member": {"channel": "app", "external_id": "u1"},
        "attributes": {"text_length": 30, "photos": 2}});
    let first = s.post("/api/v1/events", None, body.clone()).await;
    let out = first.ok(200).clone();
    assert_eq!(out["awarded"]["points"], 27);
    assert_eq!(out["rules"].as_array().unwrap().len(), 2);
    let again = s.post("/api/v1/events", None, body.clone()).await;
    assert!(again.replayed());
    assert_eq!(again.json, out);
    let mut other = body.clone();
    other["attributes"]["photos"] = json!(0);
    s.post("/api/v1/events", None, other)
        .await
        .err(422, "idempotency_key_reused");
    let second = s
        .post(
            "/api/v1/events",
            None,
            json!({"event_id": "rv-2", "type": "review", "member": {"member_id": m}}),
        )
        .await;
    let explain = second.ok(200)["rules"].clone();
    assert_eq!(explain[0]["outcome"], "cap_reached");
    assert_eq!(explain[1]["outcome"], "condition_false");
    assert_eq!(s.available(m).await, 27);
    // Bad input is refused with the field named.
    s.post(
        "/api/v1/events",
        None,
        json!({"type": "review", "member": {"member_id": m}}),
    )
    .await
    .err(422, "invalid_request");
    s.post(
        "/api/v1/events",
        None,
        json!({"event_id": "x", "type": "purchase", "member": {"member_id": m}}),
    )
    .await
    .err(422, "invalid_request");
    s.post("/api/v1/events", None, json!({"event_id": "x", "type": "share", "member": {"member_id": m}, "attributes": {"n": "many"}})).await.err(422, "invalid_request");
    s.post(
        "/api/v1/events",
        None,
        json!({"event_id": "x", "type": "share", "member": {"member_id": 4242}}),
    )
    .await
    .err(404, "member_not_found");
    // Sign-ins: once a day by nature.
    s.post(
        "/api/v1/events",
        None,
        json!({"type": "sign_in", "member": {"member_id": m}}),
    )
    .await
    .ok(200);
    s.post(
        "/api/v1/events",
        None,
        json!({"type": "sign_in", "member": {"member_id": m}}),
    )
    .await
    .err(409, "already_signed_in");
    s.verify_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_and_backtests_price_a_campaign_without_writing() {
    let s = start(policy(0)).await;
    let m = s.create_member("u1").await;
    s.clock.set(START + 20 * 86_400_000);
    // Saturday 3 January 2026 and Monday 5 January, 10:00 in Shanghai.
    let sat = START + 2 * 86_400_000 + 2 * 3_600_000;
    let mon = START + 4 * 86_400_000 + 2 * 3_600_000;
    for (order, at, amount) in [("w1", sat, 30_000), ("w2", mon, 50_000)] {
        s.post("/api/v1/purchases", None, json!({"order_id": order, "member": {"member_id": m}, "amount_minor": amount, "currency": "CNY", "occurred_at": at})).await.ok(200);
    }
    let weekend = json!({"name": "周末双倍", "trigger": "purchase", "points": "base_points", "schedule": {"days_of_week": [6, 7]}});
    let dry = s.post("/api/v1/events/dry-run", None, json!({"purchase": {"order_id": "d", "member": {"member_id": m}, "amount_minor": 10_000, "currency": "CNY"},
        "at": sat, "rules": [weekend]})).await;
    let d = dry.ok(200).clone();
    assert_eq!(
        (
            d["dry_run"].as_bool(),
            d["awarded"]["points"].as_i64(),
            d["base"]["points"].as_i64()
        ),
        (Some(true), Some(100), Some(100))
    );
    s.post("/api/v1/events/dry-run", None, json!({"at": sat}))
        .await
        .err(422, "invalid_request");
    let r = s
        .post(
            "/api/v1/backtests",
            None,
            json!({"from": START, "to": START + 10 * 86_400_000, "rules": [weekend]}),
        )
        .await;
    let id = r.ok(201)["backtest_id"].as_str().unwrap().to_string();
    let mut result = Value::Null;
    for _ in 0..300 {
        let b = s
            .get(&format!("/api/v1/backtests/{id}"))
            .await
            .ok(200)
            .clone();
        if b["status"] == "done" {
            result = b["result"].clone();
            assert_eq!(b["events_done"], b["events_total"]);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(result["events"], 2);
    assert_eq!(
        result["proposed"]["points"], 300,
        "only Saturday's purchase doubles"
    );
    assert_eq!(result["change"]["points"], 300);
    s.get("/api/v1/backtests/bt_nope")
        .await
        .err(404, "backtest_not_found");
    s.post(
        "/api/v1/backtests",
        None,
        json!({"from": START, "to": START - 1}),
    )
    .await
    .err(422, "invalid_request");
    s.post(
        "/api/v1/backtests",
        None,
        json!({"from": START, "to": START + 1, "mode": "merge"}),
    )
    .await
    .err(422, "invalid_request");
    // Nothing was written by either.
    assert_eq!(s.available(m).await, 800);
    s.verify_clean().await;
}

/// A dry run evaluates, it does not refuse: a member who signed in today gets what that day's
/// sign-in pays, with a note in both languages that a real sign-in would be refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_of_a_sign_in_after_signing_in_evaluates_and_says_a_real_one_is_refused() {
    let s = start(policy(0)).await;
    let m = s.create_member("u1").await;
    s.post("/api/v1/rules", None, json!({"name": "签到", "trigger": "sign_in", "points": "streak.total * 10", "status": "active"}))
        .await
        .ok(201);
    let dry = json!({"event": {"type": "sign_in", "member": {"member_id": m}}});
    let before = s.post("/api/v1/events/dry-run", None, dry.clone()).await;
    let before = before.ok(200).clone();
    assert_eq!(before["awarded"]["points"], 10, "{before}");
    assert!(before.get("notes").is_none(), "{before}");
    let real = s
        .post(
            "/api/v1/events",
            None,
            json!({"type": "sign_in", "member": {"member_id": m}}),
        )
        .await;
    assert_eq!(real.ok(200)["awarded"]["points"], 10);
    let after = s.post("/api/v1/events/dry-run", None, dry).await;
    let after = after.ok(200).clone();
    // Evaluated as today's sign-in, the first in all: the same 10 points, not a second one's 20.
    assert_eq!(after["awarded"]["points"], 10, "{after}");
    assert_eq!(after["rules"][0]["outcome"], "fired", "{after}");
    let note = &after["notes"][0];
    assert_eq!(note["code"], "already_signed_in", "{after}");
    assert_eq!(note["day"], "2026-01-01", "{after}");
    assert!(
        note["message_zh"].as_str().unwrap().contains("已签到"),
        "{note}"
    );
    assert!(
        note["message_en"]
            .as_str()
            .unwrap()
            .contains("already signed in"),
        "{note}"
    );
    // Nothing was written: the member has the one sign-in's points.
    assert_eq!(s.available(m).await, 10);
    s.post(
        "/api/v1/events",
        None,
        json!({"type": "sign_in", "member": {"member_id": m}}),
    )
    .await
    .err(409, "already_signed_in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risk_holds_are_listed_released_and_rejected() {
    let s = start(policy(0)).await;
    let put = |body: Value| s.request(Method::PUT, "/api/v1/earn-settings").json(&body);
    s.send(put(
        json!({"risk": {"velocity": [{"by": "ip", "window_minutes": 10, "max_events": 1}]}}),
    ))
    .await
    .ok(200);
    let bad = s
        .send(put(
            json!({"risk": {"velocity": [{"by": "ip", "window_minutes": 0, "max_events": 1}]}}),
        ))
        .await;
    assert_eq!(bad.err(422, "invalid_request")["field"], "risk.velocity[0]");
    s.send(put(json!({"sign_in": {"reset": "fortnightly"}})))
        .await
        .err(422, "invalid_request");
    assert_eq!(
        s.get("/api/v1/earn-settings").await.ok(200)["risk"]["velocity"][0]["max_events"],
        1
    );
    s.post(
        "/api/v1/rules",
        None,
        json!({"name": "分享", "trigger": "share", "status": "active", "points": "50"}),
    )
    .await
    .ok(201);
    let m = s.create_member("u1").await;
    let share = |id: &str| json!({"event_id": id, "type": "share", "member": {"member_id": m}, "ip": "10.0.0.7"});
    assert!(
        s.post("/api/v1/events", None, share("s1"))
            .await
            .ok(200)
            .get("risk_hold")
            .is_none()
    );
    let held = s
        .post("/api/v1/events", None, share("s2"))
        .await
        .ok(200)
        .clone();
    let h1 = held["risk_hold"]["hold_id"].as_i64().unwrap();
    let held2 = s
        .post("/api/v1/events", None, share("s3"))
        .await
        .ok(200)
        .clone();
    let h2 = held2["risk_hold"]["hold_id"].as_i64().unwrap();
    assert_eq!(s.points(m).await["pending"], 100);
    let list = s.get("/api/v1/risk-holds").await.ok(200).clone();
    assert_eq!(list["holds"].as_array().unwrap().len(), 2);
    s.post(&format!("/api/v1/risk-holds/{h1}/release"), None, json!({}))
        .await
        .err(422, "invalid_request");
    s.post(
        &format!("/api/v1/risk-holds/{h1}/release"),
        None,
        json!({"actor": "risk"}),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/risk-holds/{h2}/reject"),
        None,
        json!({"actor": "risk", "note": "bot"}),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/risk-holds/{h2}/release"),
        None,
        json!({"actor": "risk"}),
    )
    .await
    .err(409, "hold_decided");
    s.post(
        "/api/v1/risk-holds/0/release",
        None,
        json!({"actor": "risk"}),
    )
    .await
    .err(422, "invalid_request");
    s.get("/api/v1/risk-holds?status=maybe")
        .await
        .err(422, "invalid_request");
    let p = s.points(m).await;
    assert_eq!(
        (p["available"].as_i64(), p["pending"].as_i64()),
        (Some(100), Some(0))
    );
    assert_eq!(
        s.get("/api/v1/risk-holds?status=rejected").await.ok(200)["holds"][0]["note"],
        "bot"
    );
    s.verify_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_are_configured_and_shown_over_http() {
    let s = start(policy(0)).await;
    let m = s.create_member("u1").await;
    s.get(&format!("/api/v1/members/{m}/tier"))
        .await
        .err(404, "tier_ladder_not_found");
    s.get("/api/v1/tiers")
        .await
        .err(404, "tier_ladder_not_found");
    let put = |body: Value| s.request(Method::PUT, "/api/v1/tiers").json(&body);
    let bad = s
        .send(put(
            json!({"metric": "growth", "window": {"kind": "calendar_year"}, "tiers": [
            {"code": "a", "name_zh": "甲", "name_en": "A", "threshold": 5}]}),
        ))
        .await;
    assert_eq!(
        bad.err(422, "invalid_request")["field"],
        "tiers[0].threshold"
    );
    s.send(put(
        json!({"metric": "spend", "window": {"kind": "calendar_year"}, "tiers": [
        {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
        {"code": "gold", "name_zh": "黄金会员", "name_en": "Gold", "threshold": 50000}]}),
    ))
    .await
    .ok(200);
    s.purchase(m, "o-1", 12_000).await.ok(200);
    let t = s
        .get(&format!("/api/v1/members/{m}/tier"))
        .await
        .ok(200)
        .clone();
    assert_eq!(
        (t["tier"].as_str(), t["message"].as_str()),
        (Some("normal"), Some("再消费 380 元升级黄金会员"))
    );
    let en = s
        .get(&format!("/api/v1/members/{m}/tier?locale=en"))
        .await
        .ok(200)
        .clone();
    assert_eq!(en["message"], "Spend 380 more to reach Gold");
    s.get(&format!("/api/v1/members/{m}/tier?locale=fr"))
        .await
        .err(422, "invalid_request");
    let up = s.purchase(m, "o-2", 38_000).await.ok(200).clone();
    assert_eq!(up["tier_change"]["to"], "gold");
    let manual = s
        .post(
            &format!("/api/v1/members/{m}/tier"),
            None,
            json!({"tier": "nope", "until": START + 86_400_000, "reason": "x", "actor": "cs"}),
        )
        .await;
    assert_eq!(manual.err(422, "invalid_request")["field"], "tier");
    s.verify_clean().await;
}

/// Every change made over the API is in the audit log in the calling key's name, in the
/// transaction of the change: rules, tiers, coupon templates, the catalog and its stock, orders,
/// transfers and the programme's settings. A refused change leaves no entry. The log reads back
/// newest first, filtered and paged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_through_the_api_is_audited_in_the_keys_name() {
    let s = start(policy(0)).await;
    let put = |path: &str, body: Value| s.request(Method::PUT, path).json(&body);
    let rule = json!({"name": "满100送10", "trigger": "purchase", "condition": "order.amount >= 10000", "points": "10"});
    let id = s.post("/api/v1/rules", None, rule.clone()).await.ok(201)["rule_id"]
        .as_i64()
        .unwrap();
    let mut v2 = rule.clone();
    v2["points"] = json!("20");
    s.send(put(&format!("/api/v1/rules/{id}"), v2))
        .await
        .ok(200);
    s.post(&format!("/api/v1/rules/{id}/activate"), None, json!({}))
        .await
        .ok(200);
    s.send(put(
        "/api/v1/tiers",
        json!({"metric": "spend", "window": {"kind": "calendar_year"}, "tiers": [
            {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0}]}),
    ))
    .await
    .ok(200);
    s.post(
        "/api/v1/coupon-templates",
        None,
        json!({"code": "off_10", "name_zh": "减10元", "name_en": "10 off",
               "kind": {"type": "amount_off", "amount_minor": 1000}, "validity": {"kind": "days", "days": 30}}),
    )
    .await
    .ok(201);
    s.post("/api/v1/coupon-templates/off_10/archive", None, json!({}))
        .await
        .ok(200);
    let cup = json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "drinkware", "kind": {"type": "physical"},
        "status": "on_sale", "skus": [{"sku": "CUP", "points": 100, "cash_minor": 0, "market_price_minor": 3500, "stock": 3}]});
    let item = s.post("/api/v1/mall/items", None, cup).await.ok(201)["id"]
        .as_i64()
        .unwrap();
    s.post("/api/v1/mall/skus/CUP/stock", None, json!({"delta": 2}))
        .await
        .ok(200);
    let (a, b) = (s.create_member("a1").await, s.create_member("b1").await);
    s.credit(a, 500).await;
    let order = json!({"member": {"member_id": a}, "sku": "CUP", "request_id": "o-1",
        "address": {"name": "李雷", "phone": "13900000000", "line": "北京市朝阳区建国路88号"}});
    let order = s.post("/api/v1/mall/orders", None, order).await.ok(201)["order_id"]
        .as_i64()
        .unwrap();
    s.post(
        &format!("/api/v1/mall/orders/{order}/ship"),
        None,
        json!({"carrier": "SF", "tracking_no": "SF100"}),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/mall/items/{item}/status"),
        None,
        json!({"status": "off_sale"}),
    )
    .await
    .ok(200);
    s.post(
        "/api/v1/transfers",
        Some("gift-1"),
        json!({"from": {"member_id": a}, "to": {"member_id": b}, "amount": 50}),
    )
    .await
    .ok(200);
    let mut program = s.get("/api/v1/program").await.ok(200).clone();
    program["name"] = json!("新名字");
    let body = json!({"name": program["name"], "timezone": program["timezone"], "policy": program["policy"]});
    s.send(put("/api/v1/program", body)).await.ok(200);

    // A refused change writes nothing.
    let before = s.get("/api/v1/audit?limit=200").await.ok(200)["items"]
        .as_array()
        .unwrap()
        .len();
    let mut broken = rule.clone();
    broken["condition"] = json!("order.amount >=");
    s.post("/api/v1/rules", None, broken)
        .await
        .err(422, "invalid_request");
    let log = s.get("/api/v1/audit?limit=200").await.ok(200).clone();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), before, "{log}");
    assert_eq!(log["next_before"], Value::Null);

    let actions: Vec<&str> = items
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "rule.create",
            "rule.update",
            "rule.activate",
            "tiers.put",
            "coupon_template.create",
            "coupon_template.archived",
            "mall_item.create",
            "mall_sku.stock",
            "points.adjust",
            "mall_order.ship",
            "mall_item.off_sale",
            "member.transfer",
            "program.update",
        ],
        "{log}"
    );
    for e in items {
        let actor = e["actor"].as_str().unwrap();
        assert!(
            actor.starts_with("api_key:") && actor.ends_with("(default)"),
            "{e}"
        );
    }
    let update = items.iter().find(|e| e["action"] == "rule.update").unwrap();
    assert_eq!(update["target"], format!("rule:{id}"));
    let (old, new): (Value, Value) = (
        serde_json::from_str(update["before"].as_str().unwrap()).unwrap(),
        serde_json::from_str(update["after"].as_str().unwrap()).unwrap(),
    );
    assert_eq!(
        (old["points"].as_str(), new["points"].as_str()),
        (Some("10"), Some("20"))
    );
    let ship = items
        .iter()
        .find(|e| e["action"] == "mall_order.ship")
        .unwrap();
    assert_eq!(
        (ship["before"].as_str(), ship["after"].as_str()),
        (Some("paid"), Some("shipped"))
    );
    let renamed = items
        .iter()
        .find(|e| e["action"] == "program.update")
        .unwrap();
    assert!(
        renamed["after"].as_str().unwrap().contains("新名字"),
        "{renamed}"
    );

    // Filtered by action, and paged newest first with next_before.
    let one = s
        .get("/api/v1/audit?action=rule.update")
        .await
        .ok(200)
        .clone();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let page = s.get("/api/v1/audit?limit=2").await.ok(200).clone();
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.len() == 2 && ids[0] > ids[1], "{page}");
    assert_eq!(page["next_before"], ids[1]);
    let next = s
        .get(&format!("/api/v1/audit?limit=2&before={}", ids[1]))
        .await
        .ok(200)
        .clone();
    assert!(
        next["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"].as_i64().unwrap() < ids[1]),
        "{next}"
    );
    for bad in ["limit=0", "limit=201", "before=0", "limit=x", "color=red"] {
        s.get(&format!("/api/v1/audit?{bad}"))
            .await
            .err(422, "invalid_request");
    }
}

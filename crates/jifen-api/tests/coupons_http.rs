//! Coupons, tier benefits and the outbox over real HTTP: templates validated with the field,
//! issue with a retried key, validate and redeem from a checkout, release, a member's
//! benefits, and tier changes read from the outbox.

mod common;

use common::{policy, start};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_validates_redeems_and_releases_coupons_and_reads_benefits() {
    let s = start(policy(0)).await;
    let bad = s
        .post(
            "/api/v1/coupon-templates",
            None,
            json!({"code": "x", "name_zh": "券", "name_en": "c", "kind": {"type": "percent_off", "percent": 120},
                   "validity": {"kind": "days", "days": 10}}),
        )
        .await;
    assert_eq!(bad.err(422, "invalid_request")["field"], "percent");
    s.post(
        "/api/v1/coupon-templates",
        None,
        json!({"code": "x", "kind": "nope"}),
    )
    .await
    .err(422, "invalid_request");
    let t = s
        .post(
            "/api/v1/coupon-templates",
            None,
            json!({"code": "off_10_50", "name_zh": "满50减10", "name_en": "10 off 50",
                   "kind": {"type": "amount_off", "amount_minor": 1000}, "threshold_minor": 5000,
                   "validity": {"kind": "days", "days": 30}}),
        )
        .await;
    assert_eq!(t.ok(201)["status"], "active");
    s.post(
        "/api/v1/coupon-templates",
        None,
        json!({"code": "free_ship", "name_zh": "免邮券", "name_en": "Free shipping",
               "kind": {"type": "free_shipping"}, "validity": {"kind": "days", "days": 30}}),
    )
    .await
    .ok(201);
    let m = s.create_member("cu1").await;
    let issue = json!({"template": "off_10_50", "idempotency_key": "welcome-cu1"});
    let c = s
        .post(&format!("/api/v1/members/{m}/coupons"), None, issue.clone())
        .await;
    let code = c.ok(201)["code"].as_str().unwrap().to_string();
    let again = s
        .post(&format!("/api/v1/members/{m}/coupons"), None, issue)
        .await;
    assert_eq!(again.ok(201)["code"], code.as_str());
    s.post(
        &format!("/api/v1/members/{m}/coupons"),
        None,
        json!({"template": "nope", "idempotency_key": "k"}),
    )
    .await
    .err(404, "coupon_template_not_found");
    s.post(
        "/api/v1/members/abc/coupons",
        None,
        json!({"template": "off_10_50", "idempotency_key": "k"}),
    )
    .await
    .err(422, "invalid_request");
    let listed = s
        .get(&format!("/api/v1/members/{m}/coupons?status=issued"))
        .await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 1);
    s.get(&format!("/api/v1/members/{m}/coupons?status=used"))
        .await
        .err(422, "invalid_request");
    // The checkout: below the threshold, then a quote, then the redemption.
    let cart = |goods: i64| json!({"goods_minor": goods, "shipping_minor": 600});
    let low = s
        .post(
            "/api/v1/coupons/validate",
            None,
            json!({"code": code, "member_id": m, "cart": cart(4_999)}),
        )
        .await;
    assert_eq!(
        low.err(409, "coupon_below_threshold")["reason"],
        "below_threshold"
    );
    s.post(
        "/api/v1/coupons/validate",
        None,
        json!({"code": code, "member_id": m, "cart": {"goods_minor": -1}}),
    )
    .await
    .err(422, "invalid_request");
    let q = s
        .post(
            "/api/v1/coupons/validate",
            None,
            json!({"code": code, "member_id": m, "cart": cart(8_000)}),
        )
        .await;
    assert_eq!(q.ok(200)["to_pay_minor"], 7_600);
    let body = json!({"code": code, "member_id": m, "cart": cart(8_000), "order_id": "so-1"});
    s.post("/api/v1/coupons/redeem", Some("redeem-so-1"), body.clone())
        .await
        .ok(200);
    assert!(
        s.post("/api/v1/coupons/redeem", Some("redeem-so-1"), body)
            .await
            .replayed()
    );
    s.post(
        "/api/v1/coupons/redeem",
        None,
        json!({"code": code, "member_id": m, "cart": cart(8_000), "order_id": "so-2"}),
    )
    .await
    .err(409, "coupon_already_redeemed");
    let rel = s
        .post(
            &format!("/api/v1/coupons/{code}/release"),
            None,
            json!({"order_id": "so-1"}),
        )
        .await;
    assert_eq!(rel.ok(200)["status"], "issued");
    // Benefits: a ladder whose top tier grants priority service and a tier-up coupon.
    let ladder = json!({"metric": "growth", "window": {"kind": "rolling_months", "months": 12}, "tiers": [
        {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
        {"code": "vip", "name_zh": "VIP", "name_en": "VIP", "threshold": 100,
         "benefits": {"priority_service": true, "member_price_pct": 90, "tier_up_gift": {"points": 20, "coupon": "free_ship"}}}]});
    let put = s
        .send(
            s.request(reqwest::Method::PUT, "/api/v1/tiers")
                .json(&ladder),
        )
        .await;
    put.ok(200);
    let before = s.get(&format!("/api/v1/members/{m}/benefits")).await;
    assert_eq!(before.ok(200)["priority_service"], false);
    let p = s.purchase(m, "o-vip", 10_000).await;
    assert_eq!(p.ok(200)["tier_change"]["gift"]["points"], 20);
    let after = s.get(&format!("/api/v1/members/{m}/benefits")).await;
    let after = after.ok(200);
    assert_eq!(
        (
            after["tier"].as_str(),
            after["priority_service"].as_bool(),
            after["member_price_pct"].as_i64()
        ),
        (Some("vip"), Some(true), Some(90))
    );
    assert_eq!(after["coupons"].as_array().unwrap().len(), 2);
    s.get("/api/v1/members/999999/benefits")
        .await
        .err(404, "member_not_found");
    s.post(
        "/api/v1/coupons/validate",
        None,
        json!({"code": "NOPE", "member_id": m, "cart": cart(8_000)}),
    )
    .await
    .err(404, "coupon_not_found");
    // The outbox: tier changes and coupons, oldest first, resumable from the last id.
    let all = s.get("/api/v1/outbox?topic=tier.changed").await;
    let items = all.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["payload"]["to"], "vip");
    let next = s
        .get(&format!("/api/v1/outbox?after={}", items[0]["id"]))
        .await;
    assert!(
        next.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"].as_i64() > items[0]["id"].as_i64())
    );
    s.get("/api/v1/outbox?limit=0")
        .await
        .err(422, "invalid_request");
    s.get("/api/v1/outbox?after=x")
        .await
        .err(422, "invalid_request");
    s.verify_clean().await;
}

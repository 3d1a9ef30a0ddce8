//! The mall over real HTTP: images uploaded and served publicly, items validated with the field,
//! a member's catalog with points short, an order paid and shipped, a lucky-wheel draw, and a
//! checkout quote.

mod common;

use common::{policy, start};
use reqwest::Method;
use serde_json::{Value, json};

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\x64\x60\xf8\x5f\x0f\x00\x02\x87\x01\x80\xeb\x47\xba\x92\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_browse_order_draw_and_quote_through_the_api() {
    let s = start(policy(0)).await;
    // Images: the declared type must match the bytes; served to anyone, cached.
    let up = |ct: &'static str, body: Vec<u8>| {
        s.send(
            s.request(Method::POST, "/api/v1/mall/images")
                .header("Content-Type", ct)
                .body(body),
        )
    };
    let bad = up("image/jpeg", PNG.to_vec()).await;
    assert_eq!(bad.err(422, "invalid_request")["field"], "content_type");
    up("image/png", b"hello".to_vec())
        .await
        .err(422, "invalid_request");
    // A hostile SVG keeps only what draws: its handler and script are gone from what is served.
    let svg = up(
        "image/svg+xml",
        b"<svg onload=\"alert(1)\"><script>alert(2)</script><rect width=\"5\" height=\"5\"/></svg>"
            .to_vec(),
    )
    .await;
    let svg = svg.ok(201).clone();
    let served = s
        .client
        .get(s.url(svg["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(served, "<svg><rect width=\"5\" height=\"5\"/></svg>");
    up("image/svg+xml", b"<svg><rect></svg>".to_vec())
        .await
        .err(422, "invalid_request");
    let img = up("image/png", PNG.to_vec()).await;
    let img = img.ok(201).clone();
    let again = up("image/png", PNG.to_vec()).await;
    assert_eq!(again.ok(201)["image_id"], img["image_id"], "stored once");
    let media = s
        .client
        .get(s.url(img["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(media.headers()["content-type"], "image/png");
    assert!(
        media.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    // What is served is the picture encoded again (no metadata rides along): still a PNG.
    let served = media.bytes().await.unwrap();
    assert!(served.starts_with(b"\x89PNG\r\n\x1a\n"), "{served:?}");
    // The member centre's copy: a 1×1 picture is its own.
    let thumb = s
        .client
        .get(s.url(&format!("{}/thumb", img["url"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.bytes().await.unwrap(), served);
    let missing = s.client.get(s.url("/media/999999")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    // Items: errors name the field; an image must exist.
    let mut cup = json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "drinkware", "kind": {"type": "physical"},
        "status": "on_sale", "images": [img["image_id"]],
        "skus": [{"sku": "CUP", "points": 1000, "cash_minor": 990, "market_price_minor": 3500, "stock": 3}]});
    let mut broken = cup.clone();
    broken["skus"][0]["points"] = json!(-5);
    assert_eq!(
        s.post("/api/v1/mall/items", None, broken)
            .await
            .err(422, "invalid_request")["field"],
        "skus[0].points"
    );
    let mut broken = cup.clone();
    broken["images"] = json!([424242]);
    assert_eq!(
        s.post("/api/v1/mall/items", None, broken)
            .await
            .err(422, "invalid_request")["field"],
        "images[0]"
    );
    let created = s.post("/api/v1/mall/items", None, cup.clone()).await;
    let item_id = created.ok(201)["id"].as_i64().unwrap();
    cup["skus"][0]["stock"] = json!(3);
    s.post("/api/v1/mall/items", None, cup)
        .await
        .err(422, "invalid_request");
    s.get("/api/v1/mall/items/abc")
        .await
        .err(422, "invalid_request");
    s.get("/api/v1/mall/items/99999")
        .await
        .err(404, "mall_item_not_found");
    // A member's view, then an order paid and shipped.
    let m = s.create_member("mall1").await;
    s.credit(m, 600).await;
    let view = s.get(&format!("/api/v1/members/{m}/mall?locale=en")).await;
    let sku = &view.ok(200)["items"][0]["skus"][0];
    assert_eq!(
        (sku["points_short"].as_i64(), sku["message"].as_str()),
        (Some(400), Some("Earn 400 more points to redeem"))
    );
    s.get(&format!("/api/v1/members/{m}/mall?locale=fr"))
        .await
        .err(422, "invalid_request");
    let order = json!({"member": {"member_id": m}, "sku": "CUP", "request_id": "web-1",
        "address": {"name": "李雷", "phone": "13900000000", "line": "北京市朝阳区建国路88号"}});
    // The receiver's phone is a mainland mobile number, named as the field at fault.
    let mut bad = order.clone();
    bad["address"]["phone"] = json!("12345");
    let r = s.post("/api/v1/mall/orders", None, bad).await;
    r.err(422, "invalid_request");
    assert!(r.text.contains("address.phone"), "{}", r.text);
    s.post("/api/v1/mall/orders", None, order.clone())
        .await
        .err(422, "insufficient_points");
    s.credit(m, 400).await;
    let placed = s.post("/api/v1/mall/orders", None, order.clone()).await;
    let placed = placed.ok(201).clone();
    assert_eq!(placed["state"], "pending_payment");
    let id = placed["order_id"].as_i64().unwrap();
    assert_eq!(
        s.post("/api/v1/mall/orders", None, order).await.ok(201)["order_id"],
        id
    );
    s.post(&format!("/api/v1/mall/orders/{id}/ship"), None, json!({}))
        .await
        .err(409, "order_state");
    s.post(
        &format!("/api/v1/mall/orders/{id}/pay"),
        Some("pay-1"),
        json!({"payment_ref": "wx-1"}),
    )
    .await
    .ok(200);
    let shipped = s
        .post(
            &format!("/api/v1/mall/orders/{id}/ship"),
            None,
            json!({"carrier": "SF", "tracking_no": "SF0001"}),
        )
        .await;
    assert_eq!(shipped.ok(200)["state"], "shipped");
    let listed = s.get(&format!("/api/v1/mall/orders?member_id={m}")).await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 1);
    for q in [format!("{id}"), "SF0001".to_string()] {
        let found = s.get(&format!("/api/v1/mall/orders?q={q}")).await;
        assert_eq!(found.ok(200)["items"][0]["order_id"], id, "{q}");
    }
    let none = s.get("/api/v1/mall/orders?q=SF9999").await;
    assert_eq!(none.ok(200)["items"].as_array().unwrap().len(), 0);
    s.get("/api/v1/mall/orders?state=lost")
        .await
        .err(422, "invalid_request");
    let got = s.get(&format!("/api/v1/mall/items/{item_id}")).await;
    assert_eq!(got.ok(200)["skus"][0]["stock"], 2);
    // A lucky wheel and a draw; its audit entry recomputes.
    let wheel = json!({"code": "wheel", "name_zh": "大转盘", "name_en": "Wheel", "style": "wheel", "cost_points": 0,
        "prizes": [{"code": "p", "name_zh": "10积分", "name_en": "10 points", "odds_ppm": 1000000, "stock": 1, "reward": {"type": "points", "points": 10}}],
        "consolation": {"name_zh": "谢谢参与", "name_en": "Thanks", "reward": {"type": "nothing"}}});
    s.post("/api/v1/lotteries", None, wheel).await.ok(201);
    let draw = json!({"member": {"member_id": m}, "request_id": "d1"});
    s.post("/api/v1/lotteries/wheel/draws", None, draw.clone())
        .await
        .err(409, "no_draws_left");
    s.post(
        "/api/v1/lotteries/wheel/grants",
        None,
        json!({"member_id": m, "count": 2}),
    )
    .await
    .ok(200);
    let d = s.post("/api/v1/lotteries/wheel/draws", None, draw).await;
    assert_eq!(d.ok(200)["prize"], "p");
    let d2 = s
        .post(
            "/api/v1/lotteries/wheel/draws",
            None,
            json!({"member": {"member_id": m}, "request_id": "d2"}),
        )
        .await;
    assert_eq!(d2.ok(200)["consolation"], true, "the only prize is gone");
    let audit = s.get("/api/v1/lotteries/wheel/draws").await;
    assert!(
        audit.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["recomputes"] == true)
    );
    s.get("/api/v1/lotteries/nope")
        .await
        .err(404, "lottery_not_found");
    // Checkout: not configured, then a quote.
    s.post(
        "/api/v1/checkout/quote",
        None,
        json!({"member": {"member_id": m}, "order_total_minor": 10000}),
    )
    .await
    .err(404, "checkout_settings_not_found");
    let put = s
        .send(
            s.request(Method::PUT, "/api/v1/checkout/settings")
                .json(&json!({"points_per_unit": 100, "max_share_pct": 0})),
        )
        .await;
    assert_eq!(put.err(422, "invalid_request")["field"], "max_share_pct");
    s.send(
        s.request(Method::PUT, "/api/v1/checkout/settings")
            .json(&json!({"points_per_unit": 100, "max_share_pct": 50})),
    )
    .await
    .ok(200);
    let q = s
        .post(
            "/api/v1/checkout/quote",
            None,
            json!({"member": {"member_id": m}, "order_total_minor": 10000}),
        )
        .await;
    assert_eq!(q.ok(200)["max_points"], 10);
    s.verify_clean().await;
}

/// The black-box story of the trust review: the reservation a points + cash order shows is
/// voided directly, then the jobs run for two programmes. The void is refused naming the order,
/// and both programmes' jobs run; the checkout deduction is settled through its own endpoints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orders_reservation_is_refused_around_it_and_every_programmes_jobs_run() {
    let s = start(policy(0)).await;
    let app = s.app.clone();
    let other = tokio::task::spawn_blocking(move || {
        app.create_program("t2", "Other", "CNY", "Asia/Shanghai", policy(0))
            .unwrap()
    })
    .await
    .unwrap();
    let cup = json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "drinkware", "kind": {"type": "virtual"},
        "status": "on_sale", "skus": [{"sku": "CUP", "points": 1000, "cash_minor": 990, "stock": 3}]});
    s.post("/api/v1/mall/items", None, cup).await.ok(201);
    let m = s
        .post(
            "/api/v1/members",
            None,
            json!({"identities": [{"channel": "app", "external_id": "u1"}]}),
        )
        .await
        .ok(201)["member_id"]
        .as_i64()
        .unwrap();
    s.post(
        "/api/v1/adjustments",
        Some("grant-1"),
        json!({"member": {"member_id": m}, "delta": 3000, "reason": "开户赠送", "actor": "ops"}),
    )
    .await
    .ok(200);
    let o = s
        .post(
            "/api/v1/mall/orders",
            Some("o-1"),
            json!({"member": {"member_id": m}, "sku": "CUP", "quantity": 1, "request_id": "o-1"}),
        )
        .await;
    let o = o.ok(201).clone();
    assert_eq!(o["state"], "pending_payment");
    let r = o["reservation_id"].as_i64().unwrap();
    let d = s
        .post(&format!("/api/v1/reservations/{r}/void"), None, json!({}))
        .await;
    let d = d.err(409, "reservation_owned");
    assert_eq!(
        d["owner"],
        json!({"kind": "mall_order", "order_id": o["order_id"]})
    );
    s.post(
        &format!("/api/v1/spends/{r}/refunds"),
        Some("rf-1"),
        json!({}),
    )
    .await
    .err(409, "reservation_owned");
    // A deduction at the merchant's checkout is settled through its own endpoints only.
    s.send(
        s.request(Method::PUT, "/api/v1/checkout/settings")
            .json(&json!({"points_per_unit": 100, "max_share_pct": 50, "hold_seconds": 59})),
    )
    .await
    .err(422, "invalid_request");
    s.send(
        s.request(Method::PUT, "/api/v1/checkout/settings")
            .json(&json!({"points_per_unit": 100, "max_share_pct": 50, "hold_seconds": 300})),
    )
    .await
    .ok(200);
    let ded = s
        .post(
            "/api/v1/checkout/deductions",
            None,
            json!({"member": {"member_id": m}, "order_id": "SO-9", "order_total_minor": 10000, "points": 1000}),
        )
        .await;
    let dr = ded.ok(201)["reservation_id"].as_i64().unwrap();
    s.post(&format!("/api/v1/reservations/{dr}/post"), None, json!({}))
        .await
        .err(409, "reservation_owned");
    s.post(
        &format!("/api/v1/checkout/deductions/{r}/post"),
        None,
        json!({}),
    )
    .await
    .err(404, "checkout_deduction_not_found");
    s.post(
        &format!("/api/v1/checkout/deductions/{dr}/post"),
        None,
        json!({}),
    )
    .await
    .ok(200);
    let back = s
        .post(
            &format!("/api/v1/checkout/deductions/{dr}/refunds"),
            Some("ded-rf-1"),
            json!({"amount": 400}),
        )
        .await;
    assert_eq!(back.ok(200)["restored"], 400);
    // The jobs, a day later: the order times out through itself in one programme and the other
    // programme's jobs run too.
    s.clock.set(common::START + 86_400_000);
    let app = s.app.clone();
    let runs = tokio::task::spawn_blocking(move || app.run_all_jobs().unwrap())
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    for p in &runs {
        let r = p.report.as_ref().expect("jobs ran");
        assert!(r.failures.is_empty(), "{:?}", r.failures);
    }
    let mine = runs.iter().find(|p| p.program == s.pid).unwrap();
    assert_eq!(mine.report.as_ref().unwrap().mall_orders_timed_out, 1);
    assert!(runs.iter().any(|p| p.program == other.id));
    let o = s
        .get(&format!("/api/v1/mall/orders/{}", o["order_id"]))
        .await;
    assert_eq!(o.ok(200)["state"], "timed_out");
    let bal = s.get(&format!("/api/v1/members/{m}/balance")).await;
    assert_eq!(bal.ok(200)["points"]["available"], 3000 - 600);
    s.verify_clean().await;
}

/// Asserts one audit entry of `action`, in the API key's name.
async fn audited_once_by_the_key(s: &common::Server, action: &str) {
    let log = s
        .get(&format!("/api/v1/audit?action={action}"))
        .await
        .ok(200)
        .clone();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert!(
        items[0]["actor"].as_str().unwrap().starts_with("api_key:"),
        "{log}"
    );
}

/// The merchant's payment link over the API: read with its defaults, a bad one refused with
/// its field, a good one kept, audited in the key's name, and filling the window of new orders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payment_link_is_set_over_the_api() {
    let s = start(policy(0)).await;
    let path = "/api/v1/mall/payment-settings";
    let got = s.get(path).await;
    assert_eq!(
        got.ok(200),
        &json!({"payment_url": null, "pay_window_minutes": 30})
    );
    for (body, field) in [
        (
            json!({"payment_url": "http://pay.example/?o={order_id}"}),
            "payment_url",
        ),
        (
            json!({"payment_url": "https://pay.example/?o={oops}"}),
            "payment_url",
        ),
        (
            json!({"payment_url": "https://pay.example/?o={order_id}", "pay_window_minutes": 1}),
            "pay_window_minutes",
        ),
    ] {
        let r = s.send(s.request(Method::PUT, path).json(&body)).await;
        assert_eq!(r.err(422, "invalid_request")["field"], field, "{body}");
    }
    let url =
        "https://pay.shop.example/jifen?order={order_id}&amount={cash_minor}&return={return_url}";
    let put = s
        .send(
            s.request(Method::PUT, path)
                .json(&json!({"payment_url": url, "pay_window_minutes": 90})),
        )
        .await;
    assert_eq!(put.ok(200)["payment_url"], url);
    assert_eq!(s.get(path).await.ok(200)["pay_window_minutes"], 90);
    audited_once_by_the_key(&s, "mall_payment.update").await;
    // A points + cash order placed now waits 90 minutes.
    s.post(
        "/api/v1/mall/items",
        None,
        json!({"name_zh": "电影票", "name_en": "Cinema", "category": "fun", "kind": {"type": "virtual"},
               "status": "on_sale", "skus": [{"sku": "MOVIE", "points": 100, "cash_minor": 990, "stock": 3}]}),
    )
    .await
    .ok(201);
    let m = s.create_member("payer").await;
    s.credit(m, 500).await;
    let o = s
        .post(
            "/api/v1/mall/orders",
            None,
            json!({"member": {"member_id": m}, "sku": "MOVIE", "request_id": "pay-1"}),
        )
        .await;
    let o = o.ok(201).clone();
    assert_eq!(
        o["pay_deadline"].as_i64().unwrap() - o["created_at"].as_i64().unwrap(),
        90 * 60_000
    );
}

/// Answers asked for with `Accept-Encoding: gzip` come gzip-encoded and decode to the plain
/// answer; a PNG picture, already compressed, comes as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_gzipped_when_asked_and_pictures_are_not() {
    let s = start(policy(0)).await;
    let get = |path: String, gzip: bool| {
        let mut rb = s.request(Method::GET, &path);
        if gzip {
            rb = rb.header("accept-encoding", "gzip");
        }
        rb.send()
    };
    let plain = get("/api/openapi.json".into(), false).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    let zipped = get("/api/openapi.json".into(), true).await.unwrap();
    assert_eq!(zipped.status(), 200);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let body = zipped.bytes().await.unwrap();
    assert!(
        body.len() * 4 < plain.len(),
        "{} of {}",
        body.len(),
        plain.len()
    );
    let unzipped = jifen_testkit::gunzip(&body);
    assert_eq!(unzipped, plain.to_vec());
    let img = s
        .send(
            s.request(Method::POST, "/api/v1/mall/images")
                .header("Content-Type", "image/png")
                .body(PNG.to_vec()),
        )
        .await;
    let url = img.ok(201)["url"].as_str().unwrap().to_string();
    let picture = get(url, true).await.unwrap();
    assert_eq!(picture.headers()["content-type"], "image/png");
    assert!(picture.headers().get("content-encoding").is_none());
    assert!(picture.bytes().await.unwrap().starts_with(b"\x89PNG"));
}

/// The mall's categories over the API: none at first, a bad list refused with the path of its
/// field and nothing kept, a good one kept in the order given and audited in the key's name,
/// and a member's catalog naming its items' categories in that order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_are_named_and_ordered_over_the_api() {
    let s = start(policy(0)).await;
    let path = "/api/v1/mall/categories";
    assert_eq!(s.get(path).await.ok(200), &json!({"categories": []}));
    let c = |code: &str, zh: &str, en: &str| json!({"code": code, "name_zh": zh, "name_en": en});
    for (list, field) in [
        (
            vec![c("beans", "咖啡豆", "Beans"), c("beans", "豆子", "Beans")],
            "categories[1].code",
        ),
        (vec![c("bad code", "咖啡豆", "Beans")], "categories[0].code"),
        (
            vec![c(
                "beans",
                "咖啡豆咖啡豆咖啡豆咖啡豆咖啡豆咖啡豆咖啡豆",
                "Beans",
            )],
            "categories[0].name_zh",
        ),
        (vec![c("beans", "咖啡豆", " ")], "categories[0].name_en"),
    ] {
        let r = s
            .send(
                s.request(Method::PUT, path)
                    .json(&json!({"categories": list})),
            )
            .await;
        assert_eq!(r.err(422, "invalid_request")["field"], field, "{list:?}");
    }
    let many: Vec<_> = (0..51).map(|i| c(&format!("c{i}"), "名", "N")).collect();
    let r = s
        .send(
            s.request(Method::PUT, path)
                .json(&json!({"categories": many})),
        )
        .await;
    assert_eq!(r.err(422, "invalid_request")["field"], "categories");
    assert_eq!(s.get(path).await.ok(200), &json!({"categories": []}));
    let list = json!({"categories": [c("drinkware", "杯具", "Drinkware"), c("beans", "咖啡豆", "Coffee beans")]});
    let put = s.send(s.request(Method::PUT, path).json(&list)).await;
    assert_eq!(put.ok(200), &list);
    assert_eq!(s.get(path).await.ok(200), &list);
    audited_once_by_the_key(&s, "mall_categories.update").await;
    // A member's catalog: the named categories of its items in the merchant's order, then a
    // code nobody named, by its code.
    for (sku, category) in [("BEANS", "beans"), ("TEE", "tees"), ("MUG", "drinkware")] {
        s.post(
            "/api/v1/mall/items",
            None,
            json!({"name_zh": sku, "name_en": sku, "category": category, "kind": {"type": "virtual"},
                   "status": "on_sale", "skus": [{"sku": sku, "points": 10, "stock": 3}]}),
        )
        .await
        .ok(201);
    }
    let m = s.create_member("browser").await;
    let cat = s.get(&format!("/api/v1/members/{m}/mall")).await;
    let names: Vec<(String, String)> = cat.ok(200)["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["name_en"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("drinkware".to_string(), "Drinkware".to_string()),
            ("beans".to_string(), "Coffee beans".to_string()),
            ("tees".to_string(), "tees".to_string()),
        ]
    );
}

/// Shipping many orders in one request: a malformed body is a 422 naming what is wrong; each
/// row answered on its own (shipped, refused with a code), and the same rows again ship nothing
/// twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_ship_in_a_batch_row_by_row() {
    let s = start(policy(0)).await;
    let mug = json!({"name_zh": "马克杯", "name_en": "Mug", "category": "home", "kind": {"type": "physical"},
        "status": "on_sale", "skus": [{"sku": "MUG", "points": 100, "stock": 10}]});
    s.post("/api/v1/mall/items", None, mug).await.ok(201);
    let m = s.create_member("batch1").await;
    s.credit(m, 1_000).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let o = json!({"member": {"member_id": m}, "sku": "MUG", "request_id": format!("b-{i}"),
            "address": {"name": "李雷", "phone": "13900000000", "line": "建国路88号"}});
        let placed = s.post("/api/v1/mall/orders", None, o).await;
        assert_eq!(placed.ok(201)["state"], "paid");
        ids.push(placed.ok(201)["order_id"].as_i64().unwrap());
    }
    let path = "/api/v1/mall/orders/ship-batch";
    for bad in [
        json!({}),
        json!({"rows": "1,SF,T1"}),
        json!({"rows": [{"order": "1", "carrier": "SF"}]}),
        json!({"rows": [{"order": "1", "carrier": "SF", "tracking_no": "T", "extra": 1}]}),
        json!({"rows": []}),
    ] {
        let r = s.post(path, None, bad.clone()).await;
        r.err(422, "invalid_request");
    }
    let rows = json!({"rows": [
        {"order": ids[0].to_string(), "carrier": "SF", "tracking_no": "SF001"},
        {"order": format!("#{}", ids[1]), "carrier": "ZTO Express", "tracking_no": "ZT002"},
        {"order": ids[2].to_string(), "carrier": "Pigeon", "tracking_no": "P003"},
        {"order": "999999", "carrier": "SF", "tracking_no": "SF004"},
        {"order": ids[0].to_string(), "carrier": "SF", "tracking_no": "SF001"},
    ]});
    let r = s.post(path, None, rows.clone()).await;
    let v = r.ok(200).clone();
    assert_eq!(
        (&v["shipped"], &v["already_shipped"], &v["refused"]),
        (&json!(2), &json!(0), &json!(3)),
        "{v}"
    );
    let codes: Vec<Value> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!([l["line"], l["outcome"], l["refusal"]]))
        .collect();
    assert_eq!(
        codes,
        vec![
            json!([1, "shipped", null]),
            json!([2, "shipped", null]),
            json!([3, "refused", "unknown_carrier"]),
            json!([4, "refused", "unknown_order"]),
            json!([5, "refused", "duplicate_line"]),
        ]
    );
    let o = s.get(&format!("/api/v1/mall/orders/{}", ids[1])).await;
    assert_eq!(
        (&o.ok(200)["carrier"], &o.ok(200)["tracking_no"]),
        (&json!("ZTO"), &json!("ZT002"))
    );
    // Again: nothing is shipped twice.
    let again = s.post(path, None, rows).await;
    let again = again.ok(200);
    assert_eq!(
        (&again["shipped"], &again["already_shipped"]),
        (&json!(0), &json!(2))
    );
    // Too many rows is refused whole.
    let many: Vec<Value> = (0..=jifen_app::mall::SHIP_BATCH_MAX)
        .map(|i| json!({"order": "1", "carrier": "SF", "tracking_no": format!("T{i}")}))
        .collect();
    let r = s.post(path, None, json!({"rows": many})).await;
    assert_eq!(r.err(422, "invalid_request")["field"], "rows");
}

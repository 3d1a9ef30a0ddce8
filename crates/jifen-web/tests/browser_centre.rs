//! The member centre's mall in a real headless Chromium at phone size: a member opens their
//! link, goes to the mall, opens an item, redeems it in three steps (choose, confirm with an
//! address, pay with points) and sees the order; then their orders, coupons and the lucky
//! wheel; and a points + cash item posted home, paid on a stand-in for the merchant's payment
//! page and confirmed over the API. Screenshots of each page are kept under
//! `target/screenshots/`.

mod cdp;
mod common;

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use jifen_app::App;
use jifen_ledger::MemberId;
use serde_json::json;

/// Catalog pictures, drawn as SVG (uploaded like any image).
fn picture(bg: (&str, &str), body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 200\"><defs><linearGradient id=\"g\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\"><stop offset=\"0\" stop-color=\"{}\"/><stop offset=\"1\" stop-color=\"{}\"/></linearGradient></defs><rect width=\"200\" height=\"200\" fill=\"url(#g)\"/>{body}</svg>",
        bg.0, bg.1
    )
}

fn pictures() -> Vec<String> {
    vec![
        // A vacuum cup.
        picture(
            ("#fbeee6", "#f1d3bf"),
            "<ellipse cx=\"100\" cy=\"172\" rx=\"46\" ry=\"8\" fill=\"#000\" opacity=\".08\"/><rect x=\"68\" y=\"52\" width=\"64\" height=\"118\" rx=\"14\" fill=\"#b4532a\"/><rect x=\"64\" y=\"34\" width=\"72\" height=\"26\" rx=\"8\" fill=\"#5b2a14\"/><rect x=\"78\" y=\"70\" width=\"10\" height=\"80\" rx=\"5\" fill=\"#fff\" opacity=\".25\"/>",
        ),
        // Headphones.
        picture(
            ("#e8eefc", "#cdd9f5"),
            "<path d=\"M50 120 V100 a50 50 0 0 1 100 0 V120\" fill=\"none\" stroke=\"#2f3f6b\" stroke-width=\"12\" stroke-linecap=\"round\"/><rect x=\"36\" y=\"110\" width=\"30\" height=\"50\" rx=\"12\" fill=\"#3d5bd9\"/><rect x=\"134\" y=\"110\" width=\"30\" height=\"50\" rx=\"12\" fill=\"#3d5bd9\"/>",
        ),
        // A cinema ticket.
        picture(
            ("#fff4d6", "#ffe0a3"),
            "<g transform=\"rotate(-12 100 100)\"><rect x=\"30\" y=\"70\" width=\"140\" height=\"64\" rx=\"10\" fill=\"#e8453c\"/><circle cx=\"30\" cy=\"102\" r=\"12\" fill=\"#ffe9b8\"/><circle cx=\"170\" cy=\"102\" r=\"12\" fill=\"#ffe9b8\"/><path d=\"M120 74 V130\" stroke=\"#fff\" stroke-width=\"3\" stroke-dasharray=\"5 5\"/><text x=\"72\" y=\"110\" font-size=\"26\" font-weight=\"700\" fill=\"#fff\" text-anchor=\"middle\" font-family=\"sans-serif\">VIP</text></g>",
        ),
        // A tote bag.
        picture(
            ("#e7f6ee", "#c9ead8"),
            "<path d=\"M75 70 a25 25 0 0 1 50 0\" fill=\"none\" stroke=\"#17804a\" stroke-width=\"8\"/><path d=\"M52 72 H148 L140 168 H60 Z\" fill=\"#22a062\"/><circle cx=\"100\" cy=\"118\" r=\"18\" fill=\"#fff\" opacity=\".35\"/>",
        ),
    ]
}

async fn media_thumb(State(app): State<App>, Path(id): Path<i64>) -> axum::response::Response {
    match app.read(move |tx| Ok(tx.image_thumb(id)?)).await {
        Ok(Some(thumb)) => media(State(app), Path(thumb)).await,
        _ => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

async fn media(State(app): State<App>, Path(id): Path<i64>) -> axum::response::Response {
    match app.read(move |tx| Ok(tx.mall_image(id)?)).await {
        Ok(Some((ct, data))) => ([(axum::http::header::CONTENT_TYPE, ct)], data).into_response(),
        _ => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// No sideways scrolling at 375 px; names what sticks out when something does.
fn fits(b: &mut cdp::Browser) {
    let wide = b.eval(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376).map(e => e.tagName + '.' + e.className).slice(0, 8).join(' ')",
    );
    assert_eq!(
        b.eval("document.documentElement.scrollWidth <= 375"),
        json!(true),
        "wider than 375 px: {wide}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_redeems_in_the_mall_in_a_real_browser() {
    let s = common::start().await;
    let (app, pid) = (s.app.clone(), s.pid);
    let mut images = Vec::new();
    for svg in pictures() {
        let out = app
            .write_view(pid, "mall", None, move |tx, ctx, now| {
                jifen_app::mall::upload_image(tx, ctx, now, "image/svg+xml", svg.as_bytes())
            })
            .await
            .unwrap();
        images.push(out.view.image_id);
    }
    let cup = s.create_item(json!({
        "name_zh": "双层真空保温杯 500ml", "name_en": "Vacuum flask 500 ml", "category": "home",
        "description_zh": "304不锈钢内胆，保温12小时。\n附赠杯刷一支。", "description_en": "Stainless steel; keeps drinks hot for 12 hours.",
        "kind": {"type": "physical"},
        "skus": [
            {"sku": "CUP-RED", "name": "砖红", "points": 1200, "stock": 36, "market_price_minor": 12900},
            {"sku": "CUP-BLK", "name": "曜黑", "points": 1200, "stock": 0}
        ],
        "images": [images[0]], "status": "on_sale"
    }))
    .await;
    s.create_item(json!({
        "name_zh": "降噪蓝牙耳机", "name_en": "Noise-cancelling earphones", "category": "digital",
        "kind": {"type": "physical"}, "skus": [{"sku": "EAR-1", "points": 26000, "stock": 8}],
        "images": [images[1]], "status": "on_sale"
    }))
    .await;
    s.create_item(json!({
        "name_zh": "电影票兑换券", "name_en": "Cinema ticket", "category": "fun",
        "kind": {"type": "virtual"}, "skus": [{"sku": "MOVIE-1", "points": 800, "cash_minor": 1990, "stock": 120}],
        "images": [images[2]], "status": "on_sale", "flash_sale": true, "sale_from": common::START - 3_600_000
    }))
    .await;
    s.create_item(json!({
        "name_zh": "帆布托特包", "name_en": "Canvas tote", "category": "home",
        "kind": {"type": "physical"}, "skus": [{"sku": "TOTE-1", "points": 3000, "stock": 0}],
        "images": [images[3]], "status": "on_sale", "presale": true
    }))
    .await;
    s.create_item(json!({
        "name_zh": "会员专享咖啡", "name_en": "Members' coffee", "category": "fun",
        "kind": {"type": "virtual"}, "skus": [{"sku": "COFFEE-1", "points": 300, "stock": 500}],
        "status": "on_sale"
    }))
    .await;
    // A coupon and a lottery for the other pages.
    s.coupon_and_wheel(&["welcome-a", "welcome-b"]).await;
    let link = s.centre_link().await;
    // The binary serves /media from the API's router; here a stand-in serves the same rows.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = jifen_web::router(app.clone()).merge(
        axum::Router::new()
            .route("/media/{id}", axum::routing::get(media))
            .route("/media/{id}/thumb", axum::routing::get(media_thumb))
            .with_state(app.clone()),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let images_loaded = "[...document.images].every(i => i.complete && i.naturalWidth > 0)";
    let ran = tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return false;
        };
        b.viewport(375, 812);
        b.goto(&format!("{base}{link}?lang=zh"));
        assert!(b.text().contains("12,345"), "{}", b.text());
        assert!(b.text().contains("春日幸运大转盘"), "the home page offers the wheel");
        fits(&mut b);
        b.screenshot("centre-home-375");
        // Home → the mall, from the mall section's link.
        b.act(&format!("document.querySelector('.card .head a[href=\"{link}/mall\"]').click()"));
        b.settle("location.pathname.endsWith('/mall')");
        assert_eq!(b.path(), format!("{link}/mall"));
        b.settle(images_loaded);
        let text = b.text();
        assert!(text.contains("双层真空保温杯") && text.contains("可兑换") && text.contains("还差 13,655 积分"), "{text}");
        assert!(text.contains("限时秒杀") && text.contains("预售") && text.contains("已兑完"), "{text}");
        b.screenshot("centre-mall-375");
        fits(&mut b);
        // Step 1: the item; choose the quantity.
        b.act(&format!("document.querySelector('a.goods[href$=\"/mall/{cup}\"]').click()"));
        b.settle(&format!("location.pathname.endsWith('/mall/{cup}')"));
        b.settle(images_loaded);
        let text = b.text();
        assert!(text.contains("立即兑换") && text.contains("砖红") && text.contains("库存 36"), "{text}");
        assert_eq!(b.eval("document.querySelector('ol.steps li.on').innerText.includes('选品')"), json!(true));
        b.screenshot("centre-item-375");
        fits(&mut b);
        b.eval("document.querySelector('.qty button[data-d=\"1\"]').click(); true");
        assert_eq!(b.eval("document.querySelector('#qty').value"), json!("2"));
        b.act("document.querySelector('form.buy button[type=submit]').click()");
        // Step 2: confirm, with the address; a missing field is answered next to it.
        b.settle("location.pathname.endsWith('/confirm')");
        let text = b.text();
        assert!(text.contains("2,400") && text.contains("兑换后余额") && text.contains("9,945"), "{text}");
        b.eval("document.querySelector('#f-name').value = '王小明'; document.querySelector('#f-phone').value = '12'; document.querySelector('#f-city').value = '上海'; document.querySelector('#f-line').value = '浦东新区世纪大道100号'; true");
        b.act("document.querySelector('form.confirm').submit()");
        b.settle("document.querySelector('#e-phone')");
        assert!(b.text().contains("手机号码格式不正确"));
        assert_eq!(b.eval("document.querySelector('#f-line').value"), json!("浦东新区世纪大道100号"), "what was typed is kept");
        b.screenshot("centre-confirm-error-375");
        fits(&mut b);
        b.eval("document.querySelector('#f-phone').value = '13800138000'; window.scrollTo(0, 0); true");
        b.screenshot("centre-confirm-375");
        // Step 3: pay with points (a double tap sends it once).
        b.act("let btn = document.querySelector('.paybar button'); btn.click(); btn.click()");
        b.settle("location.search.includes('placed=1')");
        let text = b.text();
        assert!(text.contains("兑换成功") && text.contains("已支付 2,400 积分，剩余 9,945 积分") && text.contains("待发货"), "{text}");
        b.screenshot("centre-done-375");
        fits(&mut b);
        // The orders tab.
        b.act("document.querySelector('nav.tabs a[href$=\"/orders\"]').click()");
        b.settle("location.pathname.endsWith('/orders')");
        b.settle(images_loaded);
        let text = b.text();
        assert!(text.contains("双层真空保温杯") && text.contains("待发货"), "{text}");
        assert_eq!(b.eval("document.querySelectorAll('a.card.order').length"), json!(1), "one order");
        b.screenshot("centre-orders-375");
        // Coupons and the wheel.
        b.act("document.querySelector('nav.tabs a[href$=\"/coupons\"]').click()");
        b.settle("location.pathname.endsWith('/coupons')");
        let text = b.text();
        assert!(text.contains("满100减20") && text.contains("满¥100.00可用"), "{text}");
        b.screenshot("centre-coupons-375");
        fits(&mut b);
        b.goto(&format!("{base}{link}/lottery/spring"));
        assert!(b.text().contains("50 积分抽一次"), "{}", b.text());
        b.screenshot("centre-wheel-375");
        fits(&mut b);
        b.act("document.querySelector('.wheel-card button').click()");
        b.settle("location.search.includes('r=')");
        assert!(b.text().contains("消耗 50 积分"), "{}", b.text());
        std::thread::sleep(std::time::Duration::from_millis(4_800));
        b.screenshot("centre-wheel-won-375");
        true
    })
    .await
    .unwrap();
    if !ran {
        return;
    }
    let ctx = app.program_ctx(pid).await.unwrap();
    let orders = app
        .read(move |tx| jifen_app::mall::list_orders(tx, &ctx, Some(MemberId(1)), None, None, 10))
        .await
        .unwrap();
    assert_eq!(orders.items.len(), 1);
    assert_eq!(orders.items[0].points, 2_400);
}

/// The merchant's payment page, standing in: it shows the order and the amount it was handed
/// and a link back to the `return` address; every query it was opened with is kept.
async fn merchant_pay(
    State(seen): State<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
    axum::extract::Query(p): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Html<String> {
    seen.lock().unwrap().push(q.unwrap_or_default());
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    let get = |k: &str| p.get(k).map(|v| esc(v)).unwrap_or_default();
    axum::response::Html(format!(
        "<!doctype html><html><head><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family:sans-serif;padding:24px\"><h1>Shop Pay</h1><p id=\"order\">order {}</p><p id=\"amount\">{} {}</p>\
         <a id=\"back\" href=\"{}\">back to the shop</a></body></html>",
        get("order"),
        get("amount"),
        get("currency"),
        get("return"),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_points_and_cash_item_posted_home_is_paid_on_the_merchants_page() {
    let s = common::start().await;
    let (app, pid) = (s.app.clone(), s.pid);
    let cup = s.create_item(json!({
        "name_zh": "双层真空保温杯 500ml", "name_en": "Vacuum flask 500 ml", "category": "home",
        "kind": {"type": "physical"},
        "skus": [{"sku": "CUP-CASH", "name": "砖红", "points": 1000, "cash_minor": 990, "stock": 20}],
        "status": "on_sale"
    }))
    .await;
    // The merchant's payment page, on a server of its own.
    let paid_with = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let shop = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop_base = format!("http://{}", shop.local_addr().unwrap());
    let shop_router = axum::Router::new()
        .route("/pay", axum::routing::get(merchant_pay))
        .with_state(paid_with.clone());
    tokio::spawn(async move { axum::serve(shop, shop_router).await.unwrap() });
    let payment = jifen_app::mall::PaymentSettings {
        payment_url: Some(format!(
            "{shop_base}/pay?order={{order_id}}&amount={{cash_minor}}&currency={{currency}}&return={{return_url}}"
        )),
        pay_window_minutes: 60,
    };
    app.write_view(pid, "mall", None, move |tx, ctx, now| {
        jifen_app::mall::put_payment_settings(tx, ctx, now, "staff:amy", &payment)
    })
    .await
    .unwrap();
    // The merchant's system holds an API key.
    let key = jifen_app::keys::generate();
    let secret = key.secret.clone();
    app.write_view(pid, "api_keys", None, move |tx, ctx, now| {
        jifen_app::keys::create(tx, ctx, now, "staff:amy", "payments", &key, false)
    })
    .await
    .unwrap();
    let link = s.centre_link().await;
    // Jifen: the pages and the API, as the binary serves them.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = jifen_web::router(app.clone()).merge(jifen_api::router(app.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let (b, order_page) = {
        let (base, link, shop_base) = (base.clone(), link.clone(), shop_base.clone());
        tokio::task::spawn_blocking(move || {
            let mut b = cdp::Browser::start()?;
            b.call("Emulation.setUserAgentOverride", json!({"userAgent": cdp::MOBILE_UA}));
            b.viewport(375, 812);
            b.goto(&format!("{base}{link}/mall/{cup}?lang=zh"));
            assert_eq!(b.eval("navigator.userAgent.includes('iPhone')"), json!(true));
            let text = b.text();
            assert!(text.contains("1,000") && text.contains("¥9.90"), "{text}");
            b.act("document.querySelector('form.buy button[type=submit]').click()");
            // Step 2: the cash is paid online, within the hour.
            b.settle("location.pathname.endsWith('/confirm')");
            let text = b.text();
            assert!(text.contains("60 分钟内在线支付现金部分 ¥9.90"), "{text}");
            assert!(!text.contains("门店"), "{text}");
            b.eval("document.querySelector('#f-name').value = '王小明'; document.querySelector('#f-phone').value = '13800138000'; document.querySelector('#f-city').value = '上海'; document.querySelector('#f-line').value = '浦东新区世纪大道100号'; document.querySelector('.note').scrollIntoView(); true");
            fits(&mut b);
            b.screenshot("centre-pay-confirm-zh-375");
            b.act("document.querySelector('.paybar button').click()");
            // Step 3: the pay button and the deadline in Shanghai's time.
            b.settle("location.search.includes('placed=1')");
            let text = b.text();
            assert!(text.contains("去支付 ¥9.90") && text.contains("请于 2026-01-01 09:00 前支付现金部分 ¥9.90"), "{text}");
            assert!(!text.contains("门店"), "{text}");
            let order_page = b.path();
            fits(&mut b);
            b.screenshot("centre-pay-step3-zh-375");
            b.goto(&format!("{base}{order_page}&lang=en"));
            let text = b.text();
            assert!(text.contains("Pay ¥9.90") && text.contains("before 2026-01-01 09:00"), "{text}");
            fits(&mut b);
            b.screenshot("centre-pay-step3-en-375");
            b.goto(&format!("{base}{order_page}&lang=zh"));
            // To the merchant's page, handed this order and its amount.
            b.act("document.querySelector('.card.pay a.btn').click()");
            b.settle(&format!("location.href.startsWith('{shop_base}/pay')"));
            let text = b.text();
            assert!(text.contains("990 CNY"), "{text}");
            b.screenshot("merchant-pay-375");
            // Back before the merchant's system has confirmed: being confirmed.
            b.act("document.querySelector('#back').click()");
            b.settle("location.search.includes('from=pay')");
            assert!(b.path().starts_with(&format!("{link}/orders/")), "{}", b.path());
            let text = b.text();
            assert!(text.contains("支付确认中") && text.contains("待支付"), "{text}");
            fits(&mut b);
            b.screenshot("centre-pay-confirming-zh-375");
            Some((b, order_page))
        })
        .await
        .unwrap()
    }
    .map_or((None, String::new()), |(b, p)| (Some(b), p));
    let Some(mut b) = b else {
        return;
    };
    // The merchant's page was opened for this order, with the way back to its page.
    let id: i64 = order_page
        .split("/orders/")
        .nth(1)
        .and_then(|r| r.split('?').next())
        .and_then(|n| n.parse().ok())
        .expect("the order's number");
    let opened = paid_with.lock().unwrap().clone();
    assert_eq!(opened.len(), 1, "{opened:?}");
    let back = jifen_app::mall::url_encode(&format!("{base}{link}/orders/{id}?from=pay"));
    assert_eq!(
        opened[0],
        format!("order={id}&amount=990&currency=CNY&return={back}")
    );
    // The merchant's system confirms the payment over the API.
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/mall/orders/{id}/pay"))
        .bearer_auth(&secret)
        .header("idempotency-key", format!("pay-{id}"))
        .json(&json!({"payment_ref": "shop-pay-0001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // The member follows the return link again: the order is paid.
    let b = tokio::task::spawn_blocking(move || {
        b.eval("history.back(); true");
        b.settle(&format!("location.href.startsWith('{shop_base}/pay')"));
        b.act("document.querySelector('#back').click()");
        b.settle("location.search.includes('from=pay')");
        b.settle("document.body.innerText.includes('支付成功')");
        let text = b.text();
        assert!(
            text.contains("支付成功") && text.contains("待发货"),
            "{text}"
        );
        assert!(
            !text.contains("支付确认中") && !text.contains("去支付"),
            "{text}"
        );
        fits(&mut b);
        b.screenshot("centre-pay-paid-zh-375");
        b
    })
    .await
    .unwrap();
    drop(b);
    let ctx = app.program_ctx(pid).await.unwrap();
    let o = app
        .read(move |tx| jifen_app::mall::get_order(tx, &ctx, id))
        .await
        .unwrap();
    assert_eq!(
        (o.state.as_str(), o.payment_ref.as_deref()),
        ("paid", Some("shop-pay-0001"))
    );
}

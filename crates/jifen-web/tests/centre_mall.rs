//! The member centre's mall over real HTTP: the catalog as the member sees it, redemption in
//! three steps paid with points (the balance drops by exactly the price, a second submit of the
//! same form orders once), refusals shown with no order written (too few points, the limit per
//! member, sold out), the address checked field by field, malformed parameters answered 4xx,
//! orders with their tracking once shipped, coupons grouped by status, the lucky wheel, and
//! the cash of a points + cash item posted home paid on the merchant's payment page.

mod common;

use common::{Site, hidden, start};
use jifen_app::commands::MemberRef;
use jifen_domain::mall::OrderAction;
use jifen_ledger::{MemberId, PointType};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MEMBER: i64 = 1;
/// What the shared setup gives the member.
const START_POINTS: i64 = 12_345;

fn item(name_zh: &str, kind: Value, sku: &str, points: i64, cash: i64, stock: i64) -> Value {
    json!({
        "name_zh": name_zh, "name_en": format!("{name_zh} (en)"), "category": "home",
        "description_zh": "双层不锈钢\n保温12小时", "kind": kind,
        "skus": [{"sku": sku, "points": points, "cash_minor": cash, "stock": stock}],
        "status": "on_sale"
    })
}

/// The catalog of the tests: what the member can afford and what they cannot.
struct Shop {
    cup: i64,
    vip: i64,
    movie: i64,
    badge: i64,
    gone: i64,
}

async fn shop(s: &Site) -> Shop {
    let cup = s
        .create_item(item(
            "保温杯",
            json!({"type": "physical"}),
            "CUP-1",
            1_000,
            0,
            10,
        ))
        .await;
    let vip = s
        .create_item(item(
            "年度会员卡",
            json!({"type": "virtual"}),
            "VIP-1",
            20_000,
            0,
            10,
        ))
        .await;
    let movie = s
        .create_item(item(
            "电影票",
            json!({"type": "virtual"}),
            "MOVIE-1",
            500,
            2_000,
            10,
        ))
        .await;
    let mut b = item(
        "限量徽章",
        json!({"type": "virtual"}),
        "BADGE-1",
        100,
        0,
        10,
    );
    b["limits"] = json!({"lifetime": 1});
    let badge = s.create_item(b).await;
    let gone = s
        .create_item(item(
            "绝版台灯",
            json!({"type": "physical"}),
            "LAMP-1",
            300,
            0,
            0,
        ))
        .await;
    Shop {
        cup,
        vip,
        movie,
        badge,
        gone,
    }
}

async fn link(s: &Site, member: i64) -> String {
    s.app
        .write_view(s.pid, "centre", None, move |tx, ctx, now| {
            jifen_app::centre::link(tx, ctx, now, MemberId(member))
        })
        .await
        .unwrap()
        .view
        .path
}

async fn get(s: &Site, path: &str) -> (StatusCode, String, Option<String>) {
    let r = s
        .client
        .get(format!("{}{path}", s.base))
        .header("cookie", "jifen_lang=zh")
        .send()
        .await
        .unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (status, r.text().await.unwrap(), loc)
}

async fn post(s: &Site, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, Option<String>) {
    let r = s
        .client
        .post(format!("{}{path}", s.base))
        .header("cookie", "jifen_lang=zh")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (status, r.text().await.unwrap(), loc)
}

async fn balance(s: &Site) -> i64 {
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    let now = s.app.now();
    s.app
        .read(move |tx| {
            jifen_app::views::balance(tx, &ctx, MemberId(MEMBER), PointType::Points, now, 0)
        })
        .await
        .unwrap()
        .available
}

async fn orders_of(s: &Site) -> Vec<jifen_app::mall::OrderView> {
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    s.app
        .read(move |tx| {
            jifen_app::mall::list_orders(tx, &ctx, Some(MemberId(MEMBER)), None, None, 100)
        })
        .await
        .unwrap()
        .items
}

const ADDRESS: [(&str, &str); 5] = [
    ("name", "王小明"),
    ("phone", "138 0013 8000"),
    ("city", "上海"),
    ("line", "浦东新区世纪大道100号"),
    ("postcode", "200120"),
];

/// Steps 1 and 2: the confirm page for a SKU and quantity; returns its form key.
async fn confirm_key(s: &Site, link: &str, item: i64, sku: &str, qty: i64) -> String {
    let (st, html, _) = get(
        s,
        &format!("{link}/mall/{item}/confirm?sku={sku}&qty={qty}"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{html}");
    hidden(&html, "key")
}

/// Step 3 with a given form key.
async fn redeem(
    s: &Site,
    link: &str,
    item: i64,
    sku: &str,
    qty: &str,
    key: &str,
    address: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let mut form = vec![("sku", sku), ("qty", qty), ("key", key)];
    form.extend_from_slice(address);
    post(s, &format!("{link}/mall/{item}/redeem"), &form).await
}

#[tokio::test]
async fn the_mall_shows_what_the_member_can_afford() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let (st, html, _) = get(&s, &format!("{link}/mall")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("保温杯") && html.contains("1,000"), "{html}");
    assert!(html.contains("可兑换"), "the cup is affordable: {html}");
    // 20,000 - 12,345 = 7,655 short.
    assert!(html.contains("还差 7,655 积分"), "{html}");
    assert!(
        html.contains("¥20.00"),
        "the cash part of points + cash: {html}"
    );
    assert!(html.contains("已兑完"), "the lamp is sold out: {html}");
    assert!(html.contains(&format!("href=\"{link}/mall/{}\"", shop.cup)));
    // The home page's mall section links to the mall; the tab bar is on both.
    let (_, home, _) = get(&s, &link).await;
    assert!(home.contains(&format!("href=\"{link}/mall\"")), "{home}");
    for page in [&home, &html] {
        assert!(
            page.contains("class=\"tabs\"")
                && page.contains(&format!("href=\"{link}/orders\""))
                && page.contains(&format!("href=\"{link}/coupons\""))
        );
    }
    // The item page: step 1, the price, what the member has, the button.
    let (st, page, _) = get(&s, &format!("{link}/mall/{}", shop.cup)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("选品")
            && page.contains("立即兑换")
            && page.contains("保温12小时")
            && page.contains("12,345"),
        "{page}"
    );
    // Short of points: what it takes in spending, at 1 point a yuan and no tier multiplier.
    let (_, page, _) = get(&s, &format!("{link}/mall/{}", shop.vip)).await;
    assert!(
        page.contains("还差 7,655 积分") && page.contains("再消费¥7,655.00即可兑换"),
        "{page}"
    );
    let (_, page, _) = get(&s, &format!("{link}/mall/{}", shop.gone)).await;
    assert!(
        page.contains("disabled>已兑完"),
        "a sold-out item cannot be redeemed: {page}"
    );
    // English.
    let (_, en, _) = get(&s, &format!("{link}/mall?lang=en")).await;
    assert!(
        en.contains("7,655 points short") && en.contains("Can afford"),
        "{en}"
    );
}

#[tokio::test]
async fn redeeming_pays_the_price_once_per_form() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let (_, html, _) = get(
        &s,
        &format!("{link}/mall/{}/confirm?sku=CUP-1&qty=2", shop.cup),
    )
    .await;
    // Step 2: the total and the balance after.
    assert!(
        html.contains("2,000") && html.contains("兑换后余额") && html.contains("10,345"),
        "{html}"
    );
    assert!(
        html.contains("name=\"line\""),
        "a physical item asks for the address"
    );
    let key = hidden(&html, "key");
    let (st, body, loc) = redeem(&s, &link, shop.cup, "CUP-1", "2", &key, &ADDRESS).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{body}");
    let loc = loc.unwrap();
    assert!(
        loc.starts_with(&format!("{link}/orders/")) && loc.ends_with("?placed=1"),
        "{loc}"
    );
    assert_eq!(
        balance(&s).await,
        START_POINTS - 2_000,
        "the balance drops by exactly the price"
    );
    // The same form sent again (a double tap, a reload): the same order, nothing more taken.
    let (st, _, again) = redeem(&s, &link, shop.cup, "CUP-1", "2", &key, &ADDRESS).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(again.as_deref(), Some(loc.as_str()));
    // Even with something else typed the second time, the first order stands.
    let mut other = ADDRESS;
    other[3] = ("line", "另一个地址 200 号");
    let (st, _, again) = redeem(&s, &link, shop.cup, "CUP-1", "2", &key, &other).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(again.as_deref(), Some(loc.as_str()));
    let orders = orders_of(&s).await;
    assert_eq!(orders.len(), 1, "one order for one form");
    assert_eq!(orders[0].state, "paid");
    assert_eq!(orders[0].points, 2_000);
    assert_eq!(
        orders[0].address.as_ref().unwrap().line,
        "浦东新区世纪大道100号"
    );
    assert_eq!(balance(&s).await, START_POINTS - 2_000);
    // Step 3 done: the order page says so, with the balance left.
    let (st, page, _) = get(&s, &loc).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("兑换成功") && page.contains("10,345") && page.contains("待发货"),
        "{page}"
    );
    // A new form orders again.
    let key2 = confirm_key(&s, &link, shop.cup, "CUP-1", 1).await;
    assert_ne!(key, key2);
    let (st, _, _) = redeem(&s, &link, shop.cup, "CUP-1", "1", &key2, &ADDRESS).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(orders_of(&s).await.len(), 2);
    assert_eq!(balance(&s).await, START_POINTS - 3_000);
}

#[tokio::test]
async fn refusals_are_shown_and_order_nothing() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    // Too few points: the confirm page warns and disables the button; the use case refuses.
    let (_, html, _) = get(
        &s,
        &format!("{link}/mall/{}/confirm?sku=VIP-1&qty=1", shop.vip),
    )
    .await;
    assert!(
        html.contains("积分不足，还差 7,655 积分") && html.contains(" disabled>"),
        "{html}"
    );
    let key = hidden(&html, "key");
    let (st, body, _) = redeem(&s, &link, shop.vip, "VIP-1", "1", &key, &[]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(
        body.contains("role=\"alert\"")
            && body.contains("积分不足")
            && body.contains("还差 7,655 积分"),
        "{body}"
    );
    assert!(orders_of(&s).await.is_empty(), "no order");
    assert_eq!(balance(&s).await, START_POINTS, "nothing taken");
    // The limit per member: one badge.
    let k = confirm_key(&s, &link, shop.badge, "BADGE-1", 1).await;
    assert_eq!(
        redeem(&s, &link, shop.badge, "BADGE-1", "1", &k, &[])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let k = confirm_key(&s, &link, shop.badge, "BADGE-1", 1).await;
    let (st, body, _) = redeem(&s, &link, shop.badge, "BADGE-1", "1", &k, &[]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(body.contains("每人限兑 1 件，你已兑换 1 件"), "{body}");
    assert_eq!(orders_of(&s).await.len(), 1);
    assert_eq!(balance(&s).await, START_POINTS - 100);
    // Sold out.
    let (_, html, _) = get(
        &s,
        &format!("{link}/mall/{}/confirm?sku=LAMP-1&qty=1", shop.gone),
    )
    .await;
    let k = hidden(&html, "key");
    let (st, body, _) = redeem(&s, &link, shop.gone, "LAMP-1", "1", &k, &ADDRESS).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(body.contains("已兑完"), "{body}");
    assert_eq!(orders_of(&s).await.len(), 1);
}

#[tokio::test]
async fn points_and_cash_wait_for_the_shop() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let (_, html, _) = get(
        &s,
        &format!("{link}/mall/{}/confirm?sku=MOVIE-1&qty=1", shop.movie),
    )
    .await;
    assert!(
        html.contains("¥20.00") && html.contains("门店支付"),
        "{html}"
    );
    let key = hidden(&html, "key");
    let (st, _, loc) = redeem(&s, &link, shop.movie, "MOVIE-1", "1", &key, &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let orders = orders_of(&s).await;
    assert_eq!(
        orders[0].state, "pending_payment",
        "the merchant's payment system pays it"
    );
    assert_eq!(balance(&s).await, START_POINTS - 500, "the points are held");
    let (_, page, _) = get(&s, &loc.unwrap()).await;
    assert!(
        page.contains("待支付")
            && page.contains("现金部分 ¥20.00 请于")
            && page.contains("门店支付"),
        "{page}"
    );
}

async fn set_payment(s: &Site, url: Option<&str>, minutes: i64) {
    let p = jifen_app::mall::PaymentSettings {
        payment_url: url.map(str::to_string),
        pay_window_minutes: minutes,
    };
    s.app
        .write_view(s.pid, "mall", None, move |tx, ctx, now| {
            jifen_app::mall::put_payment_settings(tx, ctx, now, "staff:amy", &p)
        })
        .await
        .unwrap();
}

async fn get_en(s: &Site, path: &str) -> String {
    s.text_in(path, "en").await
}

/// The `href` of the first link whose text contains `label`.
fn href_of(html: &str, label: &str) -> Option<String> {
    let at = html.find(label)?;
    let open = html[..at].rfind("<a ")?;
    let tag = &html[open..at];
    let h = tag.find("href=\"")? + 6;
    Some(
        tag[h..h + tag[h..].find('"')?]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

/// A points + cash item posted home: without a payment link the member is told plainly that
/// the shop has not set up online payment (never to pay at a shop they are not at); with one,
/// step 3 and the order page offer "去支付 ¥9.90" to the merchant's page for this order, the
/// deadline in the programme's zone, "支付确认中" when the member comes back before the
/// merchant's confirmation, and the order paid after it.
#[tokio::test]
async fn a_points_and_cash_item_posted_home_is_paid_online() {
    let s = start().await;
    let cup = s
        .create_item(item(
            "保温杯",
            json!({"type": "physical"}),
            "CUP-CASH",
            1_000,
            990,
            10,
        ))
        .await;
    let link = link(&s, MEMBER).await;
    let token = link.trim_start_matches("/m/").to_string();
    // No payment link yet: honest words, no pay button, no pay-at-the-shop.
    let (_, html, _) = get(&s, &format!("{link}/mall/{cup}/confirm?sku=CUP-CASH&qty=1")).await;
    assert!(html.contains("商家尚未开通在线支付"), "{html}");
    assert!(!html.contains("门店"), "{html}");
    let key = hidden(&html, "key");
    let (st, _, loc) = redeem(&s, &link, cup, "CUP-CASH", "1", &key, &ADDRESS).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, page, _) = get(&s, &loc.unwrap()).await;
    assert!(page.contains("商家尚未开通在线支付"), "{page}");
    assert!(!page.contains("门店") && !page.contains("去支付"), "{page}");
    // The programme sets its payment page and an hour to pay.
    let template = "https://pay.shop.example/jifen?order={order_id}&amount={cash_minor}&currency={currency}&return={return_url}";
    set_payment(&s, Some(template), 60).await;
    let (_, html, _) = get(&s, &format!("{link}/mall/{cup}/confirm?sku=CUP-CASH&qty=1")).await;
    assert!(
        html.contains("在线支付现金") && html.contains("60 分钟内在线支付现金部分 ¥9.90"),
        "{html}"
    );
    assert!(
        !html.contains("门店") && !html.contains("尚未开通"),
        "{html}"
    );
    let placed_at = s.app.now();
    let key = hidden(&html, "key");
    let (st, _, loc) = redeem(&s, &link, cup, "CUP-CASH", "1", &key, &ADDRESS).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let loc = loc.unwrap();
    let id = orders_of(&s).await[0].order_id;
    assert_eq!(
        orders_of(&s).await[0].pay_deadline,
        Some(placed_at + 60 * 60_000)
    );
    // Step 3: the pay button to the merchant's page for this order, with the way back.
    let (_, page, _) = get(&s, &loc).await;
    assert!(
        page.contains("aria-current=\"step\"><b>3</b>"),
        "step 3: {page}"
    );
    assert!(
        !page.contains("门店") && !page.contains("尚未开通"),
        "{page}"
    );
    // 2026-01-01 00:00 UTC is 08:00 in Shanghai; an hour to pay.
    assert!(
        page.contains("请于 2026-01-01 09:00 前支付现金部分 ¥9.90"),
        "{page}"
    );
    let pay = href_of(&page, "去支付 ¥9.90").expect("a pay button");
    let back = format!("{}{link}/orders/{id}?from=pay", s.base);
    assert_eq!(
        pay,
        format!(
            "https://pay.shop.example/jifen?order={id}&amount=990&currency=CNY&return={}",
            jifen_app::mall::url_encode(&back)
        )
    );
    assert!(
        page.contains(&format!("order={id}&#38;amount=990")),
        "escaped in the page"
    );
    assert!(back.contains(&token));
    // In English.
    let en = get_en(&s, &format!("{link}/orders/{id}")).await;
    assert!(
        en.contains("Pay ¥9.90") && en.contains("before 2026-01-01 09:00"),
        "{en}"
    );
    assert!(!en.contains("at the shop"), "{en}");
    // Back from the merchant's page before its confirmation: being confirmed, not an error.
    let (st, page, _) = get(&s, &back.replace(&s.base, "")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("支付确认中") && page.contains("待支付"),
        "{page}"
    );
    assert!(
        href_of(&page, "去支付 ¥9.90").is_some(),
        "paying again stays possible"
    );
    // The merchant confirms the payment; the same link now shows the order paid.
    s.app
        .write_view(s.pid, "payments", None, move |tx, ctx, now| {
            let u = jifen_app::mall::OrderUpdate {
                payment_ref: Some("wx-pay-1".into()),
                ..Default::default()
            };
            jifen_app::mall::act(tx, ctx, now, "key:payments", id, OrderAction::Pay, &u)
        })
        .await
        .unwrap();
    let (_, page, _) = get(&s, &back.replace(&s.base, "")).await;
    assert!(
        page.contains("支付成功") && page.contains("待发货"),
        "{page}"
    );
    assert!(
        !page.contains("支付确认中") && !page.contains("去支付"),
        "{page}"
    );
}

#[tokio::test]
async fn the_address_is_checked_field_by_field() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let key = confirm_key(&s, &link, shop.cup, "CUP-1", 1).await;
    let typed = [
        ("name", ""),
        ("phone", "call me"),
        ("city", "上海<b>"),
        ("line", "x"),
        ("postcode", ""),
    ];
    let (st, html, _) = redeem(&s, &link, shop.cup, "CUP-1", "1", &key, &typed).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    // Each message is inside its own field, right after its input.
    for (field, msg) in [
        ("name", "请填写收货人"),
        ("phone", "手机号码格式不正确"),
        ("line", "请填写详细地址"),
    ] {
        let at = html
            .find(&format!("id=\"f-{field}\""))
            .unwrap_or_else(|| panic!("no {field}"));
        let rest = &html[at..];
        let end = rest.find("</div></div>").unwrap();
        let within = &rest[..end];
        assert!(
            within.contains(&format!("id=\"e-{field}\"")) && within.contains(msg),
            "{field}: {within}"
        );
    }
    // The city is fine and has no message; what was typed is kept (escaped), as is the key.
    assert!(!html.contains("id=\"e-city\""));
    assert!(html.contains("value=\"上海&#60;b&#62;\""), "{html}");
    assert!(html.contains("value=\"call me\""));
    assert_eq!(hidden(&html, "key"), key);
    assert!(orders_of(&s).await.is_empty());
    assert_eq!(balance(&s).await, START_POINTS);
    // Corrected, the same form goes through.
    let (st, _, _) = redeem(&s, &link, shop.cup, "CUP-1", "1", &key, &ADDRESS).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(orders_of(&s).await.len(), 1);
}

#[tokio::test]
async fn the_receivers_phone_is_a_mainland_mobile_number() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let key = confirm_key(&s, &link, shop.cup, "CUP-1", 1).await;
    let with = |phone: &'static str| {
        ADDRESS
            .iter()
            .map(|(k, v)| (*k, if *k == "phone" { phone } else { *v }))
            .collect::<Vec<_>>()
    };
    for phone in ["12345", "23800138000", "1380013800"] {
        let (st, html, _) = redeem(&s, &link, shop.cup, "CUP-1", "1", &key, &with(phone)).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{phone}: {html}");
        let at = html.find("id=\"e-phone\"").expect("a message at the phone");
        assert!(html[at..].contains("以1开头的11位手机号"), "{html}");
        assert!(html.contains(&format!("value=\"{phone}\"")), "kept: {html}");
        assert!(!html.contains("mainland"), "{html}");
    }
    let mut form = vec![("sku", "CUP-1"), ("qty", "1"), ("key", key.as_str())];
    form.extend(with("12345"));
    let en = s
        .client
        .post(format!("{}{link}/mall/{}/redeem", s.base, shop.cup))
        .header("cookie", "jifen_lang=en")
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("11 digits starting with 1"), "{en}");
    assert!(orders_of(&s).await.is_empty());
    let (st, _, _) = redeem(
        &s,
        &link,
        shop.cup,
        "CUP-1",
        "1",
        &key,
        &with("138-0013-8000"),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(orders_of(&s).await.len(), 1);
}

#[tokio::test]
async fn malformed_parameters_answer_4xx_never_500() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let cup = shop.cup;
    for (path, want) in [
        (format!("{link}/mall/abc"), StatusCode::NOT_FOUND),
        (format!("{link}/mall/0"), StatusCode::NOT_FOUND),
        (format!("{link}/mall/-3"), StatusCode::NOT_FOUND),
        (
            format!("{link}/mall/99999999999999999999"),
            StatusCode::NOT_FOUND,
        ),
        (format!("{link}/mall/424242"), StatusCode::NOT_FOUND),
        (
            format!("{link}/mall/abc/confirm?sku=CUP-1"),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("{link}/mall/{cup}?sku=NOPE"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{link}/mall/{cup}/confirm?sku=CUP-1&qty=abc"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{link}/mall/{cup}/confirm?sku=CUP-1&qty=0"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{link}/mall/{cup}/confirm?sku=CUP-1&qty=-1"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{link}/mall/{cup}/confirm?sku=CUP-1&qty=100"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{link}/mall/{cup}/confirm?sku=CUP-1&qty=1e3"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{link}/mall/{cup}/confirm?sku=NOPE&qty=1"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{link}/mall/{cup}/confirm?sku=VIP-1&qty=1"),
            StatusCode::BAD_REQUEST,
        ),
        (format!("{link}/orders/abc"), StatusCode::NOT_FOUND),
        (format!("{link}/orders/77777"), StatusCode::NOT_FOUND),
        (format!("{link}/orders?before=zzz"), StatusCode::OK),
        (format!("{link}/mall?cat=%3Cscript%3E"), StatusCode::OK),
        (format!("{link}/lottery/nope"), StatusCode::NOT_FOUND),
        (format!("{link}/lottery/nope?r=%00"), StatusCode::NOT_FOUND),
        ("/m/1.1.1.abc/mall".to_string(), StatusCode::UNAUTHORIZED),
        ("/m/garbage/orders".to_string(), StatusCode::UNAUTHORIZED),
        (
            "/m/garbage/mall/1/confirm?qty=2".to_string(),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let (st, body, _) = get(&s, &path).await;
        assert_eq!(st, want, "{path}: {body}");
    }
    let (_, body, _) = get(&s, &format!("{link}/mall/{cup}/confirm?sku=CUP-1&qty=abc")).await;
    assert!(body.contains("数量须为1到99之间的整数"), "{body}");
    let (_, body, _) = get(&s, "/m/garbage/orders").await;
    assert!(body.contains("链接已失效"));
    // Posts with bad quantities, SKUs and keys.
    let key = confirm_key(&s, &link, cup, "CUP-1", 1).await;
    for (qty, sku, k, want) in [
        ("abc", "CUP-1", key.as_str(), StatusCode::BAD_REQUEST),
        ("0", "CUP-1", key.as_str(), StatusCode::BAD_REQUEST),
        ("", "CUP-1", key.as_str(), StatusCode::BAD_REQUEST),
        (
            "99999999999999999999999",
            "CUP-1",
            key.as_str(),
            StatusCode::BAD_REQUEST,
        ),
        ("1", "NOPE", key.as_str(), StatusCode::BAD_REQUEST),
        ("1", "", key.as_str(), StatusCode::BAD_REQUEST),
        ("1", "CUP-1", "", StatusCode::BAD_REQUEST),
        (
            "1",
            "CUP-1",
            "bad key with spaces!!",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (st, body, _) = redeem(&s, &link, cup, sku, qty, k, &ADDRESS).await;
        assert_eq!(st, want, "qty {qty:?} sku {sku:?} key {k:?}: {body}");
    }
    let (st, _, _) = post(
        &s,
        &format!("{link}/mall/xyz/redeem"),
        &[("sku", "CUP-1"), ("qty", "1")],
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = post(&s, &format!("{link}/lottery/nope/draw"), &[("key", "x")]).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(orders_of(&s).await.is_empty());
    // Another member's order reads as unknown.
    let other = s
        .app
        .write_view(s.pid, "m2", None, |tx, ctx, now| {
            let m = jifen_app::commands::NewMember {
                referrer: None,
                device_id: None,
                ip: None,
                profile: jifen_store::MemberProfile {
                    name: Some("李四".into()),
                    ..Default::default()
                },
                identities: vec![jifen_store::Identity {
                    channel: "app".into(),
                    external_id: "U2".into(),
                }],
            };
            jifen_app::commands::create_member(tx, ctx, now, &m)
        })
        .await
        .unwrap()
        .view
        .member
        .member_id
        .0;
    let k = confirm_key(&s, &link, shop.badge, "BADGE-1", 1).await;
    let (_, _, loc) = redeem(&s, &link, shop.badge, "BADGE-1", "1", &k, &[]).await;
    let id = loc
        .unwrap()
        .split("/orders/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let other_link = self::link(&s, other).await;
    let (st, _, _) = get(&s, &format!("{other_link}/orders/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, html, _) = get(&s, &format!("{other_link}/orders")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("限量徽章"), "{html}");
}

#[tokio::test]
async fn a_shipped_order_shows_its_tracking_and_can_be_appealed() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let key = confirm_key(&s, &link, shop.cup, "CUP-1", 1).await;
    let (_, _, loc) = redeem(&s, &link, shop.cup, "CUP-1", "1", &key, &ADDRESS).await;
    let id: i64 = loc
        .unwrap()
        .split("/orders/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, list, _) = get(&s, &format!("{link}/orders")).await;
    assert!(
        list.contains("待发货") && !list.contains("SF1234567890"),
        "{list}"
    );
    let (_, page, _) = get(&s, &format!("{link}/orders/{id}")).await;
    assert!(
        page.contains("取消订单"),
        "a paid order not yet shipped can be cancelled"
    );
    // Shipped as the API's ship_order does it.
    let u = jifen_app::mall::OrderUpdate {
        carrier: Some("顺丰速运".into()),
        tracking_no: Some("SF1234567890".into()),
        actor: Some("staff:amy".into()),
        ..Default::default()
    };
    s.app
        .write_view(
            s.pid,
            &format!("mall-order:{id}"),
            None,
            move |tx, ctx, now| {
                jifen_app::mall::act(tx, ctx, now, "staff:test", id, OrderAction::Ship, &u)
            },
        )
        .await
        .unwrap();
    let (st, list, _) = get(&s, &format!("{link}/orders")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        list.contains("已发货") && list.contains("顺丰速运") && list.contains("SF1234567890"),
        "{list}"
    );
    let (st, page, _) = get(&s, &format!("{link}/orders/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("物流信息")
            && page.contains("快递公司")
            && page.contains("SF1234567890")
            && page.contains("发货时间"),
        "{page}"
    );
    // 2026-01-01 00:00 UTC is 08:00 in Shanghai, the programme's zone.
    assert!(page.contains("2026-01-01 08:00"), "{page}");
    assert!(page.contains("浦东新区世纪大道100号"));
    let (_, en, _) = get(&s, &format!("{link}/orders/{id}?lang=en")).await;
    assert!(
        en.contains("Shipped") && en.contains("Tracking no."),
        "{en}"
    );
    // The appeal link opens the existing form for this order, which takes it.
    let appeal = format!("{link}/appeal?subject=order&amp;id={id}");
    assert!(page.contains(&appeal), "{page}");
    let (st, form, _) = get(&s, &appeal.replace("&amp;", "&")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(form.contains("value=\"order\"") && form.contains(&format!("value=\"{id}\"")));
    let (st, _, loc) = post(
        &s,
        &format!("{link}/appeal"),
        &[
            ("subject", "order"),
            ("subject_id", &id.to_string()),
            ("message", "快递一直没有送到"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(loc.unwrap().contains("done=appealed"));
    let (_, home, _) = get(&s, &link).await;
    assert!(home.contains("快递一直没有送到"));
    // Shipped goods cannot be cancelled by the member any more.
    assert!(!page.contains("取消订单"));
    let (st, html, _) = post(&s, &format!("{link}/orders/{id}/cancel"), &[]).await;
    assert_eq!(st, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("无法取消"));
}

#[tokio::test]
async fn a_member_cancels_an_order_before_it_ships_and_gets_the_points_back() {
    let s = start().await;
    let shop = shop(&s).await;
    let link = link(&s, MEMBER).await;
    let before = balance(&s).await;
    let key = confirm_key(&s, &link, shop.cup, "CUP-1", 2).await;
    let (_, _, loc) = redeem(&s, &link, shop.cup, "CUP-1", "2", &key, &ADDRESS).await;
    let path = loc.unwrap().split('?').next().unwrap().to_string();
    assert_eq!(balance(&s).await, before - 2_000);
    let (st, _, loc) = post(&s, &format!("{path}/cancel"), &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(loc.unwrap().ends_with("done=cancelled"));
    assert_eq!(balance(&s).await, before, "the points came back");
    let (_, page, _) = get(&s, &format!("{path}?done=cancelled")).await;
    assert!(
        page.contains("订单已取消") && !page.contains(">取消订单<"),
        "{page}"
    );
    // Again: still cancelled, nothing more given back.
    let (st, _, _) = post(&s, &format!("{path}/cancel"), &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(balance(&s).await, before);
    // Another member cannot cancel it, and nonsense ids are 404s.
    let other = {
        let m = jifen_app::commands::NewMember {
            referrer: None,
            device_id: None,
            ip: None,
            profile: jifen_store::MemberProfile::default(),
            identities: vec![],
        };
        s.app
            .write_view(s.pid, "m", None, move |tx, ctx, now| {
                jifen_app::commands::create_member(tx, ctx, now, &m)
            })
            .await
            .unwrap()
            .view
            .member
            .member_id
            .0
    };
    let other_link = self::link(&s, other).await;
    let id = path.rsplit('/').next().unwrap();
    let (st, _, _) = post(&s, &format!("{other_link}/orders/{id}/cancel"), &[]).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    for bad in ["abc", "0", "999999"] {
        let (st, _, _) = post(&s, &format!("{link}/orders/{bad}/cancel"), &[]).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn the_coupons_page_lists_the_members_coupons() {
    let s = start().await;
    let link = link(&s, MEMBER).await;
    let (_, empty, _) = get(&s, &format!("{link}/coupons")).await;
    assert!(!empty.contains("满100减20"));
    let t: jifen_domain::coupons::CouponTemplate = serde_json::from_value(json!({
        "code": "off20", "name_zh": "满100减20", "name_en": "20 off 100",
        "kind": {"type": "amount_off", "amount_minor": 2000}, "threshold_minor": 10000,
        "validity": {"kind": "days", "days": 30}
    }))
    .unwrap();
    s.app
        .write_view(s.pid, "coupons", None, move |tx, ctx, now| {
            jifen_app::coupons::create_template(tx, ctx, now, "staff:test", &t)
        })
        .await
        .unwrap();
    let issue = jifen_app::coupons::IssueCoupon {
        template: "off20".into(),
        idempotency_key: "welcome-1".into(),
    };
    let partition = MemberRef::Id { member_id: MEMBER }.partition();
    let code = s
        .app
        .write_view(s.pid, &partition, None, move |tx, ctx, now| {
            jifen_app::coupons::issue_by_api(tx, ctx, now, MemberId(MEMBER), &issue)
        })
        .await
        .unwrap()
        .view
        .code;
    let (st, html, _) = get(&s, &format!("{link}/coupons")).await;
    assert_eq!(st, StatusCode::OK);
    let usable = html.find("id=\"usable\"").unwrap();
    let used = html.find("id=\"used\"").unwrap();
    let at = html.find(&code).expect("the coupon's code is shown");
    assert!(usable < at && at < used, "listed under 可用: {html}");
    assert!(
        html.contains("满100减20") && html.contains("满¥100.00可用") && html.contains("¥20"),
        "{html}"
    );
    // Valid 30 days from issue, in the programme's zone.
    assert!(html.contains("有效期至 2026-01-31 08:00"), "{html}");
}

#[tokio::test]
async fn the_lucky_wheel_draws_once_per_form() {
    let s = start().await;
    let link = link(&s, MEMBER).await;
    let def: jifen_domain::lottery::LotteryDef = serde_json::from_value(json!({
        "code": "spring", "name_zh": "春日大转盘", "name_en": "Spring wheel", "style": "wheel",
        "cost_points": 100,
        "prizes": [
            {"code": "p50", "name_zh": "50积分", "name_en": "50 points", "odds_ppm": 300000, "stock": 1000, "reward": {"type": "points", "points": 50}},
            {"code": "p500", "name_zh": "500积分", "name_en": "500 points", "odds_ppm": 100000, "stock": 10, "reward": {"type": "points", "points": 500}}
        ],
        "consolation": {"name_zh": "谢谢参与", "name_en": "Better luck", "reward": {"type": "nothing"}}
    }))
    .unwrap();
    s.app
        .write_view(s.pid, "lotteries", None, move |tx, ctx, now| {
            jifen_app::lottery::create(tx, ctx, now, "staff:test", &def)
        })
        .await
        .unwrap();
    let (_, home, _) = get(&s, &link).await;
    assert!(
        home.contains(&format!("{link}/lottery/spring")) && home.contains("春日大转盘"),
        "{home}"
    );
    let (st, page, _) = get(&s, &format!("{link}/lottery/spring")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("<svg class=\"disc\"")
            && page.contains("谢谢参与")
            && page.contains("100 积分抽一次"),
        "{page}"
    );
    assert!(page.contains("30.0000%"), "published odds: {page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
    let key = hidden(&page, "key");
    let (st, _, loc) = post(&s, &format!("{link}/lottery/spring/draw"), &[("key", &key)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let loc = loc.unwrap();
    assert_eq!(loc, format!("{link}/lottery/spring?r={key}"));
    // The same form again: the same draw.
    let (st, _, again) = post(&s, &format!("{link}/lottery/spring/draw"), &[("key", &key)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(again.as_deref(), Some(loc.as_str()));
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    let draws = s
        .app
        .read(move |tx| jifen_app::lottery::audit(tx, &ctx, "spring", 0, 100))
        .await
        .unwrap()
        .items;
    assert_eq!(draws.len(), 1, "one draw for one form");
    let won = match draws[0].draw.prize.as_deref() {
        Some("p50") => 50,
        Some("p500") => 500,
        _ => 0,
    };
    assert_eq!(balance(&s).await, START_POINTS - 100 + won);
    let (_, page, _) = get(&s, &loc).await;
    let name = &draws[0].draw.name_zh;
    assert!(
        page.contains(&format!("<p class=\"won\">{name}</p>")) && page.contains("消耗 100 积分"),
        "{page}"
    );
}

/// The `<img>` tags of a page.
fn img_tags(html: &str) -> Vec<&str> {
    html.match_indices("<img ")
        .map(|(at, _)| &html[at..at + html[at..].find('>').unwrap() + 1])
        .collect()
}

/// Pictures in lists and grids are the centre's copy, loaded as they come near the screen, with
/// their size given so that nothing moves when they arrive; the item's own page shows the whole
/// picture at once, its other pictures as copies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_are_lazy_and_sized_for_where_they_show() {
    let s = start().await;
    let mut pictures = Vec::new();
    for (w, h) in [(1200, 1200), (900, 1200)] {
        let up = s.upload_photo(w, h).await;
        assert_ne!(up.image_id, up.thumb_image_id, "a photo has a smaller copy");
        pictures.push(up.image_id);
    }
    let (cover, other) = (pictures[0], pictures[1]);
    let mut def = item("保温杯", json!({"type": "physical"}), "CUP-1", 1_000, 0, 10);
    def["images"] = json!(pictures);
    let cup = s.create_item(def).await;
    let order = s.order_posted_home("CUP-1", 1, "pic-1").await;
    let link = link(&s, MEMBER).await;
    let lists = [
        link.clone(),
        format!("{link}/mall"),
        format!("{link}/mall/{cup}/confirm?sku=CUP-1&qty=1"),
        format!("{link}/orders"),
        format!("{link}/orders/{order}"),
    ];
    for path in &lists {
        let (status, html, _) = get(&s, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let tags = img_tags(&html);
        assert!(!tags.is_empty(), "{path} shows the picture");
        for tag in tags {
            assert!(
                tag.contains(&format!("src=\"/media/{cover}/thumb\""))
                    && tag.contains("loading=\"lazy\"")
                    && tag.contains(" width=\"")
                    && tag.contains(" height=\""),
                "{path}: {tag}"
            );
        }
    }
    let (_, html, _) = get(&s, &format!("{link}/mall/{cup}")).await;
    let tags = img_tags(&html);
    let hero: Vec<_> = tags
        .iter()
        .filter(|t| t.contains("class=\"cover\""))
        .collect();
    assert_eq!(hero.len(), 1, "{tags:?}");
    assert!(
        hero[0].contains(&format!("src=\"/media/{cover}\""))
            && !hero[0].contains("loading=\"lazy\"")
            && hero[0].contains(" width=\"")
            && hero[0].contains(" height=\""),
        "the whole picture, at once: {}",
        hero[0]
    );
    let gallery: Vec<_> = tags
        .iter()
        .filter(|t| !t.contains("class=\"cover\""))
        .collect();
    assert!(
        gallery
            .iter()
            .any(|t| t.contains(&format!("src=\"/media/{other}/thumb\""))),
        "{gallery:?}"
    );
    assert!(
        gallery.iter().all(|t| t.contains("/thumb\"")
            && t.contains("loading=\"lazy\"")
            && t.contains(" width=\"")
            && t.contains(" height=\"")),
        "{gallery:?}"
    );
}

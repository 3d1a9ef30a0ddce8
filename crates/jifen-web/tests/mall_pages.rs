//! The mall pages over real HTTP: an item created through the form (errors next to the field),
//! put on sale and restocked; an order shipped with a tracking number (a missing one named next
//! to its field), delivered and refunded; the tier ladder, coupon templates and lotteries edited
//! as JSON; roles that may only read; malformed parameters answered without a 500.

mod common;

use common::{error_after, hidden, location, start};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_runs_the_mall_from_item_to_refund() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (st, html, _) = s.get("/console/mall/items/new", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    let key = hidden(&html, "form_key");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("name_zh", "保温杯"),
        ("name_en", "Thermos cup"),
        ("category", "home"),
        ("kind", "physical"),
        ("sku", "CUP-500"),
        ("points", "lots"),
        ("stock", "3"),
        ("publish", "1"),
    ];
    // A price that is not a number is named next to the points field, and nothing is made.
    let (st, html, _) = s.post_form("/console/mall/items/new", &cookie, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "points").is_some(), "{html}");
    assert!(html.contains("value=\"保温杯\""), "what was typed is kept");
    // A zero price is the use case's refusal, named on the same field.
    form[7] = ("points", "0");
    let (st, html, _) = s.post_form("/console/mall/items/new", &cookie, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "points").is_some(), "{html}");
    form[7] = ("points", "1,500");
    let (st, _, h) = s.post_form("/console/mall/items/new", &cookie, &form).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let item_page = location(&h);
    // The same form again makes no second item.
    let (_, _, h2) = s.post_form("/console/mall/items/new", &cookie, &form).await;
    assert_eq!(location(&h2), item_page);
    let (st, list, _) = s.get("/console/mall", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list.matches("保温杯").count(), 1, "{list}");
    assert!(list.contains("1,500") && list.contains("在售"), "{list}");

    // Restock: +5 makes 8; removing more than there is is refused on the page.
    let (st, _, _) = s
        .post_form(
            "/console/mall/skus/CUP-500/stock",
            &cookie,
            &[("csrf", &csrf), ("delta", "+5")],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let item_path = item_page.split('?').next().unwrap().to_string();
    let (_, html, _) = s.get(&item_path, &cookie).await;
    assert!(html.contains("<td class=\"num\">8</td>"), "{html}");
    let (st, html, _) = s
        .post_form(
            "/console/mall/skus/CUP-500/stock",
            &cookie,
            &[("csrf", &csrf), ("delta", "-50")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("field-error"), "{html}");
    // Stock arriving with no order waiting for it goes into the stock: 8 + 2.
    let (st, _, _) = s
        .post_form(
            "/console/mall/skus/CUP-500/arrival",
            &cookie,
            &[("csrf", &csrf), ("delta", "2")],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get(&item_path, &cookie).await;
    assert!(html.contains("<td class=\"num\">10</td>"), "{html}");
    let (st, _, _) = s
        .post_form(
            "/console/mall/skus/NOPE/stock",
            &cookie,
            &[("csrf", &csrf), ("delta", "1")],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // A member redeems it (through the same use case the API and the member centre use).
    let order_id = s.order_posted_home("CUP-500", 2, "r-1").await;
    let (_, html, _) = s.get("/console/orders?state=paid", &cookie).await;
    assert!(
        html.contains(&format!("id=\"order-{order_id}\"")) && html.contains("3,000"),
        "{html}"
    );

    // Ship without a tracking number: named next to that field; the order stays paid.
    let ship = format!("/console/orders/{order_id}/ship");
    let (st, html, _) = s
        .post_form(&ship, &cookie, &[("csrf", &csrf), ("carrier", "顺丰")])
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("请填写运单号"), "{html}");
    let (st, _, _) = s
        .post_form(
            &ship,
            &cookie,
            &[
                ("csrf", &csrf),
                ("carrier", "顺丰"),
                ("tracking_no", "SF1234567"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get(&format!("/console/orders/{order_id}"), &cookie).await;
    assert!(
        html.contains("SF1234567") && html.contains("已发货"),
        "{html}"
    );
    assert!(html.contains("南京路1号"), "the address is shown");
    // Shipping twice is refused with the reason, not a 500.
    let (st, html, _) = s
        .post_form(
            &ship,
            &cookie,
            &[("csrf", &csrf), ("carrier", "顺丰"), ("tracking_no", "SF2")],
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(html.contains("field-error"), "{html}");
    // Deliver, then refund: the points come back.
    for a in ["deliver", "refund"] {
        let (st, _, _) = s
            .post_form(
                &format!("/console/orders/{order_id}/{a}"),
                &cookie,
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{a}");
    }
    let (_, html, _) = s.get("/console/members/1", &cookie).await;
    assert!(
        html.contains("12,345"),
        "the refund gave the points back: {html}"
    );
    // The overview counts the member as active and the cup among the top items.
    let (st, html, _) = s.get("/console", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    let top = &html[html.find("近30天热门兑换").expect("top items")..];
    assert!(top.contains("保温杯") && top.contains("3,000"), "{top}");
    assert!(html.contains("30天活跃会员"), "{html}");
    let entries = s
        .app
        .read(|tx| Ok(tx.audit_entries(jifen_ledger::ProgramId(1), None, None, i64::MAX, 50)?))
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "mall_item.create",
        "mall_sku.stock",
        "mall_sku.arrival",
        "mall_order.ship",
        "mall_order.refund",
    ] {
        assert!(actions.contains(&a), "{actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_are_edited_as_json_with_errors_next_to_the_editor() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    // Tiers: no ladder yet shows an example; a broken one is refused and kept.
    let (st, html, _) = s.get("/console/tiers", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("还没有等级体系"), "{html}");
    let (st, html, _) = s
        .post_form(
            "/console/tiers",
            &cookie,
            &[("csrf", &csrf), ("definition", "{\"metric\": \"growth\", ")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "definition").is_some(), "{html}");
    assert!(
        html.contains("{&quot;metric&quot;: &quot;growth&quot;, "),
        "kept"
    );
    let ladder = r#"{"metric": "growth", "window": {"kind": "rolling_months", "months": 12}, "tiers": [
        {"code": "silver", "name_zh": "银卡", "name_en": "Silver", "threshold": 0},
        {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "threshold": 5000, "benefits": {"earn_multiplier_pct": 150}}]}"#;
    let (st, _, _) = s
        .post_form(
            "/console/tiers",
            &cookie,
            &[("csrf", &csrf), ("definition", ladder)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get("/console/tiers", &cookie).await;
    assert!(
        html.contains("金卡") && html.contains("5,000") && html.contains("1.50×"),
        "{html}"
    );

    // Coupon templates: an invalid one names its field; a good one is listed.
    let bad = r#"{"code": "x y", "name_zh": "券", "name_en": "C", "kind": {"type": "amount_off", "amount_minor": 1000}, "validity": {"kind": "days", "days": 30}}"#;
    let (st, html, _) = s
        .post_form(
            "/console/coupon-templates",
            &cookie,
            &[("csrf", &csrf), ("definition", bad)],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_after(&html, "definition").unwrap().contains("code"),
        "{html}"
    );
    let good = bad.replace("x y", "off_10");
    let (st, _, _) = s
        .post_form(
            "/console/coupon-templates",
            &cookie,
            &[("csrf", &csrf), ("definition", &good)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get("/console/coupon-templates", &cookie).await;
    assert!(
        html.contains("<code>off_10</code>") && html.contains("-¥10.00"),
        "{html}"
    );

    // The same through the form: amounts in yuan, each problem next to its field.
    let (_, page, _) = s.get("/console/coupon-templates", &cookie).await;
    let key = hidden(&page, "form_key");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("code", "off_20_100"),
        ("name_zh", "满100减20"),
        ("name_en", "20 off 100"),
        ("kind", "amount_off"),
        ("value", "twenty"),
        ("threshold", "100"),
        ("days", "30"),
    ];
    let (st, html, _) = s
        .post_form("/console/coupon-templates/new", &cookie, &form)
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "t_value").is_some(), "{html}");
    assert!(
        html.contains("value=\"满100减20\""),
        "what was typed is kept"
    );
    form[6] = ("value", "200");
    let (st, html, _) = s
        .post_form("/console/coupon-templates/new", &cookie, &form)
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "more off than the threshold"
    );
    assert!(
        error_after(&html, "t_value").unwrap().contains("threshold"),
        "{html}"
    );
    form[6] = ("value", "20");
    form[8] = ("days", "");
    let (st, html, _) = s
        .post_form("/console/coupon-templates/new", &cookie, &form)
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "t_days").is_some(), "{html}");
    form[8] = ("days", "30");
    let (st, _, _) = s
        .post_form("/console/coupon-templates/new", &cookie, &form)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    // Again with the same form: once. With a new form and the same code: named on the code.
    let (st, _, _) = s
        .post_form("/console/coupon-templates/new", &cookie, &form)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    form[1] = ("form_key", "another-form-key-123");
    let (st, html, _) = s
        .post_form("/console/coupon-templates/new", &cookie, &form)
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(error_after(&html, "t_code").is_some(), "{html}");
    let (_, html, _) = s.get("/console/coupon-templates", &cookie).await;
    assert!(
        html.contains("<code>off_20_100</code>")
            && html.contains("-¥20.00")
            && html.contains("¥100.00"),
        "{html}"
    );

    // Lotteries: the page lists none; bad JSON is refused.
    let (st, html, _) = s.get("/console/lotteries", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("还没有抽奖活动"));
    let (st, _, _) = s
        .post_form(
            "/console/lotteries",
            &cookie,
            &[("csrf", &csrf), ("definition", "[]")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // A stale token changes nothing.
    let (st, _, _) = s
        .post_form(
            "/console/tiers",
            &cookie,
            &[("csrf", "old"), ("definition", ladder)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_service_reads_the_mall_but_does_not_change_it() {
    let s = start().await;
    let (cookie, csrf) = s.session("sam").await;
    for path in [
        "/console/mall",
        "/console/orders",
        "/console/tiers",
        "/console/coupon-templates",
        "/console/lotteries",
    ] {
        let (st, html, _) = s.get(path, &cookie).await;
        assert_eq!(st, StatusCode::OK, "{path}");
        assert!(
            !html.contains("<textarea"),
            "no editor for this role: {path}"
        );
    }
    let (st, _, _) = s.get("/console/mall/items/new", &cookie).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = s
        .post_form(
            "/console/tiers",
            &cookie,
            &[("csrf", &csrf), ("definition", "{}")],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Malformed parameters are a 404 or the first page, never a 500.
    for path in [
        "/console/mall/items/abc",
        "/console/mall/items/0",
        "/console/mall/items/424242",
        "/console/orders/xyz",
        "/console/orders/99999",
    ] {
        let (st, _, _) = s.get(path, &cookie).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        "/console/orders?state=bogus&before=-4",
        "/console/mall?status=zzz&after=x",
    ] {
        let (st, _, _) = s.get(path, &cookie).await;
        assert_eq!(st, StatusCode::OK, "{path}");
    }
    let (st, _, _) = s
        .post_form("/console/orders/1/explode", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

//! The mall pages over real HTTP: an item created through the form (errors next to the field),
//! put on sale and restocked; an order shipped with a tracking number (a missing one named next
//! to its field), delivered and refunded; the tier ladder, coupon templates and lotteries made
//! with forms, refusals next to their fields; roles that may only read; malformed parameters answered without a 500.

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
    let points_error = error_after(&html, "points").unwrap();
    assert!(points_error.contains("请填整数"), "{points_error}");
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

    // An order to ship shows where it ships to, in its row.
    let row = &html[html.find(&format!("id=\"order-{order_id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("南京路1号"), "{row}");
    // The carrier is chosen from the list, by code, named in the page's language.
    assert!(
        html.contains("<select name=\"carrier\"")
            && html.contains("<option value=\"SF\">顺丰速运</option>")
            && html.contains("<option value=\"EMS\">中国邮政</option>"),
        "{html}"
    );
    let (_, en, _) = s.get("/console/orders?state=paid&lang=en", &cookie).await;
    assert!(
        en.contains("<option value=\"ZTO\">ZTO Express</option>"),
        "{en}"
    );
    // Ship without a tracking number: named next to that field; the order stays paid.
    let ship = format!("/console/orders/{order_id}/ship");
    let (st, html, _) = s
        .post_form(&ship, &cookie, &[("csrf", &csrf), ("carrier", "顺丰")])
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("请填写运单号"), "{html}");
    // The carrier chosen stays chosen; a tracking number typed without a carrier stays typed.
    let (st, html, _) = s
        .post_form(&ship, &cookie, &[("csrf", &csrf), ("carrier", "SF")])
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("<option value=\"SF\" selected>顺丰速运</option>"),
        "{html}"
    );
    let (st, html, _) = s
        .post_form(&ship, &cookie, &[("csrf", &csrf), ("tracking_no", "SF777")])
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("请填写快递公司") && html.contains("value=\"SF777\""),
        "{html}"
    );
    let (st, _, _) = s
        .post_form(
            &ship,
            &cookie,
            &[
                ("csrf", &csrf),
                ("carrier", "SF"),
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
    assert!(
        html.contains("顺丰速运 SF1234567"),
        "the carrier's name: {html}"
    );
    // Staff find it by order number, tracking number or the member's phone; not by anything.
    let row = format!("id=\"order-{order_id}\"");
    for q in [
        format!("{order_id}"),
        format!("%23{order_id}"),
        "SF1234567".into(),
        "13800138000".into(),
    ] {
        let (st, html, _) = s.get(&format!("/console/orders?q={q}"), &cookie).await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains(&row), "{q}: {html}");
        assert!(
            html.contains(&format!("value=\"{}\"", q.replace("%23", "#"))),
            "{q}: kept"
        );
    }
    let (_, html, _) = s.get("/console/orders?q=SF0000000", &cookie).await;
    assert!(!html.contains(&row) && html.contains("没有订单"), "{html}");
    let (_, en, _) = s
        .get(&format!("/console/orders/{order_id}?lang=en"), &cookie)
        .await;
    assert!(en.contains("SF Express"), "{en}");
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
    let (st, _, _) = s
        .post_form(
            &format!("/console/orders/{order_id}/deliver"),
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    // The refund asks first: what goes back, and why.
    let refund = format!("/console/orders/{order_id}/refund");
    let (_, order_page, _) = s.get(&format!("/console/orders/{order_id}"), &cookie).await;
    assert!(
        order_page.contains(&format!("href=\"{refund}\"")),
        "{order_page}"
    );
    let (st, confirm, _) = s.get(&refund, &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        confirm.contains("将退还") && confirm.contains("3,000"),
        "{confirm}"
    );
    let key = hidden(&confirm, "form_key");
    // Without a reason: refused next to the field, nothing refunded, the form kept.
    let (st, html, _) = s
        .post_form(
            &refund,
            &cookie,
            &[("csrf", &csrf), ("form_key", &key), ("reason", "  ")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "reason").is_some(), "{html}");
    let (_, html, _) = s.get(&format!("/console/orders/{order_id}"), &cookie).await;
    assert!(
        !html.contains("pill refunded"),
        "nothing refunded yet: {html}"
    );
    // With a reason: refunded once (the same form again replays), the reason on the order.
    let form = [
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("reason", "杯盖破损，顾客退回"),
    ];
    for _ in 0..2 {
        let (st, _, h) = s.post_form(&refund, &cookie, &form).await;
        assert_eq!(st, StatusCode::SEE_OTHER);
        assert_eq!(location(&h), format!("/console/orders/{order_id}"));
    }
    let (_, html, _) = s.get(&format!("/console/orders/{order_id}"), &cookie).await;
    assert!(
        html.contains("pill refunded")
            && html.contains("退还 3,000 积分；原因：杯盖破损，顾客退回"),
        "{html}"
    );
    let (_, audit, _) = s
        .get("/console/audit?action=mall_order.refund", &cookie)
        .await;
    assert!(audit.contains("原因：杯盖破损，顾客退回"), "{audit}");
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

/// A ladder of two tiers as the form sends it, the second from `gold` growth, its birthday
/// coupon `coupon`.
fn ladder_form<'a>(csrf: &'a str, gold: &'a str, coupon: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("rows", "3"),
        ("metric", "growth"),
        ("window", "rolling_months"),
        ("months", "12"),
        ("t0_code", "silver"),
        ("t0_name_zh", "银卡"),
        ("t0_name_en", "Silver"),
        ("t0_threshold", "0"),
        ("t0_earn", "100"),
        ("t0_price", "100"),
        ("t0_transfer", "1"),
        ("t1_code", "gold"),
        ("t1_name_zh", "金卡"),
        ("t1_name_en", "Gold"),
        ("t1_threshold", gold),
        ("t1_earn", "150"),
        ("t1_price", "95"),
        ("t1_priority", "1"),
        ("t1_bday_points", "500"),
        ("t1_bday_coupon", coupon),
        ("t1_mc0", coupon),
        ("t1_mn0", "2"),
        // The empty row the form always offers is no tier.
        ("t2_earn", "100"),
        ("t2_price", "100"),
        ("t2_transfer", "1"),
    ]
}

/// The 满100减20 coupon template, made through its form.
async fn coupon_template(s: &common::Site, cookie: &str, csrf: &str) {
    let (_, page, _) = s.get("/console/coupon-templates", cookie).await;
    let key = hidden(&page, "form_key");
    let form = [
        ("csrf", csrf),
        ("form_key", key.as_str()),
        ("code", "off_20_100"),
        ("name_zh", "满100减20"),
        ("name_en", "20 off 100"),
        ("kind", "amount_off"),
        ("value", "20"),
        ("threshold", "100"),
        ("days", "30"),
    ];
    let (st, _, _) = s
        .post_form("/console/coupon-templates/new", cookie, &form)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ladder_is_saved_through_its_form_with_refusals_next_to_their_fields() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let en = format!("{cookie}; jifen_lang=en");
    // No ladder yet: a form, no JSON.
    let (st, html, _) = s.get("/console/tiers", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("还没有等级体系"), "{html}");
    assert!(
        !html.contains("<textarea") && !html.contains("JSON"),
        "{html}"
    );
    assert!(html.contains("id=\"t0_code\""), "{html}");
    coupon_template(&s, &cookie, &csrf).await;
    // The coupons to give are chosen by name.
    let (_, html, _) = s.get("/console/tiers", &cookie).await;
    assert!(
        html.contains("<option value=\"off_20_100\">满100减20</option>"),
        "{html}"
    );

    // A threshold that does not rise is named on the gold row's threshold, in the page's
    // words, and what was typed stays.
    let form = ladder_form(&csrf, "0", "off_20_100");
    let (st, html, _) = s.post_form("/console/tiers", &cookie, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let e = error_after(&html, "t1_threshold").expect(&html);
    assert!(e.contains("门槛须逐级升高"), "{e}");
    assert!(
        html.contains("value=\"金卡\"") && html.contains("value=\"150\""),
        "kept: {html}"
    );
    let (st, html, _) = s.post_form("/console/tiers", &en, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let e = error_after(&html, "t1_threshold").expect(&html);
    assert!(e.contains("thresholds must rise"), "{e}");
    // Not a number: named on its field before the use case is asked.
    let mut bad = ladder_form(&csrf, "5000", "off_20_100");
    bad.retain(|(k, _)| *k != "t1_earn");
    bad.push(("t1_earn", "lots"));
    let (st, html, _) = s.post_form("/console/tiers", &cookie, &bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "t1_earn").is_some(), "{html}");

    // Another row on request, nothing saved.
    let mut more = ladder_form(&csrf, "5000", "off_20_100");
    more.push(("add_tier", "1"));
    let (st, html, _) = s.post_form("/console/tiers", &cookie, &more).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"t3_code\"") && html.contains("value=\"金卡\""));
    assert!(html.contains("还没有等级体系"), "not saved");

    // Saved: the table reads in words, the coupon by its name.
    let form = ladder_form(&csrf, "5000", "off_20_100");
    let (st, _, h) = s.post_form("/console/tiers", &cookie, &form).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/console/tiers?done=1");
    let (_, html, _) = s.get("/console/tiers", &cookie).await;
    let table = &html[..html.find("<form class=\"rule\"").unwrap()];
    for words in [
        "金卡",
        "5,000",
        "1.50×",
        "会员价 95%",
        "生日礼 500 积分 + 券 满100减20",
        "每月赠券 满100减20 × 2",
        "优先客服",
        "成长值",
    ] {
        assert!(table.contains(words), "{words}: {table}");
    }
    assert!(
        !table.contains("off_20_100") && !table.contains("growth"),
        "{table}"
    );
    // The form shows the ladder saved, to change it.
    assert!(html.contains("name=\"t1_code\" value=\"gold\""), "{html}");
    // The same form sent twice (its key twice) saves once: one more audit entry, not two.
    let entries = || async {
        let who = jifen_app::staff::Session {
            staff_id: 1,
            program: s.pid,
            login: "amy".into(),
            name: "Amy".into(),
            role: jifen_app::staff::Role::Owner,
            csrf: String::new(),
            pending: Default::default(),
        }
        .audit_reader()
        .unwrap();
        let page = s
            .app
            .read(move |tx| {
                jifen_app::console::audit_page(tx, &who, None, Some("tiers.put"), None, Some(50))
            })
            .await
            .unwrap();
        page.items.len()
    };
    let saved = entries().await;
    let key = hidden(&html, "form_key");
    assert!(!key.is_empty(), "the ladder form carries a key");
    let mut keyed = ladder_form(&csrf, "6000", "off_20_100");
    keyed.push(("form_key", key.as_str()));
    for _ in 0..2 {
        let (st, _, h) = s.post_form("/console/tiers", &cookie, &keyed).await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{h:?}");
    }
    assert_eq!(entries().await, saved + 1, "one save for one form");
    let (_, html, _) = s.get("/console/tiers", &en).await;
    assert!(
        html.contains("Birthday gift 500 points + coupon 20 off 100"),
        "{html}"
    );
    let ladder = s
        .app
        .program_ctx(s.pid)
        .await
        .unwrap()
        .earn
        .ladder
        .clone()
        .unwrap();
    assert_eq!(ladder.tiers.len(), 2);
    assert_eq!(ladder.tiers[1].benefits.monthly_coupons[0].count, 2);
    assert!(
        !ladder.tiers[1].benefits.transfer_allowed && ladder.tiers[0].benefits.transfer_allowed
    );

    // A row ticked to remove is no longer a tier.
    let mut fewer = ladder_form(&csrf, "5000", "off_20_100");
    fewer.push(("t1_remove", "1"));
    let (st, _, _) = s.post_form("/console/tiers", &cookie, &fewer).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let ladder = s
        .app
        .program_ctx(s.pid)
        .await
        .unwrap()
        .earn
        .ladder
        .clone()
        .unwrap();
    assert_eq!(ladder.tiers.len(), 1);
    // A stale token changes nothing.
    let mut stale = ladder_form("old", "5000", "off_20_100");
    stale.retain(|(k, _)| *k != "csrf");
    stale.push(("csrf", "old"));
    let (st, _, _) = s.post_form("/console/tiers", &cookie, &stale).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let ladder = s
        .app
        .program_ctx(s.pid)
        .await
        .unwrap()
        .earn
        .ladder
        .clone()
        .unwrap();
    assert_eq!(ladder.tiers.len(), 1);
}

/// A lottery of two prizes as the form sends it: 100 points at `odds` percent, and the 满100减20
/// coupon (`coupon`) at 5%.
fn lottery_form<'a>(csrf: &'a str, odds: &'a str, coupon: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("rows", "3"),
        ("code", "spring_wheel"),
        ("name_zh", "春季大转盘"),
        ("name_en", "Spring wheel"),
        ("style", "wheel"),
        ("cost_points", "100"),
        ("per_day", "3"),
        ("p0_name_zh", "100积分"),
        ("p0_name_en", "100 points"),
        ("p0_kind", "points"),
        ("p0_points", "100"),
        ("p0_odds", odds),
        ("p0_stock", "50"),
        ("p1_name_zh", "满减券"),
        ("p1_name_en", "Coupon"),
        ("p1_kind", "coupon"),
        ("p1_coupon", coupon),
        ("p1_odds", "5"),
        ("p1_stock", "10"),
        ("p2_kind", "points"),
        ("c_name_zh", "谢谢参与"),
        ("c_name_en", "Thanks for playing"),
        ("c_kind", "nothing"),
    ]
}

/// The programme's lotteries as stored.
async fn lotteries(s: &common::Site) -> jifen_app::lottery::LotteryList {
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    s.app
        .read(move |tx| jifen_app::lottery::list(tx, &ctx))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lottery_is_created_through_its_form_with_odds_in_percent() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let en = format!("{cookie}; jifen_lang=en");
    let (st, html, _) = s.get("/console/lotteries", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("还没有抽奖活动"));
    assert!(
        !html.contains("<textarea") && !html.contains("JSON"),
        "{html}"
    );
    coupon_template(&s, &cookie, &csrf).await;

    // Odds above 100% in all are named above the prizes, in the page's words; typed values stay.
    let form = lottery_form(&csrf, "96", "off_20_100");
    let (st, html, _) = s.post_form("/console/lotteries", &cookie, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("各奖品中奖率合计超过 100%"), "{html}");
    assert!(html.contains("value=\"春季大转盘\"") && html.contains("value=\"96\""));
    // A coupon prize without its coupon is named on its select; in English too.
    let form = lottery_form(&csrf, "10", "");
    let (st, html, _) = s.post_form("/console/lotteries", &cookie, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_after(&html, "p1_coupon").as_deref(),
        Some("请选择优惠券模板"),
        "{html}"
    );
    let (_, html, _) = s.post_form("/console/lotteries", &en, &form).await;
    assert!(
        error_after(&html, "p1_coupon")
            .unwrap()
            .contains("coupon template"),
        "{html}"
    );
    // Odds that are not a percentage are named on their field.
    let form = lottery_form(&csrf, "ten", "off_20_100");
    let (st, html, _) = s.post_form("/console/lotteries", &en, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_after(&html, "p0_odds")
            .unwrap()
            .contains("percentage"),
        "{html}"
    );
    // Another prize row on request.
    let mut more = lottery_form(&csrf, "10", "off_20_100");
    more.push(("add_prize", "1"));
    let (st, html, _) = s.post_form("/console/lotteries", &cookie, &more).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"p3_odds\"") && html.contains("value=\"春季大转盘\""));

    // Created: 10% is 100,000 parts per million; the list reads in words.
    let form = lottery_form(&csrf, "12.5", "off_20_100");
    let (st, _, h) = s.post_form("/console/lotteries", &cookie, &form).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{h:?}");
    assert_eq!(location(&h), "/console/lotteries?done=1");
    let (_, html, _) = s.get("/console/lotteries", &cookie).await;
    let list = &html[..html.find("<form class=\"rule\"").unwrap()];
    for words in [
        "春季大转盘",
        "12.5%",
        "5%",
        "82.5%",
        "优惠券：满100减20",
        "100 积分",
        "每人每天 3 次",
        "谢谢参与",
        "启用中",
    ] {
        assert!(list.contains(words), "{words}: {list}");
    }
    assert!(
        !list.contains("odds_ppm") && !list.contains(">active<") && !list.contains("off_20_100"),
        "{list}"
    );
    let (_, html, _) = s.get("/console/lotteries", &en).await;
    assert!(
        html.contains("Coupon：20 off 100") || html.contains("20 off 100"),
        "{html}"
    );
    let list = lotteries(&s).await;
    let def = list.items[0].definition();
    assert_eq!(def.prizes[0].odds_ppm, 125_000);
    assert_eq!(def.prizes[1].odds_ppm, 50_000);
    assert_eq!(def.per_member_per_day, Some(3));
    assert_eq!(def.prizes[1].code, "p2");
    // The same form again (its key sent twice): once, the same answer.
    let (_, page, _) = s.get("/console/lotteries", &cookie).await;
    let key = hidden(&page, "form_key");
    let mut keyed = lottery_form(&csrf, "12.5", "off_20_100");
    keyed.retain(|(k, _)| *k != "code");
    keyed.extend([("code", "summer_wheel"), ("form_key", key.as_str())]);
    for _ in 0..2 {
        let (st, _, h) = s.post_form("/console/lotteries", &cookie, &keyed).await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{h:?}");
    }
    let list = lotteries(&s).await;
    assert_eq!(list.items.len(), 2, "one lottery per form");
    // The same code again in another form is named on the code.
    let (st, html, _) = s.post_form("/console/lotteries", &cookie, &form).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(
        error_after(&html, "code").unwrap().contains("代码已被使用"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coupon_templates_are_made_with_the_form() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (st, html, _) = s.get("/console/coupon-templates", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        !html.contains("<textarea") && !html.contains("amount_minor"),
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
    assert_eq!(
        error_after(&html, "t_value").as_deref(),
        Some("请填写金额，如 20 或 9.90"),
        "in the page's words: {html}"
    );
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
        error_after(&html, "t_value").unwrap().contains("门槛"),
        "{html}"
    );
    let en = format!("{cookie}; jifen_lang=en");
    let (st, html, _) = s
        .post_form("/console/coupon-templates/new", &en, &form)
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
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
    assert_eq!(
        error_after(&html, "t_code").as_deref(),
        Some("代码已被使用"),
        "{html}"
    );
    let (_, html, _) = s.get("/console/coupon-templates", &cookie).await;
    assert!(
        html.contains("<code>off_20_100</code>")
            && html.contains("-¥20.00")
            && html.contains("¥100.00"),
        "{html}"
    );

    // Statuses read in words.
    assert!(
        html.contains("启用中") && !html.contains(">active<"),
        "{html}"
    );
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
            !html.contains("<textarea") && !html.contains("<form class=\"rule\""),
            "no editor for this role: {path}"
        );
    }
    let (st, _, _) = s.get("/console/mall/items/new", &cookie).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A picture upload is refused in the page's language.
    for (lang, words) in [
        ("zh", "你的角色不能修改商品"),
        ("en", "may not change the catalog"),
    ] {
        let r = s
            .client
            .post(format!("{}/console/mall/images?lang={lang}", s.base))
            .header("cookie", &cookie)
            .header("x-csrf", &csrf)
            .header("content-type", "image/png")
            .body(b"\x89PNG".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let error = r.text().await.unwrap();
        assert!(error.contains(words), "{lang}: {error}");
    }
    let (st, _, _) = s
        .post_form(
            "/console/tiers",
            &cookie,
            &[("csrf", &csrf), ("t0_code", "silver")],
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

/// The item form's own checks answer next to their field in the page's language: a 中文 page
/// has no English error, an English page no Chinese one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_form_errors_speak_the_page_language() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let base = [
        ("csrf", csrf.as_str()),
        ("name_zh", "保温杯"),
        ("name_en", "Thermos cup"),
        ("category", "home"),
        ("kind", "physical"),
        ("sku", "CUP-LANG"),
        ("points", "100"),
    ];
    let cases = [
        ("points", "lots", "请填整数", "whole number"),
        ("cash", "abc", "请填金额", "amount such as"),
        ("market", "9.999", "请填金额", "amount such as"),
        ("per_day", "-1", "正整数", "positive whole number"),
        ("lifetime", "99999999999", "正整数", "positive whole number"),
        ("sale_from", "tomorrow", "请填日期和时间", "date and time"),
        ("images", "x", "请重新上传图片", "Upload the picture again"),
    ];
    for (field, value, zh, en) in cases {
        let mut form: Vec<(&str, &str)> =
            base.iter().filter(|(k, _)| *k != field).copied().collect();
        form.push((field, value));
        for (path, words) in [
            ("/console/mall/items/new?lang=zh", zh),
            ("/console/mall/items/new?lang=en", en),
        ] {
            let (st, html, _) = s.post_form(path, &cookie, &form).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {html}");
            // The pictures' error follows their previews, after the file input.
            let at = if field == "images" {
                "image-file"
            } else {
                field
            };
            let e = error_after(&html, at).unwrap_or_else(|| panic!("{field}: {html}"));
            assert!(e.contains(words), "{field} {path}: {e}");
        }
    }
    // A partner item is made through the API: the form names the kind, in the page's language.
    let mut form = base.to_vec();
    form[4] = ("kind", "partner");
    let (st, html, _) = s.post_form("/console/mall/items/new", &cookie, &form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_after(&html, "kind").unwrap().contains("合作方"),
        "{html}"
    );
}

//! More of the mall on both stores: a lucky wheel whose prize runs out (its chance going to the
//! consolation) with every draw recomputable from its random input; a presale released by
//! stock arrival in order; checkout deduction reserved, posted and refunded; alternatives for a
//! sold-out item, the slow-item report and member voting; the merchant's payment link and the
//! payment window, checked and audited.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::AppError;
use jifen_app::commands::MemberRef;
use jifen_app::mall::{self, ItemIn, OrderUpdate, PlaceOrder};
use jifen_domain::lottery::LotteryDef;
use jifen_domain::mall::OrderAction;
use jifen_ledger::PointType;
use jifen_store::Backend;
use serde_json::{Value, json};

fn item(w: &World, v: Value) -> Value {
    let i: ItemIn = serde_json::from_value(v).expect("item parses");
    w.write(move |tx, ctx, now| mall::create_item(tx, ctx, now, "staff:test", &i))
        .expect("item created")
}

fn credit(w: &World, m: i64, points: i64) {
    w.adjust(
        m,
        points,
        PointType::Points,
        Some("开户赠送"),
        Some("staff:ops"),
    )
    .unwrap();
}

fn code(r: Result<Value, AppError>) -> &'static str {
    match r {
        Err(AppError::Conflict { code, .. }) => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn order(w: &World, m: i64, sku: &str, request: &str) -> Result<Value, AppError> {
    let o = PlaceOrder {
        member: MemberRef::Id { member_id: m },
        sku: sku.into(),
        quantity: 1,
        request_id: request.into(),
        address: None,
        pay_within_seconds: None,
    };
    w.write(move |tx, ctx, now| mall::place_order(tx, ctx, now, &o))
}

fn draw(w: &World, m: i64, request: &str) -> Result<Value, AppError> {
    let d = jifen_app::lottery::DrawIn {
        member: MemberRef::Id { member_id: m },
        request_id: request.into(),
    };
    w.write(move |tx, ctx, now| jifen_app::lottery::draw(tx, ctx, now, "wheel", &d))
}

fn a_prize_that_runs_out_pays_the_consolation_and_every_draw_recomputes(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    // A wheel whose big prize wins half of all draws but has only 3 in stock.
    let def: LotteryDef = serde_json::from_value(json!({
        "code": "wheel", "name_zh": "幸运大转盘", "name_en": "Lucky wheel", "style": "wheel", "cost_points": 10,
        "prizes": [
            {"code": "big", "name_zh": "100积分", "name_en": "100 points", "odds_ppm": 500000, "stock": 3,
             "reward": {"type": "points", "points": 100}},
            {"code": "small", "name_zh": "5积分", "name_en": "5 points", "odds_ppm": 200000, "stock": 1000,
             "reward": {"type": "points", "points": 5}}],
        "consolation": {"name_zh": "谢谢参与", "name_en": "Better luck next time", "reward": {"type": "nothing"}},
        "per_member_per_day": 30, "granted_on": ["review"]}))
    .unwrap();
    w.write(move |tx, ctx, now| jifen_app::lottery::create(tx, ctx, now, "staff:test", &def))
        .unwrap();
    let m = w.member("lucky");
    let poor = w.member("poor");
    credit(&w, m, 1_000);
    // Too few points: refused, nothing written.
    let before = w.snapshot();
    assert!(draw(&w, poor, "p-1").is_err());
    assert_eq!(w.snapshot(), before);
    // A review grants a free draw (the lottery names reviews in `granted_on`).
    let e = jifen_app::earn::EventIn {
        event_id: Some("rev-1".into()),
        trigger: "review".into(),
        member: MemberRef::Id { member_id: poor },
        occurred_at: None,
        channel: Some("app".into()),
        tags: vec![],
        attributes: serde_json::from_value(json!({"text_length": 30})).unwrap(),
        makeup_date: None,
        device_id: None,
        ip: None,
    };
    let out = w
        .write(move |tx, ctx, now| jifen_app::earn::record_event(tx, ctx, now, &e))
        .unwrap();
    assert_eq!(out["lottery_draws_granted"], json!(["wheel"]));
    let free = draw(&w, poor, "p-2").unwrap();
    assert_eq!(
        (
            free["used_granted_draw"].as_bool(),
            free["cost_points"].as_i64()
        ),
        (Some(true), Some(0))
    );
    // Free draws first, then 10 points each.
    let g = jifen_app::lottery::Grant {
        member_id: m,
        count: 2,
    };
    w.write(move |tx, ctx, now| jifen_app::lottery::grant(tx, ctx, now, "wheel", &g))
        .unwrap();
    let mut prizes = std::collections::HashMap::<String, i64>::new();
    let mut paid_points = 0;
    let mut costs = 0;
    for i in 0..30 {
        let d = draw(&w, m, &format!("d-{i}")).unwrap();
        *prizes
            .entry(d["prize"].as_str().unwrap_or("consolation").to_string())
            .or_default() += 1;
        costs += d["cost_points"].as_i64().unwrap();
        paid_points += match d["prize"].as_str() {
            Some("big") => 100,
            Some("small") => 5,
            _ => 0,
        };
        assert_eq!(d["used_granted_draw"], i < 2, "{d}");
    }
    assert_eq!(costs, 28 * 10);
    // 30 draws at 50% would win about 15 big prizes; the stock of 3 caps it.
    assert!(prizes.get("big").copied().unwrap_or(0) <= 3, "{prizes:?}");
    assert_eq!(code(draw(&w, m, "d-30")), "draw_limit_reached");
    // A retry of a draw is the same draw.
    let again = draw(&w, m, "d-5").unwrap();
    assert_eq!(again["random"], draw(&w, m, "d-5").unwrap()["random"]);
    w.assert_points(m, (1_000 - costs + paid_points, 0, 0, 0));
    let audit = w.read(|tx, ctx| jifen_app::lottery::audit(tx, ctx, "wheel", 0, 100));
    let items = &audit.items;
    assert_eq!(
        items.len(),
        31,
        "30 draws of one member and the free draw of the other"
    );
    assert!(items.iter().all(|d| d.recomputes), "{audit:?}");
    // In draw order: a draw in the big prize's band wins it while any are left, and gets the
    // consolation once the 3 are gone.
    let mut big_left = 3;
    for d in items {
        if d.draw.band == Some(0) {
            if big_left > 0 {
                assert_eq!(d.draw.prize.as_deref(), Some("big"), "{d:?}");
                big_left -= 1;
            } else {
                assert!(d.draw.consolation, "{d:?}");
            }
        }
    }
    // 30 draws at 50% reach the big band fewer than 3 times with a chance of about 4 in 10^7.
    assert_eq!(big_left, 0, "the big prize ran out");
    let l = w.read(|tx, ctx| jifen_app::lottery::get(tx, ctx, "wheel"));
    assert_eq!((l.prizes[0].won, l.prizes[0].left), (3, 0));
    w.verify();
}

fn a_presale_is_released_in_order_when_stock_arrives(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    item(
        &w,
        json!({"name_zh": "预售：限定咖啡豆", "name_en": "Presale: limited beans", "category": "beans",
               "kind": {"type": "virtual"}, "status": "on_sale", "presale": true,
               "skus": [{"sku": "PRE", "points": 100, "stock": 5}]}),
    );
    let members: Vec<i64> = (0..6).map(|i| w.member(&format!("pre{i}"))).collect();
    for m in &members {
        credit(&w, *m, 500);
    }
    let mut orders = Vec::new();
    for (i, m) in members.iter().enumerate().take(5) {
        let o = order(&w, *m, "PRE", &format!("pre-{i}")).unwrap();
        assert_eq!(o["state"], "awaiting_stock");
        orders.push(o["order_id"].as_i64().unwrap());
    }
    // The quota of 5 is taken; the sixth member is told it is sold out.
    assert_eq!(code(order(&w, members[5], "PRE", "pre-5")), "sold_out");
    w.assert_points(members[0], (400, 0, 0, 0));
    // The second buyer cancels: points back, quota back.
    let id1 = orders[1];
    w.write(move |tx, ctx, now| {
        mall::act(
            tx,
            ctx,
            now,
            "staff:test",
            id1,
            OrderAction::Cancel,
            &OrderUpdate::default(),
        )
    })
    .unwrap();
    w.assert_points(members[1], (500, 0, 0, 0));
    // 3 units arrive: the first, third and fourth orders are released, in that order.
    let a = mall::Arrival { quantity: 3 };
    let out = w
        .write(move |tx, ctx, now| mall::arrival(tx, ctx, now, "staff:test", "PRE", &a))
        .unwrap();
    assert_eq!(
        out["released_orders"],
        json!([orders[0], orders[2], orders[3]])
    );
    assert_eq!(out["added_to_stock"], 0);
    let state = |id: i64| w.read(move |tx, ctx| mall::get_order(tx, ctx, id)).state;
    assert_eq!(state(orders[0]), "paid");
    assert_eq!(state(orders[4]), "awaiting_stock");
    // 4 more: the last order, and 3 into stock.
    let a = mall::Arrival { quantity: 4 };
    let out = w
        .write(move |tx, ctx, now| mall::arrival(tx, ctx, now, "staff:test", "PRE", &a))
        .unwrap();
    assert_eq!(out["released_orders"], json!([orders[4]]));
    assert_eq!(out["added_to_stock"], 3);
    w.verify();
}

fn checkout_deduction_is_capped_reserved_posted_and_refunded(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let s: jifen_app::checkout::CheckoutSettings = serde_json::from_value(json!({
        "points_per_unit": 100, "max_share_pct": 30, "min_order_minor": 5000,
        "ladders": [{"min_order_minor": 10000, "max_points": 1000}, {"min_order_minor": 20000, "max_points": 3000}]}))
    .unwrap();
    w.write(move |tx, ctx, now| jifen_app::checkout::put_settings(tx, ctx, now, &s))
        .unwrap();
    let m = w.member("checkout");
    credit(&w, m, 5_000);
    let quote = |total: i64| {
        let q = jifen_app::checkout::Quote {
            member: MemberRef::Id { member_id: m },
            order_total_minor: total,
        };
        w.read(move |tx, ctx| jifen_app::checkout::quote(tx, ctx, w_now(), &q))
    };
    assert_eq!(quote(4_999).max_points, 0);
    assert_eq!(quote(15_000).max_points, 1_000);
    let q = quote(25_000);
    assert_eq!(
        (Some(q.max_points), Some(q.worth_minor)),
        (Some(3_000), Some(3_000))
    );
    let deduct = |points: i64, order: &str| {
        let d = jifen_app::checkout::Deduction {
            member: MemberRef::Id { member_id: m },
            order_id: order.into(),
            order_total_minor: 25_000,
            points,
        };
        w.write(move |tx, ctx, now| jifen_app::checkout::deduct(tx, ctx, now, &d))
    };
    let before = w.snapshot();
    assert_eq!(code(deduct(3_001, "so-1")), "deduction_not_allowed");
    assert_eq!(w.snapshot(), before);
    let d = deduct(3_000, "so-1").unwrap();
    w.assert_points(m, (2_000, 0, 3_000, 0));
    let r = d["reservation_id"].as_i64().unwrap();
    w.write(move |tx, ctx, now| jifen_app::checkout::post_deduction(tx, ctx, now, r))
        .unwrap();
    w.assert_points(m, (2_000, 0, 0, 0));
    // The order is refunded in part: a third of the points come back.
    let rr = jifen_app::checkout::DeductionRefund {
        amount: Some(1_000),
        reason: Some("部分退货".into()),
    };
    w.write(move |tx, ctx, now| jifen_app::checkout::refund_deduction(tx, ctx, now, r, &rr))
        .unwrap();
    w.assert_points(m, (3_000, 0, 0, 0));
    w.verify();
}

fn w_now() -> i64 {
    START
}

fn the_catalog_suggests_alternatives_reports_slow_items_and_takes_votes(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let mk = |sku: &str, points: i64, stock: i64, category: &str| {
        item(
            &w,
            json!({"name_zh": sku, "name_en": sku, "category": category, "kind": {"type": "virtual"},
                   "status": "on_sale", "skus": [{"sku": sku, "points": points, "stock": stock}]}),
        )
    };
    let gone = mk("GONE", 1_000, 0, "cups");
    mk("NEAR", 1_100, 5, "cups");
    mk("FAR", 3_000, 5, "cups");
    mk("OTHER-CAT", 1_000, 5, "bags");
    mk("EMPTY", 950, 0, "cups");
    mk("CLOSE", 900, 50, "cups");
    let m = w.member("alt");
    credit(&w, m, 10_000);
    let r = order(&w, m, "GONE", "g-1");
    let details = match r {
        Err(AppError::Conflict {
            code: "sold_out",
            details,
            ..
        }) => details,
        other => panic!("{other:?}"),
    };
    let skus: Vec<&str> = details["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sku"].as_str().unwrap())
        .collect();
    assert_eq!(
        skus,
        ["NEAR", "CLOSE"],
        "same category, in stock, similar price, nearest first"
    );
    let _ = gone;
    // Over the three months to day 95: NEAR sold 1 of 5 (20%), CLOSE 1 of 50 (2%).
    w.at_day(10);
    order(&w, m, "NEAR", "n-1").unwrap();
    order(&w, m, "CLOSE", "c-1").unwrap();
    w.at_day(95);
    let report = |apply: bool| {
        let r = mall::SlowItems {
            months: 3,
            threshold_pct: 5,
            apply,
        };
        w.write(move |tx, ctx, now| mall::slow_items(tx, ctx, now, &r))
            .unwrap()
    };
    let slow: Vec<String> = report(false)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name_en"].as_str().unwrap().to_string())
        .collect();
    // FAR and OTHER-CAT sold nothing (0%); GONE and EMPTY offer nothing and are not rated.
    assert_eq!(slow, ["FAR", "OTHER-CAT", "CLOSE"]);
    report(true);
    let on_sale = w.read(|tx, ctx| mall::list_items(tx, ctx, Some("on_sale"), None, 0, 50));
    assert_eq!(on_sale.items.len(), 3);
    // Voting: one vote per member per candidate, none after closing.
    let c = mall::Candidate {
        name_zh: "联名帆布鞋".into(),
        name_en: "Collab sneakers".into(),
        description: String::new(),
    };
    let cid = w
        .write(move |tx, ctx, now| mall::add_candidate(tx, ctx, now, &c))
        .unwrap()["candidate_id"]
        .as_i64()
        .unwrap();
    let other = w.member("voter2");
    let vote = |member: i64| {
        let v = mall::Vote { member_id: member };
        w.write(move |tx, ctx, now| mall::vote(tx, ctx, now, cid, &v))
    };
    vote(m).unwrap();
    assert_eq!(code(vote(m)), "already_voted");
    assert_eq!(vote(other).unwrap()["votes"], 2);
    w.write(move |tx, ctx, now| mall::close_candidate(tx, ctx, now, cid))
        .unwrap();
    let third = w.member("voter3");
    assert_eq!(code(vote(third)), "voting_closed");
    let list = w.read(mall::candidates);
    assert_eq!(list.items[0].votes, 2);
    w.verify();
}

fn field(r: Result<Value, AppError>) -> String {
    match r {
        Err(AppError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn put_payment(w: &World, url: Option<&str>, minutes: i64) -> Result<Value, AppError> {
    let s = mall::PaymentSettings {
        payment_url: url.map(str::to_string),
        pay_window_minutes: minutes,
    };
    w.write(move |tx, ctx, now| mall::put_payment_settings(tx, ctx, now, "key:payments", &s))
}

fn the_payment_link_is_checked_audited_and_sets_the_pay_window(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    // Never set: no online payment, and orders wait long enough to pay online.
    let s = w.read(mall::payment_settings);
    assert_eq!(s.payment_url, None);
    assert_eq!(s.pay_window_minutes, mall::PAY_WINDOW_MINUTES_DEFAULT);
    const { assert!(mall::PAY_WINDOW_MINUTES_DEFAULT >= 30) };
    // Bad settings are refused field by field, and nothing is written (not even the audit).
    let before = w.snapshot();
    for (url, minutes, bad) in [
        (Some("http://pay.example/?o={order_id}"), 30, "payment_url"),
        (Some("javascript:alert(1)//{order_id}"), 30, "payment_url"),
        (Some("https://pay.example/?o={order}"), 30, "payment_url"),
        (
            Some("https://pay.example/?amount={cash_minor}"),
            30,
            "payment_url",
        ),
        (
            Some("https://{currency}.example/?o={order_id}"),
            30,
            "payment_url",
        ),
        (
            Some("https://pay.example/?o={order_id}"),
            2,
            "pay_window_minutes",
        ),
        (None, 100_000, "pay_window_minutes"),
    ] {
        assert_eq!(
            field(put_payment(&w, url, minutes)),
            bad,
            "{url:?} {minutes}"
        );
    }
    let too_long = format!("https://pay.example/?o={{order_id}}&x={}", "a".repeat(600));
    assert_eq!(field(put_payment(&w, Some(&too_long), 30)), "payment_url");
    assert_eq!(w.snapshot(), before);
    let audited = |w: &World| {
        w.read(|tx, ctx| {
            Ok(tx.audit_entries(
                ctx.program.id,
                None,
                Some("mall_payment.update"),
                i64::MAX,
                10,
            )?)
        })
    };
    assert!(audited(&w).is_empty());
    // A good one is kept (trimmed) and audited in the caller's name with before and after.
    let url = "https://pay.shop.example/jifen?order={order_id}&amount={cash_minor}&currency={currency}&return={return_url}";
    let set = put_payment(&w, Some(&format!(" {url} ")), 45).unwrap();
    assert_eq!(set["payment_url"], url);
    let s = w.read(mall::payment_settings);
    assert_eq!(
        (s.payment_url.as_deref(), s.pay_window_minutes),
        (Some(url), 45)
    );
    let log = audited(&w);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "key:payments");
    assert!(
        log[0]
            .before
            .as_deref()
            .unwrap()
            .contains("\"payment_url\":null")
    );
    assert!(
        log[0]
            .after
            .as_deref()
            .unwrap()
            .contains("pay.shop.example")
    );
    // A points + cash order now waits the programme's 45 minutes.
    item(
        &w,
        json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "home", "kind": {"type": "virtual"},
               "status": "on_sale", "skus": [{"sku": "CUP", "points": 100, "cash_minor": 990, "stock": 5}]}),
    );
    let m = w.member("payer");
    credit(&w, m, 1_000);
    let placed_at = w.now();
    let o = order(&w, m, "CUP", "pay-1").unwrap();
    assert_eq!(o["pay_deadline"].as_i64(), Some(placed_at + 45 * 60_000));
    let late = order(&w, m, "CUP", "pay-2").unwrap();
    // The member's link to the merchant's page names this order, encoded.
    let id = o["order_id"].as_i64().unwrap();
    let back = "https://jifen.example/m/t/orders/1?from=pay";
    let link = w.read(move |tx, ctx| {
        let v = mall::get_order(tx, ctx, id)?;
        mall::payment_link(tx, ctx, &v, back)
    });
    assert_eq!(
        link.as_deref(),
        Some(
            format!(
                "https://pay.shop.example/jifen?order={id}&amount=990&currency=CNY&return={}",
                mall::url_encode(back)
            )
            .as_str()
        )
    );
    // 44 minutes on the payment still counts; the other order times out at 45.
    w.clock.set(placed_at + 44 * 60_000);
    let paid = w
        .write(move |tx, ctx, now| {
            let u = OrderUpdate {
                payment_ref: Some("wx-1".into()),
                ..Default::default()
            };
            mall::act(tx, ctx, now, "key:payments", id, OrderAction::Pay, &u)
        })
        .unwrap();
    assert_eq!(paid["state"], "paid");
    let link = w.read(move |tx, ctx| {
        let v = mall::get_order(tx, ctx, id)?;
        mall::payment_link(tx, ctx, &v, back)
    });
    assert_eq!(link, None, "a paid order has nothing left to pay");
    assert_eq!(w.jobs().mall_orders_timed_out, 0);
    w.clock.set(placed_at + 45 * 60_000);
    assert_eq!(w.jobs().mall_orders_timed_out, 1);
    let late_id = late["order_id"].as_i64().unwrap();
    assert_eq!(
        w.read(move |tx, ctx| mall::get_order(tx, ctx, late_id))
            .state,
        "timed_out"
    );
    // Cleared, there is no online payment again.
    put_payment(&w, Some(""), 30).unwrap();
    assert_eq!(w.read(mall::payment_settings).payment_url, None);
    assert_eq!(audited(&w).len(), 2);
    w.verify();
}

on_both_backends!(
    a_prize_that_runs_out_pays_the_consolation_and_every_draw_recomputes,
    a_presale_is_released_in_order_when_stock_arrives,
    checkout_deduction_is_capped_reserved_posted_and_refunded,
    the_catalog_suggests_alternatives_reports_slow_items_and_takes_votes,
    the_payment_link_is_checked_audited_and_sets_the_pay_window,
);

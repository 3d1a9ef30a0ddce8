//! The points mall on both stores: order → pay → ship → deliver; order → timeout; order →
//! cancel with points back on their lots; partial after-sale refunds; coupon items; limits,
//! audiences and windows refused before anything is written; a flash sale under concurrent
//! attempts on two nodes that never oversells and never sells one member two.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::commands::MemberRef;
use jifen_app::mall::{self, Address, ItemIn, OrderUpdate, PlaceOrder};
use jifen_app::{App, AppError};
use jifen_domain::mall::OrderAction;
use jifen_ledger::{MemberId, PointType};
use jifen_store::Backend;
use serde_json::{Value, json};

fn item(w: &World, v: Value) -> Value {
    let i: ItemIn = serde_json::from_value(v).expect("item parses");
    w.write(move |tx, ctx, now| mall::create_item(tx, ctx, now, "staff:test", &i))
        .expect("item created")
}

fn cup(stock: i64, cash: i64) -> Value {
    json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "drinkware", "kind": {"type": "physical"},
           "status": "on_sale",
           "skus": [{"sku": "CUP-RED", "name": "红色", "points": 1000, "cash_minor": cash, "market_price_minor": 3500, "stock": stock}]})
}

fn address() -> Address {
    Address {
        name: "张三".into(),
        phone: "13800000000".into(),
        line: "上海市徐汇区漕溪北路1号".into(),
        city: "上海".into(),
        postcode: "200030".into(),
    }
}

fn order_input(m: i64, sku: &str, request: &str, addr: bool) -> PlaceOrder {
    PlaceOrder {
        member: MemberRef::Id { member_id: m },
        sku: sku.into(),
        quantity: 1,
        request_id: request.into(),
        address: addr.then(address),
        pay_within_seconds: None,
    }
}

fn order(w: &World, o: PlaceOrder) -> Result<Value, AppError> {
    w.write(move |tx, ctx, now| mall::place_order(tx, ctx, now, &o))
}

fn act(w: &World, id: i64, action: OrderAction, u: OrderUpdate) -> Result<Value, AppError> {
    w.write(move |tx, ctx, now| mall::act(tx, ctx, now, "staff:test", id, action, &u))
}

fn stock(w: &World, sku: &'static str) -> i64 {
    w.read(move |tx, ctx| Ok(tx.mall_sku_by_code(ctx.program.id, sku)?.unwrap().stock))
}

fn code(r: Result<Value, AppError>) -> &'static str {
    match r {
        Err(AppError::Conflict { code, .. }) => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn states(o: &Value) -> Vec<String> {
    o["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["state"].as_str().unwrap().to_string())
        .collect()
}

fn id(o: &Value) -> i64 {
    o["order_id"].as_i64().unwrap()
}

fn points_and_cash_are_paid_then_shipped_and_delivered(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    item(&w, cup(5, 990));
    let m = w.member("buyer");
    w.adjust(
        m,
        1_500,
        PointType::Points,
        Some("开户赠送"),
        Some("staff:ops"),
    )
    .unwrap();
    // Goods that ship need an address; nothing is written without one.
    let before = w.snapshot();
    assert!(matches!(
        order(&w, order_input(m, "CUP-RED", "r-0", false)),
        Err(AppError::Invalid { .. })
    ));
    assert_eq!(w.snapshot(), before);
    let o = order(&w, order_input(m, "CUP-RED", "r-1", true)).unwrap();
    assert_eq!(o["state"], "pending_payment");
    assert_eq!(
        (o["points"].as_i64(), o["cash_minor"].as_i64()),
        (Some(1_000), Some(990))
    );
    w.assert_points(m, (500, 0, 1_000, 0));
    assert_eq!(stock(&w, "CUP-RED"), 4);
    // A retry with the same request id is the same order.
    let again = order(&w, order_input(m, "CUP-RED", "r-1", true)).unwrap();
    assert_eq!(id(&again), id(&o));
    assert_eq!(stock(&w, "CUP-RED"), 4);
    // Shipping before payment is refused.
    let ship = || OrderUpdate {
        carrier: Some("SF".into()),
        tracking_no: Some("SF1234567890".into()),
        ..Default::default()
    };
    assert_eq!(
        code(act(&w, id(&o), OrderAction::Ship, ship())),
        "order_state"
    );
    let paid = act(
        &w,
        id(&o),
        OrderAction::Pay,
        OrderUpdate {
            payment_ref: Some("wx-pay-1".into()),
            actor: Some("payments".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(paid["state"], "paid");
    w.assert_points(m, (500, 0, 0, 0));
    assert!(matches!(
        act(&w, id(&o), OrderAction::Ship, OrderUpdate::default()),
        Err(AppError::Invalid { .. })
    ));
    let shipped = act(&w, id(&o), OrderAction::Ship, ship()).unwrap();
    assert_eq!(shipped["tracking_no"], "SF1234567890");
    assert_eq!(
        code(act(&w, id(&o), OrderAction::Cancel, OrderUpdate::default())),
        "order_state"
    );
    let done = act(&w, id(&o), OrderAction::Deliver, OrderUpdate::default()).unwrap();
    assert_eq!(
        states(&done),
        ["pending_payment", "paid", "shipped", "delivered"]
    );
    assert_eq!(done["history"][1]["actor"], "payments");
    w.verify();
}

fn an_unpaid_order_times_out_and_a_cancelled_one_returns_points_to_their_lots(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    item(&w, cup(3, 990));
    item(
        &w,
        json!({"name_zh": "拿铁券", "name_en": "Latte", "category": "coffee", "kind": {"type": "physical"},
               "status": "on_sale", "skus": [{"sku": "MUG", "points": 300, "stock": 2}]}),
    );
    let m = w.member("late");
    w.purchase("p-1", m, 20_000).unwrap(); // 200 points, expire in 30 days
    w.at_day(5);
    w.purchase("p-2", m, 150_000).unwrap(); // 1,500 points, 5 days later
    let o = order(&w, order_input(m, "CUP-RED", "late-1", true)).unwrap();
    w.assert_points(m, (700, 0, 1_000, 0));
    // The programme's payment window later (30 minutes unless set) the payment has not
    // come: released by the jobs, exactly.
    w.clock
        .set(w.now() + mall::PAY_WINDOW_MINUTES_DEFAULT * 60 * 1000);
    assert_eq!(
        code(act(&w, id(&o), OrderAction::Pay, OrderUpdate::default())),
        "payment_too_late"
    );
    assert_eq!(w.jobs().mall_orders_timed_out, 1);
    assert_eq!(w.jobs().mall_orders_timed_out, 0);
    let o = w.read(move |tx, ctx| mall::get_order(tx, ctx, id(&o)));
    assert_eq!(o.state, "timed_out");
    w.assert_points(m, (1_700, 0, 0, 0));
    assert_eq!(stock(&w, "CUP-RED"), 3);
    // A points-only order is paid at once; cancelled before shipping, its points go back to
    // the lots they came from (the soonest-expiring first), with their own expiry.
    let lots_before = w.lots(m, PointType::Points);
    let o = order(&w, order_input(m, "MUG", "mug-1", true)).unwrap();
    assert_eq!(o["state"], "paid");
    w.assert_points(m, (1_400, 0, 0, 0));
    assert_eq!(stock(&w, "MUG"), 1);
    let c = act(
        &w,
        id(&o),
        OrderAction::Cancel,
        OrderUpdate {
            reason: Some("不想要了".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(states(&c), ["pending_payment", "paid", "cancelled"]);
    w.assert_points(m, (1_700, 0, 0, 0));
    assert_eq!(stock(&w, "MUG"), 2);
    let lots_after = w.lots(m, PointType::Points);
    let key = |l: &jifen_app::views::LotView| (l.lot_id, l.remaining, l.expires_at);
    assert_eq!(
        lots_after.iter().map(key).collect::<Vec<_>>(),
        lots_before.iter().map(key).collect::<Vec<_>>()
    );
    w.verify();
}

fn after_sale_refunds_may_be_partial_and_coupon_items_issue_coupons(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    item(&w, cup(5, 990));
    let t: jifen_domain::coupons::CouponTemplate = serde_json::from_value(
        json!({"code": "free_ship", "name_zh": "免邮券", "name_en": "Free shipping",
               "kind": {"type": "free_shipping"}, "validity": {"kind": "days", "days": 30}}),
    )
    .unwrap();
    w.write(move |tx, ctx, now| {
        jifen_app::coupons::create_template(tx, ctx, now, "staff:test", &t)
    })
    .unwrap();
    item(
        &w,
        json!({"name_zh": "免邮券", "name_en": "Free shipping coupon", "category": "coupons",
               "kind": {"type": "coupon", "template": "free_ship"}, "status": "on_sale",
               "skus": [{"sku": "FS", "points": 200, "stock": 100}]}),
    );
    let m = w.member("refunds");
    w.adjust(
        m,
        3_000,
        PointType::Points,
        Some("开户赠送"),
        Some("staff:ops"),
    )
    .unwrap();
    let o = order(&w, order_input(m, "CUP-RED", "cup", true)).unwrap();
    act(&w, id(&o), OrderAction::Pay, OrderUpdate::default()).unwrap();
    // A partial refund: 300 points and 2.00 of the cash.
    let r = act(
        &w,
        id(&o),
        OrderAction::Refund,
        OrderUpdate {
            points: Some(300),
            cash_minor: Some(200),
            reason: Some("包装破损".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r["state"], "paid");
    assert_eq!(
        (
            r["refunded_points"].as_i64(),
            r["refunded_cash_minor"].as_i64()
        ),
        (Some(300), Some(200))
    );
    w.assert_points(m, (2_300, 0, 0, 0));
    assert!(matches!(
        act(
            &w,
            id(&o),
            OrderAction::Refund,
            OrderUpdate {
                points: Some(701),
                ..Default::default()
            }
        ),
        Err(AppError::Invalid { .. })
    ));
    // The rest, with the goods back in stock.
    let r = act(
        &w,
        id(&o),
        OrderAction::Refund,
        OrderUpdate {
            restock: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r["state"], "refunded");
    assert_eq!(
        (
            r["refunded_points"].as_i64(),
            r["refunded_cash_minor"].as_i64()
        ),
        (Some(1_000), Some(990))
    );
    w.assert_points(m, (3_000, 0, 0, 0));
    assert_eq!(stock(&w, "CUP-RED"), 5);
    assert_eq!(
        code(act(&w, id(&o), OrderAction::Refund, OrderUpdate::default())),
        "order_state"
    );
    // A coupon item is fulfilled at once; refunding it withdraws the coupon while unused.
    let c = order(&w, order_input(m, "FS", "fs-1", false)).unwrap();
    assert_eq!(c["state"], "delivered");
    let codes = c["coupons"].as_array().unwrap().clone();
    assert_eq!(codes.len(), 1);
    let r = act(&w, id(&c), OrderAction::Refund, OrderUpdate::default()).unwrap();
    assert_eq!(r["state"], "refunded");
    let code0 = codes[0].as_str().unwrap().to_string();
    let status =
        w.read(move |tx, ctx| Ok(tx.coupon_by_code(ctx.program.id, &code0)?.unwrap().status));
    assert_eq!(status, "void");
    // Once the coupon is used, the order is not refunded whole.
    let c = order(&w, order_input(m, "FS", "fs-2", false)).unwrap();
    let used = c["coupons"][0].as_str().unwrap().to_string();
    let u = jifen_app::coupons::CouponUse {
        code: used,
        member_id: m,
        cart: jifen_domain::coupons::Cart {
            goods_minor: 5_000,
            shipping_minor: 800,
        },
        order_id: Some("shop-9".into()),
    };
    w.write(move |tx, ctx, now| jifen_app::coupons::redeem(tx, ctx, now, &u))
        .unwrap();
    assert_eq!(
        code(act(&w, id(&c), OrderAction::Refund, OrderUpdate::default())),
        "coupon_used"
    );
    let outbox = w.read(|tx, ctx| {
        Ok(tx.outbox_after(ctx.program.id, 0, Some("mall.order.refunded"), 100)?)
    });
    assert_eq!(outbox.len(), 3);
    w.verify();
}

fn limits_audiences_and_windows_are_refused_before_any_write(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let ladder: jifen_domain::tiers::Ladder = serde_json::from_value(json!({
        "metric": "growth", "window": {"kind": "calendar_year"}, "tiers": [
            {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
            {"code": "gold", "name_zh": "黄金会员", "name_en": "Gold", "threshold": 1000}]}))
    .unwrap();
    w.write(move |tx, ctx, now| jifen_app::tiers::put_ladder(tx, ctx, now, "staff:test", &ladder))
        .unwrap();
    w.app.invalidate_program(w.pid);
    item(
        &w,
        json!({"name_zh": "金卡专享", "name_en": "Gold only", "category": "gifts", "kind": {"type": "virtual"},
        "status": "on_sale", "audience": {"tiers": ["gold"]}, "skus": [{"sku": "GOLD", "points": 10, "stock": 10}]}),
    );
    item(
        &w,
        json!({"name_zh": "每日一杯", "name_en": "One a day", "category": "coffee", "kind": {"type": "virtual"},
        "status": "on_sale", "limits": {"per_day": 1}, "skus": [{"sku": "DAILY", "points": 10, "stock": 10}]}),
    );
    item(
        &w,
        json!({"name_zh": "明日开售", "name_en": "Tomorrow", "category": "coffee", "kind": {"type": "virtual"},
        "status": "on_sale", "sale_from": START + DAY, "skus": [{"sku": "SOON", "points": 10, "stock": 10}]}),
    );
    item(
        &w,
        json!({"name_zh": "草稿", "name_en": "Draft", "category": "coffee", "kind": {"type": "virtual"},
        "skus": [{"sku": "DRAFT", "points": 10, "stock": 10}]}),
    );
    // Images: bytes must be an image of the declared type, at most 2 MiB.
    let up = |ct: &'static str, data: Vec<u8>| {
        w.write(move |tx, ctx, now| mall::upload_image(tx, ctx, now, ct, &data))
    };
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(mall::IMAGE_BYTES_MAX + 1, 0);
    assert!(matches!(
        up("image/png", big),
        Err(AppError::Invalid { .. })
    ));
    // A real 1×1 GIF is stored (as PNG, encoded again); one that only starts like a GIF is not.
    let gif = up("image/gif", b"\x47\x49\x46\x38\x39\x61\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b".to_vec()).unwrap();
    assert_eq!(gif["content_type"], "image/png");
    assert!(matches!(
        up("image/gif", b"GIF89a....".to_vec()),
        Err(AppError::Invalid { .. })
    ));
    assert!(matches!(
        up("image/png", b"GIF89a....".to_vec()),
        Err(AppError::Invalid { .. })
    ));
    let m = w.member("limits");
    w.adjust(
        m,
        100,
        PointType::Points,
        Some("开户赠送"),
        Some("staff:ops"),
    )
    .unwrap();
    let before = w.snapshot();
    assert_eq!(
        code(order(&w, order_input(m, "GOLD", "a", false))),
        "not_in_audience"
    );
    assert_eq!(
        code(order(&w, order_input(m, "SOON", "b", false))),
        "not_on_sale_yet"
    );
    assert_eq!(
        code(order(&w, order_input(m, "DRAFT", "c", false))),
        "not_on_sale"
    );
    assert!(matches!(
        order(&w, order_input(m, "NOPE", "d", false)),
        Err(AppError::NotFound { .. })
    ));
    let mut big = order_input(m, "DAILY", "e", false);
    big.quantity = 11;
    assert!(matches!(
        order(&w, big),
        Err(AppError::Invalid { .. }) | Err(AppError::Conflict { .. })
    ));
    assert_eq!(w.snapshot(), before, "refusals write nothing");
    order(&w, order_input(m, "DAILY", "f", false)).unwrap();
    assert_eq!(
        code(order(&w, order_input(m, "DAILY", "g", false))),
        "limit_reached"
    );
    w.at_day(1);
    order(&w, order_input(m, "DAILY", "h", false)).unwrap();
    order(&w, order_input(m, "SOON", "i", false)).unwrap();
    // 70 points left; an item of 100 is refused by the ledger.
    item(
        &w,
        json!({"name_zh": "大礼包", "name_en": "Big box", "category": "gifts", "kind": {"type": "virtual"},
        "status": "on_sale", "skus": [{"sku": "BIG", "points": 100, "stock": 1}]}),
    );
    let before = w.snapshot();
    assert!(order(&w, order_input(m, "BIG", "j", false)).is_err());
    assert_eq!(w.snapshot(), before);
    assert_eq!(stock(&w, "BIG"), 1);
    // The member's view: what they can afford and how many points short.
    let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
    let now = w.now();
    let v = w
        .app
        .read_blocking(move |tx| mall::member_catalog(tx, &ctx, MemberId(m), None, "zh", now))
        .unwrap();
    // As the API serves it.
    let v = serde_json::to_value(v).unwrap();
    assert_eq!(v["available_points"], 70);
    let big = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["skus"][0]["sku"] == "BIG")
        .unwrap()
        .clone();
    assert_eq!(
        (
            big["skus"][0]["affordable"].as_bool(),
            big["skus"][0]["points_short"].as_i64()
        ),
        (Some(false), Some(30))
    );
    assert_eq!(big["skus"][0]["message"], "再赚30积分即可兑换");
    // And what that takes in spending at the base rate and the member's multiplier.
    let spend = big["skus"][0]["spend_more_minor"]
        .as_i64()
        .expect("a spend");
    assert!(spend > 0);
    assert_eq!(
        big["skus"][0]["spend_message"],
        format!(
            "再消费{}即可兑换",
            jifen_app::mall::money_text("CNY", spend)
        )
    );
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["skus"][0]["sku"] != "GOLD"),
        "not shown outside its audience"
    );
    w.verify();
}

fn a_flash_sale_never_oversells_and_sells_each_member_one(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let opens = START + 60_000;
    item(
        &w,
        json!({"name_zh": "秒杀：限量帆布袋", "name_en": "Flash: canvas bag", "category": "bags",
        "kind": {"type": "virtual"}, "status": "on_sale", "flash_sale": true, "sale_from": opens,
        "skus": [{"sku": "BAG", "points": 50, "stock": 10}]}),
    );
    let members: Vec<i64> = (0..30).map(|i| w.member(&format!("f{i}"))).collect();
    for m in &members {
        w.adjust(
            *m,
            500,
            PointType::Points,
            Some("开户赠送"),
            Some("staff:ops"),
        )
        .unwrap();
    }
    assert_eq!(
        code(order(&w, order_input(members[0], "BAG", "early", false))),
        "not_on_sale_yet"
    );
    w.clock.set(opens);
    let second = w.second_node();
    let w = Arc::new(w);
    let mut handles = vec![];
    for (i, m) in members.iter().copied().enumerate() {
        for k in 0..3 {
            let (w, app): (Arc<World>, App) = (
                w.clone(),
                if (i + k) % 2 == 0 {
                    w.app.clone()
                } else {
                    second.clone()
                },
            );
            handles.push(std::thread::spawn(move || {
                let o = order_input(m, "BAG", &format!("flash-{m}-{k}"), false);
                let part = o.member.partition();
                app.write_blocking(w.pid, &part, None, move |tx, ctx, now| {
                    let v = mall::place_order(tx, ctx, now, &o)?;
                    Ok(serde_json::to_value(v).expect("the view serializes"))
                })
                .map(|out| (m, out.body))
            }));
        }
    }
    let results: Vec<Result<(i64, Value), AppError>> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won: Vec<i64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|(m, _)| *m))
        .collect();
    assert_eq!(won.len(), 10, "exactly the stock is sold");
    let mut distinct = won.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10, "no member got two");
    for r in results.into_iter().filter(|r| r.is_err()) {
        let c = code(r.map(|(_, v)| v));
        assert!(c == "sold_out" || c == "limit_reached", "{c}");
    }
    assert_eq!(stock(&w, "BAG"), 0);
    let spent: i64 = members.iter().map(|m| 500 - w.points(*m).available).sum();
    assert_eq!(spent, 10 * 50);
    w.verify();
}

on_both_backends!(
    points_and_cash_are_paid_then_shipped_and_delivered,
    an_unpaid_order_times_out_and_a_cancelled_one_returns_points_to_their_lots,
    after_sale_refunds_may_be_partial_and_coupon_items_issue_coupons,
    limits_audiences_and_windows_are_refused_before_any_write,
    a_flash_sale_never_oversells_and_sells_each_member_one,
);

//! Shipping many orders at once, on both stores: every line checked and applied on its own
//! (shipped, already shipped with the same tracking number, or refused with why), one bad line
//! never stopping the good ones; the same list sent again applies nothing twice, and sent twice
//! at once (on two nodes) ships each order once; too long a list is refused whole.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::commands::MemberRef;
use jifen_app::mall::{
    self, Address, ItemIn, OrderUpdate, PlaceOrder, SHIP_BATCH_MAX, ShipBatchResult, ShipLine,
    ShipOutcome,
};
use jifen_app::{App, AppError};
use jifen_domain::mall::OrderAction;
use jifen_ledger::PointType;
use jifen_store::Backend;
use serde_json::{Value, json};

fn item(w: &World, v: Value) {
    let i: ItemIn = serde_json::from_value(v).expect("item parses");
    w.write(move |tx, ctx, now| mall::create_item(tx, ctx, now, "staff:test", &i))
        .expect("item created");
}

/// A paid order of a tumbler for `member`; its id.
fn paid_order(w: &World, member: i64, request: &str) -> i64 {
    let o = PlaceOrder {
        member: MemberRef::Id { member_id: member },
        sku: "CUP".into(),
        quantity: 1,
        request_id: request.into(),
        address: Some(Address {
            name: "张三".into(),
            phone: "13800000000".into(),
            line: "漕溪北路1号".into(),
            city: "上海".into(),
            postcode: "200030".into(),
        }),
        pay_within_seconds: None,
    };
    let v = w
        .write(move |tx, ctx, now| mall::place_order(tx, ctx, now, &o))
        .expect("order placed");
    assert_eq!(v["state"], "paid");
    v["order_id"].as_i64().unwrap()
}

fn act(w: &World, id: i64, action: OrderAction, u: OrderUpdate) -> Value {
    w.write(move |tx, ctx, now| mall::act(tx, ctx, now, "staff:test", id, action, &u))
        .expect("order action")
}

fn line(order: impl ToString, carrier: &str, tracking: &str) -> Option<ShipLine> {
    Some(ShipLine {
        order: order.to_string(),
        carrier: carrier.into(),
        tracking_no: tracking.into(),
    })
}

fn numbered(lines: Vec<Option<ShipLine>>) -> Vec<(usize, Option<ShipLine>)> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect()
}

fn run(
    app: &App,
    w: &World,
    lines: Vec<(usize, Option<ShipLine>)>,
) -> Result<ShipBatchResult, AppError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(app.ship_batch(w.pid, "staff:amy", lines))
}

fn outcome(r: &ShipBatchResult, line: usize) -> (ShipOutcome, Option<&str>) {
    let l = r
        .lines
        .iter()
        .find(|l| l.line == line)
        .expect("the line is answered");
    (l.outcome, l.refusal.as_deref())
}

fn shipments(w: &World, id: i64) -> usize {
    w.read(move |tx, ctx| mall::get_order(tx, ctx, id))
        .history
        .iter()
        .filter(|h| h.state == "shipped")
        .count()
}

fn audited_ships(w: &World) -> usize {
    w.read(|tx, ctx| {
        Ok(tx.audit_entries(
            ctx.program.id,
            Some("staff:amy"),
            Some("mall_order.ship"),
            i64::MAX,
            500,
        )?)
    })
    .len()
}

fn setup(b: Arc<dyn Backend>) -> (World, Vec<i64>) {
    let w = World::new(b, policy(0));
    item(
        &w,
        json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "drinkware", "kind": {"type": "physical"},
               "status": "on_sale", "skus": [{"sku": "CUP", "points": 100, "stock": 50}]}),
    );
    let m = w.member("buyer");
    w.adjust(m, 5_000, PointType::Points, Some("开户"), Some("staff:ops"))
        .unwrap();
    let ids = (0..8)
        .map(|i| paid_order(&w, m, &format!("r-{i}")))
        .collect();
    (w, ids)
}

fn good_bad_and_duplicate_lines_each_get_their_answer(b: Arc<dyn Backend>) {
    let (w, o) = setup(b);
    // Shipped before with the same tracking number; another with a different one; one cancelled.
    let ship = |t: &str| OrderUpdate {
        carrier: Some("SF".into()),
        tracking_no: Some(t.into()),
        ..Default::default()
    };
    act(&w, o[2], OrderAction::Ship, ship("SF0003"));
    act(&w, o[3], OrderAction::Ship, ship("SF-OTHER"));
    act(&w, o[4], OrderAction::Cancel, OrderUpdate::default());
    let lines = numbered(vec![
        line(o[0], "SF", "SF0001"),
        line(format!("#{}", o[1]), "顺丰速运", "SF0002"),
        line(o[2], "sf express", "SF0003"),
        line(o[3], "SF", "SF0004"),
        line(o[4], "ZTO", "ZT0005"),
        line(999_999, "SF", "SF0006"),
        line(o[5], "Pigeon post", "PP0007"),
        line(o[6], "YTO", "  "),
        line(o[0], "SF", "SF0001"),
        None,
        line(o[7], "中通快递", "ZT0008"),
    ]);
    let before = audited_ships(&w);
    let r = run(&w.app, &w, lines.clone()).unwrap();
    assert_eq!(
        (r.shipped, r.already_shipped, r.refused),
        (3, 1, 7),
        "{r:#?}"
    );
    assert_eq!(r.lines.len(), 11);
    use ShipOutcome::*;
    assert_eq!(outcome(&r, 1), (Shipped, None));
    assert_eq!(outcome(&r, 2), (Shipped, None));
    assert_eq!(outcome(&r, 3), (AlreadyShipped, None));
    assert_eq!(outcome(&r, 4), (Refused, Some("shipped_other")));
    assert_eq!(outcome(&r, 5), (Refused, Some("not_shippable")));
    assert_eq!(outcome(&r, 6), (Refused, Some("unknown_order")));
    assert_eq!(outcome(&r, 7), (Refused, Some("unknown_carrier")));
    assert_eq!(outcome(&r, 8), (Refused, Some("tracking_missing")));
    assert_eq!(outcome(&r, 9), (Refused, Some("duplicate_line")));
    assert_eq!(r.lines[8].duplicate_of, Some(1));
    assert_eq!(outcome(&r, 10), (Refused, Some("bad_line")));
    assert_eq!(outcome(&r, 11), (Shipped, None));
    // Stored as one order shipped by hand: carrier code, tracking number, audited in the
    // caller's name once per order shipped.
    let id = o[1];
    let v = w.read(move |tx, ctx| mall::get_order(tx, ctx, id));
    assert_eq!(
        (
            v.state.as_str(),
            v.carrier.as_deref(),
            v.tracking_no.as_deref()
        ),
        ("shipped", Some("SF"), Some("SF0002"))
    );
    let id = o[7];
    let v = w.read(move |tx, ctx| mall::get_order(tx, ctx, id));
    assert_eq!(v.carrier.as_deref(), Some("ZTO"));
    assert_eq!(audited_ships(&w) - before, 3);
    // The words for every refusal exist in both languages, the duplicate naming its line.
    assert_eq!(
        mall::refusal_text(&r.lines[8], false),
        "与第 1 行是同一笔订单，未重复发货"
    );
    assert_eq!(
        mall::refusal_text(&r.lines[8], true),
        "Same order as line 1; not shipped twice"
    );
    // The same list again applies nothing: what shipped counts as done.
    let again = run(&w.app, &w, lines).unwrap();
    assert_eq!(
        (again.shipped, again.already_shipped, again.refused),
        (0, 4, 7)
    );
    assert_eq!(audited_ships(&w) - before, 3);
    for id in [o[0], o[1], o[2], o[7]] {
        assert_eq!(shipments(&w, id), 1);
    }
    w.verify();
}

fn the_same_batch_twice_at_once_ships_each_order_once(b: Arc<dyn Backend>) {
    let (w, o) = setup(b);
    let other = w.second_node();
    let lines: Vec<_> = numbered(
        o.iter()
            .map(|id| line(id, "SF", &format!("T{id}")))
            .collect(),
    );
    let before = audited_ships(&w);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (a, b) = rt.block_on(async {
        tokio::join!(
            w.app.ship_batch(w.pid, "staff:amy", lines.clone()),
            other.ship_batch(w.pid, "staff:amy", lines.clone()),
        )
    });
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.shipped + b.shipped, o.len(), "{a:#?} {b:#?}");
    assert_eq!(a.already_shipped + b.already_shipped, o.len());
    assert_eq!(a.refused + b.refused, 0);
    for id in &o {
        assert_eq!(shipments(&w, *id), 1, "order {id} shipped once");
    }
    assert_eq!(audited_ships(&w) - before, o.len());
    other.shutdown();
    w.verify();
}

fn an_empty_or_too_long_list_is_refused_whole(b: Arc<dyn Backend>) {
    let (w, o) = setup(b);
    let too_many: Vec<_> = numbered(
        (0..=SHIP_BATCH_MAX)
            .map(|i| line(o[0], "SF", &format!("T{i}")))
            .collect(),
    );
    for lines in [Vec::new(), too_many] {
        match run(&w.app, &w, lines) {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "rows"),
            other => panic!("expected the list refused, got {other:?}"),
        }
    }
    assert_eq!(shipments(&w, o[0]), 0);
    assert_eq!(audited_ships(&w), 0);
}

on_both_backends!(
    good_bad_and_duplicate_lines_each_get_their_answer,
    the_same_batch_twice_at_once_ships_each_order_once,
    an_empty_or_too_long_list_is_refused_whole,
);

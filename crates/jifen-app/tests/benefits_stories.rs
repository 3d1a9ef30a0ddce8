//! Tier benefits and coupons on both stores: the multiplier and validity of a tier, tier-up
//! gifts paid once, monthly and birthday coupons from the jobs, transfer permission, the
//! outbox of tier changes, and coupons issued, validated, redeemed, released and expired,
//! including concurrent redemptions and issues against a stock.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::commands::{MemberRef, NewMember};
use jifen_app::coupons::{self, CouponRelease, CouponUse, IssueCoupon};
use jifen_app::{App, AppError};
use jifen_domain::coupons::{Cart, CouponTemplate};
use jifen_domain::tiers::Ladder;
use jifen_ledger::{MemberId, PointType};
use jifen_store::{Backend, MemberProfile};
use serde_json::{Value, json};

fn template(w: &World, v: Value) -> Result<Value, AppError> {
    let t: CouponTemplate = serde_json::from_value(v).expect("template parses");
    w.write(move |tx, ctx, now| coupons::create_template(tx, ctx, now, "staff:test", &t))
}

fn ladder(w: &World, v: Value) -> Result<Value, AppError> {
    let l: Ladder = serde_json::from_value(v).expect("ladder parses");
    let out =
        w.write(move |tx, ctx, now| jifen_app::tiers::put_ladder(tx, ctx, now, "staff:test", &l));
    w.app.invalidate_program(w.pid);
    out
}

fn free_ship() -> Value {
    json!({"code": "free_ship", "name_zh": "免邮券", "name_en": "Free shipping",
           "kind": {"type": "free_shipping", "max_minor": 1000}, "validity": {"kind": "days", "days": 31}})
}

fn by_id(m: i64) -> MemberRef {
    MemberRef::Id { member_id: m }
}

fn conflict_code<T: std::fmt::Debug>(r: Result<T, AppError>) -> &'static str {
    match r {
        Err(AppError::Conflict { code, .. }) => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn benefits(w: &World, m: i64) -> jifen_app::tiers::MemberBenefits {
    let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
    let now = w.now();
    w.app
        .read_blocking(move |tx| jifen_app::tiers::member_benefits(tx, &ctx, MemberId(m), now))
        .unwrap()
}

fn member_coupons(w: &World, m: i64, status: Option<&'static str>) -> Vec<Value> {
    let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
    let now = w.now();
    let v = w
        .app
        .read_blocking(move |tx| coupons::member_coupons(tx, &ctx, MemberId(m), status, now))
        .unwrap();
    // As the API serves them.
    v.items
        .iter()
        .map(|c| serde_json::to_value(c).expect("a coupon serializes"))
        .collect()
}

fn outbox(w: &World, topic: &'static str) -> Vec<Value> {
    w.read(move |tx, ctx| Ok(tx.outbox_after(ctx.program.id, 0, Some(topic), 1000)?))
        .into_iter()
        .map(|(_, _, _, payload, _)| serde_json::from_str(&payload).unwrap())
        .collect()
}

fn two_tiers(window_months: u32) -> Value {
    json!({"metric": "growth", "window": {"kind": "rolling_months", "months": window_months},
        "review": {"every": "month", "grace_days": 0},
        "tiers": [
        {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0,
         "benefits": {"transfer_allowed": false}},
        {"code": "silver", "name_zh": "白银会员", "name_en": "Silver", "threshold": 1000,
         "benefits": {"earn_multiplier_pct": 150, "points_validity_days": 365, "member_price_pct": 95,
                      "priority_service": true, "checkout_points_per_unit": 80,
                      "tier_up_gift": {"points": 50, "coupon": "free_ship"},
                      "monthly_coupons": [{"coupon": "free_ship", "count": 2}]}}]})
}

fn a_tier_multiplies_points_extends_validity_and_pays_its_gift_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    template(&w, free_ship()).unwrap();
    ladder(&w, two_tiers(1)).unwrap();
    let m = w.member("ben");
    let friend = w.member("friend");
    // At the first tier: base rate, the programme's 30-day validity, no transfers.
    w.purchase("b-1", m, 10_000).unwrap();
    let lot = &w.lots(m, PointType::Points)[0];
    assert_eq!(lot.expires_at, Some(START + 30 * DAY));
    let before = w.snapshot();
    assert_eq!(
        conflict_code(w.transfer(by_id(m), by_id(friend), 10)),
        "transfer_not_allowed"
    );
    assert_eq!(w.snapshot(), before, "a refused transfer changes nothing");
    // 900 more growth reaches silver in this request: the purchase itself earned at the
    // first tier's rate (the tier at its start), then the tier-up gift is paid.
    let out = w.purchase("b-2", m, 90_000).unwrap();
    assert_eq!(out["earned"]["points"]["amount"], 900);
    let change = &out["tier_change"];
    assert_eq!(
        (change["from"].as_str(), change["to"].as_str()),
        (Some("normal"), Some("silver"))
    );
    assert_eq!(change["gift"]["points"], 50);
    assert_eq!(change["gift"]["coupon"]["template"], "free_ship");
    assert_eq!(change["monthly_coupons"].as_array().unwrap().len(), 2);
    w.assert_points(m, (100 + 900 + 50, 0, 0, 0));
    // At silver: 1.5× base points, valid 365 days.
    w.at_day(3);
    let out = w.purchase("b-3", m, 10_000).unwrap();
    assert_eq!(out["earned"]["points"]["amount"], 150);
    assert_eq!(
        out["earned"]["points"]["expires_at"],
        START + 3 * DAY + 365 * DAY
    );
    let bf = benefits(&w, m);
    assert_eq!(bf.tier, "silver");
    assert_eq!(
        (
            bf.member_price_pct,
            bf.priority_service,
            bf.transfer_allowed,
            bf.checkout_points_per_unit
        ),
        (95, true, true, Some(80))
    );
    assert_eq!(bf.coupons.len(), 3);
    w.transfer(by_id(m), by_id(friend), 10).unwrap();
    // The March review (a one-month window) finds no growth since 1 February: down to the
    // first tier, in the outbox too.
    w.at_day(62);
    assert!(w.jobs().tiers_reviewed >= 1);
    assert_eq!(benefits(&w, m).tier, "normal");
    let changes = outbox(&w, "tier.changed");
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(
        (changes[1]["direction"].as_str(), changes[1]["to"].as_str()),
        (Some("down"), Some("normal"))
    );
    assert_eq!(changes[1]["cause"], "review 2026-03");
    // Climbing again: the tier-up gift was paid once, but March's coupons are new.
    let out = w.purchase("b-4", m, 100_000).unwrap();
    assert_eq!(out["tier_change"]["to"], "silver");
    assert!(out["tier_change"].get("gift").is_none(), "{out}");
    assert_eq!(
        out["tier_change"]["monthly_coupons"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(outbox(&w, "tier.changed").len(), 3);
    assert_eq!(outbox(&w, "coupon.issued").len(), 5);
    w.verify();
}

fn monthly_and_birthday_coupons_come_from_the_jobs_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    template(&w, free_ship()).unwrap();
    template(
        &w,
        json!({"code": "latte", "name_zh": "生日拿铁", "name_en": "Birthday latte",
               "kind": {"type": "gift", "gift": "one latte"}, "validity": {"kind": "days", "days": 30}}),
    )
    .unwrap();
    let mut l = two_tiers(12);
    l["tiers"][1]["benefits"]["birthday_gift"] = json!({"points": 88, "coupon": "latte"});
    ladder(&w, l).unwrap();
    let nm = NewMember {
        referrer: None,
        device_id: None,
        ip: None,
        profile: MemberProfile {
            name: Some("Birthday".into()),
            birthday: Some("1990-02-03".into()),
            ..Default::default()
        },
        identities: vec![],
    };
    let m = w
        .write(move |tx, ctx, now| jifen_app::commands::create_member(tx, ctx, now, &nm))
        .unwrap()["member_id"]
        .as_i64()
        .unwrap();
    let plain = w.member("plain");
    // Silver by hand: a manual tier counts for benefits while it lasts.
    let until = START + 200 * DAY;
    w.write(move |tx, ctx, now| {
        jifen_app::tiers::set_manual(
            tx,
            ctx,
            now,
            MemberId(m),
            &jifen_app::tiers::ManualTier {
                tier: "silver".into(),
                until,
                reason: "VIP launch guest".into(),
                actor: "staff:amy".into(),
            },
        )
    })
    .unwrap();
    assert_eq!(outbox(&w, "tier.manual_set").len(), 1);
    // January's coupons: the job pays the silver member two, the plain member none.
    let r = w.jobs();
    assert_eq!(r.monthly_coupon_members, 2);
    assert_eq!(member_coupons(&w, m, Some("issued")).len(), 2);
    assert!(member_coupons(&w, plain, None).is_empty());
    assert_eq!(w.jobs().monthly_coupon_members, 0, "once a month");
    // 3 February, the birthday: 88 points and the latte, once.
    w.at_day(33);
    let r = w.jobs();
    assert_eq!(r.birthdays_paid, 1);
    assert_eq!(r.monthly_coupon_members, 2, "February's coupons");
    assert_eq!(w.jobs().birthdays_paid, 0);
    w.assert_points(m, (88, 0, 0, 0));
    let issued = member_coupons(&w, m, Some("issued"));
    let templates: Vec<&str> = issued
        .iter()
        .map(|c| c["template"].as_str().unwrap())
        .collect();
    assert_eq!(templates.iter().filter(|t| **t == "latte").count(), 1);
    // January's two free-shipping coupons (31 days) expired on 1 February.
    assert_eq!(templates.iter().filter(|t| **t == "free_ship").count(), 2);
    assert_eq!(member_coupons(&w, m, Some("expired")).len(), 2);
    w.verify();
}

fn use_of(code: &str, m: i64, goods: i64, order: Option<&str>) -> CouponUse {
    CouponUse {
        code: code.into(),
        member_id: m,
        cart: Cart {
            goods_minor: goods,
            shipping_minor: 800,
        },
        order_id: order.map(str::to_string),
    }
}

fn issue(w: &World, m: i64, template: &str, key: &str) -> Result<Value, AppError> {
    let r = IssueCoupon {
        template: template.into(),
        idempotency_key: key.into(),
    };
    w.write(move |tx, ctx, now| coupons::issue_by_api(tx, ctx, now, MemberId(m), &r))
}

fn coupons_are_issued_within_limits_redeemed_once_released_and_expire(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    template(
        &w,
        json!({"code": "off_20_100", "name_zh": "满100减20", "name_en": "20 off 100",
               "kind": {"type": "amount_off", "amount_minor": 2000}, "threshold_minor": 10000,
               "validity": {"kind": "days", "days": 60}, "per_member_limit": 1, "stock": 2}),
    )
    .unwrap();
    assert_eq!(
        conflict_code(template(&w, free_ship()).and_then(|_| template(&w, free_ship()))),
        "coupon_template_exists"
    );
    let (a, b2, c) = (w.member("a"), w.member("b"), w.member("c"));
    let first = issue(&w, a, "off_20_100", "k-a").unwrap();
    let again = issue(&w, a, "off_20_100", "k-a").unwrap();
    assert_eq!(
        first["code"], again["code"],
        "a retried issue returns the same coupon"
    );
    assert_eq!(
        conflict_code(issue(&w, a, "off_20_100", "k-a2")),
        "coupon_limit_reached"
    );
    issue(&w, b2, "off_20_100", "k-b").unwrap();
    assert_eq!(
        conflict_code(issue(&w, c, "off_20_100", "k-c")),
        "coupon_out_of_stock"
    );
    assert!(matches!(
        issue(&w, c, "nope", "k-c2"),
        Err(AppError::NotFound { .. })
    ));
    let code = first["code"].as_str().unwrap().to_string();
    let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
    let validate = |u: CouponUse| {
        let ctx = ctx.clone();
        let now = w.now();
        w.app
            .read_blocking(move |tx| coupons::validate(tx, &ctx, now, &u))
    };
    assert_eq!(
        conflict_code(validate(use_of(&code, a, 9_999, None))),
        "coupon_below_threshold"
    );
    assert!(
        matches!(
            validate(use_of(&code, b2, 20_000, None)),
            Err(AppError::NotFound { .. })
        ),
        "another member's coupon is unknown to them"
    );
    let v = validate(use_of(&code, a, 12_000, None)).unwrap();
    assert_eq!((v.goods_off_minor, v.to_pay_minor), (2_000, 10_800));
    // Redeem: lower case codes are accepted; the same order again gets the same answer.
    let redeem = |u: CouponUse| w.write(move |tx, ctx, now| coupons::redeem(tx, ctx, now, &u));
    assert!(matches!(
        redeem(use_of(&code, a, 12_000, None)),
        Err(AppError::Invalid { .. })
    ));
    let r1 = redeem(use_of(&code.to_lowercase(), a, 12_000, Some("o-1"))).unwrap();
    assert_eq!(r1["status"], "redeemed");
    let r2 = redeem(use_of(&code, a, 12_000, Some("o-1"))).unwrap();
    assert_eq!(r1, r2);
    assert_eq!(
        conflict_code(redeem(use_of(&code, a, 12_000, Some("o-2")))),
        "coupon_already_redeemed"
    );
    let release = |order: &str| {
        let (code, r) = (
            code.clone(),
            CouponRelease {
                order_id: order.into(),
            },
        );
        w.write(move |tx, ctx, now| coupons::release(tx, ctx, now, &code, &r))
    };
    assert_eq!(
        conflict_code(release("o-9")),
        "coupon_not_redeemed_on_order"
    );
    assert_eq!(release("o-1").unwrap()["status"], "issued");
    redeem(use_of(&code, a, 12_000, Some("o-3"))).unwrap();
    // b's coupon runs out after 60 days: refused, then marked by the job.
    let b_code = member_coupons(&w, b2, None)[0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    w.at_day(60);
    assert_eq!(
        conflict_code(validate(use_of(&b_code, b2, 12_000, None))),
        "coupon_expired"
    );
    assert_eq!(member_coupons(&w, b2, Some("expired")).len(), 1);
    assert_eq!(
        w.jobs().coupons_expired,
        1,
        "the redeemed coupon stays redeemed"
    );
    assert_eq!(member_coupons(&w, a, Some("redeemed")).len(), 1);
    assert_eq!(outbox(&w, "coupon.redeemed").len(), 2);
    assert_eq!(outbox(&w, "coupon.released").len(), 1);
}

fn one_coupon_redeemed_by_many_checkouts_at_once_succeeds_once(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    template(
        &w,
        json!({"code": "ten_off", "name_zh": "立减10元", "name_en": "10 off",
               "kind": {"type": "amount_off", "amount_minor": 1000},
               "validity": {"kind": "days", "days": 30}, "stock": 10}),
    )
    .unwrap();
    let holder = w.member("holder");
    let code = issue(&w, holder, "ten_off", "h").unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let members: Vec<i64> = (0..30).map(|i| w.member(&format!("s{i}"))).collect();
    let second = w.second_node();
    let w = Arc::new(w);
    let run = |app: &App,
               w: &World,
               f: Box<
        dyn FnMut(&mut jifen_store::Tx<'_>, &jifen_app::ProgramCtx, i64) -> Result<Value, AppError>
            + Send,
    >,
               part: String| {
        app.write_blocking(w.pid, &part, None, f).map(|o| o.body)
    };
    let mut handles = vec![];
    for i in 0..20 {
        let (w, app, code) = (
            w.clone(),
            if i % 2 == 0 {
                w.app.clone()
            } else {
                second.clone()
            },
            code.clone(),
        );
        handles.push(std::thread::spawn(move || {
            let u = use_of(&code, holder, 5_000, Some(&format!("order-{i}")));
            run(
                &app,
                &w,
                Box::new(move |tx, ctx, now| {
                    let v = coupons::redeem(tx, ctx, now, &u)?;
                    serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))
                }),
                format!("member:{holder}"),
            )
        }));
    }
    // Meanwhile 30 members claim from a stock of 10 (one is already issued).
    for (i, m) in members.iter().copied().enumerate() {
        let (w, app) = (
            w.clone(),
            if i % 2 == 0 {
                w.app.clone()
            } else {
                second.clone()
            },
        );
        handles.push(std::thread::spawn(move || {
            let r = IssueCoupon {
                template: "ten_off".into(),
                idempotency_key: format!("claim-{m}"),
            };
            run(
                &app,
                &w,
                Box::new(move |tx, ctx, now| {
                    let c = coupons::issue_by_api(tx, ctx, now, MemberId(m), &r)?;
                    Ok(serde_json::to_value(c).expect("a coupon serializes"))
                }),
                format!("member:{m}"),
            )
        }));
    }
    let results: Vec<Result<Value, AppError>> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let (redeems, claims) = results.split_at(20);
    assert_eq!(
        redeems.iter().filter(|r| r.is_ok()).count(),
        1,
        "one checkout wins"
    );
    for r in redeems.iter().filter(|r| r.is_err()) {
        assert_eq!(conflict_code(r.clone()), "coupon_already_redeemed");
    }
    assert_eq!(
        claims.iter().filter(|r| r.is_ok()).count(),
        9,
        "the stock is never passed"
    );
    for r in claims.iter().filter(|r| r.is_err()) {
        assert_eq!(conflict_code(r.clone()), "coupon_out_of_stock");
    }
    let issued = w.read(|tx, ctx| {
        Ok(tx
            .coupon_template(ctx.program.id, "ten_off")?
            .unwrap()
            .issued)
    });
    assert_eq!(issued, 10);
}

fn invalid_templates_and_benefits_are_refused_with_the_field(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let field = |r: Result<Value, AppError>| match r {
        Err(AppError::Invalid { field, .. }) => field,
        other => panic!("expected invalid, got {other:?}"),
    };
    let mut t = free_ship();
    t["kind"] = json!({"type": "percent_off", "percent": 0});
    assert_eq!(field(template(&w, t)), "percent");
    let mut t = free_ship();
    t["validity"] = json!({"kind": "days", "days": 0});
    assert_eq!(field(template(&w, t)), "validity.days");
    // A benefit naming a coupon template that does not exist.
    assert_eq!(field(ladder(&w, two_tiers(12))), "tiers[1].benefits");
    template(&w, free_ship()).unwrap();
    let mut l = two_tiers(12);
    l["tiers"][1]["benefits"]["earn_multiplier_pct"] = json!(0);
    assert_eq!(
        field(ladder(&w, l)),
        "tiers[1].benefits.earn_multiplier_pct"
    );
    let mut l = two_tiers(12);
    l["tiers"][1]["benefits"]["tier_up_gift"] = json!({"points": 0});
    assert_eq!(field(ladder(&w, l)), "tiers[1].benefits.tier_up_gift");
    let mut l = two_tiers(12);
    l["tiers"][1]["benefits"]["member_price_pct"] = json!(120);
    assert_eq!(field(ladder(&w, l)), "tiers[1].benefits.member_price_pct");
    assert!(ladder(&w, two_tiers(12)).is_ok());
}

fn tier(w: &World, m: i64) -> String {
    benefits(w, m).tier
}

fn refund(w: &World, order: &str) -> Value {
    let r = jifen_app::commands::Refund {
        order_id: order.into(),
        amount_minor: None,
        reason: Some("退货".into()),
    };
    w.write(move |tx, ctx, now| jifen_app::commands::refund(tx, ctx, now, &r))
        .unwrap()
}

/// "Buy big, upgrade, take the gift, refund" keeps nothing: the refund takes the order's growth
/// back, moves the member down at once and takes back the tier-up gift (its points even when
/// spent, as debt; its coupon if unused); earning the tier again pays the gift again. With a
/// refund grace, the member keeps the tier until the jobs re-check them.
fn a_refund_takes_back_the_tier_and_the_gift_it_bought(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    template(&w, free_ship()).unwrap();
    let mut l = json!({"metric": "growth", "window": {"kind": "rolling_months", "months": 12},
        "tiers": [
        {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
        {"code": "silver", "name_zh": "白银会员", "name_en": "Silver", "threshold": 1000,
         "benefits": {"tier_up_gift": {"points": 500, "coupon": "free_ship"}}}]});
    ladder(&w, l.clone()).unwrap();
    let m = w.member("big");
    // 1,000 growth: silver, with its gift of 500 points and a coupon.
    let out = w.purchase("big-1", m, 100_000).unwrap();
    assert_eq!(out["tier_change"]["to"], "silver");
    w.assert_points(m, (1_500, 0, 0, 0));
    assert_eq!(member_coupons(&w, m, Some("issued")).len(), 1);
    // The member spends all but 200: the gift's points can only come back as debt.
    w.spend(m, 1_300).unwrap();
    let r = refund(&w, "big-1");
    let t = &r["tier_change"];
    assert_eq!(
        (t["from"].as_str(), t["to"].as_str()),
        (Some("silver"), Some("normal"))
    );
    assert_eq!(t["cause"], "refund big-1");
    assert_eq!(t["gifts_taken_back"][0]["points"], 500);
    assert!(t["gifts_taken_back"][0]["coupon_voided"].is_string(), "{t}");
    assert_eq!(tier(&w, m), "normal");
    assert!(member_coupons(&w, m, Some("issued")).is_empty());
    // 1,000 base points + 500 gift taken from 200 left: 1,300 owed.
    let p = w.points(m);
    assert_eq!((p.available, p.debt), (0, 1_300));
    // Earning the tier again pays the gift again (it was taken back), first repaying the debt.
    let again = w.purchase("big-2", m, 100_000).unwrap();
    assert_eq!(again["tier_change"]["to"], "silver");
    assert_eq!(again["tier_change"]["gift"]["points"], 500);
    let p = w.points(m);
    assert_eq!((p.available, p.debt), (200, 0));
    // A refund that leaves the member still qualified moves nothing.
    w.purchase("small", m, 10_000).unwrap();
    assert!(refund(&w, "small").get("tier_change").is_none());
    assert_eq!(tier(&w, m), "silver");
    w.verify();

    // With a grace of 7 days the member keeps the tier until the jobs re-check them.
    let g = w.sibling("grace", policy(0));
    template(&g, free_ship()).unwrap();
    l["refund_grace_days"] = json!(7);
    ladder(&g, l).unwrap();
    let (kept, lost) = (g.member("kept"), g.member("lost"));
    g.purchase("k-1", kept, 100_000).unwrap();
    g.purchase("l-1", lost, 100_000).unwrap();
    for (o, who) in [("k-1", kept), ("l-1", lost)] {
        let r = refund(&g, o);
        assert_eq!(r["tier_change"]["recheck_at"], g.now() + 7 * DAY);
        assert_eq!(tier(&g, who), "silver");
    }
    // One of them earns the tier back within the grace.
    g.purchase("k-2", kept, 100_000).unwrap();
    g.clock.set(g.now() + 6 * DAY);
    assert_eq!(g.jobs().tiers_rechecked, 0);
    g.clock.set(g.now() + DAY);
    assert_eq!(g.jobs().tiers_rechecked, 2);
    assert_eq!(tier(&g, kept), "silver");
    assert_eq!(tier(&g, lost), "normal");
    assert_eq!(g.jobs().tiers_rechecked, 0, "a re-check runs once");
    // The gift of the refunded order was taken back from the one who fell; the other keeps it.
    assert_eq!(g.points(lost).available, 0);
    assert_eq!(g.points(kept).available, 1_500);
    g.verify();
}

on_both_backends!(
    a_refund_takes_back_the_tier_and_the_gift_it_bought,
    a_tier_multiplies_points_extends_validity_and_pays_its_gift_once,
    monthly_and_birthday_coupons_come_from_the_jobs_once,
    coupons_are_issued_within_limits_redeemed_once_released_and_expire,
    one_coupon_redeemed_by_many_checkouts_at_once_succeeds_once,
    invalid_templates_and_benefits_are_refused_with_the_field,
);

//! Staff find a member by the last four digits of the phone (手机尾号), on SQLite and on
//! PostgreSQL alike: after sign-up, after the phone changes, and never once erased.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::commands::{self, NewMember};
use jifen_app::console::{self, MemberListQuery};
use jifen_app::members::{self, ProfileUpdate};
use jifen_ledger::MemberId;
use jifen_store::{Backend, MemberProfile};
use serde_json::json;

fn with_phone(w: &World, phone: &str) -> i64 {
    let m = NewMember {
        referrer: None,
        device_id: None,
        ip: None,
        profile: MemberProfile {
            name: Some(format!("Member {phone}")),
            phone: Some(phone.into()),
            ..Default::default()
        },
        identities: vec![],
    };
    let body = w
        .write(move |tx, ctx, now| commands::create_member(tx, ctx, now, &m))
        .expect("member created");
    body["member_id"].as_i64().expect("member id")
}

fn found(w: &World, q: &str) -> Option<i64> {
    let q = q.to_string();
    w.read(move |tx, ctx| jifen_app::console::find_member(tx, ctx, &q))
}

fn members_are_found_by_the_last_four_digits_of_their_phone(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let a = with_phone(&w, "138 0013 8000");
    let c = with_phone(&w, "13900004321");
    assert_eq!(found(&w, "8000"), Some(a));
    assert_eq!(found(&w, "4321"), Some(c));
    assert_eq!(found(&w, "0013"), None, "the tail, not any four digits");
    assert_eq!(found(&w, "9999"), None);
    // A new phone: found by its tail, no longer by the old one.
    let u: ProfileUpdate = serde_json::from_value(json!({"phone": "13700005555"})).unwrap();
    w.write(move |tx, ctx, now| {
        members::update_profile(tx, ctx, now, "staff:test", MemberId(a), &u)
    })
    .expect("profile updated");
    assert_eq!(found(&w, "5555"), Some(a));
    assert_eq!(found(&w, "8000"), None);
    w.verify();
}

fn reader(w: &World) -> jifen_app::access::MemberReader {
    jifen_app::staff::Session {
        staff_id: 1,
        program: w.pid,
        login: "amy".into(),
        name: "Amy".into(),
        role: jifen_app::staff::Role::Owner,
        csrf: String::new(),
        pending: Default::default(),
    }
    .member_reader()
    .expect("an owner reads members")
}

fn listed(
    w: &World,
    q: MemberListQuery,
    limit: i64,
) -> Result<jifen_app::console::MemberListPage, jifen_app::AppError> {
    let (who, now) = (reader(w), w.now());
    w.read(move |tx, ctx| Ok(console::member_list(tx, ctx, &who, &q, limit, now)))
}

fn ids(p: &jifen_app::console::MemberListPage) -> Vec<i64> {
    p.members.iter().map(|r| r.member_id.0).collect()
}

fn the_member_list_filters_sorts_counts_and_pages(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let a = with_phone(&w, "13800000001");
    w.at_day(2);
    let c = with_phone(&w, "13800000002");
    w.at_day(4);
    let d = with_phone(&w, "13800000003");
    for (m, amount) in [(a, 50_000), (c, 10_000), (d, 30_000)] {
        w.purchase(&format!("o-{m}"), m, amount).unwrap();
    }
    let all = listed(&w, MemberListQuery::default(), 50).unwrap();
    assert_eq!((ids(&all), all.total), (vec![d, c, a], 3), "newest first");
    let bal = |m: i64| {
        all.members
            .iter()
            .find(|r| r.member_id.0 == m)
            .unwrap()
            .points
            .available
    };
    assert!(
        bal(a) > bal(d) && bal(d) > bal(c),
        "the purchases earn in order"
    );
    let by_balance = MemberListQuery {
        sort: Some("balance".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&listed(&w, by_balance.clone(), 50).unwrap()),
        vec![a, d, c]
    );
    // Balance range, both ends included.
    let q = MemberListQuery {
        min_balance: Some(bal(d).to_string()),
        max_balance: Some(bal(a).to_string()),
        ..by_balance.clone()
    };
    let p = listed(&w, q, 50).unwrap();
    assert_eq!((ids(&p), p.total), (vec![a, d], 2));
    // Join dates, both days included, in the programme's time zone.
    let day = |m: i64| {
        let at = all
            .members
            .iter()
            .find(|r| r.member_id.0 == m)
            .unwrap()
            .created_at;
        let tz = w.read(|_, ctx| Ok(ctx.tz.clone()));
        jifen_app::member_centre::local_date(at, &tz).to_string()
    };
    let q = MemberListQuery {
        joined_from: Some(day(c)),
        joined_to: Some(day(c)),
        ..Default::default()
    };
    assert_eq!(ids(&listed(&w, q, 50).unwrap()), vec![c]);
    // Pages of two: the count is of all matches, the second page holds the rest.
    let first = listed(
        &w,
        MemberListQuery {
            page: 1,
            ..by_balance.clone()
        },
        2,
    )
    .unwrap();
    let second = listed(
        &w,
        MemberListQuery {
            page: 2,
            ..by_balance
        },
        2,
    )
    .unwrap();
    assert_eq!((ids(&first), first.total, first.pages), (vec![a, d], 3, 2));
    assert_eq!((ids(&second), second.page), (vec![c], 2));
    // What does not read names its field.
    for (q, field) in [
        (
            MemberListQuery {
                min_balance: Some("lots".into()),
                ..Default::default()
            },
            "min_balance",
        ),
        (
            MemberListQuery {
                joined_from: Some("2026-13-01".into()),
                ..Default::default()
            },
            "joined_from",
        ),
        (
            MemberListQuery {
                tier: Some("platinum".into()),
                ..Default::default()
            },
            "tier",
        ),
        (
            MemberListQuery {
                min_balance: Some("10".into()),
                max_balance: Some("5".into()),
                ..Default::default()
            },
            "max_balance",
        ),
    ] {
        match listed(&w, q, 50) {
            Err(jifen_app::AppError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

/// The balance range and the balance order read the balance the list shows, available points:
/// points a reservation holds (an order being paid) are not there to spend.
fn the_balance_filter_reads_available_points_not_those_held(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let a = with_phone(&w, "13800000011");
    let c = with_phone(&w, "13800000012");
    for m in [a, c] {
        w.purchase(&format!("o-{m}"), m, 50_000).unwrap();
    }
    let all = listed(&w, MemberListQuery::default(), 50).unwrap();
    let earned = all.members[0].points.available;
    assert!(earned > 200, "{earned}");
    let r: commands::Reserve = serde_json::from_value(json!({
        "member": {"member_id": a}, "amount": earned - 100, "order_ref": "mall-1"
    }))
    .unwrap();
    w.write(move |tx, ctx, now| commands::reserve(tx, ctx, now, &r).map(|v| json!(v)))
        .expect("reserved");
    let range = |min: i64, max: i64| MemberListQuery {
        min_balance: Some(min.to_string()),
        max_balance: Some(max.to_string()),
        sort: Some("balance".into()),
        ..Default::default()
    };
    let p = listed(&w, range(0, 100), 50).unwrap();
    assert_eq!(ids(&p), vec![a], "100 available, the rest held");
    assert_eq!(p.members[0].points.available, 100);
    assert_eq!(ids(&listed(&w, range(101, earned), 50).unwrap()), vec![c]);
    let by_balance = MemberListQuery {
        sort: Some("balance".into()),
        ..Default::default()
    };
    assert_eq!(ids(&listed(&w, by_balance, 50).unwrap()), vec![c, a]);
    w.verify();
}

on_both_backends!(
    members_are_found_by_the_last_four_digits_of_their_phone,
    the_member_list_filters_sorts_counts_and_pages,
    the_balance_filter_reads_available_points_not_those_held,
);

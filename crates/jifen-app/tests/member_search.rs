//! Staff find a member by the last four digits of the phone (手机尾号), on SQLite and on
//! PostgreSQL alike: after sign-up, after the phone changes, and never once erased.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::commands::{self, NewMember};
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

on_both_backends!(members_are_found_by_the_last_four_digits_of_their_phone);

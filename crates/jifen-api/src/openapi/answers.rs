//! The component schemas of answers with a stable shape.

use serde_json::{Map, Value, json};

use super::helpers::*;

/// The answers with a stable shape. Answers are open: fields may be added.
pub(super) fn answer_schemas(s: &mut Map<String, Value>) {
    let mut add = |name: &str, v: Value| {
        s.insert(name.to_string(), v);
    };
    program_answers(&mut add);
    lot_and_history_answers(&mut add);
    feed_answers(&mut add);
}

/// An integer or `null`.
fn opt_int() -> Value {
    json!({"type": ["integer", "null"], "format": "int64"})
}

/// A string or `null`.
fn opt_text() -> Value {
    json!({"type": ["string", "null"]})
}

/// The one error shape, and the programme.
fn program_answers(add: &mut impl FnMut(&str, Value)) {
    add(
        "Error",
        open(
            &["error"],
            json!({"error": open(&["code", "message", "details"], json!({
                "code": {"type": "string", "example": "insufficient_points"},
                "message": string(),
                "details": {"type": "object"}}))}),
        ),
    );
    add(
        "Program",
        open(
            &[
                "program_id",
                "code",
                "name",
                "currency",
                "timezone",
                "policy",
            ],
            json!({"program_id": any_int(), "code": string(), "name": string(), "currency": string(),
                   "timezone": string(), "policy": {"type": "object"}}),
        ),
    );
}

/// A member's lots and history pages.
fn lot_and_history_answers(add: &mut impl FnMut(&str, Value)) {
    add(
        "Lot",
        open(
            &[
                "lot_id",
                "point_type",
                "status",
                "amount",
                "remaining",
                "reserved",
                "spent",
                "expired",
                "reversed",
                "transferred_out",
                "earned_at",
                "available_at",
                "expires_at",
                "order_ref",
                "transfer_id",
            ],
            json!({
                "lot_id": any_int(), "point_type": words(&["points", "growth"]),
                "status": words(&["available", "pending", "expiring", "closed"]),
                "amount": any_int(), "remaining": any_int(), "reserved": any_int(), "spent": any_int(),
                "expired": any_int(), "reversed": any_int(), "transferred_out": any_int(),
                "earned_at": any_int(), "available_at": any_int(), "expires_at": opt_int(),
                "order_ref": opt_text(), "transfer_id": any_int()
            }),
        ),
    );
    add(
        "MemberLots",
        open(
            &["member_id", "lots"],
            json!({"member_id": any_int(), "lots": array(schema_ref("Lot"))}),
        ),
    );
}

/// Feeds read page by page: the hash chain and the outbox.
fn feed_answers(add: &mut impl FnMut(&str, Value)) {
    add(
        "ChainLinks",
        open(
            &["links"],
            json!({"links": array(open(&["seq", "prev_hash", "root", "hash"], json!({
                "seq": any_int(), "prev_hash": string(), "root": string(), "hash": string(),
                "transfer_count": any_int(), "total_count": any_int(), "total_amount": any_int(), "created_at": any_int()})))}),
        ),
    );
    add(
        "OutboxPage",
        open(
            &["items", "next_after"],
            json!({"items": array(open(&["id", "topic", "member_id", "payload", "created_at"], json!({
                "id": any_int(), "topic": string(), "member_id": opt_int(), "payload": {},
                "created_at": any_int()}))),
                "next_after": {"type": ["integer", "null"], "description": "pass as ?after= for the next page"}}),
        ),
    );
}

//! The OpenAPI 3.1 document served at `/api/openapi.json`, written from one table of routes.

use serde_json::{Value, json};

/// (method, path, summary, request body schema, idempotency)
pub const ROUTES: &[(&str, &str, &str, Option<&str>, &str)] = &[
    (
        "get",
        "/api/v1/program",
        "The programme this API key belongs to, with its settings",
        None,
        "",
    ),
    (
        "put",
        "/api/v1/program",
        "Replace the programme's name, time zone and ledger policy",
        Some("ProgramUpdate"),
        "",
    ),
    (
        "post",
        "/api/v1/members",
        "Create a member with profile and external ids",
        Some("NewMember"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/lookup",
        "Find a member by channel and external id (?channel=&external_id=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/merge",
        "Merge one member into another: lots, debt, identities and orders move",
        Some("Merge"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/{id}",
        "A member's profile, identities and balances",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/{id}/identities",
        "Add an external id in a channel to a member",
        Some("Identity"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/{id}/balance",
        "Available, pending, reserved, debt, expiring within ?days=, lifetime counters",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/members/{id}/lots",
        "A member's lots with expiry and what became of them (?point_type=&include_closed=)",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/members/{id}/history",
        "Every ledger line with reason and source, newest first (?before=&limit=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/purchases",
        "Record a purchase: points earned, pending through the return window",
        Some("Purchase"),
        "order_id, or the header",
    ),
    (
        "post",
        "/api/v1/refunds",
        "Refund an order fully or partly: the exact earned points are reversed",
        Some("Refund"),
        "refund_id, or the header",
    ),
    (
        "post",
        "/api/v1/spends",
        "Spend points now, soonest-expiring first",
        Some("Spend"),
        "required",
    ),
    (
        "post",
        "/api/v1/spends/{id}/refunds",
        "Refund a spend or posted reservation: the same lots are restored",
        Some("RedemptionRefund"),
        "required",
    ),
    (
        "post",
        "/api/v1/reservations",
        "Reserve points for a mall order or checkout",
        Some("Reserve"),
        "required",
    ),
    (
        "post",
        "/api/v1/reservations/{id}/post",
        "Settle a reservation",
        None,
        "natural",
    ),
    (
        "post",
        "/api/v1/reservations/{id}/void",
        "Release a reservation: points return to their lots",
        None,
        "natural",
    ),
    (
        "post",
        "/api/v1/transfers",
        "Give points to another member; they keep their expiry",
        Some("MemberTransfer"),
        "required",
    ),
    (
        "post",
        "/api/v1/adjustments",
        "Manual adjustment by staff, with actor and reason",
        Some("Adjustment"),
        "required",
    ),
];

fn schemas() -> Value {
    let member_ref = json!({"oneOf": [
        {"type": "object", "required": ["member_id"], "properties": {"member_id": {"type": "integer"}}},
        {"type": "object", "required": ["channel", "external_id"], "properties": {"channel": {"type": "string"}, "external_id": {"type": "string"}}}
    ]});
    json!({
        "MemberRef": member_ref,
        "Identity": {"type": "object", "required": ["channel", "external_id"], "properties": {
            "channel": {"type": "string", "pattern": "^[a-z0-9_]{1,32}$"}, "external_id": {"type": "string", "maxLength": 128}}},
        "NewMember": {"type": "object", "properties": {
            "name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"},
            "birthday": {"type": "string", "format": "date"},
            "identities": {"type": "array", "items": {"$ref": "#/components/schemas/Identity"}}}},
        "Merge": {"type": "object", "required": ["from", "into", "reason", "actor"], "properties": {
            "from": {"$ref": "#/components/schemas/MemberRef"}, "into": {"$ref": "#/components/schemas/MemberRef"},
            "reason": {"type": "string"}, "actor": {"type": "string"}}},
        "Purchase": {"type": "object", "required": ["order_id", "member", "amount_minor", "currency"], "properties": {
            "order_id": {"type": "string", "maxLength": 128}, "member": {"$ref": "#/components/schemas/MemberRef"},
            "amount_minor": {"type": "integer", "minimum": 1, "description": "paid amount in minor units (fen)"},
            "currency": {"type": "string", "example": "CNY"},
            "occurred_at": {"type": "integer", "description": "Unix milliseconds; defaults to now"},
            "lines": {"type": "array", "items": {"type": "object", "required": ["sku", "quantity", "price_minor"], "properties": {
                "sku": {"type": "string"}, "category": {"type": "string"}, "quantity": {"type": "integer"}, "price_minor": {"type": "integer"}}}}}},
        "Refund": {"type": "object", "required": ["order_id"], "properties": {
            "order_id": {"type": "string"}, "refund_id": {"type": "string"},
            "amount_minor": {"type": "integer", "description": "defaults to all that is still refundable"}, "reason": {"type": "string"}}},
        "Spend": {"type": "object", "required": ["member", "amount"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "amount": {"type": "integer", "minimum": 1},
            "reason": {"type": "string"}, "order_ref": {"type": "string"}}},
        "RedemptionRefund": {"type": "object", "properties": {"amount": {"type": "integer"}, "reason": {"type": "string"}}},
        "Reserve": {"type": "object", "required": ["member", "amount"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "amount": {"type": "integer", "minimum": 1},
            "reason": {"type": "string"}, "order_ref": {"type": "string"}, "ttl_seconds": {"type": "integer"}}},
        "MemberTransfer": {"type": "object", "required": ["from", "to", "amount"], "properties": {
            "from": {"$ref": "#/components/schemas/MemberRef"}, "to": {"$ref": "#/components/schemas/MemberRef"},
            "amount": {"type": "integer", "minimum": 1}, "reason": {"type": "string"}}},
        "Adjustment": {"type": "object", "required": ["member", "delta", "reason", "actor"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "delta": {"type": "integer", "description": "positive credits, negative debits"},
            "point_type": {"type": "string", "enum": ["points", "growth"]}, "reason": {"type": "string"}, "actor": {"type": "string"}}},
        "ProgramUpdate": {"type": "object", "required": ["name", "timezone", "policy"], "properties": {
            "name": {"type": "string"}, "timezone": {"type": "string", "example": "Asia/Shanghai"},
            "policy": {"type": "object", "required": ["validity", "pending_days", "points_per_unit", "growth_per_unit", "shortfall", "clawback_pending_first"], "properties": {
                "validity": {"type": "object", "description": "{\"kind\":\"never\"} | {\"kind\":\"days\",\"days\":N} | {\"kind\":\"months\",\"months\":N} | {\"kind\":\"end_of_year\",\"years\":N}"},
                "pending_days": {"type": "integer"}, "points_per_unit": {"type": "integer", "description": "points per 100 minor units paid"},
                "growth_per_unit": {"type": "integer"}, "shortfall": {"type": "string", "enum": ["debt", "write_off"]},
                "clawback_pending_first": {"type": "boolean"}}}}},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
            "code": {"type": "string", "example": "insufficient_points"}, "message": {"type": "string"}, "details": {"type": "object"}}}}}
    })
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, body, idem) in ROUTES {
        // Creating a member or a reservation answers 201; everything else 200.
        let ok = if *method == "post"
            && (*path == "/api/v1/members" || *path == "/api/v1/reservations")
        {
            "201"
        } else {
            "200"
        };
        let mut op = json!({
            "summary": summary,
            "security": [{"apiKey": []}],
            "responses": {
                ok: {"description": "OK"},
                "4XX": {"description": "Refused; nothing was written", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if let Some(schema) = body {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        if !idem.is_empty() {
            op["parameters"] = json!([{"name": "Idempotency-Key", "in": "header", "required": *idem == "required",
                "description": format!("Idempotency key ({idem}): a repeat returns the first answer"), "schema": {"type": "string", "maxLength": 128}}]);
        }
        paths.entry(path.to_string()).or_insert_with(|| json!({}))[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Jifen API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Loyalty points: members, purchases, refunds, spends, reservations, transfers. Points are integers; money is in minor units."},
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}
        }
    })
}

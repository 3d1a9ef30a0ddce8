//! The OpenAPI 3.1 document served at `/api/openapi.json`, written from one table of routes.
//!
//! Each route names its path and query parameters as its handler parses them, its request body
//! (a component schema that matches the body's deserialisation: required fields, enums, bounds,
//! `additionalProperties: false` where unknown fields are refused), how a retry is made safe, and
//! the shape of its success answer. Tests keep the table, the router and the handlers in step.

mod answers;
mod helpers;
mod mall_schemas;
mod params;
mod requests;
mod routes;
mod typed;

use serde_json::{Map, Value, json};

use answers::answer_schemas;
use helpers::schema_ref;
pub use params::{In, Param, Ty};
use requests::request_schemas;
pub use routes::{Body, ROUTES, Route};
pub use typed::documented;
use typed::typed_schemas;

/// Every component schema: request bodies and answers.
pub fn schemas() -> Value {
    let mut s = Map::new();
    request_schemas(&mut s);
    answer_schemas(&mut s);
    typed_schemas(&mut s);
    Value::Object(s)
}

/// `get_members_by_id_balance` for `get /api/v1/members/{id}/balance`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for seg in path.trim_start_matches("/api/v1/").split('/') {
        id.push('_');
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                id.push_str("by_");
                id.push_str(name);
            }
            None => id.extend(
                seg.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
            ),
        }
    }
    id
}

/// The first segment after `/api/v1/`: members, rules, mall...
fn tag(path: &str) -> &str {
    path.trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or_default()
}

fn operation(r: &Route) -> Value {
    let answer = if r.answer.is_empty() {
        json!({"type": "object"})
    } else {
        schema_ref(r.answer)
    };
    let mut content = json!({"application/json": {"schema": answer}});
    if r.csv {
        content["text/csv"] = json!({"schema": {"type": "string"}});
    }
    let mut responses = Map::new();
    for status in r.statuses {
        let description = match status {
            201 => "Created",
            202 => "Accepted: waiting for a second person's approval",
            _ => "OK",
        };
        responses.insert(
            status.to_string(),
            json!({"description": description, "content": content}),
        );
    }
    let error = json!({"application/json": {"schema": schema_ref("Error")}});
    responses.insert(
        "4XX".into(),
        json!({"description": "Refused; nothing was written", "content": error}),
    );
    responses.insert(
        "5XX".into(),
        json!({"description": "The server or its database failed or is busy; nothing was written; retry", "content": error}),
    );
    let mut op = json!({
        "operationId": operation_id(r.method, r.path),
        "tags": [tag(r.path)],
        "summary": r.summary,
        "security": [{"apiKey": []}, {"apiKeyHeader": []}],
        "responses": responses,
    });
    match r.body {
        Body::None => {}
        Body::Json(schema) | Body::OptionalJson(schema) => {
            op["requestBody"] = json!({"required": matches!(r.body, Body::Json(_)),
                "content": {"application/json": {"schema": schema_ref(schema)}}});
        }
        Body::Image => {
            let image = json!({"schema": {"type": "string", "format": "binary"}});
            op["requestBody"] = json!({"required": true, "description": "the image itself, at most 2 MiB",
                "content": {"image/png": image, "image/jpeg": image, "image/gif": image, "image/webp": image, "image/svg+xml": image}});
        }
    }
    let mut params: Vec<Value> = r.params.iter().map(Param::document).collect();
    if !r.idem.is_empty() {
        params.push(json!({"name": "Idempotency-Key", "in": "header", "required": r.idem == "required",
            "description": format!("Idempotency key ({}): a repeat returns the first answer", r.idem),
            "schema": {"type": "string", "minLength": 1, "maxLength": crate::extract::IDEMPOTENCY_KEY_LEN_MAX}}));
    }
    if !params.is_empty() {
        op["parameters"] = params.into();
    }
    op
}

pub fn document() -> Value {
    let mut paths = Map::new();
    let mut tags: Vec<&str> = Vec::new();
    for r in ROUTES {
        paths.entry(r.path.to_string()).or_insert_with(|| json!({}))[r.method] = operation(r);
        if !tags.contains(&tag(r.path)) {
            tags.push(tag(r.path));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Jifen API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Loyalty points: members, purchases, refunds, spends, reservations, transfers. Points are integers; money is in minor units."},
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer",
                           "description": "Authorization: Bearer <key> (the scheme in any case)"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                                 "description": "the same key in a header of its own"}
            }
        }
    })
}

//! Shared building blocks of the component schemas: objects, numbers, texts and their patterns.

use jifen_app::commands;
use serde_json::{Value, json};

/// An object whose unknown fields the server refuses (`#[serde(deny_unknown_fields)]`).
pub(super) fn closed(required: &[&str], properties: Value) -> Value {
    let mut s = open(required, properties);
    s["additionalProperties"] = false.into();
    s
}

/// An object whose unknown fields the server ignores.
pub(super) fn open(required: &[&str], properties: Value) -> Value {
    let mut s = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// One variant of an internally tagged enum: `{tag: name, ...fields}`.
pub(super) fn variant(
    tag: &str,
    name: &str,
    required: &[&str],
    mut properties: Value,
    closed_: bool,
) -> Value {
    properties[tag] = json!({"const": name});
    let mut req = vec![tag];
    req.extend_from_slice(required);
    if closed_ {
        closed(&req, properties)
    } else {
        open(&req, properties)
    }
}

pub(super) fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub(super) fn int(min: Option<i64>, max: Option<i64>) -> Value {
    let mut s = json!({"type": "integer", "format": "int64"});
    if let Some(v) = min {
        s["minimum"] = v.into();
    }
    if let Some(v) = max {
        s["maximum"] = v.into();
    }
    s
}

pub(super) fn any_int() -> Value {
    int(None, None)
}

pub(super) fn string() -> Value {
    json!({"type": "string"})
}

pub(super) fn text(min: u64, max: u64) -> Value {
    json!({"type": "string", "minLength": min, "maxLength": max})
}

/// An external id: on one line, without invisible formatting characters, not blank (the
/// [`CONTROL`] and [`FORMAT`] characters refused around a character that is not white space).
pub(super) const EXTERNAL_ID: &str = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff]*\
                           [^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff]\
                           [^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff]*$";

/// Control characters (`char::is_control`), as a regular expression class's contents.
pub(super) const CONTROL: &str = "\\x00-\\x1f\\x7f-\\x9f";
/// The same but the line feed, which multi-line texts may hold.
pub(super) const CONTROL_BUT_LF: &str = "\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f";
/// Bidirectional and invisible formatting characters: text that shows one thing and is another.
pub(super) const FORMAT: &str =
    "\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff";

/// Text without these characters.
pub(super) fn without(refused: &str) -> String {
    format!("^[^{refused}]*$")
}

/// Text without these characters and with one that is not white space: what is left after
/// the handlers trim it is not empty.
pub(super) fn not_blank_without(refused: &str) -> String {
    format!("^[^{refused}]*[^\\s{refused}][^{refused}]*$")
}

/// A name the handlers trim and count: 1 to `max` characters, not blank.
pub(super) fn named(max: u64) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"})
}

/// A short code: 1 to 32 characters of a-z, 0-9 and _.
pub(super) fn code() -> Value {
    json!({"type": "string", "pattern": "^[a-z0-9_]{1,32}$"})
}

/// A caller's id (order ids, references, keys): 1 to 128 bytes, no control characters.
pub(super) fn id_text() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": commands::ID_LEN_MAX, "pattern": without(CONTROL),
           "description": "1 to 128 bytes, no control characters"})
}

/// An id in one of the merchant's channels: 1 to 128 bytes on one line, with no invisible
/// characters (it is stored NFKC-normalised and trimmed).
pub(super) fn external_id() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": commands::ID_LEN_MAX,
           "pattern": EXTERNAL_ID, "example": "U100001"})
}

pub(super) fn reason() -> Value {
    json!({"type": "string", "maxLength": commands::REASON_LEN_MAX, "pattern": without(&format!("{CONTROL}{FORMAT}")),
           "description": "one line, at most 500 characters"})
}

pub(super) fn required_reason() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": commands::REASON_LEN_MAX,
           "pattern": not_blank_without(&format!("{CONTROL}{FORMAT}")),
           "description": "one line, at most 500 characters, not blank"})
}

/// Profile text: at most `max` characters, no control characters; `null` clears it.
pub(super) fn profile_text(max: u64) -> Value {
    json!({"type": ["string", "null"], "maxLength": max, "pattern": without(CONTROL)})
}

pub(super) fn email() -> Value {
    json!({"type": ["string", "null"], "maxLength": 254, "pattern": format!("^[^{CONTROL}]*@[^{CONTROL}]*$"),
           "example": "li.lei@example.com"})
}

pub(super) fn channel() -> Value {
    json!({"type": "string", "pattern": "^[a-z0-9_]{1,32}$", "example": "app"})
}

pub(super) fn points_amount() -> Value {
    int(Some(1), Some(jifen_ledger::POINTS_PER_OPERATION_MAX))
}

pub(super) fn millis(description: &str) -> Value {
    json!({"type": "integer", "format": "int64", "description": description})
}

pub(super) fn date() -> Value {
    json!({"type": "string", "format": "date", "example": "1990-05-17"})
}

pub(super) fn words(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

pub(super) fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

pub(super) fn array_max(items: Value, max: usize) -> Value {
    json!({"type": "array", "items": items, "maxItems": max})
}

pub(super) fn nullable(mut s: Value) -> Value {
    let t = s["type"].clone();
    s["type"] = json!([t, "null"]);
    s
}

pub(super) fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// An event type as rules name it: a built-in one or `custom:<name>`.
pub(super) fn trigger(except: &[&str]) -> Value {
    let names: Vec<&str> = jifen_rules::rule::BUILT_IN_TRIGGERS
        .iter()
        .copied()
        .filter(|t| !except.contains(t))
        .collect();
    json!({"type": "string", "pattern": format!("^({}|custom:[a-z0-9_]{{1,32}})$", names.join("|")),
           "example": "review"})
}

pub(super) fn member_ref() -> Value {
    schema_ref("MemberRef")
}

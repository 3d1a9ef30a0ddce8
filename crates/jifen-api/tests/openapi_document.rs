//! The OpenAPI document is one a client generator accepts: every `{x}` of a path is a declared
//! path parameter of each of its operations, the query parameters are the ones the handlers
//! read (with their types and whether they are required), and the document keeps the rules of
//! OpenAPI 3.1 (unique operation ids, resolvable references, well-formed parameters, responses
//! and schemas). `scripts/openapi-check` runs a full validator and schemathesis on top of this.

use std::collections::{BTreeMap, BTreeSet};

use jifen_api::openapi::{In, ROUTES, document};
use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The `{name}`s of a path template.
fn template_params(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("a closed template") + open;
        out.push(&rest[open + 1..close]);
        rest = &rest[close + 1..];
    }
    out
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// The operation's parameters with the path item's, references resolved.
fn parameters<'a>(doc: &'a Value, path: &str, op: &'a Value) -> Vec<&'a Value> {
    let item = &doc["paths"][path];
    item["parameters"]
        .as_array()
        .into_iter()
        .chain(op["parameters"].as_array())
        .flatten()
        .map(|p| resolve(doc, p))
        .collect()
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => pointer(doc, r).unwrap_or_else(|| panic!("unresolved reference {r}")),
        None => v,
    }
}

fn pointer<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    let p = r.strip_prefix('#')?;
    doc.pointer(&p.replace("~1", "/").replace("~0", "~"))
        .or_else(|| doc.pointer(p))
}

/// What breaks "every `{x}` of a path is a required path parameter of each of its operations,
/// and every path parameter is in the path": one line per problem.
fn path_parameter_errors(doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    for (method, path, op) in operations(doc) {
        let names = template_params(&path);
        let params = parameters(doc, &path, &op);
        for name in &names {
            match params
                .iter()
                .find(|p| p["in"] == "path" && p["name"] == *name)
            {
                None => errors.push(format!(
                    "{method} {path}: {{{name}}} is not declared in: path"
                )),
                Some(p) if p["required"] != true => errors.push(format!(
                    "{method} {path}: path parameter {name} must be required"
                )),
                Some(p) if !p["schema"]["type"].is_string() => errors.push(format!(
                    "{method} {path}: path parameter {name} has no type"
                )),
                Some(_) => {}
            }
        }
        for p in params.iter().filter(|p| p["in"] == "path") {
            let name = p["name"].as_str().unwrap_or_default();
            if !names.contains(&name) {
                errors.push(format!(
                    "{method} {path}: path parameter {name} is not in the template"
                ));
            }
        }
    }
    errors
}

#[test]
fn every_path_template_parameter_is_declared_on_every_operation() {
    let doc = document();
    let errors = path_parameter_errors(&doc);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let declared: usize = operations(&doc)
        .iter()
        .map(|(_, path, _)| template_params(path).len())
        .sum();
    assert!(declared > 50, "only {declared} path parameters");
}

#[test]
fn the_path_parameter_check_finds_a_missing_or_extra_one() {
    assert_eq!(template_params("/a/{id}/b/{code}"), ["id", "code"]);
    let mut doc = document();
    let ops = &mut doc["paths"]["/api/v1/members/{id}/balance"]["get"];
    ops["parameters"].as_array_mut().unwrap().remove(0);
    doc["paths"]["/api/v1/program"]["get"]["parameters"] = serde_json::json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]);
    let errors = path_parameter_errors(&doc).join("\n");
    assert!(
        errors.contains("get /api/v1/members/{id}/balance: {id} is not declared in: path"),
        "{errors}"
    );
    assert!(
        errors.contains("get /api/v1/program: path parameter id is not in the template"),
        "{errors}"
    );
}

// ---- the rules of OpenAPI 3.1 --------------------------------------------------------------

const SCHEMA_TYPES: [&str; 7] = [
    "null", "boolean", "object", "array", "number", "string", "integer",
];

/// Keywords of JSON Schema 2020-12 (with the OpenAPI additions) that this document may use.
const SCHEMA_KEYWORDS: [&str; 34] = [
    "$ref",
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "description",
    "example",
    "examples",
    "default",
    "title",
    "readOnly",
    "writeOnly",
    "deprecated",
    "contentMediaType",
    "discriminator",
];

/// Checks one schema (and every schema inside it) against JSON Schema 2020-12's rules, and
/// that it can be satisfied; `at` names it in failures.
fn check_schema(doc: &Value, s: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(o) = s.as_object() else {
        if !s.is_boolean() {
            errors.push(format!("{at}: a schema is an object or a boolean"));
        }
        return;
    };
    for k in o.keys() {
        if !SCHEMA_KEYWORDS.contains(&k.as_str()) {
            errors.push(format!("{at}: unknown or 3.0-only keyword {k:?}"));
        }
    }
    if let Some(r) = o.get("$ref") {
        let r = r.as_str().unwrap_or_default();
        if pointer(doc, r).is_none() {
            errors.push(format!("{at}: unresolved $ref {r}"));
        }
    }
    let types: Vec<&str> = match o.get("type") {
        None => Vec::new(),
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => {
            let ts: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            if ts.is_empty() || ts.iter().collect::<BTreeSet<_>>().len() != ts.len() {
                errors.push(format!("{at}: type lists must be unique and non-empty"));
            }
            ts
        }
        Some(t) => {
            errors.push(format!("{at}: type {t} is neither a string nor a list"));
            Vec::new()
        }
    };
    for t in &types {
        if !SCHEMA_TYPES.contains(t) {
            errors.push(format!("{at}: unknown type {t:?}"));
        }
    }
    if let Some(e) = o.get("enum") {
        match e.as_array() {
            Some(vs) if !vs.is_empty() => {
                for v in vs {
                    if !types.is_empty() && !types.iter().any(|t| is_type(v, t)) {
                        errors.push(format!("{at}: enum value {v} is not of type {types:?}"));
                    }
                }
            }
            _ => errors.push(format!("{at}: enum must be a non-empty list")),
        }
    }
    for (k, v) in o {
        let numeric = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
        let counts = [
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
            "minLength",
            "maxLength",
        ];
        if numeric.contains(&k.as_str()) && !v.is_number() {
            errors.push(format!("{at}: {k} must be a number"));
        }
        if counts.contains(&k.as_str()) && v.as_u64().is_none() {
            errors.push(format!("{at}: {k} must be a non-negative integer"));
        }
        if ["description", "pattern", "format", "title"].contains(&k.as_str()) && !v.is_string() {
            errors.push(format!("{at}: {k} must be a string"));
        }
    }
    for (lo, hi) in [
        ("minimum", "maximum"),
        ("minItems", "maxItems"),
        ("minLength", "maxLength"),
        ("minProperties", "maxProperties"),
    ] {
        if let (Some(a), Some(b)) = (
            o.get(lo).and_then(Value::as_f64),
            o.get(hi).and_then(Value::as_f64),
        ) && a > b
        {
            errors.push(format!("{at}: {lo} {a} is above {hi} {b}"));
        }
    }
    if let Some(p) = o.get("pattern").and_then(Value::as_str)
        && !balanced(p)
    {
        errors.push(format!("{at}: pattern {p:?} is not balanced"));
    }
    if let Some(d) = o.get("default")
        && !types.is_empty()
        && !types.iter().any(|t| is_type(d, t))
    {
        errors.push(format!("{at}: default {d} is not of type {types:?}"));
    }
    let props = o.get("properties").and_then(Value::as_object);
    if let Some(req) = o.get("required") {
        let names: Vec<&str> = req
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if req.as_array().is_none_or(|r| r.len() != names.len())
            || names.iter().collect::<BTreeSet<_>>().len() != names.len()
        {
            errors.push(format!("{at}: required must be a list of unique names"));
        }
        // A required property that a closed object does not define could never be sent.
        if o.get("additionalProperties") == Some(&Value::Bool(false)) {
            for n in &names {
                if !props.is_some_and(|p| p.contains_key(*n)) {
                    errors.push(format!(
                        "{at}: required {n} is not a property of a closed object"
                    ));
                }
            }
        }
    }
    if let Some(p) = props {
        for (name, sub) in p {
            check_schema(doc, sub, &format!("{at}.{name}"), errors);
        }
    } else if o.contains_key("properties") {
        errors.push(format!("{at}: properties must be an object"));
    }
    for k in ["additionalProperties", "items", "not"] {
        if let Some(sub) = o.get(k) {
            check_schema(doc, sub, &format!("{at}/{k}"), errors);
        }
    }
    for k in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = o.get(k) {
            match list.as_array() {
                Some(l) if !l.is_empty() => {
                    for (i, sub) in l.iter().enumerate() {
                        check_schema(doc, sub, &format!("{at}/{k}[{i}]"), errors);
                    }
                }
                _ => errors.push(format!("{at}: {k} must be a non-empty list")),
            }
        }
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        _ => false,
    }
}

/// Brackets and parentheses of a regular expression pair up (escapes skipped).
fn balanced(p: &str) -> bool {
    let mut stack = Vec::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty()
}

/// Every rule of OpenAPI 3.1 that a document can break, that this one could: the errors found.
fn openapi_errors(doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    if !doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1.") && v[4..].parse::<u32>().is_ok())
    {
        errors.push(format!("openapi must be 3.1.x, not {}", doc["openapi"]));
    }
    if !doc["info"]["title"].is_string() || !doc["info"]["version"].is_string() {
        errors.push("info needs a title and a version".into());
    }
    let top: BTreeSet<&str> = [
        "openapi",
        "info",
        "jsonSchemaDialect",
        "servers",
        "paths",
        "webhooks",
        "components",
        "security",
        "tags",
        "externalDocs",
    ]
    .into();
    for k in doc.as_object().unwrap().keys() {
        if !top.contains(k.as_str()) && !k.starts_with("x-") {
            errors.push(format!("unknown top-level field {k}"));
        }
    }
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, s) in &schemes {
        let ok = match s["type"].as_str() {
            Some("apiKey") => {
                s["name"].is_string()
                    && ["query", "header", "cookie"].contains(&s["in"].as_str().unwrap_or(""))
            }
            Some("http") => s["scheme"].is_string(),
            Some("mutualTLS") => true,
            Some("oauth2") => s["flows"].is_object(),
            Some("openIdConnect") => s["openIdConnectUrl"].is_string(),
            _ => false,
        };
        if !ok {
            errors.push(format!("security scheme {name} is malformed"));
        }
    }
    let mut tags = BTreeSet::new();
    for t in doc["tags"].as_array().into_iter().flatten() {
        match t["name"].as_str() {
            Some(n) if tags.insert(n) => {}
            _ => errors.push(format!("tag {t} has no name or is listed twice")),
        }
    }
    for (name, s) in doc["components"]["schemas"]
        .as_object()
        .expect("components.schemas")
    {
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
        {
            errors.push(format!(
                "component name {name:?} has characters OpenAPI does not allow"
            ));
        }
        let mut es = Vec::new();
        check_schema(doc, s, &format!("#/components/schemas/{name}"), &mut es);
        errors.extend(es);
    }
    let mut errors2 = Vec::new();
    let mut ids = BTreeMap::new();
    let mut shapes = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with('/') {
            errors2.push(format!("path {path} must start with /"));
        }
        // Paths that differ only in their templates' names are the same path.
        let mut shape = String::new();
        let mut in_template = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_template = true;
                    shape.push_str("{}");
                }
                '}' => in_template = false,
                c if !in_template => shape.push(c),
                _ => {}
            }
        }
        if let Some(other) = shapes.insert(shape, path.clone()) {
            errors2.push(format!(
                "paths {path} and {other} are the same templated path"
            ));
        }
        for (k, op) in item.as_object().expect("a path item") {
            let fields = ["summary", "description", "servers", "parameters", "$ref"];
            if !METHODS.contains(&k.as_str())
                && !fields.contains(&k.as_str())
                && !k.starts_with("x-")
            {
                errors2.push(format!("{path}: unknown field {k}"));
                continue;
            }
            if !METHODS.contains(&k.as_str()) {
                continue;
            }
            let at = format!("{k} {path}");
            match op["operationId"].as_str() {
                Some(id) => {
                    if let Some(other) = ids.insert(id.to_string(), at.clone()) {
                        errors2.push(format!("{at}: operationId {id} is also {other}'s"));
                    }
                }
                None => errors2.push(format!("{at}: no operationId")),
            }
            for t in op["tags"].as_array().into_iter().flatten() {
                if !t.as_str().is_some_and(|t| tags.contains(t)) {
                    errors2.push(format!("{at}: tag {t} is not declared"));
                }
            }
            for req in op["security"].as_array().into_iter().flatten() {
                for name in req.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !schemes.contains_key(name) {
                        errors2.push(format!("{at}: security scheme {name} is not declared"));
                    }
                }
            }
            let mut seen = BTreeSet::new();
            for p in parameters(doc, path, op) {
                let (Some(name), Some(place)) = (p["name"].as_str(), p["in"].as_str()) else {
                    errors2.push(format!("{at}: a parameter needs a name and an in"));
                    continue;
                };
                if !["path", "query", "header", "cookie"].contains(&place) {
                    errors2.push(format!("{at}: parameter {name} is in {place}"));
                }
                let key = if place == "header" {
                    name.to_ascii_lowercase()
                } else {
                    name.to_string()
                };
                if !seen.insert((place.to_string(), key)) {
                    errors2.push(format!("{at}: parameter {name} in {place} is listed twice"));
                }
                if place == "path" && p["required"] != true {
                    errors2.push(format!("{at}: path parameter {name} must be required"));
                }
                if place == "header"
                    && ["accept", "content-type", "authorization"]
                        .contains(&name.to_ascii_lowercase().as_str())
                {
                    errors2.push(format!(
                        "{at}: header {name} is not described as a parameter"
                    ));
                }
                if p.get("required").is_some_and(|r| !r.is_boolean()) {
                    errors2.push(format!("{at}: {name}.required must be a boolean"));
                }
                match (p.get("schema"), p.get("content")) {
                    (Some(s), None) => {
                        check_schema(doc, s, &format!("{at} parameter {name}"), &mut errors2)
                    }
                    (None, Some(c)) if c.as_object().is_some_and(|c| c.len() == 1) => {}
                    _ => errors2.push(format!("{at}: {name} needs a schema or one content")),
                }
            }
            if let Some(body) = op.get("requestBody") {
                let body = resolve(doc, body);
                match body["content"].as_object() {
                    Some(c) if !c.is_empty() => {
                        for (media, m) in c {
                            if !media.contains('/') {
                                errors2.push(format!("{at}: {media} is not a media type"));
                            }
                            if let Some(s) = m.get("schema") {
                                check_schema(doc, s, &format!("{at} body {media}"), &mut errors2);
                            }
                        }
                    }
                    _ => errors2.push(format!("{at}: requestBody needs content")),
                }
                if body.get("required").is_some_and(|r| !r.is_boolean()) {
                    errors2.push(format!("{at}: requestBody.required must be a boolean"));
                }
                if k == "get" || k == "head" || k == "delete" {
                    errors2.push(format!("{at}: a {k} with a body"));
                }
            }
            match op["responses"].as_object() {
                Some(rs) if !rs.is_empty() => {
                    if !rs.keys().any(|c| c.starts_with('2')) {
                        errors2.push(format!("{at}: no success response"));
                    }
                    for (code, r) in rs {
                        let b = code.as_bytes();
                        let valid = code == "default"
                            || (b.len() == 3
                                && (b'1'..=b'5').contains(&b[0])
                                && ((b[1].is_ascii_digit() && b[2].is_ascii_digit())
                                    || &b[1..] == b"XX"));
                        if !valid {
                            errors2.push(format!("{at}: {code} is not a response code"));
                        }
                        let r = resolve(doc, r);
                        if !r["description"].is_string() {
                            errors2.push(format!("{at} {code}: a response needs a description"));
                        }
                        for (media, m) in r["content"].as_object().into_iter().flatten() {
                            match m.get("schema") {
                                Some(s) => check_schema(
                                    doc,
                                    s,
                                    &format!("{at} {code} {media}"),
                                    &mut errors2,
                                ),
                                None => errors2.push(format!("{at} {code} {media}: no schema")),
                            }
                        }
                    }
                }
                _ => errors2.push(format!("{at}: responses must not be empty")),
            }
        }
    }
    errors.extend(errors2);
    errors
}

#[test]
fn the_document_follows_the_openapi_3_1_rules() {
    let doc = document();
    let errors = openapi_errors(&doc);
    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn the_rules_check_finds_what_breaks_them() {
    let mut doc = document();
    doc["paths"]["/api/v1/members/{id}"]["get"]["operationId"] = "post_members".into();
    doc["paths"]["/api/v1/members/{id}"]["get"]["parameters"][0]["required"] = false.into();
    doc["paths"]["/api/v1/program"]["get"]["responses"]["2xx"] = serde_json::json!({});
    doc["components"]["schemas"]["Spend"]["properties"]["amount"]["type"] = "int".into();
    doc["components"]["schemas"]["Merge"]["properties"]["from"]["$ref"] =
        "#/components/schemas/Nope".into();
    doc["components"]["schemas"]["StatusChange"]["required"] = serde_json::json!(["reason", "why"]);
    doc["components"]["schemas"]["ProfileUpdate"]["nullable"] = true.into();
    let errors = openapi_errors(&doc).join("\n");
    for expected in [
        "operationId post_members",
        "path parameter id must be required",
        "2xx is not a response code",
        "unknown type \"int\"",
        "unresolved $ref #/components/schemas/Nope",
        "required why is not a property of a closed object",
        "unknown or 3.0-only keyword \"nullable\"",
    ] {
        assert!(
            errors.contains(expected),
            "{expected:?} not found in:\n{errors}"
        );
    }
}

// ---- query parameters as the handlers read them --------------------------------------------

const SOURCES: [(&str, &str); 6] = [
    ("", include_str!("../src/lib.rs")),
    ("members", include_str!("../src/members.rs")),
    ("rules", include_str!("../src/rules.rs")),
    ("mall", include_str!("../src/mall.rs")),
    ("coupons", include_str!("../src/coupons.rs")),
    ("overview", include_str!("../src/overview.rs")),
];

/// `(method, path) -> handler` as the router source names them, e.g. `mall::list_items`.
fn handlers() -> BTreeMap<(String, String), String> {
    let src = SOURCES[0].1;
    let start = src
        .find("// ---- the /api/v1 routes")
        .expect("the v1 routes' start marker");
    let end = src
        .find("// ---- end of the /api/v1 routes")
        .expect("the v1 routes' end marker");
    let src = &src[start..end];
    let mut out = BTreeMap::new();
    let mut at = 0;
    while let Some(off) = src[at..].find(".route(") {
        let open = at + off + ".route(".len();
        let open = open + src[open..].find('"').unwrap() + 1;
        let close = open + src[open..].find('"').unwrap();
        let path = format!("/api/v1{}", &src[open..close]);
        let next = src[close..]
            .find(".route(")
            .map_or(src.len(), |n| close + n);
        let args = &src[close..next];
        // `get(handler)`, `.put(mall::x)`, `post(mall::upload_image).layer(...)`.
        for m in ["get", "post", "put", "patch", "delete"] {
            let mut from = 0;
            while let Some(i) = args[from..].find(&format!("{m}(")) {
                let i = from + i;
                let before = args[..i].chars().last();
                from = i + m.len() + 1;
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let end = from + args[from..].find(')').unwrap();
                out.insert(
                    (m.to_string(), path.clone()),
                    args[from..end].trim().to_string(),
                );
            }
        }
        at = next;
    }
    out
}

/// The fields of the struct a handler reads its query into: (name, rust type, required).
fn query_fields(handler: &str) -> Option<Vec<(String, String, bool)>> {
    let (module, name) = handler.rsplit_once("::").unwrap_or(("", handler));
    let src = SOURCES
        .iter()
        .find(|(m, _)| *m == module)
        .unwrap_or_else(|| panic!("no source for {handler}"))
        .1;
    let Some(at) = src.find(&format!("fn {name}(")) else {
        // A handler made by a macro (`action!`) reads an order update, never a query.
        assert!(
            src.contains(&format!("action!({name},")),
            "no handler {handler}"
        );
        return None;
    };
    let sig = &src[at..at + src[at..].find('{').unwrap()];
    let q = sig.find("ApiQuery<")?;
    let ty = &sig[q + "ApiQuery<".len()..];
    let ty = &ty[..ty.find('>').unwrap()];
    let def = src
        .find(&format!("struct {ty} {{"))
        .unwrap_or_else(|| panic!("no struct {ty} for {handler}"));
    let body = &src[def..def + src[def..].find("\n}").unwrap()];
    let mut fields = Vec::new();
    let mut defaulted = false;
    for line in body.lines().skip(1).map(str::trim) {
        if line.starts_with("#[serde(default") {
            defaulted = true;
        } else if let Some((n, t)) = line.trim_start_matches("pub ").split_once(':')
            && !line.starts_with("//")
        {
            let t = t.trim().trim_end_matches(',').to_string();
            let required = !defaulted && !t.starts_with("Option<");
            fields.push((n.trim().to_string(), t, required));
            defaulted = false;
        }
    }
    Some(fields)
}

#[test]
fn query_parameters_are_the_ones_the_handlers_read() {
    let handlers = handlers();
    assert!(handlers.len() >= ROUTES.len(), "{handlers:?}");
    let mut checked = 0;
    for r in ROUTES {
        let handler = handlers
            .get(&(r.method.to_string(), r.path.to_string()))
            .unwrap_or_else(|| panic!("no handler for {} {}", r.method, r.path));
        let mut read: Vec<(String, String, bool)> = query_fields(handler).unwrap_or_default();
        read.sort();
        let mut documented: Vec<(String, String, bool)> = r
            .params
            .iter()
            .filter(|p| p.at == In::Query)
            .map(|p| {
                let t = p.schema()["type"].as_str().unwrap().to_string();
                (p.name.to_string(), t, p.required)
            })
            .collect();
        documented.sort();
        let names = |v: &[(String, String, bool)]| -> Vec<(String, bool)> {
            v.iter().map(|(n, _, req)| (n.clone(), *req)).collect()
        };
        assert_eq!(
            names(&documented),
            names(&read),
            "{} {} ({handler}): documented query parameters (name, required) differ from the handler's",
            r.method,
            r.path
        );
        for ((name, doc_ty, _), (_, rust_ty, _)) in documented.iter().zip(&read) {
            let inner = rust_ty.trim_start_matches("Option<").trim_end_matches('>');
            let expected = match inner {
                "i64" | "i32" | "u32" | "u64" => "integer",
                "bool" => "boolean",
                "String" => "string",
                other => panic!("{handler}: query field {name} of type {other}"),
            };
            assert_eq!(doc_ty, expected, "{} {} query {name}", r.method, r.path);
        }
        checked += read.len();
    }
    assert!(checked >= 30, "only {checked} query parameters checked");
}

#[test]
fn path_parameter_types_match_how_the_handlers_parse_them() {
    // Ids the handlers parse as positive integers are integers; codes and SKUs are text, and so
    // is a backtest's id (`bt_...`).
    for r in ROUTES {
        for p in r.params.iter().filter(|p| p.at == In::Path) {
            let t = p.schema()["type"].as_str().unwrap().to_string();
            let expected = if p.name == "id" && !r.path.starts_with("/api/v1/backtests/") {
                "integer"
            } else {
                "string"
            };
            assert_eq!(t, expected, "{} {} {{{}}}", r.method, r.path, p.name);
        }
    }
}

/// The answers of the typed use cases are documented from their types (schemars), so a field
/// added to a view appears in the document without anyone writing it there.
#[test]
fn typed_answers_are_documented_from_their_types() {
    use jifen_api::openapi::documented;
    assert!(documented::<jifen_app::mall::OrderView>());
    assert!(documented::<jifen_app::mall::OrdersPage>());
    assert!(documented::<jifen_app::views::HistoryPage>());
    assert!(documented::<jifen_app::coupons::CouponView>());
    assert!(documented::<jifen_app::coupons::CouponList>());
    assert!(documented::<jifen_app::lottery::LotteryView>());
    assert!(documented::<jifen_app::lottery::LotteryList>());
    assert!(documented::<jifen_app::tiers::TierProgress>());
    assert!(documented::<jifen_app::coupons::CouponTemplateView>());
    assert!(documented::<jifen_app::coupons::CouponTemplateList>());
    assert!(documented::<jifen_app::coupons::CouponUseView>());
    assert!(documented::<jifen_app::tiers::MemberBenefits>());
    assert!(documented::<jifen_domain::tiers::Ladder>());
    assert!(documented::<jifen_app::lottery::DrawsGranted>());
    assert!(documented::<jifen_app::lottery::DrawView>());
    assert!(documented::<jifen_app::lottery::AuditedDraw>());
    assert!(documented::<jifen_app::lottery::DrawAudit>());
    assert!(documented::<jifen_app::mall::ImageUploaded>());
    let schemas = jifen_api::openapi::schemas();
    let order = &schemas["OrderView"];
    let required: Vec<&str> = order["required"]
        .as_array()
        .expect("OrderView lists its required fields")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for field in ["order_id", "state", "history", "refunded_points"] {
        assert!(required.contains(&field), "{field} in {required:?}");
    }
    assert_eq!(
        order["properties"]["history"]["items"]["$ref"],
        "#/components/schemas/OrderEvent"
    );
    assert_eq!(
        schemas["HistoryLine"]["properties"]["point_type"]["enum"],
        serde_json::json!(["points", "growth"])
    );
    // A draw names its prize or `null` for the consolation, and keeps what it paid; the
    // request schemas of grants and draws stay as written.
    assert_eq!(
        schemas["DrawView"]["properties"]["prize"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(
        schemas["DrawView"]["properties"]["result"]["$ref"],
        "#/components/schemas/DrawResult"
    );
    for name in ["LotteryGrant", "LotteryDraw"] {
        assert!(
            schemas[name]["properties"]["member_id"].is_object()
                || schemas[name]["properties"]["member"].is_object(),
            "{name}"
        );
    }
}

/// What the ledger commands answer is documented from the types too, the optional parts
/// (a purchase's rule totals, a void's expired points) as optional fields.
#[test]
fn ledger_command_answers_are_documented_from_their_types() {
    use jifen_api::openapi::documented;
    use jifen_app::commands::*;
    assert!(documented::<PurchaseResult>());
    assert!(documented::<EventResult>());
    assert!(documented::<RefundResult>());
    assert!(documented::<SpendResult>());
    assert!(documented::<ReservationView>());
    assert!(documented::<RedemptionRefundResult>());
    assert!(documented::<TransferResult>());
    assert!(documented::<MergeResult>());
    assert!(documented::<jifen_app::checkout::CheckoutQuoteView>());
    assert!(documented::<jifen_app::checkout::CheckoutDeductionView>());
    assert!(documented::<jifen_app::chain::Receipt>());
    assert!(documented::<jifen_app::staff::AdjustmentOutcome>());
    let schemas = jifen_api::openapi::schemas();
    // An adjustment answers one of two shapes, told apart by `status`.
    let outcome = serde_json::to_string(&schemas["AdjustmentOutcome"]["oneOf"]).unwrap();
    for part in ["\"applied\"", "\"pending_approval\"", "PendingApproval"] {
        assert!(outcome.contains(part), "{outcome}");
    }
    let names = |v: &serde_json::Value| serde_json::to_string(&v["required"]).unwrap();
    let purchase = names(&schemas["PurchaseResult"]);
    assert!(purchase.contains("\"earned\""), "{purchase}");
    assert!(!purchase.contains("\"total\""), "{purchase}");
    let reservation = names(&schemas["Reservation"]);
    assert!(reservation.contains("\"state\""), "{reservation}");
    assert!(
        !reservation.contains("\"returned_expired\""),
        "{reservation}"
    );
    assert_eq!(
        schemas["Reservation"]["properties"]["state"]["$ref"],
        "#/components/schemas/ReservationState"
    );
}

/// The parts of the ledger answers that other use cases build (a tier move, a risk hold opened,
/// what the sign-up and referral rules paid, a referral taken back) and a member's creation are
/// typed all the way down.
#[test]
fn answer_parts_are_documented_from_their_types() {
    use jifen_api::openapi::documented;
    use jifen_app::commands::*;
    use jifen_app::tiers::{TierAfterRefund, TierDowngrade, TierRecheck, TierUpgrade};
    assert!(documented::<MemberCreated>());
    assert!(documented::<SystemEventResult>());
    assert!(documented::<ReferralReversed>());
    assert!(documented::<jifen_app::earn::HoldOpened>());
    assert!(documented::<TierUpgrade>());
    assert!(documented::<TierDowngrade>());
    assert!(documented::<TierRecheck>());
    assert!(documented::<TierAfterRefund>());
    let schemas = jifen_api::openapi::schemas();
    let r = |name: &str| format!("#/components/schemas/{name}");
    let property = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
    // An optional part: the type or `null`.
    let part = |schema: &str, field: &str| property(schema, field)["anyOf"][0].clone();
    assert_eq!(
        part("PurchaseResult", "tier_change")["$ref"],
        r("TierUpgrade")
    );
    assert_eq!(part("EventResult", "tier_change")["$ref"], r("TierUpgrade"));
    assert_eq!(part("EventResult", "risk_hold")["$ref"], r("HoldOpened"));
    assert_eq!(
        part("RefundResult", "tier_change")["$ref"],
        r("TierAfterRefund")
    );
    assert_eq!(
        part("RefundResult", "referral_reversed")["$ref"],
        r("ReferralReversed")
    );
    assert_eq!(
        property("PurchaseResult", "referral_rewards")["items"]["$ref"],
        r("SystemEventResult")
    );
    // A created member is the member with the rewards, present only when rules paid some.
    let created = serde_json::to_string(&schemas["MemberCreated"]["required"]).unwrap();
    for field in ["member_id", "status", "identities", "points", "growth"] {
        assert!(created.contains(&format!("\"{field}\"")), "{created}");
    }
    assert!(!created.contains("\"rewards\""), "{created}");
    assert_eq!(
        property("MemberCreated", "rewards")["items"]["$ref"],
        r("SystemEventResult")
    );
}

/// The mall's items and a member's catalog are documented from their types too.
#[test]
fn item_and_catalog_answers_are_documented_from_their_types() {
    use jifen_api::openapi::documented;
    assert!(documented::<jifen_app::mall::ItemView>());
    assert!(documented::<jifen_app::mall::SkuView>());
    assert!(documented::<jifen_app::mall::ItemsPage>());
    assert!(documented::<jifen_app::mall::MemberCatalog>());
    assert!(documented::<jifen_app::mall::MemberItem>());
    assert!(documented::<jifen_app::mall::MemberSku>());
    let schemas = jifen_api::openapi::schemas();
    let required = |name: &str| -> Vec<String> {
        schemas[name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} lists its required fields"))
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    let item = required("ItemView");
    for field in ["id", "status", "in_stock", "skus", "kind", "created_at"] {
        assert!(item.contains(&field.to_string()), "{field} in {item:?}");
    }
    // Absent rather than null when there is nothing to say.
    for field in ["sale_from", "sale_until", "images"] {
        assert!(!item.contains(&field.to_string()), "{field} in {item:?}");
    }
    assert_eq!(
        schemas["ItemView"]["properties"]["skus"]["items"]["$ref"],
        "#/components/schemas/SkuView"
    );
    assert_eq!(
        schemas["ItemsPage"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/ItemView"
    );
    // A member's item is the item at their prices, with the sale's window.
    let member_item = required("MemberItem");
    for field in ["id", "name_zh", "skus"] {
        assert!(
            member_item.contains(&field.to_string()),
            "{field} in {member_item:?}"
        );
    }
    assert_eq!(
        schemas["MemberItem"]["properties"]["window"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(
        schemas["MemberItem"]["properties"]["skus"]["items"]["$ref"],
        "#/components/schemas/MemberSku"
    );
    let sku = required("MemberSku");
    for field in [
        "sku",
        "points",
        "stock",
        "affordable",
        "points_short",
        "message",
    ] {
        assert!(sku.contains(&field.to_string()), "{field} in {sku:?}");
    }
    for field in ["list_points", "member_price_pct", "spend_message"] {
        assert!(!sku.contains(&field.to_string()), "{field} in {sku:?}");
    }
}

/// Rules, the variables, earning settings, dry runs, backtests and risk holds are documented
/// from their types, under names that leave the request schemas (`Rule`, `EarnSettings`,
/// `DryRun`, `Backtest`) alone.
#[test]
fn rule_answers_are_documented_from_their_types() {
    use jifen_api::openapi::documented;
    assert!(documented::<jifen_app::earn::RuleView>());
    assert!(documented::<jifen_app::earn::RuleList>());
    assert!(documented::<jifen_app::earn::VariablesView>());
    assert!(documented::<jifen_rules::signin::EarnSettings>());
    assert!(documented::<jifen_app::earn::DryRunView>());
    assert!(documented::<jifen_app::Backtest>());
    assert!(documented::<jifen_app::earn::HoldsPage>());
    assert!(documented::<jifen_app::earn::HoldView>());
    let schemas = jifen_api::openapi::schemas();
    assert_eq!(
        schemas["RuleView"]["properties"]["definition"]["$ref"],
        "#/components/schemas/RuleDef"
    );
    assert_eq!(
        schemas["RuleDef"]["properties"]["point_type"]["enum"],
        serde_json::json!(["points", "growth"])
    );
    // The definition a request sends has the fields of the one an answer shows; a task's link
    // is among them, bounded.
    let fields = |name: &str| -> Vec<String> {
        let mut f: Vec<String> = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has properties"))
            .keys()
            .cloned()
            .collect();
        f.sort();
        f
    };
    assert_eq!(fields("RuleDefinition"), fields("RuleDef"));
    let link = &schemas["RuleDefinition"]["properties"]["task_url"];
    assert!(
        link["maxLength"].as_u64().is_some() && link["pattern"].is_string(),
        "{link}"
    );
    assert!(schemas["RuleDef"]["properties"]["task_url"].is_object());
    // A dry run says what a real event would meet.
    assert!(
        schemas["DryRunView"]["properties"]["notes"].is_object(),
        "{}",
        schemas["DryRunView"]
    );
    // The request schemas stay as written.
    for name in ["Rule", "EarnSettings", "DryRun", "Backtest"] {
        assert!(schemas.get(name).is_some(), "{name}");
    }
    assert!(schemas.get("EarnSettingsView").is_some());
    assert!(schemas.get("BacktestState").is_some());
}

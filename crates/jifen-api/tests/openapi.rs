//! The OpenAPI document and the router agree: every route the router registers (read from the
//! source of `router()`) is in `openapi::ROUTES`, every documented route is served, and the
//! document at `/api/openapi.json` lists them all.

mod common;

use std::collections::BTreeSet;

use common::{policy, start};
use jifen_api::openapi::{Body, In, ROUTES};
use reqwest::Method;
use serde_json::{Value, json};

const LIB_RS: &str = include_str!("../src/lib.rs");

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

/// Index of the parenthesis closing the one opened just before `from`.
fn closing_paren(s: &str, from: usize) -> usize {
    let mut depth = 1;
    let mut in_str = false;
    let bytes = s.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    panic!("unbalanced parentheses after byte {from}");
}

/// The method routers named at the top level of a `.route(path, <here>)` argument, e.g.
/// `get(program).put(update_program)` gives get and put.
fn methods_of(args: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut depth = 0;
    let bytes = args.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0 => {
                for m in METHODS {
                    let starts_word =
                        i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                    if starts_word
                        && args[i..].starts_with(m)
                        && args[i + m.len()..].starts_with('(')
                    {
                        out.insert(m.to_string());
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Every `.route("...", ...)` of the API: those between the markers of the `/api/v1` routes
/// (with that prefix, as `router()` nests them there) and those of `router()` itself.
fn registered_routes() -> Vec<(String, BTreeSet<String>)> {
    let start = LIB_RS.find("pub fn router(").expect("router() in lib.rs");
    let body_end = start + closing_brace(&LIB_RS[start..]);
    assert!(
        LIB_RS[start..body_end].contains(".nest(\"/api/v1\", v1)"),
        "v1 nested under /api/v1"
    );
    let v1_start = LIB_RS.find(V1_START).expect("the v1 routes' start marker");
    let v1_end = LIB_RS.find(V1_END).expect("the v1 routes' end marker");
    let mut out: Vec<(String, BTreeSet<String>)> = routes_in(&LIB_RS[v1_start..v1_end])
        .into_iter()
        .map(|(p, m)| (format!("/api/v1{p}"), m))
        .collect();
    out.extend(routes_in(&LIB_RS[start..body_end]));
    out
}

/// Where the `/api/v1` routes start and end in `lib.rs`.
const V1_START: &str = "// ---- the /api/v1 routes";
const V1_END: &str = "// ---- end of the /api/v1 routes";

/// Every `.route("...", ...)` in `src`, with its methods.
fn routes_in(src: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(off) = src[at..].find(".route(") {
        let open = at + off + ".route(".len();
        let close = closing_paren(src, open);
        let args = &src[open..close];
        let q1 = args.find('"').expect("route path literal");
        let q2 = q1 + 1 + args[q1 + 1..].find('"').unwrap();
        let path = &args[q1 + 1..q2];
        let methods = methods_of(&args[q2 + 1..]);
        assert!(!methods.is_empty(), "no method for route {path}");
        out.push((path.to_string(), methods));
        at = close;
    }
    out
}

fn closing_brace(s: &str) -> usize {
    let open = s.find('{').unwrap();
    let mut depth = 0;
    for (i, c) in s[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces");
}

fn api_routes() -> Vec<(String, BTreeSet<String>)> {
    registered_routes()
        .into_iter()
        .filter(|(p, _)| p.starts_with("/api/v1/"))
        .collect()
}

#[test]
fn the_route_parser_reads_the_router_source() {
    let all = registered_routes();
    let paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains(&"/api/v1/members"), "{paths:?}");
    assert!(paths.contains(&"/api/v1/spends/{id}/refunds"), "{paths:?}");
    assert!(paths.contains(&"/api/openapi.json"), "{paths:?}");
    assert!(paths.contains(&"/health"), "{paths:?}");
    let program = all.iter().find(|(p, _)| p == "/api/v1/program").unwrap();
    assert_eq!(
        program.1,
        BTreeSet::from(["get".to_string(), "put".to_string()])
    );
    assert!(api_routes().len() >= 18);
}

#[test]
fn every_registered_path_is_documented_and_every_documented_path_is_registered() {
    let registered: BTreeSet<String> = api_routes().into_iter().map(|(p, _)| p).collect();
    let documented: BTreeSet<String> = ROUTES.iter().map(|r| r.path.to_string()).collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi::ROUTES: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented routes the router does not register: {unserved:?}"
    );
}

#[test]
fn every_registered_method_is_documented() {
    let registered: BTreeSet<(String, String)> = api_routes()
        .into_iter()
        .flat_map(|(p, ms)| ms.into_iter().map(move |m| (m, p.clone())))
        .collect();
    let documented: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "method+path pairs the router serves but openapi::ROUTES does not list: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented method+path pairs the router does not serve: {unserved:?}"
    );
}

#[test]
fn routes_table_has_no_duplicates_and_known_schemas() {
    let mut seen = BTreeSet::new();
    let doc = jifen_api::openapi::document();
    for r in ROUTES {
        let (method, path) = (r.method, r.path);
        assert!(seen.insert((method, path)), "{method} {path} listed twice");
        assert!(path.starts_with("/api/v1/"), "{path}");
        assert!(!r.summary.is_empty());
        for schema in r.body_schema().into_iter().chain(Some(r.answer)) {
            assert!(
                schema.is_empty() || doc["components"]["schemas"][schema].is_object(),
                "schema {schema} of {method} {path} is not defined"
            );
        }
        assert!(
            !r.statuses.is_empty(),
            "{method} {path} has no success status"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_lists_every_route() {
    let s = start(policy(0)).await;
    // No API key needed for the document.
    let r = common::read(
        s.client
            .get(s.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let doc = r.ok(200).clone();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc, jifen_api::openapi::document());
    let paths = doc["paths"].as_object().unwrap();
    for r in ROUTES {
        let (method, path) = (r.method, r.path);
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing from the document"))[method];
        assert!(op.is_object(), "{method} {path} missing from the document");
        assert_eq!(op["summary"], r.summary);
        match r.body {
            Body::Json(schema) | Body::OptionalJson(schema) => {
                assert_eq!(
                    op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                    format!("#/components/schemas/{schema}")
                );
                assert_eq!(
                    op["requestBody"]["required"],
                    matches!(r.body, Body::Json(_)),
                    "{method} {path}"
                );
            }
            Body::Image => assert!(
                op["requestBody"]["content"]["image/png"].is_object(),
                "{method} {path}"
            ),
            Body::None => assert!(op.get("requestBody").is_none(), "{method} {path}"),
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let header: Vec<&Value> = params.iter().filter(|p| p["in"] == "header").collect();
        if r.idem.is_empty() {
            assert!(header.is_empty(), "{method} {path}: {header:?}");
        } else {
            assert_eq!(header.len(), 1, "{method} {path}");
            assert_eq!(header[0]["name"], "Idempotency-Key");
            assert_eq!(header[0]["required"], r.idem == "required");
        }
        // The table's path and query parameters, in its order, then the header.
        let listed: Vec<(&str, &str)> = params
            .iter()
            .filter(|p| p["in"] != "header")
            .map(|p| (p["in"].as_str().unwrap(), p["name"].as_str().unwrap()))
            .collect();
        let table: Vec<(&str, &str)> = r
            .params
            .iter()
            .map(|p| {
                let at = match p.at {
                    In::Path => "path",
                    In::Query => "query",
                };
                (at, p.name)
            })
            .collect();
        assert_eq!(listed, table, "{method} {path}");
        // Every success answer has a schema.
        for status in r.statuses {
            let schema =
                &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{method} {path} {status}: no schema");
        }
    }
    let documented: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    let listed: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(listed, documented);
    let ops: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(ops, ROUTES.len());
}

/// Every documented route answers as a route: never `route_not_found` nor 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_is_served() {
    let s = start(policy(0)).await;
    for r in ROUTES {
        let method = r.method;
        let mut path = r.path.replace("{id}", "999999");
        // Required query parameters get a value of their type, so the route is reached.
        let required: Vec<String> = r
            .params
            .iter()
            .filter(|p| p.at == In::Query && p.required)
            .map(|p| {
                let v = p.schema()["example"].as_str().unwrap_or("1").to_string();
                format!("{}={v}", p.name)
            })
            .collect();
        if !required.is_empty() {
            path = format!("{path}?{}", required.join("&"));
        }
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = s
            .send(
                s.request(m, &path)
                    .header("Idempotency-Key", format!("probe-{method}-{path}"))
                    .json(&json!({})),
            )
            .await;
        assert_ne!(r.status.as_u16(), 405, "{method} {path}: {}", r.text);
        assert_ne!(
            r.json["error"]["code"],
            Value::from("route_not_found"),
            "{method} {path}: {}",
            r.text
        );
        if r.status.is_client_error() || r.status.is_server_error() {
            common::assert_error_shape(&r);
        }
        assert!(
            !r.status.is_server_error(),
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
    }
}

//! The document describes what the server really does: requests that follow the document's
//! schemas are accepted, bodies the schemas refuse the server refuses too, and the answers (the
//! main ones with a shape of their own, and every error) match the documented schemas. A small
//! JSON Schema checker does the matching; `scripts/openapi-check` runs schemathesis for more.

mod common;

use common::{Resp, Server, policy, start};
use jifen_api::openapi::{In, ROUTES, Route, document};
use reqwest::Method;
use serde_json::{Value, json};

/// What makes `v` not match `schema` (references resolved in `doc`): one line per problem.
/// Patterns and formats are not checked.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolved {r}"));
        return check(doc, target, v, at, errors);
    }
    let Some(s) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: nothing is allowed here"));
        }
        return;
    };
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let ok = types.iter().any(|t| match *t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            "number" => v.is_number(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(n) = v.as_f64() {
        if let Some(m) = s.get("minimum").and_then(Value::as_f64)
            && n < m
        {
            errors.push(format!("{at}: {v} is below {m}"));
        }
        if let Some(m) = s.get("maximum").and_then(Value::as_f64)
            && n > m
        {
            errors.push(format!("{at}: {v} is above {m}"));
        }
    }
    if let Some(text) = v.as_str() {
        let n = text.chars().count() as u64;
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
        {
            errors.push(format!("{at}: {v} is too short"));
        }
        if s.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: {v} is too long"));
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
            || s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: {n} items"));
        }
        if let Some(item) = s.get("items") {
            for (i, x) in items.iter().enumerate() {
                check(doc, item, x, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(o) = v.as_object() {
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !o.contains_key(r) {
                errors.push(format!("{at}: {r} is required"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, x) in o {
            match props.and_then(|p| p.get(k)) {
                Some(p) => check(doc, p, x, &format!("{at}.{k}"), errors),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{at}: unknown field {k}")),
                    Some(extra) => check(doc, extra, x, &format!("{at}.{k}"), errors),
                    None => {}
                },
            }
        }
        if s.get("maxProperties")
            .and_then(Value::as_u64)
            .is_some_and(|m| o.len() as u64 > m)
        {
            errors.push(format!("{at}: too many fields"));
        }
    }
    let matching = |list: &Value| -> Vec<Vec<String>> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|sub| {
                let mut es = Vec::new();
                check(doc, sub, v, at, &mut es);
                es
            })
            .collect()
    };
    if let Some(list) = s.get("anyOf") {
        let results = matching(list);
        if results.iter().all(|es| !es.is_empty()) {
            errors.push(format!("{at}: {v} matches none of anyOf: {results:?}"));
        }
    }
    if let Some(list) = s.get("oneOf") {
        let results = matching(list);
        let n = results.iter().filter(|es| es.is_empty()).count();
        if n != 1 {
            errors.push(format!("{at}: {v} matches {n} of oneOf: {results:?}"));
        }
    }
    if let Some(list) = s.get("allOf") {
        for es in matching(list) {
            errors.extend(es);
        }
    }
    if let Some(not) = s.get("not") {
        let mut es = Vec::new();
        check(doc, not, v, at, &mut es);
        if es.is_empty() {
            errors.push(format!("{at}: {v} matches what is not allowed"));
        }
    }
}

fn problems(doc: &Value, schema: &Value, v: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(doc, schema, v, "$", &mut errors);
    errors
}

/// The route of a method and a concrete path (`/api/v1/members/7/balance?days=3`).
fn route_of(method: &str, path: &str) -> &'static Route {
    let path = path.split('?').next().unwrap();
    let segs: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .find(|r| {
            let t: Vec<&str> = r.path.split('/').collect();
            r.method == method
                && t.len() == segs.len()
                && t.iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .unwrap_or_else(|| panic!("no documented route for {method} {path}"))
}

struct Checked {
    s: Server,
    doc: Value,
    answers: usize,
}

impl Checked {
    fn schema(name: &str) -> Value {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    /// Sends a request the document allows (its body and query names checked against the
    /// route's) and checks the answer against the documented schema of its status.
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        idem: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let r = route_of(method, path);
        if let Some(b) = &body {
            let name = r
                .body_schema()
                .unwrap_or_else(|| panic!("{method} {path} takes no JSON body"));
            let es = problems(&self.doc, &Self::schema(name), b);
            assert!(
                es.is_empty(),
                "{method} {path}: the request {b} breaks {name}: {es:?}"
            );
        }
        if let Some((_, q)) = path.split_once('?') {
            for pair in q.split('&') {
                let name = pair.split('=').next().unwrap();
                assert!(
                    r.params.iter().any(|p| p.at == In::Query && p.name == name),
                    "{method} {path}: ?{name} is not documented"
                );
            }
        }
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut rb = self.s.request(m, path);
        if let Some(k) = idem {
            rb = rb.header("Idempotency-Key", k);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = self.s.send(rb).await;
        let status = resp.status.as_u16();
        let op = &self.doc["paths"][r.path][r.method];
        let documented = &op["responses"][status.to_string()];
        let documented = if documented.is_object() {
            documented
        } else {
            &op["responses"][format!("{}XX", status / 100)]
        };
        assert!(
            documented.is_object(),
            "{method} {path}: {status} is not documented: {}",
            resp.text
        );
        let schema = &documented["content"]["application/json"]["schema"];
        let es = problems(&self.doc, schema, &resp.json);
        assert!(
            es.is_empty(),
            "{method} {path} answered {status} {} against {schema}: {es:?}",
            resp.text
        );
        self.answers += 1;
        resp
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answers_match_the_documented_schemas() {
    let s = start(policy(0)).await;
    let mut c = Checked {
        s,
        doc: document(),
        answers: 0,
    };
    let member = |ext: &str| {
        json!({"name": ext, "phone": "13800138000", "email": format!("{ext}@example.com"), "birthday": "1990-05-17",
               "identities": [{"channel": "app", "external_id": ext}]})
    };
    let a = c
        .call("post", "/api/v1/members", Some("m-a"), Some(member("A1")))
        .await;
    let a = a.ok(201)["member_id"].as_i64().unwrap();
    let b = c
        .call("post", "/api/v1/members", None, Some(member("B1")))
        .await;
    let b = b.ok(201)["member_id"].as_i64().unwrap();
    let m3 = c
        .call("post", "/api/v1/members", None, Some(json!({})))
        .await;
    let m3 = m3.ok(201)["member_id"].as_i64().unwrap();
    c.call("get", "/api/v1/program", None, None).await.ok(200);
    c.call(
        "post",
        "/api/v1/adjustments",
        Some("adj-1"),
        Some(json!({"member": {"member_id": a}, "delta": 500, "reason": "welcome", "actor": "tests"})),
    )
    .await
    .ok(200);
    // Through a key without the right to skip approval, above the threshold: it waits (202).
    let (app, pid) = (c.s.app.clone(), c.s.pid);
    let pos = tokio::task::spawn_blocking(move || app.create_api_key(pid, "pos", false).unwrap())
        .await
        .unwrap();
    let own = std::mem::replace(&mut c.s.key, pos);
    c.call(
        "post",
        "/api/v1/adjustments",
        Some("adj-2"),
        Some(json!({"member": {"member_id": a}, "delta": 5000, "reason": "goodwill", "actor": "tests"})),
    )
    .await
    .ok(202);
    c.s.key = own;
    c.call(
        "post",
        "/api/v1/purchases",
        None,
        Some(json!({"order_id": "SO-1", "member": {"channel": "app", "external_id": "A1"}, "amount_minor": 12800,
                    "currency": "CNY", "lines": [{"sku": "LATTE", "quantity": 2, "price_minor": 6400, "category": "coffee"}]})),
    )
    .await
    .ok(200);
    c.call(
        "post",
        "/api/v1/refunds",
        None,
        Some(json!({"order_id": "SO-1", "refund_id": "RF-1", "amount_minor": 1000, "reason": "one cup"})),
    )
    .await
    .ok(200);
    c.call(
        "post",
        "/api/v1/spends",
        Some("sp-1"),
        Some(json!({"member": {"member_id": a}, "amount": 100, "reason": "兑换：可颂", "order_ref": "R-1"})),
    )
    .await
    .ok(200);
    c.call(
        "post",
        "/api/v1/transfers",
        Some("tr-1"),
        Some(json!({"from": {"member_id": a}, "to": {"member_id": b}, "amount": 50, "reason": "gift"})),
    )
    .await
    .ok(200);
    let res = c
        .call(
            "post",
            "/api/v1/reservations",
            Some("rs-1"),
            Some(json!({"member": {"member_id": a}, "amount": 20, "order_ref": "O-9", "ttl_seconds": 600})),
        )
        .await;
    let rid = res.ok(201)["reservation_id"].as_i64().unwrap();
    c.call(
        "post",
        &format!("/api/v1/reservations/{rid}/post"),
        None,
        None,
    )
    .await
    .ok(200);
    let res = c
        .call(
            "post",
            "/api/v1/reservations",
            Some("rs-2"),
            Some(json!({"member": {"member_id": a}, "amount": 10})),
        )
        .await;
    let rid = res.ok(201)["reservation_id"].as_i64().unwrap();
    c.call(
        "post",
        &format!("/api/v1/reservations/{rid}/void"),
        None,
        Some(json!({"reason": "not paid"})),
    )
    .await
    .ok(200);
    for path in [
        format!("/api/v1/members/{a}"),
        "/api/v1/members/lookup?channel=app&external_id=A1".to_string(),
        format!("/api/v1/members/{a}/balance?days=7"),
        format!("/api/v1/members/{a}/lots?point_type=points&include_closed=true"),
        format!("/api/v1/members/{a}/lots?point_type=growth"),
        format!("/api/v1/members/{a}/history?limit=2"),
        format!("/api/v1/members/{a}/history"),
        format!("/api/v1/members/{a}/mall?locale=en&category=coffee"),
        format!("/api/v1/members/{a}/coupons?status=issued"),
        "/api/v1/outbox?after=0&limit=5".to_string(),
        "/api/v1/chain/links?after=0&limit=10".to_string(),
        "/api/v1/rules?status=active".to_string(),
        "/api/v1/mall/items?status=on_sale&limit=5".to_string(),
        format!("/api/v1/mall/orders?member_id={a}&state=paid&limit=5"),
        "/api/v1/risk-holds?status=open&limit=5".to_string(),
    ] {
        c.call("get", &path, None, None).await.ok(200);
    }
    let page = c
        .call(
            "get",
            &format!("/api/v1/members/{a}/history?limit=1"),
            None,
            None,
        )
        .await;
    let before = page.ok(200)["next_before"].as_i64().expect("a next page");
    c.call(
        "get",
        &format!("/api/v1/members/{a}/history?before={before}&limit=1"),
        None,
        None,
    )
    .await
    .ok(200);
    c.call(
        "patch",
        &format!("/api/v1/members/{a}"),
        Some("p-1"),
        Some(json!({"name": "A one", "email": null})),
    )
    .await
    .ok(200);
    c.call(
        "post",
        &format!("/api/v1/members/{b}/identities"),
        None,
        Some(json!({"channel": "web", "external_id": "B-web"})),
    )
    .await
    .ok(200);
    c.call(
        "post",
        &format!("/api/v1/members/{b}/freeze"),
        None,
        Some(json!({"reason": "dispute"})),
    )
    .await
    .ok(200);
    c.call(
        "post",
        &format!("/api/v1/members/{b}/unfreeze"),
        None,
        Some(json!({"reason": "settled"})),
    )
    .await
    .ok(200);
    c.call(
        "post",
        "/api/v1/members/merge",
        Some("mg-1"),
        Some(json!({"from": {"member_id": m3}, "into": {"member_id": b}, "reason": "duplicate", "actor": "tests"})),
    )
    .await
    .ok(200);
    // Errors match the one error shape.
    c.call(
        "get",
        &format!("/api/v1/members/{a}/tier?locale=en"),
        None,
        None,
    )
    .await
    .err(404, "tier_ladder_not_found");
    c.call("get", "/api/v1/members/999999", None, None)
        .await
        .err(404, "member_not_found");
    c.call(
        "get",
        &format!("/api/v1/members/{a}/history?limit=0"),
        None,
        None,
    )
    .await
    .err(422, "invalid_request");
    c.call(
        "post",
        "/api/v1/spends",
        None,
        Some(json!({"member": {"member_id": a}, "amount": 1})),
    )
    .await
    .err(400, "idempotency_key_required");
    assert!(c.answers >= 35, "{}", c.answers);
}

/// Rules, the variables, earning settings, dry runs, backtests and risk holds answer what their
/// generated schemas say, nulls and optional fields included.
/// `GET /api/v1/members`: the console's member list over the API, in its documented schema:
/// filters, the balance order, pages with the count of all matches, a search by the phone's
/// last four digits, and a clear 422 for what does not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_member_list_filters_sorts_pages_and_matches_its_schema() {
    let s = start(policy(0)).await;
    let mut c = Checked {
        s,
        doc: document(),
        answers: 0,
    };
    let mut ids = Vec::new();
    for (i, points) in [300, 100, 200].into_iter().enumerate() {
        let m = c
            .call(
                "post",
                "/api/v1/members",
                None,
                Some(json!({"name": format!("M{i}"), "phone": format!("1380000{i:04}")})),
            )
            .await;
        let id = m.ok(201)["member_id"].as_i64().unwrap();
        c.call(
            "post",
            "/api/v1/adjustments",
            Some(&format!("list-{i}")),
            Some(json!({"member": {"member_id": id}, "delta": points, "reason": "seed", "actor": "tests"})),
        )
        .await
        .ok(200);
        ids.push(id);
    }
    let listed = |v: &Value| -> Vec<i64> {
        v["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["member_id"].as_i64().unwrap())
            .collect()
    };
    let all = c.call("get", "/api/v1/members", None, None).await;
    let all = all.ok(200);
    assert_eq!(listed(all), vec![ids[2], ids[1], ids[0]], "newest first");
    assert_eq!(
        (all["total"].as_i64(), all["pages"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(all["members"][0]["points"]["available"], 200);
    assert_eq!(
        all["members"][0]["phone"], "13800000002",
        "a key reads phones whole"
    );
    let top = c
        .call("get", "/api/v1/members?sort=balance&limit=2", None, None)
        .await;
    let top = top.ok(200);
    assert_eq!(listed(top), vec![ids[0], ids[2]]);
    assert_eq!(
        (top["total"].as_i64(), top["pages"].as_i64()),
        (Some(3), Some(2))
    );
    let rest = c
        .call(
            "get",
            "/api/v1/members?sort=balance&limit=2&page=2",
            None,
            None,
        )
        .await;
    assert_eq!(listed(rest.ok(200)), vec![ids[1]]);
    let range = c
        .call(
            "get",
            "/api/v1/members?min_balance=150&max_balance=250",
            None,
            None,
        )
        .await;
    assert_eq!(listed(range.ok(200)), vec![ids[2]]);
    let found = c.call("get", "/api/v1/members?q=0001", None, None).await;
    assert_eq!(
        listed(found.ok(200)),
        vec![ids[1]],
        "the phone's last four digits"
    );
    for (query, field) in [
        ("limit=0", "limit"),
        ("page=0", "page"),
        ("sort=oldest", "sort"),
        ("joined_from=2026-13-01", "joined_from"),
        ("min_balance=10&max_balance=5", "max_balance"),
        ("tier=platinum", "tier"),
    ] {
        let r = c
            .call("get", &format!("/api/v1/members?{query}"), None, None)
            .await;
        let body = r.ok(422);
        assert!(
            body.to_string().contains(field),
            "{query}: the error names {field}: {body}"
        );
    }
    let unknown =
        c.s.send(c.s.request(Method::GET, "/api/v1/members?colour=red"))
            .await;
    assert_eq!(unknown.status.as_u16(), 422, "{}", unknown.text);
    assert!(c.answers >= 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_answers_match_their_schemas() {
    let s = start(policy(0)).await;
    let mut c = Checked {
        s,
        doc: document(),
        answers: 0,
    };
    let settings = json!({"risk": {"velocity": [{"by": "ip", "window_minutes": 10, "max_events": 1}]},
                          "transfers": {"daily_points_max": 500}});
    c.call("put", "/api/v1/earn-settings", None, Some(settings))
        .await
        .ok(200);
    c.call("get", "/api/v1/earn-settings", None, None)
        .await
        .ok(200);
    let m = c
        .call("post", "/api/v1/members", None, Some(json!({})))
        .await;
    let m = m.ok(201)["member_id"].as_i64().unwrap();
    let rule = json!({"name": "分享", "trigger": "share", "points": "30", "status": "active",
                      "caps": [{"period": "day", "max_count": 3}], "actor": "ops"});
    let created = c
        .call("post", "/api/v1/rules", Some("r-1"), Some(rule))
        .await;
    let id = created.ok(201)["rule_id"].as_i64().unwrap();
    let weekend = json!({"name": "周末", "trigger": "purchase", "points": "base_points",
                         "schedule": {"days_of_week": [6, 7], "hours": [10, 22]}, "budget_points": 1000});
    c.call(
        "put",
        &format!("/api/v1/rules/{id}"),
        None,
        Some(json!({"name": "分享有礼", "trigger": "share", "points": "40"})),
    )
    .await
    .ok(200);
    let rule = c
        .call("get", &format!("/api/v1/rules/{id}"), None, None)
        .await;
    assert_eq!(rule.ok(200)["versions"].as_array().unwrap().len(), 2);
    c.call("get", "/api/v1/rules", None, None).await.ok(200);
    c.call("get", "/api/v1/rules/variables", None, None)
        .await
        .ok(200);
    let share = |e: &str| json!({"event_id": e, "type": "share", "member": {"member_id": m}, "ip": "10.0.0.7"});
    let dry = json!({"event": share("d1"), "rules": [weekend]});
    c.call("post", "/api/v1/events/dry-run", None, Some(dry))
        .await
        .ok(200);
    let dry = json!({"purchase": {"order_id": "SO-9", "member": {"member_id": m}, "amount_minor": 9900, "currency": "CNY"}});
    let dry = c
        .call("post", "/api/v1/events/dry-run", None, Some(dry))
        .await;
    assert!(dry.ok(200)["base"].is_object());
    for e in ["s1", "s2"] {
        c.call("post", "/api/v1/events", None, Some(share(e)))
            .await
            .ok(200);
    }
    let holds = c.call("get", "/api/v1/risk-holds", None, None).await;
    let hold = holds.ok(200)["holds"][0]["hold_id"].as_i64().unwrap();
    let review = json!({"actor": "risk", "note": "known device"});
    let decided = c
        .call(
            "post",
            &format!("/api/v1/risk-holds/{hold}/release"),
            None,
            Some(review),
        )
        .await;
    assert!(decided.ok(200)["points_moved"].is_i64());
    c.call("get", "/api/v1/risk-holds?status=released", None, None)
        .await
        .ok(200);
    for action in ["pause", "activate", "archive"] {
        c.call("post", &format!("/api/v1/rules/{id}/{action}"), None, None)
            .await
            .ok(200);
    }
    let range = json!({"from": common::START - 86_400_000, "to": common::START + 86_400_000});
    let started = c.call("post", "/api/v1/backtests", None, Some(range)).await;
    let bt = started.ok(201)["backtest_id"].as_str().unwrap().to_string();
    let mut done = false;
    for _ in 0..500 {
        let polled = c
            .call("get", &format!("/api/v1/backtests/{bt}"), None, None)
            .await;
        if polled.ok(200)["status"] != "running" {
            assert!(polled.ok(200)["result"].is_object(), "{}", polled.text);
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(done, "the backtest finished");
    assert!(c.answers >= 20, "{}", c.answers);
}

/// Restocking, presale arrivals, alternatives, slow-item reports, candidates and votes answer
/// what their generated schemas say; a restock repeated with its key answers the stored view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_and_renewal_answers_match_their_schemas() {
    use jifen_api::openapi::documented;
    assert!(documented::<jifen_app::mall::RestockResult>());
    assert!(documented::<jifen_app::mall::ArrivalResult>());
    assert!(documented::<jifen_app::mall::ItemAlternatives>());
    assert!(documented::<jifen_app::mall::SlowItemsReport>());
    assert!(documented::<jifen_app::mall::CandidateList>());
    assert!(documented::<jifen_app::mall::VoteResult>());
    assert!(documented::<jifen_app::mall::Address>());
    let s = start(policy(0)).await;
    let mut c = Checked {
        s,
        doc: document(),
        answers: 0,
    };
    let item = |sku: &str, points: i64, stock: i64, presale: bool| {
        json!({"name_zh": sku, "name_en": sku, "category": "cups", "kind": {"type": "physical"},
               "status": "on_sale", "presale": presale, "skus": [{"sku": sku, "points": points, "stock": stock}]})
    };
    let gone = c
        .call(
            "post",
            "/api/v1/mall/items",
            None,
            Some(item("GONE", 1_000, 0, false)),
        )
        .await;
    let gone = gone.ok(201)["id"].as_i64().unwrap();
    for (sku, points, stock, presale) in [("NEAR", 1_100, 5, false), ("PRE", 500, 1, true)] {
        c.call(
            "post",
            "/api/v1/mall/items",
            None,
            Some(item(sku, points, stock, presale)),
        )
        .await
        .ok(201);
    }
    let restock = json!({"delta": 3});
    let r = c
        .call(
            "post",
            "/api/v1/mall/skus/NEAR/stock",
            Some("rs-1"),
            Some(restock.clone()),
        )
        .await;
    assert_eq!(r.ok(200)["stock"], 8);
    let again = c
        .call(
            "post",
            "/api/v1/mall/skus/NEAR/stock",
            Some("rs-1"),
            Some(restock),
        )
        .await;
    assert!(again.replayed());
    assert_eq!(again.ok(200), r.ok(200));
    let alt = c
        .call(
            "get",
            &format!("/api/v1/mall/items/{gone}/alternatives"),
            None,
            None,
        )
        .await;
    assert_eq!(alt.ok(200)["item_id"], gone);
    assert_eq!(alt.ok(200)["alternatives"][0]["sku"], "NEAR");
    // A presale order with its address waits; the stock arriving releases it.
    let m = c.s.create_member("R1").await;
    c.s.credit(m, 5_000).await;
    let order = |sku: &str, request_id: &str| {
        json!({"member": {"member_id": m}, "sku": sku, "request_id": request_id,
               "address": {"name": "李雷", "phone": "13900000000", "line": "北京市朝阳区建国路88号"}})
    };
    let placed = c
        .call(
            "post",
            "/api/v1/mall/orders",
            None,
            Some(order("PRE", "pre-1")),
        )
        .await;
    let placed = placed.ok(201).clone();
    assert_eq!(placed["state"], "awaiting_stock");
    assert_eq!(placed["address"]["line"], "北京市朝阳区建国路88号");
    let id = placed["order_id"].as_i64().unwrap();
    let arrived = c
        .call(
            "post",
            "/api/v1/mall/skus/PRE/arrivals",
            Some("ar-1"),
            Some(json!({"quantity": 3})),
        )
        .await;
    assert_eq!(arrived.ok(200)["released_orders"], json!([id]));
    assert_eq!(arrived.ok(200)["added_to_stock"], 2);
    let got = c
        .call("get", &format!("/api/v1/mall/orders/{id}"), None, None)
        .await;
    assert_eq!(got.ok(200)["state"], "paid");
    // Shipped in a batch: one row shipped, one refused, each answered.
    let rows = json!({"rows": [
        {"order": id.to_string(), "carrier": "SF", "tracking_no": "SF-PRE-1"},
        {"order": "nope", "carrier": "SF", "tracking_no": "T1"}]});
    let batch = c
        .call("post", "/api/v1/mall/orders/ship-batch", None, Some(rows))
        .await;
    assert_eq!(batch.ok(200)["lines"].as_array().unwrap().len(), 2);
    assert_eq!(batch.ok(200)["refused"], 1);
    // A hundred days on, one NEAR sold of eight offered: 12.5%.
    c.s.clock.advance_days(100);
    c.call(
        "post",
        "/api/v1/mall/orders",
        None,
        Some(order("NEAR", "near-1")),
    )
    .await
    .ok(201);
    let report = c
        .call(
            "post",
            "/api/v1/mall/reports/slow-items",
            None,
            Some(json!({"months": 3, "threshold_pct": 50})),
        )
        .await;
    let near = report.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name_en"] == "NEAR")
        .cloned()
        .expect("NEAR is slow");
    assert_eq!(near["rate_pct"], 12.5);
    assert_eq!(report.ok(200)["taken_off_sale"], false);
    // A candidate item, a vote, closing and the list.
    let added = c
        .call(
            "post",
            "/api/v1/mall/candidates",
            None,
            Some(json!({"name_zh": "联名帆布鞋", "name_en": "Collab sneakers"})),
        )
        .await;
    assert_eq!(added.ok(201)["status"], "open");
    let cid = added.ok(201)["candidate_id"].as_i64().unwrap();
    let voted = c
        .call(
            "post",
            &format!("/api/v1/mall/candidates/{cid}/votes"),
            None,
            Some(json!({"member_id": m})),
        )
        .await;
    assert_eq!(voted.ok(200)["votes"], 1);
    let closed = c
        .call(
            "post",
            &format!("/api/v1/mall/candidates/{cid}/close"),
            None,
            None,
        )
        .await;
    assert_eq!(closed.ok(200)["status"], "closed");
    let list = c.call("get", "/api/v1/mall/candidates", None, None).await;
    assert_eq!(list.ok(200)["items"][0]["votes"], 1);
    assert_eq!(c.answers, 16);
}

/// The mall's categories, set and read, and a member's catalog naming them, answer what their
/// generated schemas say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn category_answers_match_their_schemas() {
    use jifen_api::openapi::documented;
    assert!(documented::<jifen_app::mall::MallCategories>());
    let s = start(policy(0)).await;
    let mut c = Checked {
        s,
        doc: document(),
        answers: 0,
    };
    let list = json!({"categories": [
        {"code": "drinkware", "name_zh": "杯具", "name_en": "Drinkware"},
        {"code": "beans", "name_zh": "咖啡豆", "name_en": "Coffee beans"}
    ]});
    let put = c
        .call("put", "/api/v1/mall/categories", None, Some(list.clone()))
        .await;
    assert_eq!(put.ok(200), &list);
    let got = c.call("get", "/api/v1/mall/categories", None, None).await;
    assert_eq!(got.ok(200), &list);
    let bad = json!({"categories": [
        {"code": "beans", "name_zh": "咖啡豆", "name_en": "Beans"},
        {"code": "beans", "name_zh": "豆", "name_en": "Beans"}
    ]});
    c.call("put", "/api/v1/mall/categories", None, Some(bad))
        .await
        .err(422, "invalid_request");
    c.call(
        "post",
        "/api/v1/mall/items",
        None,
        Some(json!({"name_zh": "杯", "name_en": "Cup", "category": "drinkware", "kind": {"type": "virtual"},
                    "status": "on_sale", "skus": [{"sku": "CUP", "points": 10, "stock": 3}]})),
    )
    .await
    .ok(201);
    let m = c.s.create_member("A1").await;
    let cat = c
        .call("get", &format!("/api/v1/members/{m}/mall"), None, None)
        .await;
    assert_eq!(cat.ok(200)["categories"][0]["name_zh"], "杯具");
    assert_eq!(c.answers, 5);
}

/// The overview over a range of days and the value of points answer what their schemas say: the
/// day's points in the range's series, the liability priced once a value is set (audited in
/// the key's name), a range or a value that does not read refused with 422 naming its field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_answers_match_their_schemas() {
    use jifen_api::openapi::documented;
    assert!(documented::<jifen_app::overview::OverviewView>());
    assert!(documented::<jifen_app::overview::PointValue>());
    let s = start(policy(0)).await;
    let m = s.create_member("O1").await;
    s.credit(m, 12_345).await;
    let mut c = Checked {
        s,
        doc: document(),
        answers: 0,
    };
    let got = c.call("get", "/api/v1/overview?days=7", None, None).await;
    let f = &got.ok(200)["figures"];
    assert_eq!(f["dates"].as_array().unwrap().len(), 7);
    assert_eq!(f["issued"][6], 12_345);
    assert_eq!(f["new_members"][6], 1);
    assert_eq!(got.json["liability"]["outstanding"], 12_345);
    assert_eq!(got.json["liability"]["value_minor"], json!(null));
    let got = c
        .call(
            "get",
            "/api/v1/overview?from=2025-12-31&to=2026-01-01",
            None,
            None,
        )
        .await;
    assert_eq!(got.ok(200)["figures"]["issued"], json!([0, 12_345]));
    for (q, field) in [
        ("days=0", "days"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=2024-01-01&to=2026-01-01", "from"),
        ("from=2026-03-01", "to"),
        ("days=7&from=2026-03-01&to=2026-03-02", "days"),
    ] {
        let r = c
            .call("get", &format!("/api/v1/overview?{q}"), None, None)
            .await;
        assert_eq!(r.err(422, "invalid_request")["field"], field, "{q}");
    }
    let r = c.s.get("/api/v1/overview?days=abc").await;
    r.err(422, "invalid_request");
    let r = c.s.get("/api/v1/overview?weeks=2").await;
    r.err(422, "invalid_request");
    let v = c
        .call("get", "/api/v1/program/point-value", None, None)
        .await;
    assert_eq!(v.ok(200), &json!({"minor_per_100_points": null}));
    let put = c
        .call(
            "put",
            "/api/v1/program/point-value",
            None,
            Some(json!({"minor_per_100_points": 100})),
        )
        .await;
    assert_eq!(put.ok(200), &json!({"minor_per_100_points": 100}));
    let r =
        c.s.send(
            c.s.request(Method::PUT, "/api/v1/program/point-value")
                .json(&json!({"minor_per_100_points": 0})),
        )
        .await;
    assert_eq!(
        r.err(422, "invalid_request")["field"],
        "minor_per_100_points"
    );
    let got = c.call("get", "/api/v1/overview?days=7", None, None).await;
    assert_eq!(got.ok(200)["liability"]["value_minor"], 12_345);
    let log = c.s.get("/api/v1/audit?action=point_value.update").await;
    let items = log.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert!(items[0]["actor"].as_str().unwrap().starts_with("api_key:"));
    assert_eq!(c.answers, 11);
}

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\x64\x60\xf8\x5f\x0f\x00\x02\x87\x01\x80\xeb\x47\xba\x92\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// Lottery grants, draws (a prize, then the consolation once it is gone, then a replay) and the
/// audit trail, and an image upload, answer what their generated schemas say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lottery_and_image_answers_match_their_schemas() {
    let s = start(policy(0)).await;
    let mut c = Checked {
        s,
        doc: document(),
        answers: 0,
    };
    let m = c
        .call("post", "/api/v1/members", None, Some(json!({})))
        .await;
    let m = m.ok(201)["member_id"].as_i64().unwrap();
    let wheel = json!({"code": "wheel", "name_zh": "大转盘", "name_en": "Wheel", "style": "wheel", "cost_points": 0,
        "prizes": [{"code": "p", "name_zh": "10积分", "name_en": "10 points", "odds_ppm": 1000000, "stock": 1,
                    "reward": {"type": "points", "points": 10}}],
        "consolation": {"name_zh": "谢谢参与", "name_en": "Thanks", "reward": {"type": "nothing"}}});
    c.call("post", "/api/v1/lotteries", None, Some(wheel))
        .await
        .ok(201);
    let grant = json!({"member_id": m, "count": 2});
    let granted = c
        .call(
            "post",
            "/api/v1/lotteries/wheel/grants",
            Some("g-1"),
            Some(grant.clone()),
        )
        .await;
    assert_eq!(granted.ok(200)["draws_left"], 2);
    let again = c
        .call(
            "post",
            "/api/v1/lotteries/wheel/grants",
            Some("g-1"),
            Some(grant),
        )
        .await;
    assert!(again.replayed());
    assert_eq!(again.ok(200)["draws_left"], 2);
    let draw = |r: &str| json!({"member": {"member_id": m}, "request_id": r});
    let won = c
        .call(
            "post",
            "/api/v1/lotteries/wheel/draws",
            None,
            Some(draw("d1")),
        )
        .await;
    assert!(
        won.ok(200)["result"]["transfer_id"].is_i64(),
        "{}",
        won.text
    );
    let lost = c
        .call(
            "post",
            "/api/v1/lotteries/wheel/draws",
            None,
            Some(draw("d2")),
        )
        .await;
    assert!(lost.ok(200)["prize"].is_null(), "{}", lost.text);
    let same = c
        .call(
            "post",
            "/api/v1/lotteries/wheel/draws",
            None,
            Some(draw("d1")),
        )
        .await;
    assert_eq!(same.ok(200)["draw_id"], won.json["draw_id"]);
    let audit = c
        .call(
            "get",
            "/api/v1/lotteries/wheel/draws?after=0&limit=10",
            None,
            None,
        )
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 2);
    c.call("get", "/api/v1/lotteries/nope/draws", None, None)
        .await
        .err(404, "lottery_not_found");
    // An image's body is the image itself: sent and checked here by hand.
    let r = route_of("post", "/api/v1/mall/images");
    let up =
        c.s.send(
            c.s.request(Method::POST, "/api/v1/mall/images")
                .header("Content-Type", "image/png")
                .body(PNG.to_vec()),
        )
        .await;
    let schema = &c.doc["paths"][r.path][r.method]["responses"]["201"]["content"]["application/json"]
        ["schema"];
    assert_eq!(schema["$ref"], "#/components/schemas/ImageUploaded");
    let es = problems(&c.doc, schema, up.ok(201));
    assert!(es.is_empty(), "{}: {es:?}", up.text);
    assert!(c.answers >= 9, "{}", c.answers);
}

/// Bodies the schemas refuse (an unknown field of a closed object, a missing required field, a
/// value out of an enum or a bound), the server refuses too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_request_schemas_refuse_the_server_refuses() {
    let s = start(policy(0)).await;
    let doc = document();
    let a = s.create_member("A1").await;
    let cases = [
        (
            "post",
            format!("/api/v1/members/{a}/freeze"),
            json!({"reason": "x", "by": "me"}),
        ),
        ("post", format!("/api/v1/members/{a}/freeze"), json!({})),
        (
            "patch",
            format!("/api/v1/members/{a}"),
            json!({"nickname": "A"}),
        ),
        (
            "post",
            "/api/v1/events".to_string(),
            json!({"type": "sign_in", "member": {"member_id": a}, "extra": 1}),
        ),
        (
            "post",
            "/api/v1/events".to_string(),
            json!({"type": "sign_in"}),
        ),
        (
            "put",
            "/api/v1/earn-settings".to_string(),
            json!({"sign_in": {"reset": "yearly"}}),
        ),
        (
            "put",
            "/api/v1/tiers".to_string(),
            json!({"metric": "growth", "window": {"kind": "calendar_year"}, "tiers": [], "extra": 1}),
        ),
        (
            "post",
            "/api/v1/rules".to_string(),
            json!({"name": "r", "trigger": "purchase", "points": "1", "colour": "red"}),
        ),
        (
            "post",
            "/api/v1/rules".to_string(),
            json!({"name": "r", "trigger": "purchase", "points": "1", "status": "paused"}),
        ),
        (
            "post",
            "/api/v1/purchases".to_string(),
            json!({"order_id": "SO-1", "member": {"member_id": a}, "amount_minor": 0, "currency": "CNY"}),
        ),
        (
            "post",
            "/api/v1/purchases".to_string(),
            json!({"order_id": "SO-2", "member": {"member_id": a}, "amount_minor": 100, "currency": "CNY",
                   "lines": [{"sku": "A", "quantity": 0, "price_minor": 100}]}),
        ),
        (
            "post",
            "/api/v1/mall/orders".to_string(),
            json!({"member": {"member_id": a}, "sku": "X", "request_id": "r1", "colour": "red"}),
        ),
        (
            "post",
            "/api/v1/coupons/validate".to_string(),
            json!({"code": "C", "member_id": a, "cart": {"goods_minor": 100, "tax": 1}}),
        ),
        (
            "put",
            "/api/v1/checkout/settings".to_string(),
            json!({"points_per_unit": 100, "max_share_pct": 0}),
        ),
        (
            "post",
            "/api/v1/webhooks".to_string(),
            json!({"url": "http://example.com/h", "topics": ["tier.changed"], "secret": "s"}),
        ),
        (
            "put",
            "/api/v1/mall/categories".to_string(),
            json!({"categories": [{"code": "beans", "name_zh": "咖啡豆", "name_en": ""}]}),
        ),
        (
            "put",
            "/api/v1/mall/categories".to_string(),
            json!({"categories": [{"code": "beans", "name_zh": "咖啡豆咖啡豆咖啡豆咖啡豆咖啡豆咖啡豆咖啡豆", "name_en": "Beans"}]}),
        ),
        (
            "put",
            "/api/v1/mall/categories".to_string(),
            json!({"categories": [{"code": "beans", "name_zh": "咖啡豆", "name_en": "Beans", "icon": "x"}]}),
        ),
    ];
    let more = [
        (
            "post",
            "/api/v1/events".to_string(),
            json!({"type": "review", "member": {"member_id": a}}),
        ),
        (
            "post",
            "/api/v1/events".to_string(),
            json!({"type": "share", "member": {"member_id": a}, "event_id": "e2", "makeup_date": "2026-01-01"}),
        ),
        ("post", "/api/v1/events/dry-run".to_string(), json!({})),
        (
            "post",
            "/api/v1/mall/items".to_string(),
            json!({"name_zh": "杯", "name_en": "Cup", "category": "cups", "kind": {"type": "physical"},
                   "skus": [{"sku": "CUP-1", "points": 0, "stock": 5}]}),
        ),
    ];
    for (method, path, body) in cases.into_iter().chain(more) {
        let r = route_of(method, &path);
        let name = r.body_schema().unwrap();
        let es = problems(
            &doc,
            &json!({"$ref": format!("#/components/schemas/{name}")}),
            &body,
        );
        assert!(
            !es.is_empty(),
            "{method} {path}: the schema {name} accepts {body}"
        );
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let resp = s
            .send(
                s.request(m, &path)
                    .header("Idempotency-Key", format!("k-{path}-{body}"))
                    .json(&body),
            )
            .await;
        assert!(
            resp.status.is_client_error(),
            "{method} {path} {body}: the schema refuses it ({es:?}) but the server answered {} {}",
            resp.status,
            resp.text
        );
    }
}

#[test]
fn the_checker_sees_what_does_not_match() {
    let doc = document();
    let member = json!({"$ref": "#/components/schemas/MemberRef"});
    assert!(problems(&doc, &member, &json!({"member_id": 3})).is_empty());
    assert!(
        problems(
            &doc,
            &member,
            &json!({"channel": "app", "external_id": "U1"})
        )
        .is_empty()
    );
    assert!(!problems(&doc, &member, &json!({"member_id": 0})).is_empty());
    assert!(!problems(&doc, &member, &json!({"channel": "app"})).is_empty());
    let error = json!({"$ref": "#/components/schemas/Error"});
    let ok = json!({"error": {"code": "x", "message": "y", "details": {}}});
    assert!(problems(&doc, &error, &ok).is_empty());
    assert!(!problems(&doc, &error, &json!({"error": {"code": "x"}})).is_empty());
    let kind = &doc["components"]["schemas"]["CouponTemplate"]["properties"]["kind"];
    assert!(
        problems(
            &doc,
            kind,
            &json!({"type": "amount_off", "amount_minor": 100})
        )
        .is_empty()
    );
    assert!(!problems(&doc, kind, &json!({"type": "amount_off"})).is_empty());
    assert!(
        !problems(
            &doc,
            kind,
            &json!({"type": "gift", "gift": "cup", "extra": 1})
        )
        .is_empty()
    );
}

//! Webhooks against a real local receiver on both stores: a virtual item's fulfilment event is
//! signed, refused once (HTTP 500), retried after the back-off with the same event id, and the
//! acknowledgement marks the order delivered; an unreachable endpoint gives up after its
//! attempts; bad endpoints are refused with the field.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::*;
use jifen_app::AppError;
use jifen_app::commands::MemberRef;
use jifen_app::mall::{self, ItemIn, PlaceOrder};
use jifen_app::webhooks::{self, EndpointIn};
use jifen_ledger::PointType;
use jifen_store::Backend;
use serde_json::{Value, json};

/// What the receiver saw: headers (lower-case names) and body of each request.
type Seen = Arc<Mutex<Vec<(HashMap<String, String>, String)>>>;

/// Reads one HTTP request from `stream`, records it and answers `status`.
fn answer<S: Read + Write>(stream: S, status: u16, log: &Seen) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut headers = HashMap::new();
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    log.lock()
        .unwrap()
        .push((headers, String::from_utf8(body).unwrap()));
    let mut stream = reader.into_inner();
    stream.write_all(
        format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    stream.flush()
}

/// A local HTTP receiver answering each request with the next status of `answers` (the last
/// one again when they run out).
fn receiver(answers: Vec<u16>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/jifen", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let status = answers.get(n).or(answers.last()).copied().unwrap_or(200);
            answer(stream, status, &log).unwrap();
        }
    });
    (url, seen)
}

/// A local HTTPS receiver at `https://localhost:<port>/hooks/jifen` answering 200, with a
/// certificate for `localhost` issued by a CA of its own, whose PEM it returns; connections
/// whose handshake fails are counted and dropped.
fn tls_receiver() -> (String, String, Seen, Arc<Mutex<usize>>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Receiver's own CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("https://localhost:{port}/hooks/jifen");
    let (seen, refused): (Seen, Arc<Mutex<usize>>) = Default::default();
    let (log, failed) = (seen.clone(), refused.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let tls = rustls::StreamOwned::new(conn, stream);
            if answer(tls, 200, &log).is_err() {
                *failed.lock().unwrap() += 1;
            }
        }
    });
    (url, ca.pem(), seen, refused)
}

/// The owner lets webhooks reach this machine (the receivers here listen on loopback), or not.
fn allow_private(w: &World, allow: bool) {
    let owner = jifen_app::staff::Session {
        staff_id: 1,
        program: w.pid,
        login: "owner".into(),
        name: "Owner".into(),
        role: jifen_app::staff::Role::Owner,
        csrf: String::new(),
        pending: Default::default(),
    };
    w.write(move |tx, ctx, now| {
        let mut s = jifen_app::staff::centre_settings(tx, ctx)?;
        s.webhooks_private = allow;
        jifen_app::staff::put_centre_settings(tx, ctx, now, &owner, &s)
    })
    .unwrap();
}

/// An event for the `member.*` endpoints: a member frozen.
fn freeze(w: &World, ext: &str) {
    let m = w.member(ext);
    let r = jifen_app::members::StatusChange {
        reason: "test".into(),
    };
    w.write(move |tx, ctx, now| {
        jifen_app::members::freeze(tx, ctx, now, "staff:a", jifen_ledger::MemberId(m), &r)
    })
    .unwrap();
}

fn endpoint(w: &World, url: &str, topics: &[&str]) -> Result<Value, AppError> {
    let e = EndpointIn {
        url: url.into(),
        topics: topics.iter().map(|t| t.to_string()).collect(),
    };
    w.write(move |tx, ctx, now| webhooks::create_endpoint(tx, ctx, now, "staff:ops", &e))
}

fn a_fulfilment_webhook_is_signed_retried_and_marks_the_order_delivered(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    allow_private(&w, true);
    let (url, seen) = receiver(vec![500, 200]);
    let ep = endpoint(&w, &url, &["mall.order.fulfil"]).unwrap();
    let secret = ep["secret"].as_str().unwrap().to_string();
    let i: ItemIn = serde_json::from_value(json!({"name_zh": "视频会员月卡", "name_en": "Video, 1 month", "category": "partners",
        "kind": {"type": "partner", "partner": "视频平台"}, "status": "on_sale", "skus": [{"sku": "VIDEO", "points": 100, "stock": 10}]}))
    .unwrap();
    w.write(move |tx, ctx, now| mall::create_item(tx, ctx, now, "staff:test", &i))
        .unwrap();
    let m = w.member("hook");
    w.adjust(
        m,
        500,
        PointType::Points,
        Some("开户赠送"),
        Some("staff:ops"),
    )
    .unwrap();
    let o = PlaceOrder {
        member: MemberRef::Id { member_id: m },
        sku: "VIDEO".into(),
        quantity: 1,
        request_id: "v-1".into(),
        address: None,
        pay_within_seconds: None,
    };
    let order = w
        .write(move |tx, ctx, now| mall::place_order(tx, ctx, now, &o))
        .unwrap();
    let id = order["order_id"].as_i64().unwrap();
    assert_eq!(order["state"], "paid", "waiting for the merchant's system");
    // First round: the receiver answers 500; the order stays paid; a retry is planned.
    let r = w.app.webhooks_round(w.pid).unwrap();
    assert_eq!((r.delivered, r.retrying, r.failed), (0, 1, 0));
    let state = |w: &World| w.read(move |tx, ctx| mall::get_order(tx, ctx, id)).state;
    assert_eq!(state(&w), "paid");
    // Not due again before the back-off.
    assert_eq!(
        w.app.webhooks_round(w.pid).unwrap(),
        webhooks::DeliveryReport::default()
    );
    w.clock.set(w.now() + webhooks::backoff_ms(0));
    let r = w.app.webhooks_round(w.pid).unwrap();
    assert_eq!(r.delivered, 1);
    let got = w.read(move |tx, ctx| mall::get_order(tx, ctx, id));
    assert_eq!(got.state, "delivered");
    assert_eq!(
        got.history.last().unwrap().note.as_deref(),
        Some("HTTP 200")
    );
    // What the receiver saw: the same event twice, signed, with the order in the body.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0["jifen-event-id"], seen[1].0["jifen-event-id"]);
    for (h, body) in &seen {
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["topic"], "mall.order.fulfil");
        assert_eq!(v["data"]["order_id"], id);
        assert_eq!(h["jifen-event-id"], v["id"].to_string());
        let t: i64 = h["jifen-signature"]
            .split(',')
            .next()
            .unwrap()
            .trim_start_matches("t=")
            .parse()
            .unwrap();
        assert_eq!(h["jifen-signature"], webhooks::signature(&secret, t, body));
        assert_ne!(
            h["jifen-signature"],
            webhooks::signature("another secret", t, body)
        );
    }
    let eid = ep["endpoint_id"].as_i64().unwrap();
    let d = w.read(move |tx, ctx| webhooks::deliveries(tx, ctx, eid));
    assert_eq!(
        (d.items[0].status.as_str(), d.items[0].attempts),
        ("delivered", 2)
    );
    w.verify();
}

fn an_unreachable_endpoint_gives_up_after_its_attempts(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    allow_private(&w, true);
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ep = endpoint(&w, &format!("http://127.0.0.1:{port}/x"), &["coupon.*"]).unwrap();
    let t: jifen_domain::coupons::CouponTemplate =
        serde_json::from_value(json!({"code": "c", "name_zh": "券", "name_en": "C",
        "kind": {"type": "free_shipping"}, "validity": {"kind": "days", "days": 30}}))
        .unwrap();
    w.write(move |tx, ctx, now| {
        jifen_app::coupons::create_template(tx, ctx, now, "staff:test", &t)
    })
    .unwrap();
    let m = w.member("nohook");
    let r = jifen_app::coupons::IssueCoupon {
        template: "c".into(),
        idempotency_key: "k".into(),
    };
    w.write(move |tx, ctx, now| {
        jifen_app::coupons::issue_by_api(tx, ctx, now, jifen_ledger::MemberId(m), &r)
    })
    .unwrap();
    let mut last = webhooks::DeliveryReport::default();
    for attempt in 0..webhooks::ATTEMPTS_MAX {
        last = w.app.webhooks_round(w.pid).unwrap();
        w.clock.set(w.now() + webhooks::backoff_ms(attempt));
    }
    assert_eq!(last.failed, 1);
    let eid = ep["endpoint_id"].as_i64().unwrap();
    let d = w.read(move |tx, ctx| webhooks::deliveries(tx, ctx, eid));
    let item = &d.items[0];
    assert_eq!(
        (item.status.as_str(), item.attempts),
        ("failed", webhooks::ATTEMPTS_MAX)
    );
    assert!(
        item.last_error.as_deref().unwrap().contains("connect"),
        "{item:?}"
    );
    assert_eq!(
        w.app.webhooks_round(w.pid).unwrap(),
        webhooks::DeliveryReport::default()
    );
    // Bad endpoints are refused with the field.
    let field = |r: Result<Value, AppError>| match r {
        Err(AppError::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(endpoint(&w, "ftp://example.com/x", &["coupon.*"])),
        "url"
    );
    endpoint(&w, "https://example.com/x", &["coupon.*"]).unwrap();
    assert_eq!(
        field(endpoint(&w, "http://127.0.0.1:9/x", &["coupons.issued"])),
        "topics[0]"
    );
    assert_eq!(field(endpoint(&w, "http://127.0.0.1:9/x", &[])), "topics");
}

/// A webhook is no way into the network Jifen runs in: loopback, private, link-local (cloud
/// metadata) and shared addresses, credentials in the address and invalid ports are refused
/// when the endpoint is made, and a name that resolves to such an address when it is posted
/// to; unless an owner allows private targets.
fn webhook_targets_on_private_networks_are_refused_unless_allowed(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let field = |r: Result<Value, AppError>| match r {
        Err(AppError::Invalid { field, message }) => format!("{field}: {message}"),
        other => panic!("{other:?}"),
    };
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ] {
        let e = field(endpoint(&w, url, &["coupon.*"]));
        assert!(e.starts_with("url: is on this machine"), "{url}: {e}");
    }
    for (url, why) in [
        ("http://user:pass@erp.example/hook", "user name or password"),
        ("http://erp.example:0/hook", "port"),
        ("http://erp.example:70000/hook", "port"),
        ("http://erp.example:http/hook", "port"),
        ("http:///hook", "no host"),
    ] {
        let e = field(endpoint(&w, url, &["coupon.*"]));
        assert!(e.contains(why), "{url}: {e}");
    }
    // A public name is accepted when it is made; what it resolves to is checked at delivery.
    endpoint(&w, "http://erp.example:8443/hook", &["coupon.*"]).unwrap();
    // A name that resolves to this machine is refused when posted to.
    let (url, seen) = receiver(vec![200]);
    let by_name = url.replace("127.0.0.1", "localhost");
    allow_private(&w, true);
    endpoint(&w, &by_name, &["member.frozen"]).unwrap();
    allow_private(&w, false);
    freeze(&w, "hooked");
    let report = w.app.webhooks_round(w.pid).unwrap();
    assert_eq!(report.delivered, 0);
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the private address"
    );
    // Allowed, the same delivery goes through on its retry.
    allow_private(&w, true);
    w.clock.set(w.now() + 60_000);
    let report = w.app.webhooks_round(w.pid).unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// Deliveries over HTTPS verify the receiver's certificate: one issued by a CA Jifen does not
/// trust is refused (and retried), and once the operator adds that CA the retry goes through,
/// signed like any other. Creating and disabling the endpoint is audited with its actor.
fn https_deliveries_verify_the_receiver_and_endpoint_changes_are_audited(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    allow_private(&w, true);
    let (url, ca_pem, seen, refused) = tls_receiver();
    let ep = endpoint(&w, &url, &["member.*"]).unwrap();
    let (eid, secret) = (
        ep["endpoint_id"].as_i64().unwrap(),
        ep["secret"].as_str().unwrap().to_string(),
    );
    freeze(&w, "tls-1");
    let r = w.app.webhooks_round(w.pid).unwrap();
    assert_eq!((r.delivered, r.retrying), (0, 1), "unknown issuer");
    assert!(seen.lock().unwrap().is_empty());
    // The receiver notes the failed handshake just after the client gave up on it.
    for _ in 0..100 {
        if *refused.lock().unwrap() > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(*refused.lock().unwrap(), 1, "the handshake was refused");
    let d = w.read(move |tx, ctx| webhooks::deliveries(tx, ctx, eid));
    let error = d.items[0].last_error.clone().unwrap();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    // Garbage is no CA bundle; the receiver's CA is.
    assert!(matches!(
        w.app.add_webhook_roots(b"not a certificate"),
        Err(AppError::Invalid { .. })
    ));
    assert_eq!(w.app.add_webhook_roots(ca_pem.as_bytes()).unwrap(), 1);
    w.clock.set(w.now() + webhooks::backoff_ms(0));
    let r = w.app.webhooks_round(w.pid).unwrap();
    assert_eq!(r.delivered, 1);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (h, body) = &seen[0];
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["topic"], "member.frozen");
    let t: i64 = h["jifen-signature"]
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    assert_eq!(h["jifen-signature"], webhooks::signature(&secret, t, body));
    // The endpoint's changes are in the audit log, made by whoever made them.
    w.write(move |tx, ctx, now| {
        webhooks::set_status(tx, ctx, now, "api_key:7 (erp)", eid, "disabled")
    })
    .unwrap();
    let bad =
        w.write(move |tx, ctx, now| webhooks::set_status(tx, ctx, now, "staff:ops", eid, "paused"));
    assert!(matches!(bad, Err(AppError::Invalid { .. })), "{bad:?}");
    let pid = w.pid;
    let log = w.read(move |tx, _| Ok(tx.audit_entries(pid, None, None, i64::MAX, 50)?));
    let target = format!("webhook:{eid}");
    let entries: Vec<_> = log
        .iter()
        .filter(|a| a.target == target)
        .map(|a| {
            (
                a.action.as_str(),
                a.actor.as_str(),
                a.before.as_deref(),
                a.after.as_deref(),
            )
        })
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.contains(&(
        "webhook.disable",
        "api_key:7 (erp)",
        Some(r#"{"status":"active"}"#),
        Some(r#"{"status":"disabled"}"#)
    )));
    let created = entries.iter().find(|e| e.0 == "webhook.create").unwrap();
    assert_eq!(created.1, "staff:ops");
    assert!(
        !created.3.unwrap().contains(&secret),
        "no secret in the audit log"
    );
}

on_both_backends!(
    https_deliveries_verify_the_receiver_and_endpoint_changes_are_audited,
    webhook_targets_on_private_networks_are_refused_unless_allowed,
    a_fulfilment_webhook_is_signed_retried_and_marks_the_order_delivered,
    an_unreachable_endpoint_gives_up_after_its_attempts,
);

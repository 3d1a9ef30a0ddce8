//! Webhooks: outbox events delivered to the merchant's endpoints, signed, retried with back-off,
//! each attempt recorded. Virtual, experience and partner items are fulfilled this way: a
//! `mall.order.fulfil` event that the merchant's system acknowledges marks the order delivered.
//!
//! Delivery runs outside any database transaction: the fan-out step (a job, in the writer)
//! queues one delivery per endpoint and event; `deliver` reads what is due, posts each over
//! HTTP with a timeout, and records the outcome in a short write. Receivers dedupe by the
//! `Jifen-Event-Id` header (the outbox id), which a retry repeats.

use jifen_ledger::{Millis, ProgramId};
use jifen_store::*;
use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::{App, AppError, ProgramCtx};

/// Topics an endpoint may subscribe to (a prefix ending in `.` or `*` takes a family).
pub const TOPICS: &[&str] = &[
    "member.frozen",
    "member.unfrozen",
    "member.erased",
    "ledger.checkpoint",
    "tier.changed",
    "tier.manual_set",
    "coupon.issued",
    "coupon.redeemed",
    "coupon.released",
    "mall.order.placed",
    "mall.order.paid",
    "mall.order.fulfil",
    "mall.order.shipped",
    "mall.order.delivered",
    "mall.order.cancelled",
    "mall.order.timed_out",
    "mall.order.refunded",
    "mall.order.released",
    "lottery.draw",
];

/// Attempts before a delivery is given up.
pub const ATTEMPTS_MAX: i64 = 8;
/// Seconds before the n-th retry: 10 s, 20 s, 40 s ... up to an hour.
pub fn backoff_ms(attempt: i64) -> Millis {
    (10_000i64 << attempt.clamp(0, 9)).min(3_600_000)
}
/// How long one delivery may take, connecting included.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    pub url: String,
    pub topics: Vec<String>,
}

fn topic_matches(pattern: &str, topic: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => topic.starts_with(prefix),
        None => pattern == topic,
    }
}

/// Whether an address is on this machine or a private, link-local, shared or otherwise
/// non-public network: a webhook must not be a way in there (cloud metadata at 169.254.169.254,
/// an admin port on 127.0.0.1) unless the programme allows it.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (s[0] & 0xfe00) == 0xfc00
                    || (s[0] & 0xffc0) == 0xfe80
            }
        },
    }
}

/// What is wrong with an endpoint, with the field it belongs to and words in both languages
/// (the console shows them next to the field; the API answers the English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointProblem {
    /// Longer than 500 characters, or with spaces in it.
    Shape,
    NotHttp,
    Credentials,
    UnclosedBracket,
    BadPort,
    NoHost,
    Unreadable,
    /// On this machine or a private network, which the settings do not allow.
    Private,
    TopicCount,
    /// Topic number `index` matches none of [`TOPICS`].
    UnknownTopic {
        index: usize,
        topic: String,
    },
}

impl EndpointProblem {
    /// The field the problem is in: `url`, `topics` or `topics[i]`.
    pub fn field(&self) -> String {
        match self {
            EndpointProblem::TopicCount => "topics".into(),
            EndpointProblem::UnknownTopic { index, .. } => format!("topics[{index}]"),
            _ => "url".into(),
        }
    }

    /// The problem in words, in English when `en`.
    pub fn text(&self, en: bool) -> String {
        let (zh, en_text): (String, String) = match self {
            EndpointProblem::Shape => (
                "须为 https://域名[:端口]/路径，最多 500 个字符，不能有空格".into(),
                "must be https://host[:port]/path, at most 500 characters".into(),
            ),
            EndpointProblem::NotHttp => (
                "须为 https:// 或 http:// 开头的地址".into(),
                "must be an https:// or http:// address".into(),
            ),
            EndpointProblem::Credentials => (
                "地址中不能含用户名或密码".into(),
                "must not carry a user name or password".into(),
            ),
            EndpointProblem::UnclosedBracket => (
                "地址中的 [ 没有闭合".into(),
                "has an unclosed [".into(),
            ),
            EndpointProblem::BadPort => (
                "端口须为 1 到 65535".into(),
                "has a port that is not 1 to 65535".into(),
            ),
            EndpointProblem::NoHost => ("地址中缺少域名".into(), "has no host".into()),
            EndpointProblem::Unreadable => (
                "不是有效的地址".into(),
                "is not a valid address".into(),
            ),
            EndpointProblem::Private => (
                "这是本机或内网地址；所有者可以在设置中允许推送到这类地址".into(),
                "is on this machine or a private network; an owner may allow such targets in the settings".into(),
            ),
            EndpointProblem::TopicCount => (
                "请填写 1 到 30 个主题".into(),
                "name 1 to 30 topics".into(),
            ),
            EndpointProblem::UnknownTopic { topic, .. } => (
                format!("“{topic}”不匹配任何主题；可选主题：{}", TOPICS.join(", ")),
                format!("{topic:?} matches no topic; topics are {}", TOPICS.join(", ")),
            ),
        };
        if en { en_text } else { zh }
    }
}

/// The host of an http:// or https:// address, refusing what is not a plain, valid target:
/// credentials in the address, a port that is not 1 to 65535, no host.
fn target(url: &str) -> Result<String, EndpointProblem> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(EndpointProblem::NotHttp)?;
    let authority = match rest.find(['/', '?', '#']) {
        Some(i) => &rest[..i],
        None => rest,
    };
    if authority.contains('@') {
        return Err(EndpointProblem::Credentials);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or(EndpointProblem::UnclosedBracket)?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if let Some(p) = port
        && p.parse::<u16>().ok().filter(|p| *p > 0).is_none()
    {
        return Err(EndpointProblem::BadPort);
    }
    if host.is_empty() {
        return Err(EndpointProblem::NoHost);
    }
    if reqwest::Url::parse(url).is_err() {
        return Err(EndpointProblem::Unreadable);
    }
    Ok(host)
}

/// Whether the programme lets webhooks point at private addresses (a test setting), as the
/// endpoint check reads it.
pub fn private_allowed(tx: &mut Tx<'_>, program: ProgramId) -> Result<bool, AppError> {
    Ok(tx.webhooks_private(program)?)
}

/// Checks an endpoint before it is made: its address (`allow_private`: whether it may be on
/// this machine or a private network) and its topics.
pub fn check_endpoint(e: &EndpointIn, allow_private: bool) -> Result<(), EndpointProblem> {
    let url = &e.url;
    if url.len() > 500 || url.contains(char::is_whitespace) {
        return Err(EndpointProblem::Shape);
    }
    let host = target(url)?;
    let local_name =
        host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost");
    let private_ip = host.parse::<std::net::IpAddr>().is_ok_and(is_private);
    if (local_name || private_ip) && !allow_private {
        return Err(EndpointProblem::Private);
    }
    if e.topics.is_empty() || e.topics.len() > 30 {
        return Err(EndpointProblem::TopicCount);
    }
    for (index, t) in e.topics.iter().enumerate() {
        if !TOPICS.iter().any(|k| topic_matches(t, k)) {
            return Err(EndpointProblem::UnknownTopic {
                index,
                topic: t.clone(),
            });
        }
    }
    Ok(())
}

/// Makes an endpoint in `actor`'s name (audited as `webhook.create`, without the secret).
pub fn create_endpoint(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    e: &EndpointIn,
) -> Result<EndpointCreated, AppError> {
    check_endpoint(e, tx.webhooks_private(ctx.program.id)?)
        .map_err(|p| AppError::invalid(p.field(), p.text(true)))?;
    let secret: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| format!("{:02x}", rng.random::<u8>()))
            .collect()
    };
    let topics = serde_json::to_string(&e.topics).expect("topics serialize");
    let id = tx.insert_webhook_endpoint(ctx.program.id, &e.url, &secret, &topics, now)?;
    let after = json!({"endpoint_id": id, "url": e.url, "topics": e.topics});
    tx.audit(
        ctx.program.id,
        actor,
        "webhook.create",
        &format!("webhook:{id}"),
        None,
        Some(&after.to_string()),
        now,
    )?;
    // The secret is shown once, here.
    Ok(EndpointCreated {
        endpoint_id: id,
        url: e.url.clone(),
        topics: e.topics.clone(),
        secret,
        status: "active".into(),
    })
}

/// A new endpoint, with the secret that signs its deliveries: shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointCreated {
    pub endpoint_id: i64,
    pub url: String,
    pub topics: Vec<String>,
    pub secret: String,
    /// `active`.
    pub status: String,
}

/// A webhook endpoint: where events of its topics are posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointView {
    pub endpoint_id: i64,
    pub url: String,
    /// Topics, or prefixes ending in `*`.
    pub topics: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    pub created_at: Millis,
}

impl EndpointView {
    pub fn of(e: &EndpointRow) -> EndpointView {
        EndpointView {
            endpoint_id: e.id,
            url: e.url.clone(),
            topics: serde_json::from_str(&e.topics).unwrap_or_default(),
            status: e.status.clone(),
            created_at: e.created_at,
        }
    }
}

/// A programme's webhook endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointList {
    pub items: Vec<EndpointView>,
}

/// One event's delivery to an endpoint, with its attempts so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryView {
    pub delivery_id: i64,
    /// The outbox event delivered.
    pub event_id: i64,
    pub topic: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    /// The HTTP status of the last attempt, if it got one.
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Millis>,
}

/// The latest deliveries to an endpoint, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryList {
    pub endpoint_id: i64,
    pub items: Vec<DeliveryView>,
}

pub fn endpoints(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<EndpointList, AppError> {
    let items = tx
        .webhook_endpoints(ctx.program.id)?
        .iter()
        .map(EndpointView::of)
        .collect();
    Ok(EndpointList { items })
}

/// Enables (`active`) or disables (`disabled`) an endpoint in `actor`'s name, audited as
/// `webhook.enable` or `webhook.disable` with the status before and after.
pub fn set_status(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    status: &str,
) -> Result<EndpointView, AppError> {
    let action = match status {
        "active" => "webhook.enable",
        "disabled" => "webhook.disable",
        _ => {
            return Err(AppError::invalid(
                "status",
                format!("{status:?} is not active or disabled"),
            ));
        }
    };
    let e = tx
        .webhook_endpoint(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "webhook endpoint",
            id: id.to_string(),
        })?;
    tx.set_webhook_endpoint(ctx.program.id, e.id, Some(status), None)?;
    tx.audit(
        ctx.program.id,
        actor,
        action,
        &format!("webhook:{id}"),
        Some(&json!({"status": e.status}).to_string()),
        Some(&json!({"status": status}).to_string()),
        now,
    )?;
    let e = tx
        .webhook_endpoint(ctx.program.id, id)?
        .expect("endpoint exists");
    Ok(EndpointView::of(&e))
}

pub fn deliveries(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<DeliveryList, AppError> {
    tx.webhook_endpoint(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "webhook endpoint",
            id: id.to_string(),
        })?;
    let items = tx
        .webhook_deliveries(ctx.program.id, id, 200)?
        .into_iter()
        .map(|d| DeliveryView {
            delivery_id: d.id,
            event_id: d.outbox_id,
            topic: d.topic,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_code: d.last_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
        })
        .collect();
    Ok(DeliveryList {
        endpoint_id: id,
        items,
    })
}

/// Events one fan-out step reads per endpoint.
pub const FANOUT_STEP: i64 = 500;

/// Queues the outbox events each active endpoint subscribes to, from where it last was.
pub fn fanout_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let mut queued = 0;
    let mut moved = false;
    let endpoints = tx.webhook_endpoints(ctx.program.id)?;
    // An endpoint's failure stops at the statement that failed, so the endpoint named last is it.
    for e in endpoints.into_iter().filter(|e| !scope.skips(e.id)) {
        if e.status != "active" {
            continue;
        }
        scope.at(e.id);
        let topics: Vec<String> = serde_json::from_str(&e.topics).unwrap_or_default();
        let events = tx.outbox_after(ctx.program.id, e.after_outbox, None, FANOUT_STEP)?;
        let Some(last) = events.last().map(|ev| ev.0) else {
            continue;
        };
        for (id, topic, _, _, _) in &events {
            if topics.iter().any(|t| topic_matches(t, topic)) {
                tx.insert_webhook_delivery(ctx.program.id, e.id, *id, topic, now)?;
                queued += 1;
            }
        }
        tx.set_webhook_endpoint(ctx.program.id, e.id, None, Some(last))?;
        moved = true;
    }
    Ok(moved.then_some(queued))
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The `Jifen-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac))
}

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub delivered: i64,
    pub retrying: i64,
    pub failed: i64,
}

/// Deliveries posted per round.
pub const DELIVER_ROUND: i64 = 100;

impl App {
    /// Queues new outbox events for the endpoints, then delivers what is due: what the server
    /// runs every few seconds.
    pub fn webhooks_round(&self, program: ProgramId) -> Result<DeliveryReport, AppError> {
        loop {
            let out = self.write_blocking(program, "webhooks", None, |tx, ctx, now| {
                Ok(json!(fanout_step(tx, ctx, now, &crate::JobScope::all())?))
            })?;
            if out.body.is_null() {
                break;
            }
        }
        self.deliver_webhooks(program)
    }

    /// Posts the deliveries due now for a programme and records each outcome; a fulfilment
    /// event acknowledged with a 2xx marks its order delivered.
    pub fn deliver_webhooks(&self, program: ProgramId) -> Result<DeliveryReport, AppError> {
        let now = self.now();
        let (due, allow_private) = self.read_blocking(move |tx| {
            let allow_private = tx.webhooks_private(program)?;
            let mut out = Vec::new();
            for d in tx.due_webhook_deliveries(program, now, DELIVER_ROUND)? {
                let Some(e) = tx.webhook_endpoint(program, d.endpoint_id)? else {
                    continue;
                };
                let Some((topic, payload, at)) = tx.outbox_event(program, d.outbox_id)? else {
                    continue;
                };
                out.push((d, e, topic, payload, at));
            }
            Ok((out, allow_private))
        })?;
        let mut report = DeliveryReport::default();
        // Made when there is something to post: a client holds a thread of its own.
        let mut client = None;
        for (d, e, topic, payload, at) in due {
            let body = json!({"id": d.outbox_id, "topic": topic, "created_at": at,
                              "data": serde_json::from_str::<serde_json::Value>(&payload).unwrap_or(json!(payload))})
            .to_string();
            let t = now / 1000;
            let headers = [
                ("Jifen-Event-Id", d.outbox_id.to_string()),
                ("Jifen-Topic", topic.clone()),
                ("Jifen-Signature", signature(&e.secret, t, &body)),
            ];
            let result = if e.status == "active" {
                client
                    .get_or_insert_with(|| {
                        crate::outbound::Outbound::new(allow_private, &self.webhook_roots())
                    })
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|c| c.post(&e.url, &headers, &body))
            } else {
                Err("endpoint disabled".into())
            };
            let ok = matches!(result, Ok(c) if (200..300).contains(&c));
            let attempts = d.attempts + 1;
            let (status, next) = if ok {
                ("delivered", now)
            } else if attempts >= ATTEMPTS_MAX {
                ("failed", now)
            } else {
                ("pending", now + backoff_ms(attempts - 1))
            };
            let code = result.as_ref().ok().map(|c| *c as i64);
            let error = match &result {
                Ok(c) if !ok => Some(format!("HTTP {c}")),
                Err(e) => Some(e.clone()),
                _ => None,
            };
            let (id, fulfil) = (d.id, ok && topic == "mall.order.fulfil");
            let order = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|v| v["order_id"].as_i64());
            self.write_blocking(program, "webhooks", None, move |tx, ctx, now| {
                tx.record_webhook_attempt(
                    ctx.program.id,
                    id,
                    status,
                    next,
                    code,
                    error.as_deref(),
                    now,
                )?;
                if fulfil && let Some(order) = order {
                    crate::mall::fulfilled_by_webhook(tx, ctx, now, order, code.unwrap_or(0))?;
                }
                Ok(json!(null))
            })?;
            match status {
                "delivered" => report.delivered += 1,
                "failed" => {
                    tracing::warn!(
                        program = program.0,
                        delivery = id,
                        "a webhook delivery gave up after its last attempt"
                    );
                    report.failed += 1
                }
                _ => report.retrying += 1,
            }
            metrics::counter!("jifen_webhook_deliveries_total", "outcome" => status).increment(1);
        }
        let backlog = self.read_blocking(move |tx| Ok(tx.pending_webhook_deliveries(program)?))?;
        metrics::gauge!("jifen_webhook_backlog", "program" => program.0.to_string())
            .set(backlog as f64);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 2 and 6 (a key longer than the block).
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn topics_match_exactly_or_by_prefix() {
        assert!(topic_matches("mall.order.*", "mall.order.paid"));
        assert!(!topic_matches("mall.order.*", "coupon.issued"));
        assert!(topic_matches("tier.changed", "tier.changed"));
        assert!(!topic_matches("tier.changed", "tier.changed2"));
        assert_eq!(backoff_ms(0), 10_000);
        assert_eq!(backoff_ms(3), 80_000);
        assert_eq!(backoff_ms(20), 3_600_000);
    }
}

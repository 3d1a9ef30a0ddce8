//! How a member pays the cash part of a points + cash order: the merchant's payment hand-off
//! link (a URL template the member centre fills per order) and how long an order waits for
//! its payment. The payment itself is confirmed by the merchant's system with
//! `POST /mall/orders/{id}/pay` (`act` with `OrderAction::Pay`), as before.

use jifen_ledger::Millis;
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AppError, ProgramCtx};

use super::order_views::OrderView;

/// Minutes a points + cash order waits for its payment when the programme has not said.
pub const PAY_WINDOW_MINUTES_DEFAULT: i64 = 30;
/// The shortest and longest payment window a programme may set, in minutes.
pub const PAY_WINDOW_MINUTES_MIN: i64 = 5;
pub const PAY_WINDOW_MINUTES_MAX: i64 = 24 * 60;
/// Longest payment link template, in characters.
pub const PAYMENT_URL_MAX: usize = 500;
/// The placeholders a payment link may use; `{order_id}` is required.
pub const PAYMENT_PLACEHOLDERS: [&str; 6] = [
    "order_id",
    "cash_minor",
    "currency",
    "member_id",
    "pay_deadline",
    "return_url",
];

/// How members pay the cash part of points + cash orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// The merchant's payment page, as a template: an `https://` address with placeholders
    /// among `{order_id}` (required), `{cash_minor}`, `{currency}`, `{member_id}`,
    /// `{pay_deadline}` (ms since the epoch) and `{return_url}` (the order's page in the member
    /// centre), each URL-encoded when filled. `null`: no online payment; the centre tells the
    /// member the cash is paid at the shop.
    #[serde(default)]
    pub payment_url: Option<String>,
    /// Minutes a points + cash order waits for its payment before its points and stock are
    /// released (5 to 1,440; 30 when never set). An order placed over the API may name its own
    /// `pay_within_seconds`.
    #[serde(default = "default_window")]
    pub pay_window_minutes: i64,
}

fn default_window() -> i64 {
    PAY_WINDOW_MINUTES_DEFAULT
}

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            payment_url: None,
            pay_window_minutes: PAY_WINDOW_MINUTES_DEFAULT,
        }
    }
}

/// What is wrong with payment settings, with the field it belongs to and words in both
/// languages (the console shows them next to the field; the API answers the English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentProblem {
    /// Not an `https://` address (or `http://` on this machine).
    NotHttps,
    TooLong,
    /// Spaces, quotes or angle brackets.
    BadCharacters,
    /// A `{name}` that is not one of [`PAYMENT_PLACEHOLDERS`], or a brace not closed.
    UnknownPlaceholder,
    /// No `{order_id}`: the merchant would not know which order is paid.
    NoOrderId,
    /// A placeholder in the host, a user name or password, or no host at all.
    BadHost,
    WindowOutOfRange,
}

impl PaymentProblem {
    /// The field the problem is in.
    pub fn field(self) -> &'static str {
        match self {
            PaymentProblem::WindowOutOfRange => "pay_window_minutes",
            _ => "payment_url",
        }
    }

    /// The problem in words, in English when `en`.
    pub fn text(self, en: bool) -> String {
        let (zh, en_text) = match self {
            PaymentProblem::NotHttps => (
                "须为 https:// 开头的地址（仅本机测试可用 http://localhost）".to_string(),
                "must be an https:// address (http:// only for localhost, in tests)".to_string(),
            ),
            PaymentProblem::TooLong => (
                format!("最多 {PAYMENT_URL_MAX} 个字符"),
                format!("must be at most {PAYMENT_URL_MAX} characters"),
            ),
            PaymentProblem::BadCharacters => (
                "不能包含空格、引号或尖括号".to_string(),
                "must not contain spaces, quotes or angle brackets".to_string(),
            ),
            PaymentProblem::UnknownPlaceholder => (
                format!(
                    "只能使用这些占位符：{}",
                    PAYMENT_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                ),
                format!(
                    "may use only these placeholders: {}",
                    PAYMENT_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                ),
            ),
            PaymentProblem::NoOrderId => (
                "须包含 {order_id}，商家据此知道支付的是哪笔订单".to_string(),
                "must contain {order_id}, so that the merchant knows which order is paid"
                    .to_string(),
            ),
            PaymentProblem::BadHost => (
                "域名须完整填写，不能含占位符、用户名或密码".to_string(),
                "needs a host without placeholders, user name or password".to_string(),
            ),
            PaymentProblem::WindowOutOfRange => (
                format!(
                    "须为 {PAY_WINDOW_MINUTES_MIN} 到 {PAY_WINDOW_MINUTES_MAX} 之间的整数（分钟）"
                ),
                format!(
                    "must be a whole number of minutes from {PAY_WINDOW_MINUTES_MIN} to {PAY_WINDOW_MINUTES_MAX}"
                ),
            ),
        };
        if en { en_text } else { zh }
    }
}

/// Checks payment settings: the first problem found, if any.
pub fn check_payment_settings(s: &PaymentSettings) -> Result<(), PaymentProblem> {
    if !(PAY_WINDOW_MINUTES_MIN..=PAY_WINDOW_MINUTES_MAX).contains(&s.pay_window_minutes) {
        return Err(PaymentProblem::WindowOutOfRange);
    }
    match &s.payment_url {
        Some(u) => check_payment_url(u),
        None => Ok(()),
    }
}

fn check_payment_url(u: &str) -> Result<(), PaymentProblem> {
    if u.chars().count() > PAYMENT_URL_MAX {
        return Err(PaymentProblem::TooLong);
    }
    if u.chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\'))
    {
        return Err(PaymentProblem::BadCharacters);
    }
    let lower = u.to_ascii_lowercase();
    let (https, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = lower.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(PaymentProblem::NotHttps);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains(['{', '}', '@']) {
        return Err(PaymentProblem::BadHost);
    }
    let host = match authority.find(']') {
        Some(end) if authority.starts_with('[') => &authority[..=end],
        _ => authority.split(':').next().unwrap_or(""),
    };
    if !https && !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        return Err(PaymentProblem::NotHttps);
    }
    let names = placeholders(u)?;
    if !names.contains(&"order_id") {
        return Err(PaymentProblem::NoOrderId);
    }
    // Filled with sample values, it must be an address a browser opens.
    let sample = fill(u, |_| "1".to_string());
    match reqwest::Url::parse(&sample) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => Err(PaymentProblem::BadHost),
    }
}

/// The placeholders of a template, each checked to be a known one.
fn placeholders(u: &str) -> Result<Vec<&'static str>, PaymentProblem> {
    let mut out = Vec::new();
    let mut rest = u;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(PaymentProblem::UnknownPlaceholder);
        }
        let after = &rest[open + 1..];
        let close = after
            .find(['{', '}'])
            .filter(|c| after[*c..].starts_with('}'))
            .ok_or(PaymentProblem::UnknownPlaceholder)?;
        let name = &after[..close];
        let known = PAYMENT_PLACEHOLDERS
            .iter()
            .find(|p| **p == name)
            .ok_or(PaymentProblem::UnknownPlaceholder)?;
        out.push(*known);
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// The template with each `{name}` replaced by `value(name)` (placeholders already checked).
fn fill(u: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(u.len() + 64);
    let mut rest = u;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        out.push_str(&value(&after[..close]));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so a value is safe in
/// any part of a query or path.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The programme's payment settings (the defaults when never set).
pub fn payment_settings(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<PaymentSettings, AppError> {
    Ok(match tx.mall_payment_settings(ctx.program.id)? {
        Some((payment_url, pay_window_minutes)) => PaymentSettings {
            payment_url,
            pay_window_minutes,
        },
        None => PaymentSettings::default(),
    })
}

/// Sets them in `actor`'s name, audited as `mall_payment.update` with before and after. An
/// empty address is none.
pub fn put_payment_settings(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    s: &PaymentSettings,
) -> Result<PaymentSettings, AppError> {
    let s = PaymentSettings {
        payment_url: s
            .payment_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string),
        pay_window_minutes: s.pay_window_minutes,
    };
    check_payment_settings(&s).map_err(|p| AppError::invalid(p.field(), p.text(true)))?;
    let before = payment_settings(tx, ctx)?;
    tx.put_mall_payment_settings(
        ctx.program.id,
        s.payment_url.as_deref(),
        s.pay_window_minutes,
        now,
    )?;
    let text = |v: &PaymentSettings| serde_json::to_string(v).expect("settings serialize");
    tx.audit(
        ctx.program.id,
        actor,
        "mall_payment.update",
        &format!("program:{}", ctx.program.id),
        Some(&text(&before)),
        Some(&text(&s)),
        now,
    )?;
    Ok(s)
}

/// The payment window for a new order, in seconds: the programme's setting.
pub(super) fn window_seconds(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<i64, AppError> {
    Ok(payment_settings(tx, ctx)?.pay_window_minutes * 60)
}

/// The merchant's payment page for an order waiting for its cash, with the placeholders
/// filled and URL-encoded, `return_url` bringing the member back; `None` when the order does
/// not wait for a payment or the programme has set no payment link.
pub fn payment_link(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    o: &OrderView,
    return_url: &str,
) -> Result<Option<String>, AppError> {
    if o.state != "pending_payment" || o.cash_minor <= 0 {
        return Ok(None);
    }
    let Some(template) = payment_settings(tx, ctx)?.payment_url else {
        return Ok(None);
    };
    Ok(Some(fill_link(
        &template,
        o,
        &ctx.program.currency,
        return_url,
    )))
}

/// Fills a checked template for an order.
pub fn fill_link(template: &str, o: &OrderView, currency: &str, return_url: &str) -> String {
    fill(template, |name| {
        url_encode(&match name {
            "order_id" => o.order_id.to_string(),
            "cash_minor" => o.cash_minor.to_string(),
            "currency" => currency.to_string(),
            "member_id" => o.member_id.to_string(),
            "pay_deadline" => o.pay_deadline.map(|d| d.to_string()).unwrap_or_default(),
            "return_url" => return_url.to_string(),
            _ => String::new(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(u: &str) -> Result<(), PaymentProblem> {
        check_payment_settings(&PaymentSettings {
            payment_url: Some(u.into()),
            pay_window_minutes: 30,
        })
    }

    #[test]
    fn a_template_is_https_with_known_placeholders_and_the_order_id() {
        let good = "https://pay.shop.example/jifen?order={order_id}&amount={cash_minor}&currency={currency}&return={return_url}";
        assert_eq!(check(good), Ok(()));
        assert_eq!(check("https://pay.example/o/{order_id}"), Ok(()));
        assert_eq!(check("http://localhost:8080/pay?o={order_id}"), Ok(()));
        assert_eq!(check("http://127.0.0.1:9/pay?o={order_id}"), Ok(()));
        for (u, p) in [
            ("http://pay.example/?o={order_id}", PaymentProblem::NotHttps),
            ("ftp://pay.example/?o={order_id}", PaymentProblem::NotHttps),
            ("pay.example/?o={order_id}", PaymentProblem::NotHttps),
            (
                "http://localhost.evil.example/?o={order_id}",
                PaymentProblem::NotHttps,
            ),
            (
                "https://pay.example/?o={order}",
                PaymentProblem::UnknownPlaceholder,
            ),
            (
                "https://pay.example/?o={order_id",
                PaymentProblem::UnknownPlaceholder,
            ),
            (
                "https://pay.example/?o=order_id}",
                PaymentProblem::UnknownPlaceholder,
            ),
            (
                "https://pay.example/?a={cash_minor}",
                PaymentProblem::NoOrderId,
            ),
            (
                "https://{currency}.example/?o={order_id}",
                PaymentProblem::BadHost,
            ),
            (
                "https://u:p@pay.example/?o={order_id}",
                PaymentProblem::BadHost,
            ),
            ("https:///?o={order_id}", PaymentProblem::BadHost),
            (
                "https://pay.example/?o={order_id}\"x",
                PaymentProblem::BadCharacters,
            ),
            (
                "https://pay.example/ ?o={order_id}",
                PaymentProblem::BadCharacters,
            ),
        ] {
            assert_eq!(check(u), Err(p), "{u}");
        }
        let long = format!("https://pay.example/?o={{order_id}}&x={}", "a".repeat(500));
        assert_eq!(check(&long), Err(PaymentProblem::TooLong));
        for w in [4, 1441, 0, -1] {
            let s = PaymentSettings {
                payment_url: None,
                pay_window_minutes: w,
            };
            assert_eq!(
                check_payment_settings(&s),
                Err(PaymentProblem::WindowOutOfRange)
            );
        }
    }

    #[test]
    fn a_link_is_filled_with_every_value_encoded() {
        let o: OrderView = serde_json::from_value(serde_json::json!({
            "order_id": 42, "request_id": "r", "member_id": 7, "item_id": 1,
            "item_name_zh": null, "item_name_en": null, "kind": null, "sku": null,
            "quantity": 1, "points": 100, "cash_minor": 990, "state": "pending_payment",
            "reservation_id": null, "pay_deadline": 1_700_000_000_000i64, "payment_ref": null,
            "address": null, "carrier": null, "tracking_no": null, "coupons": null,
            "refunded_points": 0, "refunded_cash_minor": 0, "created_at": 0, "updated_at": 0,
            "history": []
        }))
        .unwrap();
        let link = fill_link(
            "https://pay.example/p?o={order_id}&a={cash_minor}&c={currency}&m={member_id}&d={pay_deadline}&r={return_url}",
            &o,
            "CNY",
            "https://jifen.example/m/1.7.99.ab/orders/42?from=pay&lang=zh",
        );
        assert_eq!(
            link,
            "https://pay.example/p?o=42&a=990&c=CNY&m=7&d=1700000000000&r=https%3A%2F%2Fjifen.example%2Fm%2F1.7.99.ab%2Forders%2F42%3Ffrom%3Dpay%26lang%3Dzh"
        );
    }
}

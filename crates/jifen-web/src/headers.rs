//! Security headers on every page the console and the member centre serve.
//!
//! - **Content-Security-Policy**: scripts only from this origin or, for the few inline scripts
//!   the pages carry, by their SHA-256 hash, computed here from the page that goes out (so a
//!   script injected into a page never runs, and a page's own scripts need no nonce plumbing);
//!   no plugins, no framing, forms post only here, no `<base>`.
//! - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`.
//! - `Referrer-Policy: no-referrer` on the member centre (its links carry the member's token),
//!   `same-origin` elsewhere.
//! - `Strict-Transport-Security` when the public address (`JIFEN_PUBLIC_URL`) is https.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Pages are small (tens of KiB); anything larger is passed on without looking for scripts.
const PAGE_BYTES_MAX: usize = 4 << 20;

/// Whether the service is reached over https (`JIFEN_PUBLIC_URL`): then cookies are `Secure`
/// and pages send HSTS.
pub fn public_https() -> bool {
    std::env::var("JIFEN_PUBLIC_URL").is_ok_and(|u| u.to_ascii_lowercase().starts_with("https://"))
}

/// The `'sha256-…'` sources of the inline scripts of a page.
pub fn script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script>") {
        let body = &rest[start + "<script>".len()..];
        let Some(end) = body.find("</script>") else {
            break;
        };
        let hash = Sha256::digest(&body.as_bytes()[..end]);
        out.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(hash)
        ));
        rest = &body[end..];
    }
    out
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let centre = req.uri().path().starts_with("/m/");
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let (mut parts, body) = res.into_parts();
    let (body, scripts) = if html {
        match axum::body::to_bytes(body, PAGE_BYTES_MAX).await {
            Ok(bytes) => {
                let scripts = script_hashes(&String::from_utf8_lossy(&bytes));
                (Body::from(bytes), scripts)
            }
            Err(_) => (Body::empty(), Vec::new()),
        }
    } else {
        (body, Vec::new())
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'{}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        scripts.iter().map(|s| format!(" {s}")).collect::<String>()
    );
    let h = &mut parts.headers;
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if centre { "no-referrer" } else { "same-origin" }),
    );
    if public_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_inline_script_is_hashed_as_it_stands() {
        let page = "<p>x</p><script>alert(1)</script><div></div><script>var a=2;</script>";
        let h = script_hashes(page);
        assert_eq!(h.len(), 2);
        // sha256("alert(1)") in base64.
        assert_eq!(
            h[0],
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
        assert!(script_hashes("<p>no scripts</p>").is_empty());
    }
}

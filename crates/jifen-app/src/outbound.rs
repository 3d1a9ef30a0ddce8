//! Outbound HTTP(S) for webhooks: reqwest with rustls, the Mozilla roots built in plus any the
//! operator adds (`App::add_webhook_roots`), no proxies from the environment, no redirects.
//!
//! A webhook is no way into the network Jifen runs in: the resolver here refuses a name that
//! resolves to a private address, and an address written as an IP is checked before sending,
//! unless the programme allows private targets. The address checked is the one connected to.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::webhooks::{TIMEOUT, is_private};

/// Resolves names as the system does, then drops nothing silently: a name with any private
/// address is refused when private targets are not allowed.
struct CheckedResolver {
    allow_private: bool,
}

fn refused(host: &str, ip: IpAddr) -> String {
    format!(
        "{host} is {ip}, on this machine or a private network; an owner may allow such targets in the settings"
    )
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let lookup = host.clone();
            let addrs: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
                (lookup.as_str(), 0).to_socket_addrs().map(Vec::from_iter)
            })
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
            if addrs.is_empty() {
                return Err(format!("cannot resolve {host}").into());
            }
            if !allow_private && let Some(a) = addrs.iter().find(|a| is_private(a.ip())) {
                return Err(refused(&host, a.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A client for one delivery round of one programme.
pub(crate) struct Outbound {
    client: reqwest::blocking::Client,
    allow_private: bool,
}

impl Outbound {
    pub(crate) fn new(allow_private: bool, roots: &[reqwest::Certificate]) -> Result<Self, String> {
        let mut b = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent("jifen-webhooks")
            .dns_resolver(Arc::new(CheckedResolver { allow_private }));
        for c in roots {
            b = b.add_root_certificate(c.clone());
        }
        let client = b
            .build()
            .map_err(|e| format!("webhook client: {}", chain(&e)))?;
        Ok(Outbound {
            client,
            allow_private,
        })
    }

    /// POSTs a JSON body and returns the status code; the answer's body is not read.
    pub(crate) fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Result<u16, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad address: {e}"))?;
        // An address written as an IP is connected to without the resolver: check it here.
        let host = parsed.host_str().unwrap_or("");
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>()
            && !self.allow_private
            && is_private(ip)
        {
            return Err(refused(host, ip));
        }
        let mut req = self
            .client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        match req.send() {
            Ok(r) => Ok(r.status().as_u16()),
            Err(e) if e.is_connect() => Err(format!("connect: {}", chain(&e))),
            Err(e) if e.is_timeout() => Err(format!("timed out: {}", chain(&e))),
            Err(e) => Err(format!("send: {}", chain(&e))),
        }
    }
}

/// An error with its causes, outermost first: reqwest's own message names only the request.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cause = c.source();
    }
    out
}

//! The console's pages as templates (`templates/console/`, compiled into the binary by askama,
//! escaping every value unless a template marks it `|safe`): the frame every page shares (the
//! navigation the role may open, who is signed in, the language switch) and the one error page.
//! Every console page is a template extending `console/frame.html`; markup is never built as a
//! string (`|safe` marks only fixed SVG paths and the overview's escaped chart data).

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use jifen_app::staff::Session;
use jifen_domain::words;

use crate::page::{L, Lang};

/// One link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub on: bool,
    /// What waits there, when anything does: the number shown and its words for a screen
    /// reader ("3 条待处理").
    pub badge: Option<(String, String)>,
}

/// What the frame of every console page shows.
pub struct Frame {
    pub lang: Lang,
    pub english: bool,
    pub title: String,
    pub nav: Vec<NavItem>,
    pub name: String,
    /// The role, in words.
    pub role: &'static str,
    pub csrf: String,
}

impl Frame {
    /// The frame of a page titled `title`, its navigation entry `active` marked.
    pub fn new(lang: Lang, s: &Session, active: &str, title: &str) -> Frame {
        let en = lang == Lang::En;
        let pick = |zh: &'static str, e: &'static str| if en { e } else { zh };
        let nav = [
            ("overview", "/console", L::Overview.t(lang)),
            ("members", "/console/members", L::Members.t(lang)),
            ("rules", "/console/rules", pick("规则", "Rules")),
            ("tiers", "/console/tiers", pick("等级", "Tiers")),
            ("mall", "/console/mall", pick("商城", "Mall")),
            ("orders", "/console/orders", L::Orders.t(lang)),
            ("approvals", "/console/approvals", L::Approvals.t(lang)),
            ("appeals", "/console/appeals", L::Appeals.t(lang)),
            ("holds", "/console/risk-holds", pick("风控", "Risk")),
            ("audit", "/console/audit", L::AuditLog.t(lang)),
            ("settings", "/console/settings", pick("设置", "Settings")),
        ]
        .into_iter()
        // Only what the role may open.
        .filter(|(key, _, _)| match *key {
            "members" | "approvals" | "appeals" | "holds" => s.role.reads_members(),
            "audit" => s.role.audits(),
            _ => true,
        })
        .map(|(key, href, label)| NavItem {
            href,
            label,
            on: key == active,
            badge: badge(lang, &s.pending, key),
        })
        .collect();
        let role = words::STAFF_ROLES
            .iter()
            .find(|w| w.code == s.role.as_str())
            .map_or("", |w| w.text(en));
        Frame {
            lang,
            english: en,
            title: title.to_string(),
            nav,
            name: s.name.clone(),
            role,
            csrf: s.csrf.clone(),
        }
    }

    /// `zh` or `en`, by the page's language: the words of one page, in its template.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.english { en } else { zh }
    }

    /// Words the pages share.
    pub fn l(&self, l: L) -> &'static str {
        l.t(self.lang)
    }

    pub fn html_lang(&self) -> &'static str {
        if self.english { "en" } else { "zh-CN" }
    }
}

/// The count of what waits behind the navigation entry `key`, when non-zero, with its words.
fn badge(lang: Lang, p: &jifen_app::staff::PendingCounts, key: &str) -> Option<(String, String)> {
    let (n, zh, en) = match key {
        "approvals" => (p.approvals, "条待审批", "waiting for approval"),
        "appeals" => (p.appeals, "条待处理", "waiting for an answer"),
        "holds" => (p.holds, "条待审核", "waiting for review"),
        "orders" => (p.orders_to_ship, "单待发货", "waiting to ship"),
        _ => return None,
    };
    (n > 0).then(|| {
        let shown = crate::page::num(n);
        let words = match lang {
            Lang::Zh => format!("{shown} {zh}"),
            Lang::En => format!("{shown} {en}"),
        };
        (shown, words)
    })
}

/// The one error page: what went wrong in the page's language, and a way back.
#[derive(Template)]
#[template(path = "console/error.html")]
pub struct ErrorPage<'a> {
    pub frame: &'a Frame,
    pub message: &'a str,
    pub back: &'a str,
}

/// A template's HTML; a template that cannot render (a bug) says so in the log and renders
/// as an empty page rather than a half one.
pub fn render<T: Template>(t: &T) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "a page template failed to render");
        String::new()
    })
}

/// A rendered page as the answer.
pub fn respond<T: Template>(status: StatusCode, t: &T, cookies: &[String]) -> Response {
    crate::html(status, render(t), cookies)
}

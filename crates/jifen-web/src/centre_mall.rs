//! The member centre's mall and the member's own records: the catalog as the member sees it
//! (can afford, or how many points short), an item with its SKUs, redemption in three steps
//! (选品 · 确认 · 支付) through the same `place_order` as the API, the member's orders with their
//! logistics, their coupons, and the lucky wheel. Pages under `/m/{token}/…`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::commands::MemberRef;
use jifen_app::mall::{Address, MemberItem, MemberSku, PlaceOrder};
use jifen_app::{AppError, ProgramCtx};
use jifen_domain::mall::ItemKind;
use jifen_ledger::{LedgerError, MemberId, PointType, ProgramId};
use serde::Deserialize;

use crate::centre::{expired_page, member_of, t};
use crate::forms::form_key;
use crate::page::{Lang, esc, fmt_time, num};
use crate::{LangQuery, Web, html, lang_of};

mod catalog;
mod checkout;
mod coupons;
mod history;
mod orders;
mod wheel;
use catalog::*;
use checkout::*;
use coupons::*;
use history::*;
use orders::*;
pub(crate) use wheel::*;

pub(crate) fn routes() -> axum::Router<Web> {
    axum::Router::new()
        .route("/m/{token}/mall", get(mall))
        .route("/m/{token}/mall/{item}", get(item))
        .route("/m/{token}/mall/{item}/confirm", get(confirm))
        .route("/m/{token}/mall/{item}/redeem", post(redeem))
        .route("/m/{token}/orders", get(orders))
        .route("/m/{token}/orders/{id}", get(order))
        .route("/m/{token}/orders/{id}/cancel", post(cancel))
        .route("/m/{token}/coupons", get(coupons))
        .route("/m/{token}/history", get(history))
        .route("/m/{token}/lottery/{code}", get(lottery))
        .route("/m/{token}/lottery/{code}/draw", post(draw))
}

// ---- the frame every page shares ----------------------------------------------------------

/// The tab a page belongs to in the bottom bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Home,
    Mall,
    Orders,
    Coupons,
}

const ICON_HOME: &str =
    "<path d=\"M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z\"/>";
const ICON_MALL: &str = "<path d=\"M5 8h14l-1.2 12.1a1 1 0 0 1-1 .9H7.2a1 1 0 0 1-1-.9z\"/><path d=\"M9 8V6a3 3 0 0 1 6 0v2\"/>";
const ICON_ORDERS: &str =
    "<rect x=\"5\" y=\"3\" width=\"14\" height=\"18\" rx=\"2\"/><path d=\"M9 8h6M9 12h6M9 16h4\"/>";
const ICON_COUPONS: &str = "<path d=\"M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-3a2 2 0 0 0 0-4z\"/><path d=\"M14 6v12\" stroke-dasharray=\"2 2\"/>";

const ICON_CHECK: &str = "<path d=\"M5 12.5l4.5 4.5L19 7.5\"/>";
const ICON_CLOCK: &str = "<circle cx=\"12\" cy=\"12\" r=\"8.5\"/><path d=\"M12 7.5V12l3 2\"/>";
const ICON_TRUCK: &str = "<path d=\"M2.5 6.5h11v9.5h-11zM13.5 10h4l3 3.2V16h-7z\"/><circle cx=\"6.5\" cy=\"17.5\" r=\"1.8\"/><circle cx=\"16.5\" cy=\"17.5\" r=\"1.8\"/>";
const ICON_GIFT: &str = "<rect x=\"4\" y=\"9\" width=\"16\" height=\"11\" rx=\"1.5\"/><path d=\"M3 9h18v3H3zM12 9v11M12 9c-1.5-4-6-4-5-1.2C7.5 9 12 9 12 9zM12 9c1.5-4 6-4 5-1.2C16.5 9 12 9 12 9z\"/>";
const ICON_SEARCH: &str = "<circle cx=\"11\" cy=\"11\" r=\"6.5\"/><path d=\"M16 16l4.5 4.5\"/>";

/// An outline icon in the text's colour.
fn icon(paths: &str) -> String {
    format!("<svg class=\"ico\" viewBox=\"0 0 24 24\" aria-hidden=\"true\">{paths}</svg>")
}

/// The bottom tab bar: 首页 · 商城 · 订单 · 券.
pub(crate) fn tabs(lang: Lang, token: &str, on: Option<Tab>) -> String {
    let items = [
        (
            Tab::Home,
            format!("/m/{token}"),
            ICON_HOME,
            t(lang, "首页", "Home"),
        ),
        (
            Tab::Mall,
            format!("/m/{token}/mall"),
            ICON_MALL,
            t(lang, "商城", "Mall"),
        ),
        (
            Tab::Orders,
            format!("/m/{token}/orders"),
            ICON_ORDERS,
            t(lang, "订单", "Orders"),
        ),
        (
            Tab::Coupons,
            format!("/m/{token}/coupons"),
            ICON_COUPONS,
            t(lang, "券", "Coupons"),
        ),
    ];
    let links: String = items
        .iter()
        .map(|(tab, href, icon, label)| {
            format!(
                "<a href=\"{href}\"{}><svg viewBox=\"0 0 24 24\" aria-hidden=\"true\">{icon}</svg><span>{label}</span></a>",
                if on == Some(*tab) {
                    " class=\"on\" aria-current=\"page\""
                } else {
                    ""
                }
            )
        })
        .collect();
    format!(
        "<nav class=\"tabs\" aria-label=\"{}\">{links}</nav>",
        t(lang, "积分中心", "Points centre")
    )
}

/// A link to the same page in the other language; `here` is the path and query without `lang`.
fn lang_link(lang: Lang, here: &str) -> String {
    let sep = if here.contains('?') { '&' } else { '?' };
    let (code, label) = if lang == Lang::En {
        ("zh", "中文")
    } else {
        ("en", "English")
    };
    format!(
        "<a class=\"lang\" href=\"{}{sep}lang={code}\">{label}</a>",
        esc(here)
    )
}

/// A whole page: the top bar (back, title, language), the content and the tab bar.
fn shell(
    c: &Centre,
    tab: Option<Tab>,
    title: &str,
    back: Option<&str>,
    here: &str,
    body: &str,
) -> String {
    let lang = c.lang;
    let back = back
        .map(|b| {
            format!(
                "<a class=\"back\" href=\"{}\" aria-label=\"{}\">‹</a>",
                esc(b),
                t(lang, "返回", "Back")
            )
        })
        .unwrap_or_else(|| "<span class=\"back\"></span>".into());
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><link rel=\"stylesheet\" href=\"/m/assets/centre.css\"></head><body class=\"has-tabs\">\
         <header class=\"topbar\">{back}<h1>{}</h1>{}</header><main class=\"wrap\">{body}</main>{}</body></html>",
        if lang == Lang::En { "en" } else { "zh-CN" },
        esc(title),
        esc(&c.ctx.program.name),
        esc(title),
        lang_link(lang, here),
        tabs(lang, &c.token, tab),
    )
}

/// The redemption steps, `at` the current one (1 选品, 2 确认, 3 支付); 4 when all are done.
fn steps(lang: Lang, at: u8) -> String {
    let names = [
        t(lang, "选品", "Choose"),
        t(lang, "确认", "Confirm"),
        t(lang, "支付", "Pay"),
    ];
    let items: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let k = i as u8 + 1;
            let class = if k < at {
                "done"
            } else if k == at {
                "on"
            } else {
                ""
            };
            format!(
                "<li class=\"{class}\"{}><b>{}</b>{n}</li>",
                if k == at {
                    " aria-current=\"step\""
                } else {
                    ""
                },
                if k < at {
                    icon(ICON_CHECK)
                } else {
                    k.to_string()
                },
            )
        })
        .collect();
    format!("<ol class=\"steps\">{items}</ol>")
}

/// How the member pays the cash part of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CashPay {
    /// On the merchant's payment page, from the centre's pay button.
    Online,
    /// At the shop: the item is not posted, and the programme has no payment link.
    AtShop,
    /// Goods posted home, and the merchant has not set up online payment.
    NotSetUp,
}

impl CashPay {
    pub(super) fn of(online: bool, ships: bool) -> CashPay {
        match (online, ships) {
            (true, _) => CashPay::Online,
            (false, false) => CashPay::AtShop,
            (false, true) => CashPay::NotSetUp,
        }
    }
}

/// The address the member's browser reached the centre at (`JIFEN_PUBLIC_URL` when set, else
/// the request's host), for links that come back from another site.
pub(super) fn public_base(headers: &HeaderMap) -> String {
    if let Ok(u) = std::env::var("JIFEN_PUBLIC_URL")
        && (u.starts_with("https://") || u.starts_with("http://"))
    {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

// ---- who is asking --------------------------------------------------------------------------

/// A member inside the centre: the link checked, the programme loaded, the language chosen.
struct Centre {
    program: ProgramId,
    member: MemberId,
    ctx: Arc<ProgramCtx>,
    lang: Lang,
    cookies: Vec<String>,
    token: String,
}

impl Centre {
    fn loc(&self) -> &'static str {
        if self.lang == Lang::En { "en" } else { "zh" }
    }

    fn page(&self, status: StatusCode, body: String) -> Response {
        html(status, body, &self.cookies)
    }

    fn partition(&self) -> String {
        MemberRef::Id {
            member_id: self.member.0,
        }
        .partition()
    }

    /// A page that says something could not be found, with a way back.
    fn not_found(&self, what: &str, back: &str, back_label: &str) -> Response {
        let body = format!(
            "<div class=\"card empty\"><div class=\"big\">{}</div><h2>{}</h2><a class=\"btn ghost\" href=\"{back}\">{}</a></div>",
            icon(ICON_SEARCH),
            esc(what),
            esc(back_label)
        );
        self.page(
            StatusCode::NOT_FOUND,
            shell(
                self,
                None,
                t(self.lang, "找不到", "Not found"),
                Some(back),
                back,
                &body,
            ),
        )
    }

    /// A refusal the member should read (409): what happened, with a way back.
    fn refused(&self, what: &str, back: &str, back_label: &str) -> Response {
        let body = format!(
            "<div class=\"card empty\" role=\"alert\"><h2>{}</h2><a class=\"btn ghost\" href=\"{back}\">{}</a></div>",
            esc(what),
            esc(back_label)
        );
        self.page(
            StatusCode::CONFLICT,
            shell(
                self,
                None,
                t(self.lang, "积分中心", "Points centre"),
                Some(back),
                back,
                &body,
            ),
        )
    }

    /// A failure the member cannot fix here: the service is busy, a fault (logged, never shown
    /// in detail), or a refusal, said in words.
    fn unavailable(&self, e: &AppError) -> Response {
        let (status, msg) = crate::shown_error(self.lang, e);
        let body = format!(
            "<div class=\"card empty\"><h2>{}</h2><p class=\"muted\">{}</p></div>",
            t(self.lang, "暂时无法完成", "This could not be done just now"),
            esc(&msg)
        );
        self.page(
            status,
            shell(
                self,
                None,
                t(self.lang, "积分中心", "Points centre"),
                None,
                "",
                &body,
            ),
        )
    }

    /// Answers a read's failure: a member that no longer resolves sees the expired page.
    fn failed(&self, e: AppError) -> Response {
        match e {
            AppError::NotFound { .. } => expired_page(self.lang),
            e => self.unavailable(&e),
        }
    }
}

async fn enter(
    web: &Web,
    headers: &HeaderMap,
    token: &str,
    lang: Option<String>,
) -> Result<Centre, Response> {
    let (lang, set_lang) = lang_of(headers, &LangQuery { lang });
    let Some((program, member)) = member_of(web, token).await else {
        return Err(expired_page(lang));
    };
    let ctx = web
        .app
        .program_ctx(program)
        .await
        .map_err(|_| expired_page(lang))?;
    Ok(Centre {
        program,
        member,
        ctx,
        lang,
        cookies: set_lang.into_iter().collect(),
        token: token.to_string(),
    })
}

// ---- formatting ---------------------------------------------------------------------------

fn money(minor: i64, currency: &str) -> String {
    esc(&jifen_app::mall::money_text(currency, minor))
}

/// Where an item's picture shows: which copy is served, the size it is given (the most CSS
/// pixels it takes, at the centre's widest, 480 px; all are square) and when it loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pic {
    /// A tile of the mall's grid.
    Tile,
    /// A card of the home page's mall section.
    Card,
    /// The line of an order or of the confirm page.
    Line,
    /// The item's own page: the whole picture, loaded at once, being what the page shows first.
    Hero,
}

impl Pic {
    fn class(self) -> &'static str {
        match self {
            Pic::Tile => "img",
            Pic::Card => "pic",
            Pic::Line => "thumb",
            Pic::Hero => "cover",
        }
    }

    fn side(self) -> u32 {
        match self {
            Pic::Tile => 219,
            Pic::Card => 187,
            Pic::Line => 64,
            Pic::Hero => 416,
        }
    }
}

/// One picture: the centre's copy (`/media/{id}/thumb`, at most
/// `jifen_app::images::THUMB_SIDE` a side) loaded as it comes near the screen, or for `Pic::Hero`
/// the whole picture; its size given, so that nothing moves when it arrives.
pub(crate) fn picture(id: i64, alt: &str, class: &str, side: u32, whole: bool) -> String {
    let (src, loading) = if whole {
        (format!("/media/{id}"), "")
    } else {
        (format!("/media/{id}/thumb"), " loading=\"lazy\"")
    };
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    format!(
        "<img{class} src=\"{src}\" alt=\"{}\" width=\"{side}\" height=\"{side}\"{loading}>",
        esc(alt)
    )
}

/// The cover image of an item (`first` of its images) where it shows, or a drawn placeholder
/// with its first letter.
pub(crate) fn cover(first: Option<i64>, name: &str, at: Pic) -> String {
    match first {
        Some(id) => picture(id, name, at.class(), at.side(), at == Pic::Hero),
        None => format!(
            "<div class=\"{} ph\" aria-hidden=\"true\">{}</div>",
            at.class(),
            esc(&name.chars().next().map(String::from).unwrap_or_default())
        ),
    }
}

/// Labels of an item: flash sale, presale, not yet on sale.
fn labels(lang: Lang, i: &MemberItem, tz: &jiff::tz::TimeZone) -> String {
    let mut out = String::new();
    if i.item.flash_sale {
        out.push_str(&format!(
            "<span class=\"tag flash\">{}</span>",
            t(lang, "限时秒杀", "Flash sale")
        ));
    }
    if i.item.presale {
        out.push_str(&format!(
            "<span class=\"tag pre\">{}</span>",
            t(lang, "预售", "Presale")
        ));
    }
    if i.not_on_sale_yet() {
        out.push_str(&format!(
            "<span class=\"tag soon\">{} {}</span>",
            fmt_time(i.item.sale_from.unwrap_or(0), tz),
            t(lang, "开抢", "starts")
        ));
    } else if i.sale_ended() {
        out.push_str(&format!(
            "<span class=\"tag off\">{}</span>",
            t(lang, "已结束", "Ended")
        ));
    }
    out
}

fn price(lang: Lang, points: i64, cash: i64, currency: &str) -> String {
    format!(
        "<b>{}</b><small>{}</small>{}",
        num(points),
        t(lang, "积分", " pts"),
        if cash > 0 {
            format!("<small> + {}</small>", money(cash, currency))
        } else {
            String::new()
        }
    )
}

fn short_note(lang: Lang, short: i64) -> String {
    if short <= 0 {
        format!(
            "<span class=\"ok\">{}</span>",
            t(lang, "可兑换", "Can afford")
        )
    } else if lang == Lang::En {
        format!("<span class=\"short\">{} points short</span>", num(short))
    } else {
        format!("<span class=\"short\">还差 {} 积分</span>", num(short))
    }
}

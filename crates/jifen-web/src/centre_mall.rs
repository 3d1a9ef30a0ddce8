//! The member centre's mall and the member's own records: the catalog as the member sees it
//! (can afford, or how many points short), an item with its SKUs, redemption in three steps
//! (选品 · 确认 · 支付) through the same `place_order` as the API, the member's orders with their
//! logistics, their coupons, and the lucky wheel. Pages under `/m/{token}/…`.

use std::sync::Arc;

use askama::Template;
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

use crate::centre::frame::{CentreFrame, ErrorPage, Icon, respond};
pub(crate) use crate::centre::frame::{Cover, Pic, Price, Tab, Tag};
use crate::centre::{expired_page, member_of, t};
use crate::forms::form_key;
use crate::page::{Lang, fmt_time, num};
use crate::{LangQuery, Web, lang_of};

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

// ---- paying ---------------------------------------------------------------------------------

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

    fn page<T: Template>(&self, status: StatusCode, page: &T) -> Response {
        respond(status, page, &self.cookies)
    }

    fn partition(&self) -> String {
        MemberRef::Id {
            member_id: self.member.0,
        }
        .partition()
    }

    /// The frame of a page of this member's centre (see [`CentreFrame::inner`]).
    fn frame(&self, tab: Option<Tab>, title: &str, back: Option<&str>, here: &str) -> CentreFrame {
        CentreFrame::inner(
            self.lang,
            &self.token,
            &self.ctx.program.name,
            title,
            tab,
            back.map(str::to_string),
            here.to_string(),
        )
    }

    /// A page that says something could not be found, with a way back.
    fn not_found(&self, what: &str, back: &str, back_label: &str) -> Response {
        self.error(
            StatusCode::NOT_FOUND,
            t(self.lang, "找不到", "Not found"),
            what,
            back,
            back_label,
        )
    }

    /// A refusal the member should read (409): what happened, with a way back.
    fn refused(&self, what: &str, back: &str, back_label: &str) -> Response {
        let title = t(self.lang, "积分中心", "Points centre");
        self.error(StatusCode::CONFLICT, title, what, back, back_label)
    }

    /// The error page saying `what` (something not found, or refused), with a way back.
    fn error(
        &self,
        status: StatusCode,
        title: &str,
        what: &str,
        back: &str,
        back_label: &str,
    ) -> Response {
        let frame = self.frame(None, title, Some(back), back);
        let page = ErrorPage {
            frame: &frame,
            heading: what,
            detail: None,
            icon: status == StatusCode::NOT_FOUND,
            alert: status != StatusCode::NOT_FOUND,
            back: Some((back, back_label)),
        };
        respond(status, &page, &self.cookies)
    }

    /// A failure the member cannot fix here: the service is busy, a fault (logged, never shown
    /// in detail), or a refusal, said in words.
    fn unavailable(&self, e: &AppError) -> Response {
        crate::centre::unavailable(self.lang, &self.token, &self.ctx.program.name, e)
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
    jifen_app::mall::money_text(currency, minor)
}

/// Labels of an item: flash sale, presale, not yet on sale (when it starts), ended.
fn labels(lang: Lang, i: &MemberItem, tz: &jiff::tz::TimeZone) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut tag = |class, text: String| out.push(Tag { class, text });
    if i.item.flash_sale {
        tag("flash", t(lang, "限时秒杀", "Flash sale").into());
    }
    if i.item.presale {
        tag("pre", t(lang, "预售", "Presale").into());
    }
    if i.not_on_sale_yet() {
        let from = fmt_time(i.item.sale_from.unwrap_or(0), tz);
        tag("soon", format!("{from} {}", t(lang, "开抢", "starts")));
    } else if i.sale_ended() {
        tag("off", t(lang, "已结束", "Ended").into());
    }
    out
}

/// Points short, when the member is short of any.
fn shortfall(short: i64) -> Option<String> {
    (short > 0).then(|| num(short))
}

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
use jifen_app::mall::{Address, PlaceOrder};
use jifen_app::{AppError, ProgramCtx};
use jifen_ledger::{LedgerError, MemberId, PointType, ProgramId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::centre::{expired_page, member_of, t};
use crate::forms::form_key;
use crate::page::{Lang, esc, fmt_time, name_of, num};
use crate::{LangQuery, Web, html, lang_of};

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
    format!("<nav class=\"tabs\">{links}</nav>")
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
         <header class=\"topbar\">{back}<h1>{}</h1>{}</header><div class=\"wrap\">{body}</div>{}</body></html>",
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

/// The cover image of an item, or a drawn placeholder with its first letter.
pub(crate) fn cover(item: &Value, name: &str, class: &str) -> String {
    match item["images"][0].as_i64() {
        Some(id) => format!(
            "<img class=\"{class}\" src=\"/media/{id}/thumb\" alt=\"{}\">",
            esc(name)
        ),
        None => format!(
            "<div class=\"{class} ph\" aria-hidden=\"true\">{}</div>",
            esc(&name.chars().next().map(String::from).unwrap_or_default())
        ),
    }
}

/// Labels of an item: flash sale, presale, not yet on sale.
fn labels(lang: Lang, item: &Value, tz: &jiff::tz::TimeZone) -> String {
    let mut out = String::new();
    if item["flash_sale"].as_bool() == Some(true) {
        out.push_str(&format!(
            "<span class=\"tag flash\">{}</span>",
            t(lang, "限时秒杀", "Flash sale")
        ));
    }
    if item["presale"].as_bool() == Some(true) {
        out.push_str(&format!(
            "<span class=\"tag pre\">{}</span>",
            t(lang, "预售", "Presale")
        ));
    }
    match item["window"].as_str() {
        Some("not_on_sale_yet") => out.push_str(&format!(
            "<span class=\"tag soon\">{} {}</span>",
            fmt_time(item["sale_from"].as_i64().unwrap_or(0), tz),
            t(lang, "开抢", "starts")
        )),
        Some("sale_ended") => out.push_str(&format!(
            "<span class=\"tag off\">{}</span>",
            t(lang, "已结束", "Ended")
        )),
        _ => {}
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

// ---- the mall -----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct MallQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    cat: Option<String>,
}

/// The cheapest SKU of an item as the member sees it (the one the card shows).
fn cheapest(item: &Value) -> Option<&Value> {
    item["skus"]
        .as_array()?
        .iter()
        .min_by_key(|s| s["points"].as_i64().unwrap_or(i64::MAX))
}

async fn mall(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<MallQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (ctx, member, loc, now) = (c.ctx.clone(), c.member, c.loc(), web.app.now());
    let data = web
        .app
        .read(move |tx| jifen_app::mall::member_catalog(tx, &ctx, member, None, loc, now))
        .await;
    let cat = match data {
        Ok(v) => v,
        Err(e) => return c.failed(e),
    };
    let lang = c.lang;
    let items = cat["items"].as_array().cloned().unwrap_or_default();
    let mut cats: Vec<String> = items
        .iter()
        .filter_map(|i| i["category"].as_str().map(String::from))
        .collect();
    cats.sort();
    cats.dedup();
    let chosen = q.cat.filter(|k| cats.contains(k));
    let chips: String = std::iter::once((None, t(lang, "全部", "All").to_string()))
        .chain(cats.iter().map(|k| (Some(k.clone()), k.clone())))
        .map(|(k, label)| {
            let href = match &k {
                Some(k) => format!("/m/{token}/mall?cat={}", esc(k)),
                None => format!("/m/{token}/mall"),
            };
            format!(
                "<a class=\"chip{}\" href=\"{href}\">{}</a>",
                if k == chosen { " on" } else { "" },
                esc(&label)
            )
        })
        .collect();
    let currency = c.ctx.program.currency.clone();
    let cards: String = items
        .iter()
        .filter(|i| chosen.is_none() || i["category"].as_str() == chosen.as_deref())
        .map(|i| goods_card(lang, &token, i, &currency, &c.ctx.tz))
        .collect();
    let grid = if cards.is_empty() {
        format!(
            "<div class=\"card empty\"><div class=\"big\">{}</div><p class=\"muted\">{}</p></div>",
            icon(ICON_MALL),
            t(lang, "商城即将上新，敬请期待", "New items are coming soon")
        )
    } else {
        format!("<div class=\"goods-grid\">{cards}</div>")
    };
    let body = format!(
        "<div class=\"strip\"><span>{}</span><b>{}</b><a href=\"/m/{token}/orders\">{} ›</a></div>\
         <div class=\"chips\">{chips}</div>{grid}",
        t(lang, "我的积分", "My points"),
        num(cat["available_points"].as_i64().unwrap_or(0)),
        t(lang, "我的订单", "My orders"),
    );
    let here = match &chosen {
        Some(k) => format!("/m/{token}/mall?cat={k}"),
        None => format!("/m/{token}/mall"),
    };
    c.page(
        StatusCode::OK,
        shell(
            &c,
            Some(Tab::Mall),
            t(lang, "积分商城", "Points mall"),
            Some(&format!("/m/{token}")),
            &here,
            &body,
        ),
    )
}

fn goods_card(
    lang: Lang,
    token: &str,
    i: &Value,
    currency: &str,
    tz: &jiff::tz::TimeZone,
) -> String {
    let name = name_of(lang, i, "name_zh", "name_en");
    let Some(sku) = cheapest(i) else {
        return String::new();
    };
    // "From" only when the SKUs' prices differ.
    let many = i["skus"].as_array().is_some_and(|s| {
        s.iter()
            .any(|k| k["points"] != sku["points"] || k["cash_minor"] != sku["cash_minor"])
    });
    let stock: i64 = i["skus"]
        .as_array()
        .map(|s| s.iter().map(|k| k["stock"].as_i64().unwrap_or(0)).sum())
        .unwrap_or(0);
    let sold_out = stock <= 0;
    let stock_line = if sold_out {
        format!(
            "<span class=\"out\">{}</span>",
            t(lang, "已兑完", "Sold out")
        )
    } else if lang == Lang::En {
        format!("{} left", num(stock))
    } else {
        format!("库存 {}", num(stock))
    };
    format!(
        "<a class=\"goods{}\" href=\"/m/{token}/mall/{}\"><div class=\"pic\">{}<div class=\"tags\">{}</div>{}</div>\
         <div class=\"gn\">{}</div><div class=\"gp\">{}{}</div><div class=\"gs\">{}<span class=\"stock\">{stock_line}</span></div></a>",
        if sold_out { " sold" } else { "" },
        i["id"],
        cover(i, name, "img"),
        labels(lang, i, tz),
        if sold_out {
            format!(
                "<div class=\"veil\">{}</div>",
                t(lang, "已兑完", "Sold out")
            )
        } else {
            String::new()
        },
        esc(name),
        price(
            lang,
            sku["points"].as_i64().unwrap_or(0),
            sku["cash_minor"].as_i64().unwrap_or(0),
            currency
        ),
        if many {
            format!("<small>{}</small>", t(lang, " 起", " up"))
        } else {
            String::new()
        },
        if sold_out {
            String::new()
        } else {
            short_note(lang, sku["points_short"].as_i64().unwrap_or(0))
        },
    )
}

// ---- one item -------------------------------------------------------------------------------

/// An item as the member sees it, with what they have.
struct Seen {
    item: Value,
    balance: i64,
    /// Units of the item the member holds (orders not cancelled), in all and today.
    bought: i64,
    bought_today: i64,
}

/// Loads an item the member may see (on sale, in their audience). `None` when there is none.
async fn seen(web: &Web, c: &Centre, raw_id: &str) -> Result<Option<Seen>, Response> {
    let Some(id) = crate::forms::positive_id(raw_id) else {
        return Ok(None);
    };
    let (ctx, member, loc, now) = (c.ctx.clone(), c.member, c.loc(), web.app.now());
    let r = web
        .app
        .read(move |tx| {
            let cat = jifen_app::mall::member_catalog(tx, &ctx, member, None, loc, now)?;
            let Some(item) = cat["items"]
                .as_array()
                .and_then(|is| is.iter().find(|i| i["id"].as_i64() == Some(id)))
                .cloned()
            else {
                return Ok(None);
            };
            let (bought, bought_today) =
                jifen_app::member_centre::units_bought(tx, &ctx, member, id, now)?;
            Ok(Some(Seen {
                item,
                balance: cat["available_points"].as_i64().unwrap_or(0),
                bought,
                bought_today,
            }))
        })
        .await;
    r.map_err(|e| c.failed(e))
}

fn item_missing(c: &Centre) -> Response {
    c.not_found(
        t(c.lang, "商品不存在或已下架", "This item is not available"),
        &format!("/m/{}/mall", c.token),
        t(c.lang, "去商城逛逛", "Back to the mall"),
    )
}

/// The item page's and the confirm page's query: the SKU and quantity chosen.
#[derive(Deserialize, Default)]
struct ItemQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    qty: Option<String>,
}

async fn item(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Query(q): Query<ItemQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let s = match seen(&web, &c, &raw).await {
        Ok(Some(s)) => s,
        Ok(None) => return item_missing(&c),
        Err(r) => return r,
    };
    let known = q
        .sku
        .as_deref()
        .is_none_or(|k| sku_of(&s.item, k).is_some());
    let (status, error) = if known {
        (StatusCode::OK, None)
    } else {
        (
            StatusCode::BAD_REQUEST,
            Some(t(
                c.lang,
                "没有这个规格，请重新选择",
                "No such option; choose again",
            )),
        )
    };
    let qty = q
        .qty
        .as_deref()
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1);
    c.page(status, item_page(&c, &s, q.sku.as_deref(), qty, error))
}

fn sku_of<'a>(item: &'a Value, code: &str) -> Option<&'a Value> {
    item["skus"]
        .as_array()?
        .iter()
        .find(|s| s["sku"].as_str() == Some(code))
}

/// The most one member may take now: stock, the per-order maximum and their limits.
fn max_qty(s: &Seen, sku: &Value) -> i64 {
    let mut m = sku["stock"]
        .as_i64()
        .unwrap_or(0)
        .min(jifen_domain::mall::QUANTITY_MAX);
    let flash = s.item["flash_sale"].as_bool() == Some(true);
    let lifetime = s.item["limits"]["lifetime"]
        .as_i64()
        .or(flash.then_some(1))
        .map(|l| if flash { l.min(1) } else { l });
    if let Some(l) = lifetime {
        m = m.min(l - s.bought);
    }
    if let Some(l) = s.item["limits"]["per_day"].as_i64() {
        m = m.min(l - s.bought_today);
    }
    m.max(0)
}

fn limits_note(lang: Lang, s: &Seen) -> String {
    let mut parts = Vec::new();
    let flash = s.item["flash_sale"].as_bool() == Some(true);
    let lifetime = s.item["limits"]["lifetime"]
        .as_i64()
        .or(flash.then_some(1))
        .map(|l| if flash { l.min(1) } else { l });
    if let Some(l) = lifetime {
        parts.push(if lang == Lang::En {
            format!("{l} per member (you have {})", s.bought)
        } else {
            format!("每人限兑 {l} 件（已兑 {} 件）", s.bought)
        });
    }
    if let Some(l) = s.item["limits"]["per_day"].as_i64() {
        parts.push(if lang == Lang::En {
            format!("{l} a day (today {})", s.bought_today)
        } else {
            format!("每天限兑 {l} 件（今日已兑 {} 件）", s.bought_today)
        });
    }
    parts.join(" · ")
}

fn item_page(c: &Centre, s: &Seen, want: Option<&str>, qty: i64, error: Option<&str>) -> String {
    let lang = c.lang;
    let token = &c.token;
    let i = &s.item;
    let id = i["id"].as_i64().unwrap_or(0);
    let name = name_of(lang, i, "name_zh", "name_en");
    let currency = &c.ctx.program.currency;
    let skus = i["skus"].as_array().cloned().unwrap_or_default();
    // The SKU shown: the one asked for, else the first in stock, else the first.
    let chosen = want
        .and_then(|k| sku_of(i, k))
        .or_else(|| skus.iter().find(|k| k["stock"].as_i64().unwrap_or(0) > 0))
        .or_else(|| skus.first())
        .cloned()
        .unwrap_or(Value::Null);
    let points = chosen["points"].as_i64().unwrap_or(0);
    let cash = chosen["cash_minor"].as_i64().unwrap_or(0);
    let max = max_qty(s, &chosen);
    let qty = qty.clamp(1, max.max(1));
    let market = chosen["market_price_minor"]
        .as_i64()
        .map(|m| {
            format!(
                "<span class=\"market\">{}<s>{}</s></span>",
                t(lang, "市场价", "Market price"),
                money(m, currency)
            )
        })
        .unwrap_or_default();
    let gallery: String = i["images"]
        .as_array()
        .filter(|a| a.len() > 1)
        .map(|a| {
            let thumbs: String = a
                .iter()
                .filter_map(|v| v.as_i64())
                .map(|id| format!("<img src=\"/media/{id}\" alt=\"\">"))
                .collect();
            format!("<div class=\"thumbs\">{thumbs}</div>")
        })
        .unwrap_or_default();
    let options: String = if skus.len() > 1 {
        let opts: String = skus
            .iter()
            .map(|k| {
                let code = k["sku"].as_str().unwrap_or("");
                let stock = k["stock"].as_i64().unwrap_or(0);
                let label = k["name"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .unwrap_or(code);
                format!(
                    "<label class=\"opt{}\"><input type=\"radio\" name=\"sku\" value=\"{}\"{}{}><span>{}<small>{} {}</small></span></label>",
                    if stock <= 0 { " off" } else { "" },
                    esc(code),
                    if chosen["sku"].as_str() == Some(code) {
                        " checked"
                    } else {
                        ""
                    },
                    if stock <= 0 { " disabled" } else { "" },
                    esc(label),
                    num(k["points"].as_i64().unwrap_or(0)),
                    t(lang, "积分", "pts"),
                )
            })
            .collect();
        format!(
            "<div class=\"field\"><div class=\"lbl\">{}</div><div class=\"opts\">{opts}</div></div>",
            t(lang, "规格", "Option")
        )
    } else {
        format!(
            "<input type=\"hidden\" name=\"sku\" value=\"{}\">",
            esc(chosen["sku"].as_str().unwrap_or(""))
        )
    };
    let stock = chosen["stock"].as_i64().unwrap_or(0);
    let window = i["window"].as_str();
    let short = (points * qty - s.balance).max(0);
    let (button, disabled) = if stock <= 0 {
        (t(lang, "已兑完", "Sold out").to_string(), true)
    } else if window == Some("not_on_sale_yet") {
        (
            format!(
                "{} {}",
                fmt_time(i["sale_from"].as_i64().unwrap_or(0), &c.ctx.tz),
                t(lang, "开抢", "starts")
            ),
            true,
        )
    } else if window == Some("sale_ended") {
        (
            t(lang, "活动已结束", "The sale has ended").to_string(),
            true,
        )
    } else if max <= 0 {
        (t(lang, "已达兑换上限", "Limit reached").to_string(), true)
    } else {
        (t(lang, "立即兑换", "Redeem").to_string(), false)
    };
    let description: String = name_of(lang, i, "description_zh", "description_en")
        .split('\n')
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", esc(p)))
        .collect();
    let description = if description.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=\"card\"><h2>{}</h2><div class=\"desc\">{description}</div></div>",
            t(lang, "商品详情", "Details")
        )
    };
    let limits = limits_note(lang, s);
    let kind_note = match i["kind"]["type"].as_str() {
        Some("physical") => t(lang, "实物商品 · 包邮到家", "Shipped to your address"),
        Some("coupon") => t(lang, "优惠券 · 兑换后立即到账", "Coupon · issued at once"),
        Some("experience") => t(
            lang,
            "体验活动 · 商家将与你联系",
            "Experience · the shop contacts you",
        ),
        _ => t(lang, "虚拟权益 · 由商家发放", "Delivered by the shop"),
    };
    let error = error
        .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "{}{error}<div class=\"card hero-item\">{}{gallery}<div class=\"tags row\">{}</div><h2 class=\"title\">{}</h2>\
         <div class=\"price\">{}</div>{market}<div class=\"facts\"><span>{}</span><span>{}</span></div>{}</div>\
         <form class=\"card buy\" method=\"get\" action=\"/m/{token}/mall/{id}/confirm\">{options}\
         <div class=\"field\"><div class=\"lbl\">{}</div><div class=\"qty\"><button type=\"button\" data-d=\"-1\" aria-label=\"-\">−</button>\
         <input type=\"number\" name=\"qty\" id=\"qty\" value=\"{qty}\" min=\"1\" max=\"{}\" inputmode=\"numeric\"><button type=\"button\" data-d=\"1\" aria-label=\"+\">+</button></div></div>\
         <div class=\"have\">{} <b>{}</b> · {}</div>\
         <button class=\"btn\" type=\"submit\"{}>{}</button></form>{description}\
         <script>document.querySelectorAll('.qty button').forEach(function(b){{b.onclick=function(){{var i=document.getElementById('qty');var v=(parseInt(i.value,10)||1)+parseInt(b.dataset.d,10);i.value=Math.max(1,Math.min(parseInt(i.max,10)||1,v));}};}});</script>",
        steps(lang, 1),
        cover(i, name, "cover"),
        labels(lang, i, &c.ctx.tz),
        esc(name),
        price(lang, points, cash, currency),
        kind_note,
        if stock > 0 {
            if lang == Lang::En {
                format!("{} in stock", num(stock))
            } else {
                format!("库存 {}", num(stock))
            }
        } else {
            t(lang, "已兑完", "Sold out").to_string()
        },
        if limits.is_empty() {
            String::new()
        } else {
            format!("<div class=\"muted limits\">{}</div>", esc(&limits))
        },
        t(lang, "数量", "Quantity"),
        max.max(1),
        t(lang, "我的积分", "My points"),
        num(s.balance),
        short_note(lang, short)
            + &chosen["spend_message"]
                .as_str()
                .filter(|_| qty == 1 && short > 0)
                .map(|m| format!("<span class=\"spend\">{}</span>", esc(m)))
                .unwrap_or_default(),
        if disabled { " disabled" } else { "" },
        esc(&button),
    );
    shell(
        c,
        Some(Tab::Mall),
        t(lang, "商品详情", "Item"),
        Some(&format!("/m/{token}/mall")),
        &format!("/m/{token}/mall/{id}"),
        &body,
    )
}

// ---- confirm and pay ------------------------------------------------------------------------

/// What the member typed on the confirm page.
#[derive(Deserialize, Default, Clone)]
struct RedeemForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    qty: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    line: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    lang: Option<String>,
}

fn key_ok(k: &str) -> bool {
    (16..=64).contains(&k.len()) && k.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Parses a quantity from the form: 1 to the per-order maximum.
fn parse_qty(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(1);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|q| (1..=jifen_domain::mall::QUANTITY_MAX).contains(q))
}

type FieldErrors = BTreeMap<&'static str, String>;

/// Checks every address field, with the message to show next to it.
fn check_address(lang: Lang, f: &RedeemForm) -> FieldErrors {
    let mut e = FieldErrors::new();
    let len = |s: &str| s.trim().chars().count();
    if len(&f.name) == 0 {
        e.insert(
            "name",
            t(lang, "请填写收货人", "Enter the recipient's name").into(),
        );
    } else if f.name.chars().count() > 40 {
        e.insert(
            "name",
            t(lang, "收货人最多40个字", "At most 40 characters").into(),
        );
    }
    let digits = f.phone.chars().filter(|c| c.is_ascii_digit()).count();
    if len(&f.phone) == 0 {
        e.insert(
            "phone",
            t(lang, "请填写手机号码", "Enter a phone number").into(),
        );
    } else if !f
        .phone
        .trim()
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
        || digits < 5
        || f.phone.chars().count() > 20
    {
        e.insert(
            "phone",
            t(
                lang,
                "手机号码格式不正确（5到20位数字，可含 + 和 -）",
                "Not a phone number (5 to 20 digits; + and - allowed)",
            )
            .into(),
        );
    }
    if len(&f.city) == 0 {
        e.insert("city", t(lang, "请填写所在城市", "Enter the city").into());
    } else if f.city.chars().count() > 40 {
        e.insert(
            "city",
            t(lang, "城市最多40个字", "At most 40 characters").into(),
        );
    }
    if len(&f.line) < 4 {
        e.insert(
            "line",
            t(
                lang,
                "请填写详细地址（街道、门牌号）",
                "Enter the street address",
            )
            .into(),
        );
    } else if f.line.chars().count() > 200 {
        e.insert(
            "line",
            t(lang, "详细地址最多200个字", "At most 200 characters").into(),
        );
    }
    let pc = f.postcode.trim();
    if !pc.is_empty()
        && (pc.chars().count() > 10
            || !pc
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-')))
    {
        e.insert(
            "postcode",
            t(lang, "邮编格式不正确", "Not a postcode").into(),
        );
    }
    e
}

/// Step 2 from the item page's form: the SKU and quantity chosen, checked before showing.
async fn confirm(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Query(q): Query<ItemQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let s = match seen(&web, &c, &raw).await {
        Ok(Some(s)) => s,
        Ok(None) => return item_missing(&c),
        Err(r) => return r,
    };
    let f = RedeemForm {
        sku: q.sku.clone().unwrap_or_default(),
        qty: q.qty.clone().unwrap_or_default(),
        key: form_key(),
        ..Default::default()
    };
    confirm_or_back(&c, &s, &f, &FieldErrors::new(), None, StatusCode::OK)
}

/// The confirm page for a form, or the item page with the problem when the SKU or quantity
/// is not one the member can order (400).
fn confirm_or_back(
    c: &Centre,
    s: &Seen,
    f: &RedeemForm,
    errors: &FieldErrors,
    refusal: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = c.lang;
    let sku = if f.sku.is_empty() {
        match s.item["skus"].as_array() {
            Some(a) if a.len() == 1 => a.first(),
            _ => None,
        }
    } else {
        sku_of(&s.item, &f.sku)
    };
    let Some(sku) = sku.cloned() else {
        let msg = if f.sku.is_empty() {
            t(lang, "请先选择规格", "Choose an option first")
        } else {
            t(
                lang,
                "没有这个规格，请重新选择",
                "No such option; choose again",
            )
        };
        return c.page(StatusCode::BAD_REQUEST, item_page(c, s, None, 1, Some(msg)));
    };
    let Some(qty) = parse_qty(&f.qty) else {
        let msg = if lang == Lang::En {
            format!(
                "Quantity must be a whole number from 1 to {}",
                jifen_domain::mall::QUANTITY_MAX
            )
        } else {
            format!("数量须为1到{}之间的整数", jifen_domain::mall::QUANTITY_MAX)
        };
        return c.page(
            StatusCode::BAD_REQUEST,
            item_page(c, s, sku["sku"].as_str(), 1, Some(&msg)),
        );
    };
    c.page(status, confirm_page(c, s, &sku, qty, f, errors, refusal))
}

fn field(
    name: &'static str,
    label: &str,
    value: &str,
    errors: &FieldErrors,
    extra: &str,
) -> String {
    let err = errors.get(name);
    format!(
        "<div class=\"field{}\"><label for=\"f-{name}\">{}</label><input id=\"f-{name}\" name=\"{name}\" value=\"{}\"{extra}{}>{}</div>",
        if err.is_some() { " bad" } else { "" },
        esc(label),
        esc(value),
        if err.is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"e-{name}\"")
        } else {
            String::new()
        },
        err.map(|e| format!(
            "<div class=\"ferr\" id=\"e-{name}\" role=\"alert\">{}</div>",
            esc(e)
        ))
        .unwrap_or_default(),
    )
}

fn confirm_page(
    c: &Centre,
    s: &Seen,
    sku: &Value,
    qty: i64,
    f: &RedeemForm,
    errors: &FieldErrors,
    refusal: Option<String>,
) -> String {
    let lang = c.lang;
    let token = &c.token;
    let i = &s.item;
    let id = i["id"].as_i64().unwrap_or(0);
    let currency = &c.ctx.program.currency;
    let name = name_of(lang, i, "name_zh", "name_en");
    let code = sku["sku"].as_str().unwrap_or("");
    let variant = sku["name"].as_str().unwrap_or("");
    let points = sku["points"].as_i64().unwrap_or(0);
    let cash = sku["cash_minor"].as_i64().unwrap_or(0);
    let total = points * qty;
    let total_cash = cash * qty;
    let after = s.balance - total;
    let stock = sku["stock"].as_i64().unwrap_or(0);
    let ships = i["kind"]["type"].as_str() == Some("physical");
    let mut warnings = Vec::new();
    if after < 0 {
        warnings.push(if lang == Lang::En {
            format!("Not enough points: {} points short", num(-after))
        } else {
            format!("积分不足，还差 {} 积分", num(-after))
        });
    }
    if stock < qty {
        warnings.push(if stock <= 0 {
            t(lang, "已兑完", "Sold out").to_string()
        } else if lang == Lang::En {
            format!("Only {} left", num(stock))
        } else {
            format!("库存仅剩 {} 件", num(stock))
        });
    }
    let refusal = refusal
        .map(|r| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(&r)))
        .unwrap_or_default();
    let warn = if warnings.is_empty() || !refusal.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=\"warn\" role=\"status\">{}</div>",
            esc(&warnings.join(" · "))
        )
    };
    let address = if ships {
        format!(
            "<div class=\"card\"><h2>{}</h2>{}{}{}{}{}</div>",
            t(lang, "收货地址", "Shipping address"),
            field(
                "name",
                t(lang, "收货人", "Recipient"),
                &f.name,
                errors,
                " autocomplete=\"name\" maxlength=\"60\""
            ),
            field(
                "phone",
                t(lang, "手机号码", "Phone"),
                &f.phone,
                errors,
                " type=\"tel\" autocomplete=\"tel\" inputmode=\"tel\" maxlength=\"30\""
            ),
            field(
                "city",
                t(lang, "所在城市", "City"),
                &f.city,
                errors,
                " autocomplete=\"address-level2\" maxlength=\"60\""
            ),
            field(
                "line",
                t(lang, "详细地址", "Street address"),
                &f.line,
                errors,
                " autocomplete=\"street-address\" maxlength=\"240\""
            ),
            field(
                "postcode",
                t(lang, "邮编（选填）", "Postcode (optional)"),
                &f.postcode,
                errors,
                " autocomplete=\"postal-code\" inputmode=\"numeric\" maxlength=\"12\""
            ),
        )
    } else {
        String::new()
    };
    let cash_note = if total_cash > 0 {
        format!(
            "<div class=\"note\">{}</div>",
            if lang == Lang::En {
                format!(
                    "The points are held now; the cash part, {}, is paid at the shop. The order waits for that payment.",
                    money(total_cash, currency)
                )
            } else {
                format!(
                    "积分将先冻结；现金部分 {} 请在门店支付，支付后订单生效。",
                    money(total_cash, currency)
                )
            }
        )
    } else {
        String::new()
    };
    let button = if total_cash > 0 {
        if lang == Lang::En {
            format!("Place order · {} pts", num(total))
        } else {
            format!("提交订单 · {} 积分", num(total))
        }
    } else if lang == Lang::En {
        format!("Pay {} points", num(total))
    } else {
        format!("确认支付 {} 积分", num(total))
    };
    let blocked = after < 0 || stock < qty;
    let body = format!(
        "{}{refusal}{warn}<form method=\"post\" action=\"/m/{token}/mall/{id}/redeem\" class=\"confirm\">\
         <input type=\"hidden\" name=\"sku\" value=\"{}\"><input type=\"hidden\" name=\"qty\" value=\"{qty}\"><input type=\"hidden\" name=\"key\" value=\"{}\">\
         <div class=\"card line-item\">{}<div class=\"li\"><div class=\"gn\">{}</div><div class=\"muted\">{}</div><div class=\"gp\">{}<span class=\"x\">× {qty}</span></div></div></div>\
         {address}<div class=\"card sums\"><div><span>{}</span><b>{}</b></div><div><span>{}</span><b class=\"neg\">−{}</b></div>{}\
         <div class=\"after\"><span>{}</span><b class=\"{}\">{}</b></div></div>{cash_note}\
         <div class=\"paybar\"><div><small>{}</small><b>{}</b>{}</div><button class=\"btn\" type=\"submit\"{}>{}</button></div></form>\
         <script>document.querySelector('form.confirm').addEventListener('submit',function(e){{var b=this.querySelector('button[type=submit]');if(b.dataset.sent){{e.preventDefault();return;}}b.dataset.sent='1';b.classList.add('busy');}});</script>",
        steps(lang, 2),
        esc(code),
        esc(&f.key),
        cover(i, name, "thumb"),
        esc(name),
        esc(variant),
        price(lang, points, cash, currency),
        t(lang, "当前积分", "Points now"),
        num(s.balance),
        t(lang, "本次消耗", "This redemption"),
        num(total),
        if total_cash > 0 {
            format!(
                "<div><span>{}</span><b>{}</b></div>",
                t(lang, "到店支付现金", "Cash at the shop"),
                money(total_cash, currency)
            )
        } else {
            String::new()
        },
        t(lang, "兑换后余额", "Balance after"),
        if after < 0 { "neg" } else { "pos" },
        if after < 0 {
            if lang == Lang::En {
                format!("{} short", num(-after))
            } else {
                format!("还差 {}", num(-after))
            }
        } else {
            num(after)
        },
        t(lang, "合计", "Total"),
        num(total),
        if total_cash > 0 {
            format!(
                "<small>{} + {}</small>",
                t(lang, "积分", " pts"),
                money(total_cash, currency)
            )
        } else {
            format!("<small>{}</small>", t(lang, "积分", " pts"))
        },
        if blocked { " disabled" } else { "" },
        esc(&button),
    );
    let here = format!("/m/{token}/mall/{id}/confirm?sku={}&qty={qty}", esc(code));
    shell(
        c,
        Some(Tab::Mall),
        t(lang, "确认兑换", "Confirm"),
        Some(&format!("/m/{token}/mall/{id}?sku={}&qty={qty}", esc(code))),
        &here,
        &body,
    )
}

/// What a refusal of an order says to the member.
fn refusal_text(lang: Lang, e: &AppError) -> Option<String> {
    let en = lang == Lang::En;
    Some(match e {
        AppError::Ledger(LedgerError::InsufficientPoints {
            available,
            requested,
        }) => {
            if en {
                format!(
                    "Not enough points: this needs {}, you have {} ({} short)",
                    num(*requested),
                    num(*available),
                    num(requested - available)
                )
            } else {
                format!(
                    "积分不足：需要 {}，当前可用 {}，还差 {} 积分",
                    num(*requested),
                    num(*available),
                    num(requested - available)
                )
            }
        }
        AppError::Conflict { code, details, .. } => match *code {
            "sold_out" => {
                let left = details["stock"].as_i64().unwrap_or(0);
                if left > 0 {
                    if en {
                        format!("Only {} left; choose fewer", num(left))
                    } else {
                        format!("库存仅剩 {} 件，请减少数量", num(left))
                    }
                } else {
                    t(lang, "手慢了，已兑完", "Sold out").into()
                }
            }
            "limit_reached" => {
                let limit = details["limit"]
                    .as_i64()
                    .or(details["per_day"].as_i64())
                    .unwrap_or(0);
                let had = details["bought"]
                    .as_i64()
                    .or(details["bought_today"].as_i64())
                    .unwrap_or(0);
                let daily = details["per_day"].is_i64();
                match (en, daily) {
                    (false, false) => format!("每人限兑 {limit} 件，你已兑换 {had} 件"),
                    (false, true) => format!("每天限兑 {limit} 件，你今天已兑换 {had} 件"),
                    (true, false) => format!("{limit} per member; you already have {had}"),
                    (true, true) => format!("{limit} a day per member; you have {had} today"),
                }
            }
            "not_on_sale" => t(lang, "该商品已下架", "This item is no longer on sale").into(),
            "not_on_sale_yet" => {
                t(lang, "还没开始，请稍后再来", "The sale has not started yet").into()
            }
            "sale_ended" => t(lang, "活动已结束", "The sale has ended").into(),
            "not_in_audience" => t(
                lang,
                "该商品仅限指定会员兑换",
                "This item is for other members",
            )
            .into(),
            _ => e.to_string(),
        },
        _ => return None,
    })
}

/// Step 3: the order placed and, for points-only items, paid with points, idempotently.
async fn redeem(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Form(mut f): Form<RedeemForm>,
) -> Response {
    let c = match enter(&web, &headers, &token, f.lang.take()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let s = match seen(&web, &c, &raw).await {
        Ok(Some(s)) => s,
        Ok(None) => return item_missing(&c),
        Err(r) => return r,
    };
    let (Some(sku), Some(qty)) = (sku_of(&s.item, &f.sku).cloned(), parse_qty(&f.qty)) else {
        return confirm_or_back(
            &c,
            &s,
            &f,
            &FieldErrors::new(),
            None,
            StatusCode::BAD_REQUEST,
        );
    };
    if f.qty.trim().is_empty() {
        // The form always carries the quantity; one without it was not ours.
        return confirm_or_back(
            &c,
            &s,
            &RedeemForm {
                qty: "x".into(),
                ..f
            },
            &FieldErrors::new(),
            None,
            StatusCode::BAD_REQUEST,
        );
    }
    if !key_ok(&f.key) {
        f.key = form_key();
        let msg = t(
            lang,
            "页面已过期，请再确认一次",
            "This page was stale; please confirm again",
        );
        return c.page(
            StatusCode::BAD_REQUEST,
            confirm_page(&c, &s, &sku, qty, &f, &FieldErrors::new(), Some(msg.into())),
        );
    }
    let ships = s.item["kind"]["type"].as_str() == Some("physical");
    let address = if ships {
        let errors = check_address(lang, &f);
        if !errors.is_empty() {
            return c.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                confirm_page(&c, &s, &sku, qty, &f, &errors, None),
            );
        }
        Some(Address {
            name: f.name.trim().to_string(),
            phone: f.phone.trim().to_string(),
            line: f.line.trim().to_string(),
            city: f.city.trim().to_string(),
            postcode: f.postcode.trim().to_string(),
        })
    } else {
        None
    };
    let o = PlaceOrder {
        member: MemberRef::Id {
            member_id: c.member.0,
        },
        sku: f.sku.clone(),
        quantity: qty,
        request_id: format!("centre-{}", f.key),
        address,
        pay_within_seconds: None,
    };
    let mut fp = b"centre_mall_order".to_vec();
    fp.extend(serde_json::to_vec(&o).expect("order serializes"));
    let idem = (
        format!("centre:{}:{}", c.member.0, f.key),
        jifen_app::sha256_hex(&fp),
    );
    let request_id = o.request_id.clone();
    let out = web
        .app
        .write(
            c.program,
            &c.partition(),
            Some(idem),
            move |tx, ctx, now| jifen_app::mall::place_order(tx, ctx, now, &o),
        )
        .await;
    let order_id = match out {
        Ok(out) => out.body["order_id"].as_i64(),
        // The same form sent again with other details: the first order stands.
        Err(AppError::IdempotencyMismatch) => {
            let (ctx, member) = (c.ctx.clone(), c.member);
            web.app
                .read(move |tx| {
                    jifen_app::member_centre::order_of_request(tx, &ctx, member, &request_id)
                })
                .await
                .ok()
                .flatten()
        }
        Err(AppError::Invalid { field, message }) => {
            let mut errors = FieldErrors::new();
            let known = ["name", "phone", "city", "line", "postcode"];
            match field
                .strip_prefix("address.")
                .and_then(|k| known.iter().find(|n| **n == k))
            {
                Some(k) => {
                    errors.insert(k, message);
                    return c.page(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        confirm_page(&c, &s, &sku, qty, &f, &errors, None),
                    );
                }
                None => {
                    return c.page(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        confirm_page(
                            &c,
                            &s,
                            &sku,
                            qty,
                            &f,
                            &errors,
                            Some(format!("{field}: {message}")),
                        ),
                    );
                }
            }
        }
        Err(AppError::NotFound { .. }) => return item_missing(&c),
        Err(e) => match refusal_text(lang, &e) {
            Some(msg) => {
                // Nothing was written; show the page as it is now, with the reason.
                let s = match seen(&web, &c, &raw).await {
                    Ok(Some(s)) => s,
                    Ok(None) => return item_missing(&c),
                    Err(r) => return r,
                };
                let sku = sku_of(&s.item, &f.sku).cloned().unwrap_or(sku);
                return c.page(
                    StatusCode::CONFLICT,
                    confirm_page(&c, &s, &sku, qty, &f, &FieldErrors::new(), Some(msg)),
                );
            }
            None => return c.unavailable(&e),
        },
    };
    match order_id {
        Some(id) => Redirect::to(&format!("/m/{token}/orders/{id}?placed=1")).into_response(),
        None => c.unavailable(&AppError::Internal("the order was not found".into())),
    }
}

// ---- orders ---------------------------------------------------------------------------------

fn state_word(lang: Lang, state: &str, ships: bool) -> (&'static str, &'static str) {
    use jifen_domain::words::{self, PAID_NOT_SHIPPED, Tone};
    let en = lang == Lang::En;
    match words::find(words::ORDER_STATES, state) {
        Some(w) if w.word.code == "paid" && !ships => (PAID_NOT_SHIPPED.text(en), w.tone.class()),
        Some(w) => (w.word.text(en), w.tone.class()),
        None => (t(lang, "处理中", "In progress"), Tone::Wait.class()),
    }
}

#[derive(Deserialize, Default)]
struct OrdersQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    before: Option<String>,
}

/// Orders per page of the member's list.
const ORDERS_PAGE: i64 = 20;

async fn orders(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<OrdersQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0);
    let (ctx, member) = (c.ctx.clone(), c.member);
    let data = web
        .app
        .read(move |tx| {
            let list =
                jifen_app::mall::list_orders(tx, &ctx, Some(member), None, before, ORDERS_PAGE)?;
            let mut covers = std::collections::HashMap::new();
            for o in list["items"].as_array().into_iter().flatten() {
                if let Some(id) = o["item_id"].as_i64()
                    && let std::collections::hash_map::Entry::Vacant(e) = covers.entry(id)
                {
                    let img = tx
                        .mall_item(ctx.program.id, id)?
                        .and_then(|r| serde_json::from_str::<Value>(&r.definition).ok())
                        .map(|d| d["images"].clone())
                        .unwrap_or(Value::Null);
                    e.insert(img);
                }
            }
            Ok((list, covers))
        })
        .await;
    let (list, covers) = match data {
        Ok(d) => d,
        Err(e) => return c.failed(e),
    };
    let lang = c.lang;
    let currency = &c.ctx.program.currency;
    let cards: String = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let id = o["order_id"].as_i64().unwrap_or(0);
            let ships = o["kind"]["type"].as_str() == Some("physical");
            let (word, class) = state_word(lang, o["state"].as_str().unwrap_or(""), ships);
            let name = name_of(lang, o, "item_name_zh", "item_name_en");
            let images = covers
                .get(&o["item_id"].as_i64().unwrap_or(0))
                .cloned()
                .unwrap_or(Value::Null);
            let track = match (o["carrier"].as_str(), o["tracking_no"].as_str()) {
                (Some(cr), Some(no)) => format!(
                    "<div class=\"track\">{} {} {}</div>",
                    icon(ICON_TRUCK),
                    esc(cr),
                    esc(no)
                ),
                _ => String::new(),
            };
            format!(
                "<a class=\"card order\" href=\"/m/{token}/orders/{id}\"><div class=\"oh\"><span class=\"muted\">{} · {} {}</span><span class=\"st {class}\">{word}</span></div>\
                 <div class=\"ob\">{}<div class=\"li\"><div class=\"gn\">{}</div><div class=\"gp\">{}<span class=\"x\">× {}</span></div>{track}</div></div></a>",
                fmt_time(o["created_at"].as_i64().unwrap_or(0), &c.ctx.tz),
                t(lang, "订单", "Order"),
                id,
                cover(&json!({"images": images}), name, "thumb"),
                esc(name),
                price(
                    lang,
                    o["points"].as_i64().unwrap_or(0),
                    o["cash_minor"].as_i64().unwrap_or(0),
                    currency
                ),
                o["quantity"],
            )
        })
        .collect();
    let more = list["next_before"]
        .as_i64()
        .map(|b| {
            format!(
                "<a class=\"btn ghost\" href=\"/m/{token}/orders?before={b}\">{}</a>",
                t(lang, "更多订单", "More orders")
            )
        })
        .unwrap_or_default();
    let body = if cards.is_empty() {
        format!(
            "<div class=\"card empty\"><div class=\"big\">{}</div><p class=\"muted\">{}</p><a class=\"btn\" href=\"/m/{token}/mall\">{}</a></div>",
            icon(ICON_ORDERS),
            t(lang, "还没有兑换记录", "No orders yet"),
            t(lang, "去商城逛逛", "Visit the mall")
        )
    } else {
        format!("{cards}{more}")
    };
    c.page(
        StatusCode::OK,
        shell(
            &c,
            Some(Tab::Orders),
            t(lang, "我的订单", "My orders"),
            Some(&format!("/m/{token}")),
            &format!("/m/{token}/orders"),
            &body,
        ),
    )
}

#[derive(Deserialize, Default)]
struct OrderQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    placed: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn order(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Query(q): Query<OrderQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let missing = || {
        c.not_found(
            t(lang, "找不到这个订单", "That order was not found"),
            &format!("/m/{token}/orders"),
            t(lang, "我的订单", "My orders"),
        )
    };
    let Some(id) = crate::forms::positive_id(&raw) else {
        return missing();
    };
    let (ctx, member, now) = (c.ctx.clone(), c.member, web.app.now());
    let data = web
        .app
        .read(move |tx| {
            let o = match jifen_app::mall::get_order(tx, &ctx, id) {
                Ok(o) => o,
                Err(AppError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            // Another member's order reads as unknown.
            if o["member_id"].as_i64() != Some(member.0) {
                return Ok(None);
            }
            let images = match o["item_id"].as_i64() {
                Some(i) => jifen_app::member_centre::item_images(tx, &ctx, i)?,
                None => Value::Null,
            };
            let b = jifen_app::views::balance(tx, &ctx, member, PointType::Points, now, 0)?;
            Ok(Some((o, images, b.available)))
        })
        .await;
    let (o, images, balance) = match data {
        Ok(Some(d)) => d,
        Ok(None) => return missing(),
        Err(e) => return c.failed(e),
    };
    let tz = &c.ctx.tz;
    let currency = &c.ctx.program.currency;
    let state = o["state"].as_str().unwrap_or("");
    let ships = o["kind"]["type"].as_str() == Some("physical");
    let (word, class) = state_word(lang, state, ships);
    let name = name_of(lang, &o, "item_name_zh", "item_name_en");
    let points = o["points"].as_i64().unwrap_or(0);
    let cash = o["cash_minor"].as_i64().unwrap_or(0);
    let history: Vec<&Value> = o["history"].as_array().into_iter().flatten().collect();
    let at_of = |s: &str| {
        history
            .iter()
            .rev()
            .find(|h| h["state"].as_str() == Some(s))
            .and_then(|h| h["at"].as_i64())
    };
    let placed = if q.placed.is_some() {
        let msg = if state == "pending_payment" {
            let deadline = o["pay_deadline"]
                .as_i64()
                .map(|d| fmt_time(d, tz))
                .unwrap_or_default();
            if lang == Lang::En {
                format!(
                    "Order placed. {} points are held; pay the cash part, {}, at the shop before {deadline}.",
                    num(points),
                    money(cash, currency)
                )
            } else {
                format!(
                    "订单已提交，已冻结 {} 积分。现金部分 {} 请于 {deadline} 前在门店支付。",
                    num(points),
                    money(cash, currency)
                )
            }
        } else if lang == Lang::En {
            format!("{} points paid; {} points left.", num(points), num(balance))
        } else {
            format!("已支付 {} 积分，剩余 {} 积分。", num(points), num(balance))
        };
        format!(
            "{}<div class=\"card success\" role=\"status\"><div class=\"tick\">{}</div><h2>{}</h2><p>{}</p></div>",
            steps(lang, if state == "pending_payment" { 3 } else { 4 }),
            icon(if state == "pending_payment" {
                ICON_CLOCK
            } else {
                ICON_CHECK
            }),
            if state == "pending_payment" {
                t(lang, "等待到店支付", "Awaiting payment at the shop")
            } else {
                t(lang, "兑换成功", "Redeemed")
            },
            esc(&msg)
        )
    } else {
        String::new()
    };
    let mut rows = vec![
        (t(lang, "订单号", "Order no."), id.to_string()),
        (
            t(lang, "下单时间", "Placed"),
            fmt_time(o["created_at"].as_i64().unwrap_or(0), tz),
        ),
        (
            t(lang, "积分", "Points"),
            format!("{} {}", num(points), t(lang, "积分", "pts")),
        ),
    ];
    if cash > 0 {
        rows.push((t(lang, "现金", "Cash"), money(cash, currency)));
    }
    if state == "pending_payment"
        && let Some(d) = o["pay_deadline"].as_i64()
    {
        rows.push((t(lang, "支付截止", "Pay by"), fmt_time(d, tz)));
    }
    let refunded = o["refunded_points"].as_i64().unwrap_or(0);
    if refunded > 0 {
        rows.push((t(lang, "已退积分", "Points refunded"), num(refunded)));
    }
    let facts: String = rows
        .iter()
        .map(|(k, v)| format!("<div><span>{k}</span><b>{}</b></div>", esc(v)))
        .collect();
    let logistics = match (o["carrier"].as_str(), o["tracking_no"].as_str()) {
        (Some(cr), Some(no)) => {
            let mut l = vec![
                (t(lang, "快递公司", "Carrier"), cr.to_string()),
                (t(lang, "运单号", "Tracking no."), no.to_string()),
            ];
            if let Some(at) = at_of("shipped") {
                l.push((t(lang, "发货时间", "Shipped"), fmt_time(at, tz)));
            }
            if let Some(at) = at_of("delivered") {
                l.push((t(lang, "签收时间", "Delivered"), fmt_time(at, tz)));
            }
            let rows: String = l
                .iter()
                .map(|(k, v)| format!("<div><span>{k}</span><b>{}</b></div>", esc(v)))
                .collect();
            format!(
                "<div class=\"card logistics\"><h2>{} {}</h2><div class=\"kv\">{rows}</div></div>",
                icon(ICON_TRUCK),
                t(lang, "物流信息", "Shipping")
            )
        }
        _ if ships && matches!(state, "paid" | "awaiting_stock") => format!(
            "<div class=\"card logistics\"><h2>{} {}</h2><p class=\"muted\">{}</p></div>",
            icon(ICON_TRUCK),
            t(lang, "物流信息", "Shipping"),
            t(
                lang,
                "商家正在备货，发货后这里会显示运单号",
                "The shop is preparing it; the tracking number appears here once shipped"
            )
        ),
        _ => String::new(),
    };
    let address = o["address"]
        .as_object()
        .map(|a| {
            let s = |k: &str| a.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            format!(
                "<div class=\"card\"><h2>{}</h2><div><b>{}</b> {}</div><div class=\"muted\">{} {} {}</div></div>",
                t(lang, "收货地址", "Shipping address"),
                esc(&s("name")),
                esc(&s("phone")),
                esc(&s("city")),
                esc(&s("line")),
                esc(&s("postcode")),
            )
        })
        .unwrap_or_default();
    let coupons = o["coupons"]
        .as_array()
        .filter(|a| !a.is_empty())
        .map(|a| {
            let codes: String = a
                .iter()
                .filter_map(|v| v.as_str())
                .map(|c| format!("<code>{}</code>", esc(c)))
                .collect();
            format!(
                "<div class=\"card\"><h2>{}</h2><div class=\"codes\">{codes}</div><a href=\"/m/{token}/coupons\">{} ›</a></div>",
                t(lang, "已发放优惠券", "Coupons issued"),
                t(lang, "查看我的券", "See my coupons")
            )
        })
        .unwrap_or_default();
    let timeline: String = history
        .iter()
        .rev()
        .map(|h| {
            let (w, _) = state_word(lang, h["state"].as_str().unwrap_or(""), ships);
            format!(
                "<li><b>{w}</b><span class=\"muted\">{}</span></li>",
                fmt_time(h["at"].as_i64().unwrap_or(0), tz)
            )
        })
        .collect();
    // Before it ships, a member may cancel: the points (and stock) come back.
    let cancel = if matches!(state, "pending_payment" | "paid" | "awaiting_stock")
        && (ships || state != "paid")
    {
        format!(
            "<form method=\"post\" action=\"/m/{token}/orders/{id}/cancel\" class=\"cancel\" onsubmit=\"return confirm('{}')\"><button class=\"btn ghost\">{}</button></form>",
            t(
                lang,
                "确定取消订单？积分将退回。",
                "Cancel the order? The points come back."
            ),
            t(lang, "取消订单", "Cancel the order"),
        )
    } else {
        String::new()
    };
    let placed = match q.done.as_deref() {
        Some("cancelled") => format!(
            "<div class=\"notice\" role=\"status\">{}</div>{placed}",
            t(
                lang,
                "订单已取消，积分已退回。",
                "The order is cancelled; the points are back."
            )
        ),
        _ => placed,
    };
    let body = format!(
        "{placed}<div class=\"card order-head\"><div class=\"oh\"><span class=\"st {class} big\">{word}</span></div>\
         <div class=\"ob\">{}<div class=\"li\"><div class=\"gn\">{}</div><div class=\"gp\">{}<span class=\"x\">× {}</span></div></div></div>\
         <div class=\"kv\">{facts}</div></div>{logistics}{coupons}{address}\
         <div class=\"card\"><h2>{}</h2><ul class=\"timeline\">{timeline}</ul></div>\
         {cancel}<div class=\"actions\"><a class=\"btn ghost\" href=\"/m/{token}/appeal?subject=order&amp;id={id}\">{}</a><a class=\"btn\" href=\"/m/{token}/mall\">{}</a></div>",
        cover(&json!({"images": images}), name, "thumb"),
        esc(name),
        price(
            lang,
            o["points"].as_i64().unwrap_or(0) / o["quantity"].as_i64().unwrap_or(1).max(1),
            cash / o["quantity"].as_i64().unwrap_or(1).max(1),
            currency
        ),
        o["quantity"],
        t(lang, "订单进度", "Progress"),
        t(lang, "申诉", "Appeal"),
        t(lang, "继续逛逛", "Keep shopping"),
    );
    c.page(
        StatusCode::OK,
        shell(
            &c,
            Some(Tab::Orders),
            t(lang, "订单详情", "Order"),
            Some(&format!("/m/{token}/orders")),
            &format!("/m/{token}/orders/{id}"),
            &body,
        ),
    )
}

// ---- coupons --------------------------------------------------------------------------------

fn coupon_value(lang: Lang, kind: &Value, currency: &str) -> (String, String) {
    match kind["type"].as_str() {
        Some("amount_off") => {
            let m = kind["amount_minor"].as_i64().unwrap_or(0);
            let v = if m % 100 == 0 {
                let sym = money(0, currency);
                let sym = sym.trim_end_matches("0.00").trim();
                format!("{sym}{}", num(m / 100))
            } else {
                money(m, currency)
            };
            (v, t(lang, "立减", "off").into())
        }
        Some("percent_off") => {
            let p = kind["percent"].as_i64().unwrap_or(0);
            let cap = kind["max_off_minor"]
                .as_i64()
                .map(|m| {
                    if lang == Lang::En {
                        format!(", up to {}", money(m, currency))
                    } else {
                        format!("，最高减{}", money(m, currency))
                    }
                })
                .unwrap_or_default();
            if lang == Lang::En {
                (format!("{p}%"), format!("off{cap}"))
            } else {
                let z = 100 - p;
                let zhe = if z % 10 == 0 {
                    format!("{}", z / 10)
                } else {
                    format!("{}.{}", z / 10, z % 10)
                };
                (format!("{zhe}折"), format!("折扣券{cap}"))
            }
        }
        Some("free_shipping") => (
            t(lang, "免邮", "Free").into(),
            t(lang, "运费券", "shipping").into(),
        ),
        Some("gift") => (
            t(lang, "赠品", "Gift").into(),
            esc(kind["gift"].as_str().unwrap_or("")),
        ),
        _ => (String::new(), String::new()),
    }
}

/// A member cancels their own order before it ships, through the same use case as staff
/// (`mall::act`, cancel): the points and the stock come back. Cancelling twice answers that the
/// order is cancelled already; another member's order reads as unknown.
async fn cancel(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
) -> Response {
    let c = match enter(&web, &headers, &token, None).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let missing = || {
        c.not_found(
            t(lang, "找不到这个订单", "That order was not found"),
            &format!("/m/{token}/orders"),
            t(lang, "我的订单", "My orders"),
        )
    };
    let Some(id) = crate::forms::positive_id(&raw) else {
        return missing();
    };
    let (ctx, member) = (c.ctx.clone(), c.member);
    let (state, ships) = match web
        .app
        .read(move |tx| match jifen_app::mall::get_order(tx, &ctx, id) {
            Ok(o) if o["member_id"].as_i64() == Some(member.0) => Ok(Some((
                o["state"].as_str().unwrap_or("").to_string(),
                o["kind"]["type"].as_str() == Some("physical"),
            ))),
            Ok(_) | Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return missing(),
        Err(e) => return c.failed(e),
    };
    let back = format!("/m/{token}/orders/{id}?done=cancelled");
    if state == "cancelled" {
        return Redirect::to(&back).into_response();
    }
    // Goods not yet shipped, or anything not yet paid; a paid coupon or virtual right has been
    // delivered already.
    let order_page = format!("/m/{token}/orders/{id}");
    if !(matches!(state.as_str(), "pending_payment" | "awaiting_stock")
        || (state == "paid" && ships))
    {
        return c.refused(
            t(
                lang,
                "订单已发货或已完成，无法取消；如有问题请申诉。",
                "The order has shipped or is done; appeal if something is wrong.",
            ),
            &order_page,
            t(lang, "返回订单", "Back to the order"),
        );
    }
    let u = jifen_app::mall::OrderUpdate {
        actor: Some(format!("member:{}", member.0)),
        reason: Some(t(lang, "会员取消", "Cancelled by the member").into()),
        ..Default::default()
    };
    let out = web
        .app
        .write(
            c.program,
            &format!("mall-order:{id}"),
            None,
            move |tx, ctx, now| {
                jifen_app::mall::act(
                    tx,
                    ctx,
                    now,
                    id,
                    jifen_domain::mall::OrderAction::Cancel,
                    &u,
                )
            },
        )
        .await;
    match out {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(AppError::Conflict { message, .. }) => c.refused(
            &message,
            &order_page,
            t(lang, "返回订单", "Back to the order"),
        ),
        Err(e) => c.failed(e),
    }
}

async fn coupons(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (ctx, member, now) = (c.ctx.clone(), c.member, web.app.now());
    let data = web
        .app
        .read(move |tx| jifen_app::coupons::member_coupons(tx, &ctx, member, None, now))
        .await;
    let list = match data {
        Ok(v) => v,
        Err(e) => return c.failed(e),
    };
    let lang = c.lang;
    let now = web.app.now();
    let tz = &c.ctx.tz;
    let currency = &c.ctx.program.currency;
    let all: Vec<&Value> = list["items"].as_array().into_iter().flatten().collect();
    let groups = [
        ("usable", t(lang, "可用", "Usable"), &["issued"][..]),
        ("used", t(lang, "已使用", "Used"), &["redeemed"][..]),
        (
            "expired",
            t(lang, "已过期", "Expired"),
            &["expired", "void"][..],
        ),
    ];
    let mut sections = String::new();
    let mut nav = String::new();
    for (id, title, statuses) in groups {
        let mine: Vec<&&Value> = all
            .iter()
            .filter(|v| statuses.contains(&v["status"].as_str().unwrap_or("")))
            .collect();
        nav.push_str(&format!(
            "<a class=\"chip\" href=\"#{id}\">{title} <b>{}</b></a>",
            mine.len()
        ));
        let cards: String = mine
            .iter()
            .map(|v| {
                let (big, small) = coupon_value(lang, &v["kind"], currency);
                let th = v["threshold_minor"].as_i64().unwrap_or(0);
                let threshold = if th > 0 {
                    if lang == Lang::En {
                        format!("On orders from {}", money(th, currency))
                    } else {
                        format!("满{}可用", money(th, currency))
                    }
                } else {
                    t(lang, "无门槛", "No minimum spend").to_string()
                };
                let from = v["valid_from"].as_i64().unwrap_or(0);
                let until = fmt_time(v["valid_until"].as_i64().unwrap_or(0), tz);
                let validity = if from > now {
                    if lang == Lang::En {
                        format!("Valid {} to {until}", fmt_time(from, tz))
                    } else {
                        format!("{} 起至 {until} 有效", fmt_time(from, tz))
                    }
                } else if lang == Lang::En {
                    format!("Valid until {until}")
                } else {
                    format!("有效期至 {until}")
                };
                let stamp = match v["status"].as_str() {
                    Some(s @ ("redeemed" | "void" | "expired")) => format!(
                        "<span class=\"stamp\">{}</span>",
                        jifen_domain::words::text(
                            jifen_domain::words::COUPON_STATUSES,
                            s,
                            lang == Lang::En
                        )
                    ),
                    _ => String::new(),
                };
                format!(
                    "<div class=\"coupon {id}\"><div class=\"cv\"><b>{big}</b><small>{small}</small></div>\
                     <div class=\"cd\"><div class=\"cn\">{}</div><div class=\"muted\">{}</div><div class=\"muted\">{}</div><code>{}</code></div>{stamp}</div>",
                    esc(name_of(lang, v, "name_zh", "name_en")),
                    esc(&threshold),
                    esc(&validity),
                    esc(v["code"].as_str().unwrap_or("")),
                )
            })
            .collect();
        let cards = if cards.is_empty() {
            format!("<p class=\"muted none\">{}</p>", t(lang, "暂无", "None"))
        } else {
            cards
        };
        sections.push_str(&format!(
            "<section id=\"{id}\"><h2 class=\"sect\">{title}</h2>{cards}</section>"
        ));
    }
    let body = format!("<div class=\"chips\">{nav}</div>{sections}");
    c.page(
        StatusCode::OK,
        shell(
            &c,
            Some(Tab::Coupons),
            t(lang, "我的优惠券", "My coupons"),
            Some(&format!("/m/{token}")),
            &format!("/m/{token}/coupons"),
            &body,
        ),
    )
}

// ---- the lucky wheel --------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct LotteryQuery {
    #[serde(default)]
    lang: Option<String>,
    /// The form key of a draw just made, to show its prize.
    #[serde(default)]
    r: Option<String>,
}

use jifen_app::member_centre::WheelView as Wheel;

async fn load_wheel(
    web: &Web,
    c: &Centre,
    code: &str,
    request: Option<String>,
) -> Result<Option<Wheel>, Response> {
    let (ctx, member, now, code) = (c.ctx.clone(), c.member, web.app.now(), code.to_string());
    let r = web
        .app
        .read(move |tx| {
            let drawn = request.filter(|k| key_ok(k)).map(|k| format!("centre-{k}"));
            jifen_app::member_centre::wheel(tx, &ctx, member, &code, drawn.as_deref(), now)
        })
        .await;
    r.map_err(|e| c.failed(e))
}

/// The wheel drawn as SVG: one slice per prize and one for the consolation.
fn wheel_svg(lang: Lang, def: &Value) -> (String, usize) {
    let mut names: Vec<String> = def["prizes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| name_of(lang, p, "name_zh", "name_en").to_string())
        .collect();
    names.push(name_of(lang, &def["consolation"], "name_zh", "name_en").to_string());
    let n = names.len().max(1);
    let step = 360.0 / n as f64;
    let (cx, cy, r) = (150.0_f64, 150.0_f64, 140.0_f64);
    let at = |deg: f64, rad: f64| {
        let a = deg.to_radians();
        (cx + rad * a.sin(), cy - rad * a.cos())
    };
    let colours = ["#b4532a", "#fde7d6", "#d9874f", "#fff6ee"];
    let mut slices = String::new();
    for (i, name) in names.iter().enumerate() {
        let mid = i as f64 * step;
        let (x0, y0) = at(mid - step / 2.0, r);
        let (x1, y1) = at(mid + step / 2.0, r);
        let fill = if i == n - 1 && n % 2 == 1 && n > 1 {
            colours[1]
        } else {
            colours[i % colours.len()]
        };
        let ink = if fill == "#b4532a" || fill == "#d9874f" {
            "#fff"
        } else {
            "#8a3a17"
        };
        let label: String = name.chars().take(8).collect();
        if n == 1 {
            slices.push_str(&format!(
                "<circle cx=\"150\" cy=\"150\" r=\"140\" fill=\"{fill}\"/>"
            ));
        } else {
            slices.push_str(&format!(
                "<path d=\"M150 150 L{x0:.2} {y0:.2} A140 140 0 {} 1 {x1:.2} {y1:.2} Z\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"2\"/>",
                if step > 180.0 { 1 } else { 0 }
            ));
        }
        slices.push_str(&format!(
            "<text transform=\"rotate({mid:.2} 150 150)\" x=\"150\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\" font-size=\"{}\" font-weight=\"600\">{}</text>",
            cy - r * 0.68,
            if label.chars().count() > 5 { 12 } else { 14 },
            esc(&label)
        ));
    }
    let svg = format!(
        "<svg class=\"disc\" viewBox=\"0 0 300 300\" role=\"img\" aria-label=\"{}\"><circle cx=\"150\" cy=\"150\" r=\"148\" fill=\"#8a3a17\"/>{slices}</svg>",
        t(lang, "幸运大转盘", "Lucky wheel")
    );
    (svg, n)
}

async fn lottery(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, code)): Path<(String, String)>,
    Query(q): Query<LotteryQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match load_wheel(&web, &c, &code, q.r.clone()).await {
        Ok(Some(w)) => c.page(StatusCode::OK, wheel_page(&c, &code, &w, None)),
        Ok(None) => lottery_missing(&c),
        Err(r) => r,
    }
}

fn lottery_missing(c: &Centre) -> Response {
    c.not_found(
        t(c.lang, "活动不存在或已结束", "This lottery does not exist"),
        &format!("/m/{}", c.token),
        t(c.lang, "回到首页", "Back home"),
    )
}

fn wheel_page(c: &Centre, code: &str, w: &Wheel, error: Option<String>) -> String {
    let lang = c.lang;
    let token = &c.token;
    let def = &w.def;
    let cost = def["cost_points"].as_i64().unwrap_or(0);
    let now_open = def["status"].as_str() == Some("active");
    let (svg, n) = wheel_svg(lang, def);
    let slice = w.drawn.as_ref().map(|d| {
        d.prize
            .map(|p| p as usize)
            .filter(|p| *p < n - 1)
            .unwrap_or(n - 1)
    });
    let step = 360.0 / n as f64;
    let turn = slice.map(|k| 360.0 * 6.0 - k as f64 * step).unwrap_or(0.0);
    let daily_left = def["per_member_per_day"]
        .as_i64()
        .map(|l| (l - w.draws_today).max(0));
    let life_left = def["per_member_lifetime"]
        .as_i64()
        .map(|l| (l - w.draws_all).max(0));
    let capped = daily_left == Some(0) || life_left == Some(0);
    let (button, disabled) = if !now_open {
        (t(lang, "活动未开放", "Not open").to_string(), true)
    } else if capped {
        (
            t(lang, "今日次数已用完", "No draws left today").to_string(),
            true,
        )
    } else if w.left > 0 {
        (
            if lang == Lang::En {
                format!("Spin free ({} left)", w.left)
            } else {
                format!("免费抽奖（剩 {} 次）", w.left)
            },
            false,
        )
    } else if cost > 0 {
        (
            if lang == Lang::En {
                format!("Spin · {} pts", num(cost))
            } else {
                format!("{} 积分抽一次", num(cost))
            },
            w.balance < cost,
        )
    } else {
        (t(lang, "暂无抽奖机会", "No draws left").to_string(), true)
    };
    let result = w
        .drawn
        .as_ref()
        .map(|d| {
            let (zh, en) = match d.prize.and_then(|p| def["prizes"].get(p as usize)) {
                Some(p) => (
                    p["name_zh"].as_str().unwrap_or("").to_string(),
                    p["name_en"].as_str().unwrap_or("").to_string(),
                ),
                None => (
                    def["consolation"]["name_zh"].as_str().unwrap_or("").to_string(),
                    def["consolation"]["name_en"].as_str().unwrap_or("").to_string(),
                ),
            };
            let prize = if lang == Lang::En { en } else { zh };
            let headline = if d.prize.is_some() {
                t(lang, "恭喜你抽中", "You won")
            } else {
                t(lang, "本次结果", "This time")
            };
            format!(
                "<div class=\"card success prize\" role=\"status\"><div class=\"tick\">{}</div><h2>{headline}</h2><p class=\"won\">{}</p><p class=\"muted\">{}</p></div>",
                icon(ICON_GIFT),
                esc(&prize),
                if d.cost_points > 0 {
                    if lang == Lang::En {
                        format!("{} points spent", num(d.cost_points))
                    } else {
                        format!("消耗 {} 积分", num(d.cost_points))
                    }
                } else {
                    t(lang, "使用了一次免费机会", "A free draw was used").to_string()
                }
            )
        })
        .unwrap_or_default();
    let error = error
        .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(&e)))
        .unwrap_or_default();
    let odds: String = def["prizes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let ppm = p["odds_ppm"].as_i64().unwrap_or(0);
            format!(
                "<li><span>{}</span><span class=\"muted\">{}.{:04}%</span></li>",
                esc(name_of(lang, p, "name_zh", "name_en")),
                ppm / 10_000,
                ppm % 10_000
            )
        })
        .collect();
    let mut facts = vec![if lang == Lang::En {
        format!("My points {}", num(w.balance))
    } else {
        format!("我的积分 {}", num(w.balance))
    }];
    facts.push(if lang == Lang::En {
        format!("Free draws {}", w.left)
    } else {
        format!("免费次数 {}", w.left)
    });
    if cost > 0 {
        facts.push(if lang == Lang::En {
            format!("{} pts a draw", num(cost))
        } else {
            format!("{} 积分/次", num(cost))
        });
    }
    if let Some(d) = daily_left {
        facts.push(if lang == Lang::En {
            format!("{d} left today")
        } else {
            format!("今日还可抽 {d} 次")
        });
    }
    let facts: String = facts
        .iter()
        .map(|f| format!("<span>{}</span>", esc(f)))
        .collect();
    let body = format!(
        "{error}{result}<div class=\"card wheel-card\"><h2 class=\"title\">{}</h2><div class=\"facts\">{facts}</div>\
         <div class=\"wheel\" data-turn=\"{turn:.2}\">{svg}<div class=\"pointer\" aria-hidden=\"true\"></div></div>\
         <form method=\"post\" action=\"/m/{token}/lottery/{}/draw\"><input type=\"hidden\" name=\"key\" value=\"{}\">\
         <button class=\"btn\" type=\"submit\"{}>{}</button></form></div>\
         <div class=\"card\"><h2>{}</h2><ul class=\"odds\">{odds}</ul></div>\
         <script>(function(){{var w=document.querySelector('.wheel'),d=w.querySelector('.disc'),t=parseFloat(w.dataset.turn)||0;if(t){{requestAnimationFrame(function(){{requestAnimationFrame(function(){{d.style.transform='rotate('+t+'deg)';}});}});}}\
         document.querySelector('.wheel-card form').addEventListener('submit',function(e){{var b=this.querySelector('button');if(b.dataset.sent){{e.preventDefault();return;}}b.dataset.sent='1';d.classList.add('spinning');}});}})();</script>",
        esc(name_of(lang, def, "name_zh", "name_en")),
        esc(code),
        form_key(),
        if disabled { " disabled" } else { "" },
        esc(&button),
        t(lang, "奖品与中奖概率（公示）", "Prizes and published odds"),
    );
    shell(
        c,
        None,
        t(lang, "幸运大转盘", "Lucky wheel"),
        Some(&format!("/m/{token}")),
        &format!("/m/{token}/lottery/{}", esc(code)),
        &body,
    )
}

#[derive(Deserialize, Default)]
struct DrawForm {
    #[serde(default)]
    key: String,
}

async fn draw(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, code)): Path<(String, String)>,
    Form(f): Form<DrawForm>,
) -> Response {
    let c = match enter(&web, &headers, &token, None).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let show = |w: Wheel, msg: String, status: StatusCode| {
        c.page(status, wheel_page(&c, &code, &w, Some(msg)))
    };
    if !key_ok(&f.key) {
        return match load_wheel(&web, &c, &code, None).await {
            Ok(Some(w)) => show(
                w,
                t(
                    lang,
                    "页面已过期，请再试一次",
                    "This page was stale; try again",
                )
                .into(),
                StatusCode::BAD_REQUEST,
            ),
            Ok(None) => lottery_missing(&c),
            Err(r) => r,
        };
    }
    let d = jifen_app::lottery::DrawIn {
        member: MemberRef::Id {
            member_id: c.member.0,
        },
        request_id: format!("centre-{}", f.key),
    };
    let mut fp = b"centre_lottery_draw".to_vec();
    fp.extend(code.as_bytes());
    fp.extend(serde_json::to_vec(&d).expect("draw serializes"));
    let idem = (
        format!("centre-draw:{}:{}", c.member.0, f.key),
        jifen_app::sha256_hex(&fp),
    );
    let code2 = code.clone();
    let out = web
        .app
        .write(
            c.program,
            &c.partition(),
            Some(idem),
            move |tx, ctx, now| jifen_app::lottery::draw(tx, ctx, now, &code2, &d),
        )
        .await;
    let msg = match out {
        Ok(_) | Err(AppError::IdempotencyMismatch) => {
            return Redirect::to(&format!("/m/{token}/lottery/{code}?r={}", f.key)).into_response();
        }
        Err(AppError::NotFound { .. }) => return lottery_missing(&c),
        Err(AppError::Ledger(LedgerError::InsufficientPoints {
            available,
            requested,
        })) => {
            if lang == Lang::En {
                format!(
                    "Not enough points: a draw costs {}, you have {}",
                    num(requested),
                    num(available)
                )
            } else {
                format!(
                    "积分不足：抽一次需要 {}，当前可用 {}",
                    num(requested),
                    num(available)
                )
            }
        }
        Err(AppError::Conflict {
            code: why, message, ..
        }) => match why {
            "lottery_not_open" => t(lang, "活动还未开始", "This lottery is not open").into(),
            "lottery_ended" => t(lang, "活动已结束", "This lottery has ended").into(),
            "draw_limit_reached" => {
                t(lang, "抽奖次数已达上限", "You have used all your draws").into()
            }
            "no_draws_left" => t(
                lang,
                "暂无抽奖机会，完成任务可获得免费次数",
                "No draws left; tasks earn free draws",
            )
            .into(),
            _ => message,
        },
        Err(AppError::Invalid { message, .. }) => message,
        Err(e) => return c.unavailable(&e),
    };
    match load_wheel(&web, &c, &code, None).await {
        Ok(Some(w)) => show(w, msg, StatusCode::CONFLICT),
        Ok(None) => lottery_missing(&c),
        Err(r) => r,
    }
}

/// The open lotteries, for the home page: (code, name).
pub(crate) async fn open_lotteries(
    web: &Web,
    program: ProgramId,
    lang: Lang,
) -> Vec<(String, String)> {
    let Ok(ctx) = web.app.program_ctx(program).await else {
        return Vec::new();
    };
    let now = web.app.now();
    let list = web
        .app
        .read(move |tx| jifen_app::lottery::list(tx, &ctx))
        .await
        .unwrap_or(json!({}));
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| {
            l["status"].as_str() == Some("active") && l["ends_at"].as_i64().is_none_or(|e| now < e)
        })
        .map(|l| {
            (
                l["code"].as_str().unwrap_or("").to_string(),
                name_of(lang, l, "name_zh", "name_en").to_string(),
            )
        })
        .collect()
}

//! The member points centre (积分中心), mobile first: balance with what expires soon, daily
//! sign-in with the streak, the tier card with a progress bar, what the mall has within reach,
//! and the points history with reasons. A signed link from the merchant's system opens it.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jifen_app::AppError;
use jifen_app::commands::MemberRef;
use jifen_ledger::PointType;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::page::{Lang, code_label, esc, fmt_time, num};
use crate::{LangQuery, Web, html, lang_of};

/// The member centre's pages beyond the home page, sign-in and appeals (which `lib.rs` routes):
/// the mall, redemption, orders, coupons and the lucky wheel (`centre_mall.rs`).
pub(crate) fn routes() -> axum::Router<Web> {
    crate::centre_mall::routes()
}

pub const CSS: &str = include_str!("../assets/centre.css");

/// The programme and member a link names, if it is genuine and current.
pub(crate) async fn member_of(
    web: &Web,
    token: &str,
) -> Option<(jifen_ledger::ProgramId, jifen_ledger::MemberId)> {
    let now = web.app.now();
    let tk = token.to_string();
    web.app
        .read(move |tx| jifen_app::centre::verify(tx, &tk, now))
        .await
        .ok()
        .flatten()
}

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

pub(crate) fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En { en } else { zh }
}

pub(crate) fn expired_page(lang: Lang) -> Response {
    html(
        StatusCode::UNAUTHORIZED,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"stylesheet\" href=\"/m/assets/centre.css\"></head>\
             <body><div class=\"wrap\"><div class=\"card\"><h2>{}</h2><p class=\"muted\">{}</p></div></div></body></html>",
            t(lang, "链接已失效", "This link has expired"),
            t(
                lang,
                "请从商家App重新进入积分中心。",
                "Open the points centre again from the shop's app."
            ),
        ),
        &[],
    )
}

#[derive(Deserialize, Default)]
pub struct CentreQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn home(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<CentreQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let now = web.app.now();
    let ctx = match web.app.program_ctx(program).await {
        Ok(c) => c,
        Err(_) => return expired_page(lang),
    };
    let tz = ctx.tz.clone();
    let loc = if lang == Lang::En { "en" } else { "zh" };
    let data = web
        .app
        .read(move |tx| {
            let m = jifen_app::commands::resolve(
                tx,
                &ctx,
                &MemberRef::Id {
                    member_id: member.0,
                },
            )?;
            let b = jifen_app::views::balance(tx, &ctx, m.id, PointType::Points, now, 30)?;
            let tier = jifen_app::tiers::member_progress(tx, &ctx, m.id, now, loc).ok();
            let history = jifen_app::views::history(tx, &ctx, m.id, None, 15)?;
            let mall = jifen_app::mall::member_catalog(tx, &ctx, m.id, None, loc, now)?;
            let appeals = tx.member_appeals(ctx.program.id, m.id, 10)?;
            let signed_today = tx
                .event(
                    ctx.program.id,
                    &format!(
                        "sign_in:{}:{}",
                        m.id.0,
                        crate::page::local_day(now, &ctx.tz)
                    ),
                )?
                .is_some();
            Ok((
                m,
                b,
                tier,
                history,
                mall,
                signed_today,
                ctx.program.name.clone(),
                appeals,
            ))
        })
        .await;
    let (m, b, tier, history, mall, signed_today, program_name, appeals) = match data {
        Ok(d) => d,
        Err(AppError::NotFound { .. }) => return expired_page(lang),
        Err(e) => return html(StatusCode::SERVICE_UNAVAILABLE, esc(&e.to_string()), &[]),
    };
    let notice = match q.done.as_deref() {
        Some("signed_in") => format!(
            "<div class=\"notice\" role=\"status\">{}</div>",
            t(lang, "签到成功！", "Signed in for today!")
        ),
        Some("appealed") => format!(
            "<div class=\"notice\" role=\"status\">{}</div>",
            t(
                lang,
                "申诉已提交，我们会在一个工作日内答复",
                "Appeal sent; we answer within one working day"
            )
        ),
        Some("already") => format!(
            "<div class=\"error\" role=\"alert\">{}</div>",
            t(lang, "今天已经签到过了", "You already signed in today")
        ),
        _ => String::new(),
    };
    let tier_card = tier.as_ref().map(tier_card).unwrap_or_default();
    let items: String = mall["items"]
        .as_array()
        .map(|items| {
            // What can be had now (in stock, on sale), within reach first: affordable, then
            // fewest points short.
            let mut v: Vec<&Value> = items
                .iter()
                .filter(|i| i["in_stock"].as_bool() == Some(true) && i["window"].is_null())
                .collect();
            v.sort_by_key(|i| i["skus"][0]["points_short"].as_i64().unwrap_or(i64::MAX));
            v.into_iter()
                .take(4)
                .map(|i| item_card(lang, &token, i))
                .collect()
        })
        .unwrap_or_default();
    let items = if items.is_empty() {
        format!(
            "<div class=\"muted\">{}</div>",
            t(lang, "商城即将上新", "New items are coming soon")
        )
    } else {
        items
    };
    let lines: String = history["lines"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| {
                    let a = l["amount"].as_i64().unwrap_or(0);
                    format!(
                        "<li><div>{}<div class=\"r\">{} · {} · <a href=\"/m/{token}/appeal?subject=line&id={}\">{}</a></div></div><div class=\"{}\">{}{}</div></li>",
                        esc(&code_label(l["code"].as_str().unwrap_or(""), lang)),
                        fmt_time(l["created_at"].as_i64().unwrap_or(0), &tz),
                        esc(l["reason"].as_str().unwrap_or("")),
                        l["transfer_id"],
                        t(lang, "申诉", "Appeal"),
                        if a >= 0 { "pos" } else { "neg" },
                        if a > 0 { "+" } else { "" },
                        num(a)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let name = m.profile.name.clone().unwrap_or_default();
    let lotteries: String = crate::centre_mall::open_lotteries(&web, program, lang)
        .await
        .iter()
        .map(|(code, n)| {
            format!(
                "<a class=\"card promo\" href=\"/m/{token}/lottery/{}\"><span class=\"wheel-ico\" aria-hidden=\"true\"></span><span><b>{}</b><span class=\"muted\">{}</span></span><span class=\"go\">›</span></a>",
                esc(code),
                esc(n),
                t(lang, "幸运大转盘 · 点击参与", "Lucky wheel · tap to play")
            )
        })
        .collect();
    let appeals: String = if appeals.is_empty() {
        String::new()
    } else {
        let rows: String = appeals
            .iter()
            .map(|a| {
                let status = match a.status.as_str() {
                    "open" => t(lang, "处理中", "In progress"),
                    "resolved" => t(lang, "已处理", "Resolved"),
                    _ => t(lang, "未通过", "Declined"),
                };
                format!(
                    "<li><div>{}<div class=\"r\">{}</div></div><div class=\"muted\">{status}</div></li>",
                    esc(&a.message),
                    esc(a.answer.as_deref().unwrap_or("")),
                )
            })
            .collect();
        format!(
            "<div class=\"card appeals\"><h2>{}</h2><ul class=\"lines\">{rows}</ul></div>",
            t(lang, "我的申诉", "My appeals")
        )
    };
    let body = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/m/assets/centre.css\"></head><body class=\"has-tabs\"><div class=\"wrap\">\
         <div class=\"top\"><span class=\"brand\">{}</span><span>{}<a href=\"?lang={}\">{}</a></span></div>\
         <div class=\"hero\"><div class=\"label\">{}</div><div class=\"points\">{}</div><div class=\"expiring\">{}</div></div>{notice}\
         <div class=\"card signin\"><div><b>{}</b><div class=\"muted\">{}</div></div>\
         <form method=\"post\" action=\"/m/{token}/sign-in\"><button {}>{}</button></form></div>\
         {tier_card}{lotteries}<div class=\"card\"><div class=\"head\"><h2>{}</h2><a href=\"/m/{token}/mall\">{} ›</a></div><div class=\"items\">{items}</div></div>\
         {appeals}<div class=\"card\"><h2>{}</h2><ul class=\"lines\">{lines}</ul></div></div>{}</body></html>",
        if lang == Lang::En { "en" } else { "zh-CN" },
        t(lang, "积分中心", "Points centre"),
        esc(&program_name),
        esc(&name),
        if lang == Lang::En { "zh" } else { "en" },
        if lang == Lang::En {
            "中文"
        } else {
            "English"
        },
        t(lang, "可用积分", "Available points"),
        num(b.available),
        if b.expiring > 0 {
            format!(
                "{} {}",
                num(b.expiring),
                t(lang, "积分将在30天内过期", "points expire within 30 days")
            )
        } else {
            t(
                lang,
                "近30天没有积分过期",
                "Nothing expires in the next 30 days",
            )
            .to_string()
        },
        t(lang, "每日签到", "Daily sign-in"),
        t(
            lang,
            "签到领积分，连续签到奖励更多",
            "Sign in daily; streaks earn more"
        ),
        if signed_today { "disabled" } else { "" },
        if signed_today {
            t(lang, "已签到", "Signed in")
        } else {
            t(lang, "签到", "Sign in")
        },
        t(lang, "积分商城 · 离你最近", "Mall · within reach"),
        t(lang, "全部商品", "All items"),
        t(lang, "积分明细", "Points history"),
        crate::centre_mall::tabs(lang, &token, Some(crate::centre_mall::Tab::Home)),
    );
    html(
        StatusCode::OK,
        body,
        &set_lang.into_iter().collect::<Vec<_>>(),
    )
}

fn tier_card(p: &Value) -> String {
    let value = p["metric_value"].as_i64().unwrap_or(0);
    let needed = p["needed"].as_i64();
    let pct = match needed {
        Some(n) if n + value > 0 => (value * 100 / (value + n)).clamp(0, 100),
        _ => 100,
    };
    format!(
        "<div class=\"card\"><div class=\"tier\"><span class=\"name\">{}</span><span class=\"muted\">{}</span></div>\
         <div class=\"bar\"><span style=\"width:{pct}%\"></span></div><div class=\"muted\">{}</div></div>",
        esc(p["tier_name"].as_str().unwrap_or("")),
        p["next_tier_name"]
            .as_str()
            .map(|n| format!("→ {}", esc(n)))
            .unwrap_or_default(),
        esc(p["message"].as_str().unwrap_or("")),
    )
}

fn item_card(lang: Lang, token: &str, i: &Value) -> String {
    let sku = &i["skus"][0];
    let name = i[if lang == Lang::En {
        "name_en"
    } else {
        "name_zh"
    }]
    .as_str()
    .unwrap_or("");
    let img = crate::centre_mall::cover(i, name, "pic");
    let cash = sku["cash_minor"].as_i64().unwrap_or(0);
    format!(
        "<a class=\"item\" href=\"/m/{token}/mall/{}\">{img}<div class=\"n\">{}</div><div class=\"p\">{} {}{}</div><div class=\"s\">{}</div></a>",
        i["id"],
        esc(name),
        num(sku["points"].as_i64().unwrap_or(0)),
        t(lang, "积分", "pts"),
        if cash > 0 {
            format!(" + ¥{}.{:02}", cash / 100, cash % 100)
        } else {
            String::new()
        },
        esc(sku["message"].as_str().unwrap_or("")),
    )
}

pub async fn sign_in(State(web): State<Web>, Path(token): Path<String>) -> Response {
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(Lang::Zh);
    };
    let e: jifen_app::earn::EventIn = match serde_json::from_value(json!({
        "type": "sign_in", "member": {"member_id": member.0}, "channel": "web"
    })) {
        Ok(e) => e,
        Err(_) => return expired_page(Lang::Zh),
    };
    let partition = MemberRef::Id {
        member_id: member.0,
    }
    .partition();
    let out = web
        .app
        .write(program, &partition, None, move |tx, ctx, now| {
            jifen_app::earn::record_event(tx, ctx, now, &e)
        })
        .await;
    let done = match out {
        Ok(_) => "signed_in",
        Err(AppError::Conflict { .. }) => "already",
        Err(_) => "failed",
    };
    Redirect::to(&format!("/m/{token}?done={done}")).into_response()
}

#[derive(Deserialize, Default)]
pub struct AppealQuery {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The appeal form for one history line or order (一键申诉).
pub async fn appeal_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<AppealQuery>,
) -> Response {
    let (lang, _) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let Some(_) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let subject = if q.subject.as_deref() == Some("order") {
        "order"
    } else {
        "line"
    };
    let id =
        q.id.as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
    html(
        StatusCode::OK,
        appeal_page(lang, &token, subject, id, "", None),
        &[],
    )
}

fn appeal_page(
    lang: Lang,
    token: &str,
    subject: &str,
    id: i64,
    message: &str,
    error: Option<&str>,
) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/m/assets/centre.css\"></head><body><div class=\"wrap\">\
         <div class=\"card\"><h2>{}</h2><p class=\"muted\">{}</p>\
         <form method=\"post\" action=\"/m/{token}/appeal\"><input type=\"hidden\" name=\"subject\" value=\"{}\"><input type=\"hidden\" name=\"subject_id\" value=\"{id}\">\
         <textarea name=\"message\" id=\"message\" rows=\"5\" style=\"width:100%;border:1px solid #ddd;border-radius:10px;padding:10px;font:inherit\">{}</textarea>{}\
         <div class=\"signin\" style=\"margin-top:12px\"><a href=\"{}\">{}</a><button type=\"submit\">{}</button></div></form></div></div></body></html>",
        if lang == Lang::En { "en" } else { "zh-CN" },
        t(lang, "积分申诉", "Points appeal"),
        t(lang, "积分申诉", "Points appeal"),
        t(
            lang,
            "请说明哪里不对，我们会在一个工作日内答复。",
            "Tell us what is wrong; we answer within one working day."
        ),
        esc(subject),
        esc(message),
        error
            .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(e)))
            .unwrap_or_default(),
        if subject == "order" && id > 0 {
            format!("/m/{token}/orders/{id}")
        } else {
            format!("/m/{token}")
        },
        t(lang, "返回", "Back"),
        t(lang, "提交申诉", "Send appeal"),
    )
}

#[derive(Deserialize)]
pub struct AppealFormIn {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    subject_id: String,
    #[serde(default)]
    message: String,
}

pub async fn appeal_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::extract::Form(f): axum::extract::Form<AppealFormIn>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let Some((program, member)) = member_of(&web, &token).await else {
        return expired_page(lang);
    };
    let a = jifen_app::appeals::AppealIn {
        subject: f.subject.clone(),
        subject_id: f.subject_id.parse().unwrap_or(0),
        message: f.message.clone(),
    };
    let partition = MemberRef::Id {
        member_id: member.0,
    }
    .partition();
    let out = web
        .app
        .write(program, &partition, None, move |tx, ctx, now| {
            jifen_app::appeals::submit(tx, ctx, now, member, &a)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/m/{token}?done=appealed")).into_response(),
        Err(e) => {
            let msg = match &e {
                AppError::Invalid { .. } => t(
                    lang,
                    "请用5到1000个字说明问题",
                    "Say what is wrong in 5 to 1000 characters",
                )
                .to_string(),
                AppError::NotFound { .. } => {
                    t(lang, "找不到这条记录", "That record was not found").to_string()
                }
                other => other.to_string(),
            };
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                appeal_page(
                    lang,
                    &token,
                    &f.subject,
                    f.subject_id.parse().unwrap_or(0),
                    &f.message,
                    Some(&msg),
                ),
                &[],
            )
        }
    }
}

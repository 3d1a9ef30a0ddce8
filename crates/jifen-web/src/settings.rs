//! Console pages: settings (the programme, API keys, webhooks) and the ledger and orders exports.
//!
//! Everyone signed in sees the programme; owners and auditors see the keys and webhooks, and only
//! owners change them. A new API key or webhook secret is shown once, on the page answering the
//! form, and never again (only a key's hash is stored). Every form checks the session's CSRF token,
//! shows a problem next to its field and keeps what was typed. The exports stream a page of rows
//! at a time, for owners, analysts and auditors, and are audited.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::access::Exporter;
use jifen_app::console::{ApiKeyRow, DeliveryRow, EndpointRow};
use jifen_app::staff;
use jifen_app::{AppError, keys, webhooks};
use jifen_ledger::Millis;
use jifen_ledger::policy::{ShortfallPolicy, Validity};
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::page::{L, Lang, code_label, esc, fmt_time, num, pick};
use crate::{EXPORT_PAGE, Staff, Web, csv_field};

pub(crate) fn routes() -> Router<Web> {
    Router::new()
        .route("/console/settings", get(settings))
        .route("/console/settings/program", post(update_program))
        .route("/console/settings/centre", post(update_centre))
        .route("/console/settings/keys", post(create_key))
        .route("/console/settings/keys/{id}/revoke", post(revoke_key))
        .route("/console/settings/webhooks", post(create_webhook))
        .route(
            "/console/settings/webhooks/{id}/{action}",
            post(webhook_status),
        )
        .route("/console/exports/ledger.csv", get(export_ledger))
        .route("/console/exports/orders.csv", get(export_orders))
}

/// Recent deliveries summarised per webhook endpoint.
const RECENT_DELIVERIES: i64 = 20;

fn title(st: &Staff) -> &'static str {
    pick(st.lang, "设置", "Settings")
}

// ---- the page ------------------------------------------------------------------------------

/// What the page lists.
#[derive(Default)]
struct Data {
    keys: Vec<ApiKeyRow>,
    hooks: Vec<(EndpointRow, Vec<DeliveryRow>)>,
    centre: Option<staff::CentreSettings>,
}

/// What the forms show: typed values, one problem (by `form.field`), a secret made just now.
#[derive(Default)]
struct Forms {
    name: Option<String>,
    timezone: Option<String>,
    threshold: Option<String>,
    referral_url: Option<String>,
    key_name: String,
    hook_url: String,
    hook_topics: String,
    error: Option<(String, String)>,
    notice: Option<String>,
    new_key: Option<(String, String)>,
    new_hook: Option<(String, String)>,
}

impl Forms {
    fn error(field: &str, msg: impl Into<String>) -> Forms {
        Forms {
            error: Some((field.to_string(), msg.into())),
            ..Forms::default()
        }
    }

    fn field_error(&self, name: &str) -> String {
        match &self.error {
            Some((field, msg)) if field == name => format!(
                "<div class=\"field-error\" role=\"alert\">{}</div>",
                esc(msg)
            ),
            _ => String::new(),
        }
    }
}

async fn load(web: &Web, st: &Staff) -> Result<Data, AppError> {
    let program = st.s.program;
    let ctx = st.ctx.clone();
    let centre = web
        .app
        .read(move |tx| staff::centre_settings(tx, &ctx))
        .await?;
    let Some(integrations) = st.s.integration_reader() else {
        return Ok(Data {
            centre: Some(centre),
            ..Data::default()
        });
    };
    web.app
        .read(move |tx| {
            let keys = keys::list(tx, program)?;
            let hooks = jifen_app::console::webhooks(tx, &integrations, RECENT_DELIVERIES)?;
            Ok(Data {
                keys,
                hooks,
                centre: Some(centre),
            })
        })
        .await
}

/// The settings page answering `status`, with the forms as given.
async fn show(web: &Web, st: &Staff, status: StatusCode, f: Forms) -> Response {
    let data = match load(web, st).await {
        Ok(d) => d,
        Err(e) => return st.fail(e),
    };
    st.page(status, "settings", title(st), &render(st, &data, &f))
}

async fn settings(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q.get("done").and_then(|d| {
        Some(match d.as_str() {
            "program" => st.t("会员计划已保存", "The programme was saved"),
            "revoked" => st.t(
                "密钥已吊销，立即失效",
                "The key was revoked; it no longer works",
            ),
            "disabled" => st.t("Webhook 已停用", "The webhook was disabled"),
            "enabled" => st.t("Webhook 已启用", "The webhook was enabled"),
            _ => return None,
        })
    });
    let f = Forms {
        notice: notice.map(str::to_string),
        ..Forms::default()
    };
    show(&web, &st, StatusCode::OK, f).await
}

fn validity_text(lang: Lang, v: &Validity) -> String {
    match *v {
        Validity::Never => pick(lang, "永久有效", "Never expire").to_string(),
        Validity::Days { days } => match lang {
            Lang::Zh => format!("获得后 {days} 天过期"),
            Lang::En => format!("{days} days after earning"),
        },
        Validity::Months { months } => match lang {
            Lang::Zh => format!("获得后 {months} 个月过期"),
            Lang::En => format!("{months} months after earning"),
        },
        Validity::EndOfYear { years } => match lang {
            Lang::Zh if years == 0 => "获得当年年底过期".to_string(),
            Lang::Zh => format!("获得后第 {years} 年年底过期"),
            Lang::En if years == 0 => "At the end of the year earned".to_string(),
            Lang::En => format!("At the end of the {years}. year after the year earned"),
        },
    }
}

fn render(st: &Staff, d: &Data, f: &Forms) -> String {
    let lang = st.lang;
    let t = |zh: &'static str, en: &'static str| pick(lang, zh, en);
    let csrf = esc(&st.s.csrf);
    let owner = st.s.owner().is_some();
    let mut out = String::new();
    if let Some(n) = &f.notice {
        out.push_str(&format!(
            "<div class=\"notice\" role=\"status\">{}</div>",
            esc(n)
        ));
    }
    out.push_str(&f.field_error("csrf"));

    // The programme.
    let p = &st.ctx.program;
    let policy = &p.policy;
    let rows = [
        (t("代码", "Code"), format!("<code>{}</code>", esc(&p.code))),
        (t("名称", "Name"), esc(&p.name)),
        (t("币种", "Currency"), esc(&p.currency)),
        (t("时区", "Time zone"), esc(&p.timezone)),
        (t("创建时间", "Created"), fmt_time(p.created_at, &st.ctx.tz)),
        (
            t("积分有效期", "Points validity"),
            esc(&validity_text(lang, &policy.validity)),
        ),
        (
            t("待生效天数（退货期）", "Pending days (return window)"),
            num(policy.pending_days as i64),
        ),
        (
            t("每元积分", "Points per currency unit"),
            num(policy.points_per_unit),
        ),
        (
            t("每元成长值", "Growth per currency unit"),
            num(policy.growth_per_unit),
        ),
        (
            t("退款积分不足时", "When a refund finds points spent"),
            match policy.shortfall {
                ShortfallPolicy::Debt => t("记为欠分", "Carry as debt").to_string(),
                ShortfallPolicy::WriteOff => t("核销", "Write off").to_string(),
            },
        ),
        (
            t("扣回时先扣待生效积分", "Claw back pending points first"),
            if policy.clawback_pending_first {
                t("是", "Yes")
            } else {
                t("否", "No")
            }
            .to_string(),
        ),
    ];
    out.push_str(&format!(
        "<p class=\"toolbar\"><a class=\"button\" href=\"/console/staff\">{}</a></p>",
        t("员工账号与角色", "Staff accounts and roles")
    ));
    out.push_str(&format!(
        "<h2>{}</h2><table class=\"facts\"><tbody>{}</tbody></table>",
        L::Program.t(lang),
        rows.iter()
            .map(|(k, v)| format!("<tr><th>{k}</th><td>{v}</td></tr>"))
            .collect::<String>()
    ));
    if owner {
        out.push_str(&format!(
            "<form class=\"adjust\" method=\"post\" action=\"/console/settings/program\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <div class=\"field grow\"><label for=\"program-name\">{}</label><input type=\"text\" id=\"program-name\" name=\"name\" value=\"{}\" maxlength=\"100\">{}</div>\
             <div class=\"field\"><label for=\"program-tz\">{}</label><input type=\"text\" id=\"program-tz\" name=\"timezone\" value=\"{}\" placeholder=\"Asia/Shanghai\">{}</div>\
             <button type=\"submit\">{}</button></form>{}",
            t("名称", "Name"),
            esc(f.name.as_deref().unwrap_or(&p.name)),
            f.field_error("program.name"),
            t("时区", "Time zone"),
            esc(f.timezone.as_deref().unwrap_or(&p.timezone)),
            f.field_error("program.timezone"),
            t("保存", "Save"),
            f.field_error("program.form"),
        ));
    }

    // Approvals and the member centre.
    if let Some(c) = &d.centre {
        let threshold = f
            .threshold
            .clone()
            .unwrap_or_else(|| c.approval_threshold.to_string());
        let url = f
            .referral_url
            .clone()
            .unwrap_or_else(|| c.referral_url.clone().unwrap_or_default());
        out.push_str(&format!(
            "<h2>{}</h2>",
            t("审批与会员中心", "Approvals and the member centre")
        ));
        if owner {
            out.push_str(&format!(
                "<form class=\"adjust\" method=\"post\" action=\"/console/settings/centre\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <div class=\"field\"><label for=\"threshold\">{}</label><input type=\"text\" id=\"threshold\" name=\"threshold\" value=\"{}\" inputmode=\"numeric\">{}</div>\
                 <div class=\"field grow\"><label for=\"referral_url\">{}</label><input type=\"text\" id=\"referral_url\" name=\"referral_url\" value=\"{}\" placeholder=\"https://shop.example.com/join\">{}</div>\
                 <div class=\"field\"><label><input type=\"checkbox\" name=\"webhooks_private\" value=\"1\"{}> {}</label></div>\
                 <button type=\"submit\">{}</button></form>{}",
                t("人工调整超过多少积分需第二人审批", "Adjustments above this many points need a second person"),
                esc(&threshold),
                f.field_error("centre.approval_threshold"),
                t("邀请链接地址（商家注册页，留空则只显示邀请码）", "Invite link address (the shop's sign-up page; blank shows the code only)"),
                esc(&url),
                f.field_error("centre.referral_url"),
                if c.webhooks_private { " checked" } else { "" },
                t(
                    "允许 Webhook 推送到本机或内网地址",
                    "Allow webhooks to this machine or private networks"
                ),
                t("保存", "Save"),
                f.field_error("centre.form"),
            ));
        } else {
            out.push_str(&format!(
                "<table class=\"facts\"><tbody><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></tbody></table>",
                t("审批阈值", "Approval threshold"),
                num(c.approval_threshold),
                t("邀请链接地址", "Invite link address"),
                esc(c.referral_url.as_deref().unwrap_or("–")),
            ));
        }
    }

    // API keys and webhooks.
    if st.s.integration_reader().is_some() {
        out.push_str(&keys_section(st, d, f));
        out.push_str(&hooks_section(st, d, f));
    } else {
        out.push_str(&format!(
            "<h2>{}</h2><p class=\"muted\">{}</p>",
            t("接口密钥与 Webhook", "API keys and webhooks"),
            t(
                "仅所有者和审计员可以查看，所有者可以管理。",
                "Owners and auditors see them; owners manage them."
            )
        ));
    }

    // Exports.
    out.push_str(&format!("<h2>{}</h2>", t("数据导出", "Exports")));
    if st.s.exporter().is_some() {
        let range = |action: &str, label: &str| {
            format!(
                "<form class=\"adjust\" method=\"get\" action=\"{action}\">\
                 <div class=\"field\"><label>{}</label><input type=\"date\" name=\"from\"></div>\
                 <div class=\"field\"><label>{}</label><input type=\"date\" name=\"to\"></div>\
                 <button type=\"submit\">{label}</button></form>",
                t("开始日期", "From"),
                t("结束日期（含）", "To (inclusive)"),
            )
        };
        out.push_str(&format!(
            "<p class=\"muted\">{}</p>\
             <p><a class=\"export\" href=\"/console/exports/members.csv\">{}</a></p>{}{}",
            esc(&match lang {
                Lang::Zh => format!(
                    "CSV 文件（UTF-8），日期按 {} 时区，留空则导出全部。每次导出都记入审计日志。",
                    p.timezone
                ),
                Lang::En => format!(
                    "CSV files (UTF-8); dates are in {}, leave them empty for everything. Every export is audited.",
                    p.timezone
                ),
            }),
            t("导出会员 CSV", "Export members (CSV)"),
            range(
                "/console/exports/ledger.csv",
                t("导出积分流水 CSV", "Export ledger lines (CSV)")
            ),
            range(
                "/console/exports/orders.csv",
                t("导出商城订单 CSV", "Export mall orders (CSV)")
            ),
        ));
    } else {
        out.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            t(
                "仅所有者、分析员和审计员可以导出。",
                "Owners, analysts and auditors may export."
            )
        ));
    }
    out
}

fn once_box(lang: Lang, title: &str, secret: &str) -> String {
    format!(
        "<div class=\"notice\" role=\"status\"><p><strong>{}</strong></p><p><code class=\"secret\">{}</code></p></div>\
         <div class=\"error\" role=\"alert\">{}</div>",
        esc(title),
        esc(secret),
        pick(
            lang,
            "请立即复制并妥善保存：它只显示这一次，离开此页后无法再查看。",
            "Copy it now and keep it safe: it is shown only this once and cannot be seen again."
        ),
    )
}

fn keys_section(st: &Staff, d: &Data, f: &Forms) -> String {
    let lang = st.lang;
    let t = |zh: &'static str, en: &'static str| pick(lang, zh, en);
    let tz = &st.ctx.tz;
    let csrf = esc(&st.s.csrf);
    let owner = st.s.owner().is_some();
    let mut out = format!("<h2>{}</h2>", t("接口密钥", "API keys"));
    if let Some((name, secret)) = &f.new_key {
        let title = match lang {
            Lang::Zh => format!("已创建接口密钥「{name}」"),
            Lang::En => format!("API key \u{201c}{name}\u{201d} created"),
        };
        out.push_str(&once_box(lang, &title, secret));
    }
    out.push_str(&f.field_error("keys"));
    let rows: String = if d.keys.is_empty() {
        format!(
            "<tr><td colspan=\"5\" class=\"muted\">{}</td></tr>",
            L::NoneYet.t(lang)
        )
    } else {
        d.keys
            .iter()
            .map(|k| {
                let status = match (k.revoked_at, &k.revoked_by) {
                    (None, _) => format!("<span class=\"pill\">{}</span>", t("有效", "active")),
                    (Some(at), by) => format!(
                        "<span class=\"pill overdue\">{}</span> <span class=\"muted\">{} {}</span>",
                        t("已吊销", "revoked"),
                        fmt_time(at, tz),
                        esc(by.as_deref().unwrap_or(""))
                    ),
                };
                let action = if owner && k.revoked_at.is_none() {
                    format!(
                        "<form method=\"post\" action=\"/console/settings/keys/{}/revoke\" style=\"display:inline\">\
                         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button class=\"reject\">{}</button></form>",
                        esc(&k.key_id),
                        t("吊销", "Revoke"),
                    )
                } else {
                    String::new()
                };
                let right = if k.adjust_without_approval {
                    format!(
                        " <span class=\"pill\">{}</span>",
                        t("免审批调整", "adjusts without approval")
                    )
                } else {
                    String::new()
                };
                format!(
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{status}{right}</td><td>{action}</td></tr>",
                    esc(&k.name),
                    k.prefix
                        .as_deref()
                        .map(|p| format!("{}…", esc(p)))
                        .unwrap_or_else(|| "–".into()),
                    fmt_time(k.created_at, tz),
                )
            })
            .collect()
    };
    out.push_str(&format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{rows}</tbody></table>",
        t("名称", "Name"),
        t("密钥开头", "Starts with"),
        t("创建时间", "Created"),
        L::Status.t(lang),
    ));
    if owner {
        out.push_str(&format!(
            "<form class=\"adjust\" method=\"post\" action=\"/console/settings/keys\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <div class=\"field grow\"><label for=\"key-name\">{}</label><input type=\"text\" id=\"key-name\" name=\"name\" value=\"{}\" maxlength=\"{}\" placeholder=\"{}\">{}</div>\
             <div class=\"field\"><label><input type=\"checkbox\" name=\"adjust\" value=\"1\"> {}</label></div>\
             <button type=\"submit\">{}</button></form>",
            t("新密钥名称", "New key's name"),
            esc(&f.key_name),
            keys::NAME_MAX,
            t("例如：收银系统", "for example: POS"),
            f.field_error("key.name"),
            t(
                "可免审批调整积分（超过审批阈值也立即生效）",
                "May adjust points without approval (above the threshold too)"
            ),
            t("创建密钥", "Create key"),
        ));
    }
    out
}

fn delivery_summary(lang: Lang, tz: &TimeZone, ds: &[DeliveryRow]) -> String {
    let Some(last) = ds.first() else {
        return format!(
            "<span class=\"muted\">{}</span>",
            pick(lang, "尚无投递", "No deliveries yet")
        );
    };
    let count = |s: &str| ds.iter().filter(|d| d.status == s).count();
    let when = last
        .delivered_at
        .map(|at| fmt_time(at, tz))
        .unwrap_or_else(|| match lang {
            Lang::Zh => format!("下次尝试 {}", fmt_time(last.next_attempt_at, tz)),
            Lang::En => format!("next try {}", fmt_time(last.next_attempt_at, tz)),
        });
    let code = last
        .last_code
        .map(|c| format!(" HTTP {c}"))
        .unwrap_or_default();
    let error = last
        .last_error
        .as_deref()
        .map(|e| {
            let short: String = e.chars().take(120).collect();
            format!(" <span class=\"muted\">{}</span>", esc(&short))
        })
        .unwrap_or_default();
    let totals = match lang {
        Lang::Zh => format!(
            "最近 {} 次：送达 {}，待重试 {}，失败 {}",
            ds.len(),
            count("delivered"),
            count("pending"),
            count("failed")
        ),
        Lang::En => format!(
            "last {}: {} delivered, {} pending, {} failed",
            ds.len(),
            count("delivered"),
            count("pending"),
            count("failed")
        ),
    };
    format!(
        "<span class=\"pill{}\">{}</span> {} · {}{code}{error}<br><span class=\"muted\">{totals}</span>",
        if last.status == "failed" {
            " overdue"
        } else {
            ""
        },
        esc(&last.status),
        esc(&last.topic),
        when,
    )
}

fn hooks_section(st: &Staff, d: &Data, f: &Forms) -> String {
    let lang = st.lang;
    let t = |zh: &'static str, en: &'static str| pick(lang, zh, en);
    let tz = &st.ctx.tz;
    let csrf = esc(&st.s.csrf);
    let owner = st.s.owner().is_some();
    let mut out = "<h2>Webhook</h2>".to_string();
    if let Some((url, secret)) = &f.new_hook {
        let title = match lang {
            Lang::Zh => format!("已添加 {url}，签名密钥："),
            Lang::En => format!("{url} added; its signing secret:"),
        };
        out.push_str(&once_box(lang, &title, secret));
    }
    out.push_str(&f.field_error("hooks"));
    let rows: String = if d.hooks.is_empty() {
        format!(
            "<tr><td colspan=\"6\" class=\"muted\">{}</td></tr>",
            L::NoneYet.t(lang)
        )
    } else {
        d.hooks
            .iter()
            .map(|(e, ds)| {
                let topics: Vec<String> = serde_json::from_str(&e.topics).unwrap_or_default();
                let active = e.status == "active";
                let action = if owner {
                    let (to, label, class) = if active {
                        ("disable", t("停用", "Disable"), "reject")
                    } else {
                        ("enable", t("启用", "Enable"), "")
                    };
                    format!(
                        "<form method=\"post\" action=\"/console/settings/webhooks/{}/{to}\" style=\"display:inline\">\
                         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button class=\"{class}\">{label}</button></form>",
                        e.id
                    )
                } else {
                    String::new()
                };
                format!(
                    "<tr><td>#{}</td><td><code>{}</code><br><span class=\"muted\">{}</span></td><td><span class=\"pill{}\">{}</span></td>\
                     <td>{}</td><td>{}</td><td>{action}</td></tr>",
                    e.id,
                    esc(&e.url),
                    esc(&topics.join(", ")),
                    if active { "" } else { " overdue" },
                    if active { t("启用", "active") } else { t("已停用", "disabled") },
                    fmt_time(e.created_at, tz),
                    delivery_summary(lang, tz, ds),
                )
            })
            .collect()
    };
    out.push_str(&format!(
        "<table><thead><tr><th>#</th><th>URL</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{rows}</tbody></table>",
        L::Status.t(lang),
        t("创建时间", "Created"),
        t("最近投递", "Recent deliveries"),
    ));
    if owner {
        out.push_str(&format!(
            "<form class=\"adjust\" method=\"post\" action=\"/console/settings/webhooks\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <div class=\"field grow\"><label for=\"hook-url\">URL</label><input type=\"text\" id=\"hook-url\" name=\"url\" value=\"{}\" maxlength=\"500\" placeholder=\"http://erp.example.com/jifen/hooks\">{}</div>\
             <div class=\"field grow\"><label for=\"hook-topics\">{}</label><input type=\"text\" id=\"hook-topics\" name=\"topics\" value=\"{}\" placeholder=\"mall.order.*, tier.changed\">{}</div>\
             <button type=\"submit\">{}</button></form><p class=\"muted\">{} {}</p>",
            esc(&f.hook_url),
            f.field_error("hook.url"),
            t("订阅主题（逗号分隔，* 表示一类）", "Topics (comma-separated; * takes a family)"),
            esc(&f.hook_topics),
            f.field_error("hook.topics"),
            t("添加 Webhook", "Add webhook"),
            t(
                "目前只支持 http:// 地址；需要 HTTPS 时请在前面放一个 TLS 代理。可选主题：",
                "Only http:// addresses for now; put a TLS proxy in front for HTTPS. Topics:"
            ),
            esc(&webhooks::TOPICS.join(", ")),
        ));
    }
    out
}

// ---- forms ---------------------------------------------------------------------------------

/// The answer to a form whose CSRF token does not match the session's.
async fn expired(web: &Web, st: &Staff) -> Response {
    show(
        web,
        st,
        StatusCode::FORBIDDEN,
        Forms::error("csrf", L::FormExpired.t(st.lang)),
    )
    .await
}

#[derive(Deserialize)]
struct ProgramForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    csrf: String,
}

async fn update_program(State(web): State<Web>, st: Staff, Form(f): Form<ProgramForm>) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, field: &str, msg: String| {
        let mut forms = Forms::error(field, msg);
        forms.name = Some(f.name.clone());
        forms.timezone = Some(f.timezone.clone());
        show(&web, &st, status, forms)
    };
    let (name, tz) = (f.name.trim().to_string(), f.timezone.trim().to_string());
    if name.is_empty() || name.chars().count() > 100 {
        let msg = st.t(
            "请填写名称（1 到 100 个字符）",
            "Enter a name of 1 to 100 characters",
        );
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "program.name", msg.into()).await;
    }
    if tz.is_empty() || tz.len() > 64 || TimeZone::get(&tz).is_err() {
        let msg = st.t(
            "未知的时区，请填写 IANA 时区名，例如 Asia/Shanghai",
            "Unknown time zone; use an IANA name such as Asia/Shanghai",
        );
        return reshow(
            StatusCode::UNPROCESSABLE_ENTITY,
            "program.timezone",
            msg.into(),
        )
        .await;
    }
    let before =
        serde_json::json!({"name": st.ctx.program.name, "timezone": st.ctx.program.timezone});
    let after = serde_json::json!({"name": name, "timezone": tz});
    let (app, program, policy) = (web.app.clone(), st.s.program, st.ctx.program.policy.clone());
    let (n, z) = (name.clone(), tz.clone());
    let out = tokio::task::spawn_blocking(move || app.update_program(program, n, z, policy))
        .await
        .unwrap_or_else(|e| Err(AppError::Internal(e.to_string())));
    match out {
        Ok(()) => {}
        Err(AppError::Invalid { field, message }) => {
            let field = match field.as_str() {
                "name" | "timezone" => format!("program.{field}"),
                _ => "program.form".into(),
            };
            return reshow(StatusCode::UNPROCESSABLE_ENTITY, &field, message).await;
        }
        Err(e) => return st.fail(e),
    }
    let actor = st.s.actor();
    let audited = web
        .app
        .write(program, "staff", None, move |tx, _ctx, now| {
            jifen_app::console::audit(
                tx,
                program,
                &actor,
                "program.update",
                &format!("program:{program}"),
                Some(&before.to_string()),
                Some(&after.to_string()),
                now,
            )?;
            Ok(serde_json::json!(null))
        })
        .await;
    if let Err(e) = audited {
        return st.fail(e);
    }
    Redirect::to("/console/settings?done=program").into_response()
}

#[derive(Deserialize)]
struct CentreForm {
    #[serde(default)]
    threshold: String,
    #[serde(default)]
    referral_url: String,
    /// A checked box: webhooks may post to private addresses.
    #[serde(default)]
    webhooks_private: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn update_centre(State(web): State<Web>, st: Staff, Form(f): Form<CentreForm>) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, field: &str, msg: String| {
        let mut forms = Forms::error(field, msg);
        forms.threshold = Some(f.threshold.clone());
        forms.referral_url = Some(f.referral_url.clone());
        show(&web, &st, status, forms)
    };
    let Ok(threshold) = f.threshold.trim().replace(',', "").parse::<i64>() else {
        let msg = L::WholeNumber.t(st.lang).to_string();
        return reshow(
            StatusCode::UNPROCESSABLE_ENTITY,
            "centre.approval_threshold",
            msg,
        )
        .await;
    };
    let url = Some(f.referral_url.trim().to_string()).filter(|u| !u.is_empty());
    let settings = staff::CentreSettings {
        approval_threshold: threshold,
        referral_url: url,
        webhooks_private: f.webhooks_private.is_some(),
    };
    let by = st.s.clone();
    let out = web
        .app
        .write(st.s.program, "staff", None, move |tx, ctx, now| {
            staff::put_centre_settings(tx, ctx, now, &by, &settings)
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/settings?done=centre").into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = match field.as_str() {
                "approval_threshold" | "referral_url" => format!("centre.{field}"),
                _ => "centre.form".into(),
            };
            reshow(StatusCode::UNPROCESSABLE_ENTITY, &field, message).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
struct KeyForm {
    #[serde(default)]
    name: String,
    /// A checked box: the key may adjust points above the approval threshold.
    #[serde(default)]
    adjust: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn create_key(State(web): State<Web>, st: Staff, Form(f): Form<KeyForm>) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, msg: String| {
        let mut forms = Forms::error("key.name", msg);
        forms.key_name = f.name.clone();
        show(&web, &st, status, forms)
    };
    let name = f.name.trim().to_string();
    if name.is_empty() {
        let msg = st.t("请填写密钥名称", "Enter a name for the key");
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, msg.into()).await;
    }
    if name.chars().count() > keys::NAME_MAX || name.chars().any(char::is_control) {
        let msg = match st.lang {
            Lang::Zh => format!("名称最多 {} 个字符，不能换行", keys::NAME_MAX),
            Lang::En => format!(
                "A name has at most {} characters, on one line",
                keys::NAME_MAX
            ),
        };
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, msg).await;
    }
    let key = keys::generate();
    let (actor, n, k) = (st.s.actor(), name.clone(), key.clone());
    let adjust = f.adjust.is_some();
    let out = web
        .app
        .write(st.s.program, "api_keys", None, move |tx, ctx, now| {
            keys::create(tx, ctx, now, &actor, &n, &k, adjust)
        })
        .await;
    match out {
        Ok(_) => {
            let forms = Forms {
                new_key: Some((name, key.secret)),
                ..Forms::default()
            };
            show(&web, &st, StatusCode::OK, forms).await
        }
        Err(AppError::Invalid { message, .. }) => {
            reshow(StatusCode::UNPROCESSABLE_ENTITY, message).await
        }
        Err(AppError::Conflict { message, .. }) => reshow(StatusCode::CONFLICT, message).await,
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn revoke_key(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    match web
        .app
        .revoke_api_key(st.s.program, &st.s.actor(), &id)
        .await
    {
        Ok(_) => Redirect::to("/console/settings?done=revoked").into_response(),
        Err(AppError::Conflict { message, .. }) => {
            show(
                &web,
                &st,
                StatusCode::CONFLICT,
                Forms::error("keys", message),
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
struct HookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    topics: String,
    #[serde(default)]
    csrf: String,
}

async fn create_webhook(State(web): State<Web>, st: Staff, Form(f): Form<HookForm>) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let reshow = |status: StatusCode, field: &str, msg: String| {
        let mut forms = Forms::error(field, msg);
        forms.hook_url = f.url.clone();
        forms.hook_topics = f.topics.clone();
        show(&web, &st, status, forms)
    };
    let url = f.url.trim().to_string();
    if url.is_empty() {
        let msg = st.t("请填写接收地址", "Enter the address to deliver to");
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "hook.url", msg.into()).await;
    }
    if !url.starts_with("http://") {
        let msg = st.t(
            "目前只支持 http:// 地址（HTTPS 投递尚未支持，请在前面放一个 TLS 代理）",
            "Only http:// addresses are supported for now (put a TLS proxy in front for HTTPS)",
        );
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "hook.url", msg.into()).await;
    }
    let topics: Vec<String> = f
        .topics
        .split([',', '，', ' ', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    if topics.is_empty() {
        let msg = st.t(
            "请至少填写一个主题，例如 mall.order.*",
            "Name at least one topic, for example mall.order.*",
        );
        return reshow(StatusCode::UNPROCESSABLE_ENTITY, "hook.topics", msg.into()).await;
    }
    let e = webhooks::EndpointIn {
        url: url.clone(),
        topics,
    };
    let actor = st.s.actor();
    let out = web
        .app
        .write(st.s.program, "webhooks", None, move |tx, ctx, now| {
            let v = webhooks::create_endpoint(tx, ctx, now, &e)?;
            let after = serde_json::json!({"endpoint_id": v["endpoint_id"], "url": v["url"], "topics": v["topics"]});
            jifen_app::console::audit(tx,
                ctx.program.id,
                &actor,
                "webhook.create",
                &format!("webhook:{}", v["endpoint_id"]),
                None,
                Some(&after.to_string()),
                now,
            )?;
            Ok(v)
        })
        .await;
    match out {
        Ok(o) => {
            let secret = o.body["secret"].as_str().unwrap_or_default().to_string();
            let forms = Forms {
                new_hook: Some((url, secret)),
                ..Forms::default()
            };
            show(&web, &st, StatusCode::OK, forms).await
        }
        Err(AppError::Invalid { field, message }) => {
            let field = if field.starts_with("topics") {
                "hook.topics"
            } else {
                "hook.url"
            };
            reshow(StatusCode::UNPROCESSABLE_ENTITY, field, message).await
        }
        Err(AppError::Conflict { message, .. }) => {
            reshow(StatusCode::CONFLICT, "hook.url", message).await
        }
        Err(e) => st.fail(e),
    }
}

async fn webhook_status(
    State(web): State<Web>,
    st: Staff,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let status = match action.as_str() {
        "disable" => "disabled",
        "enable" => "active",
        _ => {
            return st.fail(AppError::NotFound {
                what: "page",
                id: action,
            });
        }
    };
    let Some(id) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound {
            what: "webhook endpoint",
            id,
        });
    };
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    if st.s.owner().is_none() {
        return st.forbidden("settings", title(&st));
    }
    let actor = st.s.actor();
    let out = web
        .app
        .write(st.s.program, "webhooks", None, move |tx, ctx, now| {
            let before = jifen_app::console::webhook_status(tx, ctx.program.id, id)?
                .map(|status| serde_json::json!({"status": status}).to_string());
            let v = webhooks::set_status(tx, ctx, now, id, status)?;
            jifen_app::console::audit(
                tx,
                ctx.program.id,
                &actor,
                if status == "active" {
                    "webhook.enable"
                } else {
                    "webhook.disable"
                },
                &format!("webhook:{id}"),
                before.as_deref(),
                Some(&serde_json::json!({"status": status}).to_string()),
                now,
            )?;
            Ok(v)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!(
            "/console/settings?done={}",
            if status == "active" {
                "enabled"
            } else {
                "disabled"
            }
        ))
        .into_response(),
        Err(e) => st.fail(e),
    }
}

// ---- exports -------------------------------------------------------------------------------

/// `[from, to)` of an export's `from` and `to` days (inclusive, in the programme's zone).
fn export_range(
    q: &HashMap<String, String>,
    tz: &TimeZone,
    lang: Lang,
) -> Result<(Millis, Millis), String> {
    let day = |key: &str| -> Result<Option<jiff::civil::Date>, String> {
        let Some(v) = q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let b = v.as_bytes();
        let shaped = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        match shaped.then(|| v.parse::<jiff::civil::Date>()) {
            Some(Ok(d)) => Ok(Some(d)),
            _ => Err(match lang {
                Lang::Zh => format!("{key} 日期格式不对：{v:?}，应为 YYYY-MM-DD，例如 2026-01-31"),
                Lang::En => {
                    format!("{key} is not a date: {v:?}; use YYYY-MM-DD, for example 2026-01-31")
                }
            }),
        }
    };
    let start = |d: jiff::civil::Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|e| e.to_string())
    };
    let (from, to) = (day("from")?, day("to")?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(pick(
            lang,
            "开始日期晚于结束日期",
            "The from date is after the to date",
        )
        .to_string());
    }
    let from = match from {
        Some(d) => start(d)?,
        None => i64::MIN,
    };
    let to = match to {
        Some(d) => match d.tomorrow() {
            Ok(next) => start(next)?,
            Err(_) => i64::MAX,
        },
        None => i64::MAX,
    };
    Ok((from, to))
}

/// Checks the role and the dates and audits the export; the range or the answer to give instead.
async fn begin_export(
    web: &Web,
    st: &Staff,
    q: &HashMap<String, String>,
    what: &str,
) -> Result<(Millis, Millis, Exporter), Response> {
    let Some(exporter) = st.s.exporter() else {
        return Err(st.forbidden("settings", title(st)));
    };
    let (from, to) = export_range(q, &st.ctx.tz, st.lang).map_err(|msg| {
        st.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "settings",
            title(st),
            &format!(
                "<div class=\"error\" role=\"alert\">{}</div><p><a href=\"/console/settings\">{}</a></p>",
                esc(&msg),
                st.t("返回设置", "Back to settings")
            ),
        )
    })?;
    let actor = st.s.actor();
    let program = st.s.program;
    let action = format!("export.{what}");
    let target = what.to_string();
    let after = serde_json::json!({
        "from": q.get("from").map(|v| v.trim()).filter(|v| !v.is_empty()),
        "to": q.get("to").map(|v| v.trim()).filter(|v| !v.is_empty()),
    })
    .to_string();
    web.app
        .write(program, "staff", None, move |tx, _ctx, now| {
            jifen_app::console::audit(
                tx,
                program,
                &actor,
                &action,
                &target,
                None,
                Some(&after),
                now,
            )?;
            Ok(serde_json::json!(null))
        })
        .await
        .map_err(|e| st.fail(e))?;
    Ok((from, to, exporter))
}

fn csv_time(ms: Millis, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Minor units as a decimal amount: 1234 -> 12.34.
fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

fn csv_response(name: &str, body: axum::body::Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Where a streamed export is: the last id written, the header until it is sent, and what the
/// export keeps between pages.
struct Cursor<C> {
    after: i64,
    head: Option<String>,
    cache: C,
}

async fn export_ledger(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (from, to, exporter) = match begin_export(&web, &st, &q, "ledger").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (app, tz, lang) = (web.app.clone(), st.ctx.tz.clone(), st.lang);
    let head = "\u{feff}transfer_id,time,member_id,counterparty_id,point_type,code,kind,phase,amount,balance_effect,\
                debit_account,credit_account,order_ref,reason,actor,pending_of,reversal_of\n"
        .to_string();
    let first = Cursor {
        after: 0,
        head: Some(head),
        cache: (),
    };
    let stream = futures_util::stream::unfold(Some(first), move |state| {
        let (app, tz, who) = (app.clone(), tz.clone(), exporter.clone());
        async move {
            let mut c = state?;
            if let Some(h) = c.head.take() {
                return Some((Ok::<_, std::io::Error>(h), Some(c)));
            }
            let after = c.after;
            let rows = match app
                .read(move |tx| {
                    jifen_app::console::ledger_export_page(tx, &who, after, from, to, EXPORT_PAGE)
                })
                .await
            {
                Ok(r) => r,
                // Break the download rather than end it as if it were complete.
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let last = rows.last()?.transfer_id;
            let mut chunk = String::new();
            for r in &rows {
                chunk.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    r.transfer_id,
                    csv_time(r.created_at, &tz),
                    opt(r.member),
                    opt(r.counterparty),
                    csv_field(&r.point_type),
                    csv_field(&r.code),
                    csv_field(&code_label(&r.code, lang)),
                    csv_field(&r.phase),
                    r.amount,
                    r.balance_effect,
                    csv_field(&r.debit_kind),
                    csv_field(&r.credit_kind),
                    csv_field(r.order_ref.as_deref().unwrap_or("")),
                    csv_field(r.reason.as_deref().unwrap_or("")),
                    csv_field(r.actor.as_deref().unwrap_or("")),
                    opt(r.pending_of),
                    opt(r.reversal_of),
                ));
            }
            c.after = last;
            Some((Ok(chunk), Some(c)))
        }
    });
    csv_response("ledger.csv", axum::body::Body::from_stream(stream))
}

async fn export_orders(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (from, to, exporter) = match begin_export(&web, &st, &q, "orders").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (app, tz, lang) = (web.app.clone(), st.ctx.tz.clone(), st.lang);
    let currency = st.ctx.program.currency.clone();
    let head = "\u{feff}order_id,time,member_id,item_id,item,sku,quantity,points,cash,currency,state,carrier,\
                tracking_no,payment_ref,refunded_points,refunded_cash,updated\n"
        .to_string();
    let first = Cursor {
        after: 0,
        head: Some(head),
        cache: HashMap::<i64, String>::new(),
    };
    let stream = futures_util::stream::unfold(Some(first), move |state| {
        let (app, tz, currency, who) =
            (app.clone(), tz.clone(), currency.clone(), exporter.clone());
        async move {
            let mut c = state?;
            if let Some(h) = c.head.take() {
                return Some((Ok::<_, std::io::Error>(h), Some(c)));
            }
            let (after, mut names) = (c.after, std::mem::take(&mut c.cache));
            let page = app
                .read(move |tx| {
                    let rows = jifen_app::console::order_export_page(
                        tx,
                        &who,
                        after,
                        from,
                        to,
                        EXPORT_PAGE,
                    )?;
                    // Item names, read once per item for the whole export.
                    for r in &rows {
                        if names.contains_key(&r.item_id) {
                            continue;
                        }
                        let name = jifen_app::console::item_name(
                            tx,
                            who.program(),
                            r.item_id,
                            lang == Lang::En,
                        )?;
                        names.insert(r.item_id, name);
                    }
                    Ok((rows, names))
                })
                .await;
            let (rows, names) = match page {
                Ok(p) => p,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let last = rows.last()?.order_id;
            let mut chunk = String::new();
            for r in &rows {
                chunk.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    r.order_id,
                    csv_time(r.created_at, &tz),
                    r.member,
                    r.item_id,
                    csv_field(names.get(&r.item_id).map(String::as_str).unwrap_or("")),
                    csv_field(r.sku.as_deref().unwrap_or("")),
                    r.quantity,
                    r.points,
                    money(r.cash_minor),
                    csv_field(&currency),
                    csv_field(&r.state),
                    csv_field(r.carrier.as_deref().unwrap_or("")),
                    csv_field(r.tracking_no.as_deref().unwrap_or("")),
                    csv_field(r.payment_ref.as_deref().unwrap_or("")),
                    r.refunded_points,
                    money(r.refunded_cash_minor),
                    csv_time(r.updated_at, &tz),
                ));
            }
            c.after = last;
            c.cache = names;
            Some((Ok(chunk), Some(c)))
        }
    });
    csv_response("orders.csv", axum::body::Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn export_dates_are_whole_local_days_and_malformed_ones_are_refused() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        // 2026-01-01 00:00 in Shanghai is 2025-12-31 16:00 UTC.
        let (from, to) = export_range(
            &q(&[("from", "2026-01-01"), ("to", "2026-01-01")]),
            &tz,
            Lang::En,
        )
        .unwrap();
        assert_eq!(from, 1_767_225_600_000 - 8 * 3_600_000);
        assert_eq!(to - from, 86_400_000);
        assert_eq!(
            export_range(&q(&[]), &tz, Lang::En).unwrap(),
            (i64::MIN, i64::MAX)
        );
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "01/02/2026",
            "2026-1-1",
            "2026-01-01T00:00",
            "'; DROP",
        ] {
            let e = export_range(&q(&[("from", bad)]), &tz, Lang::En).unwrap_err();
            assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
        }
        assert!(
            export_range(
                &q(&[("from", "2026-02-01"), ("to", "2026-01-01")]),
                &tz,
                Lang::Zh
            )
            .is_err()
        );
    }

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(1234), "12.34");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-150), "-1.50");
    }
}

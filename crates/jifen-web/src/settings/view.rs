//! The settings page: what it lists (programme, member centre, keys, webhooks, exports) and its forms drawn with their errors.

use super::*;

/// What the page lists.
#[derive(Default)]
pub(super) struct Data {
    pub(super) keys: Vec<keys::KeyView>,
    pub(super) hooks: Vec<(EndpointRow, Vec<DeliveryRow>)>,
    pub(super) centre: Option<staff::CentreSettings>,
    pub(super) payment: Option<PaymentSettings>,
    pub(super) point_value: Option<jifen_app::overview::PointValue>,
}

/// What the forms show: typed values, one problem (by `form.field`), a secret made just now.
#[derive(Default)]
pub(super) struct Forms {
    pub(super) name: Option<String>,
    pub(super) timezone: Option<String>,
    pub(super) threshold: Option<String>,
    pub(super) referral_url: Option<String>,
    pub(super) payment_url: Option<String>,
    pub(super) pay_window: Option<String>,
    pub(super) point_value: Option<String>,
    pub(super) key_name: String,
    pub(super) hook_url: String,
    pub(super) hook_topics: String,
    pub(super) error: Option<(String, String)>,
    pub(super) notice: Option<String>,
    pub(super) new_key: Option<(String, String)>,
    pub(super) new_hook: Option<(String, String)>,
}

impl Forms {
    pub(super) fn error(field: &str, msg: impl Into<String>) -> Forms {
        Forms {
            error: Some((field.to_string(), msg.into())),
            ..Forms::default()
        }
    }

    pub(super) fn field_error(&self, name: &str) -> String {
        match &self.error {
            Some((field, msg)) if field == name => format!(
                "<div class=\"field-error\" role=\"alert\">{}</div>",
                esc(msg)
            ),
            _ => String::new(),
        }
    }
}

pub(super) async fn load(web: &Web, st: &Staff) -> Result<Data, AppError> {
    let program = st.s.program;
    let ctx = st.ctx.clone();
    let (centre, payment, point_value) = web
        .app
        .read(move |tx| {
            Ok((
                staff::centre_settings(tx, &ctx)?,
                jifen_app::mall::payment_settings(tx, &ctx)?,
                jifen_app::overview::point_value(tx, &ctx)?,
            ))
        })
        .await?;
    let Some(integrations) = st.s.integration_reader() else {
        return Ok(Data {
            centre: Some(centre),
            payment: Some(payment),
            point_value: Some(point_value),
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
                payment: Some(payment),
                point_value: Some(point_value),
            })
        })
        .await
}

/// The settings page answering `status`, with the forms as given.
pub(super) async fn show(web: &Web, st: &Staff, status: StatusCode, f: Forms) -> Response {
    let data = match load(web, st).await {
        Ok(d) => d,
        Err(e) => return st.fail(e),
    };
    st.page(status, "settings", title(st), &render(st, &data, &f))
}

pub(super) async fn settings(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q.get("done").and_then(|d| {
        Some(match d.as_str() {
            "program" => st.t("会员计划已保存", "The programme was saved"),
            "payment" => st.t("在线支付设置已保存", "The payment settings were saved"),
            "point_value" => st.t("积分价值已保存", "The value of points was saved"),
            "revoked" => st.t(
                "密钥已吊销，立即失效",
                "The key was revoked; it no longer works",
            ),
            "disabled" => st.t("推送地址已停用", "The webhook was disabled"),
            "enabled" => st.t("推送地址已启用", "The webhook was enabled"),
            _ => return None,
        })
    });
    let f = Forms {
        notice: notice.map(str::to_string),
        ..Forms::default()
    };
    show(&web, &st, StatusCode::OK, f).await
}

pub(super) fn validity_text(lang: Lang, v: &Validity) -> String {
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

/// The settings page: the notice, the programme, approvals and the member centre, API keys and
/// webhooks (for the roles that see them), and the exports.
pub(super) fn render(st: &Staff, d: &Data, f: &Forms) -> String {
    let mut out = String::new();
    if let Some(n) = &f.notice {
        out.push_str(&format!(
            "<div class=\"notice\" role=\"status\">{}</div>",
            esc(n)
        ));
    }
    out.push_str(&f.field_error("csrf"));
    out.push_str(&programme_section(st, f));
    if let Some(c) = &d.centre {
        out.push_str(&centre_section(st, c, f));
    }
    if let Some(p) = &d.payment {
        out.push_str(&payment_section(st, p, f));
    }
    if let Some(v) = &d.point_value {
        out.push_str(&point_value_section(st, v, f));
    }
    if st.s.integration_reader().is_some() {
        out.push_str(&keys_section(st, d, f));
        out.push_str(&hooks_section(st, d, f));
    } else {
        out.push_str(&format!(
            "<h2>{}</h2><p class=\"muted\">{}</p>",
            st.t("接口密钥与事件推送", "API keys and webhooks"),
            st.t(
                "仅所有者和审计员可以查看，所有者可以管理。",
                "Owners and auditors see them; owners manage them."
            )
        ));
    }
    out.push_str(&exports_section(st));
    out
}

/// The link to staff accounts, the programme's facts and, for owners, the form for its name and
/// time zone.
fn programme_section(st: &Staff, f: &Forms) -> String {
    let mut out = format!(
        "<p class=\"toolbar\"><a class=\"button\" href=\"/console/staff\">{}</a></p>",
        st.t("员工账号与角色", "Staff accounts and roles")
    );
    out.push_str(&programme_facts(st));
    if st.s.owner().is_some() {
        let p = &st.ctx.program;
        out.push_str(&format!(
            "<form class=\"adjust\" method=\"post\" action=\"/console/settings/program\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <div class=\"field grow\"><label for=\"program-name\">{}</label><input type=\"text\" id=\"program-name\" name=\"name\" value=\"{}\" maxlength=\"100\">{}</div>\
             <div class=\"field\"><label for=\"program-tz\">{}</label><input type=\"text\" id=\"program-tz\" name=\"timezone\" value=\"{}\" placeholder=\"Asia/Shanghai\">{}</div>\
             <button type=\"submit\">{}</button></form>{}",
            esc(&st.s.csrf),
            st.t("名称", "Name"),
            esc(f.name.as_deref().unwrap_or(&p.name)),
            f.field_error("program.name"),
            st.t("时区", "Time zone"),
            esc(f.timezone.as_deref().unwrap_or(&p.timezone)),
            f.field_error("program.timezone"),
            st.t("保存", "Save"),
            f.field_error("program.form"),
        ));
    }
    out
}

/// The programme's facts: code, name, currency, time zone, when created, and its points policy.
fn programme_facts(st: &Staff) -> String {
    let lang = st.lang;
    let t = |zh: &'static str, en: &'static str| pick(lang, zh, en);
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
    format!(
        "<h2>{}</h2><table class=\"facts\"><tbody>{}</tbody></table>",
        L::Program.t(lang),
        rows.iter()
            .map(|(k, v)| format!("<tr><th>{k}</th><td>{v}</td></tr>"))
            .collect::<String>()
    )
}

/// Approvals and the member centre: for owners the form (approval threshold, invite link
/// address, private webhook addresses), for others the threshold and the address.
fn centre_section(st: &Staff, c: &staff::CentreSettings, f: &Forms) -> String {
    let t = |zh: &'static str, en: &'static str| pick(st.lang, zh, en);
    let head = format!(
        "<h2>{}</h2>",
        t("审批与会员中心", "Approvals and the member centre")
    );
    if st.s.owner().is_none() {
        return head
            + &format!(
                "<table class=\"facts\"><tbody><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></tbody></table>",
                t("审批阈值", "Approval threshold"),
                num(c.approval_threshold),
                t("邀请链接地址", "Invite link address"),
                esc(c.referral_url.as_deref().unwrap_or("–")),
            );
    }
    let threshold = f
        .threshold
        .clone()
        .unwrap_or_else(|| c.approval_threshold.to_string());
    let url = f
        .referral_url
        .clone()
        .unwrap_or_else(|| c.referral_url.clone().unwrap_or_default());
    head + &format!(
        "<form class=\"adjust\" method=\"post\" action=\"/console/settings/centre\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <div class=\"field\"><label for=\"threshold\">{}</label><input type=\"text\" id=\"threshold\" name=\"threshold\" value=\"{}\" inputmode=\"numeric\">{}</div>\
         <div class=\"field grow\"><label for=\"referral_url\">{}</label><input type=\"text\" id=\"referral_url\" name=\"referral_url\" value=\"{}\" placeholder=\"{}\">{}</div>\
         <div class=\"field\"><label><input type=\"checkbox\" name=\"webhooks_private\" value=\"1\"{}> {}</label></div>\
         <button type=\"submit\">{}</button></form>{}",
        esc(&st.s.csrf),
        t(
            "人工调整超过多少积分需第二人审批",
            "Adjustments above this many points need a second person"
        ),
        esc(&threshold),
        f.field_error("centre.approval_threshold"),
        t(
            "邀请链接地址（商家注册页，留空则只显示邀请码）",
            "Invite link address (the shop's sign-up page; blank shows the code only)"
        ),
        esc(&url),
        t(
            "https:// 开头的注册页地址",
            "An https:// sign-up page address"
        ),
        f.field_error("centre.referral_url"),
        if c.webhooks_private { " checked" } else { "" },
        t(
            "允许事件推送到本机或内网地址",
            "Allow webhooks to this machine or private networks"
        ),
        t("保存", "Save"),
        f.field_error("centre.form"),
    )
}

/// How members pay the cash part of points + cash orders: for owners the form (the merchant's
/// payment link and the payment window), for others the two values.
fn payment_section(st: &Staff, p: &PaymentSettings, f: &Forms) -> String {
    let t = |zh: &'static str, en: &'static str| pick(st.lang, zh, en);
    let head = format!(
        "<h2 id=\"payment\">{}</h2><p class=\"muted\">{}</p>",
        t(
            "积分+现金订单的在线支付",
            "Paying the cash of points + cash orders"
        ),
        t(
            "设置商家支付页后，会员中心的待支付订单显示“去支付”按钮，跳转到该地址；商家系统收款后通过接口回调确认，订单随即变为已支付。未设置时，会员中心提示到门店支付。",
            "With the shop's payment page set, an order awaiting payment in the member centre shows a Pay button to it; the shop's system confirms the payment through the API, and the order is paid. Without it, the centre says the cash is paid at the shop."
        ),
    );
    let window_label = t(
        "付款时限（分钟，超时自动取消并退回积分）",
        "Minutes to pay (after that the order is cancelled and the points come back)",
    );
    if st.s.owner().is_none() {
        return head
            + &format!(
                "<table class=\"facts\"><tbody><tr><th>{}</th><td>{}</td></tr><tr><th>{window_label}</th><td>{}</td></tr></tbody></table>",
                t("商家支付页", "Payment page"),
                esc(p.payment_url.as_deref().unwrap_or("–")),
                p.pay_window_minutes,
            );
    }
    let url = f
        .payment_url
        .clone()
        .unwrap_or_else(|| p.payment_url.clone().unwrap_or_default());
    let window = f
        .pay_window
        .clone()
        .unwrap_or_else(|| p.pay_window_minutes.to_string());
    let bad = |name: &str| {
        if matches!(&f.error, Some((field, _)) if field == name) {
            " aria-invalid=\"true\""
        } else {
            ""
        }
    };
    head + &format!(
        "<form class=\"adjust\" method=\"post\" action=\"/console/settings/payment\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <div class=\"field grow\"><label for=\"payment_url\">{}</label><input type=\"text\" id=\"payment_url\" name=\"payment_url\" value=\"{}\" maxlength=\"600\" placeholder=\"{}\"{}>{}\
         <small class=\"muted\">{}</small></div>\
         <div class=\"field\"><label for=\"pay_window\">{window_label}</label><input type=\"text\" id=\"pay_window\" name=\"pay_window\" value=\"{}\" inputmode=\"numeric\"{}>{}</div>\
         <button type=\"submit\">{}</button></form>{}",
        esc(&st.s.csrf),
        t(
            "商家支付页地址（留空则到店支付）",
            "The shop's payment page (blank: paid at the shop)"
        ),
        esc(&url),
        t(
            "https:// 开头的支付页地址模板",
            "An https:// payment page address template"
        ),
        bad("payment.payment_url"),
        f.field_error("payment.payment_url"),
        t(
            "https:// 开头；可用占位符 <code>{order_id}</code>（必填）<code>{cash_minor}</code>（现金，分）<code>{currency}</code> <code>{member_id}</code> <code>{pay_deadline}</code> <code>{return_url}</code>（返回会员中心订单页）",
            "https:// only; placeholders <code>{order_id}</code> (required), <code>{cash_minor}</code> (cash in fen), <code>{currency}</code>, <code>{member_id}</code>, <code>{pay_deadline}</code>, <code>{return_url}</code> (back to the order in the member centre)"
        ),
        esc(&window),
        bad("payment.pay_window_minutes"),
        f.field_error("payment.pay_window_minutes"),
        t("保存", "Save"),
        f.field_error("payment.form"),
    )
}

/// The exports: the members CSV and the date-ranged ledger and orders CSVs for the roles that
/// may export, or who may.
fn exports_section(st: &Staff) -> String {
    let lang = st.lang;
    let t = |zh: &'static str, en: &'static str| pick(lang, zh, en);
    let head = format!("<h2>{}</h2>", t("数据导出", "Exports"));
    if st.s.exporter().is_none() {
        return head
            + &format!(
                "<p class=\"muted\">{}</p>",
                t(
                    "仅所有者、分析员和审计员可以导出。",
                    "Owners, analysts and auditors may export."
                )
            );
    }
    let range = |action: &str, label: &str| {
        // `ledger`, `orders`: what the form exports, naming its inputs.
        let what = action
            .trim_start_matches("/console/exports/")
            .trim_end_matches(".csv");
        format!(
            "<form class=\"adjust\" method=\"get\" action=\"{action}\">\
             <div class=\"field\"><label for=\"{what}-from\">{}</label><input type=\"date\" id=\"{what}-from\" name=\"from\"></div>\
             <div class=\"field\"><label for=\"{what}-to\">{}</label><input type=\"date\" id=\"{what}-to\" name=\"to\"></div>\
             <button type=\"submit\">{label}</button></form>",
            t("开始日期", "From"),
            t("结束日期（含）", "To (inclusive)"),
        )
    };
    let timezone = &st.ctx.program.timezone;
    head + &format!(
        "<p class=\"muted\">{}</p>\
         <p><a class=\"export\" href=\"/console/exports/members.csv\">{}</a></p>{}{}",
        esc(&match lang {
            Lang::Zh => format!(
                "CSV 文件（UTF-8），日期按 {} 时区，留空则导出全部。每次导出都记入审计日志。",
                timezone
            ),
            Lang::En => format!(
                "CSV files (UTF-8); dates are in {}, leave them empty for everything. Every export is audited.",
                timezone
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
    )
}

pub(super) fn once_box(lang: Lang, title: &str, secret: &str) -> String {
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

pub(super) fn keys_section(st: &Staff, d: &Data, f: &Forms) -> String {
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
                        "<span class=\"pill overdue\">{}</span> <span class=\"muted\">{} {}{}</span>{}",
                        t("已吊销", "revoked"),
                        fmt_time(at, tz),
                        t("吊销人 ", "by "),
                        esc(&by.as_deref().map(|a| crate::page::actor_label(lang, a)).unwrap_or_default()),
                        k.revoke_reason.as_deref().map_or_else(String::new, |r| format!(
                            "<div class=\"revoke-reason\">{}{}</div>",
                            t("原因：", "Reason: "),
                            esc(r)
                        )),
                    ),
                };
                let action = if owner && k.revoked_at.is_none() {
                    format!(
                        "<a class=\"button reject\" href=\"/console/settings/keys/{}/revoke\">{}</a>",
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
    let blank_th = crate::page::th_hidden(crate::page::L::Action.t(lang));
    out.push_str(&format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>{blank_th}</tr></thead><tbody>{rows}</tbody></table>",
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

pub(super) fn delivery_summary(lang: Lang, tz: &TimeZone, ds: &[DeliveryRow]) -> String {
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

pub(super) fn hooks_section(st: &Staff, d: &Data, f: &Forms) -> String {
    let lang = st.lang;
    let t = |zh: &'static str, en: &'static str| pick(lang, zh, en);
    let tz = &st.ctx.tz;
    let csrf = esc(&st.s.csrf);
    let owner = st.s.owner().is_some();
    let mut out = format!("<h2>{}</h2>", t("事件推送", "Webhooks"));
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
    let blank_th = crate::page::th_hidden(crate::page::L::Action.t(lang));
    out.push_str(&format!(
        "<table><thead><tr><th>#</th><th>URL</th><th>{}</th><th>{}</th><th>{}</th>{blank_th}</tr></thead><tbody>{rows}</tbody></table>",
        L::Status.t(lang),
        t("创建时间", "Created"),
        t("最近投递", "Recent deliveries"),
    ));
    if owner {
        out.push_str(&format!(
            "<form class=\"adjust\" method=\"post\" action=\"/console/settings/webhooks\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <div class=\"field grow\"><label for=\"hook-url\">URL</label><input type=\"text\" id=\"hook-url\" name=\"url\" value=\"{}\" maxlength=\"500\" placeholder=\"{}\">{}</div>\
             <div class=\"field grow\"><label for=\"hook-topics\">{}</label><input type=\"text\" id=\"hook-topics\" name=\"topics\" value=\"{}\" placeholder=\"mall.order.*, tier.changed\">{}</div>\
             <button type=\"submit\">{}</button></form><p class=\"muted\">{} {}</p>",
            esc(&f.hook_url),
            t("接收推送的 https:// 地址", "The https:// address that receives them"),
            f.field_error("hook.url"),
            t("订阅主题（逗号分隔，* 表示一类）", "Topics (comma-separated; * takes a family)"),
            esc(&f.hook_topics),
            f.field_error("hook.topics"),
            t("添加推送地址", "Add webhook"),
            t(
                "推送经 HTTPS 送达并校验对方证书，每次带签名。可选主题：",
                "Deliveries go over HTTPS with the receiver's certificate checked, each one signed. Topics:"
            ),
            webhooks::TOPICS
                .iter()
                .map(|t| format!("<code>{}</code>", esc(t)))
                .collect::<Vec<_>>()
                .join(" "),
        ));
    }
    out
}

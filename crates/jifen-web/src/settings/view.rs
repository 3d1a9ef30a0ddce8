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
    st.render(status, &page(st, data, f))
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
            Lang::En if years == 1 => "At the end of the year after the year earned".to_string(),
            Lang::En => format!("At the end of the year, {years} years after the year earned"),
        },
    }
}

/// One fact of the programme.
pub(super) struct Fact {
    pub(super) label: &'static str,
    pub(super) value: String,
    /// Shown as code.
    pub(super) code: bool,
}

/// Approvals and the member centre, as typed or stored.
pub(super) struct CentreView {
    pub(super) threshold: String,
    pub(super) referral_url: String,
    pub(super) webhooks_private: bool,
}

/// The payment link and window, as typed or stored.
pub(super) struct PaymentView {
    pub(super) url: String,
    pub(super) window: String,
}

/// The value of points: its label (with the currency), as shown and as typed.
pub(super) struct PointValueView {
    pub(super) label: String,
    pub(super) shown: String,
    pub(super) typed: String,
}

/// A key's revocation: when, by whom, why.
pub(super) struct Revoked {
    pub(super) at: String,
    pub(super) by: String,
    pub(super) reason: Option<String>,
}

pub(super) struct KeyLine {
    pub(super) key_id: String,
    pub(super) name: String,
    pub(super) prefix: String,
    pub(super) created: String,
    pub(super) revoked: Option<Revoked>,
    pub(super) adjust: bool,
}

/// The last delivery to a webhook and the totals of the recent ones.
pub(super) struct LastDelivery {
    pub(super) status: String,
    pub(super) failed: bool,
    pub(super) topic: String,
    pub(super) when: String,
    pub(super) code: Option<i64>,
    pub(super) error: String,
    pub(super) totals: String,
}

pub(super) struct HookLine {
    pub(super) id: i64,
    pub(super) url: String,
    pub(super) topics: String,
    pub(super) active: bool,
    pub(super) created: String,
    pub(super) last: Option<LastDelivery>,
}

/// The settings page: the notice, the programme, approvals and the member centre, payment, the
/// value of points, API keys and webhooks (for the roles that see them), and the exports.
#[derive(Template)]
#[template(path = "console/settings.html")]
pub(super) struct SettingsPage {
    pub(super) frame: Frame,
    pub(super) form: FormState,
    pub(super) notice: Option<String>,
    pub(super) owner: bool,
    pub(super) facts: Vec<Fact>,
    pub(super) program_name: String,
    pub(super) program_tz: String,
    pub(super) centre: Option<CentreView>,
    pub(super) payment: Option<PaymentView>,
    pub(super) point_value: Option<PointValueView>,
    pub(super) integrations: bool,
    pub(super) new_key: Option<(String, String)>,
    pub(super) keys: Vec<KeyLine>,
    pub(super) key_name: String,
    pub(super) key_name_max: String,
    pub(super) new_hook: Option<(String, String)>,
    pub(super) hooks: Vec<HookLine>,
    pub(super) hook_url: String,
    pub(super) hook_topics: String,
    pub(super) topics: &'static [&'static str],
    /// What the exports are, for the roles that may export.
    pub(super) export_note: Option<String>,
    /// The date-ranged exports: what (`ledger`, `orders`) and the button's words.
    pub(super) export_forms: [(&'static str, &'static str); 2],
}

/// The page from what it lists and what the forms hold.
pub(super) fn page(st: &Staff, d: Data, f: Forms) -> SettingsPage {
    let lang = st.lang;
    let p = &st.ctx.program;
    let centre = d.centre.map(|c| CentreView {
        threshold: f.threshold.clone().unwrap_or_else(|| {
            if st.s.owner().is_some() {
                c.approval_threshold.to_string()
            } else {
                num(c.approval_threshold)
            }
        }),
        referral_url: f
            .referral_url
            .clone()
            .unwrap_or_else(|| c.referral_url.clone().unwrap_or_default()),
        webhooks_private: c.webhooks_private,
    });
    let payment = d.payment.map(|p| PaymentView {
        url: f
            .payment_url
            .clone()
            .unwrap_or_else(|| p.payment_url.clone().unwrap_or_default()),
        window: f
            .pay_window
            .clone()
            .unwrap_or_else(|| p.pay_window_minutes.to_string()),
    });
    let point_value = d
        .point_value
        .as_ref()
        .map(|v| point_value_view(st, v, f.point_value.clone()));
    let tz = &st.ctx.tz;
    let new_key = f.new_key.map(|(name, secret)| {
        let title = match lang {
            Lang::Zh => format!("已创建接口密钥「{name}」"),
            Lang::En => format!("API key \u{201c}{name}\u{201d} created"),
        };
        (title, secret)
    });
    let new_hook = f.new_hook.map(|(url, secret)| {
        let title = match lang {
            Lang::Zh => format!("已添加 {url}，签名密钥："),
            Lang::En => format!("{url} added; its signing secret:"),
        };
        (title, secret)
    });
    let timezone = &p.timezone;
    let export_note = st.s.exporter().map(|_| match lang {
        Lang::Zh => format!(
            "CSV 文件（UTF-8），日期按 {timezone} 时区，留空则导出全部。每次导出都记入审计日志。"
        ),
        Lang::En => format!(
            "CSV files (UTF-8); dates are in {timezone}, leave them empty for everything. Every export is audited."
        ),
    });
    SettingsPage {
        frame: st.frame("settings", title(st)),
        form: FormState::new(st, "", f.error),
        notice: f.notice,
        owner: st.s.owner().is_some(),
        facts: programme_facts(st),
        program_name: f.name.unwrap_or_else(|| p.name.clone()),
        program_tz: f.timezone.unwrap_or_else(|| p.timezone.clone()),
        centre,
        payment,
        point_value,
        integrations: st.s.integration_reader().is_some(),
        new_key,
        keys: d.keys.iter().map(|k| key_line(lang, tz, k)).collect(),
        key_name: f.key_name,
        key_name_max: keys::NAME_MAX.to_string(),
        new_hook,
        hooks: d
            .hooks
            .iter()
            .map(|(e, ds)| hook_line(lang, tz, e, ds))
            .collect(),
        hook_url: f.hook_url,
        hook_topics: f.hook_topics,
        topics: webhooks::TOPICS,
        export_note,
        export_forms: [
            (
                "ledger",
                st.t("导出积分流水 CSV", "Export ledger lines (CSV)"),
            ),
            (
                "orders",
                st.t("导出商城订单 CSV", "Export mall orders (CSV)"),
            ),
        ],
    }
}

/// The programme's facts: code, name, currency, time zone, when created, and its points policy.
fn programme_facts(st: &Staff) -> Vec<Fact> {
    let lang = st.lang;
    let t = |zh: &'static str, en: &'static str| pick(lang, zh, en);
    let p = &st.ctx.program;
    let policy = &p.policy;
    let fact = |label, value: String| Fact {
        label,
        value,
        code: false,
    };
    vec![
        Fact {
            code: true,
            ..fact(t("代码", "Code"), p.code.clone())
        },
        fact(t("名称", "Name"), p.name.clone()),
        fact(t("币种", "Currency"), p.currency.clone()),
        fact(t("时区", "Time zone"), p.timezone.clone()),
        fact(t("创建时间", "Created"), fmt_time(p.created_at, &st.ctx.tz)),
        fact(
            t("积分有效期", "Points validity"),
            validity_text(lang, &policy.validity),
        ),
        fact(
            t("待生效天数（退货期）", "Pending days (return window)"),
            num(policy.pending_days as i64),
        ),
        fact(
            t("每元积分", "Points per currency unit"),
            num(policy.points_per_unit),
        ),
        fact(
            t("每元成长值", "Growth per currency unit"),
            num(policy.growth_per_unit),
        ),
        fact(
            t("退款积分不足时", "When a refund finds points spent"),
            match policy.shortfall {
                ShortfallPolicy::Debt => t("记为欠分", "Carry as debt"),
                ShortfallPolicy::WriteOff => t("核销", "Write off"),
            }
            .to_string(),
        ),
        fact(
            t("扣回时先扣待生效积分", "Claw back pending points first"),
            if policy.clawback_pending_first {
                t("是", "Yes")
            } else {
                t("否", "No")
            }
            .to_string(),
        ),
    ]
}

fn key_line(lang: Lang, tz: &TimeZone, k: &keys::KeyView) -> KeyLine {
    KeyLine {
        key_id: k.key_id.clone(),
        name: k.name.clone(),
        prefix: k
            .prefix
            .as_deref()
            .map_or_else(|| "–".into(), |p| format!("{p}…")),
        created: fmt_time(k.created_at, tz),
        revoked: k.revoked_at.map(|at| Revoked {
            at: fmt_time(at, tz),
            by: k
                .revoked_by
                .as_deref()
                .map(|a| crate::page::actor_label(lang, a))
                .unwrap_or_default(),
            reason: k.revoke_reason.clone(),
        }),
        adjust: k.adjust_without_approval,
    }
}

fn hook_line(lang: Lang, tz: &TimeZone, e: &EndpointRow, ds: &[DeliveryRow]) -> HookLine {
    let topics: Vec<String> = serde_json::from_str(&e.topics).unwrap_or_default();
    HookLine {
        id: e.id,
        url: e.url.clone(),
        topics: topics.join(", "),
        active: e.status == "active",
        created: fmt_time(e.created_at, tz),
        last: last_delivery(lang, tz, ds),
    }
}

/// The last of the recent deliveries `ds` (newest first) and their totals.
pub(super) fn last_delivery(lang: Lang, tz: &TimeZone, ds: &[DeliveryRow]) -> Option<LastDelivery> {
    let last = ds.first()?;
    let count = |s: &str| ds.iter().filter(|d| d.status == s).count();
    let when = last
        .delivered_at
        .map(|at| fmt_time(at, tz))
        .unwrap_or_else(|| match lang {
            Lang::Zh => format!("下次尝试 {}", fmt_time(last.next_attempt_at, tz)),
            Lang::En => format!("next try {}", fmt_time(last.next_attempt_at, tz)),
        });
    let (n, ok, pending, failed) = (
        ds.len(),
        count("delivered"),
        count("pending"),
        count("failed"),
    );
    let totals = match lang {
        Lang::Zh => format!("最近 {n} 次：送达 {ok}，待重试 {pending}，失败 {failed}"),
        Lang::En => format!("last {n}: {ok} delivered, {pending} pending, {failed} failed"),
    };
    Some(LastDelivery {
        status: last.status.clone(),
        failed: last.status == "failed",
        topic: last.topic.clone(),
        when,
        code: last.last_code,
        error: last
            .last_error
            .as_deref()
            .map(|e| e.chars().take(120).collect())
            .unwrap_or_default(),
        totals,
    })
}

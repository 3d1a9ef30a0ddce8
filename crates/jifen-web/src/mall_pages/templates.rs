//! Coupon templates: the list and the form that writes a template.

use super::*;
use jifen_domain::coupons::CouponTemplate;

pub(super) async fn templates(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = q.done.map(|_| st.t("已创建", "Created"));
    let form = TemplateForm {
        kind: "amount_off".into(),
        days: "30".into(),
        form_key: form_key(),
        ..Default::default()
    };
    templates_page(&web, &st, notice, StatusCode::OK, &form, None).await
}

pub(super) async fn templates_page(
    web: &Web,
    st: &Staff,
    notice: Option<&str>,
    status: StatusCode,
    form: &TemplateForm,
    form_error: Option<&(String, String)>,
) -> Response {
    let ctx = st.ctx.clone();
    let list = match web
        .app
        .read(move |tx| jifen_app::coupons::templates(tx, &ctx))
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let rows: String = list.items.iter().map(|t| template_row(st, t)).collect();
    let list = format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table><h2>{}</h2>",
        st.t("代码", "Code"),
        st.t("名称", "Name"),
        st.t("面额", "Value"),
        st.t("有效期", "Valid"),
        st.t("总量", "Stock"),
        st.t("已发", "Issued"),
        st.t("状态", "Status"),
        if rows.is_empty() {
            format!(
                "<tr><td colspan=\"7\" class=\"muted\">{}</td></tr>",
                st.t("还没有优惠券模板", "No coupon templates yet")
            )
        } else {
            rows
        },
        st.t("新建模板", "New template"),
    ) + &if st.s.role.operates() {
        template_form(st, form, form_error)
    } else {
        String::new()
    } + &format!(
        "<p class=\"muted\">{} <code>POST /api/v1/coupon-templates</code></p>",
        st.t("也可用 API 创建：", "Also by API:")
    );
    let body = format!(
        "{}{list}",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
    );
    st.page(
        status,
        "mall",
        st.t("优惠券模板", "Coupon templates"),
        &body,
    )
}

/// One template in the list: code, name, value, validity, stock, issued and status.
fn template_row(st: &Staff, t: &jifen_app::coupons::CouponTemplateView) -> String {
    use jifen_domain::coupons::{CouponKind, CouponValidity};
    let value = match &t.kind {
        CouponKind::AmountOff { amount_minor } => format!("-{}", money(st, *amount_minor)),
        CouponKind::PercentOff { percent, .. } => format!("-{percent}%"),
        CouponKind::FreeShipping { .. } => st.t("免运费", "Free shipping").into(),
        CouponKind::Gift { .. } => st.t("赠品", "Gift").into(),
    };
    let threshold = t.threshold_minor;
    let validity = match t.validity {
        CouponValidity::Days { days } => format!("{days} {}", st.t("天", "days")),
        CouponValidity::Window { from, until } => format!(
            "{} – {}",
            fmt_time(from, &st.ctx.tz),
            fmt_time(until, &st.ctx.tz)
        ),
    };
    format!(
        "<tr><td><code>{}</code></td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"pill {}\">{}</span></td></tr>",
        esc(&t.code),
        esc(t.name(st.lang == crate::page::Lang::En)),
        esc(&value),
        if threshold > 0 {
            format!(
                " <span class=\"muted\">{} {}</span>",
                st.t("满", "from"),
                money(st, threshold)
            )
        } else {
            String::new()
        },
        esc(&validity),
        t.stock.map(num).unwrap_or_else(|| "∞".into()),
        num(t.issued),
        esc(&t.status),
        esc(&super::def_form::status_words(st, &t.status)),
    )
}

/// A coupon template as typed into the form: amounts in yuan, validity in days or as dates.
#[derive(Deserialize, Default, Clone)]
pub(super) struct TemplateForm {
    #[serde(default)]
    pub(super) code: String,
    #[serde(default)]
    pub(super) name_zh: String,
    #[serde(default)]
    pub(super) name_en: String,
    #[serde(default)]
    pub(super) kind: String,
    /// Yuan off, percent off, the shipping covered, or the gift, by kind.
    #[serde(default)]
    pub(super) value: String,
    /// Percent off: the most it takes off, in yuan.
    #[serde(default)]
    pub(super) cap: String,
    #[serde(default)]
    pub(super) threshold: String,
    #[serde(default)]
    pub(super) days: String,
    #[serde(default)]
    pub(super) from: String,
    #[serde(default)]
    pub(super) until: String,
    #[serde(default)]
    pub(super) per_member_limit: String,
    #[serde(default)]
    pub(super) stock: String,
    #[serde(default)]
    pub(super) form_key: String,
    #[serde(default)]
    pub(super) csrf: String,
}

impl TemplateForm {
    pub(super) fn to_def(
        &self,
        tz: &jiff::tz::TimeZone,
    ) -> Result<CouponTemplate, (String, String)> {
        use jifen_domain::coupons::{CouponKind, CouponValidity};
        let bad = |f: &str, m: &str| (f.to_string(), m.to_string());
        let yuan =
            |f: &str, v: &str| parse_money(v).ok_or_else(|| bad(f, "an amount such as 20 or 9.90"));
        let int = |f: &str, v: &str| -> Result<Option<i64>, (String, String)> {
            let v = v.trim().replace(',', "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .map(Some)
                .map_err(|_| bad(f, "a whole number"))
        };
        let kind = match self.kind.as_str() {
            "amount_off" => CouponKind::AmountOff {
                amount_minor: yuan("value", &self.value)?,
            },
            "percent_off" => {
                let percent = int("value", &self.value)?
                    .ok_or_else(|| bad("value", "how many percent off, 1 to 99"))?;
                let cap = yuan("cap", &self.cap)?;
                CouponKind::PercentOff {
                    percent: percent.clamp(0, 1_000) as u32,
                    max_off_minor: (cap > 0).then_some(cap),
                }
            }
            "free_shipping" => {
                let max = yuan("value", &self.value)?;
                CouponKind::FreeShipping {
                    max_minor: (max > 0).then_some(max),
                }
            }
            "gift" => CouponKind::Gift {
                gift: self.value.trim().to_string(),
            },
            _ => return Err(bad("kind", "choose what the coupon gives")),
        };
        let validity = if !self.from.trim().is_empty() || !self.until.trim().is_empty() {
            let day = |f: &str, v: &str| {
                v.trim()
                    .parse::<jiff::civil::Date>()
                    .ok()
                    .and_then(|d| d.to_zoned(tz.clone()).ok())
                    .map(|z| z.timestamp().as_millisecond())
                    .ok_or_else(|| bad(f, "a date such as 2026-12-31"))
            };
            CouponValidity::Window {
                from: day("from", &self.from)?,
                until: day("until", &self.until)? + 86_400_000,
            }
        } else {
            let days = int("days", &self.days)?
                .ok_or_else(|| bad("days", "how many days it stays valid, or dates"))?;
            CouponValidity::Days {
                days: days.clamp(0, 100_000) as u32,
            }
        };
        Ok(CouponTemplate {
            code: self.code.trim().to_string(),
            name_zh: self.name_zh.trim().to_string(),
            name_en: self.name_en.trim().to_string(),
            kind,
            threshold_minor: yuan("threshold", &self.threshold)?,
            validity,
            per_member_limit: int("per_member_limit", &self.per_member_limit)?
                .map(|n| n.clamp(0, 1_000_000) as u32),
            stock: int("stock", &self.stock)?,
        })
    }
}

/// Where the use case's field error goes on the template form.
pub(super) fn template_field(field: &str) -> String {
    match field {
        "amount_minor" | "percent" | "max_minor" | "gift" => "value",
        "max_off_minor" => "cap",
        "threshold_minor" => "threshold",
        "validity.days" => "days",
        "validity.from" => "from",
        "validity.until" | "validity" => "until",
        "code" | "name_zh" | "name_en" | "per_member_limit" | "stock" => field,
        _ => "form",
    }
    .to_string()
}

pub(super) fn template_form(
    st: &Staff,
    f: &TemplateForm,
    error: Option<&(String, String)>,
) -> String {
    let input = |name: &str, label: &str, value: &str, hint: &str, kind: &str| {
        format!(
            "<div class=\"field\"><label for=\"t_{name}\">{label}</label><input type=\"{kind}\" id=\"t_{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\">{}</div>",
            esc(value),
            esc(hint),
            field_error(error, name)
        )
    };
    let kinds = crate::forms::options(
        &[
            ("amount_off", st.t("满减（减多少元）", "Amount off (yuan)")),
            ("percent_off", st.t("折扣（减百分之几）", "Percent off")),
            (
                "free_shipping",
                st.t("免运费（最多多少元）", "Free shipping (up to yuan)"),
            ),
            ("gift", st.t("赠品（赠什么）", "Gift (what)")),
        ],
        &f.kind,
    );
    format!(
        "{}<form class=\"rule\" method=\"post\" action=\"/console/coupon-templates/new\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"form_key\" value=\"{}\">\
         <div class=\"grid\">{}{}{}</div>\
         <div class=\"grid\"><div class=\"field\"><label for=\"t_kind\">{}</label><select id=\"t_kind\" name=\"kind\">{kinds}</select>{}</div>{}{}{}</div>\
         <div class=\"grid\">{}{}{}{}{}</div>\
         <div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
        field_error(error, "form"),
        esc(&st.s.csrf),
        esc(&f.form_key),
        input("code", st.t("代码", "Code"), &f.code, "off_20_100", "text"),
        input(
            "name_zh",
            st.t("中文名称", "Name (Chinese)"),
            &f.name_zh,
            "满100减20",
            "text"
        ),
        input(
            "name_en",
            st.t("英文名称", "Name (English)"),
            &f.name_en,
            st.t("", "20 off 100"),
            "text"
        ),
        st.t("类型", "Kind"),
        field_error(error, "kind"),
        input(
            "value",
            st.t("面额 / 折扣 / 赠品", "Value / percent / gift"),
            &f.value,
            "20",
            "text"
        ),
        input(
            "cap",
            st.t("折扣最多减（元）", "Percent off: at most (yuan)"),
            &f.cap,
            "",
            "text"
        ),
        input(
            "threshold",
            st.t("满多少元可用", "From an order of (yuan)"),
            &f.threshold,
            "100",
            "text"
        ),
        input(
            "days",
            st.t("领取后有效天数", "Valid for days after issue"),
            &f.days,
            "30",
            "text"
        ),
        input(
            "from",
            st.t("或：固定开始日", "Or: valid from"),
            &f.from,
            "",
            "date"
        ),
        input(
            "until",
            st.t("固定结束日（含）", "Valid until (inclusive)"),
            &f.until,
            "",
            "date"
        ),
        input(
            "per_member_limit",
            st.t("每人最多", "Per member at most"),
            &f.per_member_limit,
            "",
            "text"
        ),
        input(
            "stock",
            st.t("发放总量", "Total to issue"),
            &f.stock,
            "",
            "text"
        ),
        st.t("创建模板", "Create the template"),
    )
}

pub(super) async fn create_template_form(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<TemplateForm>,
) -> Response {
    let again = |e: (String, String), status: StatusCode| {
        let (web, st, f) = (web.clone(), &st, f.clone());
        async move { templates_page(&web, st, None, status, &f, Some(&e)).await }
    };
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("优惠券模板", "Coupon templates"));
    }
    if f.csrf != st.s.csrf {
        return again(expired(&st), StatusCode::FORBIDDEN).await;
    }
    let t = match f.to_def(&st.ctx.tz) {
        Ok(t) => t,
        Err(e) => return again(e, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let idem = (!f.form_key.is_empty()).then(|| {
        (
            format!("console:coupon_template:{}", f.form_key),
            serde_json::to_string(&t).unwrap_or_default(),
        )
    });
    let out = st
        .act_as(&web, "coupons", idem, move |tx, ctx, now, actor| {
            jifen_app::coupons::create_template(tx, ctx, now, actor, &t)
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/coupon-templates?done=1").into_response(),
        Err(AppError::Invalid { field, message }) => {
            again(
                (template_field(&field), message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            again(("code".into(), message), StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

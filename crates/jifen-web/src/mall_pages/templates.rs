//! Coupon templates: the list and the form that writes a template.

use askama::Template;

use super::*;
use crate::forms::{Choice, FormState};
use crate::frame::Frame;
use crate::page::L;
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
    let kinds = crate::forms::choices(
        &[
            ("amount_off", st.t("满减（减多少元）", "Amount off (yuan)")),
            ("percent_off", st.t("折扣（减百分之几）", "Percent off")),
            (
                "free_shipping",
                st.t("免运费（最多多少元）", "Free shipping (up to yuan)"),
            ),
            ("gift", st.t("赠品（赠什么）", "Gift (what)")),
        ],
        &form.kind,
    );
    let page = TemplatesPage {
        frame: st.frame("mall", st.t("优惠券模板", "Coupon templates")),
        notice: notice.map(str::to_string),
        rows: list.items.iter().map(|t| template_line(st, t)).collect(),
        operates: st.s.role.operates(),
        form: FormState::new(st, &form.form_key, form_error.cloned()),
        tf: form.clone(),
        kinds,
    };
    st.render(status, &page)
}

/// The coupon templates page: the list, and for roles that change it the form for a new one.
#[derive(Template)]
#[template(path = "console/coupon_templates.html")]
struct TemplatesPage {
    frame: Frame,
    notice: Option<String>,
    rows: Vec<TemplateLine>,
    operates: bool,
    form: FormState,
    /// The form as typed.
    tf: TemplateForm,
    kinds: Vec<Choice>,
}

/// One template in the list: code, name, value (and the order it applies from), validity,
/// stock, issued and status.
struct TemplateLine {
    code: String,
    name: String,
    value: String,
    threshold: Option<String>,
    validity: String,
    stock: String,
    issued: String,
    status: String,
    status_words: String,
}

fn template_line(st: &Staff, t: &jifen_app::coupons::CouponTemplateView) -> TemplateLine {
    use jifen_domain::coupons::{CouponKind, CouponValidity};
    let value = match &t.kind {
        CouponKind::AmountOff { amount_minor } => format!("-{}", money(st, *amount_minor)),
        CouponKind::PercentOff { percent, .. } => format!("-{percent}%"),
        CouponKind::FreeShipping { .. } => st.t("免运费", "Free shipping").into(),
        CouponKind::Gift { .. } => st.t("赠品", "Gift").into(),
    };
    let validity = match t.validity {
        CouponValidity::Days { days } => format!("{days} {}", st.t("天", "days")),
        CouponValidity::Window { from, until } => format!(
            "{} – {}",
            fmt_time(from, &st.ctx.tz),
            fmt_time(until, &st.ctx.tz)
        ),
    };
    TemplateLine {
        code: t.code.clone(),
        name: t.name(st.lang == crate::page::Lang::En).to_string(),
        value,
        threshold: (t.threshold_minor > 0).then(|| money(st, t.threshold_minor)),
        validity,
        stock: t.stock.map(num).unwrap_or_else(|| "∞".into()),
        issued: num(t.issued),
        status: t.status.clone(),
        status_words: super::def_form::status_words(st, &t.status),
    }
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
    /// The template the form describes, or the error of the field that does not read, in the
    /// page's words.
    pub(super) fn to_def(&self, st: &Staff) -> Result<CouponTemplate, (String, String)> {
        use jifen_domain::coupons::{CouponKind, CouponValidity};
        let tz = &st.ctx.tz;
        let bad = |f: &str, (zh, en): (&str, &str)| (f.to_string(), st.t(zh, en).to_string());
        let yuan = |f: &str, v: &str| {
            parse_money(v).ok_or_else(|| {
                bad(
                    f,
                    ("请填写金额，如 20 或 9.90", "An amount such as 20 or 9.90"),
                )
            })
        };
        let int = |f: &str, v: &str| -> Result<Option<i64>, (String, String)> {
            let v = v.trim().replace(',', "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .map(Some)
                .map_err(|_| bad(f, ("请填写整数", "A whole number")))
        };
        let kind = match self.kind.as_str() {
            "amount_off" => CouponKind::AmountOff {
                amount_minor: yuan("value", &self.value)?,
            },
            "percent_off" => {
                let percent = int("value", &self.value)?.ok_or_else(|| {
                    bad(
                        "value",
                        ("请填写减百分之几，1 到 99", "How many percent off, 1 to 99"),
                    )
                })?;
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
            _ => {
                return Err(bad(
                    "kind",
                    ("请选择优惠券的类型", "Choose what the coupon gives"),
                ));
            }
        };
        let validity = if !self.from.trim().is_empty() || !self.until.trim().is_empty() {
            let day = |f: &str, v: &str| {
                v.trim()
                    .parse::<jiff::civil::Date>()
                    .ok()
                    .and_then(|d| d.to_zoned(tz.clone()).ok())
                    .map(|z| z.timestamp().as_millisecond())
                    .ok_or_else(|| {
                        bad(
                            f,
                            ("请填写日期，如 2026-12-31", "A date such as 2026-12-31"),
                        )
                    })
            };
            CouponValidity::Window {
                from: day("from", &self.from)?,
                until: day("until", &self.until)? + 86_400_000,
            }
        } else {
            let days = int("days", &self.days)?.ok_or_else(|| {
                bad(
                    "days",
                    (
                        "请填写有效天数，或固定的起止日期",
                        "How many days it stays valid, or dates",
                    ),
                )
            })?;
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

/// A refusal of the template's checks in the page's words; amounts, checked in minor units,
/// are spoken of in yuan as the form has them.
fn template_message(st: &Staff, field: &str, message: &str) -> String {
    let amount = matches!(
        field,
        "amount_minor" | "max_off_minor" | "max_minor" | "threshold_minor"
    );
    if amount && message.starts_with("must be between") {
        return st
            .t(
                "须为不超过 10,000,000 元的金额",
                "must be an amount of at most 10,000,000",
            )
            .into();
    }
    super::def_form::in_words(st, message)
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
    let t = match f.to_def(&st) {
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
            let message = template_message(&st, &field, &message);
            again(
                (template_field(&field), message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let taken = st.t("代码已被使用", "This code is already used");
            again(("code".into(), taken.into()), StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

//! Definitions edited as JSON (one page shape, one save path) and the tier ladder.

use super::*;
use jifen_domain::tiers::{Benefits, Gift, Ladder, Review, ReviewPeriod, Window};

/// A definition page: what exists, and a JSON editor that sends a definition to the use case;
/// an error names the field in the JSON, next to the editor, and keeps the text.
pub(super) struct DefPage<'a> {
    pub(super) active: &'a str,
    pub(super) title: &'a str,
    pub(super) action: &'a str,
    pub(super) list: String,
    pub(super) text: String,
    pub(super) error: Option<String>,
    pub(super) notice: Option<&'a str>,
    pub(super) help: &'a str,
    pub(super) button: &'a str,
}

pub(super) fn def_page(st: &Staff, p: DefPage<'_>, status: StatusCode) -> Response {
    let editor = if st.s.role.operates() {
        format!(
            "<form class=\"rule\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <div class=\"field\"><label for=\"definition\">{}</label><textarea id=\"definition\" name=\"definition\" rows=\"14\" spellcheck=\"false\"{}>{}</textarea>{}</div>\
             <div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
            p.action,
            esc(&st.s.csrf),
            esc(p.help),
            if p.error.is_some() {
                " aria-invalid=\"true\""
            } else {
                ""
            },
            esc(&p.text),
            p.error
                .as_ref()
                .map(|e| format!("<div class=\"field-error\" role=\"alert\">{}</div>", esc(e)))
                .unwrap_or_default(),
            esc(p.button),
        )
    } else {
        String::new()
    };
    let body = format!(
        "{}{}{editor}",
        p.notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        p.list,
    );
    st.page(status, p.active, p.title, &body)
}

#[derive(Deserialize, Default)]
pub(super) struct DefForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) definition: String,
}

/// Parses the editor's JSON, or says where it is wrong.
pub(super) fn parse_def<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))
}

/// Sends the editor's definition to the use case `run`, made in the staff member's name (the
/// use case writes the audit entry); a refusal is the status to answer with and the message
/// to show next to the editor.
pub(super) async fn save_def<T, V, F>(
    web: &Web,
    st: &Staff,
    f: &DefForm,
    partition: &str,
    run: F,
) -> Result<(), (StatusCode, String)>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    V: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    F: Fn(&mut jifen_app::Tx<'_>, &jifen_app::ProgramCtx, i64, &str, &T) -> Result<V, AppError>
        + Send
        + Sync
        + 'static,
{
    if !st.s.role.operates() {
        let msg = st.t("你的角色不能修改", "Your role may not change this");
        return Err((StatusCode::FORBIDDEN, msg.into()));
    }
    if f.csrf != st.s.csrf {
        return Err((StatusCode::FORBIDDEN, expired(st).1));
    }
    let def: T = parse_def(&f.definition).map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let actor = st.s.actor();
    let out = web
        .app
        .write_view(st.s.program, partition, None, move |tx, ctx, now| {
            run(tx, ctx, now, &actor, &def)
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(_) => Ok(()),
        Err(AppError::Invalid { field, message }) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{field}: {message}"),
        )),
        Err(AppError::Conflict { message, .. }) => Err((StatusCode::CONFLICT, message)),
        Err(e) => Err(crate::shown_error(st.lang, &e)),
    }
}

pub(super) async fn tiers(st: Staff, Query(q): Query<DoneQuery>) -> Response {
    let text = st
        .ctx
        .earn
        .ladder
        .as_ref()
        .map(|l| serde_json::to_string_pretty(l).unwrap_or_default())
        .unwrap_or_else(|| TIERS_EXAMPLE.to_string());
    let notice = q.done.map(|_| st.t("已保存", "Saved"));
    tiers_page(&st, text, None, notice, StatusCode::OK)
}

pub(super) const TIERS_EXAMPLE: &str = r#"{
  "metric": "growth",
  "window": {"kind": "rolling_months", "months": 12},
  "tiers": [
    {"code": "silver", "name_zh": "银卡", "name_en": "Silver", "threshold": 0},
    {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "threshold": 5000,
     "benefits": {"earn_multiplier_pct": 150}}
  ]
}"#;

pub(super) fn review_words(st: &Staff, r: Option<&Review>) -> String {
    let Some(r) = r else {
        return String::new();
    };
    let every = match r.every {
        ReviewPeriod::Month => st.t("每月", "monthly"),
        ReviewPeriod::Quarter => st.t("每季度", "quarterly"),
        ReviewPeriod::Year => st.t("每年", "yearly"),
    };
    format!(
        " · {} {every} · {} {} {} · {} {}",
        st.t("保级评审", "Review"),
        st.t("宽限", "grace"),
        r.grace_days,
        st.t("天", "days"),
        st.t("每次最多降级", "down at most, per review:"),
        r.downgrade_steps_max,
    )
}

pub(super) fn benefit_words(st: &Staff, b: &Benefits) -> String {
    let gift = |g: &Gift| {
        let mut parts = Vec::new();
        if g.points > 0 {
            parts.push(format!("{} {}", num(g.points), st.t("积分", "points")));
        }
        if let Some(c) = &g.coupon {
            parts.push(format!("{} {c}", st.t("券", "coupon")));
        }
        parts.join(" + ")
    };
    let mut out = Vec::new();
    let m = b.earn_multiplier_pct;
    if m != 100 {
        out.push(format!(
            "{} {}.{:02}×",
            st.t("积分倍率", "Earns"),
            m / 100,
            m % 100
        ));
    }
    if let Some(d) = b.points_validity_days {
        out.push(format!(
            "{} {d} {}",
            st.t("积分有效期", "Points valid"),
            st.t("天", "days")
        ));
    }
    if b.member_price_pct != 100 {
        let p = b.member_price_pct;
        out.push(format!("{} {p}%", st.t("会员价", "Member price")));
    }
    if let Some(g) = &b.tier_up_gift {
        out.push(format!("{} {}", st.t("升级礼", "Tier-up gift"), gift(g)));
    }
    if let Some(g) = &b.birthday_gift {
        out.push(format!("{} {}", st.t("生日礼", "Birthday gift"), gift(g)));
    }
    for c in &b.monthly_coupons {
        out.push(format!(
            "{} {} × {}",
            st.t("每月赠券", "Monthly coupon"),
            c.coupon,
            c.count
        ));
    }
    if let Some(r) = b.checkout_points_per_unit {
        out.push(format!(
            "{} {r} {}",
            st.t("抵现", "At checkout"),
            st.t("积分抵1元", "points per yuan")
        ));
    }
    if b.transfer_allowed {
        out.push(st.t("可转赠积分", "May transfer points").into());
    }
    if b.priority_service {
        out.push(st.t("优先客服", "Priority service").into());
    }
    if out.is_empty() {
        "–".into()
    } else {
        out.iter().map(|s| esc(s)).collect::<Vec<_>>().join("<br>")
    }
}

/// The ladder as a table: its metric, window and review, and each tier with its benefits.
fn ladder_table(st: &Staff, l: &Ladder) -> String {
    let en = st.lang == crate::page::Lang::En;
    let rows: String = l
        .tiers
        .iter()
        .map(|t| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&t.code),
                esc(jifen_domain::name_in(&t.name_zh, &t.name_en, en)),
                num(t.threshold),
                benefit_words(st, &t.benefits),
            )
        })
        .collect();
    format!(
        "<p class=\"muted\">{} <code>{}</code> · {} <code>{}</code>{}</p>\
         <table><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table><h2>{}</h2>",
        st.t("指标", "Metric"),
        esc(l.metric.code()),
        st.t("周期", "Window"),
        esc(&match l.window {
            Window::RollingMonths { months } =>
                format!("{} {months} {}", st.t("近", "last"), st.t("个月", "months")),
            Window::CalendarYear => st.t("自然年", "calendar year").into(),
        }),
        review_words(st, l.review.as_ref()),
        st.t("代码", "Code"),
        st.t("等级", "Tier"),
        st.t("门槛", "From"),
        st.t("权益", "Benefits"),
        st.t("编辑等级体系", "Edit the ladder"),
    )
}

pub(super) fn tiers_page(
    st: &Staff,
    text: String,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let list = match &st.ctx.earn.ladder {
        Some(l) => ladder_table(st, l),
        None => format!(
            "<p class=\"muted\">{}</p>",
            st.t(
                "还没有等级体系；可从下面的示例开始。",
                "No tier ladder yet; start from the example below."
            )
        ),
    };
    def_page(
        st,
        DefPage {
            active: "tiers",
            title: st.t("会员等级", "Tiers"),
            action: "/console/tiers",
            list,
            text,
            error,
            notice,
            help: st.t(
                "等级体系（JSON，与 PUT /api/v1/tiers 相同）",
                "The ladder (JSON, as PUT /api/v1/tiers takes it)",
            ),
            button: st.t("保存等级体系", "Save the ladder"),
        },
        status,
    )
}

pub(super) async fn put_tiers(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<DefForm>,
) -> Response {
    let r = save_def(&web, &st, &f, "tiers", jifen_app::tiers::put_ladder).await;
    match r {
        Ok(()) => Redirect::to("/console/tiers?done=1").into_response(),
        Err((status, e)) => {
            // The page shows the programme as it is: read it again after a refused change.
            let st = Staff {
                ctx: web
                    .app
                    .program_ctx(st.s.program)
                    .await
                    .unwrap_or(st.ctx.clone()),
                ..st
            };
            tiers_page(&st, f.definition.clone(), Some(e), None, status)
        }
    }
}

//! The value of points in the settings: what 100 points are worth in the programme's currency,
//! which prices the outstanding points on the overview. Owners set it (through the same
//! audited use case as the API); others see it.

use super::*;
use jifen_app::overview::{POINT_VALUE_MAX, PointValue};

#[derive(Deserialize)]
pub(super) struct PointValueForm {
    /// Yuan (or the programme's currency) per 100 points, up to two decimals; blank clears it.
    #[serde(default)]
    pub(super) value: String,
    #[serde(default)]
    pub(super) csrf: String,
}

/// The section: its explanation and, for owners, the form.
pub(super) fn point_value_section(st: &Staff, v: &PointValue, f: &Forms) -> String {
    let currency = &st.ctx.program.currency;
    let shown = v
        .minor_per_100_points
        .map(|m| jifen_app::mall::money_text(currency, m));
    let head = format!(
        "<h2 id=\"point-value\">{}</h2><p class=\"muted\">{}</p>",
        st.t("积分价值", "Value of points"),
        st.t(
            "每 100 积分折合的金额，用于在概览中计算未使用积分的负债金额。留空表示不设置。",
            "What 100 points are worth in money: the overview prices the outstanding points with it. Blank: not set."
        ),
    );
    let label = match st.lang {
        Lang::Zh => format!("每 100 积分价值（{currency}，最多两位小数）"),
        Lang::En => format!("100 points are worth ({currency}, up to two decimals)"),
    };
    if st.s.owner().is_none() {
        return head
            + &format!(
                "<table class=\"facts\"><tbody><tr><th>{}</th><td>{}</td></tr></tbody></table>",
                esc(&label),
                esc(shown.as_deref().unwrap_or("–")),
            );
    }
    let typed = f.point_value.clone().unwrap_or_else(|| {
        v.minor_per_100_points
            .map(super::exports::money)
            .unwrap_or_default()
    });
    let bad = if matches!(&f.error, Some((field, _)) if field == "point_value.minor_per_100_points")
    {
        " aria-invalid=\"true\" aria-describedby=\"point-value-error\""
    } else {
        ""
    };
    let error = f.field_error("point_value.minor_per_100_points").replacen(
        "<div ",
        "<div id=\"point-value-error\" ",
        1,
    );
    head + &format!(
        "<form class=\"adjust\" method=\"post\" action=\"/console/settings/point-value\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <div class=\"field\"><label for=\"point-value-input\">{}</label><input type=\"text\" id=\"point-value-input\" name=\"value\" value=\"{}\" inputmode=\"decimal\" placeholder=\"1.00\"{bad}>{error}</div>\
         <button type=\"submit\">{}</button></form>",
        esc(&st.s.csrf),
        esc(&label),
        esc(&typed),
        st.t("保存", "Save"),
    )
}

/// Sets the value of points (owners only); a value that does not read is shown next to the
/// field in the page's language, with what was typed kept.
pub(super) async fn update_point_value(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<PointValueForm>,
) -> Response {
    if f.csrf != st.s.csrf {
        return expired(&web, &st).await;
    }
    let Some(owner) = st.s.owner() else {
        return st.forbidden("settings", title(&st));
    };
    let reshow = |msg: String| {
        let mut forms = Forms::error("point_value.minor_per_100_points", msg);
        forms.point_value = Some(f.value.clone());
        show(&web, &st, StatusCode::UNPROCESSABLE_ENTITY, forms)
    };
    let typed = f.value.trim();
    let value = if typed.is_empty() {
        None
    } else {
        match crate::forms::parse_money(typed) {
            Some(m) if (1..=POINT_VALUE_MAX).contains(&m) => Some(m),
            _ => {
                let max = super::exports::money(POINT_VALUE_MAX);
                let msg = match st.lang {
                    Lang::Zh => format!("请填写 0.01 到 {max} 之间的金额，最多两位小数，例如 1.00"),
                    Lang::En => format!(
                        "Enter an amount from 0.01 to {max} with at most two decimals, for example 1.00"
                    ),
                };
                return reshow(msg).await;
            }
        }
    };
    let v = PointValue {
        minor_per_100_points: value,
    };
    let out = web
        .app
        .write_view(st.s.program, "staff", None, move |tx, ctx, now| {
            jifen_app::overview::put_point_value(tx, ctx, now, owner.actor(), &v)
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/settings?done=point_value#point-value").into_response(),
        Err(AppError::Invalid { message, .. }) => reshow(message).await,
        Err(e) => st.fail(e),
    }
}

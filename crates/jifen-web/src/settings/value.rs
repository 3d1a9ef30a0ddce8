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

/// The value of points as the section shows it: its label, as stored and as typed.
pub(super) fn point_value_view(
    st: &Staff,
    v: &PointValue,
    typed: Option<String>,
) -> PointValueView {
    let currency = &st.ctx.program.currency;
    let label = match st.lang {
        Lang::Zh => format!("每 100 积分价值（{currency}，最多两位小数）"),
        Lang::En => format!("100 points are worth ({currency}, up to two decimals)"),
    };
    PointValueView {
        label,
        shown: v
            .minor_per_100_points
            .map_or_else(|| "–".into(), |m| jifen_app::mall::money_text(currency, m)),
        typed: typed.unwrap_or_else(|| {
            v.minor_per_100_points
                .map(super::exports::money)
                .unwrap_or_default()
        }),
    }
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

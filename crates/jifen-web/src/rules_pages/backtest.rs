//! Backtests: a proposed rule set replayed over stored events of a range, and the report.

use super::*;

#[derive(Deserialize, Default, Clone)]
pub(super) struct BacktestForm {
    #[serde(default)]
    pub(super) from: String,
    #[serde(default)]
    pub(super) to: String,
    #[serde(default)]
    pub(super) mode: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) fn backtest_panel(
    st: &Staff,
    id: i64,
    f: &BacktestForm,
    error: Option<&(String, String)>,
) -> String {
    let err = |name: &str| field_error(error, name);
    let field = |name: &str, label: &str, value: &str| {
        format!(
            "<div class=\"field\"><label for=\"bt_{name}\">{label}</label><input type=\"date\" id=\"bt_{name}\" name=\"{name}\" value=\"{}\">{}</div>",
            esc(value),
            err(name)
        )
    };
    format!(
        "<div class=\"panel\"><h2>{}</h2><p class=\"muted\">{}</p>{}<form method=\"post\" action=\"/console/rules/{id}/backtest\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><div class=\"grid\">{}{}</div>\
         <div class=\"field\"><label for=\"bt_mode\">{}</label><select id=\"bt_mode\" name=\"mode\"><option value=\"add\"{}>{}</option><option value=\"replace\"{}>{}</option></select></div>\
         <button type=\"submit\" class=\"secondary\">{}</button></form></div>",
        st.t("回测", "Backtest"),
        st.t(
            "用历史事件重放，看这条规则会多发多少积分。",
            "Replay stored events to see what this rule would have paid."
        ),
        err("form"),
        esc(&st.s.csrf),
        field("from", st.t("从", "From"), &f.from),
        field("to", st.t("到（含）", "To (inclusive)"), &f.to),
        st.t("方式", "Mode"),
        if f.mode != "replace" { " selected" } else { "" },
        st.t("加上现有生效规则", "With the active rules"),
        if f.mode == "replace" { " selected" } else { "" },
        st.t("只算这条规则", "This rule alone"),
        st.t("开始回测", "Start"),
    )
}

/// A local date's first instant in the programme's zone.
pub(super) fn day_ms(s: &str, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let d: jiff::civil::Date = s.trim().parse().ok()?;
    d.to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

pub(super) async fn backtest(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<BacktestForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "rule") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let show = |err: (String, String), status: StatusCode| {
        let (web, st, f) = (web.clone(), &st, f.clone());
        async move {
            let panels = Panels {
                bt: f,
                bt_error: Some(err),
                ..Default::default()
            };
            render(&web, st, id, None, None, panels, None, status).await
        }
    };
    if f.csrf != st.s.csrf {
        return show(expired(&st), StatusCode::FORBIDDEN).await;
    }
    let tz = st.ctx.tz.clone();
    let Some(from) = day_ms(&f.from, &tz) else {
        let e = (
            "from".into(),
            st.t("请选择开始日期", "Choose the first day").into(),
        );
        return show(e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let Some(to) = day_ms(&f.to, &tz).map(|t| t + 86_400_000) else {
        let e = (
            "to".into(),
            st.t("请选择结束日期", "Choose the last day").into(),
        );
        return show(e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if to <= from {
        let e = (
            "to".into(),
            st.t(
                "结束日期不能早于开始日期",
                "The last day is before the first",
            )
            .into(),
        );
        return show(e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let b = BacktestIn {
        from,
        to,
        rule_ids: vec![id],
        rules: Vec::new(),
        mode: Some(
            if f.mode == "replace" {
                "replace"
            } else {
                "add"
            }
            .into(),
        ),
    };
    let (app, program) = (web.app.clone(), st.s.program);
    let started = tokio::task::spawn_blocking(move || app.start_backtest(program, b))
        .await
        .unwrap_or_else(|e| Err(AppError::Internal(e.to_string())));
    match started {
        Ok(state) => Redirect::to(&format!(
            "/console/backtests/{}?rule={id}",
            state.backtest_id
        ))
        .into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = if field == "to" || field == "from" {
                field
            } else {
                "form".into()
            };
            show((field, message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            show(("form".into(), message), StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct BacktestQuery {
    #[serde(default)]
    pub(super) rule: Option<String>,
}

pub(super) async fn backtest_page(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Query(q): Query<BacktestQuery>,
) -> Response {
    let title = st.t("回测结果", "Backtest");
    let Some(b) = web.app.backtest(st.s.program, &id) else {
        return st.fail(AppError::NotFound {
            what: "backtest",
            id,
        });
    };
    let back = q
        .rule
        .and_then(|r| r.parse::<i64>().ok())
        .filter(|r| *r > 0)
        .map(|r| {
            format!(
                "<p><a href=\"/console/rules/{r}\">← {}</a></p>",
                st.t("返回规则", "Back to the rule")
            )
        })
        .unwrap_or_default();
    let body = match b.status.as_str() {
        "running" => format!(
            "<meta http-equiv=\"refresh\" content=\"1\">{back}<div class=\"panel\"><p>{} {} / {}</p><progress max=\"{}\" value=\"{}\"></progress></div>",
            st.t("回测进行中…", "Replaying…"),
            num(b.events_done),
            num(b.events_total),
            b.events_total.max(1),
            b.events_done,
        ),
        "failed" => format!(
            "{back}<div class=\"error\" role=\"alert\">{}</div>",
            esc(b.error.as_deref().unwrap_or(""))
        ),
        _ => {
            let r = b.result.clone().unwrap_or_default();
            let change = r.change.points;
            let rows: String = r
                .by_rule
                .iter()
                .map(|x| {
                    format!(
                        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                        esc(&x.name),
                        num(x.awards),
                        num(x.members as i64),
                        num(x.points),
                    )
                })
                .collect();
            format!(
                "{back}<div class=\"cards\">\
                 <div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\
                 <div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\
                 <div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\
                 <div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\
                 <div class=\"card\"><div class=\"label\">{}</div><div class=\"value {}\">{}{}</div></div></div>\
                 <table><thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{rows}</tbody></table>\
                 <p class=\"muted\">{}</p>",
                st.t("重放事件", "Events replayed"),
                num(r.events),
                st.t("涉及会员", "Members affected"),
                num(r.members_affected as i64),
                st.t("实际发放", "Actually paid"),
                num(r.actual.points),
                st.t("按新规则", "With the proposal"),
                num(r.proposed.points),
                st.t("变化", "Change"),
                if change >= 0 { "pos" } else { "neg" },
                if change > 0 { "+" } else { "" },
                num(change),
                st.t("规则", "Rule"),
                st.t("奖励次数", "Awards"),
                st.t("会员", "Members"),
                st.t("积分", "Points"),
                esc(&r.note),
            )
        }
    };
    st.page(StatusCode::OK, "rules", title, &body)
}

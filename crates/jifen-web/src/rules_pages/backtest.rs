//! Backtests: a proposed rule set replayed over stored events of a range, and the report.

use super::*;
use crate::forms::FormState;

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

/// The backtest panel as `templates/console/rule_backtest.html` draws it.
pub(super) struct BacktestPanel {
    pub(super) rule_id: i64,
    pub(super) form: FormState,
    pub(super) values: BacktestForm,
}

pub(super) fn backtest_panel(
    st: &Staff,
    id: i64,
    f: &BacktestForm,
    error: Option<&(String, String)>,
) -> BacktestPanel {
    BacktestPanel {
        rule_id: id,
        form: FormState::new(st, "", error.cloned()),
        values: f.clone(),
    }
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
    let back_to = q
        .rule
        .and_then(|r| r.parse::<i64>().ok())
        .filter(|r| *r > 0);
    let state = match b.status.as_str() {
        "running" => BacktestState::Running {
            done: num(b.events_done),
            total: num(b.events_total),
        },
        "failed" => BacktestState::Failed(b.error.clone().unwrap_or_default()),
        _ => {
            let r = b.result.clone().unwrap_or_default();
            let change = r.change.points;
            BacktestState::Done(BacktestReport {
                events: num(r.events),
                members: num(r.members_affected as i64),
                actual: num(r.actual.points),
                proposed: num(r.proposed.points),
                change: format!("{}{}", if change > 0 { "+" } else { "" }, num(change)),
                up: change >= 0,
                rows: r
                    .by_rule
                    .iter()
                    .map(|x| BacktestRow {
                        name: x.name.clone(),
                        awards: num(x.awards),
                        members: num(x.members as i64),
                        points: num(x.points),
                    })
                    .collect(),
            })
        }
    };
    let page = BacktestPage {
        frame: st.frame("rules", title),
        back_to,
        running: matches!(state, BacktestState::Running { .. }),
        progress: b.events_done,
        progress_max: b.events_total.max(1),
        state,
    };
    st.render(StatusCode::OK, &page)
}

/// Where a backtest is.
enum BacktestState {
    Running { done: String, total: String },
    Failed(String),
    Done(BacktestReport),
}

/// A finished backtest's figures, as shown.
struct BacktestReport {
    events: String,
    members: String,
    actual: String,
    proposed: String,
    change: String,
    up: bool,
    rows: Vec<BacktestRow>,
}

/// What one rule paid in the replay.
struct BacktestRow {
    name: String,
    awards: String,
    members: String,
    points: String,
}

#[derive(Template)]
#[template(path = "console/backtest.html")]
struct BacktestPage {
    frame: Frame,
    back_to: Option<i64>,
    /// Still replaying: the page reloads itself every second.
    running: bool,
    progress: i64,
    progress_max: i64,
    state: BacktestState,
}

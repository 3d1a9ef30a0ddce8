//! Console pages for earning rules and campaigns: the list, a form to create and edit a rule
//! (errors next to the field they concern), status changes, a dry run of one event and a
//! backtest over stored events. The pages call the same use cases as `/api/v1/rules`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::AppError;
use jifen_app::commands::{MemberRef, Purchase};
use jifen_app::earn::{self, BacktestIn, DryRun, DryRunView, EventIn, RuleAction, RuleIn};
use jifen_domain::words;
use jifen_rules::RuleDef;
use serde::Deserialize;

use crate::forms::{expired, form_key, member_by_text, parse_money};
use askama::Template;

use crate::frame::Frame;
use crate::page::{L, Lang, fmt_time, num};
use crate::{Staff, Web};

mod backtest;
mod dry_run;
mod form;
mod shapes;
use backtest::*;
use dry_run::*;
use form::*;

pub(crate) fn routes() -> Router<Web> {
    Router::new()
        .route("/console/rules", get(list))
        .route("/console/rules/new", get(new_form).post(create))
        .route("/console/rules/{id}", get(show).post(update))
        .route("/console/rules/{id}/status/{action}", post(status))
        .route("/console/rules/{id}/dry-run", post(dry_run))
        .route("/console/rules/{id}/backtest", post(backtest))
        .route("/console/backtests/{id}", get(backtest_page))
}

fn trigger_label(st: &Staff, code: &str) -> String {
    words::trigger_text(code, st.lang == Lang::En)
}

fn status_label(st: &Staff, s: &str) -> String {
    words::text(words::RULE_STATUSES, s, st.lang == Lang::En)
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    status: Option<String>,
}

async fn list(State(web): State<Web>, st: Staff, Query(q): Query<ListQuery>) -> Response {
    let title = st.t("规则与活动", "Rules and campaigns");
    let status = q
        .status
        .filter(|s| ["draft", "active", "paused", "archived"].contains(&s.as_str()));
    let ctx = st.ctx.clone();
    let st2 = status.clone();
    let rules = match web
        .app
        .read(move |tx| earn::list_rules(tx, &ctx, st2.as_deref()))
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tabs = [
        (None, st.t("全部", "All")),
        (Some("active"), st.t("生效中", "Active")),
        (Some("draft"), st.t("草稿", "Draft")),
        (Some("paused"), st.t("已暂停", "Paused")),
        (Some("archived"), st.t("已归档", "Archived")),
    ]
    .iter()
    .map(|(s, label)| Tab {
        href: format!(
            "/console/rules{}",
            s.map(|s| format!("?status={s}")).unwrap_or_default()
        ),
        label,
        on: *s == status.as_deref(),
    })
    .collect();
    let rows = rules
        .rules
        .iter()
        .map(|r| {
            let d = &r.definition;
            RuleRow {
                id: r.rule_id,
                name: d.name.clone(),
                description: d.description.clone().unwrap_or_default(),
                trigger: trigger_label(&st, &d.trigger),
                points: d.points.clone(),
                status: r.status.clone(),
                status_label: status_label(&st, &r.status),
                version: r.version,
                updated: fmt_time(r.updated_at, &st.ctx.tz),
            }
        })
        .collect();
    let page = RulesPage {
        frame: st.frame("rules", title),
        tabs,
        rows,
        can_create: st.s.role.operates(),
    };
    st.render(StatusCode::OK, &page)
}

/// A tab of the list, by status.
struct Tab {
    href: String,
    label: &'static str,
    on: bool,
}

/// A rule as the list shows it.
struct RuleRow {
    id: i64,
    name: String,
    description: String,
    trigger: String,
    points: String,
    status: String,
    status_label: String,
    version: i64,
    updated: String,
}

#[derive(Template)]
#[template(path = "console/rules.html")]
struct RulesPage {
    frame: Frame,
    tabs: Vec<Tab>,
    rows: Vec<RuleRow>,
    can_create: bool,
}

#[derive(Template)]
#[template(path = "console/rule_new.html")]
struct NewRulePage {
    frame: Frame,
    rf: RuleFormView,
}

async fn new_form(st: Staff) -> Response {
    let title = st.t("新建规则", "New rule");
    if !st.s.role.operates() {
        return st.forbidden("rules", title);
    }
    let f = RuleForm {
        trigger: "purchase".into(),
        form_key: form_key(),
        ..Default::default()
    };
    let page = NewRulePage {
        frame: st.frame("rules", title),
        rf: rule_form(&st, "/console/rules/new", &f, None, true),
    };
    st.render(StatusCode::OK, &page)
}

/// Answers a form with an error next to its field; the form keeps what was typed.
fn refused(
    st: &Staff,
    action: &str,
    f: &RuleForm,
    status: StatusCode,
    err: (String, String),
) -> Response {
    refused_or_filled(st, action, f, status, Some(err))
}

/// Answers a new rule's form again, as typed or as a picker filled it, with its error if any.
fn refused_or_filled(
    st: &Staff,
    action: &str,
    f: &RuleForm,
    status: StatusCode,
    err: Option<(String, String)>,
) -> Response {
    let title = if action.ends_with("/new") {
        st.t("新建规则", "New rule").to_string()
    } else {
        f.name.clone()
    };
    let page = NewRulePage {
        frame: st.frame("rules", &title),
        rf: rule_form(st, action, f, err.as_ref(), true),
    };
    st.render(status, &page)
}

async fn create(State(web): State<Web>, st: Staff, Form(f): Form<RuleForm>) -> Response {
    let action = "/console/rules/new";
    if !st.s.role.operates() {
        return st.forbidden("rules", st.t("新建规则", "New rule"));
    }
    if f.csrf != st.s.csrf {
        return refused(&st, action, &f, StatusCode::FORBIDDEN, expired(&st));
    }
    if !f.apply_shape.is_empty() {
        let mut f = f;
        return match f.apply_picked_shape(&st) {
            Ok(()) => refused_or_filled(&st, action, &f, StatusCode::OK, None),
            Err(e) => refused(&st, action, &f, StatusCode::UNPROCESSABLE_ENTITY, e),
        };
    }
    if f.name.trim().is_empty() {
        let e = (
            "name".into(),
            st.t("请填写规则名称", "Give the rule a name").into(),
        );
        return refused(&st, action, &f, StatusCode::UNPROCESSABLE_ENTITY, e);
    }
    if f.points.trim().is_empty() {
        let e = (
            "points".into(),
            st.t(
                "请填写奖励积分，如 10 或 order.amount / 100",
                "Say how many points, e.g. 10 or order.amount / 100",
            )
            .into(),
        );
        return refused(&st, action, &f, StatusCode::UNPROCESSABLE_ENTITY, e);
    }
    let def = match f.to_def(st.lang, None).and_then(|d| checked(&st, &f, d)) {
        Ok(d) => d,
        Err(e) => return refused(&st, action, &f, StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let input = RuleIn {
        definition: def,
        status: Some(
            if f.activate.is_empty() {
                "draft"
            } else {
                "active"
            }
            .into(),
        ),
        actor: Some(st.s.actor()),
    };
    // The form's key makes a double submit create one rule.
    let idem = (!f.form_key.is_empty()).then(|| {
        (
            format!("console:rule:{}", f.form_key),
            serde_json::to_string(&input.definition).unwrap_or_default(),
        )
    });
    let out = st
        .act_as(&web, "rules", idem, move |tx, ctx, now, actor| {
            earn::create_rule(tx, ctx, now, actor, &input)
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(o) => {
            Redirect::to(&format!("/console/rules/{}?done=saved", o.view.rule_id)).into_response()
        }
        Err(e) => on_error(&st, action, &f, e),
    }
}

/// The definition, once it compiles as the use case will compile it: its refusal is worded here
/// in the page's language, next to the field it names.
fn checked(st: &Staff, f: &RuleForm, def: RuleDef) -> Result<RuleDef, (String, String)> {
    match def.compile(0, 1, &st.ctx.tz) {
        Ok(_) => Ok(def),
        Err(e) => Err(invalid_field(
            st,
            f,
            &e.field,
            e.text(st.lang == Lang::En).to_string(),
        )),
    }
}

fn on_error(st: &Staff, action: &str, f: &RuleForm, e: AppError) -> Response {
    match e {
        AppError::Invalid { field, message } => refused(
            st,
            action,
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
            invalid_field(st, f, &field, message),
        ),
        AppError::Conflict { message, .. } => refused(
            st,
            action,
            f,
            StatusCode::CONFLICT,
            ("form".into(), message),
        ),
        e => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    done: Option<String>,
}

/// What a dry run or backtest form held, and its answer, for showing on the rule's page.
#[derive(Default)]
struct Panels {
    dry: DryForm,
    dry_result: Option<Result<DryRunView, (String, String)>>,
    bt: BacktestForm,
    bt_error: Option<(String, String)>,
}

async fn show(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "rule") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let notice = match q.done.as_deref() {
        Some("saved") => Some(st.t("已保存", "Saved")),
        Some("status") => Some(st.t("状态已更新", "Status changed")),
        _ => None,
    };
    render(
        &web,
        &st,
        id,
        None,
        None,
        Panels::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    web: &Web,
    st: &Staff,
    id: i64,
    form: Option<&RuleForm>,
    error: Option<(String, String)>,
    panels: Panels,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let rule = match web.app.read(move |tx| earn::get_rule(tx, &ctx, id)).await {
        Ok(r) => r,
        Err(e) => return st.fail(e),
    };
    let rstatus = rule.status.clone();
    let mut f = form
        .cloned()
        .unwrap_or_else(|| RuleForm::from_def(&rule.definition));
    if f.trigger.is_empty() {
        f.trigger = rule.definition.trigger.clone();
    }
    let editable = st.s.role.operates() && rstatus != "archived";
    let action = format!("/console/rules/{id}");
    let rf = rule_form(st, &action, &f, error.as_ref(), editable);
    let buttons = if st.s.role.operates() {
        [
            (
                "activate",
                st.t("生效", "Activate"),
                ["draft", "paused"].as_slice(),
            ),
            ("pause", st.t("暂停", "Pause"), ["active"].as_slice()),
            (
                "archive",
                st.t("归档", "Archive"),
                ["draft", "active", "paused"].as_slice(),
            ),
        ]
        .iter()
        .filter(|(_, _, from)| from.contains(&rstatus.as_str()))
        .map(|(action, label, _)| StatusButton {
            action,
            label,
            primary: *action == "activate",
        })
        .collect()
    } else {
        Vec::new()
    };
    let versions = rule
        .versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            actor: v
                .actor
                .as_deref()
                .map_or_else(|| "–".to_string(), |a| crate::page::actor_label(st.lang, a)),
            at: fmt_time(v.created_at, &st.ctx.tz),
        })
        .collect();
    let issued = rule.issued.unwrap_or_default();
    let trigger = &rule.definition.trigger;
    let page = RulePage {
        frame: st.frame("rules", &rule.definition.name),
        id,
        notice: notice.map(str::to_string),
        status_label: status_label(st, &rstatus),
        status: rstatus,
        version: rule.version,
        issued_points: num(issued.points),
        issued_members: num(issued.members),
        buttons,
        rf,
        versions,
        dry: dry_panel(st, id, trigger, &panels.dry, panels.dry_result.as_ref()),
        bt: backtest_panel(st, id, &panels.bt, panels.bt_error.as_ref()),
    };
    st.render(status, &page)
}

/// A button that changes the rule's status.
struct StatusButton {
    action: &'static str,
    label: &'static str,
    primary: bool,
}

/// A version of the rule: who saved it and when.
struct VersionRow {
    version: i64,
    actor: String,
    at: String,
}

#[derive(Template)]
#[template(path = "console/rule.html")]
struct RulePage {
    frame: Frame,
    id: i64,
    notice: Option<String>,
    status: String,
    status_label: String,
    version: i64,
    issued_points: String,
    issued_members: String,
    buttons: Vec<StatusButton>,
    rf: RuleFormView,
    versions: Vec<VersionRow>,
    dry: DryPanel,
    bt: BacktestPanel,
}

async fn update(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<RuleForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "rule") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let again = |err: (String, String), status: StatusCode| {
        let (web, st, f) = (web.clone(), &st, f.clone());
        async move {
            render(
                &web,
                st,
                id,
                Some(&f),
                Some(err),
                Panels::default(),
                None,
                status,
            )
            .await
        }
    };
    if !st.s.role.operates() {
        return st.forbidden("rules", st.t("规则", "Rules"));
    }
    if f.csrf != st.s.csrf {
        return again(expired(&st), StatusCode::FORBIDDEN).await;
    }
    if !f.apply_shape.is_empty() {
        let mut filled = f.clone();
        return match filled.apply_picked_shape(&st) {
            Ok(()) => {
                render(
                    &web,
                    &st,
                    id,
                    Some(&filled),
                    None,
                    Panels::default(),
                    None,
                    StatusCode::OK,
                )
                .await
            }
            Err(e) => again(e, StatusCode::UNPROCESSABLE_ENTITY).await,
        };
    }
    if f.name.trim().is_empty() {
        let e = (
            "name".into(),
            st.t("请填写规则名称", "Give the rule a name").into(),
        );
        return again(e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let ctx = st.ctx.clone();
    let base = match web.app.read(move |tx| earn::get_rule(tx, &ctx, id)).await {
        Ok(r) => r.definition,
        Err(e) => return st.fail(e),
    };
    let def = match f
        .to_def(st.lang, Some(&base))
        .and_then(|d| checked(&st, &f, d))
    {
        Ok(d) => d,
        Err(e) => return again(e, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let input = RuleIn {
        definition: def,
        status: None,
        actor: Some(st.s.actor()),
    };
    let out = st
        .act_as(&web, "rules", None, move |tx, ctx, now, actor| {
            earn::update_rule(tx, ctx, now, actor, id, &input)
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(_) => Redirect::to(&format!("/console/rules/{id}?done=saved")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            again(
                invalid_field(&st, &f, &field, message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            again(("form".into(), message), StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn status(
    State(web): State<Web>,
    st: Staff,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "rule") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let a = match action.as_str() {
        "activate" => RuleAction::Activate,
        "pause" => RuleAction::Pause,
        "archive" => RuleAction::Archive,
        _ => {
            return st.fail(AppError::NotFound {
                what: "page",
                id: action,
            });
        }
    };
    if !st.s.role.operates() {
        return st.forbidden("rules", st.t("规则", "Rules"));
    }
    if f.csrf != st.s.csrf {
        return render(
            &web,
            &st,
            id,
            None,
            Some(expired(&st)),
            Panels::default(),
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let out = st
        .act_as(&web, "rules", None, move |tx, ctx, now, actor| {
            earn::change_rule_status(tx, ctx, now, actor, id, a)
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(_) => Redirect::to(&format!("/console/rules/{id}?done=status")).into_response(),
        Err(AppError::Conflict { message, .. }) | Err(AppError::Invalid { message, .. }) => {
            render(
                &web,
                &st,
                id,
                None,
                Some(("form".into(), message)),
                Panels::default(),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_form_keeps_what_it_does_not_show() {
        let base: RuleDef = serde_json::from_value(json!({
            "name": "old", "trigger": "purchase", "points": "1",
            "audience": {"segments": ["vip"], "tiers": []},
            "caps": [{"period": "day", "max_points": 5}, {"period": "month", "max_count": 9}],
            "schedule": {"timezone": "Asia/Tokyo"}
        }))
        .unwrap();
        let f = RuleForm {
            name: "new".into(),
            trigger: "purchase".into(),
            points: "order.amount / 100".into(),
            cap_period: "week".into(),
            cap_points: "1,000".into(),
            tiers: "gold，platinum".into(),
            ..Default::default()
        };
        let def = f.to_def(Lang::Zh, Some(&base)).unwrap();
        let d = serde_json::to_value(&def).unwrap();
        assert_eq!(d["name"], "new");
        assert_eq!(d["audience"]["segments"], json!(["vip"]));
        assert_eq!(d["audience"]["tiers"], json!(["gold", "platinum"]));
        assert_eq!(d["caps"][0]["period"], "week");
        assert_eq!(d["caps"][0]["max_points"], 1000);
        assert_eq!(d["caps"][1]["max_count"], 9);
        assert_eq!(d["schedule"]["timezone"], "Asia/Tokyo");
        let back = RuleForm::from_def(&def);
        assert_eq!(back.cap_points, "1000");
        assert_eq!(back.tiers, "gold, platinum");
    }

    #[test]
    fn a_bad_field_is_named() {
        let f = RuleForm {
            name: "x".into(),
            trigger: "purchase".into(),
            points: "1".into(),
            hours: "ten to two".into(),
            ..Default::default()
        };
        let (field, zh) = f.to_def(Lang::Zh, None).unwrap_err();
        assert_eq!(
            (field.as_str(), zh.contains("时段")),
            ("hours", true),
            "{zh}"
        );
        assert!(f.to_def(Lang::En, None).unwrap_err().1.contains("10-22"));
        let f = RuleForm {
            cap_points: "5".into(),
            ..f
        };
        let f = RuleForm {
            hours: String::new(),
            ..f
        };
        assert_eq!(f.to_def(Lang::En, None).unwrap_err().0, "cap_period");
        assert_eq!(form_field("schedule.ends_at"), "ends_at");
        assert_eq!(form_field("caps[1]"), "cap_period");
        assert_eq!(form_field("whatever"), "form");
    }
}

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
use jifen_app::earn::{self, BacktestIn, DryRun, EventIn, RuleAction, RuleIn};
use jifen_domain::words;
use jifen_rules::RuleDef;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::forms::{Audit, expired, field_error, form_key, member_by_text, parse_money};
use crate::page::{Lang, esc, fmt_time, num};
use crate::{Staff, Web};

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

/// A rule form as typed: every field is text, so that what was typed comes back with the error.
#[derive(Deserialize, Default, Clone)]
struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    trigger: String,
    #[serde(default)]
    condition: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    point_type: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    days_of_week: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    tiers: String,
    #[serde(default)]
    channels: String,
    #[serde(default)]
    pending_days: String,
    #[serde(default)]
    validity_days: String,
    #[serde(default)]
    cap_period: String,
    #[serde(default)]
    cap_points: String,
    #[serde(default)]
    cap_count: String,
    #[serde(default)]
    budget_points: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    stacking: String,
    #[serde(default)]
    activate: String,
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    csrf: String,
}

fn joined(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl RuleForm {
    fn from_def(d: &Value) -> RuleForm {
        let s = &d["schedule"];
        let cap = &d["caps"][0];
        RuleForm {
            name: text_of(&d["name"]),
            description: text_of(&d["description"]),
            trigger: text_of(&d["trigger"]),
            condition: text_of(&d["condition"]),
            points: text_of(&d["points"]),
            point_type: text_of(&d["point_type"]),
            starts_at: text_of(&s["starts_at"]),
            ends_at: text_of(&s["ends_at"]),
            days_of_week: joined(&s["days_of_week"]),
            hours: s["hours"]
                .as_array()
                .filter(|h| h.len() == 2)
                .map(|h| format!("{}-{}", h[0], h[1]))
                .unwrap_or_default(),
            tiers: joined(&d["audience"]["tiers"]),
            channels: joined(&d["audience"]["channels"]),
            pending_days: text_of(&d["pending_days"]),
            validity_days: text_of(&d["validity_days"]),
            cap_period: text_of(&cap["period"]),
            cap_points: text_of(&cap["max_points"]),
            cap_count: text_of(&cap["max_count"]),
            budget_points: text_of(&d["budget_points"]),
            priority: match &d["priority"] {
                Value::Number(n) if n.as_i64() != Some(0) => n.to_string(),
                _ => String::new(),
            },
            stacking: text_of(&d["stacking"]),
            ..Default::default()
        }
    }

    /// The definition the form describes, on top of `base` (the stored definition when
    /// editing), so that what the form does not show (segments, more caps, the schedule's
    /// own time zone) is kept. A field that is not even the right kind of value is named.
    fn to_def(&self, base: &Value) -> Result<RuleDef, (String, String)> {
        let bad = |f: &str, m: &str| (f.to_string(), m.to_string());
        let int = |f: &str, v: &str, zh_en: &str| -> Result<Value, (String, String)> {
            let v = v.trim().replace([',', '_'], "");
            if v.is_empty() {
                return Ok(Value::Null);
            }
            v.parse::<i64>()
                .map(|n| json!(n))
                .map_err(|_| bad(f, zh_en))
        };
        let list = |v: &str| -> Vec<String> {
            v.split([',', '，', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut d = if base.is_object() {
            base.clone()
        } else {
            json!({})
        };
        let opt = |s: &str| {
            let s = s.trim();
            if s.is_empty() { Value::Null } else { json!(s) }
        };
        d["name"] = json!(self.name.trim());
        d["description"] = opt(&self.description);
        d["trigger"] = json!(self.trigger.trim());
        d["condition"] = opt(&self.condition);
        d["points"] = json!(self.points.trim());
        d["point_type"] = json!(if self.point_type == "growth" {
            "growth"
        } else {
            "points"
        });
        d["pending_days"] = int("pending_days", &self.pending_days, "a whole number of days")?;
        d["validity_days"] = int(
            "validity_days",
            &self.validity_days,
            "a whole number of days",
        )?;
        d["budget_points"] = int(
            "budget_points",
            &self.budget_points,
            "a whole number of points",
        )?;
        d["priority"] = match int("priority", &self.priority, "a whole number")? {
            Value::Null => json!(0),
            v => v,
        };
        d["stacking"] = json!(match self.stacking.as_str() {
            "best_of" => "best_of",
            "exclusive" => "exclusive",
            _ => "stack",
        });
        // The schedule.
        let mut days = Vec::new();
        for p in list(&self.days_of_week) {
            match p.parse::<u8>() {
                Ok(n) => days.push(n),
                Err(_) => {
                    return Err(bad(
                        "days_of_week",
                        "days are numbers 1 (Monday) to 7 (Sunday), e.g. 6, 7",
                    ));
                }
            }
        }
        let hours = match self.hours.trim() {
            "" => Value::Null,
            h => {
                let parts: Vec<&str> = h.split(['-', '–', '~']).map(str::trim).collect();
                match parts.as_slice() {
                    [a, b] => match (a.parse::<u8>(), b.parse::<u8>()) {
                        (Ok(a), Ok(b)) => json!([a, b]),
                        _ => return Err(bad("hours", "hours look like 10-22")),
                    },
                    _ => return Err(bad("hours", "hours look like 10-22")),
                }
            }
        };
        let tz = base["schedule"]["timezone"].clone();
        let any_schedule = !self.starts_at.trim().is_empty()
            || !self.ends_at.trim().is_empty()
            || !days.is_empty()
            || !hours.is_null()
            || !tz.is_null();
        d["schedule"] = if any_schedule {
            json!({
                "starts_at": opt(&self.starts_at),
                "ends_at": opt(&self.ends_at),
                "days_of_week": days,
                "hours": hours,
                "timezone": tz,
            })
        } else {
            Value::Null
        };
        let mut audience = if base["audience"].is_object() {
            base["audience"].clone()
        } else {
            json!({})
        };
        audience["tiers"] = json!(list(&self.tiers));
        audience["channels"] = json!(list(&self.channels));
        d["audience"] = audience;
        // The first cap is the form's; any others stored with the rule are kept.
        let mut caps: Vec<Value> = base["caps"]
            .as_array()
            .map(|c| c.iter().skip(1).cloned().collect())
            .unwrap_or_default();
        let period = self.cap_period.trim();
        if !period.is_empty() {
            if !["day", "week", "month", "year", "lifetime"].contains(&period) {
                return Err(bad("cap_period", "choose a period"));
            }
            let mut cap = json!({"period": period});
            let p = int("cap_points", &self.cap_points, "a whole number of points")?;
            let c = int("cap_count", &self.cap_count, "a whole number of times")?;
            if !p.is_null() {
                cap["max_points"] = p;
            }
            if !c.is_null() {
                cap["max_count"] = c;
            }
            caps.insert(0, cap);
        } else if !self.cap_points.trim().is_empty() || !self.cap_count.trim().is_empty() {
            return Err(bad("cap_period", "choose the period the limit counts over"));
        }
        d["caps"] = json!(caps);
        if let Some(o) = d.as_object_mut() {
            o.retain(|_, v| !v.is_null());
        }
        serde_json::from_value(d).map_err(|e| bad("form", &e.to_string()))
    }
}

/// Where a use case's field error goes on the form.
fn form_field(field: &str) -> String {
    let f = field
        .trim_start_matches("schedule.")
        .trim_start_matches("audience.");
    if f.starts_with("caps") {
        return "cap_period".into();
    }
    match f {
        "name" | "description" | "trigger" | "condition" | "points" | "point_type"
        | "starts_at" | "ends_at" | "days_of_week" | "hours" | "tiers" | "channels"
        | "pending_days" | "validity_days" | "budget_points" | "priority" | "stacking" => {
            f.to_string()
        }
        "timezone" => "starts_at".into(),
        _ => "form".into(),
    }
}

fn rule_form(
    st: &Staff,
    action: &str,
    f: &RuleForm,
    error: Option<&(String, String)>,
    editable: bool,
) -> String {
    let err = |name: &str| field_error(error, name);
    let input = |name: &str, label: &str, value: &str, hint: &str| {
        format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><input type=\"text\" id=\"{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\"{}>{}</div>",
            esc(value),
            esc(hint),
            if error.is_some_and(|(e, _)| e == name) {
                " aria-invalid=\"true\""
            } else {
                ""
            },
            err(name)
        )
    };
    let select = |name: &str, label: &str, value: &str, options: &[(&str, String)]| {
        let opts: String = options
            .iter()
            .map(|(v, l)| {
                format!(
                    "<option value=\"{v}\"{}>{}</option>",
                    if *v == value { " selected" } else { "" },
                    esc(l)
                )
            })
            .collect();
        format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><select id=\"{name}\" name=\"{name}\">{opts}</select>{}</div>",
            err(name)
        )
    };
    let triggers: Vec<(&str, String)> = words::TRIGGERS
        .iter()
        .map(|t| (t.word.code, trigger_label(st, t.word.code)))
        .collect();
    let mut trigger_opts = triggers.clone();
    let custom;
    if !f.trigger.is_empty() && words::find(words::TRIGGERS, &f.trigger).is_none() {
        custom = f.trigger.clone();
        trigger_opts.push((custom.as_str(), custom.clone()));
    }
    let variables = earn::variables();
    let vars: String = variables["variables"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| {
                    format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                        esc(v["name"].as_str().unwrap_or("")),
                        esc(v["type"].as_str().unwrap_or("")),
                        esc(v["doc"].as_str().unwrap_or(""))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let disabled = if editable { "" } else { " disabled" };
    format!(
        "{}<form class=\"rule\" method=\"post\" action=\"{action}\"><fieldset{disabled}>\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"form_key\" value=\"{}\">\
         <div class=\"grid\">{}{}{}</div>\
         <div class=\"grid\">{}{}{}</div>\
         <div class=\"field wide\"><label for=\"condition\">{}</label><textarea id=\"condition\" name=\"condition\" rows=\"2\" placeholder=\"order.amount >= 20000 &amp;&amp; member.tier == &quot;gold&quot;\">{}</textarea>{}</div>\
         <details class=\"vars\"><summary>{}</summary><table><tbody>{vars}</tbody></table></details>\
         <h3>{}</h3><div class=\"grid\">{}{}{}{}</div>\
         <h3>{}</h3><div class=\"grid\">{}{}{}{}</div>\
         <h3>{}</h3><div class=\"grid\">{}{}{}{}{}</div>\
         {}<div class=\"actions\"><button type=\"submit\">{}</button></div></fieldset></form>",
        err("form"),
        esc(&st.s.csrf),
        esc(if f.form_key.is_empty() {
            ""
        } else {
            &f.form_key
        }),
        input(
            "name",
            st.t("规则名称", "Rule name"),
            &f.name,
            st.t("例：周末双倍积分", "e.g. Weekend double points")
        ),
        select(
            "trigger",
            st.t("触发事件", "Trigger"),
            &f.trigger,
            &trigger_opts
        ),
        input(
            "description",
            st.t("说明", "Description"),
            &f.description,
            ""
        ),
        input(
            "points",
            st.t("奖励积分（公式）", "Points (formula)"),
            &f.points,
            "order.amount / 100"
        ),
        select(
            "point_type",
            st.t("类型", "Kind"),
            &f.point_type,
            &[
                ("points", st.t("积分", "Points").into()),
                ("growth", st.t("成长值", "Growth").into())
            ]
        ),
        input("priority", st.t("优先级", "Priority"), &f.priority, "0"),
        st.t("条件（可选）", "Condition (optional)"),
        esc(&f.condition),
        err("condition"),
        st.t("可用变量", "Variables you can use"),
        st.t("活动时间", "When"),
        input(
            "starts_at",
            st.t("开始", "Starts"),
            &f.starts_at,
            "2026-12-05"
        ),
        input(
            "ends_at",
            st.t("结束（不含）", "Ends (exclusive)"),
            &f.ends_at,
            "2026-12-07"
        ),
        input(
            "days_of_week",
            st.t("星期（1-7）", "Days of week (1-7)"),
            &f.days_of_week,
            "6, 7"
        ),
        input("hours", st.t("时段", "Hours"), &f.hours, "10-22"),
        st.t("适用会员", "Who"),
        input("tiers", st.t("等级", "Tiers"), &f.tiers, "gold, platinum"),
        input(
            "channels",
            st.t("渠道", "Channels"),
            &f.channels,
            "app, pos"
        ),
        input(
            "pending_days",
            st.t("冻结天数", "Pending days"),
            &f.pending_days,
            ""
        ),
        input(
            "validity_days",
            st.t("有效天数", "Valid for days"),
            &f.validity_days,
            ""
        ),
        st.t("上限与预算", "Limits and budget"),
        select(
            "cap_period",
            st.t("每人上限周期", "Limit per member, per"),
            &f.cap_period,
            &[
                ("", st.t("不限", "No limit").into()),
                ("day", st.t("每天", "Day").into()),
                ("week", st.t("每周", "Week").into()),
                ("month", st.t("每月", "Month").into()),
                ("year", st.t("每年", "Year").into()),
                ("lifetime", st.t("终身", "Lifetime").into()),
            ]
        ),
        input(
            "cap_points",
            st.t("最多积分", "Most points"),
            &f.cap_points,
            "500"
        ),
        input(
            "cap_count",
            st.t("最多次数", "Most times"),
            &f.cap_count,
            "3"
        ),
        input(
            "budget_points",
            st.t("总预算（积分）", "Total budget (points)"),
            &f.budget_points,
            "1,000,000"
        ),
        select(
            "stacking",
            st.t("叠加方式", "Combines"),
            &f.stacking,
            &[
                ("stack", st.t("与其他规则叠加", "Adds to others").into()),
                ("best_of", st.t("择优（取最高）", "Best of").into()),
                ("exclusive", st.t("独占", "Exclusive").into()),
            ]
        ),
        if action.ends_with("/new") {
            format!(
                "<label class=\"check\"><input type=\"checkbox\" name=\"activate\" value=\"1\"{}> {}</label>",
                if f.activate.is_empty() {
                    ""
                } else {
                    " checked"
                },
                st.t("保存后立即生效", "Activate when saved")
            )
        } else {
            String::new()
        },
        st.t("保存", "Save"),
    )
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
    let tabs: String = [
        (None, st.t("全部", "All")),
        (Some("active"), st.t("生效中", "Active")),
        (Some("draft"), st.t("草稿", "Draft")),
        (Some("paused"), st.t("已暂停", "Paused")),
        (Some("archived"), st.t("已归档", "Archived")),
    ]
    .iter()
    .map(|(s, label)| {
        format!(
            "<a href=\"/console/rules{}\"{}>{label}</a>",
            s.map(|s| format!("?status={s}")).unwrap_or_default(),
            if *s == status.as_deref() {
                " class=\"on\""
            } else {
                ""
            }
        )
    })
    .collect();
    let rows: String = rules["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let d = &r["definition"];
                    format!(
                        "<tr><td><a href=\"/console/rules/{}\">{}</a><div class=\"muted\">{}</div></td><td>{}</td><td><code>{}</code></td><td><span class=\"pill {}\">{}</span></td><td class=\"num\">v{}</td><td>{}</td></tr>",
                        r["rule_id"],
                        esc(d["name"].as_str().unwrap_or("")),
                        esc(d["description"].as_str().unwrap_or("")),
                        esc(&trigger_label(&st, d["trigger"].as_str().unwrap_or(""))),
                        esc(d["points"].as_str().unwrap_or("")),
                        esc(r["status"].as_str().unwrap_or("")),
                        esc(&status_label(&st, r["status"].as_str().unwrap_or(""))),
                        r["version"],
                        fmt_time(r["updated_at"].as_i64().unwrap_or(0), &st.ctx.tz),
                    )
                })
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            format!(
                "<tr><td colspan=\"6\" class=\"muted\">{}</td></tr>",
                st.t("还没有规则", "No rules yet")
            )
        });
    let new = if st.s.role.operates() {
        format!(
            "<a class=\"button\" href=\"/console/rules/new\">{}</a>",
            st.t("新建规则", "New rule")
        )
    } else {
        String::new()
    };
    let body = format!(
        "<div class=\"toolbar\"><nav class=\"tabs\">{tabs}</nav>{new}</div>\
         <table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        st.t("规则", "Rule"),
        st.t("触发", "Trigger"),
        st.t("积分公式", "Points"),
        st.t("状态", "Status"),
        st.t("版本", "Version"),
        st.t("更新时间", "Updated"),
    );
    st.page(StatusCode::OK, "rules", title, &body)
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
    let body = rule_form(&st, "/console/rules/new", &f, None, true);
    st.page(StatusCode::OK, "rules", title, &body)
}

/// Answers a form with an error next to its field; the form keeps what was typed.
fn refused(
    st: &Staff,
    action: &str,
    f: &RuleForm,
    status: StatusCode,
    err: (String, String),
) -> Response {
    let title = if action.ends_with("/new") {
        st.t("新建规则", "New rule").to_string()
    } else {
        f.name.clone()
    };
    let body = rule_form(st, action, f, Some(&err), true);
    st.page(status, "rules", &title, &body)
}

async fn create(State(web): State<Web>, st: Staff, Form(f): Form<RuleForm>) -> Response {
    let action = "/console/rules/new";
    if !st.s.role.operates() {
        return st.forbidden("rules", st.t("新建规则", "New rule"));
    }
    if f.csrf != st.s.csrf {
        return refused(&st, action, &f, StatusCode::FORBIDDEN, expired(&st));
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
    let def = match f.to_def(&Value::Null) {
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
        .audited(&web, "rules", idem, move |tx, ctx, now| {
            let v = earn::create_rule(tx, ctx, now, &input)?;
            let audit = Audit {
                action: "rule.create".to_string(),
                target: format!("rule:{}", v["rule_id"]),
                before: None,
                after: Some(v["definition"].to_string()),
            };
            Ok((v, audit))
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(o) => Redirect::to(&format!("/console/rules/{}?done=saved", o.body["rule_id"]))
            .into_response(),
        Err(e) => on_error(&st, action, &f, e),
    }
}

fn on_error(st: &Staff, action: &str, f: &RuleForm, e: AppError) -> Response {
    match e {
        AppError::Invalid { field, message } => refused(
            st,
            action,
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
            (form_field(&field), message),
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
    dry_result: Option<Result<Value, (String, String)>>,
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
    let rstatus = rule["status"].as_str().unwrap_or("").to_string();
    let mut f = form
        .cloned()
        .unwrap_or_else(|| RuleForm::from_def(&rule["definition"]));
    if f.trigger.is_empty() {
        f.trigger = text_of(&rule["definition"]["trigger"]);
    }
    let editable = st.s.role.operates() && rstatus != "archived";
    let action = format!("/console/rules/{id}");
    let form_html = rule_form(st, &action, &f, error.as_ref(), editable);
    let buttons: String = if st.s.role.operates() {
        [
            ("activate", st.t("生效", "Activate"), ["draft", "paused"].as_slice()),
            ("pause", st.t("暂停", "Pause"), ["active"].as_slice()),
            ("archive", st.t("归档", "Archive"), ["draft", "active", "paused"].as_slice()),
        ]
        .iter()
        .filter(|(_, _, from)| from.contains(&rstatus.as_str()))
        .map(|(a, label, _)| {
            format!(
                "<form method=\"post\" action=\"/console/rules/{id}/status/{a}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"{}\">{label}</button></form>",
                esc(&st.s.csrf),
                if *a == "activate" { "" } else { "secondary" }
            )
        })
        .collect()
    } else {
        String::new()
    };
    let issued = &rule["issued"];
    let versions: String = rule["versions"]
        .as_array()
        .map(|a| {
            a.iter()
                .rev()
                .map(|v| {
                    format!(
                        "<li>v{} · {} · {}</li>",
                        v["version"],
                        esc(v["actor"].as_str().unwrap_or("–")),
                        fmt_time(v["created_at"].as_i64().unwrap_or(0), &st.ctx.tz)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let head = format!(
        "{}<div class=\"toolbar\"><p><span class=\"pill {rstatus}\">{}</span> v{} · {} <b>{}</b> · {} <b>{}</b></p><div>{buttons}</div></div>",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        esc(&status_label(st, &rstatus)),
        rule["version"],
        st.t("已发放积分", "Points issued"),
        num(issued["points"].as_i64().unwrap_or(0)),
        st.t("获奖会员", "Members"),
        num(issued["members"].as_i64().unwrap_or(0)),
    );
    let trigger = text_of(&rule["definition"]["trigger"]);
    let dry = dry_panel(st, id, &trigger, &panels.dry, panels.dry_result.as_ref());
    let bt = backtest_panel(st, id, &panels.bt, panels.bt_error.as_ref());
    let body = format!(
        "{head}<div class=\"two\"><section>{form_html}<h3>{}</h3><ul class=\"versions\">{versions}</ul></section><aside>{dry}{bt}</aside></div>",
        st.t("版本记录", "Versions"),
    );
    let title = rule["definition"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    st.page(status, "rules", &title, &body)
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
    if f.name.trim().is_empty() {
        let e = (
            "name".into(),
            st.t("请填写规则名称", "Give the rule a name").into(),
        );
        return again(e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let ctx = st.ctx.clone();
    let base = match web.app.read(move |tx| earn::get_rule(tx, &ctx, id)).await {
        Ok(r) => r["definition"].clone(),
        Err(e) => return st.fail(e),
    };
    let def = match f.to_def(&base) {
        Ok(d) => d,
        Err(e) => return again(e, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let input = RuleIn {
        definition: def,
        status: None,
        actor: Some(st.s.actor()),
    };
    let before = base.to_string();
    let out = st
        .audited(&web, "rules", None, move |tx, ctx, now| {
            let v = earn::update_rule(tx, ctx, now, id, &input)?;
            let audit = Audit {
                action: "rule.update".to_string(),
                target: format!("rule:{id}"),
                before: Some(before.to_string()),
                after: Some(v["definition"].to_string()),
            };
            Ok((v, audit))
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(_) => Redirect::to(&format!("/console/rules/{id}?done=saved")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            again(
                (form_field(&field), message),
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
        .audited(&web, "rules", None, move |tx, ctx, now| {
            let v = earn::change_rule_status(tx, ctx, now, id, a)?;
            let audit = Audit {
                action: format!("rule.{action}"),
                target: format!("rule:{id}"),
                before: None,
                after: (v["status"].as_str()).map(str::to_string),
            };
            Ok((v, audit))
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

// ---- dry run ----------------------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
struct DryForm {
    #[serde(default)]
    member: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    attributes: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    with_active: String,
    #[serde(default)]
    csrf: String,
}

fn outcome_label(st: &Staff, o: &str) -> String {
    match o {
        "fired" => st.t("命中", "Fired"),
        "outside_schedule" => st.t("不在活动时间", "Outside its schedule"),
        "not_in_audience" => st.t("不在适用会员内", "Not in its audience"),
        "condition_false" => st.t("条件不满足", "Condition not met"),
        "no_points" => st.t("公式结果为0", "Formula gave no points"),
        "cap_reached" => st.t("已达上限", "Limit reached"),
        "budget_exhausted" => st.t("预算已用完", "Budget used up"),
        "excluded" => st.t("被独占规则排除", "Excluded by an exclusive rule"),
        "outranked" => st.t("择优未选中", "Another rule gave more"),
        "error" => st.t("计算出错", "Formula failed"),
        other => other,
    }
    .to_string()
}

fn dry_panel(
    st: &Staff,
    id: i64,
    trigger: &str,
    f: &DryForm,
    result: Option<&Result<Value, (String, String)>>,
) -> String {
    let err = |name: &str| match result {
        Some(Err((field, msg))) if field == name => format!(
            "<div class=\"field-error\" role=\"alert\">{}</div>",
            esc(msg)
        ),
        _ => String::new(),
    };
    let field = |name: &str, label: &str, value: &str, hint: &str| {
        format!(
            "<div class=\"field\"><label for=\"dry_{name}\">{label}</label><input type=\"text\" id=\"dry_{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\">{}</div>",
            esc(value),
            esc(hint),
            err(name)
        )
    };
    let specific = if trigger == "purchase" {
        field(
            "amount",
            st.t("消费金额（元）", "Amount paid"),
            &f.amount,
            "199.00",
        )
    } else {
        field(
            "attributes",
            st.t("事件属性", "Event attributes"),
            &f.attributes,
            "text_length=120, photos=2",
        )
    };
    let answer = match result {
        Some(Ok(v)) => {
            let rows: String = v["rules"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|r| {
                            let fired = r["outcome"] == "fired";
                            format!(
                                "<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                                if r["rule_id"] == json!(id) { "this" } else { "" },
                                esc(r["name"].as_str().unwrap_or("")),
                                esc(&outcome_label(st, r["outcome"].as_str().unwrap_or(""))),
                                if fired { num(r["points"].as_i64().unwrap_or(0)) } else { "–".into() },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "<div class=\"result\" id=\"dry-result\"><div class=\"big\">+{} <small>{}</small></div>{}<table><tbody>{rows}</tbody></table></div>",
                num(v["awarded"]["points"].as_i64().unwrap_or(0)),
                st.t("规则奖励积分", "rule points"),
                v.get("base")
                    .map(|b| format!(
                        "<p class=\"muted\">{} {}</p>",
                        st.t("另有基础消费积分", "plus base purchase points"),
                        num(b["points"].as_i64().unwrap_or(0))
                    ))
                    .unwrap_or_default(),
            )
        }
        _ => String::new(),
    };
    format!(
        "<div class=\"panel\"><h3>{}</h3><p class=\"muted\">{}</p>{}<form method=\"post\" action=\"/console/rules/{id}/dry-run\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">{}{specific}{}\
         <label class=\"check\"><input type=\"checkbox\" name=\"with_active\" value=\"1\"{}> {}</label>\
         <button type=\"submit\" class=\"secondary\">{}</button></form>{answer}</div>",
        st.t("试算", "Dry run"),
        st.t(
            "用一个事件试算，不会写入任何数据。",
            "Evaluate one event; nothing is written."
        ),
        err("form"),
        esc(&st.s.csrf),
        field(
            "member",
            st.t("会员ID或手机号", "Member id or phone"),
            &f.member,
            "1"
        ),
        field("channel", st.t("渠道", "Channel"), &f.channel, "app"),
        if f.with_active.is_empty() {
            ""
        } else {
            " checked"
        },
        st.t("同时计算其他生效规则", "Include the other active rules"),
        st.t("试算", "Run"),
    )
}

async fn dry_run(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<DryForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "rule") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let show = |result: Result<Value, (String, String)>, status: StatusCode| {
        let (web, st, f) = (web.clone(), &st, f.clone());
        async move {
            let panels = Panels {
                dry: f,
                dry_result: Some(result),
                ..Default::default()
            };
            render(&web, st, id, None, None, panels, None, status).await
        }
    };
    if f.csrf != st.s.csrf {
        return show(Err(expired(&st)), StatusCode::FORBIDDEN).await;
    }
    let member_id = match member_by_text(&web, &st, &f.member, "member").await {
        Ok(m) => m,
        Err(e) => return show(Err(e), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let ctx = st.ctx.clone();
    let trigger = match web.app.read(move |tx| earn::get_rule(tx, &ctx, id)).await {
        Ok(r) => text_of(&r["definition"]["trigger"]),
        Err(e) => return st.fail(e),
    };
    let member = MemberRef::Id { member_id };
    let channel = Some(f.channel.trim().to_string()).filter(|c| !c.is_empty());
    let d = if trigger == "purchase" {
        let Some(minor) = parse_money(&f.amount).filter(|m| *m > 0) else {
            let e = (
                "amount".into(),
                st.t("金额如 199 或 199.50", "An amount such as 199 or 199.50")
                    .into(),
            );
            return show(Err(e), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        DryRun {
            purchase: Some(Purchase {
                order_id: "dry-run".into(),
                member,
                amount_minor: minor,
                currency: st.ctx.program.currency.clone(),
                lines: Vec::new(),
                occurred_at: None,
                shipping_minor: None,
                channel,
                tags: Vec::new(),
            }),
            event: None,
            at: None,
            rule_ids: vec![id],
            rules: Vec::new(),
            include_active: !f.with_active.is_empty(),
        }
    } else {
        let mut attributes = BTreeMap::new();
        for part in f
            .attributes
            .split([',', '，'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let parsed = part
                .split_once('=')
                .and_then(|(k, v)| Some((k.trim().to_string(), v.trim().parse::<i64>().ok()?)));
            match parsed {
                Some((k, v)) if !k.is_empty() => {
                    attributes.insert(k, v);
                }
                _ => {
                    let e = (
                        "attributes".into(),
                        st.t(
                            "属性写成 名称=整数，用逗号分隔",
                            "Write attributes as name=number, comma separated",
                        )
                        .into(),
                    );
                    return show(Err(e), StatusCode::UNPROCESSABLE_ENTITY).await;
                }
            }
        }
        DryRun {
            purchase: None,
            event: Some(EventIn {
                event_id: None,
                trigger: trigger.clone(),
                member,
                occurred_at: None,
                channel,
                tags: Vec::new(),
                attributes,
                makeup_date: None,
                device_id: None,
                ip: None,
            }),
            at: None,
            rule_ids: vec![id],
            rules: Vec::new(),
            include_active: !f.with_active.is_empty(),
        }
    };
    let ctx = st.ctx.clone();
    let now = web.app.now();
    match web
        .app
        .read(move |tx| earn::dry_run(tx, &ctx, now, &d))
        .await
    {
        Ok(v) => show(Ok(v), StatusCode::OK).await,
        Err(AppError::Invalid { field, message }) => {
            let field = if field.contains("amount") {
                "amount"
            } else {
                "form"
            };
            show(
                Err((field.into(), message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::NotFound { .. }) => {
            let e = (
                "member".into(),
                st.t("找不到这个会员", "No such member").into(),
            );
            show(Err(e), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => st.fail(e),
    }
}

// ---- backtest ---------------------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
struct BacktestForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    csrf: String,
}

fn backtest_panel(
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
        "<div class=\"panel\"><h3>{}</h3><p class=\"muted\">{}</p>{}<form method=\"post\" action=\"/console/rules/{id}/backtest\">\
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
fn day_ms(s: &str, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let d: jiff::civil::Date = s.trim().parse().ok()?;
    d.to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

async fn backtest(
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
struct BacktestQuery {
    #[serde(default)]
    rule: Option<String>,
}

async fn backtest_page(
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
    let body = match b.status {
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
            let change = r["change"]["points"].as_i64().unwrap_or(0);
            let rows: String = r["by_rule"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            format!(
                                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                                esc(x["name"].as_str().unwrap_or("")),
                                num(x["awards"].as_i64().unwrap_or(0)),
                                num(x["members"].as_i64().unwrap_or(0)),
                                num(x["points"].as_i64().unwrap_or(0)),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
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
                num(r["events"].as_i64().unwrap_or(0)),
                st.t("涉及会员", "Members affected"),
                num(r["members_affected"].as_i64().unwrap_or(0)),
                st.t("实际发放", "Actually paid"),
                num(r["actual"]["points"].as_i64().unwrap_or(0)),
                st.t("按新规则", "With the proposal"),
                num(r["proposed"]["points"].as_i64().unwrap_or(0)),
                st.t("变化", "Change"),
                if change >= 0 { "pos" } else { "neg" },
                if change > 0 { "+" } else { "" },
                num(change),
                st.t("规则", "Rule"),
                st.t("奖励次数", "Awards"),
                st.t("会员", "Members"),
                st.t("积分", "Points"),
                esc(r["note"].as_str().unwrap_or("")),
            )
        }
    };
    st.page(StatusCode::OK, "rules", title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_keeps_what_it_does_not_show() {
        let base = json!({
            "name": "old", "trigger": "purchase", "points": "1",
            "audience": {"segments": ["vip"], "tiers": []},
            "caps": [{"period": "day", "max_points": 5}, {"period": "month", "max_count": 9}],
            "schedule": {"timezone": "Asia/Tokyo"}
        });
        let f = RuleForm {
            name: "new".into(),
            trigger: "purchase".into(),
            points: "order.amount / 100".into(),
            cap_period: "week".into(),
            cap_points: "1,000".into(),
            tiers: "gold，platinum".into(),
            ..Default::default()
        };
        let d = serde_json::to_value(f.to_def(&base).unwrap()).unwrap();
        assert_eq!(d["name"], "new");
        assert_eq!(d["audience"]["segments"], json!(["vip"]));
        assert_eq!(d["audience"]["tiers"], json!(["gold", "platinum"]));
        assert_eq!(d["caps"][0]["period"], "week");
        assert_eq!(d["caps"][0]["max_points"], 1000);
        assert_eq!(d["caps"][1]["max_count"], 9);
        assert_eq!(d["schedule"]["timezone"], "Asia/Tokyo");
        let back = RuleForm::from_def(&d);
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
        assert_eq!(f.to_def(&Value::Null).unwrap_err().0, "hours");
        let f = RuleForm {
            cap_points: "5".into(),
            ..f
        };
        let f = RuleForm {
            hours: String::new(),
            ..f
        };
        assert_eq!(f.to_def(&Value::Null).unwrap_err().0, "cap_period");
        assert_eq!(form_field("schedule.ends_at"), "ends_at");
        assert_eq!(form_field("caps[1]"), "cap_period");
        assert_eq!(form_field("whatever"), "form");
    }
}

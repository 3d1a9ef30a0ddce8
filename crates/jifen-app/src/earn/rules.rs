//! Managing rules: viewing, creating, updating and activating rule definitions, and the
//! earning settings.

use jifen_ledger::*;
use jifen_rules::signin::EarnSettings;
use jifen_rules::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self};
use crate::{AppError, ProgramCtx};

use super::views::{
    AllTriggers, RuleIssued, RuleList, RuleSummary, RuleVersionView, RuleView, VariableTriggers,
    VariableView, VariablesView,
};
use super::{ACTIVE_RULES_MAX, rule_invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    Activate,
    Pause,
    Archive,
}

/// A rule to save: its definition, the status to create it in, who saves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleIn {
    pub definition: RuleDef,
    /// `draft` (the default) or `active`, when creating.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
}

/// A rule's stored definition.
fn definition(text: &str) -> Result<RuleDef, AppError> {
    Ok(serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))?)
}

/// A rule as shown. What it issued is an aggregate over its awards, so only reads (never the
/// writer) compute it.
fn rule_view(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<RuleView, AppError> {
    let r = tx
        .rule(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "rule",
            id: id.to_string(),
        })?;
    let versions = tx
        .rule_versions(ctx.program.id, id)?
        .into_iter()
        .map(|(version, _, actor, created_at)| RuleVersionView {
            version,
            actor,
            created_at,
        })
        .collect();
    Ok(RuleView {
        rule_id: r.id,
        status: r.status,
        version: r.version,
        definition: definition(&r.definition)?,
        created_at: r.created_at,
        updated_at: r.updated_at,
        versions,
        issued: None,
    })
}

/// A rule with what it issued (net of awards withdrawn by refunds and rejected holds).
pub fn get_rule(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<RuleView, AppError> {
    let mut v = rule_view(tx, ctx, id)?;
    let (points, growth, members) = tx.rule_totals(ctx.program.id, id)?;
    v.issued = Some(RuleIssued {
        points,
        growth,
        members,
    });
    Ok(v)
}

pub fn list_rules(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    status: Option<&str>,
) -> Result<RuleList, AppError> {
    if let Some(s) = status
        && !["draft", "active", "paused", "archived"].contains(&s)
    {
        return Err(AppError::invalid(
            "status",
            "must be draft, active, paused or archived",
        ));
    }
    let rows = tx.rules(ctx.program.id, status)?;
    let mut rules = Vec::with_capacity(rows.len());
    for r in rows {
        rules.push(RuleSummary {
            definition: definition(&r.definition)?,
            rule_id: r.id,
            status: r.status,
            version: r.version,
            updated_at: r.updated_at,
        });
    }
    Ok(RuleList { rules })
}

fn check_active_room(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<(), AppError> {
    if tx.rules(ctx.program.id, Some("active"))?.len() >= ACTIVE_RULES_MAX {
        return Err(AppError::conflict(
            "too_many_active_rules",
            format!(
                "a programme may have at most {ACTIVE_RULES_MAX} active rules; pause or archive one first"
            ),
            json!({"active_rules_max": ACTIVE_RULES_MAX}),
        ));
    }
    Ok(())
}

fn on_activate(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64, def: &RuleDef) -> Result<(), AppError> {
    if def.budget_points.is_some() {
        tx.ensure_counter(ctx.program.id, 0, &format!("budget:{id}"))?;
    }
    Ok(())
}

fn check_actor(actor: &Option<String>) -> Result<(), AppError> {
    if let Some(a) = actor {
        commands::check_id("actor", a)?;
    }
    Ok(())
}

/// Refuses an audience naming a segment the programme does not have: such a rule would pay
/// nobody without saying so. (The programme has no segments until segmentation arrives, so
/// every name is refused today; the check then reads the programme's segments.)
pub(super) fn check_segments(def: &RuleDef) -> Result<(), AppError> {
    if let Some((i, name)) = def.audience.segments.iter().enumerate().next() {
        return Err(AppError::invalid(
            format!("audience.segments[{i}]"),
            format!("unknown segment {name:?}: the programme has no such segment"),
        ));
    }
    Ok(())
}

/// Creates a rule in `actor`'s name (audited as `rule.create`); the rule's first version is
/// signed with `r.actor` when given, else with `actor`.
pub fn create_rule(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    r: &RuleIn,
) -> Result<RuleView, AppError> {
    check_actor(&r.actor)?;
    r.definition.compile(0, 1, &ctx.tz).map_err(rule_invalid)?;
    check_segments(&r.definition)?;
    let status = r.status.as_deref().unwrap_or("draft");
    if !["draft", "active"].contains(&status) {
        return Err(AppError::invalid("status", "a new rule is draft or active"));
    }
    if status == "active" {
        check_active_room(tx, ctx)?;
    }
    let def = serde_json::to_string(&r.definition).expect("definition serializes");
    let signer = r.actor.as_deref().unwrap_or(actor);
    let id = tx.insert_rule(ctx.program.id, status, &def, Some(signer), now)?;
    if status == "active" {
        on_activate(tx, ctx, id, &r.definition)?;
    }
    let target = format!("rule:{id}");
    tx.audit(
        ctx.program.id,
        actor,
        "rule.create",
        &target,
        None,
        Some(&def),
        now,
    )?;
    rule_view(tx, ctx, id)
}

/// A rule's status and current version, its row locked for the change.
fn locked_rule(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<(String, i64), AppError> {
    tx.lock_rule(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "rule",
            id: id.to_string(),
        })
}

/// Saves a new version of a rule in `actor`'s name (audited as `rule.update`, with the
/// definition before and after). Versions are immutable: awards name the version that paid
/// them, so an edit never rewrites what a member was told.
pub fn update_rule(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    r: &RuleIn,
) -> Result<RuleView, AppError> {
    check_actor(&r.actor)?;
    if r.status.is_some() {
        return Err(AppError::invalid(
            "status",
            "change the status with activate, pause or archive",
        ));
    }
    let (status, version) = locked_rule(tx, ctx, id)?;
    if status == "archived" {
        return Err(AppError::conflict(
            "rule_archived",
            format!("rule {id} is archived"),
            json!({"rule_id": id}),
        ));
    }
    r.definition
        .compile(id, version + 1, &ctx.tz)
        .map_err(rule_invalid)?;
    check_segments(&r.definition)?;
    let def = serde_json::to_string(&r.definition).expect("definition serializes");
    let before = tx.rule_version(ctx.program.id, id, version)?;
    let signer = r.actor.as_deref().unwrap_or(actor);
    tx.insert_rule_version(ctx.program.id, id, version + 1, &def, Some(signer), now)?;
    tx.set_rule_state(ctx.program.id, id, &status, version + 1, now)?;
    if status == "active" {
        on_activate(tx, ctx, id, &r.definition)?;
    }
    let target = format!("rule:{id}");
    let before = before.as_deref();
    tx.audit(
        ctx.program.id,
        actor,
        "rule.update",
        &target,
        before,
        Some(&def),
        now,
    )?;
    rule_view(tx, ctx, id)
}

/// Activates, pauses or archives a rule in `actor`'s name (audited as `rule.activate`,
/// `rule.pause` or `rule.archive`, with the status before and after).
pub fn change_rule_status(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    action: RuleAction,
) -> Result<RuleView, AppError> {
    let (status, version) = locked_rule(tx, ctx, id)?;
    let next = match (action, status.as_str()) {
        (RuleAction::Activate, "draft" | "paused") => "active",
        (RuleAction::Pause, "active") => "paused",
        (RuleAction::Archive, "draft" | "active" | "paused") => "archived",
        _ => {
            return Err(AppError::conflict(
                "rule_status",
                format!(
                    "rule {id} is {status}; it cannot be {}d",
                    match action {
                        RuleAction::Activate => "activate",
                        RuleAction::Pause => "pause",
                        RuleAction::Archive => "archive",
                    }
                ),
                json!({"rule_id": id, "status": status}),
            ));
        }
    };
    if next == "active" {
        check_active_room(tx, ctx)?;
        let def = tx
            .rule_version(ctx.program.id, id, version)?
            .unwrap_or_default();
        let def: RuleDef =
            serde_json::from_str(&def).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // The programme's time zone may have changed since the rule was saved.
        def.compile(id, version, &ctx.tz).map_err(rule_invalid)?;
        check_segments(&def)?;
        tx.set_rule_state(ctx.program.id, id, next, version, now)?;
        on_activate(tx, ctx, id, &def)?;
    } else {
        tx.set_rule_state(ctx.program.id, id, next, version, now)?;
    }
    let verb = match action {
        RuleAction::Activate => "rule.activate",
        RuleAction::Pause => "rule.pause",
        RuleAction::Archive => "rule.archive",
    };
    let target = format!("rule:{id}");
    tx.audit(
        ctx.program.id,
        actor,
        verb,
        &target,
        Some(&status),
        Some(next),
        now,
    )?;
    rule_view(tx, ctx, id)
}

/// Replaces the earning settings in `actor`'s name (audited as `earn_settings.put`).
pub fn put_settings(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    s: &EarnSettings,
) -> Result<EarnSettings, AppError> {
    s.validate().map_err(rule_invalid)?;
    let text = serde_json::to_string(s).expect("settings serialize");
    tx.put_earn_settings(ctx.program.id, &text, now)?;
    let put = "earn_settings.put";
    tx.audit(
        ctx.program.id,
        actor,
        put,
        "earn_settings",
        None,
        Some(&text),
        now,
    )?;
    Ok(s.clone())
}

/// The variables rules may use, with their types and the triggers that supply them.
pub fn variables() -> VariablesView {
    let all = jifen_rules::rule::BUILT_IN_TRIGGERS;
    let variables = jifen_rules::vars::VARS
        .iter()
        .map(|v| {
            let triggers: Vec<String> = all
                .iter()
                .filter(|t| {
                    let t = Trigger::parse(t).expect("built-in");
                    jifen_rules::expr::Schema::lookup(&jifen_rules::vars::TriggerSchema(&t), v.name)
                        .is_some()
                })
                .map(|t| t.to_string())
                .collect();
            VariableView {
                name: v.name.to_string(),
                ty: v.ty,
                doc: v.doc.to_string(),
                doc_zh: v.doc_zh.to_string(),
                triggers: if triggers.len() == all.len() {
                    VariableTriggers::All(AllTriggers::All)
                } else {
                    VariableTriggers::Only(triggers)
                },
            }
        })
        .collect();
    let functions = ["min", "max", "abs", "clamp", "size", "contains"];
    VariablesView {
        variables,
        functions: functions.map(str::to_string).to_vec(),
    }
}

//! What the rule use cases answer: rules with their versions, the variables rules may use, dry
//! runs, backtest results and risk holds, as typed views.

use jifen_rules::expr::Type;
use jifen_rules::{Award, Explain, RuleDef};
use jifen_store::RiskHold;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::backtest::RuleFigures;

/// Points and growth value side by side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PointsAndGrowth {
    /// Spendable points.
    pub points: i64,
    /// Growth value (成长值).
    pub growth: i64,
}

/// One saved version of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleVersionView {
    pub version: i64,
    /// Who saved it, when known.
    pub actor: Option<String>,
    /// When it was saved (Unix ms).
    pub created_at: i64,
}

/// What a rule issued, net of awards withdrawn by refunds and rejected holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleIssued {
    pub points: i64,
    pub growth: i64,
    /// Members it paid.
    pub members: i64,
}

/// A rule at its current version, with every version saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleView {
    pub rule_id: i64,
    /// `draft`, `active`, `paused` or `archived`.
    pub status: String,
    /// The current version.
    pub version: i64,
    /// The definition of the current version.
    pub definition: RuleDef,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Every version, oldest first.
    pub versions: Vec<RuleVersionView>,
    /// What the rule issued: on a read of one rule only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<RuleIssued>,
}

/// A rule in a list: its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleSummary {
    pub rule_id: i64,
    /// `draft`, `active`, `paused` or `archived`.
    pub status: String,
    pub version: i64,
    pub definition: RuleDef,
    /// Unix ms.
    pub updated_at: i64,
}

/// A programme's rules, newest change first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleList {
    pub rules: Vec<RuleSummary>,
}

/// Every event type: `"all"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AllTriggers {
    All,
}

/// The event types that supply a variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum VariableTriggers {
    /// Every event type supplies it.
    All(AllTriggers),
    /// Only these event types supply it.
    Only(Vec<String>),
}

/// A variable rule expressions may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VariableView {
    /// The name as written in an expression, e.g. `order.amount`.
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    /// What it holds.
    pub doc: String,
    /// What it holds, in Chinese; code the operator types stands in backticks.
    pub doc_zh: String,
    pub triggers: VariableTriggers,
}

/// The variables and functions rule expressions may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VariablesView {
    pub variables: Vec<VariableView>,
    pub functions: Vec<String>,
}

/// What an event would earn, written nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DryRunView {
    /// Always `true`: nothing was written.
    pub dry_run: bool,
    /// The event type evaluated.
    #[serde(rename = "type")]
    pub trigger: String,
    pub member_id: i64,
    /// The instant evaluated at (Unix ms).
    pub at: i64,
    /// What the rules would award in all.
    pub awarded: PointsAndGrowth,
    /// Each rule's award.
    pub awards: Vec<Award>,
    /// Why each rule did or did not pay.
    pub rules: Vec<Explain>,
    /// A purchase's base earn at the programme's rate, before rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<PointsAndGrowth>,
    /// What a real event would meet that the dry run evaluated past: `already_signed_in` when
    /// the member has signed in on the day evaluated (a real sign-in is refused with 409
    /// `already_signed_in`; the rules were evaluated as that day's sign-in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<DryRunNote>,
}

/// A note on a dry run, with its words in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DryRunNote {
    /// `already_signed_in`.
    pub code: String,
    /// The day it concerns, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    pub message_zh: String,
    pub message_en: String,
}

impl DryRunNote {
    /// The note of `code` from its words (`jifen_domain::words::DRY_RUN_NOTES`).
    pub fn of(code: &str, day: Option<String>) -> DryRunNote {
        let w = jifen_domain::words::find(jifen_domain::words::DRY_RUN_NOTES, code);
        DryRunNote {
            code: code.to_string(),
            day,
            message_zh: w.map_or(code, |w| w.zh).to_string(),
            message_en: w.map_or(code, |w| w.en).to_string(),
        }
    }
}

/// What a backtest found: the proposed rule set against what was actually awarded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BacktestResult {
    /// Events replayed.
    pub events: i64,
    /// Members the proposed rules would pay.
    pub members_affected: usize,
    /// What the proposed rules would award.
    pub proposed: PointsAndGrowth,
    /// What was awarded.
    pub actual: PointsAndGrowth,
    /// Proposed less actual.
    pub change: PointsAndGrowth,
    /// Per proposed rule that paid.
    pub by_rule: Vec<RuleFigures>,
    /// What the figures cover.
    pub note: String,
}

/// A risk hold just opened, in the answer to the event it holds: the event's awards wait in
/// it for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HoldOpened {
    /// The hold: release or reject it under `/api/v1/risk-holds/{hold_id}`.
    pub hold_id: i64,
    /// Why the event was held.
    pub reason: String,
    /// Points held.
    pub points: i64,
    /// Growth held.
    pub growth: i64,
}

/// A risk hold: an event's awards waiting for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HoldView {
    pub hold_id: i64,
    pub member_id: i64,
    pub event_id: String,
    /// Why the event was held.
    pub reason: String,
    /// `open`, `released` or `rejected`.
    pub status: String,
    /// Points held.
    pub points: i64,
    /// Growth held.
    pub growth: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms; `null` while open.
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
    /// Points released or voided: in the answer to a decision only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_moved: Option<i64>,
}

impl HoldView {
    pub(super) fn of(h: &RiskHold) -> HoldView {
        HoldView {
            hold_id: h.id,
            member_id: h.member.0,
            event_id: h.event_id.clone(),
            reason: h.reason.clone(),
            status: h.status.clone(),
            points: h.points,
            growth: h.growth,
            created_at: h.created_at,
            decided_at: h.decided_at,
            decided_by: h.decided_by.clone(),
            note: h.note.clone(),
            points_moved: None,
        }
    }
}

/// A page of risk holds, in the order they were opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HoldsPage {
    pub holds: Vec<HoldView>,
    /// Pass as `?after=` for the next page; `null` on the last.
    pub next_after: Option<i64>,
}

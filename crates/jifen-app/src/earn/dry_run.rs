//! Dry runs: evaluating an event without writing, against active, stored and inline rules.

use std::sync::Arc;

use jifen_ledger::*;
use jifen_rules::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};

use crate::commands::{self, Purchase};
use crate::{AppError, ProgramCtx};

use super::counters::evaluate_locked;
use super::events::{EventIn, event_vars};
use super::purchases::purchase_vars;
use super::rules::check_segments;
use super::views::{DryRunNote, DryRunView, PointsAndGrowth};
use super::{EarnCtx, compile_stored};

/// Evaluates an event without writing: against the active rules, chosen stored rules (drafts
/// included) and inline definitions, at a chosen time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRun {
    #[serde(default)]
    pub purchase: Option<Purchase>,
    #[serde(default)]
    pub event: Option<EventIn>,
    /// The instant to evaluate at (Unix ms); the event's time or now when absent.
    #[serde(default)]
    pub at: Option<Millis>,
    /// Stored rules to evaluate at their current version, whatever their status.
    #[serde(default)]
    pub rule_ids: Vec<i64>,
    /// Definitions to evaluate as if they were active.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// Whether the active rules take part as well (default true).
    #[serde(default = "yes")]
    pub include_active: bool,
}

fn yes() -> bool {
    true
}

/// How far ahead a dry run may look (a campaign planned for next year).
pub const DRY_RUN_AHEAD_MAX_MS: i64 = 3_660 * 86_400_000;

/// Rules per dry run or backtest besides the active ones.
pub const PROPOSED_RULES_MAX: usize = 50;

/// The rule set a dry run or backtest evaluates. Inline rules get negative ids (-1, -2...).
pub fn proposed_set(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    rule_ids: &[i64],
    rules: &[RuleDef],
    include_active: bool,
) -> Result<RuleSet, AppError> {
    if rule_ids.len() + rules.len() > PROPOSED_RULES_MAX {
        return Err(AppError::invalid(
            "rules",
            format!("at most {PROPOSED_RULES_MAX} proposed rules"),
        ));
    }
    let mut out: Vec<CompiledRule> = Vec::new();
    if include_active {
        out.extend(
            ctx.earn
                .rules
                .rules()
                .map(|r| (**r).clone())
                .filter(|r| !rule_ids.contains(&r.id)),
        );
    }
    for id in rule_ids {
        let r = tx
            .rule(ctx.program.id, *id)?
            .ok_or_else(|| AppError::NotFound {
                what: "rule",
                id: id.to_string(),
            })?;
        out.push(compile_stored(&r.definition, r.id, r.version, &ctx.tz)?);
    }
    for (i, d) in rules.iter().enumerate() {
        let id = -(i as i64) - 1;
        out.push(
            d.compile(id, 0, &ctx.tz)
                .map_err(|e| AppError::invalid(format!("rules[{i}].{}", e.field), e.message))?,
        );
        check_segments(d).map_err(|e| match e {
            AppError::Invalid { field, message } => {
                AppError::invalid(format!("rules[{i}].{field}"), message)
            }
            other => other,
        })?;
    }
    Ok(RuleSet::new(out))
}

pub fn dry_run(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    d: &DryRun,
) -> Result<DryRunView, AppError> {
    if let Some(at) = d.at
        && !(commands::OCCURRED_AT_MIN..=now.saturating_add(DRY_RUN_AHEAD_MAX_MS)).contains(&at)
    {
        return Err(AppError::invalid(
            "at",
            "must be between 2000-01-01 and ten years from now (Unix milliseconds)",
        ));
    }
    let set = proposed_set(tx, ctx, &d.rule_ids, &d.rules, d.include_active)?;
    let (member_ref, trigger) = match (&d.purchase, &d.event) {
        (Some(p), None) => {
            p.validate()?;
            (p.member.clone(), Trigger::Purchase)
        }
        (None, Some(e)) => (e.member.clone(), e.validate()?),
        _ => {
            return Err(AppError::invalid(
                "purchase",
                "give exactly one of purchase or event",
            ));
        }
    };
    let member = commands::resolve(tx, ctx, &member_ref)?;
    let mut notes = Vec::new();
    let (vars, at, base) = match (&d.purchase, &d.event) {
        (Some(p), _) => {
            let at = d.at.or(p.occurred_at).unwrap_or(now);
            let tier = crate::tiers::tier_code(tx, ctx, member.id, at)?;
            let base = commands::base_earn(
                ctx,
                p,
                crate::tiers::benefits_of(ctx, &tier).earn_multiplier_pct,
            );
            (
                purchase_vars(tx, ctx, &set, &member, p, at, base, &tier)?.0,
                at,
                Some(base),
            )
        }
        (_, Some(e)) => {
            let at = d.at.or(e.occurred_at).unwrap_or(now);
            let ctx_with = ProgramCtx {
                earn: Arc::new(EarnCtx {
                    rules: Arc::new(set.clone()),
                    settings: ctx.earn.settings.clone(),
                    ladder: ctx.earn.ladder.clone(),
                }),
                ..ctx.clone()
            };
            let ev = event_vars(tx, &ctx_with, &member, e, &trigger, at)?;
            // A dry run evaluates, it does not refuse: a day already signed is evaluated as
            // its sign-in, and the answer says a real one would be refused.
            if let (true, Some((day, _))) = (ev.already_signed_in, ev.day) {
                notes.push(DryRunNote::of("already_signed_in", Some(day.to_string())));
            }
            (ev.vars, at, None)
        }
        _ => unreachable!(),
    };
    let eval = evaluate_locked(tx, ctx, &set, member.id, &trigger, at, &vars)?;
    Ok(DryRunView {
        dry_run: true,
        trigger: trigger.as_string(),
        member_id: member.id.0,
        at,
        awarded: PointsAndGrowth {
            points: eval.total(PointType::Points),
            growth: eval.total(PointType::Growth),
        },
        awards: eval.awards,
        rules: eval.explain,
        base: base.map(|b| PointsAndGrowth {
            points: b.points,
            growth: b.growth,
        }),
        notes,
    })
}

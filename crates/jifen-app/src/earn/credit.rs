//! Crediting and recording: paying an evaluation's awards through the ledger (or holding
//! them) and recording the event, its awards and the counter increments.

use jifen_ledger::ops::{self, CreditSpec, MemberBook, Refs};
use jifen_ledger::policy::Validity;
use jifen_ledger::*;
use jifen_rules::Value;
use jifen_rules::*;
use jifen_store::*;

use crate::commands::{self, AwardLine};
use crate::{AppError, ProgramCtx};

use super::counters::{counter_member, counter_rows, slot_of};
use super::vars::vars_json;

/// The vesting date of held awards: never, until staff release them.
pub const HOLD_UNTIL: Millis = 253_402_214_400_000; // 9999-12-31

/// Where one award went in the posting.
pub(super) struct Credited {
    transfer_index: usize,
    available_at: Millis,
    expires_at: Option<Millis>,
}

/// The transfer code of an award: `purchase_bonus` for purchase rules, else the event type.
fn award_code(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Purchase => "purchase_bonus".into(),
        t => t.as_string(),
    }
}

/// Credits every award as its own lot, with the rule's pending days and validity.
pub(super) fn credit_awards(
    posting: &mut Posting,
    books: &mut [MemberBook; 2],
    ctx: &ProgramCtx,
    awards: &[Award],
    trigger: &Trigger,
    occurred: Millis,
    now: Millis,
    order_ref: Option<&str>,
    held: bool,
    frozen: bool,
    tier: &str,
) -> Result<Vec<Credited>, AppError> {
    let policy = &ctx.program.policy;
    let source_kind = match trigger {
        Trigger::Purchase => SystemAccount::IssuancePurchase,
        _ => SystemAccount::IssuanceBehaviour,
    };
    let code = award_code(trigger);
    // Awards with the same point type and dates share one credit (one transfer, one lot):
    // a purchase under many rules writes one ledger line for its bonuses, whose reason names
    // each rule, while every award keeps its own row with the rule version.
    struct Group {
        pt: PointType,
        available_at: Millis,
        expires_at: Option<Millis>,
        points: i64,
        reason: String,
        members: Vec<usize>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for (i, a) in awards.iter().enumerate() {
        let pt = a.point_type;
        let pending_days = a.pending_days.unwrap_or(match trigger {
            Trigger::Purchase => policy.pending_days,
            _ => 0,
        });
        let available_at = if held {
            HOLD_UNTIL
        } else if frozen && pt == PointType::Points {
            // A frozen member earns into pending; unfreezing releases them.
            crate::members::FROZEN_UNTIL
        } else {
            occurred.saturating_add(pending_days as i64 * 86_400_000)
        };
        let expires_at = match (pt, a.validity_days) {
            (PointType::Growth, _) => None,
            (PointType::Points, Some(days)) => {
                Validity::Days { days }.expires_at(occurred, &ctx.tz)
            }
            // Without a validity of its own, an award lasts as the member's tier gives.
            (PointType::Points, None) => crate::tiers::points_expiry(ctx, tier, occurred),
        };
        // The line reads as the rules' names; which rule and version paid is in the awards.
        let line = a.name.to_string();
        // A group never passes the ledger's per-operation maximum.
        match groups.iter_mut().find(|g| {
            g.pt == pt
                && g.available_at == available_at
                && g.expires_at == expires_at
                && g.points + a.points <= jifen_ledger::POINTS_PER_OPERATION_MAX
        }) {
            Some(g) => {
                g.points += a.points;
                g.reason.push_str("; ");
                g.reason.push_str(&line);
                g.members.push(i);
            }
            None => groups.push(Group {
                pt,
                available_at,
                expires_at,
                points: a.points,
                reason: line,
                members: vec![i],
            }),
        }
    }
    let mut out: Vec<Option<Credited>> = (0..awards.len()).map(|_| None).collect();
    for g in groups {
        let spec = CreditSpec {
            code: &code,
            source: ctx.system.get(source_kind, g.pt),
            amount: Points::positive(g.points).map_err(|e| AppError::Internal(e.to_string()))?,
            earned_at: occurred,
            available_at: g.available_at,
            expires_at: g.expires_at,
        };
        let mut reason = g.reason;
        if reason.chars().count() > commands::REASON_LEN_MAX {
            reason = reason
                .chars()
                .take(commands::REASON_LEN_MAX - 1)
                .collect::<String>()
                + "…";
        }
        let refs = Refs {
            order_ref: order_ref.map(str::to_string),
            reason: Some(reason),
            actor: None,
        };
        let (t, _) = ops::credit(posting, &mut books[g.pt as usize], &spec, &refs, now);
        let Ref::New(transfer_index) = t else {
            unreachable!("a credit creates a transfer")
        };
        for i in g.members {
            out[i] = Some(Credited {
                transfer_index,
                available_at: g.available_at,
                expires_at: g.expires_at,
            });
        }
    }
    Ok(out
        .into_iter()
        .map(|c| c.expect("every award is credited"))
        .collect())
}

/// The member's tier code among an event's variables.
pub(super) fn tier_of(v: &Vars) -> &str {
    match v.get("member.tier") {
        Value::Str(s) => s,
        _ => "",
    }
}

/// Stores the event, its awards and the counter increments; returns the awards as shown.
pub(super) fn record(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    event_id: &str,
    trigger: &Trigger,
    member: MemberId,
    occurred: Millis,
    vars: &Vars,
    eval: &Evaluation,
    credited: &[Credited],
    transfers: &[TransferId],
    order_id: Option<&str>,
    computed: &[&str],
    now: Millis,
) -> Result<Vec<AwardLine>, AppError> {
    let mut rows = Vec::with_capacity(eval.awards.len());
    let mut views = Vec::with_capacity(eval.awards.len());
    for (a, c) in eval.awards.iter().zip(credited) {
        let transfer = transfers[c.transfer_index];
        rows.push(AwardRow {
            id: 0,
            member,
            event_id: event_id.to_string(),
            order_id: order_id.map(str::to_string),
            rule_id: a.rule_id,
            rule_version: a.rule_version,
            point_type: a.point_type,
            points: a.points,
            withdrawn: 0,
            transfer,
            created_at: occurred,
        });
        let status = if c.available_at == HOLD_UNTIL {
            "held"
        } else if c.available_at > now {
            "pending"
        } else {
            "available"
        };
        views.push(AwardLine {
            rule_id: a.rule_id,
            rule_version: a.rule_version,
            name: a.name.to_string(),
            point_type: a.point_type,
            points: a.points,
            transfer_id: transfer,
            status: status.to_string(),
            available_at: c.available_at,
            expires_at: c.expires_at,
        });
    }
    // Increments of closed periods go to their own rows; the rest to the current slots.
    let (past, current): (Vec<_>, Vec<_>) = eval
        .increments
        .iter()
        .cloned()
        .partition(|(k, _)| eval.past.contains(k));
    let increments = counter_rows(member, &current, 1);
    // Slots this event moves to a new period hand their old totals to the past first.
    let mut to_past: Vec<(i64, String, String, i64, i64)> = eval
        .closing
        .iter()
        .filter(|(old, _)| {
            current
                .iter()
                .any(|(k, _)| k.kind == old.kind && slot_of(&k.period) == slot_of(&old.period))
        })
        .map(|(k, c)| {
            (
                counter_member(member, k),
                k.name(),
                k.period.to_string(),
                c.points,
                c.count,
            )
        })
        .collect();
    to_past.extend(past.iter().map(|(k, c)| {
        (
            counter_member(member, k),
            k.name(),
            k.period.to_string(),
            c.points,
            c.count,
        )
    }));
    if !to_past.is_empty() {
        tx.add_past_counters(ctx.program.id, &to_past)?;
    }
    let row = EventRow {
        event_id: event_id.to_string(),
        trigger: trigger.as_string(),
        member,
        occurred_at: occurred,
        vars: vars_json(vars, computed),
        points: eval.total(PointType::Points),
        growth: eval.total(PointType::Growth),
    };
    tx.record_evaluation(ctx.program.id, &row, &rows, &increments, now)?;
    Ok(views)
}

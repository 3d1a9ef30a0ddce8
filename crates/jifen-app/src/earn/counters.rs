//! Counters behind caps and budgets: loading them under the member's lock, evaluating
//! against them, and the rows an evaluation adds or takes back.

use std::collections::HashMap;

use jifen_ledger::*;
use jifen_rules::eval::PeriodKey;
use jifen_rules::*;
use jifen_store::*;

use crate::{AppError, ProgramCtx};

pub(super) fn counter_member(member: MemberId, k: &CounterKey) -> i64 {
    if k.per_member() { member.0 } else { 0 }
}

pub(super) fn slot_of(p: &PeriodKey) -> usize {
    match p {
        PeriodKey::Day(_) => 0,
        PeriodKey::Week { .. } => 1,
        PeriodKey::Month { .. } => 2,
        PeriodKey::Year(_) => 3,
        PeriodKey::All => 4,
    }
}

/// Counter changes as stored rows: one per (member, counter), each change in its slot.
pub(super) fn counter_rows(
    member: MemberId,
    changes: &[(CounterKey, Counter)],
    sign: i64,
) -> Vec<CounterRow> {
    let mut rows: Vec<CounterRow> = Vec::new();
    for (k, c) in changes {
        let (m, name) = (counter_member(member, k), k.name());
        let i = match rows.iter().position(|r| r.member == m && r.counter == name) {
            Some(i) => i,
            None => {
                rows.push(CounterRow {
                    member: m,
                    counter: name,
                    ..Default::default()
                });
                rows.len() - 1
            }
        };
        let slot = slot_of(&k.period);
        rows[i].periods[slot] = Some(k.period.to_string());
        rows[i].points[slot] += sign * c.points;
        rows[i].count[slot] += sign * c.count;
    }
    rows
}

/// Loads the counters an evaluation needs (budgets locked on PostgreSQL). A counter whose
/// slot holds another period than the one asked reads zero: its period is over.
fn load_counters(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    keys: &[CounterKey],
) -> Result<LoadedCounters, AppError> {
    let mut out = HashMap::new();
    let mut past = Vec::new();
    let mut closing = Vec::new();
    if keys.is_empty() {
        return Ok((out, past, closing));
    }
    let mut rows = Vec::new();
    for per_member in [true, false] {
        let mut names: Vec<String> = keys
            .iter()
            .filter(|k| k.per_member() == per_member)
            .map(|k| k.name())
            .collect();
        names.sort();
        names.dedup();
        let m = if per_member { member.0 } else { 0 };
        rows.extend(tx.counters(ctx.program.id, m, &names)?);
    }
    for k in keys {
        let (m, name) = (counter_member(member, k), k.name());
        let slot = slot_of(&k.period);
        let period = k.period.to_string();
        let Some(r) = rows.iter().find(|r| r.member == m && r.counter == name) else {
            continue;
        };
        match r.periods[slot].as_deref() {
            Some(p) if p == period => {
                out.insert(
                    k.clone(),
                    Counter {
                        points: r.points[slot],
                        count: r.count[slot],
                    },
                );
            }
            // The slot has moved on: this event is dated in a period that is over, whose
            // counts are kept apart.
            Some(p) if p > period.as_str() => past.push(k.clone()),
            // The slot holds an older period that this event's increment will close: its
            // totals are archived with the past, so late events of that period still count
            // what was recorded on time.
            Some(p) if r.points[slot] != 0 || r.count[slot] != 0 => {
                if let Some(old) = PeriodKey::parse(p) {
                    closing.push((
                        CounterKey {
                            kind: k.kind.clone(),
                            period: old,
                        },
                        Counter {
                            points: r.points[slot],
                            count: r.count[slot],
                        },
                    ));
                }
            }
            _ => {}
        }
    }
    if !past.is_empty() {
        let wanted: Vec<(String, String)> = past
            .iter()
            .map(|k| (k.name(), k.period.to_string()))
            .collect();
        let found = tx.past_counters(ctx.program.id, member.0, &wanted)?;
        for k in &past {
            let (name, period) = (k.name(), k.period.to_string());
            if let Some((_, _, points, count)) = found.iter().find(|f| f.0 == name && f.1 == period)
            {
                out.insert(
                    k.clone(),
                    Counter {
                        points: *points,
                        count: *count,
                    },
                );
            }
        }
    }
    closing.sort_by(|a, b| a.0.cmp(&b.0));
    closing.dedup_by(|a, b| a.0 == b.0);
    Ok((out, past, closing))
}

/// Counters as read: values by key, keys of closed periods, and slots about to close.
type LoadedCounters = (
    HashMap<CounterKey, Counter>,
    Vec<CounterKey>,
    Vec<(CounterKey, Counter)>,
);

/// Evaluates an event for a member whose accounts are locked.
pub(super) fn evaluate_locked(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    set: &RuleSet,
    member: MemberId,
    trigger: &Trigger,
    at: Millis,
    vars: &Vars,
) -> Result<Evaluation, AppError> {
    let ev = EventInput {
        trigger,
        now: at,
        vars: &vars.0,
        tz: &ctx.tz,
        trigger_caps: &ctx.earn.settings.trigger_caps,
    };
    let keys = needed_counters(set, &ev);
    let (loaded, past, closing) = load_counters(tx, ctx, member, &keys)?;
    let mut eval = evaluate(set, &ev, &|k| loaded.get(k).copied().unwrap_or_default());
    eval.past = past;
    eval.closing = closing;
    Ok(eval)
}

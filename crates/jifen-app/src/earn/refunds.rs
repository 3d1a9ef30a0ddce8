//! Refunds: re-evaluating the rule versions that paid an order against its state after
//! the refund, and withdrawing what no longer qualifies.

use std::collections::{BTreeMap, HashMap};

use jifen_ledger::policy::proportional_reversal;
use jifen_ledger::*;
use jifen_rules::Value;
use jifen_rules::eval::{CounterKind, PeriodKey};
use jifen_rules::*;
use jifen_store::*;

use crate::{AppError, ProgramCtx};

use super::compile_stored;
use super::counters::counter_rows;
use super::vars::{month_bounds, vars_parse};

/// What a refund takes back from one order, per point type, and the awards it withdraws.
#[derive(Debug, Default)]
pub struct Withdrawal {
    pub order_id: String,
    pub to_reverse: [i64; 2],
    /// (award id, withdrawn after, points withdrawn now, fully withdrawn now)
    awards: Vec<(AwardRow, i64, i64)>,
}

/// How much of an order's rule awards still qualify, by re-evaluating each award's rule
/// version on the order as it stands after the refund. `refunded_after` is the order's refunded
/// amount after it; `month_adjust` corrects month totals for a refund of another order of the
/// month not yet stored. Returns `None` when the order earned nothing from rules.
fn withdrawal(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    order: &Order,
    refunded_after: i64,
    base_reverse_now: [i64; 2],
    month_adjust: (i64, i64),
    only_month: bool,
) -> Result<Option<Withdrawal>, AppError> {
    // Awards of this order's own purchase event; other events' awards (referrals) are
    // settled on their own.
    let purchase_event = format!("purchase:{}", order.order_id);
    let awards: Vec<AwardRow> = tx
        .order_awards(ctx.program.id, &order.order_id)?
        .into_iter()
        .filter(|a| a.event_id == purchase_event)
        .collect();
    if awards.is_empty() {
        return Ok(None);
    }
    let stored = tx.event(ctx.program.id, &purchase_event)?;
    let mut vars = stored.map(|e| vars_parse(&e.vars)).unwrap_or_default();
    let left = order.paid_minor - refunded_after;
    // Scale the order's amounts to what is left of it.
    let scale = |v: i64| (v as i128 * left as i128 / order.paid_minor as i128) as i64;
    let amount = match vars.get("order.amount") {
        Value::Int(a) => *a,
        _ => 0,
    };
    let base_amount = scale(amount);
    let mut scaled_maps = Vec::new();
    for name in ["order.category_amount", "order.sku_amount"] {
        if let Value::Map(m) = vars.get(name) {
            let m: BTreeMap<String, i64> = m.iter().map(|(k, v)| (k.clone(), scale(*v))).collect();
            scaled_maps.push((name, m));
        }
    }
    for (name, m) in scaled_maps {
        vars.set(name, Value::Map(m));
    }
    // The base points the purchase had, scaled like the amounts: the programme's rate today
    // may differ from the rate the purchase earned at.
    let base_points = match vars.get("base_points") {
        Value::Int(b) => *b,
        _ => 0,
    };
    vars.int("order.amount", base_amount)
        .int("base_points", scale(base_points));
    let (from, _) = month_bounds(order.created_at, &ctx.tz);
    let mut month_read = false;
    let mut out = Withdrawal {
        order_id: order.order_id.clone(),
        to_reverse: base_reverse_now,
        awards: Vec::new(),
    };
    let mut compiled: HashMap<(i64, i64), CompiledRule> = HashMap::new();
    for a in awards {
        let open = a.points - a.withdrawn;
        if open <= 0 {
            continue;
        }
        let key = (a.rule_id, a.rule_version);
        if let std::collections::hash_map::Entry::Vacant(slot) = compiled.entry(key) {
            let def = tx
                .rule_version(ctx.program.id, a.rule_id, a.rule_version)?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "rule {} v{} is missing",
                        a.rule_id, a.rule_version
                    ))
                })?;
            slot.insert(compile_stored(&def, a.rule_id, a.rule_version, &ctx.tz)?);
        }
        let rule = &compiled[&key];
        if only_month && !rule.uses_month {
            continue;
        }
        if rule.uses_month && !month_read {
            // This order's own refund is part of `refunded_after`; the stored rows do not have
            // it yet, so the month is read from the rows and corrected.
            let (mut n, mut spend) =
                tx.member_orders_between(ctx.program.id, order.member, from, order.created_at)?;
            let stored_refunded = order.refunded_minor;
            if stored_refunded < order.paid_minor && refunded_after >= order.paid_minor {
                n -= 1;
            }
            spend -= refunded_after - stored_refunded;
            n += month_adjust.0;
            spend += month_adjust.1;
            vars.int("month.orders", n.max(0))
                .int("month.spend", spend.max(0));
            month_read = true;
        }
        let target = if left <= 0 {
            0
        } else {
            let fires = rule
                .condition
                .as_ref()
                .is_none_or(|c| c.eval_bool(&vars.0).unwrap_or(false));
            if fires {
                rule.points
                    .eval_int(&vars.0)
                    .unwrap_or(0)
                    .clamp(0, a.points)
            } else {
                0
            }
        };
        // An award only ever shrinks: what was withdrawn stays withdrawn.
        let keep = target.min(open);
        let take = open - keep;
        if take > 0 {
            out.to_reverse[a.point_type as usize] += take;
            let after = a.withdrawn + take;
            out.awards.push((a, after, take));
        }
    }
    Ok(Some(out))
}

/// The base part of an order's points is reversed in proportion to the refunded amount, as
/// before rules existed; returns that part per point type.
fn base_reversal(order: &Order, awards: &[AwardRow], amount: i64) -> [i64; 2] {
    let mut out = [0; 2];
    for pt in PointType::ALL {
        let from_rules: i64 = awards
            .iter()
            .filter(|a| a.point_type == pt)
            .map(|a| a.points)
            .sum();
        let withdrawn: i64 = awards
            .iter()
            .filter(|a| a.point_type == pt)
            .map(|a| a.withdrawn)
            .sum();
        let base_earned = order.earned(pt) - from_rules;
        let base_reversed = order.reversed(pt) - withdrawn;
        out[pt as usize] = proportional_reversal(
            base_earned,
            order.paid_minor,
            order.refunded_minor,
            amount,
            base_reversed,
        );
    }
    out
}

/// What a refund of `amount` on `order` takes back: from the order itself (its base points in
/// proportion, its rule awards by re-evaluation) and from other orders of the month whose
/// bonuses counted this one (a ladder bonus). `None` when no rule ever paid the member's
/// orders of that month, so the ledger's proportional reversal applies unchanged.
pub fn refund_withdrawals(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    order: &Order,
    amount: i64,
) -> Result<Option<Vec<Withdrawal>>, AppError> {
    let own_awards = tx.order_awards(ctx.program.id, &order.order_id)?;
    let refunded_after = order.refunded_minor + amount;
    let base = base_reversal(order, &own_awards, amount);
    let mut out = Vec::new();
    match withdrawal(tx, ctx, order, refunded_after, base, (0, 0), false)? {
        Some(w) => out.push(w),
        None => out.push(Withdrawal {
            order_id: order.order_id.clone(),
            to_reverse: base,
            awards: Vec::new(),
        }),
    }
    // Later orders of the month whose rules read month totals saw this order in them.
    let (_, to) = month_bounds(order.created_at, &ctx.tz);
    let later = tx.member_award_orders_between(
        ctx.program.id,
        order.member,
        order.created_at,
        to,
        &order.order_id,
    )?;
    let became_void = order.refunded_minor < order.paid_minor && refunded_after >= order.paid_minor;
    for other in later {
        let Some(o) = tx.order(ctx.program.id, &other)? else {
            continue;
        };
        if o.created_at < order.created_at {
            continue;
        }
        let adjust = (if became_void { -1 } else { 0 }, -amount);
        // The other order's own stored rows include this order before the refund: correct
        // them by this refund.
        if let Some(w) = withdrawal_for_other(tx, ctx, &o, adjust)? {
            out.push(w);
        }
    }
    if own_awards.is_empty() && out.len() == 1 {
        return Ok(None);
    }
    Ok(Some(out))
}

fn withdrawal_for_other(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    o: &Order,
    adjust: (i64, i64),
) -> Result<Option<Withdrawal>, AppError> {
    let w = withdrawal(tx, ctx, o, o.refunded_minor, [0, 0], adjust, true)?;
    Ok(w.filter(|w| w.to_reverse.iter().any(|v| *v > 0)))
}

/// Stores what a withdrawal took: the awards' withdrawn points, and the caps and budgets they
/// give back (a fully withdrawn award no longer counts as an award).
pub fn store_withdrawal(tx: &mut Tx<'_>, ctx: &ProgramCtx, w: &Withdrawal) -> Result<(), AppError> {
    for (a, after, take) in &w.awards {
        tx.set_award_withdrawn(ctx.program.id, a.id, *after)?;
        give_back(tx, ctx, a, *take, *after == a.points)?;
    }
    Ok(())
}

/// Gives back what an award counted toward its rule's caps, its budget and the caps on its
/// event type: `take` points, and the award itself when `whole` (it no longer counts).
fn give_back(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    a: &AwardRow,
    take: i64,
    whole: bool,
) -> Result<(), AppError> {
    let Some(def) = tx.rule_version(ctx.program.id, a.rule_id, a.rule_version)? else {
        return Ok(());
    };
    let rule = compile_stored(&def, a.rule_id, a.rule_version, &ctx.tz)?;
    let count = i64::from(whole);
    let at = a.created_at;
    let mut keys: Vec<CounterKey> = rule
        .def
        .caps
        .iter()
        .map(|c| CounterKey {
            kind: CounterKind::Rule(a.rule_id),
            period: jifen_rules::eval::period_of(c.period, at, &ctx.tz),
        })
        .collect();
    if rule.def.budget_points.is_some() {
        keys.push(CounterKey {
            kind: CounterKind::Budget(a.rule_id),
            period: PeriodKey::All,
        });
    }
    if a.point_type == PointType::Points {
        let t = rule.trigger.as_string();
        for c in ctx
            .earn
            .settings
            .trigger_caps
            .iter()
            .filter(|c| c.trigger == t)
        {
            keys.push(CounterKey {
                kind: CounterKind::Trigger(rule.trigger.clone()),
                period: jifen_rules::eval::period_of(c.period, at, &ctx.tz),
            });
        }
    }
    keys.sort();
    keys.dedup();
    let changes: Vec<(CounterKey, Counter)> = keys
        .into_iter()
        .map(|k| {
            (
                k,
                Counter {
                    points: take,
                    count,
                },
            )
        })
        .collect();
    for row in counter_rows(a.member, &changes, -1) {
        tx.adjust_counter(ctx.program.id, &row)?;
    }
    Ok(())
}

/// Withdraws every award of an event that is still open (a rejected risk hold, a referral
/// whose first purchase was refunded): marks them withdrawn and gives back their counters.
/// Returns the points per point type; the caller takes them from the ledger.
pub(super) fn withdraw_event_awards(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    event_id: &str,
) -> Result<[i64; 2], AppError> {
    let mut out = [0; 2];
    for a in tx.event_awards(ctx.program.id, event_id)? {
        let open = a.points - a.withdrawn;
        if open <= 0 {
            continue;
        }
        tx.set_award_withdrawn(ctx.program.id, a.id, a.points)?;
        give_back(tx, ctx, &a, open, true)?;
        out[a.point_type as usize] += open;
    }
    Ok(out)
}

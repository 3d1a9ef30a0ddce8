//! Purchases: a purchase's rule variables, the lazily filled ones, and evaluating and
//! recording the awards a purchase earns.

use std::collections::BTreeMap;

use jifen_ledger::ops::MemberBook;
use jifen_ledger::*;
use jifen_rules::Value;
use jifen_rules::*;
use jifen_store::*;

use crate::commands::{self, EarnDecision, MemberRef, Purchase, RuleAwards, RuleLine};
use crate::{AppError, ProgramCtx};

use super::counters::evaluate_locked;
use super::credit::{Credited, credit_awards, record, tier_of};
use super::vars::{LAZY_VARS, fill_common, month_bounds, vars_computed};

/// The variables of a purchase. `base` is what the programme's base rate gives; `tier` the
/// member's tier when the purchase occurred.
pub fn purchase_vars(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    set: &RuleSet,
    member: &Member,
    p: &Purchase,
    occurred: Millis,
    base: EarnDecision,
    tier: &str,
) -> Result<(Vars, Vec<&'static str>), AppError> {
    let mut v = Vars::default();
    let mut computed = Vec::new();
    let channel = p.channel.clone().unwrap_or_else(|| match &p.member {
        MemberRef::External { channel, .. } => channel.clone(),
        MemberRef::Id { .. } => String::new(),
    });
    fill_common(
        tx,
        &mut v,
        ctx,
        member,
        occurred,
        &channel,
        &p.tags,
        &BTreeMap::new(),
        Some(tier),
    )?;
    let amount = p.points_base_minor();
    let items: Vec<&commands::LineItem> = p.lines.iter().filter(|l| l.is_item()).collect();
    let gross: i128 = items
        .iter()
        .map(|l| l.price_minor as i128 * l.quantity as i128)
        .sum();
    let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_sku: BTreeMap<String, i64> = BTreeMap::new();
    if gross > 0 {
        for l in &items {
            // The paid amount spread over the lines by their list price: discounts lower every
            // line alike, and shipping is not a line.
            let share =
                (l.price_minor as i128 * l.quantity as i128 * amount as i128 / gross) as i64;
            *by_sku.entry(l.sku.clone()).or_default() += share;
            if let Some(c) = &l.category {
                *by_category.entry(c.clone()).or_default() += share;
            }
        }
    }
    v.int("order.amount", amount)
        .int("order.shipping", p.amount_minor - amount)
        .int("order.item_count", items.iter().map(|l| l.quantity).sum())
        .set(
            "order.categories",
            Value::List(by_category.keys().cloned().collect()),
        )
        .set("order.skus", Value::List(by_sku.keys().cloned().collect()))
        .set("order.category_amount", Value::Map(by_category))
        .set("order.sku_amount", Value::Map(by_sku))
        .int("base_points", base.points);
    let t = Trigger::Purchase;
    if set.reads(&t, "member.order_count") {
        fill_order_count(tx, ctx, member.id, occurred, &mut v)?;
        computed.push(LAZY_VARS[0]);
    }
    if set.reads(&t, "month.orders") || set.reads(&t, "month.spend") {
        fill_month(tx, ctx, member.id, occurred, p.amount_minor, &mut v)?;
        computed.extend(&LAZY_VARS[1..]);
    }
    Ok((v, computed))
}

fn fill_order_count(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    at: Millis,
    v: &mut Vars,
) -> Result<(), AppError> {
    v.int(
        "member.order_count",
        tx.member_order_count(ctx.program.id, member, at)?,
    );
    Ok(())
}

/// Month totals including a purchase of `paid` at `at` not stored yet (pass 0 when it is).
fn fill_month(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    at: Millis,
    paid: i64,
    v: &mut Vars,
) -> Result<(), AppError> {
    let (from, _) = month_bounds(at, &ctx.tz);
    let (n, spend) = tx.member_orders_between(ctx.program.id, member, from, at)?;
    let this = i64::from(paid > 0);
    v.int("month.orders", n + this)
        .int("month.spend", spend + paid);
    Ok(())
}

/// Computes the lazy variables a stored purchase event lacks and the rule set reads, from the
/// orders as they are now: what a backtest uses for purchases made before any rule read them.
pub fn fill_missing(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    set: &RuleSet,
    e: &EventRow,
    v: &mut Vars,
) -> Result<(), AppError> {
    if e.trigger != "purchase" {
        return Ok(());
    }
    let has = vars_computed(&e.vars);
    let t = Trigger::Purchase;
    if set.reads(&t, "member.order_count") && !has.iter().any(|h| h == LAZY_VARS[0]) {
        // Orders up to this one's time, less this one.
        fill_order_count(tx, ctx, e.member, e.occurred_at, v)?;
        let n = match v.get("member.order_count") {
            Value::Int(n) => (*n - 1).max(0),
            _ => 0,
        };
        v.int("member.order_count", n);
    }
    if (set.reads(&t, "month.orders") || set.reads(&t, "month.spend"))
        && !has.iter().any(|h| h == LAZY_VARS[1])
    {
        fill_month(tx, ctx, e.member, e.occurred_at, 0, v)?;
    }
    Ok(())
}

/// Whether a stored event may lack variables the set reads.
pub fn needs_fill(set: &RuleSet, e: &EventRow) -> bool {
    e.trigger == "purchase"
        && LAZY_VARS.iter().any(|n| set.reads(&Trigger::Purchase, n))
        && LAZY_VARS
            .iter()
            .any(|n| !vars_computed(&e.vars).iter().any(|h| h == n))
}

/// A purchase's rule awards, decided before any write.
pub struct PurchaseAwards {
    vars: Vars,
    computed: Vec<&'static str>,
    pub eval: Evaluation,
    credited: Vec<Credited>,
}

/// Evaluates the purchase rules for a locked member and adds their credits to the posting.
pub fn purchase_awards(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    posting: &mut Posting,
    books: &mut [MemberBook; 2],
    member: &Member,
    p: &Purchase,
    occurred: Millis,
    now: Millis,
    base: EarnDecision,
    tier: &str,
) -> Result<PurchaseAwards, AppError> {
    let set = ctx.earn.rules.clone();
    let (vars, computed) = purchase_vars(tx, ctx, &set, member, p, occurred, base, tier)?;
    // Without purchase rules the event is still stored: backtests replay it.
    let eval = if set.for_trigger(&Trigger::Purchase).is_empty() {
        Evaluation::default()
    } else {
        evaluate_locked(
            tx,
            ctx,
            &set,
            member.id,
            &Trigger::Purchase,
            occurred,
            &vars,
        )?
    };
    let credited = credit_awards(
        posting,
        books,
        ctx,
        &eval.awards,
        &Trigger::Purchase,
        occurred,
        now,
        Some(&p.order_id),
        false,
        member.status == "frozen",
        tier_of(&vars),
    )?;
    Ok(PurchaseAwards {
        vars,
        computed,
        eval,
        credited,
    })
}

/// Stores a purchase's event and awards after the ledger write.
pub fn record_purchase(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    awards: &PurchaseAwards,
    member: MemberId,
    p: &Purchase,
    occurred: Millis,
    transfers: &[TransferId],
    now: Millis,
) -> Result<RuleAwards, AppError> {
    let lines = record(
        tx,
        ctx,
        &format!("purchase:{}", p.order_id),
        &Trigger::Purchase,
        member,
        occurred,
        &awards.vars,
        &awards.eval,
        &awards.credited,
        transfers,
        Some(&p.order_id),
        &awards.computed,
        now,
    )?;
    Ok(RuleAwards {
        awards: lines,
        rules: awards.eval.explain.iter().map(RuleLine::from).collect(),
    })
}

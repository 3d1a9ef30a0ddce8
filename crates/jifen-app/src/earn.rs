//! Earning rules in use: loading a programme's active rules, turning a purchase or a behaviour
//! event into rule variables, reading caps and budgets under the member's lock, crediting the
//! awards through the ledger, and recording the event, its awards and the counter increments in
//! the same transaction. Refunds re-evaluate the rule versions that paid an order against the
//! order's state after the refund and withdraw what no longer qualifies.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use jifen_ledger::ops::{self, CreditSpec, MemberBook, Refs};
use jifen_ledger::policy::{Validity, proportional_reversal};
use jifen_ledger::*;
use jifen_rules::Value;
use jifen_rules::eval::{CounterKind, PeriodKey};
use jifen_rules::signin::{BirthdayOn, EarnSettings, RiskKey, STREAK_DAYS_MAX, Seen, streak_on};
use jifen_rules::*;
use jifen_store::*;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, EarnDecision, MemberRef, Purchase};
use crate::{AppError, ProgramCtx};

/// Active rules one programme may have: evaluation stays within the speed target (50 rules
/// in about 14 µs) with room to spare.
pub const ACTIVE_RULES_MAX: usize = 200;
/// Tags and attributes one event may carry.
pub const EVENT_TAGS_MAX: usize = 20;
pub const EVENT_ATTRIBUTES_MAX: usize = 32;
/// Largest attribute value: far beyond any count or duration, far from overflow.
pub const ATTRIBUTE_ABS_MAX: i64 = 1_000_000_000_000;

/// A programme's rules and earning settings, compiled once and cached with the programme.
#[derive(Debug, Clone, Default)]
pub struct EarnCtx {
    pub rules: Arc<RuleSet>,
    pub settings: EarnSettings,
    /// The programme's tier ladder, if it has one.
    pub ladder: Option<jifen_domain::tiers::Ladder>,
}

impl EarnCtx {
    pub fn load(tx: &mut Tx<'_>, program: ProgramId, tz: &TimeZone) -> Result<EarnCtx, AppError> {
        let mut compiled = Vec::new();
        for r in tx.rules(program, Some("active"))? {
            compiled.push(compile_stored(&r.definition, r.id, r.version, tz)?);
        }
        let settings = match tx.earn_settings(program)? {
            Some(s) => serde_json::from_str(&s)
                .map_err(|e| StoreError::Corrupt(format!("earn settings: {e}")))?,
            None => EarnSettings::default(),
        };
        let ladder = match tx.tier_ladder(program)? {
            Some(d) => Some(
                serde_json::from_str(&d)
                    .map_err(|e| StoreError::Corrupt(format!("tier ladder: {e}")))?,
            ),
            None => None,
        };
        Ok(EarnCtx {
            rules: Arc::new(RuleSet::new(compiled)),
            settings,
            ladder,
        })
    }
}

/// Compiles a stored definition. Stored rules were valid when saved; one that no longer
/// compiles (a time zone removed from the system) is a corrupt store, not a caller's error.
fn compile_stored(
    def: &str,
    id: i64,
    version: i64,
    tz: &TimeZone,
) -> Result<CompiledRule, AppError> {
    let d: RuleDef = serde_json::from_str(def)
        .map_err(|e| StoreError::Corrupt(format!("rule {id} v{version}: {e}")))?;
    d.compile(id, version, tz)
        .map_err(|e| StoreError::Corrupt(format!("rule {id} v{version}: {e}")).into())
}

fn rule_invalid(e: RuleError) -> AppError {
    AppError::invalid(e.field, e.message)
}

// ---- variables -----------------------------------------------------------------------------

pub(crate) fn local_date(at: Millis, tz: &TimeZone) -> Date {
    jiff::Timestamp::from_millisecond(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .date()
}

pub(crate) fn start_of(d: Date, tz: &TimeZone) -> Millis {
    d.at(0, 0, 0, 0)
        .to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// The first instants of the calendar month containing `at` and of the next month.
fn month_bounds(at: Millis, tz: &TimeZone) -> (Millis, Millis) {
    let d = local_date(at, tz).first_of_month();
    let next = d.checked_add(1.month()).unwrap_or(d);
    (start_of(d, tz), start_of(next, tz))
}

/// Variables every event has: the member, the channel, the caller's tags and attributes,
/// and the local time. `tier` is the member's tier at `at` when the caller has read it already
/// (a purchase reads it for its multiplier); otherwise it is read here.
fn fill_common(
    tx: &mut Tx<'_>,
    v: &mut Vars,
    ctx: &ProgramCtx,
    member: &Member,
    at: Millis,
    channel: &str,
    tags: &[String],
    ints: &BTreeMap<String, i64>,
    tier: Option<&str>,
) -> Result<(), AppError> {
    let tier = match tier {
        Some(t) => t.to_string(),
        None => crate::tiers::tier_code(tx, ctx, member.id, at)?,
    };
    let today = local_date(at, &ctx.tz);
    let joined = local_date(member.created_at, &ctx.tz);
    let days = (today - joined).get_days().max(0) as i64;
    let z = jiff::Timestamp::from_millisecond(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(ctx.tz.clone());
    v.set("event.channel", Value::Str(channel.to_string()))
        .set("event.tags", Value::List(tags.to_vec()))
        .set("event.ints", Value::Map(ints.clone()))
        // Segments arrive with their own issue; until then every member is in none.
        .int(
            "member.tier_multiplier",
            crate::tiers::benefits_of(ctx, &tier).earn_multiplier_pct as i64,
        )
        .set("member.tier", Value::Str(tier))
        .int("member.days_since_joined", days)
        .int("now.hour", z.hour() as i64)
        .int("now.weekday", z.weekday().to_monday_one_offset() as i64)
        .int("now.day", z.day() as i64)
        .int("now.month", z.month() as i64);
    Ok(())
}

/// Variables read from other rows (order counts, month totals), computed for an event only
/// when a rule reads them. The event row names those it has (`$has`), so that a backtest
/// computes the missing ones rather than reading a zero.
pub const LAZY_VARS: [&str; 3] = ["member.order_count", "month.orders", "month.spend"];

/// The non-zero variables as a JSON object: what an event row keeps for refunds and backtests.
pub fn vars_json(v: &Vars, computed: &[&str]) -> String {
    let mut m = serde_json::Map::new();
    if !computed.is_empty() {
        m.insert("$has".into(), json!(computed));
    }
    for (i, var) in jifen_rules::vars::VARS.iter().enumerate() {
        if v.0[i] != Value::zero(var.ty) {
            m.insert(
                var.name.into(),
                serde_json::to_value(&v.0[i]).expect("value serializes"),
            );
        }
    }
    serde_json::Value::Object(m).to_string()
}

/// Which lazy variables an event row has.
pub fn vars_computed(s: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .and_then(|v| serde_json::from_value(v["$has"].clone()).ok())
        .unwrap_or_default()
}

/// Variables back from an event row; names no longer known are skipped.
pub fn vars_parse(s: &str) -> Vars {
    let mut v = Vars::default();
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(s) {
        for (k, val) in m {
            let Some(i) = jifen_rules::vars::VARS.iter().position(|x| x.name == k) else {
                continue;
            };
            let want = jifen_rules::vars::VARS[i].ty;
            // Untagged parsing reads `{}` and `[]` by shape; a type that does not match is skipped.
            if let Ok(parsed) = serde_json::from_value::<Value>(val)
                && parsed.ty() == want
            {
                v.0[i] = parsed;
            }
        }
    }
    v
}

// ---- counters ------------------------------------------------------------------------------

fn counter_member(member: MemberId, k: &CounterKey) -> i64 {
    if k.per_member() { member.0 } else { 0 }
}

fn slot_of(p: &PeriodKey) -> usize {
    match p {
        PeriodKey::Day(_) => 0,
        PeriodKey::Week { .. } => 1,
        PeriodKey::Month { .. } => 2,
        PeriodKey::Year(_) => 3,
        PeriodKey::All => 4,
    }
}

/// Counter changes as stored rows: one per (member, counter), each change in its slot.
fn counter_rows(member: MemberId, changes: &[(CounterKey, Counter)], sign: i64) -> Vec<CounterRow> {
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
fn evaluate_locked(
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

// ---- crediting and recording ---------------------------------------------------------------

/// The vesting date of held awards: never, until staff release them.
pub const HOLD_UNTIL: Millis = 253_402_214_400_000; // 9999-12-31

/// Where one award went in the posting.
struct Credited {
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
fn credit_awards(
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
        let line = format!("{} (rule {} v{})", a.name, a.rule_id, a.rule_version);
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
fn tier_of(v: &Vars) -> &str {
    match v.get("member.tier") {
        Value::Str(s) => s,
        _ => "",
    }
}

/// Stores the event, its awards and the counter increments; returns the awards as shown.
fn record(
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
) -> Result<Vec<serde_json::Value>, AppError> {
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
        views.push(json!({
            "rule_id": a.rule_id,
            "rule_version": a.rule_version,
            "name": &*a.name,
            "point_type": a.point_type,
            "points": a.points,
            "transfer_id": transfer,
            "status": if c.available_at == HOLD_UNTIL {
                "held"
            } else if c.available_at > now {
                "pending"
            } else {
                "available"
            },
            "available_at": c.available_at,
            "expires_at": c.expires_at,
        }));
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

// ---- purchases -----------------------------------------------------------------------------

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
) -> Result<serde_json::Value, AppError> {
    let views = record(
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
    Ok(json!({"awards": views, "rules": awards.eval.explain}))
}

// ---- refunds -------------------------------------------------------------------------------

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
fn withdraw_event_awards(
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

// ---- behaviour events ----------------------------------------------------------------------

/// A behaviour event from the merchant's systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    /// The caller's id of the event: the same id is applied once. Optional for sign-ins,
    /// which are once per member per day by nature.
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(rename = "type")]
    pub trigger: String,
    pub member: MemberRef,
    #[serde(default)]
    pub occurred_at: Option<Millis>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Integer attributes: `text_length` and `photos` for reviews, anything for custom events.
    #[serde(default)]
    pub attributes: BTreeMap<String, i64>,
    /// For a make-up sign-in (补签): the missed day, `YYYY-MM-DD`.
    #[serde(default)]
    pub makeup_date: Option<String>,
    /// The device the event came from, for anti-fraud limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The client's IP address, for anti-fraud limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl EventIn {
    pub fn validate(&self) -> Result<Trigger, AppError> {
        let t = Trigger::parse(&self.trigger).map_err(|m| AppError::invalid("type", m))?;
        match t {
            Trigger::Purchase => {
                return Err(AppError::invalid(
                    "type",
                    "purchases are recorded with POST /api/v1/purchases",
                ));
            }
            Trigger::Birthday | Trigger::Anniversary => {
                return Err(AppError::invalid(
                    "type",
                    "birthday and anniversary points are awarded by the daily job",
                ));
            }
            Trigger::Referral => {
                return Err(AppError::invalid(
                    "type",
                    "referrals are recorded by creating the invitee with a referrer (POST /api/v1/members)",
                ));
            }
            _ => {}
        }
        match &self.event_id {
            Some(id) => commands::check_id("event_id", id)?,
            None if t == Trigger::SignIn || t == Trigger::SignUp => {}
            None => {
                return Err(AppError::invalid(
                    "event_id",
                    "is required for this event type",
                ));
            }
        }
        self.member.validate()?;
        if let Some(c) = &self.channel {
            commands::check_channel(c)?;
        }
        if self.tags.len() > EVENT_TAGS_MAX {
            return Err(AppError::invalid(
                "tags",
                format!("at most {EVENT_TAGS_MAX}"),
            ));
        }
        for t in &self.tags {
            commands::check_id("tags", t)?;
        }
        if self.attributes.len() > EVENT_ATTRIBUTES_MAX {
            return Err(AppError::invalid(
                "attributes",
                format!("at most {EVENT_ATTRIBUTES_MAX}"),
            ));
        }
        for (k, v) in &self.attributes {
            commands::check_id("attributes", k)?;
            if v.unsigned_abs() > ATTRIBUTE_ABS_MAX as u64 {
                return Err(AppError::invalid(
                    format!("attributes.{k}"),
                    format!("must be within ±{ATTRIBUTE_ABS_MAX}"),
                ));
            }
        }
        for (f, v) in [("device_id", &self.device_id), ("ip", &self.ip)] {
            if let Some(v) = v {
                commands::check_id(f, v)?;
            }
        }
        if self.makeup_date.is_some() && t != Trigger::SignIn {
            return Err(AppError::invalid(
                "makeup_date",
                "only sign-ins have a make-up date",
            ));
        }
        if let Some(d) = &self.makeup_date
            && d.parse::<Date>().is_err()
        {
            return Err(AppError::invalid(
                "makeup_date",
                "must be a date YYYY-MM-DD",
            ));
        }
        Ok(t)
    }

    /// The channel rules see: the one given, else the channel of the member reference.
    fn channel(&self) -> String {
        self.channel.clone().unwrap_or_else(|| match &self.member {
            MemberRef::External { channel, .. } => channel.clone(),
            MemberRef::Id { .. } => String::new(),
        })
    }
}

fn check_occurred(occurred: Millis, now: Millis) -> Result<(), AppError> {
    if occurred > now + commands::OCCURRED_AHEAD_MAX_MS {
        return Err(AppError::invalid(
            "occurred_at",
            "must not be in the future",
        ));
    }
    if occurred < commands::OCCURRED_AT_MIN {
        return Err(AppError::invalid(
            "occurred_at",
            "must be on or after 2000-01-01",
        ));
    }
    Ok(())
}

/// The variables of a behaviour event for a locked member, and for a sign-in its day.
fn event_vars(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: &Member,
    e: &EventIn,
    t: &Trigger,
    occurred: Millis,
) -> Result<(Vars, Option<(Date, bool)>), AppError> {
    let mut v = Vars::default();
    fill_common(
        tx,
        &mut v,
        ctx,
        member,
        occurred,
        &e.channel(),
        &e.tags,
        &e.attributes,
        None,
    )?;
    let attr = |k: &str| e.attributes.get(k).copied().unwrap_or(0);
    if ctx.earn.rules.reads(t, "member.order_count") {
        v.int(
            "member.order_count",
            tx.member_order_count(ctx.program.id, member.id, occurred + 1)?,
        );
    }
    let mut day = None;
    match t {
        Trigger::Review => {
            v.int("review.text_length", attr("text_length"))
                .int("review.photos", attr("photos"));
        }
        Trigger::SignIn => {
            let today = local_date(occurred, &ctx.tz);
            let s = &ctx.earn.settings.sign_in;
            let (d, makeup) = match &e.makeup_date {
                None => (today, false),
                Some(m) => {
                    let d: Date = m.parse().expect("validated");
                    if !s.makeup_allowed {
                        return Err(AppError::conflict(
                            "makeup_not_allowed",
                            "this programme has no make-up sign-ins",
                            json!({}),
                        ));
                    }
                    let back = (today - d).get_days() as i64;
                    if back <= 0 {
                        return Err(AppError::invalid(
                            "makeup_date",
                            "must be a day before today",
                        ));
                    }
                    if back > s.makeup_days_max as i64 {
                        return Err(AppError::conflict(
                            "makeup_too_old",
                            format!(
                                "a make-up sign-in reaches at most {} days back",
                                s.makeup_days_max
                            ),
                            json!({"makeup_days_max": s.makeup_days_max}),
                        ));
                    }
                    if d < local_date(member.created_at, &ctx.tz) {
                        return Err(AppError::invalid(
                            "makeup_date",
                            "is before the member joined",
                        ));
                    }
                    (d, true)
                }
            };
            let from = d.checked_sub(STREAK_DAYS_MAX.days()).unwrap_or(d);
            let mut days: BTreeSet<Date> = tx
                .sign_in_days(ctx.program.id, member.id, &from.to_string())?
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect();
            if days.contains(&d) {
                return Err(AppError::conflict(
                    "already_signed_in",
                    format!("member {} already signed in on {d}", member.id),
                    json!({"member_id": member.id, "day": d.to_string()}),
                ));
            }
            days.insert(d);
            let total = tx.count_sign_ins(ctx.program.id, member.id)? + 1;
            v.int("streak.day", streak_on(&days, d, s.reset))
                .int("streak.total", total)
                .set("sign_in.makeup", Value::Bool(makeup));
            day = Some((d, makeup));
        }
        _ => {}
    }
    Ok((v, day))
}

/// Records a behaviour event and pays what its rules give.
pub fn record_event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    e: &EventIn,
) -> Result<serde_json::Value, AppError> {
    let t = e.validate()?;
    let occurred = e.occurred_at.unwrap_or(now);
    check_occurred(occurred, now)?;
    // A sign-in is for today; a missed day goes through the make-up rules (cost, window).
    if t == Trigger::SignIn && local_date(occurred, &ctx.tz) != local_date(now, &ctx.tz) {
        return Err(AppError::invalid(
            "occurred_at",
            "a sign-in is for today; sign in for a missed day with makeup_date",
        ));
    }
    let (member, mut books) = commands::resolve_locked(tx, ctx, &e.member)?;
    let event_id = match (&t, &e.event_id) {
        (Trigger::SignUp, _) => format!("sign_up:{}", member.id),
        (Trigger::SignIn, _) => String::new(), // named by its day below
        (_, Some(id)) => format!("ev:{id}"),
        (_, None) => unreachable!("validated"),
    };
    let (vars, day) = event_vars(tx, ctx, &member, e, &t, occurred)?;
    let event_id = match day {
        Some((d, _)) => format!("sign_in:{}:{d}", member.id),
        None => event_id,
    };
    if tx.event(ctx.program.id, &event_id)?.is_some() {
        return Err(AppError::conflict(
            "event_exists",
            format!("event {event_id} was already recorded"),
            json!({"event_id": event_id}),
        ));
    }
    let mut posting = Posting::default();
    // A make-up sign-in may cost points: spent before anything is written, so that a member
    // who cannot pay is refused with nothing changed.
    let mut makeup_cost = 0;
    if let Some((d, true)) = day {
        makeup_cost = ctx.earn.settings.sign_in.makeup_cost_points;
        if makeup_cost > 0 {
            let b = books[0].clone();
            let lots = tx.spendable_lots(b.balance, now)?;
            let refs = Refs {
                order_ref: None,
                reason: Some(format!("补签 make-up sign-in for {d}")),
                actor: None,
            };
            ops::spend(
                &mut posting,
                &lots,
                &b,
                ctx.system.get(SystemAccount::Redemption, PointType::Points),
                Points::positive(makeup_cost).map_err(|e| AppError::Internal(e.to_string()))?,
                "makeup_sign_in",
                Phase::Posted,
                &refs,
                now,
            )?;
        }
    }
    let set = ctx.earn.rules.clone();
    let eval = evaluate_locked(tx, ctx, &set, member.id, &t, occurred, &vars)?;
    let traces = traces(e.device_id.as_deref(), e.ip.as_deref());
    let hold =
        assess(tx, ctx, member.id, &t, &traces, occurred)?.filter(|_| !eval.awards.is_empty());
    let credited = credit_awards(
        &mut posting,
        &mut books,
        ctx,
        &eval.awards,
        &t,
        occurred,
        now,
        None,
        hold.is_some(),
        member.status == "frozen",
        tier_of(&vars),
    )?;
    // First write: the sign-in day (refused above if taken, and unique in the store).
    if let Some((d, makeup)) = day
        && !tx.insert_sign_in(ctx.program.id, member.id, &d.to_string(), makeup, now)?
    {
        return Err(AppError::conflict(
            "already_signed_in",
            format!("member {} already signed in on {d}", member.id),
            json!({"member_id": member.id, "day": d.to_string()}),
        ));
    }
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    let awards = record(
        tx,
        ctx,
        &event_id,
        &t,
        member.id,
        occurred,
        &vars,
        &eval,
        &credited,
        &applied.transfers,
        None,
        &[],
        now,
    )?;
    note_traces(tx, ctx, member.id, &traces, occurred)?;
    let risk_hold = match &hold {
        Some(reason) => Some(open_hold(
            tx, ctx, member.id, &event_id, reason, &eval, now,
        )?),
        None => None,
    };
    let mut out = json!({
        "event_id": e.event_id,
        "type": t.as_string(),
        "member_id": member.id,
        "occurred_at": occurred,
        "awarded": {"points": eval.total(PointType::Points), "growth": eval.total(PointType::Growth)},
        "awards": awards,
        "rules": eval.explain,
    });
    if let Some(h) = risk_hold {
        out["risk_hold"] = h;
    }
    if eval.total(PointType::Growth) > 0
        && let Some(change) = crate::tiers::check_upgrade(
            tx,
            ctx,
            member.id,
            &mut books,
            now,
            &format!("event {event_id}"),
        )?
    {
        out["tier_change"] = change;
    }
    // Lotteries may grant a free draw for this kind of event (not while it is held for review).
    if out.get("risk_hold").is_none() {
        let granted = crate::lottery::grant_for_event(tx, ctx, member.id, &t.as_string(), now)?;
        if !granted.is_empty() {
            out["lottery_draws_granted"] = json!(granted);
        }
    }
    if let Some((d, makeup)) = day {
        out["sign_in"] = json!({
            "day": d.to_string(),
            "makeup": makeup,
            "makeup_cost_points": makeup_cost,
            "streak_day": vars.get("streak.day"),
            "total": vars.get("streak.total"),
        });
    }
    Ok(out)
}

// ---- sign-up, referral, birthday and anniversary -------------------------------------------

/// Pays the rules of an event the system raises itself (sign-up, referral, birthday...) to a
/// member whose accounts are locked. Returns the event's answer part.
pub fn system_event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: &Member,
    books: &mut [MemberBook; 2],
    t: &Trigger,
    event_id: &str,
    vars_extra: &[(&str, Value)],
    hold: Option<&str>,
    order_ref: Option<&str>,
    now: Millis,
) -> Result<serde_json::Value, AppError> {
    let mut vars = Vars::default();
    fill_common(
        tx,
        &mut vars,
        ctx,
        member,
        now,
        "",
        &[],
        &BTreeMap::new(),
        None,
    )?;
    for (k, v) in vars_extra {
        vars.set(k, v.clone());
    }
    let set = ctx.earn.rules.clone();
    let eval = evaluate_locked(tx, ctx, &set, member.id, t, now, &vars)?;
    let mut posting = Posting::default();
    let hold = hold.filter(|_| !eval.awards.is_empty());
    let credited = credit_awards(
        &mut posting,
        books,
        ctx,
        &eval.awards,
        t,
        now,
        now,
        order_ref,
        hold.is_some(),
        member.status == "frozen",
        tier_of(&vars),
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    let awards = record(
        tx,
        ctx,
        event_id,
        t,
        member.id,
        now,
        &vars,
        &eval,
        &credited,
        &applied.transfers,
        None,
        &[],
        now,
    )?;
    let mut out = json!({
        "type": t.as_string(),
        "member_id": member.id,
        "awarded": {"points": eval.total(PointType::Points), "growth": eval.total(PointType::Growth)},
        "awards": awards,
        "rules": eval.explain,
    });
    if let Some(reason) = hold {
        out["risk_hold"] = open_hold(tx, ctx, member.id, event_id, reason, &eval, now)?;
    }
    Ok(out)
}

// ---- risk holds ----------------------------------------------------------------------------

/// The device and address an event came from, as (kind, value).
pub fn traces<'a>(device: Option<&'a str>, ip: Option<&'a str>) -> Vec<(RiskKey, &'a str)> {
    let mut out = Vec::new();
    if let Some(d) = device {
        out.push((RiskKey::Device, d));
    }
    if let Some(i) = ip {
        out.push((RiskKey::Ip, i));
    }
    out
}

/// Why an event from these traces should be held, under the programme's risk settings.
pub fn assess(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    t: &Trigger,
    traces: &[(RiskKey, &str)],
    at: Millis,
) -> Result<Option<String>, AppError> {
    let sharing = matches!(t, Trigger::SignIn | Trigger::Referral | Trigger::SignUp);
    assess_traces(tx, ctx, member, sharing, traces, at)
}

/// The programme's risk checks on where a command came from: velocity per device or address,
/// and with `device_sharing` the members per device. The reason when it trips.
pub fn assess_traces(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    device_sharing: bool,
    traces: &[(RiskKey, &str)],
    at: Millis,
) -> Result<Option<String>, AppError> {
    let risk = &ctx.earn.settings.risk;
    if risk.is_empty() || traces.is_empty() {
        return Ok(None);
    }
    // Members are counted up to one past the limit: enough to compare, bounded for a busy
    // shared address.
    let cap = risk.device_members_max.map_or(1, |m| m as i64 + 1);
    let mut seen = Vec::new();
    for (key, value) in traces {
        let members = tx.risk_members(ctx.program.id, key.as_str(), value, cap)?;
        let known = tx.risk_seen(ctx.program.id, key.as_str(), value, member)?;
        seen.push(Seen {
            key: *key,
            recent: 0,
            members: members + i64::from(!known),
        });
    }
    let mut err = None;
    let mut counts = |key: RiskKey, window: i64| {
        let value = traces
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or("");
        match tx.risk_recent(ctx.program.id, key.as_str(), value, at - window) {
            Ok(n) => n,
            Err(e) => {
                err = Some(e);
                0
            }
        }
    };
    let reason = risk.assess_traces(device_sharing, &seen, &mut counts);
    if let Some(e) = err {
        return Err(e.into());
    }
    Ok(reason)
}

/// Remembers where an event came from, for later velocity and sharing checks.
pub fn note_traces(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    traces: &[(RiskKey, &str)],
    at: Millis,
) -> Result<(), AppError> {
    if ctx.earn.settings.risk.is_empty() {
        return Ok(());
    }
    for (key, value) in traces {
        tx.insert_risk_signal(ctx.program.id, key.as_str(), value, member, at)?;
    }
    Ok(())
}

fn open_hold(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    event_id: &str,
    reason: &str,
    eval: &Evaluation,
    now: Millis,
) -> Result<serde_json::Value, AppError> {
    let h = RiskHold {
        id: 0,
        member,
        event_id: event_id.to_string(),
        reason: reason.to_string(),
        status: "open".into(),
        points: eval.total(PointType::Points),
        growth: eval.total(PointType::Growth),
        created_at: now,
        decided_at: None,
        decided_by: None,
        note: None,
    };
    let id = tx.insert_risk_hold(ctx.program.id, &h)?;
    Ok(json!({"hold_id": id, "reason": reason, "points": h.points, "growth": h.growth}))
}

fn hold_view(h: &RiskHold) -> serde_json::Value {
    json!({
        "hold_id": h.id, "member_id": h.member, "event_id": h.event_id, "reason": h.reason,
        "status": h.status, "points": h.points, "growth": h.growth, "created_at": h.created_at,
        "decided_at": h.decided_at, "decided_by": h.decided_by, "note": h.note,
    })
}

/// Risk holds listed per page.
pub const HOLDS_PAGE_MAX: i64 = 200;

pub fn list_holds(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    status: Option<&str>,
    after: Option<i64>,
    limit: Option<i64>,
) -> Result<serde_json::Value, AppError> {
    let status = status.unwrap_or("open");
    if !["open", "released", "rejected"].contains(&status) {
        return Err(AppError::invalid(
            "status",
            "must be open, released or rejected",
        ));
    }
    let limit = limit.unwrap_or(50);
    if !(1..=HOLDS_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {HOLDS_PAGE_MAX}"),
        ));
    }
    let holds = tx.risk_holds(ctx.program.id, status, after.unwrap_or(0), limit)?;
    let next = (holds.len() as i64 == limit)
        .then(|| holds.last().map(|h| h.id))
        .flatten();
    Ok(json!({"holds": holds.iter().map(hold_view).collect::<Vec<_>>(), "next_after": next}))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldDecision {
    Release,
    Reject,
}

/// A reviewer's decision on a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldReview {
    pub actor: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Releases (the points vest now) or rejects (the points are voided) a risk hold.
pub fn decide_hold(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    decision: HoldDecision,
    r: &HoldReview,
) -> Result<serde_json::Value, AppError> {
    commands::check_id("actor", &r.actor)?;
    if let Some(n) = &r.note
        && n.chars().count() > commands::REASON_LEN_MAX
    {
        return Err(AppError::invalid(
            "note",
            format!("must be at most {} characters", commands::REASON_LEN_MAX),
        ));
    }
    let not_found = || AppError::NotFound {
        what: "risk hold",
        id: id.to_string(),
    };
    let h = tx.risk_hold(ctx.program.id, id)?.ok_or_else(not_found)?;
    let (member, mut books) = commands::resolve_locked(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: h.member.0,
        },
    )?;
    if member.id != h.member {
        return Err(AppError::conflict(
            "member_merged",
            format!(
                "member {} was merged into {}; settle this hold with an adjustment",
                h.member, member.id
            ),
            json!({"member_id": h.member, "merged_into": member.id}),
        ));
    }
    // Read again under the member's lock: a concurrent decision is seen.
    let h = tx.risk_hold(ctx.program.id, id)?.ok_or_else(not_found)?;
    if h.status != "open" {
        return Err(AppError::conflict(
            "hold_decided",
            format!("risk hold {id} is already {}", h.status),
            json!({"hold_id": id, "status": h.status}),
        ));
    }
    let lots = tx.held_lots(ctx.program.id, &h.event_id, HOLD_UNTIL)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: None,
        reason: Some(format!(
            "risk hold {id}: {}",
            r.note.as_deref().unwrap_or(&h.reason)
        )),
        actor: Some(r.actor.clone()),
    };
    let mut moved = 0;
    for pt in PointType::ALL {
        let of_type: Vec<Lot> = lots
            .iter()
            .filter(|l| l.point_type == pt && l.member == h.member)
            .cloned()
            .collect();
        let b = &mut books[pt as usize];
        moved += match decision {
            HoldDecision::Release => ops::release_held(&mut posting, &of_type, b, now),
            HoldDecision::Reject => ops::reject_held(&mut posting, &of_type, b, &refs),
        };
    }
    let status = match decision {
        HoldDecision::Release => "released",
        HoldDecision::Reject => "rejected",
    };
    tx.decide_risk_hold(ctx.program.id, id, status, &r.actor, r.note.as_deref(), now)?;
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    if decision == HoldDecision::Reject {
        // Rejected awards no longer count toward caps and budgets, nor as issued.
        withdraw_event_awards(tx, ctx, &h.event_id)?;
    }
    let mut v = hold_view(&tx.risk_hold(ctx.program.id, id)?.ok_or_else(not_found)?);
    v["points_moved"] = json!(moved);
    Ok(v)
}

/// Pays referral rules to both sides of a referral at one stage (`sign_up` or
/// `first_purchase`); both members' accounts are locked.
pub fn referral_rewards(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    invitee: (&Member, &mut [MemberBook; 2]),
    inviter: (&Member, &mut [MemberBook; 2]),
    stage: &str,
    order: Option<&str>,
    hold: Option<&str>,
    now: Millis,
) -> Result<Vec<serde_json::Value>, AppError> {
    let t = Trigger::Referral;
    // First-purchase rewards are tied to the order (their lots carry `referral:<order>`), so
    // that a full refund of that order takes them back from both sides.
    let order_ref = order.map(|o| format!("referral:{o}"));
    let mut out = Vec::new();
    for (m, books, role) in [
        (invitee.0, invitee.1, "invitee"),
        (inviter.0, inviter.1, "inviter"),
    ] {
        let id = match order {
            Some(o) => format!("referral:{}:{stage}:{o}:{role}", invitee.0.id),
            None => format!("referral:{}:{stage}:{role}", invitee.0.id),
        };
        let extra = [
            ("referral.role", Value::Str(role.into())),
            ("referral.stage", Value::Str(stage.into())),
        ];
        let mut v = system_event(
            tx,
            ctx,
            m,
            books,
            &t,
            &id,
            &extra,
            hold,
            order_ref.as_deref(),
            now,
        )?;
        v["role"] = json!(role);
        v["stage"] = json!(stage);
        out.push(v);
    }
    Ok(out)
}

/// When a refund leaves the order that was an invitee's first purchase fully refunded, the
/// referral rewards of that purchase go back, from the invitee and from the inviter (whose
/// accounts this locks), and the invitee's next purchase counts as the first again.
/// `invitee_books` are the invitee's locked books.
pub fn withdraw_referral(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    order: &Order,
    invitee_books: &mut [MemberBook; 2],
    now: Millis,
) -> Result<Option<serde_json::Value>, AppError> {
    let program = ctx.program.id;
    let Some((inviter, Some(first))) = tx.referral_of(program, order.member)? else {
        return Ok(None);
    };
    if first != order.order_id {
        return Ok(None);
    }
    // The inviter's referral lots moved with it if it was merged since.
    let Some(inviter) = commands::survivor(tx, ctx, inviter)? else {
        return Ok(None);
    };
    if inviter == order.member {
        return Ok(None);
    }
    let mut inviter_books = commands::books(tx, ctx, inviter)?;
    let order_ref = format!("referral:{}", order.order_id);
    let refs = Refs {
        order_ref: Some(order_ref.clone()),
        reason: Some(format!(
            "referral reward of order {} withdrawn: the order was refunded",
            order.order_id
        )),
        actor: None,
    };
    let mut taken = serde_json::Map::new();
    for (member, books, role) in [
        (order.member, invitee_books, "invitee"),
        (inviter, &mut inviter_books, "inviter"),
    ] {
        let event_id = format!(
            "referral:{}:first_purchase:{}:{role}",
            order.member, order.order_id
        );
        let amounts = withdraw_event_awards(tx, ctx, &event_id)?;
        let mut posting = Posting::default();
        for pt in PointType::ALL {
            let amount = amounts[pt as usize];
            if amount > 0 {
                let b = &mut books[pt as usize];
                commands::reverse_ref(
                    tx,
                    ctx,
                    &mut posting,
                    b,
                    member,
                    &order_ref,
                    amount,
                    0,
                    &refs,
                    now,
                )?;
            }
        }
        tx.apply(program, &posting, &ctx.system, now)?;
        taken.insert(
            role.into(),
            json!({"member_id": member, "points": amounts[0], "growth": amounts[1]}),
        );
    }
    tx.set_referral_first_purchase(program, order.member, None)?;
    Ok(Some(serde_json::Value::Object(taken)))
}

/// Members one birthday or anniversary job step handles.
pub const JOB_STEP_MEMBERS: i64 = 200;

/// Pays birthday and anniversary rules to the members whose day is today in the programme's
/// time zone, once per member per year (the event id carries the year). Returns how many
/// members were handled, or `None` when none were due.
pub fn birthday_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let set = ctx.earn.rules.clone();
    let today = local_date(now, &ctx.tz);
    let year = today.year();
    let mut handled = 0;
    let tier_gifts = ctx
        .earn
        .ladder
        .as_ref()
        .is_some_and(|l| l.tiers.iter().any(|t| t.benefits.birthday_gift.is_some()));
    if !set.for_trigger(&Trigger::Birthday).is_empty() || tier_gifts {
        let md = |m: i8, d: i8| format!("{m:02}-{d:02}");
        let days: Vec<(String, String)> = match ctx.earn.settings.birthday_on {
            BirthdayOn::Day => {
                let today_md = md(today.month(), today.day());
                let mut days = vec![(today_md.clone(), today_md)];
                // Members born on 29 February celebrate on the 28th in other years.
                if today.month() == 2 && today.day() == 28 && !today.in_leap_year() {
                    days.push((md(2, 29), md(2, 29)));
                }
                days
            }
            // The whole month is due from its first day: a job that missed the 1st still pays.
            BirthdayOn::Month => vec![(md(today.month(), 1), md(today.month(), 31))],
        };
        let due = tx.members_born_on_without_event(
            ctx.program.id,
            &days,
            "birthday:",
            &format!(":{year}"),
            scope.fetch(JOB_STEP_MEMBERS),
        )?;
        for m in scope.keep(due, JOB_STEP_MEMBERS, |m| m.0) {
            scope.at(m.0);
            handled += pay_system_event(
                tx,
                ctx,
                m,
                &Trigger::Birthday,
                &format!("birthday:{m}:{year}"),
                &[],
                now,
            )?;
        }
    }
    if handled == 0 && !set.for_trigger(&Trigger::Anniversary).is_empty() {
        // Members who joined on this calendar day in an earlier year, most recent years first.
        // Members who joined on 29 February have theirs on the 28th in other years.
        let leap_day_too = today.month() == 2 && today.day() == 28 && !today.in_leap_year();
        let days: Vec<(i16, i8, i8)> = (1..=30i16)
            .flat_map(|y| {
                let mut v = vec![(y, today.month(), today.day())];
                if leap_day_too {
                    v.push((y, 2, 29));
                }
                v
            })
            .collect();
        for (years, month, day) in days {
            let Ok(then) = jiff::civil::Date::new(year - years, month, day) else {
                continue;
            };
            let from = start_of(then, &ctx.tz);
            let to = start_of(then.checked_add(1.day()).unwrap_or(then), &ctx.tz);
            let due = tx.members_joined_between_without_event(
                ctx.program.id,
                from,
                to,
                "anniversary:",
                &format!(":{year}"),
                scope.fetch(JOB_STEP_MEMBERS - handled),
            )?;
            for m in scope.keep(due, JOB_STEP_MEMBERS - handled, |m| m.0) {
                scope.at(m.0);
                let extra = [(
                    "event.ints",
                    Value::Map([("years".to_string(), years as i64)].into_iter().collect()),
                )];
                handled += pay_system_event(
                    tx,
                    ctx,
                    m,
                    &Trigger::Anniversary,
                    &format!("anniversary:{m}:{year}"),
                    &extra,
                    now,
                )?;
            }
            if handled >= scope.limit(JOB_STEP_MEMBERS) {
                break;
            }
        }
    }
    Ok((handled > 0).then_some(handled))
}

fn pay_system_event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    t: &Trigger,
    event_id: &str,
    extra: &[(&str, Value)],
    now: Millis,
) -> Result<i64, AppError> {
    let (m, mut books) = commands::resolve_locked(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: member.0,
        },
    )?;
    if m.id != member || tx.event(ctx.program.id, event_id)?.is_some() {
        return Ok(0);
    }
    system_event(tx, ctx, &m, &mut books, t, event_id, extra, None, None, now)?;
    if *t == Trigger::Birthday {
        // The tier's birthday gift, paid with the birthday event (once a year by its id).
        let tier = crate::tiers::tier_code(tx, ctx, m.id, now)?;
        if let Some(g) = crate::tiers::benefits_of(ctx, &tier).birthday_gift {
            let label = format!("生日礼 / birthday gift ({tier})");
            crate::tiers::grant_gift(
                tx,
                ctx,
                m.id,
                &mut books,
                &g,
                &format!("{event_id}:gift"),
                &label,
                &tier,
                now,
            )?;
        }
    }
    Ok(1)
}

// ---- rules ---------------------------------------------------------------------------------

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

/// A rule as shown. What it issued is an aggregate over its awards, so only reads (never the
/// writer) compute it.
fn rule_view(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<serde_json::Value, AppError> {
    let r = tx
        .rule(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "rule",
            id: id.to_string(),
        })?;
    let def: serde_json::Value =
        serde_json::from_str(&r.definition).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let versions: Vec<serde_json::Value> = tx
        .rule_versions(ctx.program.id, id)?
        .into_iter()
        .map(|(v, _, actor, at)| json!({"version": v, "actor": actor, "created_at": at}))
        .collect();
    Ok(json!({
        "rule_id": r.id,
        "status": r.status,
        "version": r.version,
        "definition": def,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "versions": versions,
    }))
}

/// A rule with what it issued (net of awards withdrawn by refunds and rejected holds).
pub fn get_rule(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<serde_json::Value, AppError> {
    let mut v = rule_view(tx, ctx, id)?;
    let (points, growth, members) = tx.rule_totals(ctx.program.id, id)?;
    v["issued"] = json!({"points": points, "growth": growth, "members": members});
    Ok(v)
}

pub fn list_rules(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    status: Option<&str>,
) -> Result<serde_json::Value, AppError> {
    if let Some(s) = status
        && !["draft", "active", "paused", "archived"].contains(&s)
    {
        return Err(AppError::invalid(
            "status",
            "must be draft, active, paused or archived",
        ));
    }
    let rows = tx.rules(ctx.program.id, status)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let def: serde_json::Value =
            serde_json::from_str(&r.definition).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        items.push(json!({"rule_id": r.id, "status": r.status, "version": r.version, "definition": def, "updated_at": r.updated_at}));
    }
    Ok(json!({"rules": items}))
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
fn check_segments(def: &RuleDef) -> Result<(), AppError> {
    if let Some((i, name)) = def.audience.segments.iter().enumerate().next() {
        return Err(AppError::invalid(
            format!("audience.segments[{i}]"),
            format!("unknown segment {name:?}: the programme has no such segment"),
        ));
    }
    Ok(())
}

pub fn create_rule(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &RuleIn,
) -> Result<serde_json::Value, AppError> {
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
    let id = tx.insert_rule(ctx.program.id, status, &def, r.actor.as_deref(), now)?;
    if status == "active" {
        on_activate(tx, ctx, id, &r.definition)?;
    }
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

/// Saves a new version of a rule. Versions are immutable: awards name the version that paid
/// them, so an edit never rewrites what a member was told.
pub fn update_rule(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    r: &RuleIn,
) -> Result<serde_json::Value, AppError> {
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
    tx.insert_rule_version(
        ctx.program.id,
        id,
        version + 1,
        &def,
        r.actor.as_deref(),
        now,
    )?;
    tx.set_rule_state(ctx.program.id, id, &status, version + 1, now)?;
    if status == "active" {
        on_activate(tx, ctx, id, &r.definition)?;
    }
    rule_view(tx, ctx, id)
}

pub fn change_rule_status(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    action: RuleAction,
) -> Result<serde_json::Value, AppError> {
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
    rule_view(tx, ctx, id)
}

pub fn put_settings(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &EarnSettings,
) -> Result<serde_json::Value, AppError> {
    s.validate().map_err(rule_invalid)?;
    tx.put_earn_settings(
        ctx.program.id,
        &serde_json::to_string(s).expect("settings serialize"),
        now,
    )?;
    Ok(serde_json::to_value(s).expect("settings serialize"))
}

/// The variables rules may use, with their types and the triggers that supply them.
pub fn variables() -> serde_json::Value {
    let items: Vec<serde_json::Value> = jifen_rules::vars::VARS
        .iter()
        .map(|v| {
            let triggers: Vec<String> = jifen_rules::rule::BUILT_IN_TRIGGERS
                .iter()
                .filter(|t| {
                    let t = Trigger::parse(t).expect("built-in");
                    jifen_rules::expr::Schema::lookup(&jifen_rules::vars::TriggerSchema(&t), v.name).is_some()
                })
                .map(|t| t.to_string())
                .collect();
            json!({"name": v.name, "type": v.ty, "doc": v.doc, "triggers": if triggers.len() == jifen_rules::rule::BUILT_IN_TRIGGERS.len() { json!("all") } else { json!(triggers) }})
        })
        .collect();
    json!({"variables": items, "functions": ["min", "max", "abs", "clamp", "size", "contains"]})
}

// ---- dry run -------------------------------------------------------------------------------

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
) -> Result<serde_json::Value, AppError> {
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
            (
                event_vars(tx, &ctx_with, &member, e, &trigger, at)?.0,
                at,
                None,
            )
        }
        _ => unreachable!(),
    };
    let eval = evaluate_locked(tx, ctx, &set, member.id, &trigger, at, &vars)?;
    let mut out = json!({
        "dry_run": true,
        "type": trigger.as_string(),
        "member_id": member.id,
        "at": at,
        "awarded": {"points": eval.total(PointType::Points), "growth": eval.total(PointType::Growth)},
        "awards": eval.awards,
        "rules": eval.explain,
    });
    if let Some(b) = base {
        out["base"] = json!({"points": b.points, "growth": b.growth});
    }
    Ok(out)
}

// ---- backtest ------------------------------------------------------------------------------

/// A backtest: replay stored events of a time range against a proposed rule set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestIn {
    /// Start of the range (Unix ms, inclusive).
    pub from: Millis,
    /// End of the range (Unix ms, exclusive).
    pub to: Millis,
    #[serde(default)]
    pub rule_ids: Vec<i64>,
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// `add` (the default): the active rules plus the proposed ones; `replace`: only the
    /// proposed ones.
    #[serde(default)]
    pub mode: Option<String>,
}

/// The longest range one backtest replays.
pub const BACKTEST_RANGE_MAX_MS: i64 = 400 * 86_400_000;
/// Events read per page of a backtest.
pub const BACKTEST_PAGE: i64 = 2_000;

impl BacktestIn {
    pub fn validate(&self) -> Result<bool, AppError> {
        if self.to <= self.from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if self
            .to
            .checked_sub(self.from)
            .is_none_or(|d| d > BACKTEST_RANGE_MAX_MS)
        {
            return Err(AppError::invalid(
                "to",
                "a backtest covers at most 400 days",
            ));
        }
        match self.mode.as_deref() {
            None | Some("add") => Ok(true),
            Some("replace") => Ok(false),
            Some(_) => Err(AppError::invalid("mode", "must be add or replace")),
        }
    }
}

/// Per-rule figures of a backtest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleFigures {
    pub rule_id: i64,
    pub name: String,
    pub points: i64,
    pub growth: i64,
    pub awards: i64,
    pub members: usize,
    #[serde(skip)]
    member_set: BTreeSet<i64>,
}

/// A backtest's running totals; `finish` turns them into the report.
#[derive(Debug, Default)]
pub struct Replay {
    counters: HashMap<(i64, CounterKey), Counter>,
    pub events: i64,
    actual: [i64; 2],
    proposed: [i64; 2],
    members: BTreeSet<i64>,
    by_rule: BTreeMap<i64, RuleFigures>,
}

impl Replay {
    /// Evaluates one stored event. Caps and budgets count from zero at the start of the range.
    pub fn event(
        &mut self,
        set: &RuleSet,
        e: &EventRow,
        vars: &Vars,
        tz: &TimeZone,
        trigger_caps: &[TriggerCap],
    ) {
        self.events += 1;
        self.actual[0] += e.points;
        self.actual[1] += e.growth;
        let Ok(t) = Trigger::parse(&e.trigger) else {
            return;
        };
        let ev = EventInput {
            trigger: &t,
            now: e.occurred_at,
            vars: &vars.0,
            tz,
            trigger_caps,
        };
        let m = e.member.0;
        let eval = evaluate(set, &ev, &|k| {
            self.counters
                .get(&(counter_member(e.member, k), k.clone()))
                .copied()
                .unwrap_or_default()
        });
        for (k, inc) in eval.increments {
            let c = self
                .counters
                .entry((counter_member(e.member, &k), k))
                .or_default();
            c.points += inc.points;
            c.count += inc.count;
        }
        for a in &eval.awards {
            self.proposed[a.point_type as usize] += a.points;
            self.members.insert(m);
            let f = self
                .by_rule
                .entry(a.rule_id)
                .or_insert_with(|| RuleFigures {
                    rule_id: a.rule_id,
                    name: a.name.to_string(),
                    ..Default::default()
                });
            match a.point_type {
                PointType::Points => f.points += a.points,
                PointType::Growth => f.growth += a.points,
            }
            f.awards += 1;
            f.member_set.insert(m);
        }
    }

    pub fn finish(self) -> serde_json::Value {
        let by_rule: Vec<RuleFigures> = self
            .by_rule
            .into_values()
            .map(|mut f| {
                f.members = f.member_set.len();
                f
            })
            .collect();
        json!({
            "events": self.events,
            "members_affected": self.members.len(),
            "proposed": {"points": self.proposed[0], "growth": self.proposed[1]},
            "actual": {"points": self.actual[0], "growth": self.actual[1]},
            "change": {"points": self.proposed[0] - self.actual[0], "growth": self.proposed[1] - self.actual[1]},
            "by_rule": by_rule,
            "note": "rule awards only (the programme's base rate is the same either way); caps and budgets count from the start of the range",
        })
    }
}

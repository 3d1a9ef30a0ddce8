//! Evaluating one event against a rule set: which rules fire, how many points each gives, and
//! for each rule that does not fire, why. Caps and budgets are read from counters the caller
//! loaded (under the member's lock, in the same transaction as the ledger write) and the
//! evaluation returns the increments to store with the award.

use std::collections::BTreeMap;
use std::sync::Arc;

use jifen_ledger::{Millis, PointType};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::expr::Value;
use crate::rule::{CompiledRule, Period, Stacking, Trigger, local_fields};
use crate::vars;

/// The active rules of a programme, grouped by trigger and ordered for evaluation: higher
/// priority first, then lower id (the older rule).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    by_trigger: BTreeMap<Trigger, Vec<Arc<CompiledRule>>>,
}

impl RuleSet {
    pub fn new(rules: impl IntoIterator<Item = CompiledRule>) -> RuleSet {
        let mut by_trigger: BTreeMap<Trigger, Vec<Arc<CompiledRule>>> = BTreeMap::new();
        for r in rules {
            by_trigger
                .entry(r.trigger.clone())
                .or_default()
                .push(Arc::new(r));
        }
        for v in by_trigger.values_mut() {
            v.sort_by(|a, b| b.def.priority.cmp(&a.def.priority).then(a.id.cmp(&b.id)));
        }
        RuleSet { by_trigger }
    }

    pub fn for_trigger(&self, t: &Trigger) -> &[Arc<CompiledRule>] {
        self.by_trigger.get(t).map_or(&[], |v| v.as_slice())
    }

    pub fn len(&self) -> usize {
        self.by_trigger.values().map(|v| v.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any rule of the trigger reads the variable, so that the caller computes costly
    /// variables (order counts, monthly totals) only when a rule needs them.
    pub fn reads(&self, t: &Trigger, name: &str) -> bool {
        let slot = vars::slot(name);
        self.for_trigger(t).iter().any(|r| {
            r.points.vars().contains(&slot)
                || r.condition
                    .as_ref()
                    .is_some_and(|c| c.vars().contains(&slot))
        })
    }

    pub fn rules(&self) -> impl Iterator<Item = &Arc<CompiledRule>> {
        self.by_trigger.values().flatten()
    }
}

/// A per-member limit on every award of one event type (in points), across rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerCap {
    pub trigger: String,
    pub period: Period,
    #[serde(default)]
    pub max_points: Option<i64>,
    #[serde(default)]
    pub max_count: Option<i64>,
}

/// What a counter counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CounterKind {
    /// One member's awards from one rule (all versions): rule caps.
    Rule(i64),
    /// One member's points awards from one event type: programme caps per event type.
    Trigger(Trigger),
    /// The whole programme's awards from one rule: its budget.
    Budget(i64),
}

/// A calendar period in the programme's time zone, compact so that keys cost no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PeriodKey {
    Day(jiff::civil::Date),
    Week { year: i16, week: i8 },
    Month { year: i16, month: i8 },
    Year(i16),
    All,
}

impl std::fmt::Display for PeriodKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeriodKey::Day(d) => write!(f, "d{d}"),
            PeriodKey::Week { year, week } => write!(f, "w{year:04}-W{week:02}"),
            PeriodKey::Month { year, month } => write!(f, "m{year:04}-{month:02}"),
            PeriodKey::Year(y) => write!(f, "y{y:04}"),
            PeriodKey::All => f.write_str("all"),
        }
    }
}

impl PeriodKey {
    /// Reads a key written by `Display` (`d2026-12-01`, `w2026-W49`, `m2026-12`, `y2026`, `all`).
    pub fn parse(s: &str) -> Option<PeriodKey> {
        if s == "all" {
            return Some(PeriodKey::All);
        }
        let (kind, rest) = s.split_at_checked(1)?;
        match kind {
            "d" => rest.parse().ok().map(PeriodKey::Day),
            "w" => {
                let (y, w) = rest.split_once("-W")?;
                Some(PeriodKey::Week {
                    year: y.parse().ok()?,
                    week: w.parse().ok()?,
                })
            }
            "m" => {
                let (y, m) = rest.split_once('-')?;
                Some(PeriodKey::Month {
                    year: y.parse().ok()?,
                    month: m.parse().ok()?,
                })
            }
            "y" => rest.parse().ok().map(PeriodKey::Year),
            _ => None,
        }
    }
}

/// A counter's name: what it counts over which period.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CounterKey {
    pub kind: CounterKind,
    pub period: PeriodKey,
}

impl CounterKey {
    /// Counts one member's awards (caps) rather than the whole programme's (budgets).
    pub fn per_member(&self) -> bool {
        !matches!(self.kind, CounterKind::Budget(_))
    }

    /// The name stored: `rule:<id>`, `trigger:<type>` or `budget:<id>`.
    pub fn name(&self) -> String {
        match &self.kind {
            CounterKind::Rule(id) => format!("rule:{id}"),
            CounterKind::Trigger(t) => format!("trigger:{}", t.as_string()),
            CounterKind::Budget(id) => format!("budget:{id}"),
        }
    }
}

/// Points and awards counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub points: i64,
    pub count: i64,
}

/// The calendar period containing `now` in `tz`.
pub fn period_of(p: Period, now: Millis, tz: &TimeZone) -> PeriodKey {
    if p == Period::Lifetime {
        return PeriodKey::All;
    }
    let d = Timestamp::from_millisecond(now)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .date();
    match p {
        Period::Day => PeriodKey::Day(d),
        Period::Week => {
            let w = d.iso_week_date();
            PeriodKey::Week {
                year: w.year(),
                week: w.week(),
            }
        }
        Period::Month => PeriodKey::Month {
            year: d.year(),
            month: d.month(),
        },
        Period::Year => PeriodKey::Year(d.year()),
        Period::Lifetime => PeriodKey::All,
    }
}

/// The stored key of the calendar period containing `now` in `tz`.
pub fn period_key(p: Period, now: Millis, tz: &TimeZone) -> String {
    period_of(p, now, tz).to_string()
}

/// Why a rule did or did not pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "RuleOutcome")]
pub enum Outcome {
    Fired,
    OutsideSchedule,
    NotInAudience,
    ConditionFalse,
    NoPoints,
    CapReached,
    BudgetExhausted,
    /// A higher-priority exclusive rule fired.
    Excluded,
    /// Another best-of rule gave more.
    Outranked,
    /// The expression failed on this event (overflow, division by zero).
    Error,
}

/// One line of an explanation. `points` is shown only for rules that fired (the awards list
/// has the rest), which keeps the answer to an event under many rules small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "RuleExplanation")]
pub struct Explain {
    pub rule_id: i64,
    pub rule_version: i64,
    pub name: Arc<str>,
    pub outcome: Outcome,
    /// The points it gave, on a rule that fired; absent otherwise.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points: i64,
    #[serde(skip, default = "crate::rule::default_point_type")]
    pub point_type: PointType,
    /// Human-readable detail: the cap that cut an award, the rule that excluded this one...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Points one rule gives for one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "RuleAward")]
pub struct Award {
    pub rule_id: i64,
    pub rule_version: i64,
    pub name: Arc<str>,
    #[schemars(schema_with = "crate::rule::point_type_schema")]
    pub point_type: PointType,
    pub points: i64,
    /// What the formula gave before caps and budgets cut it.
    pub formula_points: i64,
    pub pending_days: Option<u32>,
    pub validity_days: Option<u32>,
}

/// The whole answer for one event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub awards: Vec<Award>,
    pub explain: Vec<Explain>,
    /// Increments to add to stored counters, one per key.
    #[serde(skip)]
    pub increments: Vec<(CounterKey, Counter)>,
    /// Keys the caller found in a period older than the one its store holds as current (an
    /// event dated back into a period that is over); the caller stores those apart.
    #[serde(skip)]
    pub past: Vec<CounterKey>,
    /// Counters as the caller's store holds them for a period older than this event's, which
    /// the store's current slot is about to leave: the caller archives them with the past.
    #[serde(skip)]
    pub closing: Vec<(CounterKey, Counter)>,
}

impl Evaluation {
    pub fn total(&self, pt: PointType) -> i64 {
        self.awards
            .iter()
            .filter(|a| a.point_type == pt)
            .map(|a| a.points)
            .sum()
    }
}

/// Everything the evaluator needs besides the rules and the counters.
pub struct EventInput<'a> {
    pub trigger: &'a Trigger,
    pub now: Millis,
    pub vars: &'a [Value],
    pub tz: &'a TimeZone,
    pub trigger_caps: &'a [TriggerCap],
}

/// Period keys computed once per event.
struct Periods<'a> {
    now: Millis,
    tz: &'a TimeZone,
    keys: [Option<PeriodKey>; 5],
}

impl Periods<'_> {
    fn key(&mut self, p: Period) -> PeriodKey {
        *self.keys[p as usize].get_or_insert_with(|| period_of(p, self.now, self.tz))
    }
}

fn rule_counter(rule: i64, period: PeriodKey) -> CounterKey {
    CounterKey {
        kind: CounterKind::Rule(rule),
        period,
    }
}

fn budget_counter(rule: i64) -> CounterKey {
    CounterKey {
        kind: CounterKind::Budget(rule),
        period: PeriodKey::All,
    }
}

fn trigger_counter(trigger: &Trigger, period: PeriodKey) -> CounterKey {
    CounterKey {
        kind: CounterKind::Trigger(trigger.clone()),
        period,
    }
}

/// The counters an evaluation of this event reads, for the caller to load (and lock).
pub fn needed_counters(set: &RuleSet, ev: &EventInput<'_>) -> Vec<CounterKey> {
    let mut periods = Periods {
        now: ev.now,
        tz: ev.tz,
        keys: Default::default(),
    };
    let mut keys = Vec::new();
    for r in set.for_trigger(ev.trigger) {
        for c in &r.def.caps {
            keys.push(rule_counter(r.id, periods.key(c.period)));
        }
        if r.def.budget_points.is_some() {
            keys.push(budget_counter(r.id));
        }
    }
    if !ev.trigger_caps.is_empty() {
        let t = ev.trigger.as_string();
        for c in ev.trigger_caps.iter().filter(|c| c.trigger == t) {
            keys.push(trigger_counter(ev.trigger, periods.key(c.period)));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

struct Candidate<'r> {
    rule: &'r CompiledRule,
    outcome: Outcome,
    points: i64,
    formula_points: i64,
    detail: Option<String>,
}

/// Slots the audience check reads, looked up once.
struct AudienceSlots {
    tier: usize,
    channel: usize,
    segments: usize,
    joined: usize,
}

static AUDIENCE: std::sync::LazyLock<AudienceSlots> = std::sync::LazyLock::new(|| AudienceSlots {
    tier: vars::slot("member.tier"),
    channel: vars::slot("event.channel"),
    segments: vars::slot("member.segments"),
    joined: vars::slot("member.days_since_joined"),
});

fn in_audience(r: &CompiledRule, vars: &[Value]) -> Result<(), String> {
    let a = &r.def.audience;
    if a.tiers.is_empty()
        && a.channels.is_empty()
        && a.segments.is_empty()
        && a.joined_within_days.is_none()
    {
        return Ok(());
    }
    let s = &*AUDIENCE;
    let text = |name: &str| match &vars[match name {
        "member.tier" => s.tier,
        _ => s.channel,
    }] {
        Value::Str(s) => s.as_str(),
        _ => "",
    };
    if !a.tiers.is_empty() && !a.tiers.iter().any(|t| t == text("member.tier")) {
        return Err(format!(
            "tier {:?} is not one of {:?}",
            text("member.tier"),
            a.tiers
        ));
    }
    if !a.channels.is_empty() && !a.channels.iter().any(|c| c == text("event.channel")) {
        return Err(format!(
            "channel {:?} is not one of {:?}",
            text("event.channel"),
            a.channels
        ));
    }
    if !a.segments.is_empty() {
        let member = match &vars[s.segments] {
            Value::List(l) => l.as_slice(),
            _ => &[],
        };
        if !a.segments.iter().any(|s| member.contains(s)) {
            return Err(format!(
                "member is in none of the segments {:?}",
                a.segments
            ));
        }
    }
    if let Some(days) = a.joined_within_days
        && let Value::Int(joined) = vars[s.joined]
        && joined > days as i64
    {
        return Err(format!("member joined {joined} days ago, more than {days}"));
    }
    Ok(())
}

/// Evaluates the event. `counter` returns a counter's stored value (zero when absent).
pub fn evaluate(
    set: &RuleSet,
    ev: &EventInput<'_>,
    counter: &dyn Fn(&CounterKey) -> Counter,
) -> Evaluation {
    let mut periods = Periods {
        now: ev.now,
        tz: ev.tz,
        keys: Default::default(),
    };
    let local = local_fields(ev.now, ev.tz).unwrap_or((1, 0));
    let rules = set.for_trigger(ev.trigger);
    let mut cands: Vec<Candidate<'_>> = Vec::with_capacity(rules.len());
    // Pass 1: each rule on its own (schedule, audience, condition, formula, its caps, budget).
    for r in rules {
        let mut c = Candidate {
            rule: r,
            outcome: Outcome::Fired,
            points: 0,
            formula_points: 0,
            detail: None,
        };
        let _ = c_eval(&mut c, ev, local, &mut periods, counter);
        cands.push(c);
    }
    stack(&mut cands);
    let trigger_caps = apply_trigger_caps(&mut cands, ev, &mut periods, counter);
    answer(&cands, &mut periods, &trigger_caps)
}

/// Pass 2: stacking. Exclusive rules shut out lower priorities; best-of rules compete.
fn stack(cands: &mut [Candidate<'_>]) {
    let mut excluded_by: Option<&CompiledRule> = None;
    let mut best: Option<usize> = None;
    for i in 0..cands.len() {
        if cands[i].outcome != Outcome::Fired {
            continue;
        }
        if let Some(x) = excluded_by {
            cands[i].outcome = Outcome::Excluded;
            cands[i].detail = Some(format!(
                "exclusive rule {} ({}) fired first",
                x.id, x.def.name
            ));
            continue;
        }
        match cands[i].rule.def.stacking {
            Stacking::Exclusive => excluded_by = Some(cands[i].rule),
            Stacking::BestOf => match best {
                Some(b) if cands[b].points >= cands[i].points => {
                    cands[i].outcome = Outcome::Outranked;
                }
                Some(b) => {
                    cands[b].outcome = Outcome::Outranked;
                    best = Some(i);
                }
                None => best = Some(i),
            },
            Stacking::Stack => {}
        }
    }
    if let Some(b) = best {
        let winner = cands[b].rule;
        for c in cands.iter_mut().filter(|c| c.outcome == Outcome::Outranked) {
            c.detail = Some(format!(
                "best-of rule {} ({}) gives more",
                winner.id, winner.def.name
            ));
        }
    }
}

/// Pass 3: per-member caps on the whole event type, in priority order. Returns the caps that
/// apply with their counters.
fn apply_trigger_caps<'e>(
    cands: &mut [Candidate<'_>],
    ev: &EventInput<'e>,
    periods: &mut Periods<'_>,
    counter: &dyn Fn(&CounterKey) -> Counter,
) -> Vec<(CounterKey, Counter, &'e TriggerCap)> {
    let t = if ev.trigger_caps.is_empty() {
        String::new()
    } else {
        ev.trigger.as_string()
    };
    let mut trigger_caps: Vec<(CounterKey, Counter, &TriggerCap)> = ev
        .trigger_caps
        .iter()
        .filter(|c| c.trigger == t)
        .map(|c| {
            let k = trigger_counter(ev.trigger, periods.key(c.period));
            let v = counter(&k);
            (k, v, c)
        })
        .collect();
    for c in cands.iter_mut().filter(|c| c.outcome == Outcome::Fired) {
        if c.rule.def.point_type != PointType::Points {
            continue;
        }
        for (_, used, cap) in &trigger_caps {
            if cap.max_count.is_some_and(|m| used.count >= m) {
                c.points = 0;
            }
            if let Some(m) = cap.max_points {
                c.points = c.points.min((m - used.points).max(0));
            }
        }
        if c.points == 0 {
            c.outcome = Outcome::CapReached;
            c.detail = Some(format!("the member reached the cap on {t} events"));
            continue;
        }
        if c.points < c.formula_points && c.detail.is_none() {
            c.detail = Some(format!(
                "cut from {} by the cap on {t} events",
                c.formula_points
            ));
        }
        for (_, used, _) in trigger_caps.iter_mut() {
            used.points += c.points;
            used.count += 1;
        }
    }
    trigger_caps
}

/// The answer and the counter increments.
fn answer(
    cands: &[Candidate<'_>],
    periods: &mut Periods<'_>,
    trigger_caps: &[(CounterKey, Counter, &TriggerCap)],
) -> Evaluation {
    let mut inc: BTreeMap<CounterKey, Counter> = BTreeMap::new();
    let mut out = Evaluation::default();
    for c in cands {
        out.explain.push(Explain {
            rule_id: c.rule.id,
            rule_version: c.rule.version,
            name: c.rule.name.clone(),
            outcome: c.outcome,
            points: if c.outcome == Outcome::Fired {
                c.points
            } else {
                0
            },
            point_type: c.rule.def.point_type,
            detail: c.detail.clone(),
        });
        if c.outcome != Outcome::Fired {
            continue;
        }
        let r = c.rule;
        out.awards.push(Award {
            rule_id: r.id,
            rule_version: r.version,
            name: r.name.clone(),
            point_type: r.def.point_type,
            points: c.points,
            formula_points: c.formula_points,
            pending_days: r.def.pending_days,
            validity_days: r.def.validity_days,
        });
        let mut keys: Vec<CounterKey> = r
            .def
            .caps
            .iter()
            .map(|cap| rule_counter(r.id, periods.key(cap.period)))
            .collect();
        if r.def.budget_points.is_some() {
            keys.push(budget_counter(r.id));
        }
        if r.def.point_type == PointType::Points {
            keys.extend(trigger_caps.iter().map(|(k, _, _)| k.clone()));
        }
        keys.sort();
        keys.dedup();
        for k in keys {
            let e = inc.entry(k).or_default();
            e.points += c.points;
            e.count += 1;
        }
    }
    out.increments = inc.into_iter().collect();
    out
}

/// Pass 1 for one rule: fills the candidate's outcome, points and detail.
fn c_eval(
    c: &mut Candidate<'_>,
    ev: &EventInput<'_>,
    local: (u8, u8),
    periods: &mut Periods<'_>,
    counter: &dyn Fn(&CounterKey) -> Counter,
) -> Option<()> {
    let r = c.rule;
    let stop = |c: &mut Candidate<'_>, o: Outcome, d: Option<String>| {
        c.outcome = o;
        c.detail = d;
        None
    };
    if let Some(s) = &r.schedule
        && !s.contains(ev.now, local)
    {
        return stop(c, Outcome::OutsideSchedule, None);
    }
    if let Err(why) = in_audience(r, ev.vars) {
        return stop(c, Outcome::NotInAudience, Some(why));
    }
    if let Some(cond) = &r.condition {
        match cond.eval_bool(ev.vars) {
            Ok(true) => {}
            Ok(false) => return stop(c, Outcome::ConditionFalse, None),
            Err(e) => return stop(c, Outcome::Error, Some(format!("condition: {e}"))),
        }
    }
    let points = match r.points.eval_int(ev.vars) {
        Ok(p) => p.min(crate::rule::AWARD_POINTS_MAX),
        Err(e) => return stop(c, Outcome::Error, Some(format!("points: {e}"))),
    };
    c.formula_points = points;
    if points <= 0 {
        return stop(
            c,
            Outcome::NoPoints,
            Some(format!("the formula gave {points}")),
        );
    }
    let mut points = points;
    for cap in &r.def.caps {
        let used = counter(&rule_counter(r.id, periods.key(cap.period)));
        let period = format!("{:?}", cap.period).to_lowercase();
        if cap.max_count.is_some_and(|m| used.count >= m) {
            return stop(
                c,
                Outcome::CapReached,
                Some(format!(
                    "{} of {} awards this {period}",
                    used.count,
                    cap.max_count.unwrap_or(0)
                )),
            );
        }
        if let Some(m) = cap.max_points {
            let left = (m - used.points).max(0);
            if left == 0 {
                return stop(
                    c,
                    Outcome::CapReached,
                    Some(format!("{} of {m} points this {period}", used.points)),
                );
            }
            if points > left {
                c.detail = Some(format!(
                    "cut from {points} to {left} by the {period} cap of {m}"
                ));
                points = left;
            }
        }
    }
    if let Some(b) = r.def.budget_points {
        let used = counter(&budget_counter(r.id));
        let left = (b - used.points).max(0);
        if left == 0 {
            return stop(
                c,
                Outcome::BudgetExhausted,
                Some(format!("budget of {b} points is spent")),
            );
        }
        if points > left {
            c.detail = Some(format!(
                "cut from {points} to {left}: the last of the budget of {b}"
            ));
            points = left;
        }
    }
    c.points = points;
    Some(())
}

//! Backtests: replaying stored events of a time range against a proposed rule set.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jifen_ledger::*;
use jifen_rules::*;
use jifen_store::*;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AppError;

use super::counters::counter_member;
use super::views::{BacktestResult, PointsAndGrowth};

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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleFigures {
    /// The rule; inline proposed rules count down from -1.
    pub rule_id: i64,
    pub name: String,
    pub points: i64,
    pub growth: i64,
    /// Awards it gave.
    pub awards: i64,
    /// Members it paid.
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

    pub fn finish(self) -> BacktestResult {
        let by_rule: Vec<RuleFigures> = self
            .by_rule
            .into_values()
            .map(|mut f| {
                f.members = f.member_set.len();
                f
            })
            .collect();
        let pair = |v: [i64; 2]| PointsAndGrowth {
            points: v[0],
            growth: v[1],
        };
        BacktestResult {
            events: self.events,
            members_affected: self.members.len(),
            proposed: pair(self.proposed),
            actual: pair(self.actual),
            change: pair([
                self.proposed[0] - self.actual[0],
                self.proposed[1] - self.actual[1],
            ]),
            by_rule,
            note: "rule awards only (the programme's base rate is the same either way); caps and budgets count from the start of the range".into(),
        }
    }
}

//! Earning rules as versioned data.
//!
//! A rule ([`RuleDef`]) is JSON an operator writes: a trigger (event type), an optional schedule
//! and audience, a condition and a points formula in a small typed expression language
//! ([`expr`]), caps, a budget and a stacking mode. Compiling checks all of it; the evaluator
//! ([`evaluate`]) takes the compiled rules of a programme, one event's variables and the
//! counters the caller loaded, and returns the awards with an explanation of every rule.
//!
//! Like the ledger, this crate does no IO and reads no clock: time, the time zone and the
//! counters are passed in.

pub mod eval;
pub mod expr;
pub mod rule;
pub mod sample;
pub mod shape;
pub mod signin;
pub mod vars;

pub use eval::{
    Award, Counter, CounterKey, Evaluation, EventInput, Explain, Outcome, RuleSet, TriggerCap,
    evaluate, needed_counters, period_key,
};
pub use expr::{Expr, Type, Value};
pub use rule::{
    Audience, Cap, CompiledRule, Period, RuleDef, RuleError, Schedule, Stacking, Trigger,
};
pub use vars::Vars;

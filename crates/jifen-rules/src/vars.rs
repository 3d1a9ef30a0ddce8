//! The variables rules can read, the triggers that supply them, and the slot layout the
//! evaluator uses. One table is the single source: the schema a rule is checked against, the
//! documentation the API serves, and the sample context a rule is trial-evaluated with.

use crate::Trigger;
use crate::expr::{Schema, Type, Value};

/// Which triggers supply a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every event.
    All,
    Purchase,
    SignIn,
    Review,
    Referral,
}

impl Scope {
    fn covers(self, t: &Trigger) -> bool {
        match self {
            Scope::All => true,
            Scope::Purchase => *t == Trigger::Purchase,
            Scope::SignIn => *t == Trigger::SignIn,
            Scope::Review => *t == Trigger::Review,
            Scope::Referral => *t == Trigger::Referral,
        }
    }
}

/// One variable: name, type, who supplies it, what it means, and a sample value used to
/// trial-evaluate rules when they are saved.
pub struct Var {
    pub name: &'static str,
    pub ty: Type,
    pub scope: Scope,
    pub doc: &'static str,
    sample: fn() -> Value,
}

macro_rules! vars {
    ($($name:literal, $ty:ident, $scope:ident, $doc:literal, $sample:expr;)*) => {
        /// Every variable, in slot order.
        pub const VARS: &[Var] = &[$(Var { name: $name, ty: Type::$ty, scope: Scope::$scope, doc: $doc, sample: || $sample },)*];
    };
}

vars! {
    "event.channel", Str, All, "channel the event came from (app, web, mini_program, pos)", Value::Str("app".into());
    "event.tags", List, All, "tags the caller attached to the event", Value::List(vec![]);
    "event.ints", Map, All, "integer attributes the caller attached (event.ints[\"minutes\"])", Value::Map(Default::default());
    "member.tier", Str, All, "the member's tier code (empty until tiers are configured)", Value::Str(String::new());
    "member.tier_multiplier", Int, All, "the earning multiplier of the member's tier, in percent (100 = 1x; 100 without tiers)", Value::Int(100);
    "member.segments", List, All, "segments the member belongs to", Value::List(vec![]);
    "member.days_since_joined", Int, All, "whole days since the member joined, in the programme's time zone", Value::Int(100);
    "member.order_count", Int, All, "purchases the member made before this event", Value::Int(3);
    "now.hour", Int, All, "hour of day 0-23 in the programme's time zone", Value::Int(12);
    "now.weekday", Int, All, "day of week, 1 = Monday ... 7 = Sunday", Value::Int(6);
    "now.day", Int, All, "day of month 1-31", Value::Int(15);
    "now.month", Int, All, "month 1-12", Value::Int(6);
    "order.amount", Int, Purchase, "what the member paid, minus shipping, in minor units (fen)", Value::Int(12_800);
    "order.shipping", Int, Purchase, "shipping charged, in minor units (earns nothing by default)", Value::Int(0);
    "order.item_count", Int, Purchase, "items bought (sum of line quantities)", Value::Int(2);
    "order.categories", List, Purchase, "categories of the order's lines", Value::List(vec!["coffee".into()]);
    "order.skus", List, Purchase, "SKUs of the order's lines", Value::List(vec!["SKU-1".into()]);
    "order.category_amount", Map, Purchase, "paid amount per category in minor units, discounts spread over lines", Value::Map([("coffee".to_string(), 12_800)].into_iter().collect());
    "order.sku_amount", Map, Purchase, "paid amount per SKU in minor units", Value::Map([("SKU-1".to_string(), 12_800)].into_iter().collect());
    "base_points", Int, Purchase, "points the programme's base rate gives this order", Value::Int(128);
    "month.orders", Int, Purchase, "the member's purchases this calendar month not fully refunded, this one included", Value::Int(3);
    "month.spend", Int, Purchase, "the member's paid amount this calendar month net of refunds, in minor units", Value::Int(100_000);
    "streak.day", Int, SignIn, "day of the current sign-in streak, this sign-in included (1 on the first day)", Value::Int(7);
    "streak.total", Int, SignIn, "the member's sign-ins in all, this one included", Value::Int(30);
    "sign_in.makeup", Bool, SignIn, "true for a make-up sign-in (补签) of a missed day", Value::Bool(false);
    "review.text_length", Int, Review, "characters of review text", Value::Int(80);
    "review.photos", Int, Review, "photos attached to the review", Value::Int(1);
    "referral.role", Str, Referral, "inviter or invitee", Value::Str("inviter".into());
    "referral.stage", Str, Referral, "sign_up or first_purchase", Value::Str("sign_up".into());
}

/// The slot of a variable by name; panics on a name not in the table (a programming error).
pub fn slot(name: &str) -> usize {
    VARS.iter()
        .position(|v| v.name == name)
        .unwrap_or_else(|| panic!("{name} is a variable"))
}

/// Slot values all zero: what the caller fills in for one event.
pub fn blank() -> Vec<Value> {
    VARS.iter().map(|v| Value::zero(v.ty)).collect()
}

/// Sample values for trial evaluation.
pub fn sample() -> Vec<Value> {
    VARS.iter().map(|v| (v.sample)()).collect()
}

/// Variables `month.orders` and `month.spend`: rules reading them are re-evaluated when any
/// order of the month is refunded.
pub fn is_month_var(slot: usize) -> bool {
    VARS[slot].name.starts_with("month.")
}

/// The variables one trigger supplies.
pub struct TriggerSchema<'t>(pub &'t Trigger);

impl Schema for TriggerSchema<'_> {
    fn lookup(&self, name: &str) -> Option<(usize, Type)> {
        VARS.iter()
            .position(|v| v.name == name && v.scope.covers(self.0))
            .map(|i| (i, VARS[i].ty))
    }
    fn names(&self) -> Vec<&str> {
        VARS.iter()
            .filter(|v| v.scope.covers(self.0))
            .map(|v| v.name)
            .collect()
    }
}

/// A typed setter for the slot vector, so callers name variables rather than indexes.
pub struct Vars(pub Vec<Value>);

impl Default for Vars {
    fn default() -> Self {
        Vars(blank())
    }
}

impl Vars {
    pub fn set(&mut self, name: &str, v: Value) -> &mut Self {
        let i = slot(name);
        assert_eq!(VARS[i].ty, v.ty(), "{name} is a {}", VARS[i].ty);
        self.0[i] = v;
        self
    }
    pub fn int(&mut self, name: &str, v: i64) -> &mut Self {
        self.set(name, Value::Int(v))
    }
    pub fn get(&self, name: &str) -> &Value {
        &self.0[slot(name)]
    }
}

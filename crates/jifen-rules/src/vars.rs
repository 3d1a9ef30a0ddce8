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
    /// What it means, in Chinese; code the operator types stands in backticks.
    pub doc_zh: &'static str,
    sample: fn() -> Value,
}

macro_rules! vars {
    ($($name:literal, $ty:ident, $scope:ident, $doc:literal, $doc_zh:literal, $sample:expr;)*) => {
        /// Every variable, in slot order.
        pub const VARS: &[Var] = &[$(Var { name: $name, ty: Type::$ty, scope: Scope::$scope, doc: $doc, doc_zh: $doc_zh, sample: || $sample },)*];
    };
}

vars! {
    "event.channel", Str, All, "channel the event came from (app, web, mini_program, pos)", "事件来自的渠道（`app`、`web`、`mini_program`、`pos`）", Value::Str("app".into());
    "event.tags", List, All, "tags the caller attached to the event", "调用方给事件加的标签", Value::List(vec![]);
    "event.ints", Map, All, "integer attributes the caller attached (event.ints[\"minutes\"])", "调用方附带的整数属性（`event.ints[\"minutes\"]`）", Value::Map(Default::default());
    "member.tier", Str, All, "the member's tier code (empty until tiers are configured)", "会员等级的编码（未设置等级时为空）", Value::Str(String::new());
    "member.tier_multiplier", Int, All, "the earning multiplier of the member's tier, in percent (100 = 1x; 100 without tiers)", "会员等级的积分倍率，百分数（100 即 1 倍；无等级时为 100）", Value::Int(100);
    "member.segments", List, All, "segments the member belongs to", "会员所在的分群", Value::List(vec![]);
    "member.days_since_joined", Int, All, "whole days since the member joined, in the programme's time zone", "入会至今的整天数，按计划的时区", Value::Int(100);
    "member.order_count", Int, All, "purchases the member made before this event", "本事件之前会员的消费次数", Value::Int(3);
    "now.hour", Int, All, "hour of day 0-23 in the programme's time zone", "当地时间的小时，0–23", Value::Int(12);
    "now.weekday", Int, All, "day of week, 1 = Monday ... 7 = Sunday", "星期几，1 为周一 … 7 为周日", Value::Int(6);
    "now.day", Int, All, "day of month 1-31", "当月第几天，1–31", Value::Int(15);
    "now.month", Int, All, "month 1-12", "月份，1–12", Value::Int(6);
    "order.amount", Int, Purchase, "what the member paid, minus shipping, in minor units (fen)", "会员实付金额（不含运费），单位为分", Value::Int(12_800);
    "order.shipping", Int, Purchase, "shipping charged, in minor units (earns nothing by default)", "运费，单位为分（默认不计积分）", Value::Int(0);
    "order.item_count", Int, Purchase, "items bought (sum of line quantities)", "购买件数（各行数量之和）", Value::Int(2);
    "order.categories", List, Purchase, "categories of the order's lines", "订单各行商品的分类", Value::List(vec!["coffee".into()]);
    "order.skus", List, Purchase, "SKUs of the order's lines", "订单各行商品的 SKU", Value::List(vec!["SKU-1".into()]);
    "order.category_amount", Map, Purchase, "paid amount per category in minor units, discounts spread over lines", "按分类的实付金额，单位为分，优惠分摊到各行", Value::Map([("coffee".to_string(), 12_800)].into_iter().collect());
    "order.sku_amount", Map, Purchase, "paid amount per SKU in minor units", "按 SKU 的实付金额，单位为分", Value::Map([("SKU-1".to_string(), 12_800)].into_iter().collect());
    "base_points", Int, Purchase, "points the programme's base rate gives this order", "按计划基础比例本单可得的积分", Value::Int(128);
    "month.orders", Int, Purchase, "the member's purchases this calendar month not fully refunded, this one included", "会员本自然月未全额退款的消费次数，含本单", Value::Int(3);
    "month.spend", Int, Purchase, "the member's paid amount this calendar month net of refunds, in minor units", "会员本自然月扣除退款后的实付金额，单位为分", Value::Int(100_000);
    "streak.day", Int, SignIn, "day of the current sign-in streak, this sign-in included (1 on the first day)", "当前连续签到的第几天，含本次（首日为 1）", Value::Int(7);
    "streak.total", Int, SignIn, "the member's sign-ins in all, this one included", "会员累计签到次数，含本次", Value::Int(30);
    "sign_in.makeup", Bool, SignIn, "true for a make-up sign-in (补签) of a missed day", "是否为补签（补签缺的那天时为 `true`）", Value::Bool(false);
    "review.text_length", Int, Review, "characters of review text", "评价文字的字数", Value::Int(80);
    "review.photos", Int, Review, "photos attached to the review", "评价附带的图片数", Value::Int(1);
    "referral.role", Str, Referral, "inviter or invitee", "邀请人（`inviter`）或被邀请人（`invitee`）", Value::Str("inviter".into());
    "referral.stage", Str, Referral, "sign_up or first_purchase", "注册（`sign_up`）或首单（`first_purchase`）", Value::Str("sign_up".into());
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

#[cfg(test)]
mod words_tests {
    use super::VARS;

    /// Every variable says what it means in Chinese too.
    #[test]
    fn every_variable_has_chinese_words() {
        for v in VARS {
            assert!(
                v.doc_zh
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{} has no Chinese description",
                v.name
            );
            assert_eq!(
                v.doc_zh.matches('`').count() % 2,
                0,
                "{}: unpaired backtick",
                v.name
            );
        }
    }
}

//! What the ledger commands answer, as typed views: a member's creation, purchases and
//! behaviour events (what was credited, by which rules, pending or held), refunds, spends and
//! reservations, transfers, adjustments and merges. Several commands share a shape: a spend
//! refund and a checkout deduction refund answer the same view, a reservation and a checkout
//! deduction the same.

use jifen_ledger::ops::{RestoreOutcome, ReversalOutcome};
use jifen_ledger::{LotId, MemberId, Millis, PointType, TransferId};
use jifen_store::ReservationState;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::earn::HoldOpened;
use crate::tiers::{TierAfterRefund, TierUpgrade};
use crate::views::MemberView;

/// The schema of a point type: `points` or `growth`.
fn point_type_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": ["points", "growth"]})
}

/// A value per point type, each present only when that point type has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "{T}ByPointType")]
pub struct PerPointType<T> {
    /// For spendable points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<T>,
    /// For growth value (成长值).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<T>,
}

impl<T> Default for PerPointType<T> {
    fn default() -> Self {
        PerPointType {
            points: None,
            growth: None,
        }
    }
}

impl<T> PerPointType<T> {
    /// The value of one point type.
    pub fn get(&self, pt: PointType) -> Option<&T> {
        match pt {
            PointType::Points => self.points.as_ref(),
            PointType::Growth => self.growth.as_ref(),
        }
    }

    /// Sets the value of one point type.
    pub fn set(&mut self, pt: PointType, v: T) {
        match pt {
            PointType::Points => self.points = Some(v),
            PointType::Growth => self.growth = Some(v),
        }
    }
}

/// Points and growth value together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PointsAndGrowth {
    /// Spendable points.
    pub points: i64,
    /// Growth value (成长值).
    pub growth: i64,
}

/// What a purchase's base rate credited in one point type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EarnedLine {
    /// The points credited.
    pub amount: i64,
    /// `available` or `pending` (in the return window, or while the member is frozen).
    pub status: String,
    /// When the points become spendable.
    pub available_at: Millis,
    /// When the points expire; `null` for never.
    pub expires_at: Option<Millis>,
    /// The ledger transfer that credited them.
    #[schemars(with = "i64")]
    pub transfer_id: TransferId,
}

/// What one earning rule paid for an event or a purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AwardLine {
    /// The rule that paid.
    pub rule_id: i64,
    /// The rule's version that paid.
    pub rule_version: i64,
    /// The rule's name.
    pub name: String,
    /// What the award credits.
    #[schemars(schema_with = "point_type_schema")]
    pub point_type: PointType,
    /// The points awarded.
    pub points: i64,
    /// The ledger transfer that credited them (awards with the same dates share one).
    #[schemars(with = "i64")]
    pub transfer_id: TransferId,
    /// `available`, `pending`, or `held` for review by a risk hold.
    pub status: String,
    /// When the points become spendable.
    pub available_at: Millis,
    /// When the points expire; `null` for never.
    pub expires_at: Option<Millis>,
}

/// Why one earning rule did or did not pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleLine {
    /// The rule.
    pub rule_id: i64,
    /// The rule's version evaluated.
    pub rule_version: i64,
    /// The rule's name.
    pub name: String,
    /// `fired`, `outside_schedule`, `not_in_audience`, `condition_false`, `no_points`,
    /// `cap_reached`, `budget_exhausted`, `excluded`, `outranked` or `error`.
    pub outcome: String,
    /// The points of a rule that fired.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points: i64,
    /// What cut or excluded the award, when something did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl From<&jifen_rules::Explain> for RuleLine {
    fn from(e: &jifen_rules::Explain) -> Self {
        let outcome = serde_json::to_value(e.outcome).expect("an outcome serializes");
        RuleLine {
            rule_id: e.rule_id,
            rule_version: e.rule_version,
            name: e.name.to_string(),
            outcome: outcome.as_str().unwrap_or_default().to_string(),
            points: e.points,
            detail: e.detail.clone(),
        }
    }
}

/// The rules' part of an earn: what each rule paid and why each did or did not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleAwards {
    /// One line per award.
    pub awards: Vec<AwardLine>,
    /// One line per rule evaluated.
    pub rules: Vec<RuleLine>,
}

/// The answer to a purchase: what the base rate earned and, when the programme has purchase
/// rules, the totals with the rules' awards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PurchaseResult {
    /// The merchant's order id.
    pub order_id: String,
    /// The member who bought.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// What the member paid, in minor units.
    pub amount_minor: i64,
    /// The currency paid in.
    pub currency: String,
    /// What the base rate credited, per point type.
    pub earned: PerPointType<EarnedLine>,
    /// The base rate and the rules together (only when the programme has purchase rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<PointsAndGrowth>,
    /// What each purchase rule paid (only when the programme has purchase rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awards: Option<Vec<AwardLine>>,
    /// Why each purchase rule did or did not pay (only when the programme has purchase rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<RuleLine>>,
    /// The tier the purchase moved the member to, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_change: Option<TierUpgrade>,
    /// On the first purchase of an invited member: what the referral rules paid each side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_rewards: Option<Vec<SystemEventResult>>,
}

/// A sign-in's day, in the answer to a sign-in event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignInDay {
    /// The day signed in, `YYYY-MM-DD`.
    pub day: String,
    /// Whether it was a make-up sign-in (补签) for a missed day.
    pub makeup: bool,
    /// What the make-up sign-in cost.
    pub makeup_cost_points: i64,
    /// The day of the streak this sign-in makes.
    pub streak_day: i64,
    /// The member's sign-ins in all.
    pub total: i64,
}

/// The answer to a behaviour event: what its rules credited, and what else it brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventResult {
    /// The caller's event id (`null` for sign-ins and sign-ups without one).
    pub event_id: Option<String>,
    /// The event type.
    #[serde(rename = "type")]
    pub trigger: String,
    /// The member.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// When the event occurred.
    pub occurred_at: Millis,
    /// The rules' awards in all.
    pub awarded: PointsAndGrowth,
    /// What each rule paid.
    pub awards: Vec<AwardLine>,
    /// Why each rule did or did not pay.
    pub rules: Vec<RuleLine>,
    /// The risk hold the awards wait in for review, if one was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_hold: Option<HoldOpened>,
    /// The tier the event moved the member to, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_change: Option<TierUpgrade>,
    /// The lotteries that granted a free draw for this event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lottery_draws_granted: Vec<String>,
    /// For a sign-in: its day and streak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignInDay>,
}

/// What the rules of an event the system raises itself paid (a sign-up, one side of a
/// referral, a birthday...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SystemEventResult {
    /// The event type: `sign_up`, `referral`, `birthday` or `anniversary`.
    #[serde(rename = "type")]
    pub trigger: String,
    /// The member paid.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The rules' awards in all.
    pub awarded: PointsAndGrowth,
    /// What each rule paid.
    pub awards: Vec<AwardLine>,
    /// Why each rule did or did not pay.
    pub rules: Vec<RuleLine>,
    /// The risk hold the awards wait in for review, if one was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_hold: Option<HoldOpened>,
    /// For a referral: the member's side, `invitee` or `inviter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For a referral: `sign_up` or `first_purchase`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// Where the points of a reversed earn came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reversal {
    /// The points to take back.
    pub requested: i64,
    /// Still pending on the order's own lots: voided before they vested.
    pub from_order_pending: i64,
    /// Unspent on the order's own lots.
    pub from_order_available: i64,
    /// Already gone by expiry: nothing to take back.
    pub covered_by_expiry: i64,
    /// Taken from the member's other pending points.
    pub from_other_pending: i64,
    /// Taken from the member's other available points.
    pub from_other_available: i64,
    /// Could not be taken back and is now owed by the member.
    pub to_debt: i64,
    /// Could not be taken back and the programme wrote it off.
    pub written_off: i64,
}

impl From<ReversalOutcome> for Reversal {
    fn from(o: ReversalOutcome) -> Self {
        Reversal {
            requested: o.requested,
            from_order_pending: o.from_order_pending,
            from_order_available: o.from_order_available,
            covered_by_expiry: o.covered_by_expiry,
            from_other_pending: o.from_other_pending,
            from_other_available: o.from_other_available,
            to_debt: o.to_debt,
            written_off: o.written_off,
        }
    }
}

/// Another order's bonus taken back because a refund undid what qualified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BonusReversal {
    /// The order whose bonus was taken back.
    pub order_id: String,
    /// What was taken back, per point type.
    pub reversed: PerPointType<Reversal>,
}

/// The referral rewards of a first purchase taken back from one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReferralTaken {
    /// The member they were taken from (the survivor of a merge).
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The points taken back.
    pub points: i64,
    /// The growth value taken back.
    pub growth: i64,
}

/// The referral rewards of the invitee's first purchase, taken back from both sides when that
/// order is refunded in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReferralReversed {
    /// From the invited member.
    pub invitee: ReferralTaken,
    /// From the member who invited them.
    pub inviter: ReferralTaken,
}

/// The answer to a refund of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefundResult {
    /// The merchant's order id.
    pub order_id: String,
    /// The member who bought.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// What this refund gave back, in minor units.
    pub refunded_minor: i64,
    /// What the order has had refunded in all.
    pub order_refunded_minor: i64,
    /// What the order paid.
    pub order_paid_minor: i64,
    /// What was taken back, per point type.
    pub reversed: PerPointType<Reversal>,
    /// Bonuses of other orders that no longer qualify.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bonuses_reversed: Vec<BonusReversal>,
    /// The referral rewards taken back when the invitee's first order is refunded in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_reversed: Option<ReferralReversed>,
    /// What the refund did to the member's tier, if anything: moved them down, or kept them
    /// at it until the refund grace ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_change: Option<TierAfterRefund>,
}

/// Points a spend drew from one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Draw {
    /// The lot.
    #[schemars(with = "i64")]
    pub lot_id: LotId,
    /// The points drawn from it.
    pub amount: i64,
}

/// The answer to a spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SpendResult {
    /// The spend's transfer: refund it with `POST /api/v1/spends/{transfer_id}/refunds`.
    #[schemars(with = "i64")]
    pub transfer_id: TransferId,
    /// The member who spent.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The points spent.
    pub amount: i64,
    /// The lots the points came from, soonest to expire first.
    pub draws: Vec<Draw>,
}

/// A reservation (or a checkout deduction, which is one): points held until posted or voided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Reservation")]
pub struct ReservationView {
    /// The reservation's id (its transfer).
    #[schemars(with = "i64")]
    pub reservation_id: TransferId,
    /// The member whose points are held.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The points held.
    pub amount: i64,
    /// `open`, `posted` or `voided`.
    pub state: ReservationState,
    /// When the jobs void it unless it is settled.
    pub expires_at: Millis,
    /// The merchant's reference.
    pub order_ref: Option<String>,
    /// On a void: the part of the points whose lots expired meanwhile, expired at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_expired: Option<i64>,
}

/// The answer to a refund of a spend, a posted reservation or a checkout deduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RedemptionRefundResult {
    /// The refund's transfer.
    #[schemars(with = "i64")]
    pub transfer_id: TransferId,
    /// The spend or reservation refunded.
    #[schemars(with = "i64")]
    pub refund_of: TransferId,
    /// The member.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The points given back.
    pub restored: i64,
    /// Part of `restored` whose lot had expired meanwhile: restored, then expired at once.
    pub restored_expired: i64,
    /// What may still be refunded.
    pub still_refundable: i64,
}

impl RedemptionRefundResult {
    /// The answer from what the ledger restored.
    pub fn new(
        transfer_id: TransferId,
        refund_of: TransferId,
        member_id: MemberId,
        out: RestoreOutcome,
        restorable: i64,
    ) -> Self {
        RedemptionRefundResult {
            transfer_id,
            refund_of,
            member_id,
            restored: out.restored,
            restored_expired: out.restored_expired,
            still_refundable: restorable - out.restored,
        }
    }
}

/// The answer to a transfer between members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TransferResult {
    /// The transfer.
    #[schemars(with = "i64")]
    pub transfer_id: TransferId,
    /// The member who gave.
    #[schemars(with = "i64")]
    pub from_member_id: MemberId,
    /// The member who received.
    #[schemars(with = "i64")]
    pub to_member_id: MemberId,
    /// The points moved.
    pub amount: i64,
}

/// The answer to a manual adjustment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AdjustmentResult {
    /// The adjustment's transfer.
    #[schemars(with = "i64")]
    pub transfer_id: TransferId,
    /// The member adjusted.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// Positive credited, negative debited.
    pub delta: i64,
    /// What was adjusted.
    #[schemars(schema_with = "point_type_schema")]
    pub point_type: PointType,
}

/// What a merge moved of one point type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Moved {
    /// The points of the open lots moved.
    pub points: i64,
    /// The debt moved with them.
    pub debt: i64,
}

/// The answer to a merge of one member into another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MergeResult {
    /// The member that disappeared.
    #[schemars(with = "i64")]
    pub from_member_id: MemberId,
    /// The member that received everything.
    #[schemars(with = "i64")]
    pub into_member_id: MemberId,
    /// What moved, per point type.
    pub moved: PerPointType<Moved>,
}

/// The answer to a member's creation: the member, and what the sign-up and referral rules paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberCreated {
    /// The member created.
    #[serde(flatten)]
    pub member: MemberView,
    /// What the sign-up and referral rules paid, the new member and their inviter (only when
    /// such rules are active).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewards: Vec<SystemEventResult>,
}

//! What tier moves answer, as typed views: an upgrade with the gift and coupons it paid, a move
//! down after a refund with the gifts it took back, or the re-check a refund grace puts off.

use jifen_ledger::{Millis, TransferId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::commands::Reversal;
use crate::coupons::CouponView;

/// A monthly coupon: issued, or skipped with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MonthlyCoupon {
    /// The coupon issued.
    Issued(Box<CouponView>),
    /// A coupon the template refused to issue.
    Skipped {
        /// The template's code.
        template: String,
        /// Why it was not issued.
        skipped: String,
    },
}

/// A gift's coupon the template refused to issue (the gift's points are paid all the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CouponSkipped {
    /// The template's code.
    pub template: String,
    /// Why it was not issued.
    pub reason: String,
}

/// A gift paid (a tier-up or a birthday gift): its points as their own lot, and its coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GiftPaid {
    /// The gift's key: each key is paid once.
    pub key: String,
    /// The points of the gift.
    pub points: i64,
    /// The ledger transfer that credited the points (when the gift has points).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<i64>")]
    pub transfer_id: Option<TransferId>,
    /// The coupon issued (when the gift has a coupon the template could issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<CouponView>,
    /// The gift's coupon the template refused to issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_skipped: Option<CouponSkipped>,
}

/// A member moved up the ladder in the request that crossed the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TierUpgrade {
    /// The tier left.
    pub from: String,
    /// The tier reached.
    pub to: String,
    /// The ladder's metric over its window, now.
    pub metric_value: i64,
    /// What moved the member: `purchase <order id>`, `event <event id>`...
    pub cause: String,
    /// The new tier's tier-up gift, the first time the member reaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift: Option<GiftPaid>,
    /// This month's coupons of the new tier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monthly_coupons: Vec<MonthlyCoupon>,
}

/// A tier-up coupon still kept by the member because it was already used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CouponKept {
    /// The coupon's code.
    pub code: String,
    /// Its status (not `issued`).
    pub status: String,
}

/// The tier-up gift of a tier left, taken back because a refunded order earned that tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GiftTakenBack {
    /// The tier whose gift it was.
    pub tier: String,
    /// The gift's points.
    pub points: i64,
    /// Where the points taken back came from (when the gift had points).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversed: Option<Reversal>,
    /// The gift's coupon, voided because it was still unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_voided: Option<String>,
    /// The gift's coupon, kept because it was used already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_kept: Option<CouponKept>,
}

/// A member moved down the ladder after a refund (at once, or by the re-check after the
/// ladder's refund grace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TierDowngrade {
    /// The tier left.
    pub from: String,
    /// The tier the metric still reaches.
    pub to: String,
    /// The ladder's metric over its window, now.
    pub metric_value: i64,
    /// What moved the member: `refund <order id>` or `refund re-check`.
    pub cause: String,
    /// The tier-up gifts taken back, of the tiers left that a refunded order earned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gifts_taken_back: Vec<GiftTakenBack>,
}

/// A member below their tier after a refund, kept at it until the refund grace ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TierRecheck {
    /// The tier the member keeps for now.
    pub tier: String,
    /// The ladder's metric over its window, now.
    pub metric_value: i64,
    /// When the jobs check the member again.
    pub recheck_at: Millis,
}

/// What a refund did to the member's tier: moved them down, or put it off to a re-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TierAfterRefund {
    /// Moved down now.
    Down(TierDowngrade),
    /// Kept until the refund grace ends.
    Recheck(TierRecheck),
}

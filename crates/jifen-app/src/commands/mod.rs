//! The ledger's use cases. Each function runs inside a writer's transaction, reads what it needs
//! (locking the member's accounts first), decides with the pure ledger, and only then writes.
//! A function that returns an error has written nothing.

mod answers;
mod checks;
mod jobs;
mod members;
mod purchases;
mod refunds;
mod resolve;
mod spends;
mod transfers;

pub use answers::{
    AdjustmentResult, AwardLine, BonusReversal, Draw, EarnedLine, EventResult, MemberCreated,
    MergeResult, Moved, PerPointType, PointsAndGrowth, PurchaseResult, RedemptionRefundResult,
    ReferralReversed, ReferralTaken, RefundResult, ReservationView, Reversal, RuleAwards, RuleLine,
    SignInDay, SpendResult, SystemEventResult, TransferResult,
};
pub use checks::normalize_external_id;
pub(crate) use checks::{check_channel, check_id, check_reason_pub};
pub use jobs::{JOB_STEP_LOTS, expire_step, reservation_timeout_step, vest_step};
pub use members::{NewMember, add_identity, create_member, validate_profile};
pub use purchases::{EarnDecision, LineItem, Purchase, base_earn, purchase};
pub(crate) use refunds::reverse_ref;
pub use refunds::{Refund, refund};
pub use resolve::{MemberRef, resolve};
pub(crate) use resolve::{books, resolve_locked, survivor};
pub use spends::{
    RedemptionRefund, Reserve, Spend, post_reservation, post_reservation_by, refund_redemption,
    refund_redemption_by, reserve, spend, void_reservation, void_reservation_by,
};
pub use transfers::{Adjustment, MemberTransfer, Merge, adjust, merge, transfer};

/// Longest text accepted for ids given by callers (order ids, external ids, references).
pub const ID_LEN_MAX: usize = 128;
/// Longest free-text reason.
pub const REASON_LEN_MAX: usize = 500;
/// Largest money amount in minor units (10^13 fen = 100 billion yuan): far beyond any order,
/// and small enough that `amount * rate` never overflows.
pub const MONEY_MINOR_MAX: i64 = 10_000_000_000_000;
/// How far ahead of the server's clock a purchase time may be (clock skew between systems).
pub const OCCURRED_AHEAD_MAX_MS: i64 = 5 * 60_000;
/// The earliest purchase time accepted (2000-01-01T00:00:00Z): older history is not loyalty data,
/// and the bound keeps every computed date far inside the calendar's range.
pub const OCCURRED_AT_MIN: i64 = 946_684_800_000;
/// Line items one purchase may carry.
pub const LINES_MAX: usize = 500;
/// How long a reservation stays open when the caller does not say.
pub const RESERVATION_TTL_DEFAULT_SECONDS: i64 = 30 * 60;
/// The longest a reservation may stay open.
pub const RESERVATION_TTL_MAX_SECONDS: i64 = 30 * 86_400;

//! Row types: what the store reads and writes besides the ledger's own types.

use jifen_ledger::policy::LedgerPolicy;
use jifen_ledger::{AccountId, MemberId, Millis, PointType, ProgramId, SystemAccount, TransferId};
use serde::{Deserialize, Serialize};

/// A loyalty programme: a brand's points scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub id: ProgramId,
    pub code: String,
    pub name: String,
    /// ISO 4217 code of the currency purchases are paid in.
    pub currency: String,
    /// IANA time zone that calendar rules (validity, days) use.
    pub timezone: String,
    pub policy: LedgerPolicy,
    pub created_at: Millis,
}

/// The programme's system accounts, one per kind and point type.
#[derive(Debug, Clone, Default)]
pub struct SystemAccounts(pub Vec<(SystemAccount, PointType, AccountId)>);

impl SystemAccounts {
    pub fn get(&self, kind: SystemAccount, pt: PointType) -> AccountId {
        self.0
            .iter()
            .find(|(k, p, _)| *k == kind && *p == pt)
            .map(|x| x.2)
            .unwrap_or_else(|| panic!("system account {kind:?}/{pt:?} exists for every programme"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MemberProfile {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: MemberId,
    pub program: ProgramId,
    #[serde(flatten)]
    pub profile: MemberProfile,
    /// `active`, `frozen` or `merged`.
    pub status: String,
    pub merged_into: Option<MemberId>,
    pub created_at: Millis,
}

/// One of a member's identities: an id in one of the merchant's channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "MemberIdentity")]
pub struct Identity {
    pub channel: String,
    pub external_id: String,
}

/// A member's two accounts of one point type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberAccounts {
    pub balance: AccountId,
    pub debt: AccountId,
}

/// A purchase as recorded, with what it earned and what refunds took back so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub program: ProgramId,
    pub order_id: String,
    pub member: MemberId,
    pub paid_minor: i64,
    pub currency: String,
    pub refunded_minor: i64,
    pub points_earned: i64,
    pub points_reversed: i64,
    /// Part of `points_reversed` that had already expired (nothing was taken from the member).
    pub points_expiry_covered: i64,
    pub growth_earned: i64,
    pub growth_reversed: i64,
    pub lines_json: String,
    pub created_at: Millis,
}

impl Order {
    pub fn earned(&self, pt: PointType) -> i64 {
        match pt {
            PointType::Points => self.points_earned,
            PointType::Growth => self.growth_earned,
        }
    }
    pub fn reversed(&self, pt: PointType) -> i64 {
        match pt {
            PointType::Points => self.points_reversed,
            PointType::Growth => self.growth_reversed,
        }
    }
}

/// Where a reservation stands: `open` until posted or voided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationState {
    Open,
    Posted,
    Voided,
}

impl ReservationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Open => "open",
            ReservationState::Posted => "posted",
            ReservationState::Voided => "voided",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => ReservationState::Open,
            "posted" => ReservationState::Posted,
            "voided" => ReservationState::Voided,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub program: ProgramId,
    /// The pending transfer that holds the points; also the reservation's id.
    pub transfer: TransferId,
    pub member: MemberId,
    pub amount: i64,
    pub state: ReservationState,
    /// An open reservation is voided by the jobs after this time.
    pub expires_at: Millis,
    pub order_ref: Option<String>,
    pub created_at: Millis,
    /// The higher-level object that moves this reservation's points; `None` for one the
    /// merchant's system made through the reservation API.
    pub owner: Option<ReservationOwner>,
}

/// What a reservation belongs to. A reservation with an owner is posted, voided and refunded
/// only through that owner, so that its state and the owner's never disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReservationOwner {
    /// A points-mall order, by its id.
    MallOrder { order_id: i64 },
    /// A points deduction at the merchant's checkout, by the merchant's order id.
    Checkout { order_id: String },
}

impl ReservationOwner {
    pub fn kind(&self) -> &'static str {
        match self {
            ReservationOwner::MallOrder { .. } => "mall_order",
            ReservationOwner::Checkout { .. } => "checkout",
        }
    }
    pub fn reference(&self) -> String {
        match self {
            ReservationOwner::MallOrder { order_id } => order_id.to_string(),
            ReservationOwner::Checkout { order_id } => order_id.clone(),
        }
    }
    pub fn parse(kind: &str, reference: &str) -> Option<Self> {
        Some(match kind {
            "mall_order" => ReservationOwner::MallOrder {
                order_id: reference.parse().ok()?,
            },
            "checkout" => ReservationOwner::Checkout {
                order_id: reference.to_string(),
            },
            _ => return None,
        })
    }
}

/// The stored first answer to an idempotent write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemRecord {
    pub request_hash: String,
    pub status: i64,
    pub response: String,
}

/// The schema of a point type: `points` or `growth`.
pub fn point_type_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": ["points", "growth"]})
}

/// One line of a member's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HistoryLine {
    #[schemars(with = "i64")]
    pub transfer_id: TransferId,
    #[schemars(schema_with = "point_type_schema")]
    pub point_type: PointType,
    /// The ledger code: what the line is (`jifen_domain::words::LEDGER_CODES`, or
    /// `custom:<name>` for a custom event's award).
    pub code: String,
    /// `posted`, `pending`, `post_pending` or `void_pending`.
    pub phase: String,
    /// Signed effect on the member's balance: positive credits, negative debits. For pending
    /// phases, the effect on pending or reserved points.
    pub amount: i64,
    #[schemars(with = "i64")]
    pub member: MemberId,
    #[schemars(with = "Option<i64>")]
    pub counterparty: Option<MemberId>,
    #[schemars(with = "Option<i64>")]
    pub pending_of: Option<TransferId>,
    #[schemars(with = "Option<i64>")]
    pub reversal_of: Option<TransferId>,
    pub order_ref: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub created_at: Millis,
}

/// The four columns of an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountColumns {
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
}

/// How a store lookup names a member.
#[derive(Debug, Clone, Copy)]
pub enum MemberLookup<'a> {
    Id(MemberId),
    External {
        channel: &'a str,
        external_id: &'a str,
    },
}

/// A rule with its current version's definition (JSON of `jifen_rules::RuleDef`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub id: i64,
    pub program: ProgramId,
    /// `draft`, `active`, `paused` or `archived`.
    pub status: String,
    pub version: i64,
    pub definition: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An event as stored: the variables it was evaluated with and what it earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub event_id: String,
    pub trigger: String,
    pub member: MemberId,
    pub occurred_at: Millis,
    /// JSON object of the variables that were not zero.
    pub vars: String,
    pub points: i64,
    pub growth: i64,
}

/// Points one rule version gave for one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardRow {
    /// The award's id (0 before it is stored).
    pub id: i64,
    pub member: MemberId,
    pub event_id: String,
    pub order_id: Option<String>,
    pub rule_id: i64,
    pub rule_version: i64,
    pub point_type: PointType,
    pub points: i64,
    /// Points taken back since by refunds that made the award (partly) no longer qualify.
    pub withdrawn: i64,
    pub transfer: TransferId,
    pub created_at: Millis,
}

/// A counter of one member (0 for the programme) and name: per slot (day, week, month, year,
/// lifetime) the current period's key (`d2026-12-01`, `w2026-W49`, `m2026-12`, `y2026`,
/// `all`) and its points and count. As a change, a slot with no key is left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterRow {
    pub member: i64,
    pub counter: String,
    pub periods: [Option<String>; 5],
    pub points: [i64; 5],
    pub count: [i64; 5],
}

/// The slots of a counter row, in column order.
pub const COUNTER_SLOTS: [&str; 5] = ["day", "week", "month", "year", "all"];

/// Awards of one event held for review because the event looked like abuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskHold {
    pub id: i64,
    pub member: MemberId,
    pub event_id: String,
    pub reason: String,
    /// `open`, `released` or `rejected`.
    pub status: String,
    pub points: i64,
    pub growth: i64,
    pub created_at: Millis,
    pub decided_at: Option<Millis>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
}

/// A member's tier row: the earned tier, since when, and a manual tier staff set, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRow {
    pub tier: String,
    pub since: Millis,
    /// (tier, until, reason, by)
    pub manual: Option<(String, Millis, Option<String>, Option<String>)>,
}

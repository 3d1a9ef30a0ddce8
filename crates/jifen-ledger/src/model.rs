//! The ledger's nouns: accounts, lots, transfers, and the `Posting` that one command produces.

use serde::{Deserialize, Serialize};

/// Unix time in milliseconds. The ledger never reads a clock: every time is passed in.
pub type Millis = i64;

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.0) }
        }
    )*};
}
id_type!(ProgramId, MemberId, AccountId, LotId, TransferId);

/// What a balance counts. Spendable points are spent in the mall; growth value (成长值) only
/// accumulates and drives tiers, so nothing ever spends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum PointType {
    Points,
    Growth,
}

impl PointType {
    pub const ALL: [PointType; 2] = [PointType::Points, PointType::Growth];

    pub fn as_str(self) -> &'static str {
        match self {
            PointType::Points => "points",
            PointType::Growth => "growth",
        }
    }

    pub fn parse(s: &str) -> Option<PointType> {
        match s {
            "points" => Some(PointType::Points),
            "growth" => Some(PointType::Growth),
            _ => None,
        }
    }
}

/// The programme's own accounts: the other side of every transfer that touches a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemAccount {
    /// Points issued for purchases.
    IssuancePurchase,
    /// Points issued by staff adjustments.
    IssuanceManual,
    /// Points issued for behaviour and campaigns (the rules engine's sources).
    IssuanceBehaviour,
    /// Points spent by members.
    Redemption,
    /// Points that reached their expiry date unspent.
    Expiry,
    /// Points taken back because the order that earned them was refunded.
    Reversal,
    /// Shortfalls of reversals that the programme chose not to carry as member debt.
    WriteOff,
}

impl SystemAccount {
    pub const ALL: [SystemAccount; 7] = [
        SystemAccount::IssuancePurchase,
        SystemAccount::IssuanceManual,
        SystemAccount::IssuanceBehaviour,
        SystemAccount::Redemption,
        SystemAccount::Expiry,
        SystemAccount::Reversal,
        SystemAccount::WriteOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SystemAccount::IssuancePurchase => "issuance_purchase",
            SystemAccount::IssuanceManual => "issuance_manual",
            SystemAccount::IssuanceBehaviour => "issuance_behaviour",
            SystemAccount::Redemption => "redemption",
            SystemAccount::Expiry => "expiry",
            SystemAccount::Reversal => "reversal",
            SystemAccount::WriteOff => "write_off",
        }
    }
}

/// The kind of a member's account: the balance itself, or the debt the member owes the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberAccountKind {
    Balance,
    Debt,
}

/// How a transfer moves the two accounts' columns (TigerBeetle's two-phase model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Settled at once.
    Posted,
    /// Held: a reservation, or points earned but not yet vested.
    Pending,
    /// Settles (part of) an earlier pending transfer.
    PostPending,
    /// Releases (part of) an earlier pending transfer.
    VoidPending,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Posted => "posted",
            Phase::Pending => "pending",
            Phase::PostPending => "post_pending",
            Phase::VoidPending => "void_pending",
        }
    }
    pub fn parse(s: &str) -> Option<Phase> {
        Some(match s {
            "posted" => Phase::Posted,
            "pending" => Phase::Pending,
            "post_pending" => Phase::PostPending,
            "void_pending" => Phase::VoidPending,
            _ => return None,
        })
    }
}

/// Why points moved. Stored as text so that rule-defined codes (sign_in, review...) need no migration.
pub mod code {
    pub const PURCHASE: &str = "purchase";
    pub const REFUND_REVERSAL: &str = "refund_reversal";
    pub const REDEMPTION: &str = "redemption";
    pub const RESERVATION: &str = "reservation";
    pub const RESERVATION_POST: &str = "reservation_post";
    pub const RESERVATION_VOID: &str = "reservation_void";
    pub const REDEMPTION_REFUND: &str = "redemption_refund";
    pub const EXPIRY: &str = "expiry";
    pub const VEST: &str = "vest";
    pub const MEMBER_TRANSFER: &str = "member_transfer";
    pub const MANUAL_ADJUSTMENT: &str = "manual_adjustment";
    pub const DEBT_SHORTFALL: &str = "debt_shortfall";
    pub const DEBT_REPAYMENT: &str = "debt_repayment";
    pub const WRITE_OFF: &str = "write_off";
    pub const MERGE: &str = "merge";
    /// Points a risk hold kept from a member, voided after review.
    pub const RISK_REJECTED: &str = "risk_rejected";
    /// A tier benefit: a tier-up or birthday gift.
    pub const TIER_GIFT: &str = "tier_gift";
}

/// Whether a lot's points can be spent yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotStatus {
    /// Earned within a return window; becomes active when it vests.
    Pending,
    Active,
}

impl LotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LotStatus::Pending => "pending",
            LotStatus::Active => "active",
        }
    }
    pub fn parse(s: &str) -> Option<LotStatus> {
        match s {
            "pending" => Some(LotStatus::Pending),
            "active" => Some(LotStatus::Active),
            _ => None,
        }
    }
}

/// A batch of points credited to a member, with where they went since.
///
/// `remaining = amount - spent - expired - reversed - moved`, and `held <= remaining` is the part
/// of `remaining` that open reservations hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub id: LotId,
    pub account: AccountId,
    pub member: MemberId,
    pub point_type: PointType,
    pub status: LotStatus,
    pub amount: i64,
    pub remaining: i64,
    pub held: i64,
    pub spent: i64,
    pub expired: i64,
    pub reversed: i64,
    pub moved: i64,
    pub earned_at: Millis,
    pub available_at: Millis,
    pub expires_at: Option<Millis>,
    /// The transfer that credited the lot; for a pending lot, the pending transfer to post or void.
    pub transfer: TransferId,
    /// The account that transfer debited (the issuance account for earned points).
    pub source_account: AccountId,
    pub order_ref: Option<String>,
}

impl Lot {
    /// Points in the lot that no reservation holds.
    pub fn free(&self) -> i64 {
        self.remaining - self.held
    }

    pub fn is_expired(&self, now: Millis) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether `free()` can be spent now.
    pub fn is_spendable(&self, now: Millis) -> bool {
        self.status == LotStatus::Active && !self.is_expired(now) && self.free() > 0
    }
}

/// Orders lots the way spending draws them: soonest-expiring first, lots that never expire last,
/// ties broken by the oldest earned, then by id so the order is total.
pub fn fefo_sort(lots: &mut [Lot]) {
    lots.sort_by_key(|l| {
        (
            l.expires_at.is_none(),
            l.expires_at.unwrap_or(0),
            l.earned_at,
            l.id,
        )
    });
}

/// A reference to a transfer or lot that is either stored or created earlier in the same posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ref<T> {
    Stored(T),
    New(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTransfer {
    pub code: String,
    pub phase: Phase,
    pub point_type: PointType,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: i64,
    /// The member whose history shows this line (the debited or credited member).
    pub member: Option<MemberId>,
    /// For a transfer between members, the other member.
    pub counterparty: Option<MemberId>,
    /// The pending transfer that a post or void settles.
    pub pending_of: Option<Ref<TransferId>>,
    /// The transfer that this one corrects (a refund of a redemption, a reversal of an earn).
    pub reversal_of: Option<TransferId>,
    pub order_ref: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLot {
    pub transfer: Ref<TransferId>,
    pub source_account: AccountId,
    pub account: AccountId,
    pub member: MemberId,
    pub point_type: PointType,
    pub status: LotStatus,
    pub amount: i64,
    pub earned_at: Millis,
    pub available_at: Millis,
    pub expires_at: Option<Millis>,
    pub order_ref: Option<String>,
    /// The lot this one was carved from by a transfer between members or a merge.
    pub origin: Option<LotId>,
}

/// Changes to a lot's counters; `remaining` moves by minus the sum of the four outflows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotDelta {
    pub held: i64,
    pub spent: i64,
    pub expired: i64,
    pub reversed: i64,
    pub moved: i64,
    pub activate: bool,
}

impl LotDelta {
    pub fn remaining(&self) -> i64 {
        -(self.spent + self.expired + self.reversed + self.moved)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotChange {
    pub lot: Ref<LotId>,
    pub delta: LotDelta,
}

/// Which lot a transfer drew from (or restored to), and how much. This record is what makes
/// reversals exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDraw {
    pub transfer: Ref<TransferId>,
    pub lot: Ref<LotId>,
    pub amount: i64,
}

/// Everything one command writes. The store applies a posting in one transaction; account
/// columns change only as [`Posting::account_deltas`] derives them from the transfers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub transfers: Vec<NewTransfer>,
    pub lots: Vec<NewLot>,
    pub lot_changes: Vec<LotChange>,
    pub draws: Vec<NewDraw>,
}

/// Changes to one account's four columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDelta {
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
}

impl AccountDelta {
    fn debit(&mut self, phase: Phase, amount: i64) {
        match phase {
            Phase::Posted => self.debits_posted += amount,
            Phase::Pending => self.debits_pending += amount,
            Phase::PostPending => {
                self.debits_pending -= amount;
                self.debits_posted += amount;
            }
            Phase::VoidPending => self.debits_pending -= amount,
        }
    }
    fn credit(&mut self, phase: Phase, amount: i64) {
        match phase {
            Phase::Posted => self.credits_posted += amount,
            Phase::Pending => self.credits_pending += amount,
            Phase::PostPending => {
                self.credits_pending -= amount;
                self.credits_posted += amount;
            }
            Phase::VoidPending => self.credits_pending -= amount,
        }
    }
}

impl Posting {
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty() && self.lot_changes.is_empty()
    }

    pub fn push_transfer(&mut self, t: NewTransfer) -> Ref<TransferId> {
        assert!(
            t.amount > 0,
            "a transfer moves a positive amount, got {}",
            t.amount
        );
        assert_ne!(
            t.debit, t.credit,
            "a transfer moves points between two different accounts"
        );
        self.transfers.push(t);
        Ref::New(self.transfers.len() - 1)
    }

    pub fn push_lot(&mut self, lot: NewLot) -> Ref<LotId> {
        assert!(lot.amount > 0, "a lot holds a positive amount");
        self.lots.push(lot);
        Ref::New(self.lots.len() - 1)
    }

    pub fn change_lot(&mut self, lot: Ref<LotId>, delta: LotDelta) {
        self.lot_changes.push(LotChange { lot, delta });
    }

    pub fn draw(&mut self, transfer: Ref<TransferId>, lot: Ref<LotId>, amount: i64) {
        assert!(amount > 0);
        self.draws.push(NewDraw {
            transfer,
            lot,
            amount,
        });
    }

    /// The per-account column changes implied by the transfers, sorted by account id so a store
    /// can lock and update accounts in a fixed order.
    pub fn account_deltas(&self) -> Vec<(AccountId, AccountDelta)> {
        let mut map: std::collections::BTreeMap<AccountId, AccountDelta> = Default::default();
        for t in &self.transfers {
            map.entry(t.debit).or_default().debit(t.phase, t.amount);
            map.entry(t.credit).or_default().credit(t.phase, t.amount);
        }
        map.into_iter().collect()
    }

    /// Appends another posting, renumbering its references to new rows.
    pub fn append(&mut self, other: Posting) {
        let t0 = self.transfers.len();
        let l0 = self.lots.len();
        let shift_t = |r: Ref<TransferId>| match r {
            Ref::New(i) => Ref::New(i + t0),
            s => s,
        };
        let shift_l = |r: Ref<LotId>| match r {
            Ref::New(i) => Ref::New(i + l0),
            s => s,
        };
        for mut t in other.transfers {
            t.pending_of = t.pending_of.map(shift_t);
            self.transfers.push(t);
        }
        for mut l in other.lots {
            l.transfer = shift_t(l.transfer);
            self.lots.push(l);
        }
        for mut c in other.lot_changes {
            c.lot = shift_l(c.lot);
            self.lot_changes.push(c);
        }
        for mut d in other.draws {
            d.transfer = shift_t(d.transfer);
            d.lot = shift_l(d.lot);
            self.draws.push(d);
        }
    }
}

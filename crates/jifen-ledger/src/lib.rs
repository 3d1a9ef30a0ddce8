//! The points ledger of Jifen: pure double-entry bookkeeping for loyalty points.
//!
//! Balances change only through immutable, balanced transfers. Points live in lots with an
//! expiry date and are spent soonest-expiring first; each debit records which lots it drew from,
//! which is what makes refunds exact. Reservations hold points until they are posted or voided.
//!
//! This crate does no IO and reads no clock: callers pass the time in, load the state a command
//! needs, call a function of [`ops`], and store the [`Posting`] it returns. [`invariants::check`]
//! re-checks a whole book; [`memory::MemoryBook`] applies postings in memory for tests.

pub mod invariants;
pub mod memory;
pub mod model;
pub mod ops;
pub mod points;
pub mod policy;

pub use model::*;
pub use points::{POINTS_PER_OPERATION_MAX, Points};

/// A business rule the ledger refused. Each names the numbers a caller needs to explain it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("amount must be positive, got {amount}")]
    NonPositiveAmount { amount: i64 },
    #[error("amount {amount} exceeds the per-operation maximum of {max}")]
    AmountTooLarge { amount: i64, max: i64 },
    #[error("the amount overflows")]
    Overflow,
    #[error("insufficient points: {available} available, {requested} requested")]
    InsufficientPoints { available: i64, requested: i64 },
    #[error("only {restorable} points of this spend remain to be restored, {requested} requested")]
    RestoreExceedsSpend { restorable: i64, requested: i64 },
    #[error("a member cannot transfer points to themselves")]
    SameMember,
    #[error("invalid programme policy: {0}")]
    InvalidPolicy(String),
}

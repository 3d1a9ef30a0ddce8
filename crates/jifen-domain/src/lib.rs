//! Jifen's domain policies beyond the ledger and the earning rules: member tiers first. Like the
//! other pure crates, this one does no IO and reads no clock; times and time zones are passed in.

pub mod coupons;
pub mod lottery;
pub mod mall;
pub mod tiers;

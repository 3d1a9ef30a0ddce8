//! What members and merchants read: balances, lots, history.

use jifen_ledger::{Lot, LotStatus, MemberId, Millis, PointType};
use jifen_store::{Identity, Tx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AppError, ProgramCtx};

/// History lines one page may hold.
pub const HISTORY_PAGE_MAX: i64 = 200;
/// Lots one listing returns.
pub const LOTS_PAGE_MAX: i64 = 500;
/// The furthest ahead "expiring within N days" looks.
pub const EXPIRING_DAYS_MAX: i64 = 3_660;

/// A member's balance of one point type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PointBalance")]
pub struct Balance {
    #[schemars(schema_with = "jifen_store::point_type_schema")]
    pub point_type: PointType,
    /// Spendable now: posted, minus reserved, minus points past expiry the job has not taken yet.
    pub available: i64,
    /// Earned but still in the return window.
    pub pending: i64,
    /// Held by open reservations.
    pub reserved: i64,
    /// Owed to the programme after refunds of spent points; repaid from future credits.
    pub debt: i64,
    /// The window `expiring` looks at, in days.
    pub expiring_within_days: i64,
    /// Available points that expire within that window.
    pub expiring: i64,
    /// What the account has earned, received, spent, lost and moved out over its life.
    pub lifetime: jifen_store::LotTotals,
}

/// A member's two balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberBalance {
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    pub points: Balance,
    pub growth: Balance,
}

/// Both balances of a member, with what expires within `days`.
pub fn member_balance(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
    days: i64,
) -> Result<MemberBalance, AppError> {
    Ok(MemberBalance {
        member_id: member,
        points: balance(tx, ctx, member, PointType::Points, now, days)?,
        growth: balance(tx, ctx, member, PointType::Growth, now, days)?,
    })
}

/// A member: profile, status, identities and both balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberView {
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    /// `active`, `frozen`, `merged` or `erased`.
    pub status: String,
    /// The member this one was merged into.
    #[schemars(with = "Option<i64>")]
    pub merged_into: Option<MemberId>,
    pub created_at: Millis,
    pub identities: Vec<Identity>,
    pub points: Balance,
    pub growth: Balance,
}

pub fn balance(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    pt: PointType,
    now: Millis,
    days: i64,
) -> Result<Balance, AppError> {
    let acc = tx.member_accounts(ctx.program.id, member, pt, false)?;
    let cols = tx.account_columns(acc.balance)?;
    let debt = tx.debt_owed(acc.debt)?;
    let (expiring, past_due) =
        tx.expiring(acc.balance, now, now.saturating_add(days * 86_400_000))?;
    let posted = cols.credits_posted - cols.debits_posted;
    Ok(Balance {
        point_type: pt,
        available: posted - cols.debits_pending - past_due,
        pending: cols.credits_pending,
        reserved: cols.debits_pending,
        debt,
        expiring_within_days: days,
        expiring,
        lifetime: tx.lot_totals(acc.balance)?,
    })
}

pub fn member_view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
) -> Result<MemberView, AppError> {
    let m = tx
        .member(ctx.program.id, member)?
        .ok_or_else(|| AppError::NotFound {
            what: "member",
            id: member.to_string(),
        })?;
    let identities = tx.identities(ctx.program.id, member)?;
    let points = balance(tx, ctx, member, PointType::Points, now, 30)?;
    let growth = balance(tx, ctx, member, PointType::Growth, now, 30)?;
    Ok(MemberView {
        member_id: m.id,
        name: m.profile.name,
        phone: m.profile.phone,
        email: m.profile.email,
        birthday: m.profile.birthday,
        status: m.status,
        merged_into: m.merged_into,
        created_at: m.created_at,
        identities,
        points,
        growth,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct LotView {
    pub lot_id: i64,
    pub point_type: PointType,
    pub status: &'static str,
    pub amount: i64,
    pub remaining: i64,
    pub reserved: i64,
    pub spent: i64,
    pub expired: i64,
    pub reversed: i64,
    pub transferred_out: i64,
    pub earned_at: Millis,
    pub available_at: Millis,
    pub expires_at: Option<Millis>,
    pub order_ref: Option<String>,
    pub transfer_id: i64,
}

pub fn lot_view(l: &Lot, now: Millis) -> LotView {
    let status = match l.status {
        _ if l.remaining == 0 => "closed",
        LotStatus::Pending => "pending",
        LotStatus::Active if l.is_expired(now) => "expiring",
        LotStatus::Active => "available",
    };
    LotView {
        lot_id: l.id.0,
        point_type: l.point_type,
        status,
        amount: l.amount,
        remaining: l.remaining,
        reserved: l.held,
        spent: l.spent,
        expired: l.expired,
        reversed: l.reversed,
        transferred_out: l.moved,
        earned_at: l.earned_at,
        available_at: l.available_at,
        expires_at: l.expires_at,
        order_ref: l.order_ref.clone(),
        transfer_id: l.transfer.0,
    }
}

pub fn lots(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    pt: PointType,
    include_closed: bool,
    now: Millis,
) -> Result<Vec<LotView>, AppError> {
    let acc = tx.member_accounts(ctx.program.id, member, pt, false)?;
    Ok(tx
        .account_lots(acc.balance, include_closed, LOTS_PAGE_MAX)?
        .iter()
        .map(|l| lot_view(l, now))
        .collect())
}

/// A page of a member's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct HistoryPage {
    pub member_id: i64,
    pub lines: Vec<jifen_store::HistoryLine>,
    /// The `before` of the next page; `null` on the last.
    pub next_before: Option<i64>,
}

pub fn history(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    before: Option<i64>,
    limit: i64,
) -> Result<HistoryPage, AppError> {
    let limit = limit.clamp(1, HISTORY_PAGE_MAX);
    let lines = tx.history(ctx.program.id, member, before, limit)?;
    let next = if lines.len() as i64 == limit {
        lines.last().map(|l| l.transfer_id.0)
    } else {
        None
    };
    Ok(HistoryPage {
        member_id: member.0,
        lines,
        next_before: next,
    })
}

//! Transfers between members, staff adjustments and merges.

use jifen_ledger::ops::{self, CreditSpec, Refs};
use jifen_ledger::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, ProgramCtx};

use super::answers::{AdjustmentResult, MergeResult, Moved, PerPointType, TransferResult};
use super::checks::{check_id, check_reason, points};
use super::resolve::{MemberRef, book, refuse_frozen, resolve};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberTransfer {
    pub from: MemberRef,
    pub to: MemberRef,
    pub amount: i64,
    #[serde(default)]
    pub reason: Option<String>,
    /// Where the sender asked from, for the programme's risk checks (as behaviour events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// Moves points from one member to another in `actor`'s name, audited as `member.transfer`.
pub fn transfer(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    t: &MemberTransfer,
) -> Result<TransferResult, AppError> {
    let v = move_points(tx, ctx, now, t)?;
    let target = format!("member:{}", v.from_member_id.0);
    let after = json!({"to": v.to_member_id.0, "amount": v.amount, "transfer_id": v.transfer_id.0});
    let after = Some(after.to_string());
    tx.audit(
        ctx.program.id,
        actor,
        "member.transfer",
        &target,
        None,
        after.as_deref(),
        now,
    )?;
    Ok(v)
}

fn move_points(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    t: &MemberTransfer,
) -> Result<TransferResult, AppError> {
    t.from.validate()?;
    t.to.validate()?;
    check_reason("reason", &t.reason, false)?;
    let amount = points("amount", t.amount)?;
    let from = resolve(tx, ctx, &t.from)?;
    let to = resolve(tx, ctx, &t.to)?;
    refuse_frozen(&from)?;
    refuse_frozen(&to)?;
    if from.id == to.id {
        return Err(LedgerError::SameMember.into());
    }
    // Transferring points (积分转赠) is a tier benefit: tiers may withhold it.
    let tier = crate::tiers::tier_code(tx, ctx, from.id, now)?;
    if !crate::tiers::benefits_of(ctx, &tier).transfer_allowed {
        return Err(AppError::conflict(
            "transfer_not_allowed",
            format!("members at tier {tier} may not transfer points to other members"),
            json!({"member_id": from.id, "tier": tier}),
        ));
    }
    // Lock both members in id order so two opposite transfers cannot deadlock.
    let (first, second) = if from.id < to.id {
        (from.id, to.id)
    } else {
        (to.id, from.id)
    };
    let b1 = book(tx, ctx, first, PointType::Points)?;
    let b2 = book(tx, ctx, second, PointType::Points)?;
    let (from_book, mut to_book) = if first == from.id { (b1, b2) } else { (b2, b1) };
    // The limits are read under both members' locks, so concurrent transfers cannot pass them.
    check_transfer_limits(tx, ctx, now, from.id, to.id, t.amount)?;
    // The risk checks behaviour events get: velocity per device or address, and members per
    // device (accounts funnelling points through one phone). A transfer is refused, not held.
    let mut traces = Vec::new();
    for (key, v) in [
        (jifen_rules::signin::RiskKey::Device, &t.device_id),
        (jifen_rules::signin::RiskKey::Ip, &t.ip),
    ] {
        if let Some(v) = v {
            check_id(key.as_str(), v)?;
            traces.push((key, v.as_str()));
        }
    }
    if let Some(reason) = crate::earn::assess_traces(tx, ctx, from.id, true, &traces, now)? {
        return Err(AppError::conflict(
            "transfer_risk",
            format!("refused by the programme's risk checks: {reason}"),
            json!({"reason": reason}),
        ));
    }
    let lots = tx.spendable_lots(from_book.balance, now)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: None,
        reason: t.reason.clone(),
        actor: None,
    };
    ops::transfer_between(
        &mut posting,
        &lots,
        &from_book,
        &mut to_book,
        amount,
        code::MEMBER_TRANSFER,
        &refs,
        now,
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    crate::earn::note_traces(tx, ctx, from.id, &traces, now)?;
    Ok(TransferResult {
        transfer_id: applied.transfers[0],
        from_member_id: from.id,
        to_member_id: to.id,
        amount: t.amount,
    })
}

/// Refuses a transfer past the programme's limits (`transfer_limit`, naming the limit, what
/// was used and what is left).
fn check_transfer_limits(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    from: MemberId,
    to: MemberId,
    amount: i64,
) -> Result<(), AppError> {
    let l = &ctx.earn.settings.transfers;
    if *l == Default::default() {
        return Ok(());
    }
    let today = crate::earn::local_date(now, &ctx.tz);
    let day = crate::earn::start_of(today, &ctx.tz);
    let month = crate::earn::start_of(today.first_of_month(), &ctx.tz);
    let program = ctx.program.id;
    let refuse = |limit: &str, max: i64, used: i64, what: &str| {
        AppError::conflict(
            "transfer_limit",
            format!("{what}: at most {max}, {used} used"),
            json!({"limit": limit, "max": max, "used": used, "left": (max - used).max(0)}),
        )
    };
    if l.daily_points_max.is_some() || l.daily_count_max.is_some() {
        let (n, points) = tx.member_transfers_since(program, from, day, false)?;
        if let Some(max) = l.daily_count_max
            && n + 1 > max
        {
            return Err(refuse(
                "daily_count_max",
                max,
                n,
                "transfers a member makes in a day",
            ));
        }
        if let Some(max) = l.daily_points_max
            && points + amount > max
        {
            return Err(refuse(
                "daily_points_max",
                max,
                points,
                "points a member gives in a day",
            ));
        }
    }
    if let Some(max) = l.monthly_points_max {
        let (_, points) = tx.member_transfers_since(program, from, month, false)?;
        if points + amount > max {
            return Err(refuse(
                "monthly_points_max",
                max,
                points,
                "points a member gives in a month",
            ));
        }
    }
    if let Some(max) = l.received_daily_points_max {
        let (_, points) = tx.member_transfers_since(program, to, day, true)?;
        if points + amount > max {
            return Err(refuse(
                "received_daily_points_max",
                max,
                points,
                "points a member receives in a day",
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub member: MemberRef,
    /// Positive credits points, negative debits them.
    pub delta: i64,
    #[serde(default = "default_point_type")]
    pub point_type: PointType,
    pub reason: Option<String>,
    /// Who made the adjustment (a staff account or system name).
    pub actor: Option<String>,
}

fn default_point_type() -> PointType {
    PointType::Points
}

impl Adjustment {
    pub fn validate(&self) -> Result<(), AppError> {
        self.member.validate()?;
        check_reason("reason", &self.reason, true)?;
        check_reason("actor", &self.actor, true)?;
        if self.delta == 0 {
            return Err(AppError::invalid("delta", "must not be zero"));
        }
        points("delta", self.delta.checked_abs().unwrap_or(i64::MAX))?;
        Ok(())
    }
}

pub fn adjust(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    a: &Adjustment,
) -> Result<AdjustmentResult, AppError> {
    a.validate()?;
    let amount = points("delta", a.delta.checked_abs().unwrap_or(i64::MAX))?;
    let member = resolve(tx, ctx, &a.member)?;
    let mut b = book(tx, ctx, member.id, a.point_type)?;
    let refs = Refs {
        order_ref: None,
        reason: a.reason.clone(),
        actor: a.actor.clone(),
    };
    let issuer = ctx.system.get(SystemAccount::IssuanceManual, a.point_type);
    let mut posting = Posting::default();
    if a.delta > 0 {
        let expires_at = match a.point_type {
            PointType::Points => ctx.program.policy.validity.expires_at(now, &ctx.tz),
            PointType::Growth => None,
        };
        let spec = CreditSpec {
            code: code::MANUAL_ADJUSTMENT,
            source: issuer,
            amount,
            earned_at: now,
            available_at: now,
            expires_at,
        };
        ops::credit(&mut posting, &mut b, &spec, &refs, now);
    } else {
        let lots = tx.spendable_lots(b.balance, now)?;
        ops::spend(
            &mut posting,
            &lots,
            &b,
            issuer,
            amount,
            code::MANUAL_ADJUSTMENT,
            Phase::Posted,
            &refs,
            now,
        )?;
    }
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    Ok(AdjustmentResult {
        transfer_id: applied.transfers[0],
        member_id: member.id,
        delta: a.delta,
        point_type: a.point_type,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merge {
    /// The member that disappears.
    pub from: MemberRef,
    /// The member that receives everything.
    pub into: MemberRef,
    pub reason: Option<String>,
    pub actor: Option<String>,
}

/// Merges a duplicate member into another in `actor`'s name, audited as `member.merge` with
/// what moved. The ledger lines name `m.actor` when given, else `actor`.
pub fn merge(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    m: &Merge,
) -> Result<MergeResult, AppError> {
    let mut m = m.clone();
    m.actor = m.actor.or_else(|| Some(actor.to_string()));
    let v = fold(tx, ctx, now, &m)?;
    let (target, before) = (
        format!("member:{}", v.into_member_id.0),
        format!("member:{}", v.from_member_id.0),
    );
    let after = serde_json::to_string(&v).expect("a merge result serializes");
    tx.audit(
        ctx.program.id,
        actor,
        "member.merge",
        &target,
        Some(&before),
        Some(&after),
        now,
    )?;
    Ok(v)
}

fn fold(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    m: &Merge,
) -> Result<MergeResult, AppError> {
    m.from.validate()?;
    m.into.validate()?;
    check_reason("reason", &m.reason, true)?;
    check_reason("actor", &m.actor, true)?;
    let from = resolve(tx, ctx, &m.from)?;
    let into = resolve(tx, ctx, &m.into)?;
    if from.id == into.id {
        return Err(AppError::invalid(
            "into",
            "cannot merge a member into itself",
        ));
    }
    let program = ctx.program.id;
    let (first, second) = if from.id < into.id {
        (from.id, into.id)
    } else {
        (into.id, from.id)
    };
    let mut books = Vec::new();
    for pt in PointType::ALL {
        books.push((book(tx, ctx, first, pt)?, book(tx, ctx, second, pt)?));
    }
    let open = tx.open_reservation_count(program, from.id)?;
    if open > 0 {
        return Err(AppError::conflict(
            "open_reservations",
            format!(
                "member {} has {open} open reservations; post or void them first",
                from.id
            ),
            json!({"open_reservations": open}),
        ));
    }
    let refs = Refs {
        order_ref: None,
        reason: m.reason.clone(),
        actor: m.actor.clone(),
    };
    let mut posting = Posting::default();
    let mut moved = PerPointType::default();
    for (b1, b2) in books {
        let (from_book, mut into_book) = if first == from.id { (b1, b2) } else { (b2, b1) };
        let lots = tx.open_lots(from_book.balance)?;
        let total: i64 = lots.iter().map(|l| l.remaining).sum();
        moved.set(
            from_book.point_type,
            Moved {
                points: total,
                debt: from_book.debt_owed,
            },
        );
        ops::merge_into(&mut posting, &lots, &from_book, &mut into_book, &refs);
    }
    tx.mark_merged(program, from.id, into.id)?;
    tx.apply(program, &posting, &ctx.system, now)?;
    Ok(MergeResult {
        from_member_id: from.id,
        into_member_id: into.id,
        moved,
    })
}

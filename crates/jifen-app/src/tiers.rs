//! Member tiers in use: the ladder, each member's tier (fed to rules as `member.tier`), upgrades
//! in the same request that crossed a threshold, and the progress a member sees.
//!
//! Upgrades happen at once; a member never moves down here. Refunds that take a member below
//! a threshold are accounted at the periodic review, which is not built yet.

use jifen_domain::tiers::{Ladder, Metric, progress};
use jifen_ledger::{AccountId, MemberId, Millis};
use jifen_store::*;
use serde_json::json;

use crate::{AppError, ProgramCtx};

/// The member's tier code as rules see it at `now`: a manual tier while it lasts, else the
/// earned one (the ladder's first tier when none was recorded); empty without a ladder (every
/// rule audience on tiers then matches nobody).
pub fn tier_code(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
) -> Result<String, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(String::new());
    };
    let row = tx.tier_row(ctx.program.id, member)?;
    if let Some((t, until, _, _)) = row.as_ref().and_then(|r| r.manual.clone())
        && until > now
        && ladder.index_of(&t).is_some()
    {
        return Ok(t);
    }
    Ok(earned(ladder, row.as_ref()).1)
}

/// Staff setting a member's tier by hand: shown as such, with a reason and an end date, after
/// which the member is at the tier they earned (a manual tier is never a floor).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualTier {
    pub tier: String,
    /// Unix milliseconds; at most two years ahead.
    pub until: Millis,
    pub reason: String,
    pub actor: String,
}

/// The longest a manual tier may last.
pub const MANUAL_TIER_MS_MAX: Millis = 2 * 366 * 86_400_000;

pub fn set_manual(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: MemberId,
    m: &ManualTier,
) -> Result<serde_json::Value, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Err(AppError::NotFound {
            what: "tier ladder",
            id: ctx.program.code.clone(),
        });
    };
    if ladder.index_of(&m.tier).is_none() {
        return Err(AppError::invalid(
            "tier",
            format!("{:?} is not a tier of the ladder", m.tier),
        ));
    }
    if m.until <= now || m.until > now + MANUAL_TIER_MS_MAX {
        return Err(AppError::invalid(
            "until",
            "must be in the future and at most two years ahead",
        ));
    }
    if m.reason.trim().is_empty() || m.reason.chars().count() > crate::commands::REASON_LEN_MAX {
        return Err(AppError::invalid(
            "reason",
            "is required, at most 500 characters",
        ));
    }
    crate::commands::check_id("actor", &m.actor)?;
    let member = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id {
            member_id: member.0,
        },
    )?;
    let (_, earned) = current(tx, ctx, ladder, member.id)?;
    tx.set_manual_tier(
        ctx.program.id,
        member.id,
        &earned,
        &m.tier,
        m.until,
        &m.reason,
        &m.actor,
        now,
    )?;
    member_progress(tx, ctx, member.id, now, "zh")
}

/// The member's earned tier as (index in the ladder, code). A recorded tier that the ladder no
/// longer has, or none, counts as the first tier.
fn earned(ladder: &Ladder, row: Option<&TierRow>) -> (usize, String) {
    let i = row.and_then(|r| ladder.index_of(&r.tier)).unwrap_or(0);
    (i, ladder.tiers[i].code.clone())
}

/// The member's earned tier, read from its row.
fn current(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    ladder: &Ladder,
    member: MemberId,
) -> Result<(usize, String), AppError> {
    Ok(earned(
        ladder,
        tx.tier_row(ctx.program.id, member)?.as_ref(),
    ))
}

/// The member's metric over the ladder's window ending at `now`.
fn metric_value(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    ladder: &Ladder,
    member: MemberId,
    growth_account: AccountId,
    now: Millis,
) -> Result<i64, AppError> {
    let from = ladder.window_start(now, &ctx.tz);
    Ok(match ladder.metric {
        Metric::Growth => tx.growth_since(growth_account, from)?,
        Metric::Spend => {
            tx.member_orders_between(ctx.program.id, member, from, now)?
                .1
        }
        Metric::Orders => {
            tx.member_orders_between(ctx.program.id, member, from, now)?
                .0
        }
    })
}

/// Moves the member up when the metric now reaches a higher tier, recording the change with
/// its cause. Returns the change, or `None` when the tier stays.
pub fn check_upgrade(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    growth_account: AccountId,
    now: Millis,
    cause: &str,
) -> Result<Option<serde_json::Value>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(None);
    };
    let (i, code) = current(tx, ctx, ladder, member)?;
    let value = metric_value(tx, ctx, ladder, member, growth_account, now)?;
    let q = ladder.qualify(value);
    if q <= i {
        return Ok(None);
    }
    let to = &ladder.tiers[q];
    tx.set_member_tier(
        ctx.program.id,
        member,
        Some(&code),
        &to.code,
        cause,
        value,
        now,
    )?;
    Ok(Some(
        json!({"from": code, "to": to.code, "metric_value": value, "cause": cause}),
    ))
}

/// Members one review step handles in one transaction.
pub const REVIEW_STEP_MEMBERS: i64 = 500;

/// Reviews tiers (保级) when the ladder's review is due: each member above the first tier whose
/// metric, measured at the review, no longer reaches their tier moves down (at most the allowed
/// steps). Each member is reviewed once per period (recorded on its row), so running again finds
/// nothing; the review keeps its place (the last member id) so that each step reads the next
/// page through the primary key, and a finished review is not looked at again. Returns the
/// members reviewed in this step, or `None` when none were due.
pub fn review_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
) -> Result<Option<i64>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(None);
    };
    let Some(review) = ladder.review else {
        return Ok(None);
    };
    let Some((key, at)) = review.due(now, &ctx.tz) else {
        return Ok(None);
    };
    let after = match tx.tier_review(ctx.program.id, &key)? {
        Some((_, true)) => return Ok(None),
        Some((after, false)) => after,
        None => 0,
    };
    let due = tx.members_due_review(
        ctx.program.id,
        &key,
        &ladder.tiers[0].code,
        after,
        REVIEW_STEP_MEMBERS,
    )?;
    let Some(last) = due.last().map(|(m, _)| m.0) else {
        tx.advance_tier_review(ctx.program.id, &key, after, 0, Some(now))?;
        return Ok(None);
    };
    let mut n = 0;
    for (member, tier) in due {
        // The member's accounts are locked so that a purchase upgrading it cannot interleave.
        let [_, growth] = crate::commands::books(tx, ctx, member)?;
        let current = ladder.index_of(&tier).unwrap_or(0);
        let value = metric_value(tx, ctx, ladder, member, growth.balance, at)?;
        let to = jifen_domain::tiers::reviewed(ladder, &review, current, value);
        if to < current {
            tx.set_member_tier(
                ctx.program.id,
                member,
                Some(&tier),
                &ladder.tiers[to].code,
                &format!("review {key}"),
                value,
                now,
            )?;
        }
        tx.mark_reviewed(ctx.program.id, member, &key)?;
        n += 1;
    }
    tx.advance_tier_review(ctx.program.id, &key, last, n, None)?;
    Ok(Some(n))
}

/// Replaces the programme's ladder. Members keep their recorded tiers; those the ladder no
/// longer has count as its first tier until their next upgrade.
pub fn put_ladder(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    ladder: &Ladder,
) -> Result<serde_json::Value, AppError> {
    ladder
        .validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    let def = serde_json::to_string(ladder).expect("ladder serializes");
    tx.put_tier_ladder(ctx.program.id, &def, now)?;
    Ok(serde_json::to_value(ladder).expect("ladder serializes"))
}

/// Where a member stands: tier, metric, what the next tier needs (worded for `locale`), and the
/// recent changes.
pub fn member_progress(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
    locale: &str,
) -> Result<serde_json::Value, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Err(AppError::NotFound {
            what: "tier ladder",
            id: ctx.program.code.clone(),
        });
    };
    let [(_, _), (growth, _)] = tx.member_books(ctx.program.id, member, false)?;
    let row = tx.tier_row(ctx.program.id, member)?;
    let (i, _) = earned(ladder, row.as_ref());
    let value = metric_value(tx, ctx, ladder, member, growth.balance, now)?;
    let p = progress(ladder, i, value, locale);
    let since = row.as_ref().map(|r| r.since);
    let manual = row
        .and_then(|r| r.manual)
        .filter(|(_, until, _, _)| *until > now)
        .map(
            |(t, until, reason, by)| json!({"tier": t, "until": until, "reason": reason, "by": by}),
        );
    let changes: Vec<serde_json::Value> = tx
        .tier_changes(ctx.program.id, member, 20)?
        .into_iter()
        .map(|(from, to, cause, v, at)| json!({"from": from, "to": to, "cause": cause, "metric_value": v, "at": at}))
        .collect();
    // The tier in effect: a manual one while it lasts (shown as manual), else the earned one.
    let effective = manual
        .as_ref()
        .and_then(|m| m["tier"].as_str().map(str::to_string))
        .unwrap_or_else(|| p.tier.clone());
    let effective_name = ladder
        .tiers
        .iter()
        .find(|t| t.code == effective)
        .map(|t| {
            if locale.starts_with("en") {
                t.name_en.clone()
            } else {
                t.name_zh.clone()
            }
        })
        .unwrap_or_else(|| p.tier_name.clone());
    Ok(json!({
        "member_id": member,
        "tier": effective,
        "tier_name": effective_name,
        "earned_tier": p.tier,
        "manual": manual,
        "since": since,
        "metric": p.metric,
        "metric_value": p.value,
        "window_from": ladder.window_start(now, &ctx.tz),
        // With a review: what keeps the earned tier at it, and when it measures.
        "keep_needed": ladder.review.map(|_| (ladder.tiers[i].threshold - value).max(0)),
        "next_review_at": ladder.review.and_then(|r| r.next_after(now, &ctx.tz)),
        "next_tier": p.next_tier,
        "next_tier_name": p.next_tier_name,
        "needed": p.needed,
        "message": p.message,
        "changes": changes,
    }))
}

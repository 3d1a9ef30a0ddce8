//! Risk holds: assessing an event's device and address, holding its awards, and staff
//! releasing or rejecting them.

use jifen_ledger::ops::{self, Refs};
use jifen_ledger::*;
use jifen_rules::signin::{RiskKey, Seen};
use jifen_rules::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef};
use crate::{AppError, ProgramCtx};

use super::credit::HOLD_UNTIL;
use super::refunds::withdraw_event_awards;
use super::views::{HoldOpened, HoldView, HoldsPage};

/// The device and address an event came from, as (kind, value).
pub fn traces<'a>(device: Option<&'a str>, ip: Option<&'a str>) -> Vec<(RiskKey, &'a str)> {
    let mut out = Vec::new();
    if let Some(d) = device {
        out.push((RiskKey::Device, d));
    }
    if let Some(i) = ip {
        out.push((RiskKey::Ip, i));
    }
    out
}

/// Why an event from these traces should be held, under the programme's risk settings.
pub fn assess(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    t: &Trigger,
    traces: &[(RiskKey, &str)],
    at: Millis,
) -> Result<Option<String>, AppError> {
    let sharing = matches!(t, Trigger::SignIn | Trigger::Referral | Trigger::SignUp);
    assess_traces(tx, ctx, member, sharing, traces, at)
}

/// The programme's risk checks on where a command came from: velocity per device or address,
/// and with `device_sharing` the members per device. The reason when it trips.
pub fn assess_traces(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    device_sharing: bool,
    traces: &[(RiskKey, &str)],
    at: Millis,
) -> Result<Option<String>, AppError> {
    let risk = &ctx.earn.settings.risk;
    if risk.is_empty() || traces.is_empty() {
        return Ok(None);
    }
    // Members are counted up to one past the limit: enough to compare, bounded for a busy
    // shared address.
    let cap = risk.device_members_max.map_or(1, |m| m as i64 + 1);
    let mut seen = Vec::new();
    for (key, value) in traces {
        let members = tx.risk_members(ctx.program.id, key.as_str(), value, cap)?;
        let known = tx.risk_seen(ctx.program.id, key.as_str(), value, member)?;
        seen.push(Seen {
            key: *key,
            recent: 0,
            members: members + i64::from(!known),
        });
    }
    let mut err = None;
    let mut counts = |key: RiskKey, window: i64| {
        let value = traces
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or("");
        match tx.risk_recent(ctx.program.id, key.as_str(), value, at - window) {
            Ok(n) => n,
            Err(e) => {
                err = Some(e);
                0
            }
        }
    };
    let reason = risk.assess_traces(device_sharing, &seen, &mut counts);
    if let Some(e) = err {
        return Err(e.into());
    }
    Ok(reason)
}

/// Remembers where an event came from, for later velocity and sharing checks.
pub fn note_traces(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    traces: &[(RiskKey, &str)],
    at: Millis,
) -> Result<(), AppError> {
    if ctx.earn.settings.risk.is_empty() {
        return Ok(());
    }
    for (key, value) in traces {
        tx.insert_risk_signal(ctx.program.id, key.as_str(), value, member, at)?;
    }
    Ok(())
}

pub(super) fn open_hold(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    event_id: &str,
    reason: &str,
    eval: &Evaluation,
    now: Millis,
) -> Result<HoldOpened, AppError> {
    let h = RiskHold {
        id: 0,
        member,
        event_id: event_id.to_string(),
        reason: reason.to_string(),
        status: "open".into(),
        points: eval.total(PointType::Points),
        growth: eval.total(PointType::Growth),
        created_at: now,
        decided_at: None,
        decided_by: None,
        note: None,
    };
    let id = tx.insert_risk_hold(ctx.program.id, &h)?;
    Ok(HoldOpened {
        hold_id: id,
        reason: h.reason,
        points: h.points,
        growth: h.growth,
    })
}

/// Risk holds listed per page.
pub const HOLDS_PAGE_MAX: i64 = 200;

pub fn list_holds(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    status: Option<&str>,
    after: Option<i64>,
    limit: Option<i64>,
) -> Result<HoldsPage, AppError> {
    let status = status.unwrap_or("open");
    if !["open", "released", "rejected"].contains(&status) {
        return Err(AppError::invalid(
            "status",
            "must be open, released or rejected",
        ));
    }
    let limit = limit.unwrap_or(50);
    if !(1..=HOLDS_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {HOLDS_PAGE_MAX}"),
        ));
    }
    let holds = tx.risk_holds(ctx.program.id, status, after.unwrap_or(0), limit)?;
    let next = (holds.len() as i64 == limit)
        .then(|| holds.last().map(|h| h.id))
        .flatten();
    Ok(HoldsPage {
        holds: holds.iter().map(HoldView::of).collect(),
        next_after: next,
    })
}

/// Holds already decided (released or rejected), the latest decision first, with who decided
/// and when; at most `limit` (1 to `HOLDS_PAGE_MAX`).
pub fn decided_holds(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    limit: i64,
) -> Result<Vec<HoldView>, AppError> {
    if !(1..=HOLDS_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {HOLDS_PAGE_MAX}"),
        ));
    }
    let holds = tx.decided_risk_holds(ctx.program.id, limit)?;
    Ok(holds.iter().map(HoldView::of).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldDecision {
    Release,
    Reject,
}

/// A reviewer's decision on a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldReview {
    pub actor: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Releases (the points vest now) or rejects (the points are voided) a risk hold in `actor`'s
/// name, audited as `risk_hold.release` or `risk_hold.reject`; the hold records `r.actor` as
/// its reviewer.
pub fn decide_hold(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    decision: HoldDecision,
    r: &HoldReview,
) -> Result<HoldView, AppError> {
    commands::check_id("actor", &r.actor)?;
    if let Some(n) = &r.note
        && n.chars().count() > commands::REASON_LEN_MAX
    {
        return Err(AppError::invalid(
            "note",
            format!("must be at most {} characters", commands::REASON_LEN_MAX),
        ));
    }
    let not_found = || AppError::NotFound {
        what: "risk hold",
        id: id.to_string(),
    };
    let h = tx.risk_hold(ctx.program.id, id)?.ok_or_else(not_found)?;
    let (member, mut books) = commands::resolve_locked(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: h.member.0,
        },
    )?;
    if member.id != h.member {
        return Err(AppError::conflict(
            "member_merged",
            format!(
                "member {} was merged into {}; settle this hold with an adjustment",
                h.member, member.id
            ),
            json!({"member_id": h.member, "merged_into": member.id}),
        ));
    }
    // Read again under the member's lock: a concurrent decision is seen.
    let h = tx.risk_hold(ctx.program.id, id)?.ok_or_else(not_found)?;
    if h.status != "open" {
        return Err(AppError::conflict(
            "hold_decided",
            format!("risk hold {id} is already {}", h.status),
            json!({"hold_id": id, "status": h.status}),
        ));
    }
    let lots = tx.held_lots(ctx.program.id, &h.event_id, HOLD_UNTIL)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: None,
        reason: Some(format!(
            "risk hold {id}: {}",
            r.note.as_deref().unwrap_or(&h.reason)
        )),
        actor: Some(r.actor.clone()),
    };
    let mut moved = 0;
    for pt in PointType::ALL {
        let of_type: Vec<Lot> = lots
            .iter()
            .filter(|l| l.point_type == pt && l.member == h.member)
            .cloned()
            .collect();
        let b = &mut books[pt as usize];
        moved += match decision {
            HoldDecision::Release => ops::release_held(&mut posting, &of_type, b, now),
            HoldDecision::Reject => ops::reject_held(&mut posting, &of_type, b, &refs),
        };
    }
    let status = match decision {
        HoldDecision::Release => "released",
        HoldDecision::Reject => "rejected",
    };
    tx.decide_risk_hold(ctx.program.id, id, status, &r.actor, r.note.as_deref(), now)?;
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    if decision == HoldDecision::Reject {
        // Rejected awards no longer count toward caps and budgets, nor as issued.
        withdraw_event_awards(tx, ctx, &h.event_id)?;
    }
    let mut v = HoldView::of(&tx.risk_hold(ctx.program.id, id)?.ok_or_else(not_found)?);
    v.points_moved = Some(moved);
    let verb = format!("risk_hold.{decision:?}").to_lowercase();
    let after = serde_json::to_string(&v).expect("a hold view serializes");
    let target = format!("hold:{id}");
    tx.audit(
        ctx.program.id,
        actor,
        &verb,
        &target,
        None,
        Some(&after),
        now,
    )?;
    Ok(v)
}

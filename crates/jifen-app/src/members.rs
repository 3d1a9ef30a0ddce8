//! A member's record after creation: profile updates, identities unbound, and freezing. A
//! frozen member earns into pending (the points wait until they are unfrozen) and cannot spend,
//! reserve or transfer. Staff (the console) and API keys act here, and every change is audited
//! with who made it, in the change's own transaction.

use jifen_ledger::{MemberId, Millis};
use jifen_store::*;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef};
use crate::{AppError, ProgramCtx};

/// The `available_at` of points a frozen member earned: pending until unfrozen. One day before
/// a risk hold's date (`earn::HOLD_UNTIL`), so that unfreezing never releases a risk hold.
pub const FROZEN_UNTIL: Millis = 253_402_128_000_000; // 9999-12-30

/// A field sent as `null` is `Some(None)` (cleared); one left out is `None` (kept).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A profile change: each field given is set (or cleared with `null`); the others are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<Option<String>>,
    /// `YYYY-MM-DD`. Set later, it still pays the member's next birthday (once a year).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub birthday: Option<Option<String>>,
}

fn profile_json(p: &MemberProfile) -> String {
    json!({"name": p.name, "phone": p.phone, "email": p.email, "birthday": p.birthday}).to_string()
}

fn live(tx: &mut Tx<'_>, ctx: &ProgramCtx, member: MemberId) -> Result<Member, AppError> {
    let m = commands::resolve(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: member.0,
        },
    )?;
    // Lock the member, then read it again: a change never interleaves with another.
    commands::books(tx, ctx, m.id)?;
    Ok(tx.member(ctx.program.id, m.id)?.expect("the member exists"))
}

pub fn update_profile(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    member: MemberId,
    u: &ProfileUpdate,
) -> Result<serde_json::Value, AppError> {
    let m = live(tx, ctx, member)?;
    let trim = |v: &Option<Option<String>>, old: &Option<String>| match v {
        None => old.clone(),
        Some(v) => v
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from),
    };
    let p = MemberProfile {
        name: trim(&u.name, &m.profile.name),
        phone: trim(&u.phone, &m.profile.phone),
        email: trim(&u.email, &m.profile.email),
        birthday: trim(&u.birthday, &m.profile.birthday),
    };
    commands::validate_profile(&p)?;
    if p != m.profile {
        tx.update_member_profile(ctx.program.id, m.id, &p)?;
        tx.audit(
            ctx.program.id,
            actor,
            "member.profile",
            &format!("member:{}", m.id),
            Some(&profile_json(&m.profile)),
            Some(&profile_json(&p)),
            now,
        )?;
    }
    crate::views::member_view(tx, ctx, m.id, now)
}

/// Unbinds one identity (e.g. a closed WeChat account) from a member. The last one stays: a
/// member the merchant's systems cannot name is lost to them.
pub fn unbind_identity(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    member: MemberId,
    id: &Identity,
) -> Result<serde_json::Value, AppError> {
    let m = live(tx, ctx, member)?;
    let ids = tx.identities(ctx.program.id, m.id)?;
    if !ids.contains(id) {
        return Err(AppError::NotFound {
            what: "identity",
            id: format!("{}:{}", id.channel, id.external_id),
        });
    }
    if ids.len() == 1 {
        return Err(AppError::conflict(
            "last_identity",
            format!(
                "{}:{} is the member's only identity; add another before unbinding it",
                id.channel, id.external_id
            ),
            json!({"member_id": m.id}),
        ));
    }
    tx.delete_identity(ctx.program.id, m.id, &id.channel, &id.external_id)?;
    tx.audit(
        ctx.program.id,
        actor,
        "member.identity_unbound",
        &format!("member:{}", m.id),
        Some(&json!({"channel": id.channel, "external_id": id.external_id}).to_string()),
        None,
        now,
    )?;
    crate::views::member_view(tx, ctx, m.id, now)
}

/// Why a member is frozen or unfrozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub reason: String,
}

fn check_reason(r: &StatusChange) -> Result<String, AppError> {
    let reason = r.reason.trim();
    if reason.is_empty()
        || reason.chars().count() > commands::REASON_LEN_MAX
        || reason.chars().any(char::is_control)
    {
        return Err(AppError::invalid(
            "reason",
            "is required: at most 500 characters on one line",
        ));
    }
    Ok(reason.to_string())
}

/// Freezes a member (suspected fraud, a dispute): what they earn waits in pending, and they
/// cannot spend, reserve or transfer until unfrozen.
pub fn freeze(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    member: MemberId,
    r: &StatusChange,
) -> Result<serde_json::Value, AppError> {
    let reason = check_reason(r)?;
    let m = live(tx, ctx, member)?;
    if !tx.set_member_status(ctx.program.id, m.id, "active", "frozen")? {
        return Err(AppError::conflict(
            "member_frozen",
            format!("member {} is already frozen", m.id),
            json!({"member_id": m.id, "status": m.status}),
        ));
    }
    status_changed(tx, ctx, now, actor, &m, "member.frozen", &reason)
}

/// Unfreezes a member: what they earned meanwhile becomes available as its own return window
/// says (at once when it has passed).
pub fn unfreeze(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    member: MemberId,
    r: &StatusChange,
) -> Result<serde_json::Value, AppError> {
    let reason = check_reason(r)?;
    let m = live(tx, ctx, member)?;
    if !tx.set_member_status(ctx.program.id, m.id, "frozen", "active")? {
        return Err(AppError::conflict(
            "member_not_frozen",
            format!("member {} is not frozen", m.id),
            json!({"member_id": m.id, "status": m.status}),
        ));
    }
    let pending_ms = ctx.program.policy.pending_days as i64 * 86_400_000;
    tx.release_frozen_lots(ctx.program.id, m.id, FROZEN_UNTIL, pending_ms, now)?;
    status_changed(tx, ctx, now, actor, &m, "member.unfrozen", &reason)
}

fn status_changed(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    m: &Member,
    action: &str,
    reason: &str,
) -> Result<serde_json::Value, AppError> {
    tx.audit(
        ctx.program.id,
        actor,
        action,
        &format!("member:{}", m.id),
        Some(&json!({"status": m.status}).to_string()),
        Some(&json!({"reason": reason}).to_string()),
        now,
    )?;
    tx.outbox_push(
        ctx.program.id,
        action,
        Some(m.id),
        &json!({"member_id": m.id, "reason": reason, "by": actor, "at": now}).to_string(),
        now,
    )?;
    crate::views::member_view(tx, ctx, m.id, now)
}

//! Members: creating a member with its profile and identities, and adding identities.

use jifen_ledger::ops::MemberBook;
use jifen_ledger::*;
use jifen_rules::signin::RiskKey;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, ProgramCtx};

use super::answers::MemberCreated;
use super::checks::{check_channel, check_id, normalize_external_id};
use super::resolve::{MemberRef, books, resolve};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMember {
    #[serde(flatten)]
    pub profile: MemberProfile,
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// The member who invited this one (推荐人): referral rules pay both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<MemberRef>,
    /// The device and address the sign-up came from, for anti-fraud limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

pub fn validate_profile(p: &MemberProfile) -> Result<(), AppError> {
    for (field, v, max) in [
        ("name", &p.name, 100),
        ("phone", &p.phone, 32),
        ("email", &p.email, 254),
    ] {
        if let Some(v) = v
            && (v.chars().count() > max || v.chars().any(|c| c.is_control()))
        {
            return Err(AppError::invalid(
                field,
                format!("must be at most {max} characters without control characters"),
            ));
        }
    }
    if let Some(e) = &p.email
        && !e.contains('@')
    {
        return Err(AppError::invalid("email", "must contain @"));
    }
    if let Some(b) = &p.birthday
        && b.parse::<jiff::civil::Date>().is_err()
    {
        return Err(AppError::invalid("birthday", "must be a date YYYY-MM-DD"));
    }
    Ok(())
}

impl NewMember {
    pub fn validate(&self) -> Result<(), AppError> {
        validate_profile(&self.profile)?;
        if self.identities.len() > 32 {
            return Err(AppError::invalid("identities", "at most 32 per member"));
        }
        if let Some(r) = &self.referrer {
            r.validate()?;
        }
        for (f, v) in [("device_id", &self.device_id), ("ip", &self.ip)] {
            if let Some(v) = v {
                check_id(f, v)?;
            }
        }
        for (i, id) in self.identities.iter().enumerate() {
            check_channel(&id.channel)?;
            check_id("external_id", &id.external_id)?;
            if self.identities[..i].iter().any(|o| o == id) {
                return Err(AppError::invalid(
                    "identities",
                    format!("{}:{} is listed twice", id.channel, id.external_id),
                ));
            }
        }
        Ok(())
    }
}

fn identity_free(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: &Identity) -> Result<(), AppError> {
    if let Some(owner) = tx.member_by_identity(ctx.program.id, &id.channel, &id.external_id)? {
        return Err(AppError::conflict(
            "identity_taken",
            format!(
                "{}:{} already belongs to member {owner}",
                id.channel, id.external_id
            ),
            json!({"member_id": owner}),
        ));
    }
    Ok(())
}

pub fn create_member(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    m: &NewMember,
) -> Result<MemberCreated, AppError> {
    m.validate()?;
    let identities = stored_identities(m)?;
    for id in &identities {
        identity_free(tx, ctx, id)?;
    }
    let rules = ctx.earn.rules.clone();
    let inviter = lock_inviter(tx, ctx, m)?;
    // Anti-fraud: a device shared by many members, or a phone many members share, holds the
    // sign-up and referral rewards for review. Decided before the first write.
    let traces = crate::earn::traces(m.device_id.as_deref(), m.ip.as_deref());
    let hold = sign_up_hold(tx, ctx, m, &traces, now)?;
    let member = tx.insert_member(ctx.program.id, &m.profile, now)?;
    for id in &identities {
        tx.insert_identity(ctx.program.id, member, &id.channel, &id.external_id, now)?;
    }
    crate::earn::note_traces(tx, ctx, member, &traces, now)?;
    let mut rewards = Vec::new();
    let signs_up = !rules.for_trigger(&jifen_rules::Trigger::SignUp).is_empty();
    let refers = inviter.is_some()
        && !rules
            .for_trigger(&jifen_rules::Trigger::Referral)
            .is_empty();
    if signs_up || inviter.is_some() {
        let row = tx
            .member(ctx.program.id, member)?
            .expect("member just created");
        let mut own = books(tx, ctx, member)?;
        if signs_up {
            rewards.push(crate::earn::system_event(
                tx,
                ctx,
                &row,
                &mut own,
                &jifen_rules::Trigger::SignUp,
                &format!("sign_up:{member}"),
                &[],
                hold.as_deref(),
                None,
                now,
            )?);
        }
        if let Some((inviter, mut inviter_books)) = inviter {
            tx.insert_referral(ctx.program.id, member, inviter.id, now)?;
            if refers {
                rewards.extend(crate::earn::referral_rewards(
                    tx,
                    ctx,
                    (&row, &mut own),
                    (&inviter, &mut inviter_books),
                    "sign_up",
                    None,
                    hold.as_deref(),
                    now,
                )?);
            }
        }
    }
    Ok(MemberCreated {
        member: crate::views::member_view(tx, ctx, member, now)?,
        rewards,
    })
}

/// A new member's identities as stored.
fn stored_identities(m: &NewMember) -> Result<Vec<Identity>, AppError> {
    // Identities as stored: normalised, and two that normalise alike are one listed twice.
    let mut identities: Vec<Identity> = Vec::with_capacity(m.identities.len());
    for id in &m.identities {
        let id = Identity {
            channel: id.channel.clone(),
            external_id: normalize_external_id(&id.external_id)?,
        };
        if identities.contains(&id) {
            return Err(AppError::invalid(
                "identities",
                format!("{}:{} is listed twice", id.channel, id.external_id),
            ));
        }
        identities.push(id);
    }
    Ok(identities)
}

/// The new member's referrer, if any, with its accounts locked.
fn lock_inviter(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    m: &NewMember,
) -> Result<Option<(Member, [MemberBook; 2])>, AppError> {
    // The inviter is found and locked before the first write; a member cannot refer itself,
    // which for a new member means by the same phone number or email.
    let inviter = match &m.referrer {
        None => None,
        Some(r) => {
            let inviter = resolve(tx, ctx, r)?;
            let same = |a: &Option<String>, b: &Option<String>| {
                a.as_ref()
                    .is_some_and(|a| b.as_ref().is_some_and(|b| a.eq_ignore_ascii_case(b)))
            };
            if same(&inviter.profile.phone, &m.profile.phone)
                || same(&inviter.profile.email, &m.profile.email)
            {
                return Err(AppError::conflict(
                    "self_referral",
                    "a member cannot refer itself (the referrer has the same phone or email)",
                    json!({"referrer_id": inviter.id}),
                ));
            }
            let b = books(tx, ctx, inviter.id)?;
            Some((inviter, b))
        }
    };
    Ok(inviter)
}

/// Why the new member's sign-up and referral rewards should be held for review, if they
/// should: a shared device or address, or a phone many members share.
fn sign_up_hold(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    m: &NewMember,
    traces: &[(RiskKey, &str)],
    now: Millis,
) -> Result<Option<String>, AppError> {
    let mut hold = crate::earn::assess(
        tx,
        ctx,
        MemberId(0),
        &jifen_rules::Trigger::Referral,
        traces,
        now,
    )?;
    if hold.is_none()
        && let (Some(max), Some(phone)) = (
            ctx.earn.settings.risk.phone_members_max,
            m.profile.phone.as_deref(),
        )
    {
        let n = tx.members_with_phone(ctx.program.id, phone)? + 1;
        if n > max as i64 {
            hold = Some(format!("phone shared by {n} members (limit {max})"));
        }
    }
    Ok(hold)
}

pub fn add_identity(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: &MemberRef,
    id: &Identity,
) -> Result<crate::views::MemberView, AppError> {
    check_channel(&id.channel)?;
    let id = &Identity {
        channel: id.channel.clone(),
        external_id: normalize_external_id(&id.external_id)?,
    };
    let m = resolve(tx, ctx, member)?;
    identity_free(tx, ctx, id)?;
    tx.insert_identity(ctx.program.id, m.id, &id.channel, &id.external_id, now)?;
    crate::views::member_view(tx, ctx, m.id, now)
}

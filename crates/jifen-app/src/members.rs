//! A member's record after creation: profile updates, identities unbound, and freezing. A
//! frozen member earns into pending (the points wait until they are unfrozen) and cannot spend,
//! reserve or transfer. Staff (the console) and API keys act here, and every change is audited
//! with who made it, in the change's own transaction.

use jifen_ledger::{MemberId, Millis};
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef};
use crate::coupons::CouponView;
use crate::mall::OrderView;
use crate::tiers::TierProgress;
use crate::views::MemberView;
use crate::{AppError, ProgramCtx};

/// The `available_at` of points a frozen member earned: pending until unfrozen. One day before
/// a risk hold's date (`earn::HOLD_UNTIL`), so that unfreezing never releases a risk hold.
pub const FROZEN_UNTIL: Millis = 253_402_128_000_000; // 9999-12-30

/// A phone number as roles that do not need it see it: the first three and last four digits
/// (138****8000); a short one wholly masked.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

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
) -> Result<MemberView, AppError> {
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
) -> Result<MemberView, AppError> {
    let id = &Identity {
        channel: id.channel.clone(),
        external_id: commands::normalize_external_id(&id.external_id)?,
    };
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

/// Moves a live member from one status to the other, refused with `code` when it is not in
/// `from`; returns the member as it was and the checked reason.
fn set_status(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    r: &StatusChange,
    (from, to): (&str, &str),
    (code, refusal): (&'static str, &str),
) -> Result<(Member, String), AppError> {
    let reason = check_reason(r)?;
    let m = live(tx, ctx, member)?;
    if !tx.set_member_status(ctx.program.id, m.id, from, to)? {
        return Err(AppError::conflict(
            code,
            format!("member {} {refusal}", m.id),
            json!({"member_id": m.id, "status": m.status}),
        ));
    }
    Ok((m, reason))
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
) -> Result<MemberView, AppError> {
    let statuses = ("active", "frozen");
    let (m, reason) = set_status(
        tx,
        ctx,
        member,
        r,
        statuses,
        ("member_frozen", "is already frozen"),
    )?;
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
) -> Result<MemberView, AppError> {
    let statuses = ("frozen", "active");
    let (m, reason) = set_status(
        tx,
        ctx,
        member,
        r,
        statuses,
        ("member_not_frozen", "is not frozen"),
    )?;
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
) -> Result<MemberView, AppError> {
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

// ---- personal data (PIPL) --------------------------------------------------------------------

/// History lines and mall orders read per page for an export.
const EXPORT_PAGE: i64 = 200;

/// Everything held about a member, for the member's request to see it (PIPL): profile and
/// identities, balances, the whole history, purchase orders, mall orders with their addresses,
/// coupons, appeals and the tier. The export is audited.
pub fn export(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    member: MemberId,
) -> Result<MemberExport, AppError> {
    let program = ctx.program.id;
    let m = tx
        .member(program, member)?
        .ok_or_else(|| AppError::NotFound {
            what: "member",
            id: member.to_string(),
        })?;
    let profile = crate::views::member_view(tx, ctx, m.id, now)?;
    let mut history = Vec::new();
    let mut before = None;
    loop {
        let page = crate::views::history(tx, ctx, m.id, before, EXPORT_PAGE)?;
        history.extend(page.lines);
        match page.next_before {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    let orders = tx
        .member_purchase_orders(program, m.id)?
        .iter()
        .map(|r| PurchaseOrderExport {
            order_id: r.text(0),
            paid_minor: r.int(1),
            currency: r.text(2),
            refunded_minor: r.int(3),
            points_earned: r.int(4),
            points_reversed: r.int(5),
            created_at: r.int(6),
        })
        .collect();
    let mut mall_orders = Vec::new();
    let mut before = None;
    loop {
        let page = crate::mall::list_orders(tx, ctx, Some(m.id), None, before, EXPORT_PAGE)?;
        mall_orders.extend(page.items);
        match page.next_before {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    // An erased member's coupons and tier are closed with the account: none to show.
    let erased = m.status == "erased";
    let coupons = if erased {
        Vec::new()
    } else {
        crate::coupons::member_coupons(tx, ctx, m.id, None, now)?.items
    };
    let appeals = tx
        .member_appeals(program, m.id, i64::MAX)?
        .into_iter()
        .map(|a| AppealExport {
            id: a.id,
            subject: a.subject,
            subject_id: a.subject_id,
            message: a.message,
            status: a.status,
            answer: a.answer,
            delta: a.delta,
            created_at: a.created_at,
        })
        .collect();
    let tier = match ctx.earn.ladder {
        Some(_) if !erased => Some(crate::tiers::member_progress(tx, ctx, m.id, now, "zh")?),
        _ => None,
    };
    tx.audit(
        program,
        actor,
        "member.exported",
        &format!("member:{}", m.id),
        None,
        None,
        now,
    )?;
    Ok(MemberExport {
        programme: ctx.program.code.clone(),
        exported_at: now,
        member: profile,
        history,
        purchase_orders: orders,
        mall_orders,
        coupons,
        appeals,
        tier,
    })
}

/// Everything held about a member (PIPL).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MemberExport {
    /// The programme's code.
    pub programme: String,
    pub exported_at: Millis,
    pub member: MemberView,
    /// The whole history, newest first.
    pub history: Vec<HistoryLine>,
    pub purchase_orders: Vec<PurchaseOrderExport>,
    pub mall_orders: Vec<OrderView>,
    pub coupons: Vec<CouponView>,
    pub appeals: Vec<AppealExport>,
    /// The member's tier, when the programme has a ladder and the member is not erased.
    pub tier: Option<TierProgress>,
}

/// A purchase the member made, with what it earned and what refunds took back.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PurchaseOrderExport {
    pub order_id: String,
    pub paid_minor: i64,
    pub currency: String,
    pub refunded_minor: i64,
    pub points_earned: i64,
    pub points_reversed: i64,
    pub created_at: Millis,
}

/// An appeal the member made, with its answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AppealExport {
    pub id: i64,
    pub subject: String,
    pub subject_id: i64,
    pub message: String,
    pub status: String,
    pub answer: Option<String>,
    pub delta: Option<i64>,
    pub created_at: Millis,
}

/// The export as CSV, one value a row: `section,item,field,value` (nested fields by dotted
/// path), so that a spreadsheet opens it as it is; a cell that starts like a formula is
/// neutralised.
pub fn export_csv(export: &MemberExport) -> String {
    let export = serde_json::to_value(export).expect("an export serializes");
    let cell = crate::csv_field;
    fn walk(out: &mut Vec<(String, String)>, path: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(out, &p, v);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(out, &format!("{path}[{i}]"), v);
                }
            }
            serde_json::Value::Null => out.push((path.to_string(), String::new())),
            serde_json::Value::String(s) => out.push((path.to_string(), s.clone())),
            other => out.push((path.to_string(), other.to_string())),
        }
    }
    let mut csv = String::from("section,item,field,value\n");
    for section in [
        "member",
        "history",
        "purchase_orders",
        "mall_orders",
        "coupons",
        "appeals",
        "tier",
    ] {
        let items: Vec<&serde_json::Value> = match &export[section] {
            serde_json::Value::Array(a) => a.iter().collect(),
            serde_json::Value::Null => Vec::new(),
            v => vec![v],
        };
        for (i, item) in items.iter().enumerate() {
            let mut fields = Vec::new();
            walk(&mut fields, "", item);
            for (f, v) in fields {
                csv.push_str(&format!("{section},{i},{},{}\n", cell(&f), cell(&v)));
            }
        }
    }
    csv
}

/// Erases a member's personal data at their request (PIPL): profile fields, identities,
/// delivery addresses, appeal texts and risk signals go; amounts, transfers and lots stay, so
/// the books still balance and `verify` holds. Refused while a mall order still needs the
/// address. The erased member can no longer be found, earn or spend; audited.
pub fn erase(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    member: MemberId,
    r: &StatusChange,
) -> Result<MemberView, AppError> {
    let reason = check_reason(r)?;
    let m = live(tx, ctx, member)?;
    let open = tx.open_mall_orders(ctx.program.id, m.id)?;
    if open > 0 {
        return Err(AppError::conflict(
            "open_orders",
            format!(
                "member {} has {open} mall orders under way; deliver or cancel them first",
                m.id
            ),
            json!({"open_orders": open}),
        ));
    }
    tx.erase_member(ctx.program.id, m.id)?;
    tx.audit(
        ctx.program.id,
        actor,
        "member.erased",
        &format!("member:{}", m.id),
        None,
        Some(&json!({"reason": reason}).to_string()),
        now,
    )?;
    tx.outbox_push(
        ctx.program.id,
        "member.erased",
        Some(m.id),
        &json!({"member_id": m.id, "at": now}).to_string(),
        now,
    )?;
    crate::views::member_view(tx, ctx, m.id, now)
}

//! Staff accounts of the console: roles, passwords (argon2id), sessions with a CSRF token, and
//! the audit log every staff action that changes data writes to.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jifen_ledger::{Millis, ProgramId};
use jifen_store::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::commands::AdjustmentResult;
use crate::{AppError, ProgramCtx};

mod answers;

pub use answers::{AdjustmentDecision, AdjustmentOutcome, PendingApproval, StaffAdjustmentResult};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including staff and settings.
    Owner,
    /// Rules, catalog, campaigns.
    Operator,
    /// Members, adjustments, appeals.
    Service,
    /// Read-only dashboards and exports.
    Analyst,
    /// Read-only everything, including the audit log.
    Auditor,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "owner" => Role::Owner,
            "operator" => Role::Operator,
            "service" => Role::Service,
            "analyst" => Role::Analyst,
            "auditor" => Role::Auditor,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Service => "service",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
        }
    }

    /// May this role change members' points (adjustments, transfers, merges)?
    pub fn manages_members(&self) -> bool {
        matches!(self, Role::Owner | Role::Service)
    }

    /// Does this role see members' phone numbers whole? Others see them masked (138****8000)
    /// and may reveal one, which is audited.
    pub fn sees_phones(&self) -> bool {
        matches!(self, Role::Owner | Role::Service)
    }

    /// May this role change rules, the catalog and campaigns?
    pub fn operates(&self) -> bool {
        matches!(self, Role::Owner | Role::Operator)
    }

    /// May this role read members' personal data and their queues (members, approvals,
    /// appeals, risk holds)? Analysts work from dashboards and exports only.
    pub fn reads_members(&self) -> bool {
        !matches!(self, Role::Analyst)
    }

    /// May this role read the audit log?
    pub fn audits(&self) -> bool {
        matches!(self, Role::Owner | Role::Auditor)
    }
}

pub const PASSWORD_LEN_MIN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AppError::Internal(e.to_string()))?
        .to_string())
}

fn check_login(login: &str) -> Result<(), AppError> {
    if login.is_empty()
        || login.len() > 64
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(AppError::invalid(
            "login",
            "must be 1 to 64 characters of letters, digits and . _ - @",
        ));
    }
    Ok(())
}

/// Creates a staff account (audited, `actor` is who creates it).
pub fn create(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &NewStaff,
    actor: &str,
) -> Result<StaffView, AppError> {
    check_login(&s.login)?;
    if s.name.trim().is_empty() || s.name.chars().count() > 60 {
        return Err(AppError::invalid("name", "must be 1 to 60 characters"));
    }
    if s.password.chars().count() < PASSWORD_LEN_MIN || s.password.len() > 200 {
        return Err(AppError::invalid(
            "password",
            format!("must be {PASSWORD_LEN_MIN} to 200 characters"),
        ));
    }
    let hash = hash_password(&s.password)?;
    let Some(id) = tx.insert_staff(
        ctx.program.id,
        &s.login,
        &s.name,
        &hash,
        s.role.as_str(),
        now,
    )?
    else {
        return Err(AppError::conflict(
            "login_taken",
            format!("login {} is taken", s.login),
            json!({"login": s.login}),
        ));
    };
    let after = StaffView {
        staff_id: id,
        login: s.login.clone(),
        name: s.name.clone(),
        role: s.role,
    };
    tx.audit(
        ctx.program.id,
        actor,
        "staff.create",
        &format!("staff:{id}"),
        None,
        Some(&serde_json::to_string(&after).expect("a staff view serializes")),
        now,
    )?;
    Ok(after)
}

/// A staff account as created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    pub staff_id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
}

/// A staff account's status after a change: `active` or `disabled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffStatus {
    pub staff_id: i64,
    pub login: String,
    pub status: String,
}

/// A generated password for an account, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    pub staff_id: i64,
    pub login: String,
    pub password: String,
}

fn owner_only(by: &Session) -> Result<(), AppError> {
    if by.role != Role::Owner {
        return Err(AppError::conflict(
            "forbidden",
            "only owners manage staff accounts",
            json!({"role": by.role.as_str()}),
        ));
    }
    Ok(())
}

fn staff_row(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
) -> Result<jifen_store::StaffRow, AppError> {
    tx.staff_by_id(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "staff account",
            id: id.to_string(),
        })
}

/// Disables an account (its sessions end at once) or enables it again: owners only, never
/// their own account, audited.
pub fn set_active(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    by: &Session,
    staff_id: i64,
    active: bool,
) -> Result<StaffStatus, AppError> {
    owner_only(by)?;
    let s = staff_row(tx, ctx, staff_id)?;
    if s.id == by.staff_id {
        return Err(AppError::conflict(
            "own_account",
            "you cannot disable your own account",
            json!({"staff_id": staff_id}),
        ));
    }
    let status = if active { "active" } else { "disabled" };
    if tx.set_staff_status(ctx.program.id, staff_id, status)? {
        if !active {
            tx.delete_staff_sessions(staff_id)?;
        }
        tx.audit(
            ctx.program.id,
            &by.actor(),
            if active {
                "staff.enable"
            } else {
                "staff.disable"
            },
            &format!("staff:{staff_id}"),
            Some(&s.status),
            Some(status),
            now,
        )?;
    }
    Ok(StaffStatus {
        staff_id,
        login: s.login,
        status: status.into(),
    })
}

/// Gives an account a new generated password (returned once) and ends its sessions: owners
/// only, audited without the password.
pub fn reset_password(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    by: &Session,
    staff_id: i64,
) -> Result<NewPassword, AppError> {
    owner_only(by)?;
    let s = staff_row(tx, ctx, staff_id)?;
    let password = generate_password();
    tx.set_staff_password(ctx.program.id, &s.login, &hash_password(&password)?)?;
    tx.delete_staff_sessions(staff_id)?;
    tx.audit(
        ctx.program.id,
        &by.actor(),
        "staff.reset_password",
        &format!("staff:{staff_id}"),
        None,
        None,
        now,
    )?;
    Ok(NewPassword {
        staff_id,
        login: s.login,
        password,
    })
}

/// The most points an adjustment may be set to need no approval.
pub const APPROVAL_THRESHOLD_MAX: i64 = 100_000_000;

/// The member centre's and approvals' settings as shown and set in the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreSettings {
    /// Adjustments above this many points need a second person.
    pub approval_threshold: i64,
    /// The merchant's sign-up page: invite links are this with `ref=M{member id}` added.
    pub referral_url: Option<String>,
    /// Webhooks may post to loopback and private network addresses (refused by default: a
    /// webhook is no way into the network Jifen runs in).
    #[serde(default)]
    pub webhooks_private: bool,
}

pub fn centre_settings(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<CentreSettings, AppError> {
    Ok(CentreSettings {
        approval_threshold: tx
            .approval_threshold(ctx.program.id)?
            .unwrap_or(APPROVAL_THRESHOLD_DEFAULT),
        referral_url: tx.referral_url(ctx.program.id)?,
        webhooks_private: tx.webhooks_private(ctx.program.id)?,
    })
}

/// What is wrong with the approval threshold or the invite link address, with its field and
/// words in both languages (the console shows them next to the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CentreProblem {
    ThresholdOutOfRange,
    BadReferralUrl,
}

impl CentreProblem {
    pub fn field(self) -> &'static str {
        match self {
            CentreProblem::ThresholdOutOfRange => "approval_threshold",
            CentreProblem::BadReferralUrl => "referral_url",
        }
    }

    /// The problem in words, in English when `en`.
    pub fn text(self, en: bool) -> String {
        match (self, en) {
            (CentreProblem::ThresholdOutOfRange, false) => {
                format!("须在 0 到 {APPROVAL_THRESHOLD_MAX} 之间")
            }
            (CentreProblem::ThresholdOutOfRange, true) => {
                format!("must be between 0 and {APPROVAL_THRESHOLD_MAX}")
            }
            (CentreProblem::BadReferralUrl, false) => {
                "须为 http:// 或 https:// 开头的地址，最多 300 个字符，不能有空格或引号".into()
            }
            (CentreProblem::BadReferralUrl, true) => "must be an http:// or https:// address of at most 300 characters, without spaces or quotes".into(),
        }
    }
}

/// Checks the centre's settings before they are stored.
pub fn check_centre_settings(s: &CentreSettings) -> Result<(), CentreProblem> {
    if !(0..=APPROVAL_THRESHOLD_MAX).contains(&s.approval_threshold) {
        return Err(CentreProblem::ThresholdOutOfRange);
    }
    if let Some(u) = &s.referral_url
        && (!(u.starts_with("https://") || u.starts_with("http://"))
            || u.len() > 300
            || u.len() <= "https://".len()
            || u.chars()
                .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')))
    {
        return Err(CentreProblem::BadReferralUrl);
    }
    Ok(())
}

/// Sets them: owners only, audited with before and after. The address must be an http(s) URL
/// without spaces or quotes (it goes into pages and links).
pub fn put_centre_settings(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    by: &Session,
    s: &CentreSettings,
) -> Result<CentreSettings, AppError> {
    owner_only(by)?;
    check_centre_settings(s).map_err(|p| AppError::invalid(p.field(), p.text(true)))?;
    let before = centre_settings(tx, ctx)?;
    tx.set_centre_settings(
        ctx.program.id,
        s.approval_threshold,
        s.referral_url.as_deref(),
        s.webhooks_private,
    )?;
    let after = serde_json::to_string(s).expect("settings serialize");
    tx.audit(
        ctx.program.id,
        &by.actor(),
        "centre_settings.update",
        &format!("program:{}", ctx.program.id),
        Some(&serde_json::to_string(&before).expect("settings serialize")),
        Some(&after),
        now,
    )?;
    Ok(s.clone())
}

/// A staff member signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub staff_id: i64,
    pub program: ProgramId,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub csrf: String,
    /// What waits in the queues the role sees, read with the session: once per page.
    pub pending: PendingCounts,
}

/// What waits in the console's queues, zero for a queue the role does not see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PendingCounts {
    /// Adjustment requests waiting for approval (调整审批).
    pub approvals: i64,
    /// Appeals waiting for an answer (申诉处理).
    pub appeals: i64,
    /// Risk holds waiting for review (风控).
    pub holds: i64,
    /// Mall orders paid and waiting to ship (订单), for roles that act on orders.
    pub orders_to_ship: i64,
}

/// The pending counts `role` sees, in one read of four indexed counts; nothing read for a role
/// that sees none of the queues.
pub fn pending_counts(
    tx: &mut Tx<'_>,
    program: ProgramId,
    role: Role,
) -> Result<PendingCounts, AppError> {
    let (queues, orders) = (role.reads_members(), role.operates());
    if !queues && !orders {
        return Ok(PendingCounts::default());
    }
    let [approvals, appeals, holds, to_ship] = tx.queue_counts(program)?;
    let q = |n: i64| if queues { n } else { 0 };
    Ok(PendingCounts {
        approvals: q(approvals),
        appeals: q(appeals),
        holds: q(holds),
        orders_to_ship: if orders { to_ship } else { 0 },
    })
}

impl Session {
    /// The actor name the audit log and the ledger record.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.login)
    }
}

/// How long a session lasts.
pub const SESSION_MS: Millis = 8 * 3_600_000;

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill(&mut b);
    hex::encode(b)
}

/// Checks a login and password; on success stores a session and returns its token (for the
/// cookie) and the session. A wrong login and a wrong password are answered alike.
pub fn sign_in(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    login: &str,
    password: &str,
) -> Result<(String, Session), AppError> {
    let wrong = || {
        AppError::conflict(
            "wrong_login",
            "the login or the password is wrong",
            json!({}),
        )
    };
    let Some(s) = tx.staff_by_login(ctx.program.id, login)? else {
        // Spend the same effort as a real check, so that timing does not tell logins apart.
        let _ = Argon2::default().verify_password(
            password.as_bytes(),
            &PasswordHash::new(DUMMY_HASH).expect("dummy hash parses"),
        );
        return Err(wrong());
    };
    let parsed = PasswordHash::new(&s.password_hash)
        .map_err(|e| StoreError::Corrupt(format!("staff {}: {e}", s.id)))?;
    if s.status != "active"
        || Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
    {
        return Err(wrong());
    }
    let token = random_token();
    let csrf = random_token();
    tx.insert_staff_session(
        &token_hash(&token),
        s.id,
        ctx.program.id,
        &csrf,
        now,
        now + SESSION_MS,
    )?;
    tx.audit(
        ctx.program.id,
        &format!("staff:{}", s.login),
        "staff.sign_in",
        &format!("staff:{}", s.id),
        None,
        None,
        now,
    )?;
    let role = Role::parse(&s.role)
        .ok_or_else(|| StoreError::Corrupt(format!("staff {} role {}", s.id, s.role)))?;
    Ok((
        token,
        Session {
            staff_id: s.id,
            program: ctx.program.id,
            login: s.login,
            name: s.name,
            role,
            csrf,
            pending: PendingCounts::default(),
        },
    ))
}

/// An argon2id hash of a random password, checked when the login does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9bWkP3Gm2QmFtVRAV5N8ZuTn/Gc9Ebz1JrB4y0oTQ2c";

/// The session of a cookie token, if it is live.
pub fn session(tx: &mut Tx<'_>, token: &str, now: Millis) -> Result<Option<Session>, AppError> {
    let Some((s, csrf)) = tx.staff_session(&token_hash(token), now)? else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&s.role) else {
        return Ok(None);
    };
    let pending = pending_counts(tx, s.program, role)?;
    Ok(Some(Session {
        staff_id: s.id,
        program: s.program,
        login: s.login,
        name: s.name,
        role,
        csrf,
        pending,
    }))
}

pub fn sign_out(tx: &mut Tx<'_>, token: &str) -> Result<(), AppError> {
    tx.delete_staff_session(&token_hash(token))?;
    Ok(())
}

/// A strong random password for a first owner account.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Sets a staff member's password (audited); creates the account as an owner when it does not
/// exist, so that the demo can always print a working first login.
pub fn ensure_owner(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    login: &str,
    name: &str,
    password: &str,
) -> Result<(), AppError> {
    if tx.staff_by_login(ctx.program.id, login)?.is_none() {
        create(
            tx,
            ctx,
            now,
            &NewStaff {
                login: login.into(),
                name: name.into(),
                role: Role::Owner,
                password: password.into(),
            },
            "system",
        )?;
        return Ok(());
    }
    let hash = hash_password(password)?;
    tx.set_staff_password(ctx.program.id, login, &hash)?;
    tx.audit(
        ctx.program.id,
        "system",
        "staff.password_reset",
        &format!("staff:{login}"),
        None,
        None,
        now,
    )?;
    Ok(())
}

/// Points above which a manual adjustment waits for a second person, unless set.
pub const APPROVAL_THRESHOLD_DEFAULT: i64 = 1_000;
/// The largest manual adjustment staff may make at once.
pub const ADJUSTMENT_MAX: i64 = 10_000_000;

/// A staff adjustment of a member's points, from the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAdjustment {
    pub member_id: i64,
    pub delta: i64,
    pub reason: String,
}

fn forbidden(what: &str) -> AppError {
    AppError::conflict("forbidden", format!("your role may not {what}"), json!({}))
}

/// Whether a manual adjustment of `delta` to a member needs a second person's approval: above
/// the programme's threshold, counting what the same actor adjusted to the member (either way,
/// without an approval) since the start of the programme's day, so that many adjustments just
/// under it are no way around it. `actor` is the staff member or key as the ledger names it;
/// a staff member's name is matched whole, a key's by its start.
/// Returns the threshold and what was adjusted today before this one.
fn needs_approval(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: jifen_ledger::MemberId,
    point_type: jifen_ledger::PointType,
    delta: i64,
    actor_prefix: &str,
) -> Result<(bool, i64, i64), AppError> {
    let threshold = tx
        .approval_threshold(ctx.program.id)?
        .unwrap_or(APPROVAL_THRESHOLD_DEFAULT);
    let day = crate::earn::start_of(crate::earn::local_date(now, &ctx.tz), &ctx.tz);
    let today = tx.adjusted_since(ctx.program.id, member, point_type, day, actor_prefix)?;
    Ok((
        today.saturating_add(delta.saturating_abs()) > threshold,
        threshold,
        today,
    ))
}

/// An adjustment through the API. The key that made it is the actor in the ledger and the audit
/// log (the caller's own `actor` is kept beside it, as on whose behalf); above the approval
/// threshold (counted per member and day) it waits in the approval queue, unless the key was
/// created with the right to adjust without approval. Answers `"status": "applied"` with the
/// transfer, or `"status": "pending_approval"` with the approval's id.
pub fn adjust_by_key(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    key: &KeyCaller,
    a: &crate::commands::Adjustment,
) -> Result<AdjustmentOutcome, AppError> {
    a.validate()?;
    let member = crate::commands::resolve(tx, ctx, &a.member)?;
    let on_behalf = a.actor.as_deref().unwrap_or("").trim();
    let mut actor = format!("{} for {on_behalf}", key.actor());
    if actor.chars().count() > crate::commands::REASON_LEN_MAX {
        actor = actor
            .chars()
            .take(crate::commands::REASON_LEN_MAX)
            .collect();
    }
    let reason = a.reason.as_deref().unwrap_or("").trim().to_string();
    let prefix = format!("{} for ", key.actor());
    let (needs, threshold, today) =
        needs_approval(tx, ctx, now, member.id, a.point_type, a.delta, &prefix)?;
    if needs && !key.adjust_without_approval {
        let id = tx.insert_adjustment_request(
            ctx.program.id,
            member.id,
            a.delta,
            a.point_type,
            &reason,
            &actor,
            now,
        )?;
        tx.audit(
            ctx.program.id,
            &key.actor(),
            "points.adjust_requested",
            &format!("member:{}", member.id.0),
            None,
            Some(
                &json!({"request_id": id, "delta": a.delta, "point_type": a.point_type,
                        "reason": reason, "on_behalf_of": on_behalf})
                .to_string(),
            ),
            now,
        )?;
        return Ok(AdjustmentOutcome::PendingApproval(PendingApproval {
            approval_id: id,
            member_id: member.id,
            delta: a.delta,
            point_type: a.point_type,
            threshold,
            adjusted_today: today,
        }));
    }
    let out = apply_adjustment(
        tx,
        ctx,
        now,
        member.id.0,
        a.delta,
        a.point_type,
        &reason,
        &actor,
        &key.actor(),
    )?;
    Ok(AdjustmentOutcome::Applied(out))
}

fn apply_adjustment(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: i64,
    delta: i64,
    point_type: jifen_ledger::PointType,
    reason: &str,
    actor: &str,
    audit_actor: &str,
) -> Result<AdjustmentResult, AppError> {
    let before =
        crate::views::balance(tx, ctx, jifen_ledger::MemberId(member), point_type, now, 0)?
            .available;
    let out = crate::commands::adjust(
        tx,
        ctx,
        now,
        &crate::commands::Adjustment {
            member: crate::commands::MemberRef::Id { member_id: member },
            delta,
            point_type,
            reason: Some(reason.to_string()),
            actor: Some(actor.to_string()),
        },
    )?;
    let after = crate::views::balance(tx, ctx, jifen_ledger::MemberId(member), point_type, now, 0)?
        .available;
    tx.audit(
        ctx.program.id,
        audit_actor,
        "points.adjust",
        &format!("member:{member}"),
        Some(&json!({"available": before, "point_type": point_type}).to_string()),
        Some(&json!({"available": after, "delta": delta, "reason": reason, "transfer_id": out.transfer_id, "actor": actor}).to_string()),
        now,
    )?;
    Ok(out)
}

/// Adjusts a member's points from the console: at once up to the programme's threshold, else
/// as a request that a second person approves. Answers `{"applied": ...}` or `{"pending": id}`.
pub fn adjust(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &Session,
    a: &StaffAdjustment,
) -> Result<StaffAdjustmentResult, AppError> {
    if !s.role.manages_members() {
        return Err(forbidden("adjust points"));
    }
    if a.delta == 0 || a.delta.abs() > ADJUSTMENT_MAX {
        return Err(AppError::invalid(
            "delta",
            format!(
                "must be a non-zero whole number of points, at most {ADJUSTMENT_MAX} either way"
            ),
        ));
    }
    let reason = a.reason.trim();
    if reason.is_empty() || reason.chars().count() > crate::commands::REASON_LEN_MAX {
        return Err(AppError::invalid(
            "reason",
            "is required, at most 500 characters",
        ));
    }
    let m = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id {
            member_id: a.member_id,
        },
    )?;
    let points = jifen_ledger::PointType::Points;
    // The staff member's own adjustments: "staff:amy" whole (an approved one, named
    // "... approved by ...", is left out by the store).
    let (needs, threshold, _) = needs_approval(tx, ctx, now, m.id, points, a.delta, &s.actor())?;
    if needs {
        let id = tx.insert_adjustment_request(
            ctx.program.id,
            m.id,
            a.delta,
            points,
            reason,
            &s.actor(),
            now,
        )?;
        tx.audit(
            ctx.program.id,
            &s.actor(),
            "points.adjust_requested",
            &format!("member:{}", m.id.0),
            None,
            Some(&json!({"request_id": id, "delta": a.delta, "reason": reason}).to_string()),
            now,
        )?;
        return Ok(StaffAdjustmentResult::Pending {
            pending: id,
            threshold,
        });
    }
    let actor = s.actor();
    let applied = apply_adjustment(
        tx, ctx, now, m.id.0, a.delta, points, reason, &actor, &actor,
    )?;
    Ok(StaffAdjustmentResult::Applied { applied })
}

/// A second person approves or rejects a pending adjustment; the requester may not decide it.
pub fn decide(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &Session,
    id: i64,
    approve: bool,
) -> Result<AdjustmentDecision, AppError> {
    if !s.role.manages_members() {
        return Err(forbidden("approve adjustments"));
    }
    let r = tx
        .adjustment_request(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "adjustment request",
            id: id.to_string(),
        })?;
    if r.status != "pending" {
        return Err(AppError::conflict(
            "already_decided",
            format!("request {id} is already {}", r.status),
            json!({"status": r.status}),
        ));
    }
    if r.requested_by == s.actor() {
        return Err(AppError::conflict(
            "same_person",
            "a second person must approve this adjustment",
            json!({"requested_by": r.requested_by}),
        ));
    }
    if !approve {
        tx.decide_adjustment_request(ctx.program.id, id, "rejected", &s.actor(), None, now)?;
        tx.audit(
            ctx.program.id,
            &s.actor(),
            "points.adjust_rejected",
            &format!("member:{}", r.member.0),
            None,
            Some(&json!({"request_id": id}).to_string()),
            now,
        )?;
        return Ok(AdjustmentDecision::Rejected { request_id: id });
    }
    // Claimed first, by a conditional update: two approvers at once apply it once.
    if !tx.decide_adjustment_request(ctx.program.id, id, "approved", &s.actor(), None, now)? {
        return Err(AppError::conflict(
            "already_decided",
            format!("request {id} was decided meanwhile"),
            json!({}),
        ));
    }
    let actor = format!("{} approved by {}", r.requested_by, s.actor());
    let out = apply_adjustment(
        tx,
        ctx,
        now,
        r.member.0,
        r.delta,
        r.point_type,
        &r.reason,
        &actor,
        &actor,
    )?;
    tx.set_adjustment_transfer(ctx.program.id, id, Some(out.transfer_id.0))?;
    Ok(AdjustmentDecision::Approved {
        request_id: id,
        transfer_id: out.transfer_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        let h = PasswordHash::new(DUMMY_HASH).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"not the password", &h)
                .is_err()
        );
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
        assert!(h.starts_with("$argon2id$"));
    }
}

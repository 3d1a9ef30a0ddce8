//! A programme's API keys as staff manage them: list, create (the key is shown once; only its
//! SHA-256 and its first characters are stored), revoke. Every change goes to the audit log.
//!
//! A key is generated before the write ([`generate`]) because a write may run more than once
//! (a batch re-run); the write stores what was generated. A revoked key stops authenticating
//! at once: [`App::revoke_api_key`] revokes it in the database, which
//! `Tx::key_caller` then ignores, and forgets it from this node's cache.

use jifen_ledger::{Millis, ProgramId};
use jifen_store::{ApiKeyRow, KEY_ID_LEN, Tx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{App, AppError, ProgramCtx, sha256_hex};

/// The longest name of a key, in characters.
pub const NAME_MAX: usize = 60;
/// Keys that may authenticate at once in a programme.
pub const ACTIVE_MAX: i64 = 50;
/// Characters of a key kept (and shown) to recognise it: `jf_` and 6 of its 64 hex digits.
pub const PREFIX_LEN: usize = 9;

/// A freshly generated key: the secret to show once, and what is stored of it.
#[derive(Clone)]
pub struct NewKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A new random key: `jf_` and 32 random bytes in hex, with its hash and the prefix shown in
/// lists. Every key of Jifen is made here (programme creation, the CLI, the console).
pub fn generate() -> NewKey {
    let bytes: [u8; 32] = rand::random();
    let secret = format!("jf_{}", hex::encode(bytes));
    NewKey {
        hash: sha256_hex(secret.as_bytes()),
        prefix: secret[..PREFIX_LEN].to_string(),
        secret,
    }
}

/// The id that names a key: the first characters of its hash.
pub fn key_id(hash: &str) -> &str {
    &hash[..KEY_ID_LEN.min(hash.len())]
}

/// Is this a well-formed key id (lower-case hex of the right length)?
pub fn is_key_id(id: &str) -> bool {
    id.len() == KEY_ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            format!("must be 1 to {NAME_MAX} characters, without line breaks"),
        ));
    }
    Ok(name.to_string())
}

/// An API key as staff see it: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyView {
    /// The first characters of the key's hash, which name it.
    pub key_id: String,
    pub name: String,
    /// The first characters of the key itself; `None` for keys made before it was kept.
    pub prefix: Option<String>,
    pub created_at: Millis,
    /// `active` or `revoked`.
    pub status: String,
    pub revoked_at: Option<Millis>,
    pub revoked_by: Option<String>,
    /// Why it was revoked, as whoever revoked it wrote it.
    pub revoke_reason: Option<String>,
    /// Adjustments through this key are applied above the approval threshold.
    pub adjust_without_approval: bool,
}

/// The longest reason for revoking a key, in characters.
pub const REVOKE_REASON_MAX: usize = 200;

/// A key with when it last changed anything: what staff confirm before revoking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyToRevoke {
    pub key: KeyView,
    /// When a write through the key was last audited; `None` if none was.
    pub last_audited_at: Option<Millis>,
}

/// A key by its id with its last audited write, for the confirmation before revoking it.
pub fn key_to_revoke(
    tx: &mut Tx<'_>,
    program: ProgramId,
    key_id: &str,
) -> Result<KeyToRevoke, AppError> {
    let not_found = || AppError::NotFound {
        what: "API key",
        id: key_id.to_string(),
    };
    if !is_key_id(key_id) {
        return Err(not_found());
    }
    let (row, _) = tx.api_key_by_id(program, key_id)?.ok_or_else(not_found)?;
    let actor = jifen_store::KeyCaller {
        program,
        key_id: row.key_id.clone(),
        name: row.name.clone(),
        adjust_without_approval: row.adjust_without_approval,
    }
    .actor();
    let last = tx.audit_entries(program, Some(&actor), None, i64::MAX, 1)?;
    Ok(KeyToRevoke {
        key: KeyView::of(&row),
        last_audited_at: last.first().map(|e| e.created_at),
    })
}

/// A reason to revoke a key: required, one line, at most [`REVOKE_REASON_MAX`] characters.
fn check_revoke_reason(reason: &str) -> Result<String, AppError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(AppError::invalid("reason", "say why the key is revoked"));
    }
    if r.chars().count() > REVOKE_REASON_MAX || r.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "reason",
            format!("must be one line of at most {REVOKE_REASON_MAX} characters"),
        ));
    }
    Ok(r.to_string())
}

impl KeyView {
    pub fn of(k: &ApiKeyRow) -> KeyView {
        KeyView {
            key_id: k.key_id.clone(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            created_at: k.created_at,
            status: if k.revoked_at.is_some() {
                "revoked"
            } else {
                "active"
            }
            .into(),
            revoked_at: k.revoked_at,
            revoked_by: k.revoked_by.clone(),
            revoke_reason: k.revoke_reason.clone(),
            adjust_without_approval: k.adjust_without_approval,
        }
    }

    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// The programme's keys, newest first.
pub fn list(tx: &mut Tx<'_>, program: ProgramId) -> Result<Vec<KeyView>, AppError> {
    Ok(tx.api_keys(program)?.iter().map(KeyView::of).collect())
}

/// A key revoked, with its hash so that the caller can forget it from the cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoked {
    pub key: KeyView,
    pub key_hash: String,
}

/// Stores a key generated with [`generate`] under a name. The answer holds no secret.
pub fn create(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    name: &str,
    key: &NewKey,
    adjust_without_approval: bool,
) -> Result<KeyView, AppError> {
    let name = check_name(name)?;
    let program = ctx.program.id;
    let active = tx.count_active_api_keys(program)?;
    if active >= ACTIVE_MAX {
        return Err(AppError::conflict(
            "too_many_keys",
            format!("the programme has {active} active keys; revoke one first"),
            json!({"active": active, "max": ACTIVE_MAX}),
        ));
    }
    tx.insert_api_key(
        program,
        &key.hash,
        &key.prefix,
        &name,
        adjust_without_approval,
        now,
    )?;
    let id = key_id(&key.hash);
    let after = json!({"key_id": id, "name": name, "prefix": key.prefix,
                       "adjust_without_approval": adjust_without_approval});
    tx.audit(
        program,
        actor,
        "api_key.create",
        &format!("api_key:{id}"),
        None,
        Some(&after.to_string()),
        now,
    )?;
    Ok(KeyView {
        key_id: id.to_string(),
        name,
        prefix: Some(key.prefix.clone()),
        created_at: now,
        status: "active".into(),
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
        adjust_without_approval,
    })
}

/// Revokes a key by its id, saying why (required). The answer carries the key's hash
/// (`key_hash`) so that the caller can forget it from the cache; [`App::revoke_api_key`] does
/// both.
pub fn revoke(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    key_id: &str,
    reason: &str,
) -> Result<Revoked, AppError> {
    let reason = check_revoke_reason(reason)?;
    let program = ctx.program.id;
    let not_found = || AppError::NotFound {
        what: "API key",
        id: key_id.to_string(),
    };
    if !is_key_id(key_id) {
        return Err(not_found());
    }
    let (row, hash) = tx.api_key_by_id(program, key_id)?.ok_or_else(not_found)?;
    if row.revoked_at.is_some() || !tx.revoke_api_key(program, &hash, actor, &reason, now)? {
        return Err(AppError::conflict(
            "key_revoked",
            format!("the key {} is revoked already", row.name),
            json!({"key_id": key_id}),
        ));
    }
    let before = serde_json::to_value(KeyView::of(&row)).expect("a key view serializes");
    let after = json!({"key_id": key_id, "name": row.name, "status": "revoked", "reason": reason});
    tx.audit(
        program,
        actor,
        "api_key.revoke",
        &format!("api_key:{key_id}"),
        Some(&before.to_string()),
        Some(&after.to_string()),
        now,
    )?;
    let mut key = KeyView::of(&row);
    key.status = "revoked".into();
    key.revoked_at = Some(now);
    key.revoked_by = Some(actor.to_string());
    key.revoke_reason = Some(reason);
    Ok(Revoked {
        key,
        key_hash: hash,
    })
}

impl App {
    /// Revokes a key and forgets it from this node's cache, so that it stops authenticating
    /// here at once. Answers the key's view (without its hash).
    pub async fn revoke_api_key(
        &self,
        program: ProgramId,
        actor: &str,
        key_id: &str,
        reason: &str,
    ) -> Result<KeyView, AppError> {
        let (actor, id, reason) = (actor.to_string(), key_id.to_string(), reason.to_string());
        let out = self
            .write_view(program, "api_keys", None, move |tx, ctx, now| {
                revoke(tx, ctx, now, &actor, &id, &reason)
            })
            .await?;
        self.forget_api_key(&out.view.key_hash);
        Ok(out.view.key)
    }
}

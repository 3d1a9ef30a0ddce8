//! Queries of a programme's API keys as the console manages them: list, add with a visible
//! prefix, revoke. A key is named by the first 16 hex characters of its hash (its key id), so
//! that keys made before the console (the programme's first key, the CLI's) are named the same
//! way; only the SHA-256 of a key is stored.

use super::*;

/// Hex characters of a key's hash that name it in forms and the audit log.
pub const KEY_ID_LEN: usize = 16;

/// One API key, without its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub key_id: String,
    pub name: String,
    /// The first characters of the key; `None` for keys made before it was kept.
    pub prefix: Option<String>,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
    pub revoked_by: Option<String>,
    /// Adjustments through this key are applied above the approval threshold.
    pub adjust_without_approval: bool,
    /// Why it was revoked, as written by whoever revoked it.
    pub revoke_reason: Option<String>,
}

/// Who calls the API: the programme and the key, as the audit log names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCaller {
    pub program: ProgramId,
    pub key_id: String,
    pub name: String,
    pub adjust_without_approval: bool,
}

impl KeyCaller {
    /// How the audit log and the ledger's `actor` name this key.
    pub fn actor(&self) -> String {
        format!("api_key:{} ({})", self.key_id, self.name)
    }
}

const KEY_COLS: &str = "substr(key_hash, 1, 16), name, prefix, created_at, revoked_at, revoked_by, adjust_without_approval, revoke_reason";

fn key_row(r: &Row) -> ApiKeyRow {
    ApiKeyRow {
        key_id: r.text(0),
        name: r.text(1),
        prefix: r.opt_text(2),
        created_at: r.int(3),
        revoked_at: r.opt_int(4),
        revoked_by: r.opt_text(5),
        adjust_without_approval: r.int(6) != 0,
        revoke_reason: r.opt_text(7),
    }
}

impl Tx<'_> {
    /// Stores a new key's hash with its name and the first characters of the key.
    pub fn insert_api_key(
        &mut self,
        program: ProgramId,
        key_hash: &str,
        prefix: &str,
        name: &str,
        adjust_without_approval: bool,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO api_keys (key_hash, program_id, name, created_at, prefix, adjust_without_approval) VALUES ($1, $2, $3, $4, $5, $6)",
            &[key_hash.into(), program.0.into(), name.into(), now.into(), prefix.into(), adjust_without_approval.into()],
        )?;
        Ok(())
    }

    /// The live key with this hash, as a caller.
    pub fn key_caller(&mut self, key_hash: &str) -> StoreResult<Option<KeyCaller>> {
        Ok(self
            .conn
            .query_one(
                "SELECT program_id, substr(key_hash, 1, 16), name, adjust_without_approval FROM api_keys \
                 WHERE key_hash = $1 AND revoked_at IS NULL",
                &[key_hash.into()],
            )?
            .map(|r| KeyCaller {
                program: ProgramId(r.int(0)),
                key_id: r.text(1),
                name: r.text(2),
                adjust_without_approval: r.int(3) != 0,
            }))
    }

    /// The programme's keys, newest first, revoked ones included.
    pub fn api_keys(&mut self, program: ProgramId) -> StoreResult<Vec<ApiKeyRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {KEY_COLS} FROM api_keys WHERE program_id = $1 ORDER BY created_at DESC, key_hash"
                ),
                &[program.0.into()],
            )?
            .iter()
            .map(key_row)
            .collect())
    }

    /// Keys of the programme that still authenticate.
    pub fn count_active_api_keys(&mut self, program: ProgramId) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM api_keys WHERE program_id = $1 AND revoked_at IS NULL",
                &[program.0.into()],
            )?
            .map(|r| r.int(0))
            .unwrap_or(0))
    }

    /// One key of the programme by its key id, with its hash.
    pub fn api_key_by_id(
        &mut self,
        program: ProgramId,
        key_id: &str,
    ) -> StoreResult<Option<(ApiKeyRow, String)>> {
        Ok(self
            .conn
            .query_one(
                &format!(
                    "SELECT {KEY_COLS}, key_hash FROM api_keys WHERE program_id = $1 AND substr(key_hash, 1, 16) = $2"
                ),
                &[program.0.into(), key_id.into()],
            )?
            .map(|r| (key_row(&r), r.text(8))))
    }

    /// Revokes a live key, with why; false (and nothing written) when it was revoked already.
    pub fn revoke_api_key(
        &mut self,
        program: ProgramId,
        key_hash: &str,
        actor: &str,
        reason: &str,
        now: Millis,
    ) -> StoreResult<bool> {
        let n = self.conn.execute(
            "UPDATE api_keys SET revoked_at = $3, revoked_by = $4, revoke_reason = $5 \
             WHERE program_id = $1 AND key_hash = $2 AND revoked_at IS NULL",
            &[
                program.0.into(),
                key_hash.into(),
                now.into(),
                actor.into(),
                reason.into(),
            ],
        )?;
        self.writes += n;
        Ok(n == 1)
    }
}

//! The embedded store: SQLite in WAL mode with `synchronous=FULL`, so an acknowledged commit
//! survives a crash or power loss. SQLite admits one writer at a time, so Jifen runs one writer
//! connection that commits groups of commands, and readers on their own connections.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jifen_store::{Backend, Dialect, Row, SqlConn, StoreError, StoreResult, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_ledger.sql")),
    (2, include_str!("../migrations/0002_rules.sql")),
    (3, include_str!("../migrations/0003_risk.sql")),
    (4, include_str!("../migrations/0004_birthdays.sql")),
    (5, include_str!("../migrations/0005_tiers.sql")),
    (6, include_str!("../migrations/0006_coupons.sql")),
    (7, include_str!("../migrations/0007_mall.sql")),
    (8, include_str!("../migrations/0008_lotteries.sql")),
    (9, include_str!("../migrations/0009_images.sql")),
    (10, include_str!("../migrations/0010_webhooks.sql")),
    (11, include_str!("../migrations/0011_staff.sql")),
    (12, include_str!("../migrations/0012_approvals.sql")),
    (13, include_str!("../migrations/0013_member_centre.sql")),
    (14, include_str!("../migrations/0014_appeals.sql")),
    (15, include_str!("../migrations/0015_api_keys.sql")),
    (16, include_str!("../migrations/0016_lots_by_account.sql")),
    (17, include_str!("../migrations/0017_dashboard.sql")),
    (18, include_str!("../migrations/0018_referral_url.sql")),
    (19, include_str!("../migrations/0019_reservation_owner.sql")),
    (20, include_str!("../migrations/0020_adjust_rights.sql")),
    (21, include_str!("../migrations/0021_refund_recheck.sql")),
    (22, include_str!("../migrations/0022_chain.sql")),
    (23, include_str!("../migrations/0023_webhook_targets.sql")),
    (
        24,
        include_str!("../migrations/0024_centre_revocations.sql"),
    ),
    (25, include_str!("../migrations/0025_image_thumbs.sql")),
    (26, include_str!("../migrations/0026_mall_payment.sql")),
    (27, include_str!("../migrations/0027_activity.sql")),
    (28, include_str!("../migrations/0028_mall_categories.sql")),
    (29, include_str!("../migrations/0029_queue_history.sql")),
    (30, include_str!("../migrations/0030_phone_tail.sql")),
    (31, include_str!("../migrations/0031_key_revoke_reason.sql")),
    (32, include_str!("../migrations/0032_point_value.sql")),
];

/// How long a connection waits for another's lock before giving up (readers never wait in WAL;
/// this covers the CLI running beside a server).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection: more than the distinct statements Jifen runs.
const STATEMENT_CACHE: usize = 256;

/// How often the checkpointer copies committed WAL frames into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// The write-ahead log's size past which the checkpointer restarts it from the beginning and
/// truncates the file (see `start_checkpointer`).
pub const WAL_LIMIT_BYTES: u64 = 64 << 20;

pub struct SqliteBackend {
    path: PathBuf,
    wal_limit: u64,
    /// Cleared when the backend is dropped; the checkpointer thread then stops.
    alive: Arc<AtomicBool>,
    checkpointer_started: AtomicBool,
}

impl Drop for SqliteBackend {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::Relaxed);
    }
}

impl SqliteBackend {
    /// A database file at `path`; its folder is created if missing.
    pub fn new(path: impl AsRef<Path>) -> StoreResult<SqliteBackend> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Db(format!("cannot create {}: {e}", dir.display())))?;
        }
        Ok(SqliteBackend {
            path,
            wal_limit: WAL_LIMIT_BYTES,
            alive: Arc::new(AtomicBool::new(true)),
            checkpointer_started: AtomicBool::new(false),
        })
    }

    /// The size past which the write-ahead log is restarted and truncated (by default
    /// [`WAL_LIMIT_BYTES`]).
    pub fn with_wal_limit(mut self, bytes: u64) -> SqliteBackend {
        self.wal_limit = bytes;
        self
    }

    /// Copies the live database to `to` with SQLite's online backup API, in one step: a read
    /// snapshot, so the copy is consistent (every write committed before it began, none after)
    /// while the server keeps writing. `to` must not exist.
    fn backup_file(&self, to: &Path) -> StoreResult<()> {
        if to.exists() {
            return Err(StoreError::Db(format!(
                "{} exists; a backup never overwrites a file",
                to.display()
            )));
        }
        let src = self.open()?;
        let mut dst = rusqlite::Connection::open(to).map_err(map_err)?;
        {
            let b = rusqlite::backup::Backup::new(&src.conn, &mut dst).map_err(map_err)?;
            // All pages in one step: the source is read under one snapshot.
            match b.step(-1).map_err(map_err)? {
                rusqlite::backup::StepResult::Done => {}
                other => {
                    return Err(StoreError::Unavailable(format!(
                        "the backup did not finish ({other:?}); try again"
                    )));
                }
            }
        }
        // The copy is a plain database file, not in WAL mode, so that it is one file.
        dst.execute_batch("PRAGMA journal_mode = DELETE;")
            .map_err(map_err)?;
        Ok(())
    }

    /// Replaces this database with the backup at `from` (the server must be stopped), through
    /// the same backup API, so that the write-ahead log is reset with it.
    fn restore_file(&self, from: &Path) -> StoreResult<()> {
        if !from.exists() {
            return Err(StoreError::Db(format!("no backup at {}", from.display())));
        }
        let src =
            rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(map_err)?;
        let check: String = src
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(map_err)?;
        if check != "ok" {
            return Err(StoreError::Corrupt(format!(
                "{} fails its integrity check: {check}",
                from.display()
            )));
        }
        let mut dst = self.open()?;
        let b = rusqlite::backup::Backup::new(&src, &mut dst.conn).map_err(map_err)?;
        match b.step(-1).map_err(map_err)? {
            rusqlite::backup::StepResult::Done => Ok(()),
            other => Err(StoreError::Unavailable(format!(
                "the restore did not finish ({other:?}): is the server still running?"
            ))),
        }
    }

    /// The write-ahead log's file.
    pub fn wal_path(&self) -> PathBuf {
        PathBuf::from(format!("{}-wal", self.path.display()))
    }

    /// Checkpoints run on their own connection and thread, never inside a writer's commit:
    /// automatic checkpoints are off on every connection (see `open`). PASSIVE checkpoints
    /// never wait for the writer or readers; SQLite restarts the WAL from its start once a
    /// checkpoint has copied everything and no reader still needs old frames. Under steady
    /// writes that moment never comes (a new frame is always waiting), so the writer itself
    /// restarts the log once it passes its limit, between two batches (see
    /// `SqliteConn::between_batches`): this thread would never find the writer pausing.
    fn start_checkpointer(&self) -> StoreResult<()> {
        if self.checkpointer_started.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let conn = self.open()?;
        let alive = self.alive.clone();
        std::thread::Builder::new()
            .name("jifen-sqlite-checkpoint".into())
            .spawn(move || {
                while alive.load(Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                    let _ = conn
                        .conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|e| StoreError::Db(format!("cannot start the checkpointer: {e}")))?;
        Ok(())
    }

    fn open(&self) -> StoreResult<SqliteConn> {
        self.open_with("FULL")
    }

    /// `synchronous`: FULL syncs the WAL in every COMMIT; the writer uses NORMAL and makes its
    /// commits durable with `deferred_sync` before it acknowledges them. Checkpoints sync the
    /// WAL before copying it and the database after, in both modes.
    fn open_with(&self, synchronous: &str) -> StoreResult<SqliteConn> {
        let conn = rusqlite::Connection::open(&self.path).map_err(map_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = OFF; \
             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0;"
        ))
        .map_err(map_err)?;
        Ok(SqliteConn {
            conn,
            rewritten: HashMap::new(),
            wal_limit: None,
        })
    }
}

impl Backend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn connect(&self) -> StoreResult<Box<dyn SqlConn>> {
        self.start_checkpointer()?;
        Ok(Box::new(self.open()?))
    }

    fn connect_writer(&self) -> StoreResult<Box<dyn SqlConn>> {
        self.start_checkpointer()?;
        let mut c = self.open_with("NORMAL")?;
        c.conn
            .execute_batch(&format!("PRAGMA journal_size_limit = {};", self.wal_limit))
            .map_err(map_err)?;
        c.wal_limit = Some((self.wal_path(), self.wal_limit));
        Ok(Box::new(c))
    }

    fn deferred_sync(&self) -> Option<Arc<dyn Fn() -> StoreResult<()> + Send + Sync>> {
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        // Opened by path at every sync, so a WAL file SQLite recreated is the one synced.
        // fdatasync on any descriptor of the file flushes every write made to it before.
        Some(Arc::new(move || {
            std::fs::File::open(&wal)
                .and_then(|f| f.sync_data())
                .map_err(|e| StoreError::Db(format!("cannot sync {}: {e}", wal.display())))
        }))
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut c = self.open()?;
        c.batch("BEGIN IMMEDIATE")?;
        let result = (|| {
            c.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")?;
            let done = c.query("SELECT version FROM schema_migrations", &[])?;
            for (version, sql) in MIGRATIONS {
                if done.iter().any(|r| r.int(0) == *version) {
                    continue;
                }
                c.batch(sql)?;
                c.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, CAST(strftime('%s','now') AS INTEGER))",
                    &[Value::Int(*version)],
                )?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => c.batch("COMMIT"),
            Err(e) => {
                let _ = c.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn writers(&self) -> usize {
        1
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    fn backup_to(&self, to: &Path) -> StoreResult<()> {
        self.backup_file(to)
    }

    fn restore_from(&self, from: &Path) -> StoreResult<()> {
        self.restore_file(from)
    }
}

pub struct SqliteConn {
    conn: rusqlite::Connection,
    /// `$N` placeholders rewritten to SQLite's `?N`, keyed by the text's address and length
    /// (statements are mostly `'static`), checked against the text on every hit.
    rewritten: HashMap<(usize, usize), (String, Arc<str>)>,
    /// The writer's: the log file and its limit, checked between batches.
    wal_limit: Option<(PathBuf, u64)>,
}

struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn rewrite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(err, msg) = &e {
        let msg = msg.clone().unwrap_or_else(|| err.to_string());
        return match err.code {
            rusqlite::ErrorCode::ConstraintViolation
                if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::Unique(msg)
            }
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                StoreError::Conflict(msg)
            }
            rusqlite::ErrorCode::DiskFull => StoreError::Full(msg),
            rusqlite::ErrorCode::CannotOpen => StoreError::Unavailable(msg),
            _ => StoreError::Db(msg),
        };
    }
    StoreError::Db(e.to_string())
}

impl SqliteConn {
    fn sql(&mut self, sql: &str) -> Arc<str> {
        let key = (sql.as_ptr() as usize, sql.len());
        if let Some((original, rewritten)) = self.rewritten.get(&key)
            && original == sql
        {
            return rewritten.clone();
        }
        let rewritten: Arc<str> = rewrite(sql).into();
        self.rewritten
            .insert(key, (sql.to_string(), rewritten.clone()));
        rewritten
    }
}

impl SqlConn for SqliteConn {
    /// Past its limit the log is checkpointed to the end and restarted here, between two of
    /// the writer's batches: the one moment no write is in flight under steady load (the
    /// checkpointer thread's own attempts find the writer busy). PASSIVE rounds have copied
    /// most frames already, so this copies little and waits only for readers to finish.
    fn between_batches(&mut self) -> StoreResult<()> {
        if let Some((wal, limit)) = &self.wal_limit
            && std::fs::metadata(wal).map_or(0, |m| m.len()) > *limit
        {
            // RESTART: the next writes start the log from its beginning again, and SQLite cuts
            // the file back to `journal_size_limit` (the limit) as it does. Busy (a PASSIVE round
            // holds the checkpoint) is tried again after the next batch.
            self.conn
                .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                .map_err(map_err)?;
        }
        Ok(())
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> StoreResult<u64> {
        let sql = self.sql(sql);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(map_err)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(map_err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<Row>> {
        let sql = self.sql(sql);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(map_err)?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(map_err)? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i).map_err(map_err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Real(f) => Value::Int(f as i64),
                    ValueRef::Blob(_) => return Err(StoreError::Corrupt("unexpected blob".into())),
                });
            }
            out.push(Row(row));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> StoreResult<()> {
        self.conn.execute_batch(sql).map_err(map_err)
    }

    fn insert_id(&mut self, sql: &str, params: &[Value]) -> StoreResult<i64> {
        let Some(plain) = sql.strip_suffix(" RETURNING id") else {
            return Err(StoreError::Db(format!(
                "insert_id needs a statement ending in RETURNING id: {sql}"
            )));
        };
        self.execute(plain, params)?;
        Ok(self.conn.last_insert_rowid())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_become_numbered_question_marks() {
        assert_eq!(
            super::rewrite("a = $1 AND b = $12 OR c = '$'"),
            "a = ?1 AND b = ?12 OR c = '$'"
        );
    }
}

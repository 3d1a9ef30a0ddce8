//! The storage contract of Jifen.
//!
//! Both backends speak the same SQL for everything but DDL and row locks, so the queries live
//! here once, in [`Tx`], over the minimal [`SqlConn`] trait that `jifen-store-sqlite` and
//! `jifen-store-postgres` implement. A backend owns its migrations, its connections, and how a
//! dialect locks rows; it never decides anything about points. Only the store crates contain SQL.

use std::sync::Arc;

mod rows;
mod tx;

pub use rows::*;
pub use tx::*;

/// A value bound to or read from SQL. Jifen stores only integers and text: times are Unix
/// milliseconds, booleans 0/1, and structured settings JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v as i64)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row.
#[derive(Debug, Clone, Default)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn int(&self, i: usize) -> i64 {
        match &self.0[i] {
            Value::Int(v) => *v,
            other => panic!("column {i}: expected an integer, found {other:?}"),
        }
    }
    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match &self.0[i] {
            Value::Null => None,
            _ => Some(self.int(i)),
        }
    }
    pub fn text(&self, i: usize) -> String {
        match &self.0[i] {
            Value::Text(v) => v.clone(),
            other => panic!("column {i}: expected text, found {other:?}"),
        }
    }
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match &self.0[i] {
            Value::Null => None,
            _ => Some(self.text(i)),
        }
    }
}

/// Which SQL dialect a connection speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A storage failure. Business refusals are not store errors: the store only reports what the
/// database said, with the constraint named when one was violated.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint violated: {0}")]
    Unique(String),
    /// A serialization failure or deadlock: the whole transaction may be retried.
    #[error("transaction conflict, retry: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database cannot be reached (connection refused or lost, server shutting down):
    /// nothing was written and the same request may succeed later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The disk is full: nothing was written until space is freed.
    #[error("the database's disk is full: {0}")]
    Full(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The minimal connection a backend provides. SQL uses `$1, $2, ...` placeholders; the SQLite
/// backend rewrites them to `?1, ?2, ...` once per statement and caches the prepared statement.
pub trait SqlConn: Send {
    fn dialect(&self) -> Dialect;
    fn execute(&mut self, sql: &str, params: &[Value]) -> StoreResult<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<Row>>;
    /// Runs several statements separated by semicolons, without parameters (DDL, BEGIN...).
    fn batch(&mut self, sql: &str) -> StoreResult<()>;

    /// Whether the connection can still be used, found without a round trip: a pool asks
    /// before it hands out a connection that sat idle.
    fn is_usable(&mut self) -> bool {
        true
    }

    /// Upkeep the writer runs between two batches, with no transaction open (SQLite: restart
    /// a write-ahead log past its limit).
    fn between_batches(&mut self) -> StoreResult<()> {
        Ok(())
    }

    fn query_one(&mut self, sql: &str, params: &[Value]) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs independent writes. PostgreSQL sends them all before waiting for any answer (one
    /// round trip); SQLite runs them one after another in process.
    fn execute_many(&mut self, stmts: &[(&str, Vec<Value>)]) -> StoreResult<()> {
        for (sql, params) in stmts {
            self.execute(sql, params)?;
        }
        Ok(())
    }

    /// `n` fresh ids for rows of `table` (its `id` column), for inserts that name their ids so
    /// that they can be pipelined. Backends that insert one row at a time return `None`.
    fn allocate_ids(&mut self, table: &'static str, n: usize) -> StoreResult<Option<Vec<i64>>> {
        let _ = (table, n);
        Ok(None)
    }

    /// Runs an `INSERT ... RETURNING id` and returns the id. SQLite skips the RETURNING
    /// machinery and reads the new rowid directly, which is markedly cheaper.
    fn insert_id(&mut self, sql: &str, params: &[Value]) -> StoreResult<i64> {
        self.query_one(sql, params)?
            .map(|r| r.int(0))
            .ok_or_else(|| StoreError::Corrupt("an insert returned no id".into()))
    }
}

/// The way to open connections to one database; each backend implements it.
pub trait Backend: Send + Sync + 'static {
    fn dialect(&self) -> Dialect;
    /// Opens a new connection, ready for use.
    fn connect(&self) -> StoreResult<Box<dyn SqlConn>>;
    /// Opens a connection for a writer. A backend with a [`Backend::deferred_sync`] returns one
    /// whose COMMIT does not wait for the disk.
    fn connect_writer(&self) -> StoreResult<Box<dyn SqlConn>> {
        self.connect()
    }
    /// When present, writers commit without waiting for the disk and call this (on another
    /// thread, once for every group of commits) before acknowledging any of them: the fsync is
    /// taken off the writer's path, so the next batch executes while the last one is synced.
    fn deferred_sync(&self) -> Option<Arc<dyn Fn() -> StoreResult<()> + Send + Sync>> {
        None
    }
    /// Brings the schema to the newest version. Safe to run at every start and concurrently.
    fn migrate(&self) -> StoreResult<()>;
    /// How many concurrent writers the database takes well: 1 for SQLite (one writer at a time),
    /// more for PostgreSQL.
    fn writers(&self) -> usize;
    /// A short description for logs, with any password removed.
    fn describe(&self) -> String;
    /// A consistent copy of the live database in the file `to`, taken while it serves.
    fn backup_to(&self, to: &std::path::Path) -> StoreResult<()> {
        let _ = to;
        Err(StoreError::Db(
            "back up PostgreSQL with its own tools (pg_dump, or pg_basebackup with WAL archiving)"
                .into(),
        ))
    }
    /// Replaces the database with a backup taken by [`Backend::backup_to`]; the server must
    /// be stopped.
    fn restore_from(&self, from: &std::path::Path) -> StoreResult<()> {
        let _ = from;
        Err(StoreError::Db(
            "restore PostgreSQL with its own tools (pg_restore or psql)".into(),
        ))
    }
}

//! The scale-out store: PostgreSQL, chosen by a `postgres://` URL. Any number of Jifen nodes may
//! run against one database: commands lock the member's account rows (`FOR UPDATE`, in id
//! order), and conflicts that PostgreSQL reports (deadlock, serialization) are retried whole.

use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use jifen_store::{Backend, Dialect, Row, SqlConn, StoreError, StoreResult, Value};
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls};
use tokio_postgres::Statement;

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

/// Writer connections per process by default. Commands on one member always go to the same
/// writer, so more writers add parallelism across members without contention on a member.
pub const WRITERS_DEFAULT: usize = 4;
/// The advisory lock that serializes migrations when several nodes start at once.
const MIGRATION_LOCK: i64 = 0x6a6966656e;

pub struct PgBackend {
    url: String,
    writers: usize,
    /// Set for a database this process created for a test; dropped with the backend.
    drop_database: Option<(String, String)>,
}

impl PgBackend {
    pub fn new(url: &str, writers: usize) -> PgBackend {
        PgBackend {
            url: url.to_string(),
            writers: writers.max(1),
            drop_database: None,
        }
    }

    /// Creates a new, empty database named `name` on the server of `admin_url` and returns a
    /// backend for it that drops the database when it is dropped. For tests.
    pub fn create_temporary(admin_url: &str, name: &str) -> StoreResult<PgBackend> {
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "plain database names only"
        );
        let mut admin = Client::connect(admin_url, NoTls).map_err(map_err)?;
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .map_err(map_err)?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(map_err)?;
        let url = replace_database(admin_url, name);
        Ok(PgBackend {
            url,
            writers: WRITERS_DEFAULT,
            drop_database: Some((admin_url.to_string(), name.to_string())),
        })
    }

    pub fn set_writers(&mut self, writers: usize) {
        self.writers = writers.max(1);
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// `postgres://user@host:port/db?x` with the database replaced by `name`.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_database.take()
            && let Ok(mut admin) = Client::connect(&admin_url, NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

impl Backend for PgBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn connect(&self) -> StoreResult<Box<dyn SqlConn>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Db(format!("cannot start a runtime: {e}")))?;
        let (client, connection) = rt
            .block_on(tokio_postgres::connect(&self.url, NoTls))
            .map_err(map_err)?;
        // The connection task runs whenever this connection blocks on a query.
        rt.spawn(connection);
        Ok(Box::new(PgConn {
            rt: Some(rt),
            client,
            statements: HashMap::new(),
            ids: HashMap::new(),
        }))
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut client = Client::connect(&self.url, NoTls).map_err(map_err)?;
        let mut tx = client.transaction().map_err(map_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(map_err)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            .map_err(map_err)?;
        let done: Vec<i64> = tx
            .query("SELECT version FROM schema_migrations", &[])
            .map_err(map_err)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for (version, sql) in MIGRATIONS {
            if done.contains(version) {
                continue;
            }
            tx.batch_execute(sql).map_err(map_err)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[version],
            )
            .map_err(map_err)?;
        }
        tx.commit().map_err(map_err)
    }

    fn writers(&self) -> usize {
        self.writers
    }

    fn describe(&self) -> String {
        // Hide a password in `user:password@`.
        match (self.url.find("://"), self.url.find('@')) {
            (Some(s), Some(at)) if self.url[s + 3..at].contains(':') => {
                let user_end = s + 3 + self.url[s + 3..at].find(':').unwrap_or(0);
                format!("{}:***{}", &self.url[..user_end], &self.url[at..])
            }
            _ => self.url.clone(),
        }
    }
}

/// A connection on tokio-postgres, driven by its own single-threaded runtime: calls block, and
/// `execute_many` pipelines independent statements into one round trip.
pub struct PgConn {
    /// Always `Some` until the connection is dropped (see `Drop`).
    rt: Option<tokio::runtime::Runtime>,
    client: tokio_postgres::Client,
    statements: HashMap<String, Statement>,
    /// Ids drawn from each table's sequence in blocks, handed out by `allocate_ids`.
    ids: HashMap<&'static str, std::collections::VecDeque<i64>>,
}

/// Ids drawn from a sequence at once: one round trip per this many new rows.
const ID_BLOCK: i64 = 1_024;

#[derive(Debug)]
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::BOOL => (*v != 0).to_sql(ty, out),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn map_err(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        use postgres::error::SqlState;
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            return StoreError::Unique(db.constraint().unwrap_or(db.message()).to_string());
        }
        if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            return StoreError::Conflict(db.message().to_string());
        }
        let text = format!("{}: {}", code.code(), db.message());
        if *code == SqlState::DISK_FULL {
            return StoreError::Full(text);
        }
        // Connection exceptions (08), the server shutting down or starting (57P01-57P03),
        // too many connections: nothing was done, and a later try may succeed.
        if code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(code)
        {
            return StoreError::Unavailable(text);
        }
        return StoreError::Db(text);
    }
    // A closed connection, or one that could not be made (refused, reset, timed out).
    let io =
        std::error::Error::source(&e).is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
    if e.is_closed() || io {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Db(e.to_string())
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> StoreResult<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .rt()
            .block_on(self.client.prepare(sql))
            .map_err(map_err)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

fn decode(rows: Vec<tokio_postgres::Row>, sql: &str) -> StoreResult<Vec<Row>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut row = Vec::with_capacity(r.len());
        for (i, col) in r.columns().iter().enumerate() {
            let ty = col.type_();
            let v = if *ty == Type::INT8 {
                r.get::<_, Option<i64>>(i).map(Value::Int)
            } else if *ty == Type::INT4 {
                r.get::<_, Option<i32>>(i).map(|v| Value::Int(v as i64))
            } else if *ty == Type::INT2 {
                r.get::<_, Option<i16>>(i).map(|v| Value::Int(v as i64))
            } else if *ty == Type::BOOL {
                r.get::<_, Option<bool>>(i).map(|v| Value::Int(v as i64))
            } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
                r.get::<_, Option<String>>(i).map(Value::Text)
            } else {
                return Err(StoreError::Corrupt(format!(
                    "unexpected column type {ty} in {sql}"
                )));
            };
            row.push(v.unwrap_or(Value::Null));
        }
        out.push(Row(row));
    }
    Ok(out)
}

impl Drop for PgConn {
    fn drop(&mut self) {
        // A connection may be dropped on an async thread (the server's pools at shutdown),
        // where dropping a runtime the blocking way panics.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl PgConn {
    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt
            .as_ref()
            .expect("the runtime lives as long as the connection")
    }
}

impl SqlConn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn is_usable(&mut self) -> bool {
        if self.client.is_closed() {
            return false;
        }
        // The connection task runs only while a call blocks: let it read what the server sent
        // meanwhile (a termination, a closed socket) before the next query finds out.
        // The first yield lets the runtime poll the socket, the next ones run the task.
        self.rt().block_on(async {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        });
        !self.client.is_closed()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> StoreResult<u64> {
        let stmt = self.statement(sql)?;
        let params: Vec<Param> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.rt()
            .block_on(self.client.execute(&stmt, &refs))
            .map_err(map_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<Row>> {
        let stmt = self.statement(sql)?;
        let params: Vec<Param> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self
            .rt()
            .block_on(self.client.query(&stmt, &refs))
            .map_err(map_err)?;
        decode(rows, sql)
    }

    fn batch(&mut self, sql: &str) -> StoreResult<()> {
        self.rt()
            .block_on(self.client.batch_execute(sql))
            .map_err(map_err)
    }

    fn execute_many(&mut self, stmts: &[(&str, Vec<Value>)]) -> StoreResult<()> {
        let prepared: Vec<Statement> = stmts
            .iter()
            .map(|(sql, _)| self.statement(sql))
            .collect::<StoreResult<_>>()?;
        let params: Vec<Vec<Param>> = stmts
            .iter()
            .map(|(_, p)| p.iter().map(Param).collect())
            .collect();
        let refs: Vec<Vec<&(dyn ToSql + Sync)>> = params
            .iter()
            .map(|ps| ps.iter().map(|p| p as &(dyn ToSql + Sync)).collect())
            .collect();
        let client = &self.client;
        // Polling the futures together makes tokio-postgres send every statement before it
        // reads the first answer.
        let all = futures_util::future::try_join_all(
            prepared
                .iter()
                .zip(&refs)
                .map(|(st, r)| client.execute(st, r)),
        );
        self.rt().block_on(all).map_err(map_err)?;
        Ok(())
    }

    fn allocate_ids(&mut self, table: &'static str, n: usize) -> StoreResult<Option<Vec<i64>>> {
        if n == 0 {
            return Ok(Some(Vec::new()));
        }
        let have = self.ids.get(table).map_or(0, |q| q.len());
        if have < n {
            let want = (n - have) as i64 + ID_BLOCK;
            let rows = self.query(
                "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
                &[Value::Text(table.to_string()), Value::Int(want)],
            )?;
            let q = self.ids.entry(table).or_default();
            q.extend(rows.iter().map(|r| r.int(0)));
        }
        let q = self.ids.get_mut(table).expect("filled above");
        Ok(Some(q.drain(..n).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_in_urls() {
        assert_eq!(
            replace_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h", "x"), "postgres://u@h/x");
    }

    #[test]
    fn passwords_are_hidden_in_descriptions() {
        let b = PgBackend::new("postgres://u:secret@h/db", 1);
        assert_eq!(b.describe(), "postgres://u:***@h/db");
    }
}

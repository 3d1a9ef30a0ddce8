//! Jifen's use cases.
//!
//! Every write is a closure over a store transaction, submitted to a writer thread. A writer
//! takes every command waiting in its queue (up to [`BATCH_MAX`]), runs them one after another in
//! a single transaction, commits once, and only then answers each caller: group commit, so that
//! durable throughput is bounded by fsyncs per batch rather than per request. Commands decide
//! everything (and may refuse) before their first write, so a refused command leaves nothing
//! behind in the batch. If the database fails the batch, each command is re-run alone.
//!
//! Commands on one member always go to the same writer (by a hash of the member's key), so a
//! member's commands are applied in order and never contend across writers of one process.

pub mod access;
pub mod activity;
pub mod appeals;
pub mod background;
pub mod centre;
pub mod chain;
pub mod checkout;
pub mod commands;
pub mod console;
pub mod coupons;
pub mod earn;
mod error;
pub mod images;
pub mod jobs;
pub mod keys;
pub mod lottery;
pub mod mall;
pub mod member_centre;
pub mod members;
mod outbound;
pub mod overview;
mod pool;
pub mod staff;
pub mod svg;
pub mod tiers;
pub mod views;
pub mod webhooks;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

pub use background::panic_message;
pub use error::{AppError, ErrorClass};
use jifen_ledger::{Millis, ProgramId};
/// The transaction a use case runs in. Callers outside this crate only pass it on to use cases;
/// they call nothing on it (a test in the `jifen` crate checks the web crate).
pub use jifen_store::Tx;
use jifen_store::{Backend, Program, SystemAccounts};
use jiff::tz::TimeZone;
pub use jobs::{JobFailure, JobReport, JobScope, ProgramJobs};
pub use pool::ReadPool;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
pub use writer::{BATCH_MAX, Outcome, WriterStats, Written};

/// The first instant of the local day (in `tz`) containing `at`: where daily limits and caps
/// start counting.
pub fn day_start(at: Millis, tz: &TimeZone) -> Millis {
    earn::start_of(earn::local_date(at, tz), tz)
}

/// How long a node trusts its cached copy of a programme's settings.
pub const PROGRAM_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The source of "now". Tests use [`ManualClock`] to move through expiry and vesting dates.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Millis;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        jiff::Timestamp::now().as_millisecond()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(at: Millis) -> ManualClock {
        ManualClock(AtomicI64::new(at))
    }
    pub fn set(&self, at: Millis) {
        self.0.store(at, Ordering::SeqCst);
    }
    pub fn advance_days(&self, days: i64) {
        self.0.fetch_add(days * 86_400_000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

impl Clock for Arc<ManualClock> {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// What a command needs to know of its programme, loaded once and cached.
#[derive(Debug, Clone)]
pub struct ProgramCtx {
    pub program: Program,
    pub tz: TimeZone,
    pub system: SystemAccounts,
    /// The active earning rules and settings, compiled.
    pub earn: Arc<earn::EarnCtx>,
}

/// The application: a backend, its writers and readers, a clock, and caches of programmes.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Arc<dyn Backend>,
    writers: writer::Writers,
    reads: ReadPool,
    clock: Arc<dyn Clock>,
    /// Programmes by id, with when they were loaded: entries older than [`PROGRAM_CACHE_TTL`]
    /// are reloaded, so a settings change made on another node is seen within that time.
    programs: RwLock<HashMap<ProgramId, (std::time::Instant, Arc<ProgramCtx>)>>,
    /// Known API key hashes, each with when it was last checked against the store: an entry
    /// older than [`API_KEY_RECHECK`] is checked again, so a key revoked on another node stops
    /// working here within that time.
    api_keys: RwLock<HashMap<String, (jifen_store::KeyCaller, std::time::Instant)>>,
    /// Backtests by id: running ones report progress, finished ones their result.
    backtests: std::sync::Mutex<Vec<(String, ProgramId, Arc<std::sync::Mutex<Backtest>>)>>,
    /// Certificate authorities webhooks trust beside the built-in roots.
    webhook_roots: RwLock<Vec<reqwest::Certificate>>,
    /// The overview's figures per programme and range, read at most once a minute; the
    /// console and the API share them.
    figures: overview::FiguresCache,
}

/// The state of one backtest, as polled.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[schemars(rename = "BacktestState")]
pub struct Backtest {
    pub backtest_id: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Events in the range.
    pub events_total: i64,
    /// Events replayed so far.
    pub events_done: i64,
    /// The result once done; `null` before.
    pub result: Option<earn::BacktestResult>,
    /// Why it failed; `null` unless it did.
    pub error: Option<String>,
}

/// How long a node trusts an API key it has checked before checking it again.
pub const API_KEY_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// Backtests a node keeps to answer polls; the oldest finished ones are forgotten first.
pub const BACKTESTS_KEPT: usize = 32;
/// Backtests running at once on a node: each is a thread reading through the read pool.
pub const BACKTESTS_RUNNING_MAX: usize = 4;

/// Hex SHA-256, used for API keys at rest and request fingerprints.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

impl App {
    /// Migrates the database and starts the writers.
    pub fn start(backend: Arc<dyn Backend>, clock: Arc<dyn Clock>) -> Result<App, AppError> {
        backend.migrate()?;
        let writers = writer::Writers::start(backend.clone(), clock.clone())?;
        let reads = ReadPool::new(backend.clone());
        Ok(App {
            inner: Arc::new(Inner {
                backend,
                writers,
                reads,
                clock,
                programs: RwLock::new(HashMap::new()),
                api_keys: RwLock::new(HashMap::new()),
                backtests: std::sync::Mutex::new(Vec::new()),
                webhook_roots: RwLock::new(Vec::new()),
                figures: overview::FiguresCache::default(),
            }),
        })
    }

    /// The overview's figures, cached per programme and range.
    pub fn figures(&self) -> &overview::FiguresCache {
        &self.inner.figures
    }

    /// Trusts the certificate authorities of a PEM bundle for webhook deliveries, beside the
    /// built-in roots (a company's own CA, say). Returns how many certificates it read.
    pub fn add_webhook_roots(&self, pem: &[u8]) -> Result<usize, AppError> {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| AppError::invalid("webhook_ca", format!("is not a PEM bundle: {e}")))?;
        if certs.is_empty() {
            return Err(AppError::invalid(
                "webhook_ca",
                "holds no certificate (expected -----BEGIN CERTIFICATE-----)",
            ));
        }
        let n = certs.len();
        self.inner
            .webhook_roots
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(certs);
        Ok(n)
    }

    pub(crate) fn webhook_roots(&self) -> Vec<reqwest::Certificate> {
        self.inner
            .webhook_roots
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    /// Stops taking writes, lets the writers commit what was queued (the batch in flight
    /// included) and answer its callers, and waits for them. Writes after this are refused as
    /// unavailable; reads go on working.
    pub fn shutdown(&self) {
        self.inner.writers.shutdown();
    }

    /// What the writers did since start.
    pub fn writer_stats(&self) -> &WriterStats {
        &self.inner.writers.stats
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// Runs a read on a pooled connection, off the async executor.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, AppError> + Send + 'static,
    {
        let reads = self.inner.reads.clone();
        tokio::task::spawn_blocking(move || reads.with(f))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    }

    /// Runs a read on the calling thread (for the CLI and jobs outside the server).
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.inner.reads.with(f)
    }

    /// Submits a write. `partition` routes it to a writer (use the member's key); `idem` is the
    /// idempotency key, with the request's fingerprint: a repeat with the same fingerprint gets
    /// the first answer back, a repeat with another fingerprint is refused.
    pub async fn write<F>(
        &self,
        program: ProgramId,
        partition: &str,
        idem: Option<(String, String)>,
        f: F,
    ) -> Result<Outcome, AppError>
    where
        F: FnMut(&mut Tx<'_>, &ProgramCtx, Millis) -> Result<serde_json::Value, AppError>
            + Send
            + 'static,
    {
        let ctx = self.program_ctx(program).await?;
        self.inner
            .writers
            .submit(ctx, partition, idem, Box::new(f))
            .await
    }

    /// [`App::write`] for a use case that answers a typed view: the idempotency record keeps
    /// the view serialized, and a replay reads it back into the same type.
    pub async fn write_view<T, F>(
        &self,
        program: ProgramId,
        partition: &str,
        idem: Option<(String, String)>,
        mut f: F,
    ) -> Result<Written<T>, AppError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        F: FnMut(&mut Tx<'_>, &ProgramCtx, Millis) -> Result<T, AppError> + Send + 'static,
    {
        let out = self
            .write(program, partition, idem, move |tx, ctx, now| {
                view_json(f(tx, ctx, now))
            })
            .await?;
        Written::from_outcome(out)
    }

    /// A write from synchronous code (CLI, demo seeding): blocks until committed.
    pub fn write_blocking<F>(
        &self,
        program: ProgramId,
        partition: &str,
        idem: Option<(String, String)>,
        f: F,
    ) -> Result<Outcome, AppError>
    where
        F: FnMut(&mut Tx<'_>, &ProgramCtx, Millis) -> Result<serde_json::Value, AppError>
            + Send
            + 'static,
    {
        let ctx = self.program_ctx_blocking(program)?;
        self.inner
            .writers
            .submit_blocking(ctx, partition, idem, Box::new(f))
    }

    /// [`App::write_blocking`] for a use case that answers a typed view.
    pub fn write_view_blocking<T, F>(
        &self,
        program: ProgramId,
        partition: &str,
        idem: Option<(String, String)>,
        mut f: F,
    ) -> Result<Written<T>, AppError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        F: FnMut(&mut Tx<'_>, &ProgramCtx, Millis) -> Result<T, AppError> + Send + 'static,
    {
        let out = self.write_blocking(program, partition, idem, move |tx, ctx, now| {
            view_json(f(tx, ctx, now))
        })?;
        Written::from_outcome(out)
    }

    /// Runs a write that belongs to no programme yet (creating one), on the first writer.
    pub fn admin_write_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx<'_>, Millis) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.inner.writers.run_admin(Box::new(f))
    }

    pub async fn program_ctx(&self, id: ProgramId) -> Result<Arc<ProgramCtx>, AppError> {
        if let Some(ctx) = self.cached_program(id) {
            return Ok(ctx);
        }
        let app = self.clone();
        tokio::task::spawn_blocking(move || app.program_ctx_blocking(id))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    }

    pub fn program_ctx_blocking(&self, id: ProgramId) -> Result<Arc<ProgramCtx>, AppError> {
        if let Some(ctx) = self.cached_program(id) {
            return Ok(ctx);
        }
        let ctx = self.inner.reads.with(|tx| {
            let program = tx.program(id)?.ok_or(AppError::NotFound {
                what: "programme",
                id: id.to_string(),
            })?;
            let system = tx.system_accounts(id)?;
            let tz = TimeZone::get(&program.timezone).map_err(|e| {
                AppError::Internal(format!("programme time zone {:?}: {e}", program.timezone))
            })?;
            let earn = Arc::new(earn::EarnCtx::load(tx, id, &tz)?);
            Ok(ProgramCtx {
                program,
                tz,
                system,
                earn,
            })
        })?;
        let ctx = Arc::new(ctx);
        self.inner
            .programs
            .write()
            .expect("lock")
            .insert(id, (std::time::Instant::now(), ctx.clone()));
        Ok(ctx)
    }

    fn cached_program(&self, id: ProgramId) -> Option<Arc<ProgramCtx>> {
        let cache = self.inner.programs.read().expect("lock");
        cache
            .get(&id)
            .filter(|(at, _)| at.elapsed() < PROGRAM_CACHE_TTL)
            .map(|(_, ctx)| ctx.clone())
    }

    /// Forgets a cached programme after its settings change.
    pub fn invalidate_program(&self, id: ProgramId) {
        self.inner.programs.write().expect("lock").remove(&id);
    }

    /// Forgets a cached API key (by its hash) after it was revoked.
    pub fn forget_api_key(&self, key_hash: &str) {
        self.inner.api_keys.write().expect("lock").remove(key_hash);
    }

    /// The programme an API key belongs to, if the key is known.
    pub async fn authenticate(&self, api_key: &str) -> Result<Option<ProgramId>, AppError> {
        Ok(self.authenticate_caller(api_key).await?.map(|c| c.program))
    }

    /// The programme and key an API key names, with the key's rights.
    pub async fn authenticate_caller(
        &self,
        api_key: &str,
    ) -> Result<Option<jifen_store::KeyCaller>, AppError> {
        let hash = sha256_hex(api_key.as_bytes());
        if let Some((c, at)) = self.inner.api_keys.read().expect("lock").get(&hash)
            && at.elapsed() < API_KEY_RECHECK
        {
            return Ok(Some(c.clone()));
        }
        let h = hash.clone();
        let found = self.read(move |tx| Ok(tx.key_caller(&h)?)).await?;
        if let Some(c) = &found {
            self.inner
                .api_keys
                .write()
                .expect("lock")
                .insert(hash, (c.clone(), std::time::Instant::now()));
        } else {
            self.inner.api_keys.write().expect("lock").remove(&hash);
        }
        Ok(found)
    }
}

impl App {
    /// Starts a backtest on its own thread and returns its first state; poll it with
    /// [`App::backtest`]. Reads go through the read pool, page by page, so the writers and the
    /// API are never held up.
    pub fn start_backtest(
        &self,
        program: ProgramId,
        b: earn::BacktestIn,
    ) -> Result<Backtest, AppError> {
        let include_active = b.validate()?;
        let ctx = self.program_ctx_blocking(program)?;
        let set = self.read_blocking({
            let ctx = ctx.clone();
            let b = b.clone();
            move |tx| earn::proposed_set(tx, &ctx, &b.rule_ids, &b.rules, include_active)
        })?;
        let (from, to) = (b.from, b.to);
        let total = self.read_blocking(move |tx| Ok(tx.count_events(program, from, to)?))?;
        let id = format!("bt_{}", hex::encode(rand::random::<[u8; 8]>()));
        let state = Arc::new(std::sync::Mutex::new(Backtest {
            backtest_id: id.clone(),
            status: "running".into(),
            events_total: total,
            events_done: 0,
            result: None,
            error: None,
        }));
        {
            let mut all = self.inner.backtests.lock().expect("lock");
            let running = all
                .iter()
                .filter(|(_, _, s)| s.lock().expect("lock").status == "running")
                .count();
            if running >= BACKTESTS_RUNNING_MAX {
                return Err(AppError::conflict(
                    "too_many_backtests",
                    format!("{running} backtests are running; wait for one to finish"),
                    serde_json::json!({"running": running}),
                ));
            }
            if all.len() >= BACKTESTS_KEPT
                && let Some(i) = all
                    .iter()
                    .position(|(_, _, s)| s.lock().expect("lock").status != "running")
            {
                all.remove(i);
            }
            all.push((id.clone(), program, state.clone()));
        }
        let app = self.clone();
        let first = state.lock().expect("lock").clone();
        std::thread::Builder::new()
            .name("backtest".into())
            .spawn(move || {
                let run = || -> Result<earn::BacktestResult, AppError> {
                    let mut replay = earn::Replay::default();
                    let mut after: Option<(Millis, String)> = None;
                    loop {
                        let cursor = after.clone();
                        let page = app.read_blocking(move |tx| {
                            Ok(tx.events_page(program, from, to, cursor, earn::BACKTEST_PAGE)?)
                        })?;
                        let Some(last) = page.last() else { break };
                        after = Some((last.occurred_at, last.event_id.clone()));
                        for e in &page {
                            let mut vars = earn::vars_parse(&e.vars);
                            if earn::needs_fill(&set, e) {
                                let (c, s, ev) = (ctx.clone(), set.clone(), e.clone());
                                vars = app.read_blocking(move |tx| {
                                    earn::fill_missing(tx, &c, &s, &ev, &mut vars)?;
                                    Ok(vars)
                                })?;
                            }
                            replay.event(&set, e, &vars, &ctx.tz, &ctx.earn.settings.trigger_caps);
                        }
                        state.lock().expect("lock").events_done = replay.events;
                    }
                    Ok(replay.finish())
                };
                // A panic while replaying fails the backtest instead of leaving it running.
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                    .unwrap_or_else(|_| {
                        Err(AppError::Internal(
                            "the backtest stopped unexpectedly".into(),
                        ))
                    });
                let mut s = state.lock().expect("lock");
                match out {
                    Ok(r) => {
                        s.status = "done".into();
                        s.result = Some(r);
                    }
                    Err(e) => {
                        s.status = "failed".into();
                        s.error = Some(e.to_string());
                    }
                }
            })
            .map_err(|e| AppError::Internal(format!("backtest thread: {e}")))?;
        Ok(first)
    }

    /// A backtest's state, if this node runs or ran it for the programme.
    pub fn backtest(&self, program: ProgramId, id: &str) -> Option<Backtest> {
        let all = self.inner.backtests.lock().expect("lock");
        all.iter()
            .find(|(i, p, _)| i == id && *p == program)
            .map(|(_, _, s)| s.lock().expect("lock").clone())
    }
}

/// The new programme and the API key that reaches it (shown once; only its hash is stored).
#[derive(Debug, Clone)]
pub struct CreatedProgram {
    pub id: ProgramId,
    pub api_key: String,
}

impl App {
    /// Creates a programme with its system accounts and one API key.
    pub fn create_program(
        &self,
        code: &str,
        name: &str,
        currency: &str,
        timezone: &str,
        policy: jifen_ledger::policy::LedgerPolicy,
    ) -> Result<CreatedProgram, AppError> {
        policy.validate()?;
        TimeZone::get(timezone).map_err(|e| {
            AppError::invalid("timezone", format!("unknown time zone {timezone:?}: {e}"))
        })?;
        if code.is_empty()
            || code.len() > 64
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(AppError::invalid(
                "code",
                "must be 1 to 64 characters of letters, digits, - and _",
            ));
        }
        let key = keys::generate();
        let (hash, prefix, api_key) = (key.hash, key.prefix, key.secret);
        let (code, name, currency, timezone) = (
            code.to_string(),
            name.to_string(),
            currency.to_string(),
            timezone.to_string(),
        );
        let id = self.admin_write_blocking(move |tx, now| {
            if tx.program_by_code(&code)?.is_some() {
                return Err(AppError::conflict(
                    "program_exists",
                    format!("programme {code} exists"),
                    serde_json::json!({}),
                ));
            }
            let id = tx.insert_program(&code, &name, &currency, &timezone, &policy, now)?;
            // The programme's first key is its owner's: it may adjust above the threshold.
            tx.insert_api_key(id, &hash, &prefix, "default", true, now)?;
            Ok(id)
        })?;
        Ok(CreatedProgram { id, api_key })
    }

    /// Replaces a programme's name, time zone and ledger policy in `actor`'s name (audited as
    /// `program.update`, with the settings before and after). New settings apply to commands
    /// from now on; what was already earned keeps its dates.
    pub fn update_program(
        &self,
        program: ProgramId,
        actor: String,
        name: String,
        timezone: String,
        policy: jifen_ledger::policy::LedgerPolicy,
    ) -> Result<(), AppError> {
        policy.validate()?;
        TimeZone::get(&timezone).map_err(|e| {
            AppError::invalid("timezone", format!("unknown time zone {timezone:?}: {e}"))
        })?;
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", "must be 1 to 100 characters"));
        }
        self.admin_write_blocking(move |tx, now| {
            let old = tx.program(program)?.ok_or(AppError::NotFound {
                what: "programme",
                id: program.to_string(),
            })?;
            tx.update_program_policy(program, &name, &timezone, &policy)?;
            let settings =
                |name: &str, timezone: &str, policy: &jifen_ledger::policy::LedgerPolicy| {
                    serde_json::json!({"name": name, "timezone": timezone, "policy": policy})
                        .to_string()
                };
            let before = settings(&old.name, &old.timezone, &old.policy);
            let after = settings(&name, &timezone, &policy);
            let target = format!("program:{program}");
            tx.audit(
                program,
                &actor,
                "program.update",
                &target,
                Some(&before),
                Some(&after),
                now,
            )?;
            Ok(())
        })?;
        self.invalidate_program(program);
        Ok(())
    }

    /// Adds an API key to a programme and returns it.
    pub fn create_api_key(
        &self,
        program: ProgramId,
        name: &str,
        adjust_without_approval: bool,
    ) -> Result<String, AppError> {
        let key = keys::generate();
        let (hash, prefix) = (key.hash.clone(), key.prefix.clone());
        let name = name.to_string();
        self.admin_write_blocking(move |tx, now| {
            Ok(tx.insert_api_key(program, &hash, &prefix, &name, adjust_without_approval, now)?)
        })?;
        Ok(key.secret)
    }

    /// Rechecks every ledger invariant of a programme over its stored rows.
    pub fn verify(
        &self,
        program: ProgramId,
    ) -> Result<Vec<jifen_ledger::invariants::Drift>, AppError> {
        self.read_blocking(move |tx| {
            let accounts = tx.all_accounts(program)?;
            let transfers = tx.all_transfers(program)?;
            let lots = tx.all_lots(program)?;
            let mut drift = jifen_ledger::invariants::check(&accounts, &transfers, &lots);
            if let (Some(broken), _) = crate::chain::verify(tx, program)? {
                drift.push(jifen_ledger::invariants::Drift {
                    invariant: "hash_chain",
                    detail: broken,
                });
            }
            for order in tx.orders_over_reversed(program)? {
                drift.push(jifen_ledger::invariants::Drift {
                    invariant: "refund_within_order",
                    detail: format!(
                        "order {order} reversed more than it earned or refunded more than it paid"
                    ),
                });
            }
            Ok(drift)
        })
    }
}

/// A CSV field: quoted when it holds a comma, quote or line break; one that starts with =, +,
/// -, @, a tab or a carriage return is prefixed with ' so that spreadsheets never run it as a
/// formula (CSV injection).
pub fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// Opens the store a URL names: `postgres://...` or `postgresql://...` for PostgreSQL,
/// `sqlite:PATH` or a plain path for SQLite.
pub fn open_backend(url: &str, pg_writers: usize) -> Result<Arc<dyn Backend>, AppError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(jifen_store_postgres::PgBackend::new(
            url, pg_writers,
        )));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    Ok(Arc::new(jifen_store_sqlite::SqliteBackend::new(path)?))
}

/// A typed view as the JSON a write's idempotency record keeps.
fn view_json<T: Serialize>(view: Result<T, AppError>) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(view?).map_err(|e| AppError::Internal(e.to_string()))
}

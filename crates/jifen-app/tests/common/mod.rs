//! The harness of the storage conformance suite: backends, a programme with a manual clock, and
//! one helper per command, so that every story reads as the business steps it checks.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jifen_app::commands::{
    self, Adjustment, MemberRef, MemberTransfer, Merge, NewMember, Purchase, RedemptionRefund,
    Refund, Reserve, Spend,
};
use jifen_app::views::{self, Balance, LotView};
use jifen_app::{App, AppError, Clock, JobReport, ManualClock, Outcome, ProgramCtx};
use jifen_ledger::invariants::{AccountRow, Owner, TransferRow};
use jifen_ledger::policy::{LedgerPolicy, ShortfallPolicy, Validity};
use jifen_ledger::{Lot, MemberId, Millis, PointType, ProgramId, SystemAccount};
use jifen_store::{Backend, Identity, LotTotals, Member, MemberProfile, Tx};
use serde_json::Value;

/// Makes a `sqlite::<story>` and a `postgres::<story>` test of each story function.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $story() { super::$story(crate::common::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $story() {
                if let Some(b) = crate::common::postgres() { super::$story(b) }
            } )*
        }
    };
}

pub const DAY: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z, where every story starts.
pub const START: i64 = 1_767_225_600_000;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A name no other test of any run uses at the same time.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh SQLite database in the temporary folder, removed when the last user of the backend
/// (the App's writer threads) lets go of it.
pub fn sqlite() -> Arc<dyn Backend> {
    let path = std::env::temp_dir().join(format!("{}.db", unique("jifen_conformance")));
    let inner = jifen_store_sqlite::SqliteBackend::new(&path).expect("SQLite backend");
    Arc::new(TempSqlite { inner, path })
}

/// `SqliteBackend` with every call passed through unchanged; only its files are deleted on drop.
struct TempSqlite {
    inner: jifen_store_sqlite::SqliteBackend,
    path: std::path::PathBuf,
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

impl Backend for TempSqlite {
    fn dialect(&self) -> jifen_store::Dialect {
        self.inner.dialect()
    }
    fn connect(&self) -> jifen_store::StoreResult<Box<dyn jifen_store::SqlConn>> {
        self.inner.connect()
    }
    fn connect_writer(&self) -> jifen_store::StoreResult<Box<dyn jifen_store::SqlConn>> {
        self.inner.connect_writer()
    }
    fn deferred_sync(&self) -> Option<Arc<dyn Fn() -> jifen_store::StoreResult<()> + Send + Sync>> {
        self.inner.deferred_sync()
    }
    fn migrate(&self) -> jifen_store::StoreResult<()> {
        self.inner.migrate()
    }
    fn writers(&self) -> usize {
        self.inner.writers()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn backup_to(&self, to: &std::path::Path) -> jifen_store::StoreResult<()> {
        self.inner.backup_to(to)
    }
    fn restore_from(&self, from: &std::path::Path) -> jifen_store::StoreResult<()> {
        self.inner.restore_from(from)
    }
}

/// A fresh PostgreSQL database on the test server. Panics (the test fails, it is never skipped)
/// when the server cannot be reached.
pub fn postgres() -> Option<Arc<dyn Backend>> {
    let admin = jifen_testkit::postgres()?;
    let name = unique("jifen_conformance");
    match jifen_store_postgres::PgBackend::create_temporary(&admin, &name) {
        Ok(b) => Some(Arc::new(b)),
        Err(e) => panic!(
            "the PostgreSQL conformance tests need a server at {admin} (set JIFEN_TEST_PG_URL): {e}"
        ),
    }
}

/// The policy most stories start from: points vest after `pending_days`, live 30 days, and a
/// shortfall becomes debt.
pub fn policy(pending_days: u32) -> LedgerPolicy {
    LedgerPolicy {
        validity: Validity::Days { days: 30 },
        pending_days,
        points_per_unit: 1,
        growth_per_unit: 1,
        shortfall: ShortfallPolicy::Debt,
        clawback_pending_first: false,
    }
}

/// Lifetime counters, in the order `LotTotals` declares them.
pub fn lifetime(
    earned: i64,
    received: i64,
    spent: i64,
    expired: i64,
    reversed: i64,
    moved_out: i64,
) -> LotTotals {
    LotTotals {
        earned,
        received,
        spent,
        expired,
        reversed,
        moved_out,
    }
}

/// Everything stored for a programme's ledger, to prove that a refused command changed nothing.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub accounts: Vec<AccountRow>,
    pub transfers: Vec<TransferRow>,
    pub lots: Vec<Lot>,
    pub members: i64,
}

/// One programme on one App, with the clock the App reads.
pub struct World {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub pid: ProgramId,
    pub ctx: Arc<ProgramCtx>,
}

impl World {
    pub fn new(backend: Arc<dyn Backend>, policy: LedgerPolicy) -> World {
        let clock = Arc::new(ManualClock::new(START));
        let app = App::start(backend, Arc::new(clock.clone())).expect("app starts");
        World::on(app, clock, "shop", policy)
    }

    fn on(app: App, clock: Arc<ManualClock>, code: &str, policy: LedgerPolicy) -> World {
        let pid = app
            .create_program(code, "Shop", "CNY", "Asia/Shanghai", policy)
            .expect("programme created")
            .id;
        let ctx = app.program_ctx_blocking(pid).expect("programme loads");
        World {
            app,
            clock,
            pid,
            ctx,
        }
    }

    /// Another programme on the same App and clock.
    pub fn sibling(&self, code: &str, policy: LedgerPolicy) -> World {
        World::on(self.app.clone(), self.clock.clone(), code, policy)
    }

    /// A second node: another App (its own writers and connections) on the same database and
    /// clock, as when several servers run against one PostgreSQL.
    pub fn second_node(&self) -> App {
        let node = App::start(self.app.backend().clone(), Arc::new(self.clock.clone()))
            .expect("second node starts");
        node.program_ctx_blocking(self.pid)
            .expect("second node loads the programme");
        node
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Sets the clock to `START + days`.
    pub fn at_day(&self, days: i64) {
        self.clock.set(START + days * DAY);
    }

    pub fn jobs(&self) -> JobReport {
        self.app.run_jobs(self.pid).expect("jobs run")
    }

    /// The jobs' report as (vested, expired, reservations voided).
    pub fn jobs_tuple(&self) -> (i64, i64, i64) {
        let r = self.jobs();
        (r.vested_points, r.expired_points, r.reservations_voided)
    }

    /// Runs a command with an idempotency key; its answer as the JSON the API serves.
    pub fn write_on<T, F>(
        &self,
        partition: &str,
        idem: Option<(&str, &str)>,
        mut f: F,
    ) -> Result<Outcome, AppError>
    where
        T: serde::Serialize,
        F: FnMut(&mut Tx<'_>, &ProgramCtx, Millis) -> Result<T, AppError> + Send + 'static,
    {
        let f = move |tx: &mut Tx<'_>, ctx: &ProgramCtx, now: Millis| {
            serde_json::to_value(f(tx, ctx, now)?).map_err(|e| AppError::Internal(e.to_string()))
        };
        self.app.write_blocking(
            self.pid,
            partition,
            idem.map(|(k, h)| (k.to_string(), h.to_string())),
            f,
        )
    }

    /// Runs a command and answers what it answered, as the JSON the API serves.
    pub fn write<T, F>(&self, f: F) -> Result<Value, AppError>
    where
        T: serde::Serialize,
        F: FnMut(&mut Tx<'_>, &ProgramCtx, Millis) -> Result<T, AppError> + Send + 'static,
    {
        self.write_on("story", None, f).map(|o| {
            assert!(!o.replayed, "a write without a key is never a replay");
            o.body
        })
    }

    pub fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx<'_>, &ProgramCtx) -> Result<T, AppError>,
    ) -> T {
        let ctx = self.ctx.clone();
        self.app
            .read_blocking(move |tx| f(tx, &ctx))
            .expect("read succeeds")
    }

    // ---- commands ----------------------------------------------------------------------------

    /// A member with the identity `app:<ext>`; returns its id.
    pub fn member(&self, ext: &str) -> i64 {
        let m = NewMember {
            referrer: None,
            device_id: None,
            ip: None,
            profile: MemberProfile {
                name: Some(format!("Member {ext}")),
                ..Default::default()
            },
            identities: vec![Identity {
                channel: "app".into(),
                external_id: ext.into(),
            }],
        };
        let body = self
            .write(move |tx, ctx, now| commands::create_member(tx, ctx, now, &m))
            .expect("member created");
        body["member_id"].as_i64().expect("member id")
    }

    pub fn add_identity(&self, member: i64, channel: &str, ext: &str) -> Result<Value, AppError> {
        let id = Identity {
            channel: channel.into(),
            external_id: ext.into(),
        };
        self.write(move |tx, ctx, now| {
            commands::add_identity(tx, ctx, now, &MemberRef::Id { member_id: member }, &id)
        })
    }

    pub fn purchase_input(order: &str, member: MemberRef, amount_minor: i64) -> Purchase {
        Purchase {
            order_id: order.into(),
            member,
            amount_minor,
            currency: "CNY".into(),
            lines: vec![],
            occurred_at: None,
            channel: None,
            shipping_minor: None,
            tags: vec![],
        }
    }

    pub fn purchase_by(
        &self,
        order: &str,
        member: MemberRef,
        amount_minor: i64,
    ) -> Result<Value, AppError> {
        let p = Self::purchase_input(order, member, amount_minor);
        self.write(move |tx, ctx, now| commands::purchase(tx, ctx, now, &p))
    }

    pub fn purchase(&self, order: &str, member: i64, amount_minor: i64) -> Result<Value, AppError> {
        self.purchase_by(order, MemberRef::Id { member_id: member }, amount_minor)
    }

    pub fn refund(&self, order: &str, amount_minor: Option<i64>) -> Result<Value, AppError> {
        let r = Refund {
            order_id: order.into(),
            amount_minor,
            reason: Some("customer returned the goods".into()),
        };
        self.write(move |tx, ctx, now| commands::refund(tx, ctx, now, &r))
    }

    pub fn spend_by(&self, member: MemberRef, amount: i64) -> Result<Value, AppError> {
        let s = Spend {
            member,
            amount,
            reason: Some("mall".into()),
            order_ref: None,
        };
        self.write(move |tx, ctx, now| commands::spend(tx, ctx, now, &s))
    }

    pub fn spend(&self, member: i64, amount: i64) -> Result<Value, AppError> {
        self.spend_by(MemberRef::Id { member_id: member }, amount)
    }

    pub fn reserve(
        &self,
        member: i64,
        amount: i64,
        ttl_seconds: i64,
        order_ref: Option<&str>,
    ) -> Result<Value, AppError> {
        let r = Reserve {
            member: MemberRef::Id { member_id: member },
            amount,
            reason: None,
            order_ref: order_ref.map(Into::into),
            ttl_seconds: Some(ttl_seconds),
            owner: None,
        };
        self.write(move |tx, ctx, now| commands::reserve(tx, ctx, now, &r))
    }

    pub fn post(&self, reservation: i64) -> Result<Value, AppError> {
        self.write(move |tx, ctx, now| commands::post_reservation(tx, ctx, now, reservation))
    }

    pub fn void(&self, reservation: i64, reason: Option<&str>) -> Result<Value, AppError> {
        let reason = reason.map(String::from);
        self.write(move |tx, ctx, now| {
            commands::void_reservation(tx, ctx, now, reservation, reason.clone())
        })
    }

    pub fn refund_redemption(&self, transfer: i64, amount: Option<i64>) -> Result<Value, AppError> {
        let r = RedemptionRefund {
            transfer_id: transfer,
            amount,
            reason: Some("order cancelled in the mall".into()),
        };
        self.write(move |tx, ctx, now| commands::refund_redemption(tx, ctx, now, &r))
    }

    pub fn transfer(&self, from: MemberRef, to: MemberRef, amount: i64) -> Result<Value, AppError> {
        let t = MemberTransfer {
            from,
            to,
            amount,
            reason: Some("gift".into()),
            device_id: None,
            ip: None,
        };
        self.write(move |tx, ctx, now| commands::transfer(tx, ctx, now, "staff:test", &t))
    }

    pub fn adjust(
        &self,
        member: i64,
        delta: i64,
        point_type: PointType,
        reason: Option<&str>,
        actor: Option<&str>,
    ) -> Result<Value, AppError> {
        let a = Adjustment {
            member: MemberRef::Id { member_id: member },
            delta,
            point_type,
            reason: reason.map(Into::into),
            actor: actor.map(Into::into),
        };
        self.write(move |tx, ctx, now| commands::adjust(tx, ctx, now, &a))
    }

    pub fn merge(&self, from: MemberRef, into: MemberRef) -> Result<Value, AppError> {
        let m = Merge {
            from,
            into,
            reason: Some("same person".into()),
            actor: Some("staff:merge".into()),
        };
        self.write(move |tx, ctx, now| commands::merge(tx, ctx, now, "staff:test", &m))
    }

    // ---- reads -------------------------------------------------------------------------------

    pub fn balance_of(&self, member: i64, pt: PointType) -> Balance {
        let now = self.now();
        self.read(move |tx, ctx| views::balance(tx, ctx, MemberId(member), pt, now, 30))
    }

    pub fn points(&self, member: i64) -> Balance {
        self.balance_of(member, PointType::Points)
    }

    pub fn growth(&self, member: i64) -> Balance {
        self.balance_of(member, PointType::Growth)
    }

    /// Asserts (available, pending, reserved, debt) of a member's points.
    #[track_caller]
    pub fn assert_points(&self, member: i64, expected: (i64, i64, i64, i64)) -> Balance {
        let b = self.points(member);
        assert_eq!(
            (b.available, b.pending, b.reserved, b.debt),
            expected,
            "member {member} points (available, pending, reserved, debt); full balance: {b:?}"
        );
        b
    }

    /// Asserts the lifetime counters of a member's points.
    #[track_caller]
    pub fn assert_lifetime(&self, member: i64, expected: LotTotals) {
        let b = self.points(member);
        assert_eq!(
            b.lifetime, expected,
            "member {member} lifetime points counters"
        );
    }

    pub fn lots(&self, member: i64, pt: PointType) -> Vec<LotView> {
        let now = self.now();
        self.read(move |tx, ctx| views::lots(tx, ctx, MemberId(member), pt, true, now))
    }

    pub fn history(&self, member: i64, limit: i64) -> Vec<Value> {
        let page = self.read(move |tx, ctx| views::history(tx, ctx, MemberId(member), None, limit));
        // As the API serves them.
        page.lines
            .iter()
            .map(|l| serde_json::to_value(l).expect("a line serializes"))
            .collect()
    }

    pub fn member_row(&self, member: i64) -> Member {
        let pid = self.pid;
        self.read(move |tx, _| Ok(tx.member(pid, MemberId(member))?))
            .expect("member exists")
    }

    pub fn identities(&self, member: i64) -> Vec<(String, String)> {
        let pid = self.pid;
        self.read(move |tx, _| Ok(tx.identities(pid, MemberId(member))?))
            .into_iter()
            .map(|i| (i.channel, i.external_id))
            .collect()
    }

    /// The member a reference resolves to (following merges).
    pub fn resolve(&self, r: MemberRef) -> Result<i64, AppError> {
        let ctx = self.ctx.clone();
        self.app
            .read_blocking(move |tx| Ok(commands::resolve(tx, &ctx, &r)?.id.0))
    }

    pub fn order(&self, order: &str) -> Option<jifen_store::Order> {
        let (pid, order) = (self.pid, order.to_string());
        self.read(move |tx, _| Ok(tx.order(pid, &order)?))
    }

    /// A system account's row for points.
    pub fn system_account(&self, kind: SystemAccount) -> AccountRow {
        let pid = self.pid;
        self.read(move |tx, _| Ok(tx.all_accounts(pid)?))
            .into_iter()
            .find(|a| a.owner == Owner::System(kind) && a.point_type == PointType::Points)
            .expect("system account exists")
    }

    pub fn snapshot(&self) -> Snapshot {
        let pid = self.pid;
        self.read(move |tx, _| {
            Ok(Snapshot {
                accounts: tx.all_accounts(pid)?,
                transfers: tx.all_transfers(pid)?,
                lots: tx.all_lots(pid)?,
                members: tx.count_members(pid)?,
            })
        })
    }

    /// No invariant of the programme drifted.
    #[track_caller]
    pub fn verify(&self) {
        let drift = self.app.verify(self.pid).expect("verify runs");
        assert!(drift.is_empty(), "the ledger drifted: {drift:#?}");
    }
}

// ---- expected refusals -----------------------------------------------------------------------

#[track_caller]
pub fn err<T: std::fmt::Debug>(r: Result<T, AppError>) -> AppError {
    match r {
        Ok(v) => panic!("expected a refusal, the command succeeded with {v:?}"),
        Err(e) => e,
    }
}

/// Asserts a conflict with `code` and returns its details.
#[track_caller]
pub fn conflict<T: std::fmt::Debug>(r: Result<T, AppError>, code: &str) -> Value {
    match err(r) {
        AppError::Conflict {
            code: c, details, ..
        } if c == code => details,
        other => panic!("expected conflict {code}, got {other:?}"),
    }
}

#[track_caller]
pub fn invalid<T: std::fmt::Debug>(r: Result<T, AppError>, field: &str) {
    match err(r) {
        AppError::Invalid { field: f, .. } if f == field => {}
        other => panic!("expected invalid {field}, got {other:?}"),
    }
}

#[track_caller]
pub fn not_found<T: std::fmt::Debug>(r: Result<T, AppError>, what: &str, id: &str) {
    match err(r) {
        AppError::NotFound { what: w, id: i } if w == what && i == id => {}
        other => panic!("expected {what} {id} not found, got {other:?}"),
    }
}

#[track_caller]
pub fn insufficient<T: std::fmt::Debug>(r: Result<T, AppError>, available: i64, requested: i64) {
    match err(r) {
        AppError::Ledger(jifen_ledger::LedgerError::InsufficientPoints {
            available: a,
            requested: q,
        }) if (a, q) == (available, requested) => {}
        other => panic!(
            "expected insufficient points ({available} available, {requested} requested), got {other:?}"
        ),
    }
}

/// A reversal outcome as the refund command reports it.
pub fn reversal(parts: &[(&str, i64)]) -> Value {
    let mut v = serde_json::json!({
        "requested": 0,
        "from_order_pending": 0,
        "from_order_available": 0,
        "covered_by_expiry": 0,
        "from_other_pending": 0,
        "from_other_available": 0,
        "to_debt": 0,
        "written_off": 0,
    });
    for (k, n) in parts {
        assert!(v.get(*k).is_some(), "unknown reversal field {k}");
        v[*k] = serde_json::json!(n);
    }
    v
}

pub fn id(v: &Value, field: &str) -> i64 {
    v[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} in {v}"))
}

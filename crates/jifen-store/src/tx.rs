//! Every query Jifen runs, written once for both dialects.

use std::collections::{BTreeMap, HashSet};

use jifen_ledger::invariants::{AccountRow, Owner, TransferRow};
use jifen_ledger::ops::{SpentDraw, TransferInfo};
use jifen_ledger::policy::LedgerPolicy;
use jifen_ledger::*;

use crate::*;

macro_rules! lot_cols {
    () => {
        "l.id, l.account_id, l.member_id, l.point_type, l.status, l.amount, l.remaining, l.held, l.spent, \
         l.expired, l.reversed, l.moved, l.earned_at, l.available_at, l.expires_at, l.transfer_id, \
         l.source_account, l.order_ref"
    };
}
const LOT_COL_COUNT: usize = 18;

macro_rules! transfer_cols {
    () => {
        "id, code, phase, point_type, debit_account, credit_account, amount, member_id, order_ref"
    };
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn point_type(s: &str) -> StoreResult<PointType> {
    PointType::parse(s).ok_or_else(|| corrupt(&format!("unknown point type {s:?}")))
}

fn lot_from(r: &Row, at: usize) -> StoreResult<Lot> {
    Ok(Lot {
        id: LotId(r.int(at)),
        account: AccountId(r.int(at + 1)),
        member: MemberId(r.int(at + 2)),
        point_type: point_type(&r.text(at + 3))?,
        status: LotStatus::parse(&r.text(at + 4)).ok_or_else(|| corrupt("lot status"))?,
        amount: r.int(at + 5),
        remaining: r.int(at + 6),
        held: r.int(at + 7),
        spent: r.int(at + 8),
        expired: r.int(at + 9),
        reversed: r.int(at + 10),
        moved: r.int(at + 11),
        earned_at: r.int(at + 12),
        available_at: r.int(at + 13),
        expires_at: r.opt_int(at + 14),
        transfer: TransferId(r.int(at + 15)),
        source_account: AccountId(r.int(at + 16)),
        order_ref: r.opt_text(at + 17),
    })
}

/// `MM-DD` of a `YYYY-MM-DD` birthday: what the birthday job looks members up by.
fn birthday_md(p: &MemberProfile) -> Option<String> {
    p.birthday
        .as_deref()
        .and_then(|b| b.get(5..10))
        .map(str::to_string)
}

/// The last four characters of a phone with its spaces and hyphens left out (手机尾号): what
/// the list searches by; as migration 0030 computes it for members already stored.
fn phone_tail(p: &MemberProfile) -> Option<String> {
    let packed: Vec<char> = p
        .phone
        .as_deref()?
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    (packed.len() >= 4).then(|| packed[packed.len() - 4..].iter().collect())
}

fn member_from(r: &Row) -> Member {
    Member {
        id: MemberId(r.int(0)),
        program: ProgramId(r.int(1)),
        profile: MemberProfile {
            name: r.opt_text(2),
            phone: r.opt_text(3),
            email: r.opt_text(4),
            birthday: r.opt_text(5),
        },
        status: r.text(6),
        merged_into: r.opt_int(7).map(MemberId),
        created_at: r.int(8),
    }
}

/// Both point types' balance and debt accounts from rows of `id, kind, point_type,
/// debits_posted, credits_posted` starting at column `at`.
fn books_from(
    member: MemberId,
    rows: &[Row],
    at: usize,
) -> StoreResult<[(MemberAccounts, i64); 2]> {
    let mut out = [(
        MemberAccounts {
            balance: AccountId(0),
            debt: AccountId(0),
        },
        0,
    ); 2];
    let mut found = 0;
    for r in rows {
        let i = match point_type(&r.text(at + 2))? {
            PointType::Points => 0,
            PointType::Growth => 1,
        };
        match r.text(at + 1).as_str() {
            "balance" => out[i].0.balance = AccountId(r.int(at)),
            "debt" => {
                out[i].0.debt = AccountId(r.int(at));
                out[i].1 = (r.int(at + 3) - r.int(at + 4)).max(0);
            }
            _ => continue,
        }
        found += 1;
    }
    if found != 4 {
        return Err(corrupt(&format!(
            "member {member} has {found} of its 4 accounts"
        )));
    }
    Ok(out)
}

fn transfer_from(r: &Row) -> StoreResult<TransferInfo> {
    Ok(TransferInfo {
        id: TransferId(r.int(0)),
        code: r.text(1),
        phase: Phase::parse(&r.text(2)).ok_or_else(|| corrupt("transfer phase"))?,
        point_type: point_type(&r.text(3))?,
        debit: AccountId(r.int(4)),
        credit: AccountId(r.int(5)),
        amount: r.int(6),
        member: r.opt_int(7).map(MemberId),
        order_ref: r.opt_text(8),
    })
}

/// Account kinds as stored: `balance`, `debt`, or a system account's name.
fn member_kind(kind: MemberAccountKind) -> &'static str {
    match kind {
        MemberAccountKind::Balance => "balance",
        MemberAccountKind::Debt => "debt",
    }
}

/// The member id stored on system accounts, so that `(program, member, kind, point_type)` is unique.
const SYSTEM_MEMBER: i64 = 0;

const UPDATE_ACCOUNT: &str = "UPDATE accounts SET debits_pending = debits_pending + $2, debits_posted = debits_posted + $3, \
     credits_pending = credits_pending + $4, credits_posted = credits_posted + $5 WHERE id = $1";

fn account_params(id: AccountId, d: &jifen_ledger::AccountDelta) -> Vec<Value> {
    vec![
        id.0.into(),
        d.debits_pending.into(),
        d.debits_posted.into(),
        d.credits_pending.into(),
        d.credits_posted.into(),
    ]
}

/// What `Tx::apply` created.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub transfers: Vec<TransferId>,
    pub lots: Vec<LotId>,
}

/// Lifetime counters of one member account, derived from its lots and columns.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct LotTotals {
    pub earned: i64,
    pub received: i64,
    pub spent: i64,
    pub expired: i64,
    pub reversed: i64,
    pub moved_out: i64,
}

/// A transaction on one connection. Statements run in the order called; `commit` or `rollback`
/// ends it. Changes to system accounts are summed in memory and written at commit, so that the
/// programme's busiest rows are locked for the shortest time.
pub struct Tx<'c> {
    conn: &'c mut dyn SqlConn,
    system_deltas: BTreeMap<AccountId, jifen_ledger::AccountDelta>,
    system_ids: HashSet<AccountId>,
    /// How many writing calls this transaction has made; the writer compares it before and
    /// after a refused command to prove that the refusal wrote nothing.
    writes: u64,
    /// Idempotency records written in this transaction, inserted together at commit.
    pending_idem: Vec<(ProgramId, String, IdemRecord, Millis)>,
    open: bool,
}

/// Idempotency records per multi-row INSERT at commit.
const IDEM_ROWS_PER_INSERT: usize = 32;

/// `INSERT INTO idempotency ... VALUES (...), (...)` for 1 to `IDEM_ROWS_PER_INSERT` rows.
fn idem_insert_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=IDEM_ROWS_PER_INSERT)
            .map(|n| {
                let values: Vec<String> = (0..n)
                    .map(|i| {
                        let b = i * 6;
                        format!("(${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6)
                    })
                    .collect();
                format!(
                    "INSERT INTO idempotency (program_id, idem_key, request_hash, status, response, created_at) VALUES {}",
                    values.join(", ")
                )
            })
            .collect()
    });
    &all[rows - 1]
}

impl<'c> Tx<'c> {
    /// Starts a write transaction (SQLite takes the write lock at once, so two writers never
    /// deadlock upgrading a read lock).
    pub fn begin(conn: &'c mut dyn SqlConn) -> StoreResult<Tx<'c>> {
        match conn.dialect() {
            Dialect::Sqlite => conn.batch("BEGIN IMMEDIATE")?,
            Dialect::Postgres => conn.batch("BEGIN")?,
        }
        Ok(Tx {
            conn,
            system_deltas: BTreeMap::new(),
            system_ids: HashSet::new(),
            pending_idem: Vec::new(),
            writes: 0,
            open: true,
        })
    }

    /// A read-only view on a connection without a transaction, for queries that need no lock.
    pub fn read(conn: &'c mut dyn SqlConn) -> Tx<'c> {
        Tx {
            conn,
            system_deltas: BTreeMap::new(),
            system_ids: HashSet::new(),
            pending_idem: Vec::new(),
            writes: 0,
            open: false,
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    /// The number of writing calls made so far in this transaction.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Writes what was held back (idempotency records, system account totals) in one
    /// pipelined round trip, then commits.
    pub fn commit(mut self) -> StoreResult<()> {
        let mut stmts: Vec<(&str, Vec<Value>)> = Vec::new();
        for chunk in std::mem::take(&mut self.pending_idem).chunks(IDEM_ROWS_PER_INSERT) {
            let mut params = Vec::with_capacity(chunk.len() * 6);
            for (program, key, rec, at) in chunk {
                params.extend([
                    program.0.into(),
                    key.as_str().into(),
                    rec.request_hash.as_str().into(),
                    rec.status.into(),
                    rec.response.as_str().into(),
                    (*at).into(),
                ]);
            }
            stmts.push((idem_insert_sql(chunk.len()), params));
        }
        for (id, d) in std::mem::take(&mut self.system_deltas) {
            stmts.push((UPDATE_ACCOUNT, account_params(id, &d)));
        }
        self.conn.execute_many(&stmts)?;
        self.open = false;
        self.conn.batch("COMMIT")
    }

    pub fn rollback(mut self) -> StoreResult<()> {
        self.open = false;
        self.conn.batch("ROLLBACK")
    }

    // ---- idempotency -------------------------------------------------------------------------

    pub fn idem_get(&mut self, program: ProgramId, key: &str) -> StoreResult<Option<IdemRecord>> {
        if let Some((_, _, rec, _)) = self
            .pending_idem
            .iter()
            .rev()
            .find(|(p, k, _, _)| *p == program && k == key)
        {
            return Ok(Some(rec.clone()));
        }
        Ok(self
            .conn
            .query_one(
                "SELECT request_hash, status, response FROM idempotency WHERE program_id = $1 AND idem_key = $2",
                &[program.0.into(), key.into()],
            )?
            .map(|r| IdemRecord { request_hash: r.text(0), status: r.int(1), response: r.text(2) }))
    }

    /// Records the first answer to an idempotent write; inserted at commit with the others.
    pub fn idem_put(
        &mut self,
        program: ProgramId,
        key: &str,
        rec: &IdemRecord,
        now: Millis,
    ) -> StoreResult<()> {
        self.pending_idem
            .push((program, key.to_string(), rec.clone(), now));
        Ok(())
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A transaction dropped without commit (an error path) must not leak into the
            // next use of the connection.
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

// Declared after the macros above, which they use.
mod accounts;
mod activity;
mod chain;
mod coupons;
mod dashboard;
mod exports;
mod keys;
mod lots;
mod lottery;
mod mall;
mod members;
mod orders;
mod programs;
mod reservations;
mod staff;
mod transfers;
mod verification;
mod webhooks;
pub use lottery::{DrawRow, LotteryRow, NewDraw};
pub use mall::{ItemRow, MallOrderRow, NewMallOrder, SkuRow};
pub use staff::{AdjustmentRequest, AppealRow, AuditRow, MemberExportRow, StaffRow};
pub use webhooks::{DeliveryRow, EndpointRow};
mod rules;
mod tiers;
pub use activity::{ActivityFilter, Settlement};
pub use chain::LinkRow;
pub use coupons::{CouponRow, NewCoupon, TemplateRow};
pub use exports::{LedgerExportRow, OrderExportRow};
pub use keys::{ApiKeyRow, KEY_ID_LEN, KeyCaller};
pub use members::MemberFilter;

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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

    // ---- programmes and API keys -------------------------------------------------------------

    pub fn insert_program(
        &mut self,
        code: &str,
        name: &str,
        currency: &str,
        timezone: &str,
        policy: &LedgerPolicy,
        now: Millis,
    ) -> StoreResult<ProgramId> {
        self.writes += 1;
        let policy = serde_json::to_string(policy).expect("policy serializes");
        let row = self.conn.insert_id(
            "INSERT INTO programs (code, name, currency, timezone, policy, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[code.into(), name.into(), currency.into(), timezone.into(), policy.into(), now.into()],
        )?;
        let id = ProgramId(row);
        for kind in SystemAccount::ALL {
            for pt in PointType::ALL {
                self.insert_account(id, SYSTEM_MEMBER, kind.as_str(), pt)?;
            }
        }
        Ok(id)
    }

    fn insert_account(
        &mut self,
        program: ProgramId,
        member: i64,
        kind: &str,
        pt: PointType,
    ) -> StoreResult<AccountId> {
        let row = self.conn.insert_id(
            "INSERT INTO accounts (program_id, member_id, kind, point_type, debits_pending, debits_posted, credits_pending, credits_posted) \
             VALUES ($1, $2, $3, $4, 0, 0, 0, 0) RETURNING id",
            &[program.0.into(), member.into(), kind.into(), pt.as_str().into()],
        )?;
        Ok(AccountId(row))
    }

    pub fn update_program_policy(
        &mut self,
        program: ProgramId,
        name: &str,
        timezone: &str,
        policy: &LedgerPolicy,
    ) -> StoreResult<()> {
        self.writes += 1;
        let policy = serde_json::to_string(policy).expect("policy serializes");
        self.conn.execute(
            "UPDATE programs SET name = $2, timezone = $3, policy = $4 WHERE id = $1",
            &[
                program.0.into(),
                name.into(),
                timezone.into(),
                policy.into(),
            ],
        )?;
        Ok(())
    }

    fn program_from(r: &Row) -> StoreResult<Program> {
        Ok(Program {
            id: ProgramId(r.int(0)),
            code: r.text(1),
            name: r.text(2),
            currency: r.text(3),
            timezone: r.text(4),
            policy: serde_json::from_str(&r.text(5))
                .map_err(|e| corrupt(&format!("programme policy: {e}")))?,
            created_at: r.int(6),
        })
    }

    pub fn program(&mut self, id: ProgramId) -> StoreResult<Option<Program>> {
        self.conn
            .query_one("SELECT id, code, name, currency, timezone, policy, created_at FROM programs WHERE id = $1", &[id.0.into()])?
            .map(|r| Self::program_from(&r))
            .transpose()
    }

    pub fn program_by_code(&mut self, code: &str) -> StoreResult<Option<Program>> {
        self.conn
            .query_one("SELECT id, code, name, currency, timezone, policy, created_at FROM programs WHERE code = $1", &[code.into()])?
            .map(|r| Self::program_from(&r))
            .transpose()
    }

    pub fn programs(&mut self) -> StoreResult<Vec<Program>> {
        self.conn
            .query("SELECT id, code, name, currency, timezone, policy, created_at FROM programs ORDER BY id", &[])?
            .iter()
            .map(Self::program_from)
            .collect()
    }

    pub fn system_accounts(&mut self, program: ProgramId) -> StoreResult<SystemAccounts> {
        let rows = self.conn.query(
            "SELECT kind, point_type, id FROM accounts WHERE program_id = $1 AND member_id = $2",
            &[program.0.into(), SYSTEM_MEMBER.into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let kind = SystemAccount::ALL
                .into_iter()
                .find(|k| k.as_str() == r.text(0))
                .ok_or_else(|| corrupt("unknown system account"))?;
            out.push((kind, point_type(&r.text(1))?, AccountId(r.int(2))));
        }
        Ok(SystemAccounts(out))
    }

    // ---- members -----------------------------------------------------------------------------

    pub fn insert_member(
        &mut self,
        program: ProgramId,
        profile: &MemberProfile,
        now: Millis,
    ) -> StoreResult<MemberId> {
        self.writes += 1;
        let row = self.conn.insert_id(
            "INSERT INTO members (program_id, name, phone, email, birthday, status, created_at, birthday_md) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id",
            &[
                program.0.into(),
                profile.name.clone().into(),
                profile.phone.clone().into(),
                profile.email.clone().into(),
                profile.birthday.clone().into(),
                now.into(),
                birthday_md(profile).into(),
            ],
        )?;
        let id = row;
        for pt in PointType::ALL {
            for kind in [MemberAccountKind::Balance, MemberAccountKind::Debt] {
                self.insert_account(program, id, member_kind(kind), pt)?;
            }
        }
        Ok(MemberId(id))
    }

    pub fn member(&mut self, program: ProgramId, id: MemberId) -> StoreResult<Option<Member>> {
        let r = self.conn.query_one(
            "SELECT id, program_id, name, phone, email, birthday, status, merged_into, created_at FROM members \
             WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.0.into()],
        )?;
        Ok(r.map(|r| member_from(&r)))
    }

    pub fn update_member_profile(
        &mut self,
        program: ProgramId,
        id: MemberId,
        p: &MemberProfile,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE members SET name = $3, phone = $4, email = $5, birthday = $6, birthday_md = $7 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.0.into(), p.name.clone().into(), p.phone.clone().into(), p.email.clone().into(), p.birthday.clone().into(), birthday_md(p).into()],
        )?;
        Ok(())
    }

    pub fn mark_merged(
        &mut self,
        program: ProgramId,
        from: MemberId,
        into: MemberId,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE accounts SET closed = 1 WHERE program_id = $1 AND member_id = $2",
            &[program.0.into(), from.0.into()],
        )?;
        self.conn.execute(
            "UPDATE members SET status = 'merged', merged_into = $3 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), from.0.into(), into.0.into()],
        )?;
        self.conn.execute(
            "UPDATE identities SET member_id = $3 WHERE program_id = $1 AND member_id = $2",
            &[program.0.into(), from.0.into(), into.0.into()],
        )?;
        self.conn.execute(
            "UPDATE orders SET member_id = $3 WHERE program_id = $1 AND member_id = $2",
            &[program.0.into(), from.0.into(), into.0.into()],
        )?;
        Ok(())
    }

    pub fn count_members(&mut self, program: ProgramId) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM members WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Members in id order after `after`, for listings and jobs.
    pub fn member_ids(
        &mut self,
        program: ProgramId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        Ok(self
            .conn
            .query(
                "SELECT id FROM members WHERE program_id = $1 AND id > $2 AND status <> 'merged' ORDER BY id LIMIT $3",
                &[program.0.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect())
    }

    pub fn insert_identity(
        &mut self,
        program: ProgramId,
        member: MemberId,
        channel: &str,
        external_id: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO identities (program_id, channel, external_id, member_id, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[program.0.into(), channel.into(), external_id.into(), member.0.into(), now.into()],
        )?;
        Ok(())
    }

    /// The member an identity belongs to, as a full row, in one query.
    pub fn member_row_by_identity(
        &mut self,
        program: ProgramId,
        channel: &str,
        external_id: &str,
    ) -> StoreResult<Option<Member>> {
        let r = self.conn.query_one(
            "SELECT m.id, m.program_id, m.name, m.phone, m.email, m.birthday, m.status, m.merged_into, m.created_at \
             FROM identities i JOIN members m ON m.id = i.member_id \
             WHERE i.program_id = $1 AND i.channel = $2 AND i.external_id = $3",
            &[program.0.into(), channel.into(), external_id.into()],
        )?;
        Ok(r.map(|r| member_from(&r)))
    }

    pub fn member_by_identity(
        &mut self,
        program: ProgramId,
        channel: &str,
        external_id: &str,
    ) -> StoreResult<Option<MemberId>> {
        Ok(self
            .conn
            .query_one(
                "SELECT member_id FROM identities WHERE program_id = $1 AND channel = $2 AND external_id = $3",
                &[program.0.into(), channel.into(), external_id.into()],
            )?
            .map(|r| MemberId(r.int(0))))
    }

    pub fn identities(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<Vec<Identity>> {
        Ok(self
            .conn
            .query(
                "SELECT channel, external_id FROM identities WHERE program_id = $1 AND member_id = $2 ORDER BY channel, external_id",
                &[program.0.into(), member.0.into()],
            )?
            .iter()
            .map(|r| Identity { channel: r.text(0), external_id: r.text(1) })
            .collect())
    }

    // ---- accounts ----------------------------------------------------------------------------

    /// The member's accounts of one point type. With PostgreSQL, `lock` takes row locks on them
    /// until the transaction ends, which serializes concurrent commands on one member across
    /// processes; SQLite has one writer, so its transactions are serial already.
    pub fn member_accounts(
        &mut self,
        program: ProgramId,
        member: MemberId,
        pt: PointType,
        lock: bool,
    ) -> StoreResult<MemberAccounts> {
        let sql = if lock && self.dialect() == Dialect::Postgres {
            "SELECT id, kind FROM accounts WHERE program_id = $1 AND member_id = $2 AND point_type = $3 ORDER BY id FOR UPDATE"
        } else {
            "SELECT id, kind FROM accounts WHERE program_id = $1 AND member_id = $2 AND point_type = $3 ORDER BY id"
        };
        let rows = self.conn.query(
            sql,
            &[program.0.into(), member.0.into(), pt.as_str().into()],
        )?;
        let find = |k: &str| {
            rows.iter()
                .find(|r| r.text(1) == k)
                .map(|r| AccountId(r.int(0)))
        };
        match (find("balance"), find("debt")) {
            (Some(balance), Some(debt)) => Ok(MemberAccounts { balance, debt }),
            _ => Err(corrupt(&format!("member {member} has no {pt:?} accounts"))),
        }
    }

    /// A member and both point types' accounts (with debt owed) in one query, locking the
    /// accounts as `member_accounts` describes; `None` when no such member or identity exists.
    pub fn member_with_books(
        &mut self,
        program: ProgramId,
        lookup: MemberLookup<'_>,
        lock: bool,
    ) -> StoreResult<Option<(Member, [(MemberAccounts, i64); 2])>> {
        let pg = lock && self.dialect() == Dialect::Postgres;
        // A member row joined to its four accounts; PostgreSQL locks the accounts in id order.
        macro_rules! sql {
            ($from_where:literal) => {
                (
                    concat!(
                        "SELECT m.id, m.program_id, m.name, m.phone, m.email, m.birthday, m.status, m.merged_into, \
                         m.created_at, a.id, a.kind, a.point_type, a.debits_posted, a.credits_posted, a.closed ",
                        $from_where,
                        " ORDER BY a.id FOR UPDATE OF a"
                    ),
                    concat!(
                        "SELECT m.id, m.program_id, m.name, m.phone, m.email, m.birthday, m.status, m.merged_into, \
                         m.created_at, a.id, a.kind, a.point_type, a.debits_posted, a.credits_posted, a.closed ",
                        $from_where
                    ),
                )
            };
        }
        let ((locked, plain), params): ((&str, &str), Vec<Value>) = match lookup {
            MemberLookup::Id(id) => (
                sql!(
                    "FROM members m JOIN accounts a ON a.program_id = m.program_id AND a.member_id = m.id \
                     WHERE m.program_id = $1 AND m.id = $2"
                ),
                vec![program.0.into(), id.0.into()],
            ),
            MemberLookup::External {
                channel,
                external_id,
            } => (
                sql!(
                    "FROM identities i JOIN members m ON m.id = i.member_id \
                     JOIN accounts a ON a.program_id = m.program_id AND a.member_id = m.id \
                     WHERE i.program_id = $1 AND i.channel = $2 AND i.external_id = $3"
                ),
                vec![program.0.into(), channel.into(), external_id.into()],
            ),
        };
        let rows = self.conn.query(if pg { locked } else { plain }, &params)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut member = member_from(first);
        if rows.iter().any(|r| r.int(14) != 0) && member.merged_into.is_none() {
            // The accounts (read at their latest version) are closed: a merge committed while
            // this query waited, and the joined member row is older. Report the member as
            // merged so that the caller resolves it again.
            member.merged_into = Some(MemberId(0));
        }
        let books = books_from(member.id, &rows, 9)?;
        Ok(Some((member, books)))
    }

    /// Both point types' accounts of a member with the debt each owes, in one query; locked as
    /// `member_accounts` describes when `lock` is set.
    pub fn member_books(
        &mut self,
        program: ProgramId,
        member: MemberId,
        lock: bool,
    ) -> StoreResult<[(MemberAccounts, i64); 2]> {
        let sql = if lock && self.dialect() == Dialect::Postgres {
            "SELECT id, kind, point_type, debits_posted, credits_posted, closed FROM accounts \
             WHERE program_id = $1 AND member_id = $2 ORDER BY id FOR UPDATE"
        } else {
            "SELECT id, kind, point_type, debits_posted, credits_posted, closed FROM accounts \
             WHERE program_id = $1 AND member_id = $2"
        };
        let rows = self.conn.query(sql, &[program.0.into(), member.0.into()])?;
        // A merge closes the member's accounts. Locked rows are read at their latest version
        // (PostgreSQL re-reads a row it waited for), so a member merged away meanwhile is seen
        // here; the command is then retried and resolves to the surviving member.
        if rows.iter().any(|r| r.int(5) != 0) {
            return Err(StoreError::Conflict(format!(
                "member {member} was merged meanwhile"
            )));
        }
        books_from(member, &rows, 0)
    }

    pub fn account_columns(&mut self, id: AccountId) -> StoreResult<AccountColumns> {
        let r = self
            .conn
            .query_one(
                "SELECT debits_pending, debits_posted, credits_pending, credits_posted FROM accounts WHERE id = $1",
                &[id.0.into()],
            )?
            .ok_or_else(|| corrupt(&format!("account {id} missing")))?;
        Ok(AccountColumns {
            debits_pending: r.int(0),
            debits_posted: r.int(1),
            credits_pending: r.int(2),
            credits_posted: r.int(3),
        })
    }

    /// Points the member owes on a debt account (its balance is zero or negative).
    pub fn debt_owed(&mut self, debt: AccountId) -> StoreResult<i64> {
        let c = self.account_columns(debt)?;
        Ok((c.debits_posted - c.credits_posted).max(0))
    }

    // ---- lots --------------------------------------------------------------------------------

    /// Active, unexpired lots with free points, in the order spending draws them.
    pub fn spendable_lots(&mut self, account: AccountId, now: Millis) -> StoreResult<Vec<Lot>> {
        self.lots_where(
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.account_id = $1 AND l.remaining > l.held AND l.status = 'active' \
                 AND (l.expires_at IS NULL OR l.expires_at > $2) \
                 ORDER BY CASE WHEN l.expires_at IS NULL THEN 1 ELSE 0 END, l.expires_at, l.earned_at, l.id"
            ),
            &[account.0.into(), now.into()],
        )
    }

    /// Every lot of an account that still holds points (pending or active, expired or not).
    pub fn open_lots(&mut self, account: AccountId) -> StoreResult<Vec<Lot>> {
        self.lots_where(
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.account_id = $1 AND l.remaining > 0 ORDER BY l.id"
            ),
            &[account.0.into()],
        )
    }

    /// Lots an order credited to an account, including spent ones (their counters matter).
    pub fn order_lots(&mut self, account: AccountId, order_ref: &str) -> StoreResult<Vec<Lot>> {
        self.lots_where(
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.account_id = $1 AND l.order_ref = $2 ORDER BY l.id"
            ),
            &[account.0.into(), order_ref.into()],
        )
    }

    /// Lots of one account, newest first, for the member's view.
    pub fn account_lots(
        &mut self,
        account: AccountId,
        include_closed: bool,
        limit: i64,
    ) -> StoreResult<Vec<Lot>> {
        let sql = if include_closed {
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.account_id = $1 ORDER BY l.id DESC LIMIT $2"
            )
        } else {
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.account_id = $1 AND l.remaining > 0 ORDER BY l.id DESC LIMIT $2"
            )
        };
        self.lots_where(sql, &[account.0.into(), limit.into()])
    }

    /// Active lots with free points past their expiry, oldest first.
    pub fn lots_due_expiry(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<Vec<Lot>> {
        self.lots_where(
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.program_id = $1 AND l.remaining > l.held AND l.status = 'active' \
                 AND l.expires_at <= $2 ORDER BY l.expires_at, l.id LIMIT $3"
            ),
            &[program.0.into(), now.into(), limit.into()],
        )
    }

    /// Pending lots whose return window has ended.
    pub fn lots_due_vest(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<Vec<Lot>> {
        self.lots_where(
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.program_id = $1 AND l.status = 'pending' AND l.remaining > 0 AND l.available_at <= $2 \
                 ORDER BY l.available_at, l.id LIMIT $3"
            ),
            &[program.0.into(), now.into(), limit.into()],
        )
    }

    pub fn all_lots(&mut self, program: ProgramId) -> StoreResult<Vec<Lot>> {
        self.lots_where(
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.program_id = $1 ORDER BY l.id"
            ),
            &[program.0.into()],
        )
    }

    fn lots_where(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<Lot>> {
        self.conn
            .query(sql, params)?
            .iter()
            .map(|r| lot_from(r, 0))
            .collect()
    }

    /// Free points of active lots that expire in `(now, until]`, and those already past expiry
    /// that the job has not processed yet.
    pub fn expiring(
        &mut self,
        account: AccountId,
        now: Millis,
        until: Millis,
    ) -> StoreResult<(i64, i64)> {
        let r = self.conn.query_one(
            "SELECT CAST(COALESCE(SUM(CASE WHEN l.expires_at > $2 AND l.expires_at <= $3 THEN l.remaining - l.held ELSE 0 END), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(CASE WHEN l.expires_at <= $2 THEN l.remaining - l.held ELSE 0 END), 0) AS BIGINT) \
             FROM lots l WHERE l.account_id = $1 AND l.status = 'active' AND l.remaining > l.held AND l.expires_at IS NOT NULL",
            &[account.0.into(), now.into(), until.into()],
        )?;
        Ok(r.map_or((0, 0), |r| (r.int(0), r.int(1))))
    }

    pub fn lot_totals(&mut self, account: AccountId) -> StoreResult<LotTotals> {
        let r = self.conn.query_one(
            "SELECT CAST(COALESCE(SUM(CASE WHEN l.origin_lot IS NULL THEN l.amount ELSE 0 END), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(CASE WHEN l.origin_lot IS NULL THEN 0 ELSE l.amount END), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(l.spent), 0) AS BIGINT), CAST(COALESCE(SUM(l.expired), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(l.reversed), 0) AS BIGINT), CAST(COALESCE(SUM(l.moved), 0) AS BIGINT) \
             FROM lots l WHERE l.account_id = $1",
            &[account.0.into()],
        )?;
        Ok(r.map_or_else(LotTotals::default, |r| LotTotals {
            earned: r.int(0),
            received: r.int(1),
            spent: r.int(2),
            expired: r.int(3),
            reversed: r.int(4),
            moved_out: r.int(5),
        }))
    }

    // ---- transfers and draws -----------------------------------------------------------------

    pub fn transfer(
        &mut self,
        program: ProgramId,
        id: TransferId,
    ) -> StoreResult<Option<TransferInfo>> {
        self.conn
            .query_one(
                concat!(
                    "SELECT ",
                    transfer_cols!(),
                    " FROM transfers WHERE program_id = $1 AND id = $2"
                ),
                &[program.0.into(), id.0.into()],
            )?
            .map(|r| transfer_from(&r))
            .transpose()
    }

    /// The lots a transfer drew from, with the amount drawn from each, in draw order.
    pub fn draws(&mut self, transfer: TransferId) -> StoreResult<Vec<(Lot, i64)>> {
        self.conn
            .query(
                concat!("SELECT ", lot_cols!(), ", d.amount FROM draws d JOIN lots l ON l.id = d.lot_id WHERE d.transfer_id = $1 ORDER BY d.id"),
                &[transfer.0.into()],
            )?
            .iter()
            .map(|r| Ok((lot_from(r, 0)?, r.int(LOT_COL_COUNT))))
            .collect()
    }

    /// A posted spend's draws with what refunds already restored to each lot.
    pub fn spent_draws(&mut self, spend: TransferId) -> StoreResult<Vec<SpentDraw>> {
        let restored: std::collections::HashMap<i64, i64> = self
            .conn
            .query(
                "SELECT d.lot_id, CAST(SUM(d.amount) AS BIGINT) FROM draws d JOIN transfers t ON t.id = d.transfer_id \
                 WHERE t.reversal_of = $1 AND t.code = $2 GROUP BY d.lot_id",
                &[spend.0.into(), code::REDEMPTION_REFUND.into()],
            )?
            .iter()
            .map(|r| (r.int(0), r.int(1)))
            .collect();
        Ok(self
            .draws(spend)?
            .into_iter()
            .map(|(lot, drawn)| SpentDraw {
                restored: restored.get(&lot.id.0).copied().unwrap_or(0),
                lot,
                drawn,
            })
            .collect())
    }

    /// Stores a posting: its transfers, account changes, lots, lot changes and draws.
    ///
    /// Where the backend hands out ids ahead (PostgreSQL), every row names its id and all the
    /// writes go out in one pipelined round trip; otherwise (SQLite, in process) rows are
    /// inserted one by one and take the ids the database gives them.
    pub fn apply(
        &mut self,
        program: ProgramId,
        p: &Posting,
        system: &SystemAccounts,
        now: Millis,
    ) -> StoreResult<Applied> {
        self.writes += 1;
        if self.system_ids.is_empty() {
            self.system_ids = system.0.iter().map(|x| x.2).collect();
        }
        let mut out = Applied::default();
        let preallocated = match self.conn.allocate_ids("transfers", p.transfers.len())? {
            Some(tids) => {
                let lids = self
                    .conn
                    .allocate_ids("lots", p.lots.len())?
                    .ok_or_else(|| corrupt("lot ids"))?;
                out.transfers = tids.into_iter().map(TransferId).collect();
                out.lots = lids.into_iter().map(LotId).collect();
                true
            }
            None => false,
        };
        let mut queued: Vec<(&'static str, Vec<Value>)> = Vec::new();
        for (i, t) in p.transfers.iter().enumerate() {
            let pending_of = t.pending_of.map(|r| match r {
                Ref::Stored(x) => x.0,
                Ref::New(i) => out.transfers[i].0,
            });
            let mut params: Vec<Value> = vec![
                program.0.into(),
                t.point_type.as_str().into(),
                t.code.as_str().into(),
                t.phase.as_str().into(),
                t.debit.0.into(),
                t.credit.0.into(),
                t.amount.into(),
                t.member.map(|m| m.0).into(),
                t.counterparty.map(|m| m.0).into(),
                pending_of.into(),
                t.reversal_of.map(|x| x.0).into(),
                t.order_ref.clone().into(),
                t.reason.clone().into(),
                t.actor.clone().into(),
                now.into(),
            ];
            if preallocated {
                params.push(out.transfers[i].0.into());
                queued.push((
                    "INSERT INTO transfers (program_id, point_type, code, phase, debit_account, credit_account, amount, member_id, \
                     counterparty_id, pending_of, reversal_of, order_ref, reason, actor, created_at, id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    params,
                ));
            } else {
                let id = self.conn.insert_id(
                    "INSERT INTO transfers (program_id, point_type, code, phase, debit_account, credit_account, amount, member_id, \
                     counterparty_id, pending_of, reversal_of, order_ref, reason, actor, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                    &params,
                )?;
                out.transfers.push(TransferId(id));
            }
        }
        for (acc, d) in p.account_deltas() {
            if self.system_ids.contains(&acc) {
                let e = self.system_deltas.entry(acc).or_default();
                e.debits_pending += d.debits_pending;
                e.debits_posted += d.debits_posted;
                e.credits_pending += d.credits_pending;
                e.credits_posted += d.credits_posted;
            } else {
                queued.push((UPDATE_ACCOUNT, account_params(acc, &d)));
            }
        }
        if !preallocated {
            self.conn.execute_many(&std::mem::take(&mut queued))?;
        }
        for (i, l) in p.lots.iter().enumerate() {
            let transfer = match l.transfer {
                Ref::Stored(x) => x,
                Ref::New(i) => out.transfers[i],
            };
            let mut params: Vec<Value> = vec![
                program.0.into(),
                l.member.0.into(),
                l.account.0.into(),
                l.point_type.as_str().into(),
                l.status.as_str().into(),
                l.amount.into(),
                l.earned_at.into(),
                l.available_at.into(),
                l.expires_at.into(),
                transfer.0.into(),
                l.source_account.0.into(),
                l.order_ref.clone().into(),
                l.origin.map(|x| x.0).into(),
            ];
            if preallocated {
                params.push(out.lots[i].0.into());
                queued.push((
                    "INSERT INTO lots (program_id, member_id, account_id, point_type, status, amount, remaining, held, spent, expired, \
                     reversed, moved, earned_at, available_at, expires_at, transfer_id, source_account, order_ref, origin_lot, id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, 0, 0, 0, 0, 0, $7, $8, $9, $10, $11, $12, $13, $14)",
                    params,
                ));
            } else {
                let id = self.conn.insert_id(
                    "INSERT INTO lots (program_id, member_id, account_id, point_type, status, amount, remaining, held, spent, expired, \
                     reversed, moved, earned_at, available_at, expires_at, transfer_id, source_account, order_ref, origin_lot) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, 0, 0, 0, 0, 0, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                    &params,
                )?;
                out.lots.push(LotId(id));
            }
        }
        let lot_id = |r: Ref<LotId>, out: &Applied| match r {
            Ref::Stored(x) => x,
            Ref::New(i) => out.lots[i],
        };
        for c in &p.lot_changes {
            let d = &c.delta;
            queued.push((
                "UPDATE lots SET held = held + $2, spent = spent + $3, expired = expired + $4, reversed = reversed + $5, \
                 moved = moved + $6, remaining = remaining + $7, status = CASE WHEN $8 = 1 THEN 'active' ELSE status END \
                 WHERE id = $1",
                vec![
                    lot_id(c.lot, &out).0.into(),
                    d.held.into(),
                    d.spent.into(),
                    d.expired.into(),
                    d.reversed.into(),
                    d.moved.into(),
                    d.remaining().into(),
                    (d.activate as i64).into(),
                ],
            ));
        }
        for d in &p.draws {
            let transfer = match d.transfer {
                Ref::Stored(x) => x,
                Ref::New(i) => out.transfers[i],
            };
            queued.push((
                "INSERT INTO draws (program_id, transfer_id, lot_id, amount) VALUES ($1, $2, $3, $4)",
                vec![program.0.into(), transfer.0.into(), lot_id(d.lot, &out).0.into(), d.amount.into()],
            ));
        }
        self.conn.execute_many(&queued)?;
        Ok(out)
    }

    /// One page of a member's history, newest first, before transfer `before` (exclusive): their
    /// own lines and those naming them as the counterparty (a transfer received). Each side is read newest first through its own index
    /// and cut at the page size before the two are merged, so a page costs the same however
    /// long the history.
    pub fn history(
        &mut self,
        program: ProgramId,
        member: MemberId,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<HistoryLine>> {
        let rows = self.conn.query(
            "SELECT t.id, t.point_type, t.code, t.phase, t.amount, t.member_id, t.counterparty_id, t.pending_of, t.reversal_of, \
                    t.order_ref, t.reason, t.actor, t.created_at, \
                    CASE WHEN db.member_id = $2 AND db.kind = 'balance' THEN -1 \
                         WHEN cr.member_id = $2 AND cr.kind = 'balance' THEN 1 ELSE 0 END \
             FROM transfers t JOIN accounts db ON db.id = t.debit_account JOIN accounts cr ON cr.id = t.credit_account \
             WHERE t.id IN ( \
                 SELECT id FROM (SELECT id FROM transfers WHERE program_id = $1 AND member_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4) AS own \
                 UNION \
                 SELECT id FROM (SELECT id FROM transfers WHERE program_id = $1 AND counterparty_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4) AS other) \
             ORDER BY t.id DESC LIMIT $4",
            &[program.0.into(), member.0.into(), before.unwrap_or(i64::MAX).into(), limit.into()],
        )?;
        rows.iter()
            .map(|r| {
                Ok(HistoryLine {
                    transfer_id: TransferId(r.int(0)),
                    point_type: point_type(&r.text(1))?,
                    code: r.text(2),
                    phase: r.text(3),
                    amount: r.int(4) * r.int(13),
                    member: MemberId(r.int(5)),
                    counterparty: r.opt_int(6).map(MemberId),
                    pending_of: r.opt_int(7).map(TransferId),
                    reversal_of: r.opt_int(8).map(TransferId),
                    order_ref: r.opt_text(9),
                    reason: r.opt_text(10),
                    actor: r.opt_text(11),
                    created_at: r.int(12),
                })
            })
            .collect()
    }

    // ---- orders ------------------------------------------------------------------------------

    /// Records an order; returns false (and writes nothing) when the order id is taken.
    pub fn insert_order(&mut self, o: &Order) -> StoreResult<bool> {
        let n = self.conn.execute(
            "INSERT INTO orders (program_id, order_id, member_id, paid_minor, currency, refunded_minor, points_earned, \
             points_reversed, points_expiry_covered, growth_earned, growth_reversed, lines, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
            &[
                o.program.0.into(),
                o.order_id.as_str().into(),
                o.member.0.into(),
                o.paid_minor.into(),
                o.currency.as_str().into(),
                o.refunded_minor.into(),
                o.points_earned.into(),
                o.points_reversed.into(),
                o.points_expiry_covered.into(),
                o.growth_earned.into(),
                o.growth_reversed.into(),
                o.lines_json.as_str().into(),
                o.created_at.into(),
            ],
        )?;
        // ON CONFLICT DO NOTHING wrote nothing when the id was taken.
        self.writes += n;
        Ok(n == 1)
    }

    pub fn order(&mut self, program: ProgramId, order_id: &str) -> StoreResult<Option<Order>> {
        let r = self.conn.query_one(
            "SELECT program_id, order_id, member_id, paid_minor, currency, refunded_minor, points_earned, points_reversed, \
             points_expiry_covered, growth_earned, growth_reversed, lines, created_at FROM orders WHERE program_id = $1 AND order_id = $2",
            &[program.0.into(), order_id.into()],
        )?;
        Ok(r.map(|r| Order {
            program: ProgramId(r.int(0)),
            order_id: r.text(1),
            member: MemberId(r.int(2)),
            paid_minor: r.int(3),
            currency: r.text(4),
            refunded_minor: r.int(5),
            points_earned: r.int(6),
            points_reversed: r.int(7),
            points_expiry_covered: r.int(8),
            growth_earned: r.int(9),
            growth_reversed: r.int(10),
            lines_json: r.text(11),
            created_at: r.int(12),
        }))
    }

    pub fn update_order_refund(&mut self, o: &Order) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE orders SET refunded_minor = $3, points_reversed = $4, points_expiry_covered = $5, growth_reversed = $6 \
             WHERE program_id = $1 AND order_id = $2",
            &[
                o.program.0.into(),
                o.order_id.as_str().into(),
                o.refunded_minor.into(),
                o.points_reversed.into(),
                o.points_expiry_covered.into(),
                o.growth_reversed.into(),
            ],
        )?;
        Ok(())
    }

    /// Sum over an account's lots of an order of points that expired.
    /// Points of an order's lots that expired, on the member's own lots and on the lots of
    /// every member merged into it (their expired parts stay on the old lots).
    pub fn order_expired(
        &mut self,
        program: ProgramId,
        member: MemberId,
        order_ref: &str,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "WITH RECURSIVE family(id) AS (SELECT CAST($2 AS BIGINT) \
                 UNION SELECT m.id FROM members m JOIN family f ON m.merged_into = f.id WHERE m.program_id = $1) \
                 SELECT CAST(COALESCE(SUM(l.expired), 0) AS BIGINT) FROM lots l \
                 WHERE l.program_id = $1 AND l.order_ref = $3 AND l.point_type = 'points' \
                 AND l.member_id IN (SELECT id FROM family)",
                &[program.0.into(), member.0.into(), order_ref.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    // ---- reservations ------------------------------------------------------------------------

    pub fn insert_reservation(&mut self, r: &Reservation) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO reservations (program_id, transfer_id, member_id, amount, state, expires_at, order_ref, created_at, owner_kind, owner_ref) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                r.program.0.into(),
                r.transfer.0.into(),
                r.member.0.into(),
                r.amount.into(),
                r.state.as_str().into(),
                r.expires_at.into(),
                r.order_ref.clone().into(),
                r.created_at.into(),
                r.owner.as_ref().map(|o| o.kind()).into(),
                r.owner.as_ref().map(|o| o.reference()).into(),
            ],
        )?;
        Ok(())
    }

    /// Gives a reservation to its owner (a mall order is numbered after its reservation).
    pub fn set_reservation_owner(
        &mut self,
        program: ProgramId,
        id: TransferId,
        owner: &ReservationOwner,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE reservations SET owner_kind = $3, owner_ref = $4 WHERE program_id = $1 AND transfer_id = $2",
            &[
                program.0.into(),
                id.0.into(),
                owner.kind().into(),
                owner.reference().into(),
            ],
        )?;
        Ok(())
    }

    fn reservation_from(r: &Row) -> StoreResult<Reservation> {
        Ok(Reservation {
            program: ProgramId(r.int(0)),
            transfer: TransferId(r.int(1)),
            member: MemberId(r.int(2)),
            amount: r.int(3),
            state: ReservationState::parse(&r.text(4))
                .ok_or_else(|| corrupt("reservation state"))?,
            expires_at: r.int(5),
            order_ref: r.opt_text(6),
            created_at: r.int(7),
            owner: match (r.opt_text(8), r.opt_text(9)) {
                (Some(kind), Some(reference)) => Some(
                    ReservationOwner::parse(&kind, &reference)
                        .ok_or_else(|| corrupt("reservation owner"))?,
                ),
                _ => None,
            },
        })
    }

    pub fn reservation(
        &mut self,
        program: ProgramId,
        id: TransferId,
    ) -> StoreResult<Option<Reservation>> {
        self.conn
            .query_one(
                "SELECT program_id, transfer_id, member_id, amount, state, expires_at, order_ref, created_at, owner_kind, owner_ref FROM reservations \
                 WHERE program_id = $1 AND transfer_id = $2",
                &[program.0.into(), id.0.into()],
            )?
            .map(|r| Self::reservation_from(&r))
            .transpose()
    }

    pub fn set_reservation_state(
        &mut self,
        program: ProgramId,
        id: TransferId,
        state: ReservationState,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE reservations SET state = $3 WHERE program_id = $1 AND transfer_id = $2",
            &[program.0.into(), id.0.into(), state.as_str().into()],
        )?;
        Ok(())
    }

    pub fn reservations_due(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<Vec<Reservation>> {
        self.conn
            .query(
                "SELECT program_id, transfer_id, member_id, amount, state, expires_at, order_ref, created_at, owner_kind, owner_ref FROM reservations \
                 WHERE program_id = $1 AND state = 'open' AND expires_at <= $2 \
                 AND (owner_kind IS NULL OR owner_kind <> 'mall_order') ORDER BY expires_at LIMIT $3",
                &[program.0.into(), now.into(), limit.into()],
            )?
            .iter()
            .map(Self::reservation_from)
            .collect()
    }

    pub fn open_reservation_count(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM reservations WHERE program_id = $1 AND member_id = $2 AND state = 'open'",
                &[program.0.into(), member.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
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

    // ---- verification ------------------------------------------------------------------------

    pub fn all_accounts(&mut self, program: ProgramId) -> StoreResult<Vec<AccountRow>> {
        let rows = self.conn.query(
            "SELECT id, point_type, member_id, kind, debits_pending, debits_posted, credits_pending, credits_posted \
             FROM accounts WHERE program_id = $1 ORDER BY id",
            &[program.0.into()],
        )?;
        rows.iter()
            .map(|r| {
                let kind = r.text(3);
                let owner = match kind.as_str() {
                    "balance" => Owner::Member(MemberId(r.int(2)), MemberAccountKind::Balance),
                    "debt" => Owner::Member(MemberId(r.int(2)), MemberAccountKind::Debt),
                    other => Owner::System(
                        SystemAccount::ALL
                            .into_iter()
                            .find(|k| k.as_str() == other)
                            .ok_or_else(|| corrupt(&format!("account kind {other:?}")))?,
                    ),
                };
                Ok(AccountRow {
                    id: AccountId(r.int(0)),
                    point_type: point_type(&r.text(1))?,
                    owner,
                    debits_pending: r.int(4),
                    debits_posted: r.int(5),
                    credits_pending: r.int(6),
                    credits_posted: r.int(7),
                })
            })
            .collect()
    }

    pub fn all_transfers(&mut self, program: ProgramId) -> StoreResult<Vec<TransferRow>> {
        self.conn
            .query(
                "SELECT id, phase, point_type, debit_account, credit_account, amount, pending_of FROM transfers \
                 WHERE program_id = $1 ORDER BY id",
                &[program.0.into()],
            )?
            .iter()
            .map(|r| {
                Ok(TransferRow {
                    id: TransferId(r.int(0)),
                    phase: Phase::parse(&r.text(1)).ok_or_else(|| corrupt("transfer phase"))?,
                    point_type: point_type(&r.text(2))?,
                    debit: AccountId(r.int(3)),
                    credit: AccountId(r.int(4)),
                    amount: r.int(5),
                    pending_of: r.opt_int(6).map(TransferId),
                })
            })
            .collect()
    }

    /// Orders whose reversals exceed their earnings (invariant 6); empty when all is well.
    pub fn orders_over_reversed(&mut self, program: ProgramId) -> StoreResult<Vec<String>> {
        Ok(self
            .conn
            .query(
                "SELECT order_id FROM orders WHERE program_id = $1 AND (points_reversed > points_earned OR growth_reversed > growth_earned \
                 OR refunded_minor > paid_minor OR points_expiry_covered > points_reversed)",
                &[program.0.into()],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect())
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
mod chain;
mod coupons;
mod dashboard;
mod exports;
mod keys;
mod lottery;
mod mall;
mod members;
mod staff;
mod webhooks;
pub use lottery::{DrawRow, LotteryRow, NewDraw};
pub use mall::{ItemRow, MallOrderRow, NewMallOrder, SkuRow};
pub use staff::{AdjustmentRequest, AppealRow, AuditRow, MemberExportRow, StaffRow};
pub use webhooks::{DeliveryRow, EndpointRow};
mod rules;
mod tiers;
pub use chain::LinkRow;
pub use coupons::{CouponRow, NewCoupon, TemplateRow};
pub use exports::{LedgerExportRow, OrderExportRow};
pub use keys::{ApiKeyRow, KEY_ID_LEN, KeyCaller};

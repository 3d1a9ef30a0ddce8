//! Member accounts: finding and locking them, a member with its books, account columns and
//! debt owed.

use super::*;

impl Tx<'_> {
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
}

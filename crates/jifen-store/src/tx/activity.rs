//! A member's history as business events: the lines that open something (a purchase's points,
//! a reservation, an adjustment), each with what later settled it.

use super::transfers::{HISTORY_SELECT, history_line};
use super::*;

/// Which of a member's history lines to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Only lines older than this transfer id.
    pub before: Option<i64>,
    pub limit: i64,
    /// Only lines of this ledger code.
    pub code: Option<String>,
    /// Only lines of this point type (`points` or `growth`).
    pub point_type: Option<String>,
    /// Only lines that credit the member's balance (1) or debit it (-1); all when 0.
    pub direction: i64,
    /// Only lines made in `[from, to)`.
    pub from: Option<Millis>,
    pub to: Option<Millis>,
}

/// A line that posted or voided (part of) a pending transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub pending: TransferId,
    /// `post_pending` or `void_pending`.
    pub phase: String,
    pub code: String,
    pub amount: i64,
    pub created_at: Millis,
}

/// Ids per `IN (...)` list.
const IDS_PER_QUERY: usize = 500;

/// `$first, $first+1, ...` for `n` values.
fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tx<'_> {
    /// A member's history lines that open a business event (the lines settling a pending
    /// transfer are left out: they belong to it), newest first, as `f` asks.
    pub fn activity_lines(
        &mut self,
        program: ProgramId,
        member: MemberId,
        f: &ActivityFilter,
    ) -> StoreResult<Vec<HistoryLine>> {
        let only = "id < $3 AND phase NOT IN ('post_pending', 'void_pending') \
                    AND (CAST($5 AS TEXT) IS NULL OR code = $5) AND created_at >= $6 AND created_at < $7 \
                    AND (CAST($8 AS TEXT) IS NULL OR point_type = $8) \
                    AND ($9 = 0 \
                         OR ($9 = 1 AND credit_account IN (SELECT id FROM accounts WHERE member_id = $2 AND kind = 'balance')) \
                         OR ($9 = -1 AND debit_account IN (SELECT id FROM accounts WHERE member_id = $2 AND kind = 'balance'))) \
                    ORDER BY id DESC LIMIT $4";
        let rows = self.conn.query(
            &format!(
                "{HISTORY_SELECT} WHERE t.id IN ( \
                 SELECT id FROM (SELECT id FROM transfers WHERE program_id = $1 AND member_id = $2 AND {only}) AS own \
                 UNION \
                 SELECT id FROM (SELECT id FROM transfers WHERE program_id = $1 AND counterparty_id = $2 AND {only}) AS other) \
                 ORDER BY t.id DESC LIMIT $4"
            ),
            &[
                program.0.into(),
                member.0.into(),
                f.before.unwrap_or(i64::MAX).into(),
                f.limit.into(),
                f.code.clone().into(),
                f.from.unwrap_or(i64::MIN).into(),
                f.to.unwrap_or(i64::MAX).into(),
                f.point_type.clone().into(),
                f.direction.into(),
            ],
        )?;
        rows.iter().map(history_line).collect()
    }

    /// What posted or voided each of these pending transfers, oldest first.
    pub fn settlements(
        &mut self,
        program: ProgramId,
        pending: &[TransferId],
    ) -> StoreResult<Vec<Settlement>> {
        self.by_ids(
            program,
            pending,
            |ids| {
                format!(
                    "SELECT pending_of, phase, code, amount, created_at FROM transfers \
                     WHERE pending_of IN ({ids}) AND program_id = $1 ORDER BY id"
                )
            },
            |r| Settlement {
                pending: TransferId(r.int(0)),
                phase: r.text(1),
                code: r.text(2),
                amount: r.int(3),
                created_at: r.int(4),
            },
        )
    }

    /// When the points of each of these pending transfers become available: the earliest date
    /// of the lots each one made.
    pub fn pending_available_at(
        &mut self,
        program: ProgramId,
        pending: &[TransferId],
    ) -> StoreResult<Vec<(TransferId, Millis)>> {
        self.by_ids(
            program,
            pending,
            |ids| {
                format!(
                    "SELECT transfer_id, MIN(available_at) FROM lots \
                     WHERE transfer_id IN ({ids}) AND program_id = $1 GROUP BY transfer_id"
                )
            },
            |r| (TransferId(r.int(0)), r.int(1)),
        )
    }

    /// Runs `sql` (given the `$2, $3, ...` of the ids) for the ids a list at a time.
    fn by_ids<T>(
        &mut self,
        program: ProgramId,
        ids: &[TransferId],
        sql: impl Fn(&str) -> String,
        row: impl Fn(&Row) -> T,
    ) -> StoreResult<Vec<T>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut params: Vec<Value> = vec![program.0.into()];
            params.extend(chunk.iter().map(|t| Value::Int(t.0)));
            let rows = self.conn.query(&sql(&marks(2, chunk.len())), &params)?;
            out.extend(rows.iter().map(&row));
        }
        Ok(out)
    }
}

//! Lots: the ones spending draws, the ones due to vest or expire, and their totals.

use super::*;

impl Tx<'_> {
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

    pub(super) fn lots_where(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<Lot>> {
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
}

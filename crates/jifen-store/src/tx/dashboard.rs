//! Reads of the console's overview: who was active and what sold, over a recent window. Each
//! reads a range of the `(program_id, created_at)` indexes, so the overview costs what the
//! window holds, not what the programme ever did.

use super::*;

impl Tx<'_> {
    /// Members with a posted points line (earned, spent, expired...) since `since`.
    pub fn active_members(&mut self, program: ProgramId, since: Millis) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(DISTINCT member_id) FROM transfers \
                 WHERE program_id = $1 AND created_at >= $2 AND member_id IS NOT NULL AND phase = 'posted'",
                &[program.0.into(), since.into()],
            )?
            .map(|r| r.int(0))
            .unwrap_or(0))
    }

    /// The items ordered most since `since` (cancelled and timed-out orders left out): item id,
    /// orders, units, points.
    pub fn top_items(
        &mut self,
        program: ProgramId,
        since: Millis,
        limit: i64,
    ) -> StoreResult<Vec<(i64, i64, i64, i64)>> {
        Ok(self
            .conn
            .query(
                "SELECT item_id, COUNT(*) AS n, CAST(SUM(quantity) AS BIGINT), CAST(SUM(points) AS BIGINT) FROM mall_orders \
                 WHERE program_id = $1 AND created_at >= $2 AND state NOT IN ('cancelled', 'timed_out') \
                 GROUP BY item_id ORDER BY n DESC, item_id LIMIT $3",
                &[program.0.into(), since.into(), limit.into()],
            )?
            .iter()
            .map(|r| (r.int(0), r.int(1), r.int(2), r.int(3)))
            .collect())
    }

    /// Members who joined per day in `[from, to)`: (day index from `from`, members), from the
    /// `(program_id, created_at)` index.
    pub fn daily_new_members(
        &mut self,
        program: ProgramId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<(i64, i64)>> {
        self.per_day(
            "SELECT CAST((created_at - $2) / 86400000 AS BIGINT) AS day, COUNT(*) FROM members \
             WHERE program_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY day ORDER BY day",
            program,
            from,
            to,
        )
    }

    /// Members with a posted points line per day in `[from, to)`, each member once a day:
    /// (day index from `from`, members).
    pub fn daily_active_members(
        &mut self,
        program: ProgramId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<(i64, i64)>> {
        self.per_day(
            "SELECT CAST((created_at - $2) / 86400000 AS BIGINT) AS day, COUNT(DISTINCT member_id) FROM transfers \
             WHERE program_id = $1 AND created_at >= $2 AND created_at < $3 AND member_id IS NOT NULL AND phase = 'posted' \
             GROUP BY day ORDER BY day",
            program,
            from,
            to,
        )
    }

    /// (day, count) rows of a per-day query over `[from, to)` of a programme.
    fn per_day(
        &mut self,
        sql: &str,
        program: ProgramId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<(i64, i64)>> {
        Ok(self
            .conn
            .query(sql, &[program.0.into(), from.into(), to.into()])?
            .iter()
            .map(|r| (r.int(0), r.int(1)))
            .collect())
    }

    /// Members (merged ones left out) by tier row at `now`: (the manual tier while it lasts,
    /// else empty; the earned tier, empty without a row; members).
    pub fn tier_counts(
        &mut self,
        program: ProgramId,
        now: Millis,
    ) -> StoreResult<Vec<(String, String, i64)>> {
        Ok(self
            .conn
            .query(
                "SELECT CASE WHEN t.manual_tier IS NOT NULL AND t.manual_until > $2 THEN t.manual_tier ELSE '' END AS manual, \
                 COALESCE(t.tier, '') AS earned, COUNT(*) FROM members m \
                 LEFT JOIN member_tiers t ON t.program_id = m.program_id AND t.member_id = m.id \
                 WHERE m.program_id = $1 AND m.status <> 'merged' GROUP BY manual, earned",
                &[program.0.into(), now.into()],
            )?
            .iter()
            .map(|r| (r.text(0), r.text(1), r.int(2)))
            .collect())
    }

    /// The programme's value of points: minor units per 100 points, if set.
    pub fn point_value(&mut self, program: ProgramId) -> StoreResult<Option<i64>> {
        Ok(self
            .conn
            .query_one(
                "SELECT minor_per_100_points FROM point_values WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| r.int(0)))
    }

    /// Sets the value of points, or clears it with `None`.
    pub fn set_point_value(
        &mut self,
        program: ProgramId,
        minor_per_100_points: Option<i64>,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        match minor_per_100_points {
            Some(v) => self.conn.execute(
                "INSERT INTO point_values (program_id, minor_per_100_points, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (program_id) DO UPDATE SET minor_per_100_points = excluded.minor_per_100_points, \
                 updated_at = excluded.updated_at",
                &[program.0.into(), v.into(), now.into()],
            )?,
            None => self.conn.execute(
                "DELETE FROM point_values WHERE program_id = $1",
                &[program.0.into()],
            )?,
        };
        Ok(())
    }
}

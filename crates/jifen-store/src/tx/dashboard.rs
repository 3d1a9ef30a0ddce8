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
}

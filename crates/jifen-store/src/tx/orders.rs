//! Orders: recording one, reading it, and its refunds and expired points.

use super::*;

impl Tx<'_> {
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
}

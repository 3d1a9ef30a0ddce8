//! Queries of a member's record after creation: status (freeze), the points a freeze held,
//! identities unbound, transfer totals for the limits, and what an export reads and an erasure
//! clears.

use super::*;

impl Tx<'_> {
    /// Sets a live member's status (`active` or `frozen`); false when it was not the other.
    pub fn set_member_status(
        &mut self,
        program: ProgramId,
        id: MemberId,
        from: &str,
        to: &str,
    ) -> StoreResult<bool> {
        let n = self.conn.execute(
            "UPDATE members SET status = $4 WHERE program_id = $1 AND id = $2 AND status = $3",
            &[program.0.into(), id.0.into(), from.into(), to.into()],
        )?;
        self.writes += n;
        Ok(n == 1)
    }

    /// The pending lots a freeze held (`available_at` = `held_until`) become due as their own
    /// return window says, and at once when it has passed. Returns how many.
    pub fn release_frozen_lots(
        &mut self,
        program: ProgramId,
        member: MemberId,
        held_until: Millis,
        pending_ms: Millis,
        now: Millis,
    ) -> StoreResult<u64> {
        let n = self.conn.execute(
            "UPDATE lots SET available_at = CASE WHEN earned_at + $4 > $5 THEN earned_at + $4 ELSE $5 END \
             WHERE program_id = $1 AND member_id = $2 AND status = 'pending' AND available_at = $3",
            &[program.0.into(), member.0.into(), held_until.into(), pending_ms.into(), now.into()],
        )?;
        self.writes += n;
        Ok(n)
    }

    /// Member-to-member transfers since a time: (count, points) the member sent, or received
    /// when `received`.
    pub fn member_transfers_since(
        &mut self,
        program: ProgramId,
        member: MemberId,
        since: Millis,
        received: bool,
    ) -> StoreResult<(i64, i64)> {
        let sql = if received {
            "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transfers \
             WHERE program_id = $1 AND counterparty_id = $2 AND code = $3 AND created_at >= $4"
        } else {
            "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transfers \
             WHERE program_id = $1 AND member_id = $2 AND code = $3 AND created_at >= $4"
        };
        Ok(self
            .conn
            .query_one(
                sql,
                &[
                    program.0.into(),
                    member.0.into(),
                    code::MEMBER_TRANSFER.into(),
                    since.into(),
                ],
            )?
            .map_or((0, 0), |r| (r.int(0), r.int(1))))
    }

    /// A member's purchase orders, oldest first, as (order id, paid, currency, refunded,
    /// points earned, points reversed, created at).
    pub fn member_purchase_orders(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<Vec<Row>> {
        self.conn.query(
            "SELECT order_id, paid_minor, currency, refunded_minor, points_earned, points_reversed, created_at \
             FROM orders WHERE program_id = $1 AND member_id = $2 ORDER BY created_at, order_id",
            &[program.0.into(), member.0.into()],
        )
    }

    /// Mall orders of a member that are not over yet (they still need the address).
    pub fn open_mall_orders(&mut self, program: ProgramId, member: MemberId) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM mall_orders WHERE program_id = $1 AND member_id = $2 \
                 AND state IN ('pending_payment', 'paid', 'awaiting_stock', 'shipped')",
                &[program.0.into(), member.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Erases what identifies a member (PIPL): profile fields, identities, delivery addresses,
    /// appeal texts, risk signals and the profile's old values in the audit log. Amounts,
    /// transfers and lots stay, so the books still balance.
    pub fn erase_member(&mut self, program: ProgramId, member: MemberId) -> StoreResult<()> {
        self.writes += 1;
        let p = || -> Vec<Value> { vec![program.0.into(), member.0.into()] };
        self.conn.execute_many(&[
            (
                "UPDATE members SET name = NULL, phone = NULL, email = NULL, birthday = NULL, birthday_md = NULL, \
                 status = 'erased' WHERE program_id = $1 AND id = $2",
                p(),
            ),
            ("DELETE FROM identities WHERE program_id = $1 AND member_id = $2", p()),
            ("UPDATE mall_orders SET address = NULL WHERE program_id = $1 AND member_id = $2", p()),
            ("UPDATE appeals SET message = '[erased]' WHERE program_id = $1 AND member_id = $2", p()),
            ("DELETE FROM risk_signals WHERE program_id = $1 AND member_id = $2", p()),
            (
                "UPDATE audit_log SET before_json = NULL, after_json = NULL WHERE program_id = $1 \
                 AND target = 'member:' || CAST(CAST($2 AS BIGINT) AS TEXT) AND action IN ('member.profile', 'member.identity_unbound')",
                p(),
            ),
        ])
    }

    /// Removes one identity of a member; false when the member has no such identity.
    pub fn delete_identity(
        &mut self,
        program: ProgramId,
        member: MemberId,
        channel: &str,
        external_id: &str,
    ) -> StoreResult<bool> {
        let n = self.conn.execute(
            "DELETE FROM identities WHERE program_id = $1 AND member_id = $2 AND channel = $3 AND external_id = $4",
            &[program.0.into(), member.0.into(), channel.into(), external_id.into()],
        )?;
        self.writes += n;
        Ok(n == 1)
    }
}

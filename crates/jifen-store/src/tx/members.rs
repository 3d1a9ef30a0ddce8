//! Queries of a member's record: creating and reading members (by id or identity), their
//! profile, merges, counts and identities; after creation, status (freeze), the points a freeze
//! held, identities unbound, transfer totals for the limits, and what an export reads and an
//! erasure clears.

use super::*;

impl Tx<'_> {
    pub fn insert_member(
        &mut self,
        program: ProgramId,
        profile: &MemberProfile,
        now: Millis,
    ) -> StoreResult<MemberId> {
        self.writes += 1;
        let row = self.conn.insert_id(
            "INSERT INTO members (program_id, name, phone, email, birthday, status, created_at, birthday_md, phone_tail) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8) RETURNING id",
            &[
                program.0.into(),
                profile.name.clone().into(),
                profile.phone.clone().into(),
                profile.email.clone().into(),
                profile.birthday.clone().into(),
                now.into(),
                birthday_md(profile).into(),
                phone_tail(profile).into(),
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
            "UPDATE members SET name = $3, phone = $4, email = $5, birthday = $6, birthday_md = $7, phone_tail = $8 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.0.into(), p.name.clone().into(), p.phone.clone().into(), p.email.clone().into(), p.birthday.clone().into(), birthday_md(p).into(), phone_tail(p).into()],
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
                "UPDATE members SET name = NULL, phone = NULL, email = NULL, birthday = NULL, birthday_md = NULL, phone_tail = NULL, \
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

/// What the console's member list is narrowed to and sorted by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// A tier code; `base_tier` is the tier of members with no tier row yet.
    pub tier: Option<String>,
    pub base_tier: String,
    /// Available points (posted, less what reservations hold), inclusive; points past their
    /// expiry that the nightly sweep has not yet taken still count.
    pub min_balance: Option<i64>,
    pub max_balance: Option<i64>,
    /// Joined at or after / before (ms since the epoch).
    pub joined_from: Option<Millis>,
    pub joined_before: Option<Millis>,
    /// Highest balance first; otherwise newest first.
    pub by_balance: bool,
    /// When a tier set by hand still holds.
    pub now: Millis,
}

impl Tx<'_> {
    /// A page of the members `f` lets through (`offset`, at most `limit`), and how many it lets
    /// through in all.
    pub fn filtered_members(
        &mut self,
        program: ProgramId,
        f: &MemberFilter,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<MemberId>, i64)> {
        let from = "FROM members m JOIN accounts a ON a.program_id = m.program_id AND a.member_id = m.id \
             AND a.kind = 'balance' AND a.point_type = 'points' \
             LEFT JOIN member_tiers t ON t.program_id = m.program_id AND t.member_id = m.id \
             WHERE m.program_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR COALESCE(CASE WHEN t.manual_until > $3 THEN t.manual_tier END, t.tier, $4) = $2) \
             AND (CAST($5 AS BIGINT) IS NULL OR a.credits_posted - a.debits_posted - a.debits_pending >= $5) \
             AND (CAST($6 AS BIGINT) IS NULL OR a.credits_posted - a.debits_posted - a.debits_pending <= $6) \
             AND (CAST($7 AS BIGINT) IS NULL OR m.created_at >= $7) \
             AND (CAST($8 AS BIGINT) IS NULL OR m.created_at < $8)";
        let args = || -> Vec<Value> {
            vec![
                program.0.into(),
                f.tier.clone().into(),
                f.now.into(),
                f.base_tier.clone().into(),
                f.min_balance.into(),
                f.max_balance.into(),
                f.joined_from.into(),
                f.joined_before.into(),
            ]
        };
        let total = self
            .conn
            .query_one(&format!("SELECT COUNT(*) {from}"), &args())?
            .map_or(0, |r| r.int(0));
        let order = if f.by_balance {
            "a.credits_posted - a.debits_posted - a.debits_pending DESC, m.id DESC"
        } else {
            "m.id DESC"
        };
        let mut page = args();
        page.extend([limit.into(), offset.into()]);
        let ids = self
            .conn
            .query(
                &format!("SELECT m.id {from} ORDER BY {order} LIMIT $9 OFFSET $10"),
                &page,
            )?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect();
        Ok((ids, total))
    }
}

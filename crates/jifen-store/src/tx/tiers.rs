//! Queries of member tiers: the ladder, each member's tier, the metrics that qualify, changes.

use super::*;

impl Tx<'_> {
    pub fn tier_ladder(&mut self, program: ProgramId) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_one(
                "SELECT definition FROM tier_ladders WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| r.text(0)))
    }

    pub fn put_tier_ladder(
        &mut self,
        program: ProgramId,
        definition: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO tier_ladders (program_id, definition, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (program_id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
            &[program.0.into(), definition.into(), now.into()],
        )?;
        Ok(())
    }

    /// A member's tier row (earned tier and any manual one), in one read.
    pub fn tier_row(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<Option<TierRow>> {
        Ok(self
            .conn
            .query_one(
                "SELECT tier, since, manual_tier, manual_until, manual_reason, manual_by FROM member_tiers \
                 WHERE program_id = $1 AND member_id = $2",
                &[program.0.into(), member.0.into()],
            )?
            .map(|r| TierRow {
                tier: r.text(0),
                since: r.int(1),
                manual: r.opt_text(2).map(|t| (t, r.opt_int(3).unwrap_or(0), r.opt_text(4), r.opt_text(5))),
            }))
    }

    /// Sets a tier by hand until `until`, keeping the earned tier (`earned`, for a member with
    /// no row yet) underneath, and records the change.
    pub fn set_manual_tier(
        &mut self,
        program: ProgramId,
        member: MemberId,
        earned: &str,
        tier: &str,
        until: Millis,
        reason: &str,
        by: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute_many(&[
            (
                "INSERT INTO member_tiers (program_id, member_id, tier, since, manual_tier, manual_until, manual_reason, manual_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (program_id, member_id) DO UPDATE SET manual_tier = excluded.manual_tier, \
                 manual_until = excluded.manual_until, manual_reason = excluded.manual_reason, manual_by = excluded.manual_by",
                vec![program.0.into(), member.0.into(), earned.into(), now.into(), tier.into(), until.into(), reason.into(), by.into()],
            ),
            (
                "INSERT INTO tier_changes (program_id, member_id, from_tier, to_tier, cause, metric_value, created_at) \
                 VALUES ($1, $2, NULL, $3, $4, 0, $5)",
                vec![program.0.into(), member.0.into(), tier.into(), format!("manual by {by} until {until}: {reason}").into(), now.into()],
            ),
        ])
    }

    /// Records a member's new tier and the change, with its cause and the metric value.
    /// Sets (or with `None` clears) when the jobs re-check a member a refund took below their
    /// tier. An earlier re-check already set is kept.
    pub fn set_tier_recheck(
        &mut self,
        program: ProgramId,
        member: MemberId,
        at: Option<Millis>,
    ) -> StoreResult<()> {
        self.writes += 1;
        match at {
            Some(at) => self.conn.execute(
                "UPDATE member_tiers SET recheck_at = CASE WHEN recheck_at IS NULL OR recheck_at > $3 THEN $3 ELSE recheck_at END \
                 WHERE program_id = $1 AND member_id = $2",
                &[program.0.into(), member.0.into(), at.into()],
            )?,
            None => self.conn.execute(
                "UPDATE member_tiers SET recheck_at = NULL WHERE program_id = $1 AND member_id = $2",
                &[program.0.into(), member.0.into()],
            )?,
        };
        Ok(())
    }

    /// Members whose refund re-check is due, soonest first.
    pub fn tier_rechecks_due(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        Ok(self
            .conn
            .query(
                "SELECT member_id FROM member_tiers WHERE program_id = $1 AND recheck_at IS NOT NULL \
                 AND recheck_at <= $2 ORDER BY recheck_at, member_id LIMIT $3",
                &[program.0.into(), now.into(), limit.into()],
            )?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect())
    }

    /// The cause of the member's latest move up to `tier` (e.g. `purchase SO-1`).
    pub fn tier_reached_cause(
        &mut self,
        program: ProgramId,
        member: MemberId,
        tier: &str,
    ) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_one(
                "SELECT cause FROM tier_changes WHERE program_id = $1 AND member_id = $2 AND to_tier = $3 \
                 AND (from_tier IS NULL OR from_tier <> $3) ORDER BY id DESC LIMIT 1",
                &[program.0.into(), member.0.into(), tier.into()],
            )?
            .map(|r| r.text(0)))
    }

    pub fn set_member_tier(
        &mut self,
        program: ProgramId,
        member: MemberId,
        from: Option<&str>,
        to: &str,
        cause: &str,
        metric_value: i64,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute_many(&[
            (
                "INSERT INTO member_tiers (program_id, member_id, tier, since) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (program_id, member_id) DO UPDATE SET tier = excluded.tier, since = excluded.since",
                vec![program.0.into(), member.0.into(), to.into(), now.into()],
            ),
            (
                "INSERT INTO tier_changes (program_id, member_id, from_tier, to_tier, cause, metric_value, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![program.0.into(), member.0.into(), from.into(), to.into(), cause.into(), metric_value.into(), now.into()],
            ),
        ])
    }

    /// A member's tier changes, newest first (at most `limit`).
    pub fn tier_changes(
        &mut self,
        program: ProgramId,
        member: MemberId,
        limit: i64,
    ) -> StoreResult<Vec<(Option<String>, String, String, i64, Millis)>> {
        Ok(self
            .conn
            .query(
                "SELECT from_tier, to_tier, cause, metric_value, created_at FROM tier_changes \
                 WHERE program_id = $1 AND member_id = $2 ORDER BY id DESC LIMIT $3",
                &[program.0.into(), member.0.into(), limit.into()],
            )?
            .iter()
            .map(|r| (r.opt_text(0), r.text(1), r.text(2), r.int(3), r.int(4)))
            .collect())
    }

    /// Growth value credited to an account's lots earned since `from`, net of what refunds
    /// took back (growth is never spent and never expires).
    pub fn growth_since(&mut self, account: AccountId, from: Millis) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT CAST(COALESCE(SUM(amount - reversed), 0) AS BIGINT) FROM lots \
                 WHERE account_id = $1 AND remaining > 0 AND earned_at >= $2",
                &[account.0.into(), from.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    // ---- reviews -----------------------------------------------------------------------------

    /// A review's progress: (the last member id it handled, finished).
    pub fn tier_review(
        &mut self,
        program: ProgramId,
        review: &str,
    ) -> StoreResult<Option<(i64, bool)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT after_member, finished_at FROM tier_reviews WHERE program_id = $1 AND review = $2",
                &[program.0.into(), review.into()],
            )?
            .map(|r| (r.int(0), r.opt_int(1).is_some())))
    }

    /// Records how far a review got (`finished` when no member is left).
    pub fn advance_tier_review(
        &mut self,
        program: ProgramId,
        review: &str,
        after_member: i64,
        handled: i64,
        finished: Option<Millis>,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO tier_reviews (program_id, review, after_member, members, finished_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (program_id, review) DO UPDATE SET after_member = excluded.after_member, \
             members = tier_reviews.members + excluded.members, finished_at = excluded.finished_at",
            &[program.0.into(), review.into(), after_member.into(), handled.into(), finished.into()],
        )?;
        Ok(())
    }

    /// Members above the first tier after `after` (by id) not yet through `review`, at most
    /// `limit`: one page of a review, found through the primary key.
    pub fn members_due_review(
        &mut self,
        program: ProgramId,
        review: &str,
        lowest: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<(MemberId, String)>> {
        Ok(self
            .conn
            .query(
                "SELECT member_id, tier FROM member_tiers WHERE program_id = $1 AND member_id > $4 AND tier <> $2 \
                 AND (reviewed IS NULL OR reviewed <> $3) ORDER BY member_id LIMIT $5",
                &[program.0.into(), lowest.into(), review.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(|r| (MemberId(r.int(0)), r.text(1)))
            .collect())
    }

    /// Live (not merged) members after id `after`, at most `limit`, by id.
    pub fn member_ids_after(
        &mut self,
        program: ProgramId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        Ok(self
            .conn
            .query(
                "SELECT id FROM members WHERE program_id = $1 AND id > $2 AND merged_into IS NULL ORDER BY id LIMIT $3",
                &[program.0.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect())
    }

    pub fn mark_reviewed(
        &mut self,
        program: ProgramId,
        member: MemberId,
        review: &str,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE member_tiers SET reviewed = $3 WHERE program_id = $1 AND member_id = $2",
            &[program.0.into(), member.0.into(), review.into()],
        )?;
        Ok(())
    }

    /// For benchmarks: `n` members with their four accounts (all zero), each at `tier`,
    /// created in a few set-based statements rather than one command each.
    pub fn seed_members_at_tier(
        &mut self,
        program: ProgramId,
        n: i64,
        tier: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO members (program_id, name, status, created_at) \
             WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $2) \
             SELECT $1, 'bench ' || CAST(i AS TEXT), 'active', $3 FROM seq",
            &[program.0.into(), n.into(), now.into()],
        )?;
        self.conn.execute(
            "INSERT INTO accounts (program_id, member_id, kind, point_type, debits_pending, debits_posted, credits_pending, credits_posted) \
             SELECT m.program_id, m.id, k.kind, p.pt, 0, 0, 0, 0 FROM members m \
             CROSS JOIN (SELECT 'balance' AS kind UNION ALL SELECT 'debt') k \
             CROSS JOIN (SELECT 'points' AS pt UNION ALL SELECT 'growth') p \
             WHERE m.program_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.program_id = m.program_id AND a.member_id = m.id)",
            &[program.0.into()],
        )?;
        self.conn.execute(
            "INSERT INTO member_tiers (program_id, member_id, tier, since) SELECT program_id, id, $2, $3 FROM members \
             WHERE program_id = $1 ON CONFLICT DO NOTHING",
            &[program.0.into(), tier.into(), now.into()],
        )?;
        Ok(())
    }
}

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

    /// A member's tier code and since when, if one was ever recorded.
    pub fn member_tier(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<Option<(String, Millis)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT tier, since FROM member_tiers WHERE program_id = $1 AND member_id = $2",
                &[program.0.into(), member.0.into()],
            )?
            .map(|r| (r.text(0), r.int(1))))
    }

    /// A member's tier set by staff: (tier, until, reason, by), if any was set.
    pub fn manual_tier(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<Option<(String, Millis, Option<String>, Option<String>)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT manual_tier, manual_until, manual_reason, manual_by FROM member_tiers \
                 WHERE program_id = $1 AND member_id = $2 AND manual_tier IS NOT NULL",
                &[program.0.into(), member.0.into()],
            )?
            .map(|r| (r.text(0), r.int(1), r.opt_text(2), r.opt_text(3))))
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

    pub fn tier_review_done(&mut self, program: ProgramId, review: &str) -> StoreResult<bool> {
        Ok(self
            .conn
            .query_one(
                "SELECT 1 FROM tier_reviews WHERE program_id = $1 AND review = $2",
                &[program.0.into(), review.into()],
            )?
            .is_some())
    }

    pub fn finish_tier_review(
        &mut self,
        program: ProgramId,
        review: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO tier_reviews (program_id, review, members, finished_at) \
             SELECT $1, $2, COUNT(*), $3 FROM member_tiers WHERE program_id = $1 AND reviewed = $2 \
             ON CONFLICT DO NOTHING",
            &[program.0.into(), review.into(), now.into()],
        )?;
        Ok(())
    }

    /// Members above the first tier not yet through `review`, by id, at most `limit`.
    pub fn members_due_review(
        &mut self,
        program: ProgramId,
        review: &str,
        lowest: &str,
        limit: i64,
    ) -> StoreResult<Vec<(MemberId, String)>> {
        Ok(self
            .conn
            .query(
                "SELECT member_id, tier FROM member_tiers WHERE program_id = $1 AND tier <> $2 \
                 AND (reviewed IS NULL OR reviewed <> $3) ORDER BY member_id LIMIT $4",
                &[program.0.into(), lowest.into(), review.into(), limit.into()],
            )?
            .iter()
            .map(|r| (MemberId(r.int(0)), r.text(1)))
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
}

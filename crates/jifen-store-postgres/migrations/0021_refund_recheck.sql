-- A refund that takes a member below their tier moves them down at once, or after the
-- ladder's refund grace: then the jobs re-check the member at this time.
ALTER TABLE member_tiers ADD COLUMN recheck_at BIGINT;
CREATE INDEX member_tiers_recheck ON member_tiers (program_id, recheck_at) WHERE recheck_at IS NOT NULL;

-- Member tiers: the programme's ladder, each member's tier, and every change with its cause.
CREATE TABLE tier_ladders (
    program_id INTEGER PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE member_tiers (
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    tier TEXT NOT NULL,
    since INTEGER NOT NULL,
    -- A tier staff set by hand, shown as such and only until manual_until: never a floor.
    manual_tier TEXT,
    manual_until INTEGER,
    manual_reason TEXT,
    manual_by TEXT,
    -- The last review (retention) this member went through: `2027-03`, `2027-Q1`, `2027`.
    reviewed TEXT,
    CONSTRAINT member_tiers_pkey PRIMARY KEY (program_id, member_id)
);
CREATE TABLE tier_changes (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    from_tier TEXT,
    to_tier TEXT NOT NULL,
    cause TEXT NOT NULL,
    metric_value INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX tier_changes_member ON tier_changes (program_id, member_id, id);
-- A programme's reviews: how far through the members (by id) each got, and when it finished,
-- so that a review resumes where it stopped and a finished one is not scanned for again.
CREATE TABLE tier_reviews (
    program_id INTEGER NOT NULL,
    review TEXT NOT NULL,
    after_member INTEGER NOT NULL,
    members INTEGER NOT NULL,
    finished_at INTEGER,
    CONSTRAINT tier_reviews_pkey PRIMARY KEY (program_id, review)
);

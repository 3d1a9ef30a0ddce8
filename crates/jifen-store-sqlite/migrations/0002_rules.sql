-- Earning rules: versioned definitions, counters for caps and budgets, stored events (for
-- idempotency, refund re-evaluation and backtests), awards with the rule version that gave
-- them, sign-in days and referrals.
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX rules_program ON rules (program_id, status, id);
CREATE TABLE rule_versions (
    program_id INTEGER NOT NULL,
    rule_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    actor TEXT,
    created_at INTEGER NOT NULL,
    CONSTRAINT rule_versions_pkey PRIMARY KEY (program_id, rule_id, version)
);
CREATE TABLE earn_settings (
    program_id INTEGER PRIMARY KEY,
    settings TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
-- One row per member (0: the programme) and counter (rule:<id>, trigger:<type>, budget:<id>),
-- holding the current calendar period of each slot and its totals: rows never pile up by day.
CREATE TABLE rule_counters (
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    counter TEXT NOT NULL,
    day_key TEXT,
    day_points INTEGER NOT NULL DEFAULT 0,
    day_count INTEGER NOT NULL DEFAULT 0,
    week_key TEXT,
    week_points INTEGER NOT NULL DEFAULT 0,
    week_count INTEGER NOT NULL DEFAULT 0,
    month_key TEXT,
    month_points INTEGER NOT NULL DEFAULT 0,
    month_count INTEGER NOT NULL DEFAULT 0,
    year_key TEXT,
    year_points INTEGER NOT NULL DEFAULT 0,
    year_count INTEGER NOT NULL DEFAULT 0,
    all_points INTEGER NOT NULL DEFAULT 0,
    all_count INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT rule_counters_pkey PRIMARY KEY (program_id, member_id, counter)
);
-- Counters of periods older than a slot's current one: only events dated back into a period
-- that is over (imports of history, offline tills) read and write here.
CREATE TABLE rule_counters_past (
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    counter TEXT NOT NULL,
    period TEXT NOT NULL,
    points INTEGER NOT NULL,
    count INTEGER NOT NULL,
    CONSTRAINT rule_counters_past_pkey PRIMARY KEY (program_id, member_id, counter, period)
);
CREATE TABLE events (
    program_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    trigger TEXT NOT NULL,
    member_id INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    vars TEXT NOT NULL,
    points INTEGER NOT NULL,
    growth INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (program_id, event_id)
);
CREATE INDEX events_time ON events (program_id, occurred_at);
CREATE TABLE awards (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    order_id TEXT,
    rule_id INTEGER NOT NULL,
    rule_version INTEGER NOT NULL,
    point_type TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points > 0),
    -- Points of this award taken back because a refund made it (partly) no longer qualify.
    withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn >= 0 AND withdrawn <= points),
    transfer_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX awards_order ON awards (program_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX awards_event ON awards (program_id, event_id);
CREATE INDEX awards_rule ON awards (program_id, rule_id);
CREATE TABLE sign_ins (
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    makeup INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT sign_ins_pkey PRIMARY KEY (program_id, member_id, day)
);
CREATE TABLE referrals (
    program_id INTEGER NOT NULL,
    invitee_id INTEGER NOT NULL,
    inviter_id INTEGER NOT NULL,
    first_purchase_order TEXT,
    created_at INTEGER NOT NULL,
    CONSTRAINT referrals_pkey PRIMARY KEY (program_id, invitee_id)
);
CREATE INDEX referrals_inviter ON referrals (program_id, inviter_id);
CREATE INDEX orders_member_time ON orders (program_id, member_id, created_at);
CREATE INDEX members_joined ON members (program_id, created_at);

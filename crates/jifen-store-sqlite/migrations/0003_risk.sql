-- Anti-fraud: the devices and addresses behaviour events came from, and risk holds of awards
-- waiting for review.
CREATE TABLE risk_signals (
    program_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    member_id INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX risk_signals_value ON risk_signals (program_id, kind, value, at);
CREATE INDEX risk_signals_member ON risk_signals (program_id, kind, value, member_id);
CREATE TABLE risk_holds (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    points INTEGER NOT NULL,
    growth INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT,
    note TEXT,
    CONSTRAINT risk_holds_event UNIQUE (program_id, event_id)
);
CREATE INDEX risk_holds_status ON risk_holds (program_id, status, id);
CREATE INDEX members_phone ON members (program_id, phone) WHERE phone IS NOT NULL;

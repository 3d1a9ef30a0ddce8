-- Manual adjustments above the programme's threshold wait for a second person (maker-checker).
CREATE TABLE adjustment_requests (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    delta INTEGER NOT NULL,
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    transfer_id INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX adjustment_requests_status ON adjustment_requests (program_id, status, id);
CREATE TABLE console_settings (
    program_id INTEGER PRIMARY KEY,
    approval_threshold INTEGER NOT NULL
);

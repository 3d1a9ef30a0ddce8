-- Appeals (积分申诉): a member disputes a points-history line or a mall order; staff answer.
CREATE TABLE appeals (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    subject TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT,
    delta INTEGER,
    decided_by TEXT,
    decided_at INTEGER,
    due_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX appeals_status ON appeals (program_id, status, due_at);
CREATE INDEX appeals_member ON appeals (program_id, member_id, id);

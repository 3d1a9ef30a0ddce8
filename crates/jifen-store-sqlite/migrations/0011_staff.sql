-- Staff accounts and sessions for the console, the audit log of staff actions, and indexes for
-- finding members by phone, name and external id.
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT staff_login UNIQUE (program_id, login)
);
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL,
    program_id INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_program ON audit_log (program_id, id);
CREATE INDEX members_name ON members (program_id, name);
CREATE INDEX identities_external ON identities (program_id, external_id);

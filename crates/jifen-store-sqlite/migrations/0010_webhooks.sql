-- Webhooks: endpoints with their secret and topics, where each endpoint is in the outbox, and
-- every delivery with its attempts and result.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    topics TEXT NOT NULL,
    status TEXT NOT NULL,
    after_outbox INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    endpoint_id INTEGER NOT NULL,
    outbox_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_code INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL,
    CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, outbox_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (program_id, status, next_attempt_at);

-- The ledger schema. Every ledger row carries program_id; keys and indexes lead with it or with
-- an account id, so the same layout distributes by member on PostgreSQL-compatible clusters.
CREATE TABLE programs (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    timezone TEXT NOT NULL,
    policy TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE api_keys (
    key_hash TEXT PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    name TEXT,
    phone TEXT,
    email TEXT,
    birthday TEXT,
    status TEXT NOT NULL,
    merged_into INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX members_program ON members (program_id, id);
CREATE TABLE identities (
    program_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    member_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT identities_pkey PRIMARY KEY (program_id, channel, external_id)
);
CREATE INDEX identities_member ON identities (program_id, member_id);
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    point_type TEXT NOT NULL,
    debits_pending INTEGER NOT NULL,
    debits_posted INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    credits_posted INTEGER NOT NULL,
    -- 1 once the member was merged into another: nothing may be credited here any more.
    closed INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT accounts_owner UNIQUE (program_id, member_id, kind, point_type)
);
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    point_type TEXT NOT NULL,
    code TEXT NOT NULL,
    phase TEXT NOT NULL,
    debit_account INTEGER NOT NULL,
    credit_account INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    member_id INTEGER,
    counterparty_id INTEGER,
    pending_of INTEGER,
    reversal_of INTEGER,
    order_ref TEXT,
    reason TEXT,
    actor TEXT,
    created_at INTEGER NOT NULL,
    CHECK (debit_account <> credit_account)
);
CREATE INDEX transfers_member ON transfers (program_id, member_id, id);
CREATE INDEX transfers_counterparty ON transfers (program_id, counterparty_id, id) WHERE counterparty_id IS NOT NULL;
CREATE INDEX transfers_reversal ON transfers (reversal_of) WHERE reversal_of IS NOT NULL;
CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    point_type TEXT NOT NULL,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    remaining INTEGER NOT NULL,
    held INTEGER NOT NULL,
    spent INTEGER NOT NULL,
    expired INTEGER NOT NULL,
    reversed INTEGER NOT NULL,
    moved INTEGER NOT NULL,
    earned_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    expires_at INTEGER,
    transfer_id INTEGER NOT NULL,
    source_account INTEGER NOT NULL,
    order_ref TEXT,
    origin_lot INTEGER,
    CHECK (remaining >= 0 AND remaining <= amount AND held >= 0 AND held <= remaining)
);
CREATE INDEX lots_account_open ON lots (account_id, expires_at) WHERE remaining > 0;
CREATE INDEX lots_order ON lots (account_id, order_ref) WHERE order_ref IS NOT NULL;
CREATE INDEX lots_pending ON lots (program_id, available_at) WHERE status = 'pending';
CREATE INDEX lots_expiry ON lots (program_id, expires_at) WHERE remaining > held AND status = 'active';
CREATE TABLE draws (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    transfer_id INTEGER NOT NULL,
    lot_id INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0)
);
CREATE INDEX draws_transfer ON draws (transfer_id);
CREATE TABLE orders (
    program_id INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    member_id INTEGER NOT NULL,
    paid_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    refunded_minor INTEGER NOT NULL,
    points_earned INTEGER NOT NULL,
    points_reversed INTEGER NOT NULL,
    points_expiry_covered INTEGER NOT NULL,
    growth_earned INTEGER NOT NULL,
    growth_reversed INTEGER NOT NULL,
    lines TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT orders_pkey PRIMARY KEY (program_id, order_id),
    CHECK (points_reversed <= points_earned AND growth_reversed <= growth_earned AND refunded_minor <= paid_minor)
);
CREATE INDEX orders_member ON orders (program_id, member_id);
CREATE TABLE reservations (
    program_id INTEGER NOT NULL,
    transfer_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    order_ref TEXT,
    created_at INTEGER NOT NULL,
    CONSTRAINT reservations_pkey PRIMARY KEY (program_id, transfer_id)
);
CREATE INDEX reservations_open ON reservations (program_id, expires_at) WHERE state = 'open';
CREATE TABLE idempotency (
    program_id INTEGER NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT idempotency_pkey PRIMARY KEY (program_id, idem_key)
);

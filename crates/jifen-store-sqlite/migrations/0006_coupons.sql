-- Coupons: templates and issued coupons; benefit grants (tier gifts and monthly coupons, once
-- each); and the outbox of events for webhooks and notifications.
CREATE TABLE coupon_templates (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    definition TEXT NOT NULL,
    status TEXT NOT NULL,
    issued INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT coupon_templates_code UNIQUE (program_id, code)
);
CREATE TABLE coupons (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    template_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    status TEXT NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    -- Why it was issued (`tier_up gold`, `api`...) and the key that issues it once.
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    redeemed_at INTEGER,
    order_ref TEXT,
    goods_off_minor INTEGER,
    shipping_off_minor INTEGER,
    CONSTRAINT coupons_code UNIQUE (program_id, code),
    CONSTRAINT coupons_source UNIQUE (program_id, source_key)
);
CREATE INDEX coupons_member ON coupons (program_id, member_id, id);
CREATE INDEX coupons_expiring ON coupons (program_id, status, valid_until);
CREATE TABLE benefit_grants (
    program_id INTEGER NOT NULL,
    grant_key TEXT NOT NULL,
    member_id INTEGER NOT NULL,
    points INTEGER NOT NULL,
    coupons INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT benefit_grants_pkey PRIMARY KEY (program_id, grant_key)
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    member_id INTEGER,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_program ON outbox (program_id, id);

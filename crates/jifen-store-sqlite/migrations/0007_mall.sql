-- The points mall: items with SKUs (stock per SKU), orders with their state history.
CREATE TABLE mall_items (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    definition TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX mall_items_program ON mall_items (program_id, status, id);
CREATE TABLE mall_skus (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    sku TEXT NOT NULL,
    points INTEGER NOT NULL,
    cash_minor INTEGER NOT NULL,
    stock INTEGER NOT NULL,
    sold INTEGER NOT NULL,
    CONSTRAINT mall_skus_code UNIQUE (program_id, sku)
);
CREATE INDEX mall_skus_item ON mall_skus (item_id);
CREATE TABLE mall_orders (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    sku_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    points INTEGER NOT NULL,
    cash_minor INTEGER NOT NULL,
    state TEXT NOT NULL,
    reservation_id INTEGER,
    pay_deadline INTEGER,
    payment_ref TEXT,
    address TEXT,
    carrier TEXT,
    tracking_no TEXT,
    coupon_code TEXT,
    refunded_points INTEGER NOT NULL,
    refunded_cash_minor INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT mall_orders_request UNIQUE (program_id, member_id, request_id)
);
CREATE INDEX mall_orders_member ON mall_orders (program_id, member_id, id);
CREATE INDEX mall_orders_member_item ON mall_orders (program_id, member_id, item_id, created_at);
CREATE INDEX mall_orders_due ON mall_orders (program_id, state, pay_deadline);
CREATE TABLE mall_order_events (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    order_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    actor TEXT,
    note TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX mall_order_events_order ON mall_order_events (order_id, id);

-- The console's overview reads recent windows (points per day, active members, top items): by
-- programme and time, so that it reads what the window holds rather than every transfer.
CREATE INDEX transfers_created ON transfers (program_id, created_at);
CREATE INDEX mall_orders_created ON mall_orders (program_id, created_at);

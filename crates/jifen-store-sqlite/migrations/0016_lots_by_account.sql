-- Reading one account's lots must not scan the programme's. Without these, the only index that
-- matched "free points of active lots" was lots_expiry (by programme), and nothing indexed all
-- of an account's lots: a balance (lifetime totals, points expiring soon) and every spend's
-- choice of lots read every lot of the programme, seconds per member list page with millions of
-- lots (see BENCHMARKS.md, console pages).
CREATE INDEX lots_account ON lots (account_id, id);
CREATE INDEX lots_account_spendable ON lots (account_id, expires_at) WHERE remaining > held AND status = 'active';

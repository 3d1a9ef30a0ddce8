-- A member's history shows one line per business event: a pending transfer (points waiting to
-- vest, points reserved by an order) folds in what later posted or voided it, and tells whether
-- it is held for review. Both are read by the pending transfer's id.
CREATE INDEX transfers_pending_of ON transfers (pending_of) WHERE pending_of IS NOT NULL;
CREATE INDEX lots_transfer ON lots (transfer_id);

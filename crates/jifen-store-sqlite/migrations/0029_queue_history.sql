-- The queues' history (已处理): decided adjustment requests, appeals and risk holds, the latest
-- decision first. Undecided rows have no decided_at.
CREATE INDEX adjustment_requests_decided ON adjustment_requests (program_id, decided_at, id);
CREATE INDEX appeals_decided ON appeals (program_id, decided_at, id);
CREATE INDEX risk_holds_decided ON risk_holds (program_id, decided_at, id);

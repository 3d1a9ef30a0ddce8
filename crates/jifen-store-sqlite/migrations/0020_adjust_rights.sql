-- API adjustments go through the same approval as the console's above the programme's
-- threshold, unless the key was created with the right to adjust without approval (the
-- programme's first key is the owner's, and has it). A request keeps its point type.
ALTER TABLE api_keys ADD COLUMN adjust_without_approval INTEGER NOT NULL DEFAULT 0;
UPDATE api_keys SET adjust_without_approval = 1 WHERE name = 'default';
ALTER TABLE adjustment_requests ADD COLUMN point_type TEXT NOT NULL DEFAULT 'points';
-- What a member was adjusted today without a second person excludes what was approved.
CREATE INDEX adjustment_requests_transfer ON adjustment_requests (program_id, transfer_id) WHERE transfer_id IS NOT NULL;

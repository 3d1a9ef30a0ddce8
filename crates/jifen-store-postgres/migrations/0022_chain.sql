-- Tamper evidence: each programme's transfers are sealed, a batch at a time, into links of a
-- hash chain. A link commits to the previous link's hash and to the Merkle root of its
-- transfers (each transfer names its link); a daily checkpoint of the head goes to the outbox.
ALTER TABLE transfers ADD COLUMN link_seq BIGINT;
CREATE INDEX transfers_unsealed ON transfers (program_id, id) WHERE link_seq IS NULL;
CREATE INDEX transfers_link ON transfers (program_id, link_seq, id) WHERE link_seq IS NOT NULL;
CREATE TABLE chain_links (
    program_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    root TEXT NOT NULL,
    hash TEXT NOT NULL,
    transfer_count BIGINT NOT NULL,
    total_count BIGINT NOT NULL,
    total_amount BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT chain_links_pkey PRIMARY KEY (program_id, seq)
);
CREATE TABLE chain_checkpoints (
    program_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT chain_checkpoints_pkey PRIMARY KEY (program_id, day)
);

-- Staff revoke a member's member-centre links before they expire: links issued up to this
-- time no longer open (a phone lost, a link shared by mistake).
CREATE TABLE centre_revocations (
    program_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    issued_until INTEGER NOT NULL,
    CONSTRAINT centre_revocations_pkey PRIMARY KEY (program_id, member_id)
);

-- Lotteries with prize stock, granted draws and every draw's random input; checkout deduction
-- settings; candidate items members vote on.
CREATE TABLE lotteries (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    definition TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT lotteries_code UNIQUE (program_id, code)
);
CREATE TABLE lottery_prizes (
    program_id INTEGER NOT NULL,
    lottery_id INTEGER NOT NULL,
    prize INTEGER NOT NULL,
    won INTEGER NOT NULL,
    CONSTRAINT lottery_prizes_pkey PRIMARY KEY (program_id, lottery_id, prize)
);
CREATE TABLE lottery_chances (
    program_id INTEGER NOT NULL,
    lottery_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    granted INTEGER NOT NULL,
    used INTEGER NOT NULL,
    CONSTRAINT lottery_chances_pkey PRIMARY KEY (program_id, lottery_id, member_id)
);
CREATE TABLE lottery_draws (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    lottery_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    random INTEGER NOT NULL,
    ticket INTEGER NOT NULL,
    band INTEGER,
    prize INTEGER,
    cost_points INTEGER NOT NULL,
    used_chance INTEGER NOT NULL,
    result TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT lottery_draws_request UNIQUE (program_id, member_id, request_id)
);
CREATE INDEX lottery_draws_member ON lottery_draws (program_id, lottery_id, member_id, created_at);
CREATE TABLE checkout_settings (
    program_id INTEGER PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE mall_candidates (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE mall_votes (
    program_id INTEGER NOT NULL,
    candidate_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT mall_votes_pkey PRIMARY KEY (program_id, candidate_id, member_id)
);

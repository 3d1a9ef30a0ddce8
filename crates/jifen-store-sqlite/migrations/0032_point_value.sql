-- What the programme's points are worth in money, for the overview's liability: minor units of
-- the programme's currency per 100 points (100 = "100 积分 = 1 元"). No row: not set.
CREATE TABLE point_values (
    program_id INTEGER PRIMARY KEY,
    minor_per_100_points INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

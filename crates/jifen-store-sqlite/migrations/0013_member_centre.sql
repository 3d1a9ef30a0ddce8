-- The secret that signs member centre links, per programme.
CREATE TABLE centre_secrets (
    program_id INTEGER PRIMARY KEY,
    secret TEXT NOT NULL
);

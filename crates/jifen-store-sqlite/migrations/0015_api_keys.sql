-- API keys managed from the console: the first characters of the key (to recognise it; the key
-- itself is never stored, only its SHA-256), and when and by whom it was revoked. A revoked key
-- no longer authenticates. A key is named in forms by the first 16 characters of its hash.
ALTER TABLE api_keys ADD COLUMN prefix TEXT;
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
ALTER TABLE api_keys ADD COLUMN revoked_by TEXT;
CREATE INDEX api_keys_program ON api_keys (program_id, created_at);

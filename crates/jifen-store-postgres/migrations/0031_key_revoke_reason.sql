-- Why a key was revoked, as the staff member who revoked it wrote it; shown in the key list.
ALTER TABLE api_keys ADD COLUMN revoke_reason TEXT;

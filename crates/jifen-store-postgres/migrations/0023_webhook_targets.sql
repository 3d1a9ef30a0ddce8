-- Webhook targets on loopback or private networks are refused unless the programme's owner
-- allows them (a Jifen beside the merchant's systems on one private network).
ALTER TABLE console_settings ADD COLUMN webhooks_private INTEGER NOT NULL DEFAULT 0;

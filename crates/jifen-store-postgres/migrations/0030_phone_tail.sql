-- The last four digits of a member's phone (手机尾号): what staff at a counter ask a member for
-- and search the list by. Written with the phone (spaces and hyphens left out), indexed so the
-- search stays one index look-up with millions of members.
ALTER TABLE members ADD COLUMN phone_tail TEXT;
UPDATE members SET phone_tail = right(replace(replace(phone, ' ', ''), '-', ''), 4)
    WHERE phone IS NOT NULL AND length(replace(replace(phone, ' ', ''), '-', '')) >= 4;
CREATE INDEX members_phone_tail ON members (program_id, phone_tail, id) WHERE phone_tail IS NOT NULL;
-- Staff find the order a parcel belongs to by its tracking number.
CREATE INDEX mall_orders_tracking ON mall_orders (program_id, tracking_no) WHERE tracking_no IS NOT NULL;

-- Where the merchant's sign-up page is, for the member centre's invite link: the link is this
-- address with `ref=M{member id}` added, which the merchant's system passes on as the referrer.
ALTER TABLE console_settings ADD COLUMN referral_url TEXT;

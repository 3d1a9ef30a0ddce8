-- How members pay the cash part of a points + cash order: the merchant's payment page (a link
-- template the centre fills per order) and how long an order waits for its payment.
CREATE TABLE mall_payment_settings (
    program_id BIGINT PRIMARY KEY,
    payment_url TEXT,
    pay_window_minutes BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

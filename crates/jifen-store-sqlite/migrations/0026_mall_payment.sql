-- How members pay the cash part of a points + cash order: the merchant's payment page (a link
-- template the centre fills per order) and how long an order waits for its payment.
CREATE TABLE mall_payment_settings (
    program_id INTEGER PRIMARY KEY,
    payment_url TEXT,
    pay_window_minutes INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The mall's categories as the merchant names and orders them: the member centre shows them as
-- its chips in this order, with the name in the page's language. An item's `category` is a
-- code; one not listed here still works and shows its code.
CREATE TABLE mall_categories (
    program_id BIGINT NOT NULL,
    code TEXT NOT NULL,
    position BIGINT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (program_id, code)
);

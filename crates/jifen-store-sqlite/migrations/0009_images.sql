-- Images of mall items, uploaded through the API and served by the binary (base64 text: the
-- store speaks integers and text only).
CREATE TABLE mall_images (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT mall_images_hash UNIQUE (program_id, sha256)
);

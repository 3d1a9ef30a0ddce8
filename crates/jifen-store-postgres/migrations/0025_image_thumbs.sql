-- A picture's copy sized for the member centre (the picture itself when it is small).
ALTER TABLE mall_images ADD COLUMN thumb_id BIGINT;

-- Members by birthday (month and day), so that the daily birthday job finds today's members
-- through an index instead of reading every member.
ALTER TABLE members ADD COLUMN birthday_md TEXT;
UPDATE members SET birthday_md = substr(birthday, 6, 5) WHERE birthday IS NOT NULL;
CREATE INDEX members_birthday ON members (program_id, birthday_md) WHERE birthday_md IS NOT NULL;

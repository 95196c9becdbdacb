ALTER TABLE transactions DROP COLUMN partial_of;

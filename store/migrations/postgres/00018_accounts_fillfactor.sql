-- +goose Up
-- Every transfer updates two accounts rows. With pages packed full (the
-- default fillfactor 100), the new row version goes to another page and
-- gets a new entry in each of the table's indexes; with room left on the
-- page, PostgreSQL updates in place of a kind that writes no index entry
-- (a HOT update: no indexed column changes). 20 % free space per page
-- holds about a dozen versions of each row between prunings. Applies to
-- pages written from now on; a table already full gets the room back as
-- it is rewritten (VACUUM FULL) or its rows move.
ALTER TABLE accounts SET (fillfactor = 80);

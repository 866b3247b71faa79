-- +goose Up
-- The SQLite twin of migrations/postgres/00022_writer_foreign_keys.sql
-- changes nothing: SQLite checks a foreign key with one seek into the
-- parent's rowid B-tree, run inside the inserting statement, with no lock
-- and no log record. A CPU profile of `minipay bench` on SQLite put every
-- table seek together, these checks among them, at about 2 % of the
-- process (README, Writing less per transfer), less than rebuilding
-- transfers, entries and notifications without their keys (as 00016 had
-- to) would be worth. The audit's reference checks run here too.
SELECT 1;

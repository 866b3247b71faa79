-- +goose Up
-- Each entry was three B-tree entries: the primary key (id, created_at),
-- which no read looks up (history pages go by account, entries_account_page;
-- the audit and the history's other side of a transaction by
-- transaction_id), entries_transaction (transaction_id) for those, and
-- entries_account_page. The primary key now leads with transaction_id and
-- serves both: the history joins a transaction's entries on
-- (transaction_id, created_at), the audit looks for a transaction's
-- entries the same way. Two index entries per entry instead of three, four
-- per transfer instead of six (README, Writing less per transfer).
--
-- On a large existing database this rebuild blocks writes to entries
-- while it runs, as 00009's did; build the new index per partition with
-- CREATE UNIQUE INDEX CONCURRENTLY and attach it beforehand instead.
ALTER TABLE entries DROP CONSTRAINT entries_pkey;
ALTER TABLE entries ADD PRIMARY KEY (transaction_id, created_at, id);
DROP INDEX entries_transaction;

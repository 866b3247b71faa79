-- +goose Up
-- History pages (store.History) read one account's entries newest first,
-- keyset on id. Like the PostgreSQL index, this one replaces
-- entries_account (same leading key) and carries every entries column a
-- page reads, so SQLite answers the page from the index alone (a covering
-- index; SQLite has no INCLUDE, and id, the rowid, is in every index).
CREATE INDEX entries_account_page ON entries (account_id, id, created_at, transaction_id, amount, balance_after);
DROP INDEX entries_account;

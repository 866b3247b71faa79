-- +goose Up
-- History pages (store.History) read one account's entries newest first,
-- keyset on id. This index has the key of entries_account, which it
-- replaces, and carries every entries column a page reads (INCLUDE), so
-- the page is an Index Only Scan Backward per monthly partition, merged by
-- id: no heap visit per entry or per partition once VACUUM has marked the
-- pages all-visible (autovacuum does, also after inserts only). The audit
-- and retention never used entries_account.
--
-- On a large existing database this build blocks writes to entries while
-- it runs (about a minute for 10 million entries); build it per partition
-- with CREATE INDEX CONCURRENTLY and ATTACH PARTITION beforehand instead.
CREATE INDEX entries_account_page ON entries (account_id, id) INCLUDE (created_at, transaction_id, amount, balance_after);
DROP INDEX entries_account;

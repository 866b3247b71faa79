-- +goose Up
-- The SQLite twin of migrations/postgres/00030_entries_history_time.sql:
-- history pages are ordered by (created_at, id). SQLite has no
-- partitions, but pages must be the same on both backends, and the index
-- serves the order without a sort; entries_account_kind finds a rare kind
-- by a seek there too.
CREATE INDEX entries_account_time ON entries (account_id, created_at, id, amount, balance_after, kind, other_account, transfer_id);
DROP INDEX entries_account_page;
CREATE INDEX entries_account_kind ON entries (account_id, kind, created_at, id, amount, balance_after, other_account, transfer_id)
    WHERE kind <> 'transfer' AND account_id > 0;

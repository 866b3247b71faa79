-- +goose Up
-- The SQLite twin of migrations/postgres/00023_entries_key.sql changes
-- nothing: here an entry's primary key is its rowid, the table's own
-- B-tree rather than an index, so an entry already costs two index
-- entries (entries_transaction and entries_account_page), as on
-- PostgreSQL from now on.
SELECT 1;

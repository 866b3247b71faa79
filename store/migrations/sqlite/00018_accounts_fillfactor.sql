-- +goose Up
-- The SQLite twin of migrations/postgres/00018_accounts_fillfactor.sql:
-- SQLite has no fillfactor, so nothing changes; the version keeps both
-- schemas numbered alike.
SELECT 1;

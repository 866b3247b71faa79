-- +goose Up
-- The SQLite twin of migrations/postgres/00026_brin_created.sql changes
-- nothing: SQLite has no BRIN index, and retention needs an index on
-- created_at to find the old rows of transfers and notifications without
-- reading the whole table.
SELECT 1;

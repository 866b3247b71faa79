-- +goose Up
-- The SQLite twin of migrations/postgres/00032_installments_writes.sql
-- changes nothing: SQLite has no BRIN index, and checks the foreign key
-- with one seek into accounts' rowid B-tree, no lock and no log record
-- (as 00022 explains). Dropping it would mean rebuilding the table.
SELECT 1;

-- +goose Up
-- The SQLite twin of migrations/postgres/00024_savings_due_walk.sql: the
-- daily jobs walk the open savings accounts by id, so the indexes on the
-- days they change every day go (each update rewrote their entries).
DROP INDEX accounts_interest_due;
DROP INDEX accounts_installment_due;
CREATE INDEX accounts_savings_open ON accounts (id) WHERE kind = 'savings' AND status = 'open';


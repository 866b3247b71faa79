-- +goose Up
-- The SQLite twin of migrations/postgres/00021_settlement_keys.sql; see
-- the comments there.
ALTER TABLE settlements ADD COLUMN request_key TEXT;
ALTER TABLE settlements ADD COLUMN request_hash TEXT;
CREATE UNIQUE INDEX settlements_request_key ON settlements (requester_id, request_key);

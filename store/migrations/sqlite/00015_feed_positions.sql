-- +goose Up
-- The SQLite twin of migrations/postgres/00015_feed_positions.sql; see the
-- comments there.
CREATE TABLE feed_positions (
    name TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);

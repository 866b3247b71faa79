-- +goose Up
-- The SQLite twin of migrations/postgres/00031_pending_due.sql: the sweeps
-- walk pending_due, one row per open pending transfer (here one B-tree,
-- WITHOUT ROWID), and transfers_pair holds every transfer of a pair. SQLite
-- has no HOT updates nor fillfactor, but the tables and the queries are
-- the same on both backends.
CREATE TABLE pending_due (
    expires_at BIGINT NOT NULL,
    transfer_id BIGINT NOT NULL,
    from_account BIGINT NOT NULL,
    PRIMARY KEY (expires_at, transfer_id)
) WITHOUT ROWID;
INSERT INTO pending_due (expires_at, transfer_id, from_account)
    SELECT expires_at, id, from_account FROM transfers WHERE status = 'pending';
DROP INDEX transfers_pending_due;
DROP INDEX transfers_pair;
CREATE INDEX transfers_pair ON transfers (from_user, to_user);

-- +goose NO TRANSACTION
-- +goose Up
-- The SQLite twin of migrations/postgres/00016_transfer_retention.sql; see
-- the comments there. SQLite cannot drop a constraint, so transactions and
-- notifications are rebuilt without it, following "Making Other Kinds Of
-- Table Schema Changes" (sqlite.org/lang_altertable.html): foreign keys
-- off (a connection setting that a transaction cannot change, hence NO
-- TRANSACTION: goose runs these statements on one connection), then one
-- transaction copies each table, drops the old one and renames the copy,
-- which entries' foreign key on transactions (id) then names.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE transactions_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id BIGINT,
    created_at BIGINT NOT NULL,
    transfer_id BIGINT
);
INSERT INTO transactions_new (id, kind, user_id, created_at, transfer_id)
    SELECT id, kind, user_id, created_at, transfer_id FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_new RENAME TO transactions;
CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    transfer_id BIGINT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
INSERT INTO notifications_new (id, user_id, kind, transfer_id, body, created_at, read_at)
    SELECT id, user_id, kind, transfer_id, body, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_created ON notifications (created_at);
CREATE INDEX transfers_created ON transfers (created_at);
COMMIT;
PRAGMA foreign_keys = ON;

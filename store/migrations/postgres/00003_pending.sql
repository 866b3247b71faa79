-- +goose Up
-- Pending transfers: the money waits in the pending hold (system account
-- -2) until accepted, rejected, cancelled or expired.
INSERT INTO accounts (id, kind, name, created_at) VALUES (-2, 'system', 'pending hold', 0);
ALTER TABLE transfers ADD COLUMN expires_at BIGINT;
ALTER TABLE transfers ADD COLUMN settled_at BIGINT;
ALTER TABLE transfers ADD COLUMN reminded_at BIGINT;
-- The expiry and reminder sweeps scan only open pending transfers by deadline.
CREATE INDEX transfers_pending_due ON transfers (expires_at) WHERE status = 'pending';

-- A user's inbox. body is the notice as JSON (kind-specific fields).
CREATE TABLE notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    transfer_id BIGINT REFERENCES transfers (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;

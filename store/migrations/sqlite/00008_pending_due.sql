-- +goose Up
-- The sweeps take due pending transfers a chunk at a time in (expires_at,
-- id) order. With the deadline alone indexed, every chunk had to sort all
-- transfers sharing a deadline by id (quadratic when many expire at once).
DROP INDEX transfers_pending_due;
CREATE INDEX transfers_pending_due ON transfers (expires_at, id) WHERE status = 'pending';

-- +goose Up
-- Tables that only grew are now retained (store/expiry.go): idempotency
-- keys for 24 hours, notifications for 90 days, installments with the
-- history month they belong to. Each is deleted in small batches oldest
-- first, so each needs an index on its time.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX notifications_created ON notifications (created_at);
CREATE INDEX installments_created ON installments (created_at);
-- Settled settlements go with their history too; the job walks the old
-- ones by creation.
CREATE INDEX settlements_created ON settlements (created_at, id);

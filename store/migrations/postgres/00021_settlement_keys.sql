-- +goose Up
-- A settlement request's idempotency key (store.CreateSettlementOnce):
-- the web wallet's confirmation form carries one, so a double click, a
-- reload or the back button requests the settlement once. request_key is
-- the requester's key and request_hash the fingerprint of what it asked;
-- both are NULL for a request made without a key, and the unique index
-- ignores those rows (NULLs are distinct).
ALTER TABLE settlements ADD COLUMN request_key TEXT;
ALTER TABLE settlements ADD COLUMN request_hash TEXT;
CREATE UNIQUE INDEX settlements_request_key ON settlements (requester_id, request_key);

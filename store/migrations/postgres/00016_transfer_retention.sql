-- +goose Up
-- Finished transfers go with their history month (store/expiry.go). A
-- deleted row's foreign keys are checked on the referencing side, and
-- neither transactions.transfer_id nor notifications.transfer_id is
-- indexed: each deleted transfer would scan both tables (every partition of
-- transactions). Indexing them would cost every write for a check done
-- once a month, so the constraints go instead. The writer inserts a
-- transfer and its transactions in one batch, retention deletes a transfer
-- only once its transactions are folded, and the audit checks that every
-- kept transaction names a stored transfer (store/audit.go).
ALTER TABLE transactions DROP CONSTRAINT transactions_transfer_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT notifications_transfer_id_fkey;
-- The monthly deletion walks transfers oldest first.
CREATE INDEX transfers_created ON transfers (created_at);

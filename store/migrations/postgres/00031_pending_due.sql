-- +goose Up
-- The expiry of a pending transfer changes its status. With status in the
-- predicates of two partial indexes (transfers_pending_due and
-- transfers_pair), that update could never be HOT: each wrote a new row
-- version into every index of transfers (14.6 B-tree leaf inserts an
-- expiry, pg_waldump; README "Jobs"). Now no index of transfers holds a
-- column an expiry, accept, reject, cancel or reminder changes:
--
-- * the sweeps walk pending_due, one row per open pending transfer,
--   written by the writer with the transfer and deleted in the batch that
--   takes it out of pending (store/writeback.go; the audit checks the two
--   agree). Its key is the sweeps' order; from_account is what an Expire
--   names, so the expiry sweep reads no transfer row.
-- * transfers_pair holds every transfer of a pair; the stranger check
--   filters the status on the rows it finds (store/strangers.go).
-- * transfers get room on their pages for the new version (fillfactor
--   50: a sweep's batch updates every pending transfer of a page in one
--   transaction, so a page must hold a second version of each row at
--   once). Applies to pages written from now on.
--
-- Servers of an older version must be stopped before this runs: they
-- would write pending transfers without their due row.
CREATE TABLE pending_due (
    expires_at BIGINT NOT NULL,
    transfer_id BIGINT NOT NULL,
    from_account BIGINT NOT NULL,
    PRIMARY KEY (expires_at, transfer_id)
);
INSERT INTO pending_due (expires_at, transfer_id, from_account)
    SELECT expires_at, id, from_account FROM transfers WHERE status = 'pending';
DROP INDEX transfers_pending_due;
DROP INDEX transfers_pair;
CREATE INDEX transfers_pair ON transfers (from_user, to_user);
ALTER TABLE transfers SET (fillfactor = 50);

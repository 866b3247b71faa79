-- +goose Up
-- Each foreign key of a row the writer inserts costs, per row, a query
-- run inside the server (SPI) and a key-share lock on the referenced row
-- (a WAL record for each users row the transaction had not locked yet):
-- six checks per transfer, a third of PostgreSQL's CPU per transfer in
-- store's BenchmarkWriterWAL (README, Writing less per transfer). The
-- writer names only accounts it holds locked in the same transaction and
-- their owners, and users and accounts are never deleted, so these keys
-- never caught anything; the audit checks the same references after the
-- fact (store/audit.go, referenceChecks), as it does migration 00016's.
-- Foreign keys of rows written off the per-transfer path (installments,
-- settlement shares, transfers.share_id) stay.
ALTER TABLE transfers DROP CONSTRAINT transfers_from_user_fkey;
ALTER TABLE transfers DROP CONSTRAINT transfers_to_user_fkey;
ALTER TABLE transfers DROP CONSTRAINT transfers_from_account_fkey;
ALTER TABLE transfers DROP CONSTRAINT transfers_to_account_fkey;
ALTER TABLE entries DROP CONSTRAINT entries_account_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT notifications_user_id_fkey;

-- +goose Up
-- The 08:00 job writes one installments row per fixed savings account a
-- day. Two of what each row cost are not needed (README, Installments at
-- a million):
--   - The foreign key to accounts ran, per row, an SPI query and a
--     key-share lock of the account, which the writer's batch already
--     holds locked FOR UPDATE: about 7 % of PostgreSQL's CPU for the job
--     in a perf profile. The writer inserts installments only for the
--     savings account it holds, and accounts are never deleted; the audit
--     checks the reference after the fact (store/audit.go, references),
--     as for the keys 00022 dropped.
--   - installments_created, read only by retention, was a B-tree entry
--     per row (one WAL record and a dirtied leaf each). Rows are inserted
--     in created_at order, so a BRIN index finds the old block ranges as
--     well, as 00026 did for transfers and notifications; retention
--     deletes the old rows in no particular order (store/expiry.go).
-- CREATE INDEX takes a SHARE lock on installments while it builds: only
-- the installments job writes the table, and it waits.
ALTER TABLE installments DROP CONSTRAINT installments_account_id_fkey;
DROP INDEX installments_created;
CREATE INDEX installments_created ON installments USING brin (created_at);

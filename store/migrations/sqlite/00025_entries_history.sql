-- +goose Up
-- The SQLite twin of migrations/postgres/00025_entries_history.sql; see
-- the comments there. SQLite has no INCLUDE: the page index lists the
-- columns a page reads after its key, as 00009's did.
ALTER TABLE entries ADD COLUMN kind TEXT;
ALTER TABLE entries ADD COLUMN other_account BIGINT;
ALTER TABLE entries ADD COLUMN transfer_id BIGINT;
DROP INDEX entries_account_page;
UPDATE entries
SET kind = CASE WHEN tr.share_id IS NOT NULL THEN 'settlement_payment' ELSE t.kind END,
    other_account = o.account_id, transfer_id = t.transfer_id
FROM transactions t
JOIN entries o ON o.transaction_id = t.id
LEFT JOIN transfers tr ON tr.id = t.transfer_id
WHERE t.id = entries.transaction_id AND o.id <> entries.id;
CREATE INDEX entries_account_page ON entries (account_id, id, created_at, amount, balance_after, kind, other_account, transfer_id);

-- +goose NO TRANSACTION
-- +goose Up
-- A history page (store.History) joined, for each of its entries, the
-- entry's transaction (kind, transfer) and the transaction's other entry
-- (the counterparty's account): two probes per entry into monthly
-- partitioned tables, about 40 % of a page's execution. An entry now carries
-- them: kind is its history kind (its transaction's, or
-- settlement_payment for a transfer paying a settlement share),
-- other_account the account of the transaction's other entry and
-- transfer_id its transaction's transfer. The writer fills them; they
-- never change (nothing the history shows of a transaction changes once
-- it is written). entries_account_page carries them, so a page is an
-- index-only scan of the entries it shows, a kind filter included.
--
-- The backfill updates every existing entry a month at a time: each
-- monthly partition of entries joined to itself (the other entry) and to
-- the same month of transactions by hash joins, one transaction per month
-- (NO TRANSACTION, so the DO block may commit between months). A first
-- version updated 50,000 transactions at a time through the parent
-- tables, and PostgreSQL, expecting one row from the join, scanned all of
-- entries for each batch: 4 of 13 months in 10 minutes on the
-- 10-million-entry benchmark. It runs with the page index dropped, so the
-- updated entries write no entry into it, and the index is built
-- afterwards in one pass; VACUUM then marks the rewritten pages
-- all-visible again, which index-only scans need. Writes by a server of
-- the previous version while it runs would leave entries without the new
-- columns: stop the writers, as for 00009 and 00023.
ALTER TABLE entries ADD COLUMN kind TEXT, ADD COLUMN other_account BIGINT, ADD COLUMN transfer_id BIGINT;
DROP INDEX entries_account_page;
-- +goose StatementBegin
DO $$
DECLARE
    month TEXT;
BEGIN
    FOR month IN SELECT substr(c.relname, length('entries_') + 1) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'entries'::regclass ORDER BY 1 LOOP
        EXECUTE format($u$
            UPDATE %1$I e
            SET kind = CASE WHEN t.transfer_id IN (SELECT id FROM transfers WHERE share_id IS NOT NULL)
                    THEN 'settlement_payment' ELSE t.kind END,
                other_account = o.account_id, transfer_id = t.transfer_id
            FROM %2$I t JOIN %1$I o ON o.transaction_id = t.id
            WHERE e.transaction_id = t.id AND e.id <> o.id$u$, 'entries_' || month, 'transactions_' || month);
        COMMIT;
    END LOOP;
END $$;
-- +goose StatementEnd
CREATE INDEX entries_account_page ON entries (account_id, id) INCLUDE (created_at, amount, balance_after, kind, other_account, transfer_id);
VACUUM (ANALYZE) entries;

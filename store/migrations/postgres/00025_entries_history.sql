-- +goose NO TRANSACTION
-- +goose Up
-- A history page (store.History) joined, for each of its entries, the
-- entry's transaction (kind, transfer) and the transaction's other entry
-- (the counterparty's account): two probes per entry into monthly
-- partitioned tables, about half of a page's 1 ms. An entry now carries
-- them: kind is its history kind (its transaction's, or
-- settlement_payment for a transfer paying a settlement share),
-- other_account the account of the transaction's other entry and
-- transfer_id its transaction's transfer. The writer fills them; they
-- never change (nothing the history shows of a transaction changes once
-- it is written). entries_account_page carries them, so a page is an
-- index-only scan of the entries it shows, a kind filter included.
--
-- The backfill updates every existing entry, committing every 50,000
-- transactions (NO TRANSACTION, so the DO block may commit) so that no
-- batch holds more than a few seconds of work. It runs with the page
-- index dropped, so the updated entries write no entry into it, and the
-- index is built afterwards in one pass; VACUUM then marks the rewritten
-- pages all-visible again, which index-only scans need. On the 10-million-
-- entry benchmark (README, History at scale) the whole migration took
-- about 9 minutes on a loaded 2-core machine. Writes by a server of the
-- previous version while it runs would leave entries without the new
-- columns: stop the writers, as for 00009 and 00023.
ALTER TABLE entries ADD COLUMN kind TEXT, ADD COLUMN other_account BIGINT, ADD COLUMN transfer_id BIGINT;
DROP INDEX entries_account_page;
-- +goose StatementBegin
DO $$
DECLARE
    lo BIGINT;
    top BIGINT;
BEGIN
    SELECT MIN(id), MAX(id) INTO lo, top FROM transactions;
    WHILE lo <= top LOOP
        UPDATE entries e
        SET kind = CASE WHEN tr.share_id IS NOT NULL THEN 'settlement_payment' ELSE t.kind END,
            other_account = o.account_id, transfer_id = t.transfer_id
        FROM transactions t
        JOIN entries o ON o.transaction_id = t.id AND o.created_at = t.created_at
        LEFT JOIN transfers tr ON tr.id = t.transfer_id
        WHERE t.id >= lo AND t.id < lo + 50000
            AND e.transaction_id = t.id AND e.created_at = t.created_at AND e.id <> o.id;
        COMMIT;
        lo := lo + 50000;
    END LOOP;
END $$;
-- +goose StatementEnd
CREATE INDEX entries_account_page ON entries (account_id, id) INCLUDE (created_at, amount, balance_after, kind, other_account, transfer_id);
VACUUM (ANALYZE) entries;

-- +goose Up
-- A history page is an account's entries newest first, 20 at a time. It
-- was ordered by id, which is not the partition key (created_at): every
-- page, the first included, opened a scan of each of the 14 monthly
-- partitions and merged them (Merge Append), 2–4 buffer hits and an index
-- descent each before the first row — about a third of a page's buffers.
-- Ordered by (created_at, id), the order of the partitions themselves,
-- PostgreSQL appends the partitions newest first and stops at the page's
-- last row: a first page reads the newest month or two, a deep page the
-- month of its cursor (store/history.go, README "History at scale").
-- The index has the same columns as entries_account_page, created_at
-- moved into the key, so an entry costs the writer the same.
--
--
-- A kind filter is a filter of that scan: cheap for transfers, most of an
-- account's entries, but a rare kind on a busy account (its one charge
-- among 100,000 entries) read the whole account (1,172 buffers on the
-- benchmark). entries_account_kind finds the other kinds by a seek. It is
-- partial: the transfers the engine writes most, and the system
-- accounts' entries (nobody pages them by kind: they have no owner), put
-- nothing in it, so a transfer costs the writer no more; a charge,
-- deposit, interest payment or pending hold adds one index entry, on its
-- user's side. The store uses it only for such pages (its statement
-- repeats the predicate, so the planner may).
--
-- CREATE INDEX on the partitioned table holds a SHARE lock on every
-- partition while it builds: writers wait for it (on the 10-million-entry
-- benchmark: README).
CREATE INDEX entries_account_time ON entries (account_id, created_at, id) INCLUDE (amount, balance_after, kind, other_account, transfer_id);
DROP INDEX entries_account_page;
CREATE INDEX entries_account_kind ON entries (account_id, kind, created_at, id) INCLUDE (amount, balance_after, other_account, transfer_id)
    WHERE kind <> 'transfer' AND account_id > 0;

-- +goose Up
-- Retention is the only reader of transfers.created_at and
-- notifications.created_at: it deletes the rows older than a cutoff, a
-- chunk per statement (store/expiry.go, deleteOlder). Both times grow
-- with insertion, so the old rows are the first block ranges of the heap,
-- which a BRIN index finds as well as a B-tree, as events_occurred does
-- for events (00013). A B-tree entry is written for every row the writer
-- inserts, a WAL record and a leaf page dirtied per transfer each; a BRIN
-- index writes nothing while the newest block range is unsummarized and
-- one summary update now and then after. One B-tree entry fewer per
-- transfer on each table (README, Writing less per transfer).
DROP INDEX transfers_created;
CREATE INDEX transfers_created ON transfers USING brin (created_at);
DROP INDEX notifications_created;
CREATE INDEX notifications_created ON notifications USING brin (created_at);

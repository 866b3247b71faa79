-- +goose Up
-- The outbox: what happened, written by the writer's batch (and the few
-- state changes outside it) in the same transaction as the change itself.
-- An event concerns one or two users or more (a transfer: its sender and
-- its receiver); it has one row per user it concerns, all with the event's
-- id, so a user's events are one range of the primary key. Ids come from
-- events_id_seq and only grow; readers keep their own position (an id)
-- and must respect the read fence of store.EventFence, since ids can
-- commit out of order. No foreign keys: events outlive nothing they name
-- for long (30 days), and checking them would cost every batch.
CREATE SEQUENCE events_id_seq;
CREATE TABLE events (
    user_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    type TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    transaction_id BIGINT,
    transfer_id BIGINT,
    settlement_id BIGINT,
    account_id BIGINT,
    body TEXT NOT NULL,
    PRIMARY KEY (user_id, id)
);
-- Readers of every event (later feeds) go by id, retention by time. Both
-- grow with insertion, so BRIN indexes serve them at almost no cost to the
-- writer.
CREATE INDEX events_id ON events USING brin (id);
CREATE INDEX events_occurred ON events USING brin (occurred_at);

-- What the audit may expect events for: transactions after
-- after_transaction (those before the outbox existed have none) and at or
-- after since_at (retention deletes older events, and moves since_at
-- first).
CREATE TABLE event_coverage (
    after_transaction BIGINT NOT NULL,
    since_at BIGINT NOT NULL
);
INSERT INTO event_coverage (after_transaction, since_at) SELECT COALESCE(MAX(id), 0), 0 FROM transactions;

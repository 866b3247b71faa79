-- +goose Up
-- The outbox (see the PostgreSQL twin for the design). SQLite has one
-- writer, so ids commit in order; they come from event_ids, a counter
-- that, unlike MAX(id) + 1, never goes back when retention empties events.
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
) WITHOUT ROWID;
CREATE INDEX events_id ON events (id);
CREATE INDEX events_occurred ON events (occurred_at);
CREATE TABLE event_ids (last BIGINT NOT NULL);
INSERT INTO event_ids (last) VALUES (0);

-- What the audit may expect events for: transactions after
-- after_transaction (those before the outbox existed have none) and at or
-- after since_at (retention deletes older events, and moves since_at
-- first).
CREATE TABLE event_coverage (
    after_transaction BIGINT NOT NULL,
    since_at BIGINT NOT NULL
);
INSERT INTO event_coverage (after_transaction, since_at) SELECT COALESCE(MAX(id), 0), 0 FROM transactions;

-- +goose Up
-- Positions of the feeds that publish every event elsewhere (the NATS
-- broker feed, package feed; store/feedpos.go): the last event id the
-- broker acknowledged, and the server that may publish now (owner) until
-- lease_until (unix micros). One row per feed name; a server renews its
-- lease as it goes, and another takes the row over once the lease ran out.
CREATE TABLE feed_positions (
    name TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);

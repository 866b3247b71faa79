-- +goose Up
-- Bill splitting. Shares are fixed at creation; a share's status moves
-- from pending to paid or declined once, inside the engine. A settlement's
-- own status is derived from its shares when read.
CREATE TABLE settlements (
    id INTEGER PRIMARY KEY,
    requester_id BIGINT NOT NULL REFERENCES users (id),
    total BIGINT NOT NULL CHECK (total > 0),
    mode TEXT NOT NULL CHECK (mode IN ('equal', 'random')),
    created_at BIGINT NOT NULL
);
CREATE INDEX settlements_requester ON settlements (requester_id, id);

CREATE TABLE settlement_shares (
    id INTEGER PRIMARY KEY,
    settlement_id BIGINT NOT NULL REFERENCES settlements (id),
    position INTEGER NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    requester_id BIGINT NOT NULL REFERENCES users (id),
    requester_account BIGINT NOT NULL REFERENCES accounts (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'declined')),
    settled_at BIGINT,
    UNIQUE (settlement_id, user_id)
);
CREATE INDEX settlement_shares_user ON settlement_shares (user_id, settlement_id);

-- The share a transfer paid; at most one transfer per share.
ALTER TABLE transfers ADD COLUMN share_id BIGINT REFERENCES settlement_shares (id);
CREATE UNIQUE INDEX transfers_share ON transfers (share_id) WHERE share_id IS NOT NULL;

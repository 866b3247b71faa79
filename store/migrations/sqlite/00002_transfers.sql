-- +goose Up
-- A transfer between two users' main accounts. Ids are allocated by the
-- writer, like transaction ids. sender_name is the sender's real name at the
-- time (the sender's history and audits show it); display_name is what the
-- receiver sees.
CREATE TABLE transfers (
    id BIGINT PRIMARY KEY,
    from_user BIGINT NOT NULL REFERENCES users (id),
    from_account BIGINT NOT NULL REFERENCES accounts (id),
    to_user BIGINT NOT NULL REFERENCES users (id),
    to_account BIGINT NOT NULL REFERENCES accounts (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    charged BIGINT NOT NULL DEFAULT 0 CHECK (charged >= 0),
    status TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
-- GET /v1/transfers pages each direction newest first by id.
CREATE INDEX transfers_from ON transfers (from_user, id);
CREATE INDEX transfers_to ON transfers (to_user, id);

ALTER TABLE transactions ADD COLUMN transfer_id BIGINT REFERENCES transfers (id);

-- +goose Up
-- The SQLite twin of migrations/postgres/00001_init.sql; see the comments
-- there. INTEGER PRIMARY KEY is SQLite's rowid, which assigns ids itself.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    transfers_require_acceptance BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

-- AUTOINCREMENT with a seeded sequence: a plain rowid would follow the
-- system account -1 with id 0.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('main', 'savings', 'system')),
    product TEXT,
    daily_amount BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    balance BIGINT NOT NULL DEFAULT 0,
    charge_day TEXT NOT NULL DEFAULT '',
    charged BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    CHECK (kind = 'system' OR balance >= 0),
    CHECK ((kind = 'system') = (user_id IS NULL))
);
CREATE UNIQUE INDEX accounts_one_main ON accounts (user_id) WHERE kind = 'main';
CREATE INDEX accounts_user ON accounts (user_id, id);
INSERT INTO accounts (id, kind, name, created_at) VALUES (-1, 'system', 'external bank', 0);
INSERT INTO sqlite_sequence (name, seq) VALUES ('accounts', 0);

CREATE TABLE transactions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    transaction_id BIGINT NOT NULL REFERENCES transactions (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    amount BIGINT NOT NULL CHECK (amount <> 0),
    balance_after BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX entries_account ON entries (account_id, id);
CREATE INDEX entries_transaction ON entries (transaction_id);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    receipt TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

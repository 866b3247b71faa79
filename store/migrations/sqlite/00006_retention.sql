-- +goose Up
-- History older than a year is removed a month at a time. Before a month
-- goes, each account's entries in it are folded into retained_balances,
-- so the audit still proves every balance: balance = retained amount +
-- entries since the retention boundary (the end of the last folded month).
CREATE TABLE retained_balances (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    amount BIGINT NOT NULL
);
CREATE TABLE retained_months (
    month TEXT PRIMARY KEY,
    until_at BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    folded_at BIGINT NOT NULL
);

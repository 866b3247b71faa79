-- +goose Up
-- Savings interest and installments (see ledger/savings.go for the rules).
INSERT INTO accounts (id, kind, name, created_at) VALUES (-3, 'system', 'interest expense', 0);
ALTER TABLE accounts ADD COLUMN principal BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN interest_day TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN interest_carry BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN interest_paid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN installment_day TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN missed_installments BIGINT NOT NULL DEFAULT 0;
-- The daily jobs find open savings accounts behind on interest or
-- installments.
CREATE INDEX accounts_interest_due ON accounts (interest_day, id) WHERE kind = 'savings' AND status = 'open';
CREATE INDEX accounts_installment_due ON accounts (installment_day, id) WHERE kind = 'savings' AND status = 'open';

-- One row per fixed-savings installment day, paid or missed: the primary
-- key makes a second installment for the same day impossible.
CREATE TABLE installments (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    day TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('paid', 'missed')),
    amount BIGINT NOT NULL,
    charged BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, day)
);

-- Claims of scheduled job runs, one per (job, period): several servers
-- never run the same period at once; a claim whose holder died is taken
-- over when its lease runs out.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    finished_at BIGINT,
    PRIMARY KEY (job, period)
);

-- +goose Up
-- The daily jobs change every open savings account's interest_day (and a
-- fixed account's installment_day) once a day. With those columns
-- indexed, no such update could be HOT: each wrote a new row version
-- into every index of accounts. The jobs now walk the open savings
-- accounts by id and test the day on the row (store/jobruns.go), so no
-- index holds a column they change, and the update stays on its page
-- with no index entry when the page has room (00018's fillfactor).
DROP INDEX accounts_interest_due;
DROP INDEX accounts_installment_due;
CREATE INDEX accounts_savings_open ON accounts (id) WHERE kind = 'savings' AND status = 'open';


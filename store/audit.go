package store

import (
	"context"
	"fmt"

	"minipay/ledger"
)

// AuditReport is what the audit found. The books are sound when Problems
// is empty.
type AuditReport struct {
	Transactions, Entries int64
	// Events counts the events that report a transaction. Events of
	// changes that moved no money (a login, a password change, a
	// settlement request) report none and are not counted.
	Events    int64
	UserMoney int64 // sum of all user balances
	Problems  []string
}

// Audit proves the books from the database alone: every transaction has at
// least two entries summing to zero, every maintained balance equals the
// sum of its account's entries, no user balance is negative, no daily
// charge counter exceeds the limit, and the pending hold holds exactly the
// open pending transfers, each queued once for the sweeps; every
// transaction of a transfer names a stored one, and every transfer, entry
// and notification names stored users and accounts; every entry carries
// its transaction's history kind, transfer and other account; and every
// transaction has exactly one event reporting it (a batch's interest
// transaction one per account it paid), every such event a committed
// transaction. History removed by retention is accounted for by the
// per-account sums folded before it went.
func (db *DB) Audit(ctx context.Context) (AuditReport, error) {
	var r AuditReport
	if err := db.reads.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM transactions), (SELECT COUNT(*) FROM entries),
		(SELECT COUNT(DISTINCT id) FROM events WHERE transaction_id IS NOT NULL),
		(SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE kind <> 'system')`).Scan(&r.Transactions, &r.Entries, &r.Events, &r.UserMoney); err != nil {
		return r, err
	}
	// Entries before the retention boundary are gone (or going): their
	// sums live on in retained_balances.
	since := ` AND created_at >= ` + retentionBoundary
	checks := []auditCheck{
		{`SELECT transaction_id, SUM(amount), COUNT(*) FROM entries WHERE TRUE` + since + ` GROUP BY transaction_id HAVING SUM(amount) <> 0 OR COUNT(*) < 2`,
			"transaction %d: entries sum to %d over %d entries (want 0 over at least 2)"},
		{`SELECT t.id, 0, 0 FROM transactions t WHERE t.created_at >= ` + retentionBoundary + `
			AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.transaction_id = t.id AND e.created_at = t.created_at)`,
			"transaction %[1]d has no entries"},
		// What the dropped foreign key checked (migration 00016): a kept
		// transaction names a stored transfer. Retention deletes a
		// transfer only once every transaction naming it is folded.
		{`SELECT t.id, t.transfer_id, 0 FROM transactions t WHERE t.transfer_id IS NOT NULL AND t.created_at >= ` + retentionBoundary + `
			AND NOT EXISTS (SELECT 1 FROM transfers tr WHERE tr.id = t.transfer_id)`,
			"transaction %d names transfer %d, which is not stored"},
		// What an entry carries for its history page (migration 00025)
		// is what its transaction and the transaction's other entry say
		// (a batch's interest transaction has one debit and many
		// credits: a credit's other side is the debit, the debit's one
		// of the credits, interestTxn). The other side is a LEFT JOIN,
		// not NOT EXISTS: inside the OR, NOT EXISTS ran as a subplan per
		// entry (over 4 min on 10M entries, against 34 s joined).
		{`SELECT e.id, e.transaction_id, 0 FROM entries e
			JOIN transactions t ON t.id = e.transaction_id AND t.created_at = e.created_at
			LEFT JOIN transfers tr ON tr.id = t.transfer_id
			LEFT JOIN entries o ON o.transaction_id = e.transaction_id AND o.created_at = e.created_at
				AND o.account_id = e.other_account AND o.id <> e.id AND (o.amount < 0) <> (e.amount < 0)
			WHERE e.created_at >= ` + retentionBoundary + ` AND (e.transfer_id IS DISTINCT FROM t.transfer_id
				OR e.kind IS DISTINCT FROM CASE WHEN tr.share_id IS NOT NULL THEN '` + KindSettlementPayment + `' ELSE t.kind END
				OR o.id IS NULL)`,
			"entry %d: its history columns disagree with transaction %d"},
		// The outbox: no movement without its event, no event without its
		// movement (as far as events are kept, event_coverage). Set
		// differences rather than joins: events have no index on
		// transaction_id (it would cost every batch), and these sort once.
		{`SELECT id, created_at, 0 FROM (SELECT id, created_at FROM transactions
				WHERE id > (SELECT after_transaction FROM event_coverage) AND created_at >= (SELECT since_at FROM event_coverage)` + since + `
			EXCEPT SELECT transaction_id, occurred_at FROM events) AS missing`,
			"transaction %[1]d (at %[2]d) has no event"},
		// One event per transaction, and per account paid for a batch's
		// interest transaction (each event names its savings account).
		{`SELECT transaction_id, COUNT(DISTINCT id), 0 FROM events WHERE transaction_id IS NOT NULL
			GROUP BY transaction_id, CASE WHEN type = '` + EventSavingsInterestPaid + `' THEN account_id END HAVING COUNT(DISTINCT id) > 1`,
			"transaction %d has %d events (want exactly 1)"},
		{`SELECT transaction_id, occurred_at, 0 FROM (SELECT transaction_id, occurred_at FROM events WHERE transaction_id IS NOT NULL
			EXCEPT SELECT id, created_at FROM transactions) AS orphans`,
			"an event reports transaction %[1]d (at %[2]d), which did not commit"},
		{`SELECT a.id, a.balance, COALESCE(r.amount, 0) + COALESCE(s.total, 0) FROM accounts a
			LEFT JOIN retained_balances r ON r.account_id = a.id
			LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM entries WHERE TRUE` + since + ` GROUP BY account_id) s ON s.account_id = a.id
			WHERE a.kind <> 'system' AND a.balance <> COALESCE(r.amount, 0) + COALESCE(s.total, 0)`,
			"account %d: balance %d but its retained amount and entries sum to %d"},
		{`SELECT id, balance, 0 FROM accounts WHERE kind <> 'system' AND balance < 0`,
			"account %[1]d: negative balance %[2]d"},
		{fmt.Sprintf(`SELECT id, charged, 0 FROM accounts WHERE charged > %d`, ledger.DailyChargeLimit),
			"account %[1]d: charged %[2]d in one day, over the limit"},
		// The sweeps' queue (migration 00031) is the open pending
		// transfers, each once with its deadline and sender: a transfer
		// missing from it would never expire, a row left behind would
		// expire nothing. With both checks passing, the hold below sums
		// the transfers through it.
		{`SELECT t.id, t.expires_at, 0 FROM transfers t LEFT JOIN pending_due d
				ON d.transfer_id = t.id AND d.expires_at = t.expires_at AND d.from_account = t.from_account
			WHERE t.status = 'pending' AND d.transfer_id IS NULL`,
			"pending transfer %d (due at %d) has no pending_due row that agrees with it"},
		{`SELECT d.transfer_id, d.expires_at, 0 FROM pending_due d LEFT JOIN transfers t
				ON t.id = d.transfer_id AND t.status = 'pending' AND t.expires_at = d.expires_at AND t.from_account = d.from_account
			WHERE t.id IS NULL`,
			"pending_due row of transfer %d (due at %d) names no pending transfer due then"},
		{fmt.Sprintf(`SELECT %d, held, open FROM (SELECT
				(SELECT COALESCE(SUM(amount), 0) FROM entries WHERE account_id = %[1]d`+since+`)
					+ (SELECT COALESCE(SUM(amount), 0) FROM retained_balances WHERE account_id = %[1]d) AS held,
				(SELECT COALESCE(SUM(t.amount), 0) FROM pending_due d JOIN transfers t ON t.id = d.transfer_id
					WHERE t.status = 'pending') AS open) AS hold
				WHERE held <> open`, ledger.PendingHold),
			"pending hold (account %d) holds %d but open pending transfers sum to %d"},
	}
	checks = append(checks, referenceChecks()...)
	for _, c := range checks {
		rows, err := db.reads.QueryContext(ctx, c.query+` LIMIT 100`)
		if err != nil {
			return r, err
		}
		for rows.Next() {
			var a, b, n int64
			if err := rows.Scan(&a, &b, &n); err != nil {
				rows.Close()
				return r, err
			}
			r.Problems = append(r.Problems, fmt.Sprintf(c.format, a, b, n))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// auditCheck selects rows of three numbers that show a problem; format
// names those it shows by index.
type auditCheck struct {
	query  string
	format string
}

// references are what the foreign keys dropped by migration 00022
// checked on every inserted row: an SPI query and a key-share row lock
// each, a third of PostgreSQL's CPU per transfer (README, Writing less
// per transfer). The writer inserts these rows
// naming accounts it holds locked and their owners, and users and
// accounts are never deleted, so the audit checks after the fact.
// Migration 00032 dropped installments' key to accounts the same way; an
// installment row has no id, so the check names it by its account.
var references = []struct{ table, column, parent, key string }{
	{"transfers", "from_user", "users", "id"},
	{"transfers", "to_user", "users", "id"},
	{"transfers", "from_account", "accounts", "id"},
	{"transfers", "to_account", "accounts", "id"},
	{"entries", "account_id", "accounts", "id"},
	{"notifications", "user_id", "users", "id"},
	{"installments", "account_id", "accounts", "account_id"},
}

// referenceChecks find the rows that name a missing user or account. Each
// is one anti-join: a hash of the parent's ids probed by one pass over
// the table (the audit scans entries whole anyway), no per-row lookups.
func referenceChecks() []auditCheck {
	checks := make([]auditCheck, len(references))
	for i, r := range references {
		checks[i] = auditCheck{
			query: fmt.Sprintf(`SELECT c.%[4]s, c.%[2]s, 0 FROM %[1]s c WHERE NOT EXISTS (SELECT 1 FROM %[3]s p WHERE p.id = c.%[2]s)`,
				r.table, r.column, r.parent, r.key),
			format: fmt.Sprintf("%s %%[1]d: %s %%[2]d names no row of %s", r.table, r.column, r.parent),
		}
	}
	return checks
}

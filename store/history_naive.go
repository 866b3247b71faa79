package store

import (
	"context"
	"time"
)

// HistoryNaive is the history benchmark's baseline and nothing else: a
// deliberately naive version of History that is never used to serve
// requests. It is written the way a first version usually looks:
//
//   - every movement is seen as a pair, the debit entry (money left an
//     account) and the credit entry (money arrived), and the account's
//     movements are found with an OR across the two: "the account is the
//     sender OR the receiver". The OR spans two joined tables, so no index
//     can answer it: every transaction in the range is joined and filtered.
//   - pages are OFFSET pages ordered by time, so page n reads and throws
//     away the n-1 pages before it, and an insert shifts every later page.
//   - no index is built for it.
//
// It returns the same entries as History for the same page (offset =
// page × limit, same range, no kind filter) as long as entry ids grow with
// time, which the writer and the benchmark's generator guarantee; a test
// checks it on both backends. `minipay bench-history` measures both.
func (db *DB) HistoryNaive(ctx context.Context, account int64, offset, limit int, from, to time.Time) ([]HistoryEntry, error) {
	q, args := NaiveHistorySQL(account, offset, limit, from, to)
	return db.queryHistory(ctx, account, q, args)
}

// NaiveHistorySQL is the naive baseline's statement and its arguments, so
// the benchmark can EXPLAIN exactly what HistoryNaive runs. Zero from/to
// mean unbounded.
func NaiveHistorySQL(account int64, offset, limit int, from, to time.Time) (string, []any) {
	lo, hi := int64(0), int64(1<<63-1)
	if !from.IsZero() {
		lo = micros(from)
	}
	if !to.IsZero() {
		hi = micros(to)
	}
	// mine/other pick the account's side of the pair and the other side.
	mine := func(col string) string {
		return `CASE WHEN d.account_id = $1 THEN d.` + col + ` ELSE c.` + col + ` END`
	}
	other := `CASE WHEN d.account_id = $1 THEN c.account_id ELSE d.account_id END`
	kind := `CASE WHEN tr.share_id IS NOT NULL THEN '` + KindSettlementPayment + `' ELSE t.kind END`
	return `SELECT ` + mine("id") + ` AS entry_id, t.created_at, ` + kind + `, ` + mine("amount") + `, COALESCE(` + mine("balance_after") + `, 0),
			` + other + `, oa.kind, oa.name,
			COALESCE(tr.id, 0), COALESCE(tr.to_account, 0), COALESCE(tr.display_name, ''), COALESCE(tu.username, ''), COALESCE(tu.name, ''),
			COALESCE(tr.memo, ''), COALESCE(sh.settlement_id, 0)
		FROM transactions t
		JOIN entries d ON d.transaction_id = t.id AND d.amount < 0
		JOIN entries c ON c.transaction_id = t.id AND c.amount > 0
		JOIN accounts oa ON oa.id = ` + other + `
		LEFT JOIN transfers tr ON tr.id = t.transfer_id
		LEFT JOIN users tu ON tu.id = tr.to_user
		LEFT JOIN settlement_shares sh ON sh.id = tr.share_id
		WHERE (d.account_id = $1 OR c.account_id = $1)
			AND t.created_at >= $2 AND t.created_at < $3 AND t.created_at >= ` + retentionBoundary + `
		ORDER BY t.created_at DESC, entry_id DESC
		LIMIT $4 OFFSET $5`, []any{account, lo, hi, limit, offset}
}

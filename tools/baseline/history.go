package baseline

import (
	"context"
	"database/sql"
	"time"

	"minipay/store"
)

// Row is one row of a history statement: the columns store.HistorySQL
// selects, which the naive statement selects too (joining the other
// account and the receiver only where store.History shows them, as
// store.HistorySQL does), before the store turns them into a
// store.HistoryEntry.
type Row struct {
	EntryID, At                         int64
	Kind                                string
	Amount, BalanceAfter, Other         int64
	OtherKind, OtherName                string
	TransferID, TransferTo              int64
	Display, Sender, ToUsername, ToName string
	Memo                                string
	SettlementID                        int64
}

// History is the history benchmark's baseline: the rows of a
// deliberately naive version of store.History, written the way a first
// version usually looks:
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
// It returns the same rows as store.HistorySQL for the same page (offset
// = page × limit, same range, no kind filter) as long as entry ids grow
// with time, which the writer and the benchmark's generator guarantee; a
// test checks it on both backends. `minipay bench-history` measures both.
func History(ctx context.Context, db *sql.DB, account int64, offset, limit int, from, to time.Time) ([]Row, error) {
	q, args := HistorySQL(account, offset, limit, from, to)
	return Rows(ctx, db, q, args)
}

// HistorySQL is the naive statement and its arguments, so the benchmark
// can EXPLAIN exactly what History runs. Zero from/to mean unbounded.
func HistorySQL(account int64, offset, limit int, from, to time.Time) (string, []any) {
	lo, hi := int64(0), int64(1<<63-1)
	if !from.IsZero() {
		lo = from.UnixMicro()
	}
	if !to.IsZero() {
		hi = to.UnixMicro()
	}
	// mine/other pick the account's side of the pair and the other side.
	mine := func(col string) string {
		return `CASE WHEN d.account_id = $1 THEN d.` + col + ` ELSE c.` + col + ` END`
	}
	other := `CASE WHEN d.account_id = $1 THEN c.account_id ELSE d.account_id END`
	kind := `CASE WHEN tr.share_id IS NOT NULL THEN '` + store.KindSettlementPayment + `' ELSE t.kind END`
	return `SELECT ` + mine("id") + ` AS entry_id, t.created_at, ` + kind + `, ` + mine("amount") + `, COALESCE(` + mine("balance_after") + `, 0),
			` + other + `, COALESCE(oa.kind, ''), COALESCE(oa.name, ''),
			COALESCE(tr.id, 0), COALESCE(tr.to_account, 0), COALESCE(tr.display_name, ''), COALESCE(tr.sender_name, ''), COALESCE(tu.username, ''), COALESCE(tu.name, ''),
			COALESCE(tr.memo, ''), COALESCE(sh.settlement_id, 0)
		FROM transactions t
		JOIN entries d ON d.transaction_id = t.id AND d.amount < 0
		JOIN entries c ON c.transaction_id = t.id AND c.amount > 0
		LEFT JOIN accounts oa ON oa.id = CASE WHEN t.transfer_id IS NULL THEN ` + other + ` END
		LEFT JOIN transfers tr ON tr.id = t.transfer_id
		LEFT JOIN users tu ON tu.id = CASE WHEN tr.to_account <> $1 THEN tr.to_user END
		LEFT JOIN settlement_shares sh ON sh.id = tr.share_id
		WHERE (d.account_id = $1 OR c.account_id = $1)
			AND t.created_at >= $2 AND t.created_at < $3 AND t.created_at >= ` + store.RetentionBoundary + `
		ORDER BY t.created_at DESC, entry_id DESC
		LIMIT $4 OFFSET $5`, []any{account, lo, hi, limit, offset}
}

// Rows runs a history statement (the naive one, or store.HistorySQL's)
// and reads every column, as store.History does.
func Rows(ctx context.Context, db *sql.DB, q string, args []any) ([]Row, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.EntryID, &r.At, &r.Kind, &r.Amount, &r.BalanceAfter, &r.Other, &r.OtherKind, &r.OtherName,
			&r.TransferID, &r.TransferTo, &r.Display, &r.Sender, &r.ToUsername, &r.ToName, &r.Memo, &r.SettlementID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// IDs are the rows' entry ids.
func IDs(rows []Row) []int64 {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.EntryID
	}
	return ids
}

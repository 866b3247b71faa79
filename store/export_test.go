package store

import (
	"context"

	"minipay/ledger"
)

// TamperForTest runs raw SQL so tests can prove the audit notices
// corrupted books.
func TamperForTest(db *DB, query string) error {
	_, err := db.writes.ExecContext(context.Background(), query)
	return err
}

// ColumnForTest returns the first column of query's rows as strings, so
// tests can compare stored rows byte for byte.
func ColumnForTest(db *DB, query string) ([]string, error) {
	rows, err := db.writes.QueryContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// BatchForTest applies cmds on behalf of user as one batch of w — what the
// writer does when they arrive together — and returns each one's error.
func BatchForTest(w *Writer, user int64, cmds ...ledger.Command) []error {
	ops := make([]*op, len(cmds))
	for i, c := range cmds {
		ops[i] = &op{cmd: c, user: user, out: make(chan outcome, 1)}
	}
	w.run(ops)
	out := make([]error, len(ops))
	for i, o := range ops {
		out[i] = (<-o.out).err
	}
	return out
}

// LateMonthsForTest is how many times w's batches found no partition for
// their month (and created it on their path).
func LateMonthsForTest(w *Writer) int64 { return w.lateMonths.Load() }

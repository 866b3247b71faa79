package store

import (
	"context"
	"time"

	"minipay/ledger"
)

// TamperForTest runs raw SQL so tests can prove the audit notices
// corrupted books.
func TamperForTest(db *DB, query string) error {
	_, err := db.writes.ExecContext(context.Background(), query)
	return err
}

// ApplyMigrationForTest applies the one migration of version v again
// after a test undid it by hand, whatever later migrations the database
// holds (Migrate refuses a gap below the database's version).
func ApplyMigrationForTest(db *DB, v int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	_, err = p.ApplyVersion(context.Background(), v, true)
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

// ExpireTransfersForTest runs only the transfers' part of
// ExpireWithHistory, for the benchmark that measures it alone.
func ExpireTransfersForTest(db *DB, boundary int64) (Expired, error) {
	return db.deleteOlder(context.Background(), "transfers", "id", finishedTransfer, boundary)
}

// OpenEventTxForTest records a session.created event for user in a
// transaction it leaves open, as a slow login would, and returns the
// event's id and the commit.
func OpenEventTxForTest(db *DB, user int64, now time.Time) (id int64, commit func() error, err error) {
	ctx := context.Background()
	tx, err := db.writes.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	if err := db.InsertEvents(ctx, tx, now, []NewEvent{securityEvent(EventSessionCreated, Session{ID: "slow", UserID: user})}); err != nil {
		tx.Rollback()
		return 0, nil, err
	}
	err = tx.QueryRowContext(ctx, `SELECT MAX(id) FROM events`).Scan(&id)
	return id, tx.Commit, err
}

// LateMonthsForTest is how many times w's batches found no partition for
// their month (and created it on their path).
func LateMonthsForTest(w *Writer) int64 { return w.lateMonths.Load() }

// EnqueueForTest queues cmds on w, each on behalf of the user at the same
// index, in this order — as callers would one after another without
// waiting for each other — and returns a wait for each one's error.
func EnqueueForTest(w *Writer, users []int64, cmds []ledger.Command) (wait func() []error) {
	ops := make([]*op, len(cmds))
	for i, c := range cmds {
		ops[i] = &op{ctx: context.Background(), cmd: c, claim: claimOf(c), user: users[i], out: make(chan outcome, 1)}
		w.queue <- ops[i]
	}
	return func() []error {
		out := make([]error, len(ops))
		for i, o := range ops {
			out[i] = (<-o.out).err
		}
		return out
	}
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// KeepMonths is how much history is kept: the current month and the twelve
// before it. Older months are folded into retained_balances and removed.
const KeepMonths = 12

// monthStart is the first instant of t's month in the business zone.
func monthStart(t time.Time, loc *time.Location) time.Time {
	y, m, _ := t.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, loc)
}

// partitionedTables are the PostgreSQL tables partitioned by month.
var partitionedTables = []string{"transactions", "entries"}

// PartitionsAhead is how many months of history partitions are prepared
// ahead of the current one (by the writer as it starts and by the monthly
// history job), so a month's first write never waits for DDL.
const PartitionsAhead = 2

// EnsurePartitions creates the monthly partitions of the history tables
// that do not exist yet, for every month from the month of from through
// the month of to (PostgreSQL; SQLite has no partitions). Concurrent
// callers queue behind one another instead of racing, so any number of
// servers may start at once on a fresh database.
func (db *DB) EnsurePartitions(ctx context.Context, from, to time.Time, loc *time.Location) error {
	var months []time.Time
	for m := monthStart(from, loc); !m.After(to); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	return db.dialect.createPartitions(ctx, db.writes, months)
}

// retentionBoundary is the end of the last folded month: entries before it
// are accounted for in retained_balances (and may still be being deleted
// on SQLite), so reads and the audit look only at entries from it on.
const retentionBoundary = `(SELECT COALESCE(MAX(until_at), 0) FROM retained_months)`

// ExpireHistory removes every month of history older than KeepMonths
// before now's month. Each month is first folded, per account, into
// retained_balances and recorded in retained_months — one transaction, and
// the month's primary key makes the fold happen once even with several
// servers. PostgreSQL then drops the month's partitions in the same
// transaction; SQLite deletes the month's rows in small batches after it.
// It returns the months removed.
func (db *DB) ExpireHistory(ctx context.Context, now time.Time, loc *time.Location) ([]string, error) {
	cutoff := monthStart(now, loc).AddDate(0, -KeepMonths, 0)
	var oldest sql.NullInt64
	if err := db.reads.QueryRowContext(ctx, `SELECT MIN(created_at) FROM transactions WHERE created_at >= `+retentionBoundary).Scan(&oldest); err != nil {
		return nil, err
	}
	var done []string
	if oldest.Valid {
		for m := monthStart(fromMicros(oldest.Int64), loc); m.Before(cutoff); m = m.AddDate(0, 1, 0) {
			if err := db.foldMonth(ctx, m, now); err != nil {
				return done, err
			}
			done = append(done, m.Format("2006-01"))
		}
	}
	return done, db.dialect.deleteFolded(ctx, db.writes)
}

func (db *DB) foldMonth(ctx context.Context, m, now time.Time) error {
	start, end := micros(m), micros(m.AddDate(0, 1, 0))
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM entries WHERE created_at >= $1 AND created_at < $2`, start, end).Scan(&n); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO retained_months (month, until_at, entries, folded_at) VALUES ($1, $2, $3, $4)`,
			m.Format("2006-01"), end, n, micros(now)); err != nil {
			return fmt.Errorf("record folded month: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO retained_balances (account_id, amount)
			SELECT account_id, SUM(amount) FROM entries WHERE created_at >= $1 AND created_at < $2 GROUP BY account_id
			ON CONFLICT (account_id) DO UPDATE SET amount = retained_balances.amount + excluded.amount`, start, end); err != nil {
			return fmt.Errorf("fold month: %w", err)
		}
		return db.dialect.dropPartitions(ctx, tx, m)
	})
}

// OldestEntry is the time of the oldest entry still stored (zero if none):
// after retention it is within the last KeepMonths months.
func (db *DB) OldestEntry(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := db.reads.QueryRowContext(ctx, `SELECT MIN(created_at) FROM entries`).Scan(&at); err != nil || !at.Valid {
		return time.Time{}, err
	}
	return fromMicros(at.Int64), nil
}

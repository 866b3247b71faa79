package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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

// EnsurePartitions creates the monthly partitions of the history tables
// for every month from the month of from through the month of to
// (PostgreSQL; SQLite has no partitions). Safe to run concurrently and
// repeatedly.
func (db *DB) EnsurePartitions(ctx context.Context, from, to time.Time, loc *time.Location) error {
	if db.d.name() != "postgres" {
		return nil
	}
	for m := monthStart(from, loc); !m.After(to); m = m.AddDate(0, 1, 0) {
		for _, table := range partitionedTables {
			_, err := db.w.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s_p%s PARTITION OF %s FOR VALUES FROM (%d) TO (%d)`,
				table, m.Format("200601"), table, micros(m), micros(m.AddDate(0, 1, 0))))
			var pe *pgconn.PgError
			// Two servers creating one partition at once: the loser sees
			// a duplicate; the partition exists either way.
			if err != nil && !(errors.As(err, &pe) && (pe.Code == "42P07" || pe.Code == "23505")) {
				return fmt.Errorf("create partition %s_p%s: %w", table, m.Format("200601"), err)
			}
		}
	}
	return nil
}

// missingPartition reports whether err is a write into a month that has no
// partition yet.
func missingPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && strings.Contains(pe.Message, "no partition")
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
	if err := db.r.QueryRowContext(ctx, `SELECT MIN(created_at) FROM transactions WHERE created_at >= `+retentionBoundary).Scan(&oldest); err != nil {
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
	if db.d.name() == "sqlite" {
		return done, db.deleteFolded(ctx)
	}
	return done, nil
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
		if db.d.name() != "postgres" {
			return nil
		}
		for _, table := range partitionedTables {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DROP TABLE IF EXISTS %s_p%s`, table, m.Format("200601"))); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteFolded deletes, a bounded batch per transaction, the SQLite rows of
// folded months, so the single writer is never held for long.
func (db *DB) deleteFolded(ctx context.Context) error {
	for _, table := range []string{"entries", "transactions"} { // entries reference transactions
		for {
			res, err := db.w.ExecContext(ctx, `DELETE FROM `+table+` WHERE id IN (SELECT id FROM `+table+` WHERE created_at < `+retentionBoundary+` LIMIT 5000)`)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				break
			}
		}
	}
	return nil
}

// OldestEntry is the time of the oldest entry still stored (zero if none):
// after retention it is within the last KeepMonths months.
func (db *DB) OldestEntry(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT MIN(created_at) FROM entries`).Scan(&at); err != nil || !at.Valid {
		return time.Time{}, err
	}
	return fromMicros(at.Int64), nil
}

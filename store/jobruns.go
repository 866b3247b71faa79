package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Claim is the outcome of claiming a job run.
type Claim int

const (
	Claimed  Claim = iota // this server runs the period
	Finished              // the period is done
	Busy                  // another server is running it
)

// ClaimJobRun claims (job, period) for owner. It succeeds if nobody has
// claimed it, or if the previous claim was never finished and is older
// than lease (its server died). A finished period is never claimed again.
func (db *DB) ClaimJobRun(ctx context.Context, job, period, owner string, now time.Time, lease time.Duration) (Claim, error) {
	res, err := db.writes.ExecContext(ctx, `INSERT INTO job_runs (job, period, claimed_by, claimed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (job, period) DO NOTHING`, job, period, owner, micros(now))
	if err != nil {
		return Busy, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return Claimed, nil
	}
	res, err = db.writes.ExecContext(ctx, `UPDATE job_runs SET claimed_by = $3, claimed_at = $4
		WHERE job = $1 AND period = $2 AND finished_at IS NULL AND (claimed_at < $5 OR claimed_by = $3)`,
		job, period, owner, micros(now), micros(now.Add(-lease)))
	if err != nil {
		return Busy, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return Claimed, nil
	}
	var finished bool
	if err := db.writes.QueryRowContext(ctx, `SELECT finished_at IS NOT NULL FROM job_runs WHERE job = $1 AND period = $2`, job, period).Scan(&finished); err != nil {
		return Busy, err
	}
	if finished {
		return Finished, nil
	}
	return Busy, nil
}

// FinishJobRun marks a claimed period done.
func (db *DB) FinishJobRun(ctx context.Context, job, period string, now time.Time) error {
	_, err := db.writes.ExecContext(ctx, `UPDATE job_runs SET finished_at = $3 WHERE job = $1 AND period = $2`, job, period, micros(now))
	return err
}

// LastFinishedPeriod returns the latest finished period of job, or "".
func (db *DB) LastFinishedPeriod(ctx context.Context, job string) (string, error) {
	var p sql.NullString
	err := db.reads.QueryRowContext(ctx, `SELECT MAX(period) FROM job_runs WHERE job = $1 AND finished_at IS NOT NULL`, job).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return p.String, err
}

// Cursor is where a sweep over due items stands: the sort key and id of
// the last item a page returned. The next page starts after it by index,
// instead of walking again past the items the sweep already changed (they
// leave dead index entries behind until a vacuum, so every page would
// cost more than the one before). The zero Cursor starts at the
// beginning.
type Cursor struct {
	at int64 // pending transfers: the deadline, in microseconds
	id int64
}

// DueInterest lists up to limit open savings accounts after cursor whose
// interest has not accrued through day, and the cursor after them. It
// walks the open savings accounts by id and tests the day on the row: an
// index on the day would make the job's update of every account a new
// row version in every index (migration 00024).
func (db *DB) DueInterest(ctx context.Context, through string, after Cursor, limit int) ([]int64, Cursor, error) {
	rows, err := db.reads.QueryContext(ctx, `SELECT id FROM accounts
		WHERE kind = 'savings' AND status = 'open' AND id > $2 AND interest_day < $1
		ORDER BY id LIMIT $3`, through, after.id, limit)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		if err := rows.Scan(&after.id); err != nil {
			return nil, after, err
		}
		ids = append(ids, after.id)
	}
	return ids, after, rows.Err()
}

// EarliestSavingsDays returns the earliest interest day of the open
// savings accounts and the earliest installment day of those of the given
// products ("" when there is none): how far back the daily jobs have work.
// No index holds the days (see DueInterest): it reads every open savings
// account, so the scheduler asks only while a job has never finished.
func (db *DB) EarliestSavingsDays(ctx context.Context, products []string) (interest, installment string, err error) {
	set, arg := db.dialect.list(1, "text", products)
	var i, n sql.NullString
	err = db.reads.QueryRowContext(ctx, `SELECT
		(SELECT MIN(interest_day) FROM accounts WHERE kind = 'savings' AND status = 'open'),
		(SELECT MIN(installment_day) FROM accounts WHERE kind = 'savings' AND status = 'open' AND product IN `+set+`)`, arg).Scan(&i, &n)
	return i.String, n.String, err
}

// DueInstallment is a fixed savings account with an installment due, and
// its owner's main account.
type DueInstallment struct{ Savings, Main int64 }

// DueInstallments lists up to limit open savings accounts of the given
// products after cursor whose installments have not been taken through
// day, and the cursor after them; by id, as DueInterest.
func (db *DB) DueInstallments(ctx context.Context, through string, products []string, after Cursor, limit int) ([]DueInstallment, Cursor, error) {
	set, arg := db.dialect.list(4, "text", products)
	rows, err := db.reads.QueryContext(ctx, `SELECT s.id, m.id FROM accounts s JOIN accounts m ON m.user_id = s.user_id AND m.kind = 'main'
		WHERE s.kind = 'savings' AND s.status = 'open' AND s.id > $2 AND s.installment_day < $1 AND s.product IN `+set+`
		ORDER BY s.id LIMIT $3`, through, after.id, limit, arg)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var out []DueInstallment
	for rows.Next() {
		var d DueInstallment
		if err := rows.Scan(&d.Savings, &d.Main); err != nil {
			return nil, after, err
		}
		after.id = d.Savings
		out = append(out, d)
	}
	return out, after, rows.Err()
}

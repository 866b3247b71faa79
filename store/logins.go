package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/ratelimit"
)

// AttemptLogin takes one login attempt for username at now under b and
// returns how long the username must wait (0: check the password). The
// state is a row of login_throttle, read under a row lock, so every
// server on the database counts the same attempts: no more guesses for
// a load balancer's N servers than for one. A refusal while locked out
// is one read and writes nothing. The writes commit without waiting for
// the disk (relaxCommit): a crash may forget the last attempts' counts,
// which no guesser can time.
func (db *DB) AttemptLogin(ctx context.Context, username string, now time.Time, b ratelimit.Backoff) (time.Duration, error) {
	var until int64
	err := db.reads.QueryRowContext(ctx, `SELECT locked_until FROM login_throttle WHERE username = $1`, username).Scan(&until)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if lockedUntil := fromMicros(until); now.Before(lockedUntil) {
		return lockedUntil.Sub(now), nil
	}
	var wait time.Duration
	var created bool
	err = db.retry(ctx, func(tx *sql.Tx) (err error) {
		wait, created, err = db.takeLoginAttempt(ctx, tx, username, now, b)
		return err
	})
	if err != nil || !created {
		return wait, err
	}
	// Rows of usernames nobody tries any more would pile up: each new row
	// prunes the expired ones, after the commit, holding no row lock that
	// another attempt could wait for in a cycle.
	return wait, db.relaxedExec(ctx, `DELETE FROM login_throttle WHERE expires_at < $1`, micros(now))
}

// takeLoginAttempt is AttemptLogin's transaction; created reports
// whether it made username's row.
func (db *DB) takeLoginAttempt(ctx context.Context, tx *sql.Tx, username string, now time.Time, b ratelimit.Backoff) (wait time.Duration, created bool, err error) {
	if err := db.dialect.relaxCommit(ctx, tx); err != nil {
		return 0, false, err
	}
	// The row must exist before it can be locked: two first attempts must
	// not both start from a fresh count.
	res, err := tx.ExecContext(ctx, `INSERT INTO login_throttle (username, attempts, window_start, lockouts, locked_until, expires_at)
		VALUES ($1, 0, 0, 0, 0, 0) ON CONFLICT (username) DO NOTHING`, username)
	if err != nil {
		return 0, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, false, err
	}
	var s ratelimit.Lockout
	var start, until int64
	if err := tx.QueryRowContext(ctx, `SELECT attempts, window_start, lockouts, locked_until FROM login_throttle WHERE username = $1`+db.dialect.forUpdate(),
		username).Scan(&s.Attempts, &start, &s.Lockouts, &until); err != nil {
		return 0, false, err
	}
	s.WindowStart, s.LockedUntil = fromMicros(start), fromMicros(until)
	next, wait, changed := b.Attempt(s, now)
	if !changed {
		return wait, n > 0, nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE login_throttle SET attempts = $2, window_start = $3, lockouts = $4, locked_until = $5, expires_at = $6
		WHERE username = $1`, username, next.Attempts, micros(next.WindowStart), next.Lockouts, micros(next.LockedUntil), micros(b.Expires(next)))
	return wait, n > 0, err
}

// LoginSucceeded forgets username's attempts and lockouts: only the
// password's owner gets here.
func (db *DB) LoginSucceeded(ctx context.Context, username string) error {
	return db.relaxedExec(ctx, `DELETE FROM login_throttle WHERE username = $1`, username)
}

// relaxedExec runs one statement in a transaction of its own that
// commits without waiting for the disk (dialect.relaxCommit).
func (db *DB) relaxedExec(ctx context.Context, query string, args ...any) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.relaxCommit(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}

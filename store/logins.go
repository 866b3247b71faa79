package store

import (
	"context"
	"database/sql"
	"time"

	"minipay/ratelimit"
)

// AttemptLogin takes one login attempt for username at now under b and
// returns how long the username must wait (0: check the password). The
// state is a row of login_throttle, read under a row lock, so every
// server on the database counts the same attempts: no more guesses for
// a load balancer's N servers than for one. A refusal while locked out
// writes nothing.
func (db *DB) AttemptLogin(ctx context.Context, username string, now time.Time, b ratelimit.Backoff) (time.Duration, error) {
	var wait time.Duration
	var created int64
	err := db.retry(ctx, func(tx *sql.Tx) error {
		// The row must exist before it can be locked: two first attempts
		// must not both start from a fresh count.
		res, err := tx.ExecContext(ctx, `INSERT INTO login_throttle (username, attempts, window_start, lockouts, locked_until, expires_at)
			VALUES ($1, 0, 0, 0, 0, 0) ON CONFLICT (username) DO NOTHING`, username)
		if err != nil {
			return err
		}
		if created, err = res.RowsAffected(); err != nil {
			return err
		}
		var s ratelimit.Lockout
		var start, until int64
		if err := tx.QueryRowContext(ctx, `SELECT attempts, window_start, lockouts, locked_until FROM login_throttle WHERE username = $1`+db.dialect.forUpdate(),
			username).Scan(&s.Attempts, &start, &s.Lockouts, &until); err != nil {
			return err
		}
		s.WindowStart, s.LockedUntil = fromMicros(start), fromMicros(until)
		next, w, changed := b.Attempt(s, now)
		wait = w
		if !changed {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE login_throttle SET attempts = $2, window_start = $3, lockouts = $4, locked_until = $5, expires_at = $6
			WHERE username = $1`, username, next.Attempts, micros(next.WindowStart), next.Lockouts, micros(next.LockedUntil), micros(b.Expires(next)))
		return err
	})
	if err != nil || created == 0 {
		return wait, err
	}
	// Rows of usernames nobody tries any more would pile up: each new row
	// prunes the expired ones, after the commit, holding no row lock that
	// another attempt could wait for in a cycle.
	_, err = db.writes.ExecContext(ctx, `DELETE FROM login_throttle WHERE expires_at < $1`, micros(now))
	return wait, err
}

// LoginSucceeded forgets username's attempts and lockouts: only the
// password's owner gets here.
func (db *DB) LoginSucceeded(ctx context.Context, username string) error {
	_, err := db.writes.ExecContext(ctx, `DELETE FROM login_throttle WHERE username = $1`, username)
	return err
}

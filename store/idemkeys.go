package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"minipay/errs"
)

// Idempotency keys outside the engine: a request that creates something
// without going through a batch (a savings account, a webhook endpoint)
// keeps its key in the same table as the engine's commands, on the same
// terms, checked and stored in the transaction that creates it.

// createOnce runs create in a transaction under user's key idem (none if
// idem.Key is "") and returns the id it made. The user is locked first,
// so one user's creations take turns: they cannot miss each other's key
// (nor, in create, count the same free place). A second request with the
// key creates nothing and returns the first's id, replayed; with another
// fingerprint it is refused (idempotency_mismatch).
func (db *DB) createOnce(ctx context.Context, idem Idempotency, user int64, now time.Time, create func(*sql.Tx) (int64, error)) (id int64, replayed bool, err error) {
	key := userKey(user, idem.Key)
	attempt := func() error {
		return db.inTx(ctx, func(tx *sql.Tx) error {
			if err := db.lockUser(ctx, tx, user); err != nil {
				return err
			}
			if idem.Key != "" {
				var first Result
				if first, replayed, err = db.keyedResult(ctx, tx, key, idem.Fingerprint, now); replayed || err != nil {
					id = first.Created
					return err
				}
			}
			if id, err = create(tx); err != nil || idem.Key == "" {
				return err
			}
			return storeKey(ctx, tx, key, idem.Fingerprint, Result{Created: id}, now)
		})
	}
	err = attempt()
	if err != nil && idem.Key != "" && db.dialect.unique(err) {
		// The same key committed meanwhile (by the writer, say): this
		// attempt finds it.
		err = attempt()
	}
	return id, replayed, err
}

// userKey is a client's key as stored: keys are scoped per user.
func userKey(user int64, key string) string { return fmt.Sprintf("%d:%s", user, key) }

// keyMismatch is the refusal of a key reused for another request.
func keyMismatch() error {
	return errs.E(errs.IdempotencyMismatch, "this Idempotency-Key was used for a different request")
}

// keyedResult reads the result stored under key in tx: found, or an
// error if the key was used for a request with another fingerprint. A key
// past IdempotencyWindow is deleted and not found, as the writer forgets
// it (loadIdempotency).
func (db *DB) keyedResult(ctx context.Context, tx *sql.Tx, key, fingerprint string, now time.Time) (Result, bool, error) {
	var hash, body string
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT request_hash, receipt, created_at FROM idempotency_keys WHERE key = $1`, key).
		Scan(&hash, &body, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Result{}, false, nil
	case err != nil:
		return Result{}, false, err
	case created < idempotencyCutoff(now):
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE key = $1`, key)
		return Result{}, false, err
	case hash != fingerprint:
		return Result{}, false, keyMismatch()
	}
	res, err := decodeResult(body)
	return res, err == nil, err
}

// storeKey records res under key in tx. A key stored concurrently makes
// this insert fail (unique), and the caller's retry finds it.
func storeKey(ctx context.Context, tx *sql.Tx, key, fingerprint string, res Result, now time.Time) error {
	body, err := encodeResult(res)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, request_hash, receipt, created_at) VALUES ($1, $2, $3, $4)`,
		key, fingerprint, body, micros(now))
	return err
}

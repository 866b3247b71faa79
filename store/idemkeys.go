package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"minipay/errs"
)

// Idempotency keys outside the engine: a request that creates or
// changes something without going through a batch (opening a savings
// account, registering a webhook endpoint, rotating its secret) keeps its
// key in the same table as the engine's commands, on the same terms,
// checked and stored in the transaction that does the work. What it
// stores is its own keyed outcome, not the engine's money Result.

// keyed is what a keyed request outside the engine made or changed, as
// its replays answer it.
type keyed struct {
	// ID is the row the request created or changed.
	ID int64
	// Secret is the webhook signing secret a rotation installed: its
	// replay shows the same one, even after a later rotation.
	Secret string
}

// once runs do in a transaction under user's key idem (none if idem.Key
// is "") and returns what it made. The user is locked first, so one
// user's keyed requests take turns: they cannot miss each other's key
// (nor, in do, count the same free place). A second request with the key
// does nothing and returns the first's outcome, replayed; with another
// fingerprint it is refused (idempotency_mismatch).
func (db *DB) once(ctx context.Context, idem Idempotency, user int64, now time.Time, do func(*sql.Tx) (keyed, error)) (out keyed, replayed bool, err error) {
	key := userKey(user, idem.Key)
	attempt := func() error {
		return db.inTx(ctx, func(tx *sql.Tx) error {
			if err := db.lockUser(ctx, tx, user); err != nil {
				return err
			}
			if idem.Key != "" {
				if out, replayed, err = keyedOutcome(ctx, tx, key, idem.Fingerprint, now); replayed || err != nil {
					return err
				}
			}
			if out, err = do(tx); err != nil || idem.Key == "" {
				return err
			}
			return storeKeyed(ctx, tx, key, idem.Fingerprint, out, now)
		})
	}
	err = attempt()
	if err != nil && idem.Key != "" && db.dialect.unique(err) {
		// The same key committed meanwhile (by the writer, say): this
		// attempt finds it.
		err = attempt()
	}
	return out, replayed, err
}

// createOnce is once for a creation: create returns the id it made.
func (db *DB) createOnce(ctx context.Context, idem Idempotency, user int64, now time.Time, create func(*sql.Tx) (int64, error)) (int64, bool, error) {
	out, replayed, err := db.once(ctx, idem, user, now, func(tx *sql.Tx) (keyed, error) {
		id, err := create(tx)
		return keyed{ID: id}, err
	})
	return out.ID, replayed, err
}

// userKey is a client's key as stored: keys are scoped per user.
func userKey(user int64, key string) string { return fmt.Sprintf("%d:%s", user, key) }

// keyMismatch is the refusal of a key reused for another request.
func keyMismatch() error {
	return errs.E(errs.IdempotencyMismatch, "this Idempotency-Key was used for a different request")
}

// keyedOutcome reads the outcome stored under key in tx: found, or an
// error if the key was used for a request with another fingerprint. A key
// past IdempotencyWindow is deleted and not found, as the writer forgets
// it (loadIdempotency).
func keyedOutcome(ctx context.Context, tx *sql.Tx, key, fingerprint string, now time.Time) (keyed, bool, error) {
	var hash, body string
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT request_hash, receipt, created_at FROM idempotency_keys WHERE key = $1`, key).
		Scan(&hash, &body, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return keyed{}, false, nil
	case err != nil:
		return keyed{}, false, err
	case created < idempotencyCutoff(now):
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE key = $1`, key)
		return keyed{}, false, err
	case hash != fingerprint:
		return keyed{}, false, keyMismatch()
	}
	out, err := decodeKeyed(body)
	return out, err == nil, err
}

// storeKeyed records out under key in tx. A key stored concurrently makes
// this insert fail (unique), and the caller's retry finds it.
func storeKeyed(ctx context.Context, tx *sql.Tx, key, fingerprint string, out keyed, now time.Time) error {
	body, err := encodeKeyed(out)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, request_hash, receipt, created_at) VALUES ($1, $2, $3, $4)`,
		key, fingerprint, body, micros(now))
	return err
}

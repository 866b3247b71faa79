// Package baseline holds the benchmarks' baselines: deliberately naive
// versions of what the store does, written the way a first version
// usually looks, so the benchmarks can show what the engine buys. Never
// used to serve requests; they reach the database through store's raw
// pool (store.DB.SQL, store.DB.InTx).
package baseline

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
	"minipay/store"
)

// Transfer is the transfer benchmark's baseline, deliberately not the
// engine: one database transaction per transfer with conditional UPDATEs.
// It keeps the same books (a transaction, two entries and its event, as
// the audit wants) and locks in id
// order so it does not deadlock, but every transfer pays its own round
// trips, row locks and commit.
func Transfer(ctx context.Context, db *store.DB, user, from, to, amount int64, now time.Time) error {
	for attempt := 0; ; attempt++ {
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			txn, receiver, err := transfer(ctx, tx, db.NextTxnIDSQL(), user, from, to, amount, now.UnixMicro())
			if err != nil {
				return err
			}
			return db.InsertEvents(ctx, tx, time.UnixMicro(now.UnixMicro()), []store.NewEvent{{Type: store.EventTransferCompleted, TransactionID: txn,
				For: []store.EventUser{{User: user, Data: store.EventData{Amount: amount, ToAccount: to}}, {User: receiver, Data: store.EventData{Amount: amount, ToAccount: to}}}}})
		})
		if err == nil || attempt == 10 || !db.Retryable(err) {
			return err
		}
	}
}

// transfer moves the money and records the transaction; it returns the
// transaction and the receiver's user for the event.
func transfer(ctx context.Context, tx *sql.Tx, txnID string, user, from, to, amount, at int64) (txn, receiver int64, err error) {
	// Touch the rows in id order, as the engine does.
	first, second := from, to
	firstDelta, secondDelta := -amount, amount
	if to < from {
		first, second, firstDelta, secondDelta = to, from, amount, -amount
	}
	for _, u := range []struct{ id, delta int64 }{{first, firstDelta}, {second, secondDelta}} {
		var owner int64
		err := tx.QueryRowContext(ctx, `UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND kind = 'main' AND balance + $1 >= 0 RETURNING user_id`,
			u.delta, u.id).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, 0, errs.E(errs.InsufficientFunds, "account %d cannot take %d", u.id, u.delta)
		}
		if err != nil {
			return 0, 0, err
		}
		if u.id == to {
			receiver = owner
		}
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO transactions (id, kind, user_id, created_at) VALUES (`+txnID+`, 'transfer', $1, $2) RETURNING id`,
		user, at).Scan(&txn); err != nil {
		return 0, 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at, kind, other_account)
		VALUES ($1, $2, $3, (SELECT balance FROM accounts WHERE id = $2), $5, 'transfer', $4),
			($1, $4, $6, (SELECT balance FROM accounts WHERE id = $4), $5, 'transfer', $2)`,
		txn, from, -amount, to, at, amount)
	return txn, receiver, err
}

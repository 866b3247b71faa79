// Package baseline holds the benchmarks' baselines: deliberately naive
// versions of what the store does, written the way a first version
// usually looks, so the benchmarks can show what the engine buys. Never
// used to serve requests; they reach the database through store's raw
// pool (store.DB.SQL, store.DB.InTx).
package baseline

import (
	"context"
	"database/sql"
	"time"

	"minipay/errs"
	"minipay/store"
)

// Transfer is the transfer benchmark's baseline, deliberately not the
// engine: one database transaction per transfer with conditional UPDATEs.
// It keeps the same books (a transaction and two entries) and locks in id
// order so it does not deadlock, but every transfer pays its own round
// trips, row locks and commit.
func Transfer(ctx context.Context, db *store.DB, user, from, to, amount int64, now time.Time) error {
	for attempt := 0; ; attempt++ {
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			return transfer(ctx, tx, db.NextTxnIDSQL(), user, from, to, amount, now.UnixMicro())
		})
		if err == nil || attempt == 10 || !db.Retryable(err) {
			return err
		}
	}
}

func transfer(ctx context.Context, tx *sql.Tx, txnID string, user, from, to, amount, at int64) error {
	// Touch the rows in id order, as the engine does.
	first, second := from, to
	firstDelta, secondDelta := -amount, amount
	if to < from {
		first, second, firstDelta, secondDelta = to, from, amount, -amount
	}
	for _, u := range []struct{ id, delta int64 }{{first, firstDelta}, {second, secondDelta}} {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND kind = 'main' AND balance + $1 >= 0`, u.delta, u.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.InsufficientFunds, "account %d cannot take %d", u.id, u.delta)
		}
	}
	var txn int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO transactions (id, kind, user_id, created_at) VALUES (`+txnID+`, 'transfer', $1, $2) RETURNING id`,
		user, at).Scan(&txn); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at)
		VALUES ($1, $2, $3, (SELECT balance FROM accounts WHERE id = $2), $5), ($1, $4, $6, (SELECT balance FROM accounts WHERE id = $4), $5)`,
		txn, from, -amount, to, at, amount)
	return err
}

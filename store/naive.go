package store

import (
	"context"
	"database/sql"
	"time"

	"minipay/errs"
)

// NaiveTransfer is the benchmark's baseline, deliberately not the engine:
// one database transaction per transfer with conditional UPDATEs, the way
// a first version usually looks. It keeps the same books (a transaction
// and two entries) and locks in id order so it does not deadlock, but every
// transfer pays its own round trips, row locks and commit. Never used to
// serve requests.
func (db *DB) NaiveTransfer(ctx context.Context, user, from, to, amount int64, now time.Time) error {
	for attempt := 0; ; attempt++ {
		err := db.naiveTransfer(ctx, user, from, to, amount, now)
		if err == nil || attempt == 10 || !db.d.retryable(err) {
			return err
		}
	}
}

func (db *DB) naiveTransfer(ctx context.Context, user, from, to, amount int64, now time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
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
		if err := tx.QueryRowContext(ctx, `INSERT INTO transactions (id, kind, user_id, created_at) VALUES (`+db.d.nextTxnID()+`, 'transfer', $1, $2) RETURNING id`,
			user, micros(now)).Scan(&txn); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at)
			VALUES ($1, $2, $3, (SELECT balance FROM accounts WHERE id = $2), $5), ($1, $4, $6, (SELECT balance FROM accounts WHERE id = $4), $5)`,
			txn, from, -amount, to, micros(now), amount)
		return err
	})
}

package store

import (
	"context"
	"database/sql"
	"time"
)

// How long the tables that only grow keep their rows. History has its
// own rule (retention.go); installments and settled settlements go with
// the history month they belong to (ExpireWithHistory).
const (
	// IdempotencyWindow is how long an Idempotency-Key is remembered: a
	// key older than this is forgotten, and a request with it is new.
	IdempotencyWindow = 24 * time.Hour
	// NotificationWindow is how long a notification stays in the inbox.
	NotificationWindow = 90 * 24 * time.Hour
)

// Expired is what a retention deletion did: the rows it deleted, in how
// many batches (each its own short transaction), and the longest batch —
// the longest the deletion held its locks (on SQLite, the writer) at once.
type Expired struct {
	Rows, Batches int64
	Longest       time.Duration
}

// idempotencyCutoff is the creation time (micros) before which a key is
// forgotten at now.
func idempotencyCutoff(now time.Time) int64 { return micros(now.Add(-IdempotencyWindow)) }

// ExpireIdempotencyKeys deletes the keys older than IdempotencyWindow and
// returns how many went. The writer ignores such a key even before it is
// deleted (loadIdempotency), so how often this runs only bounds the
// table's size.
func (db *DB) ExpireIdempotencyKeys(ctx context.Context, now time.Time) (Expired, error) {
	return db.deleteOlder(ctx, "idempotency_keys", "key", "", idempotencyCutoff(now))
}

// ExpireNotifications deletes notifications older than NotificationWindow.
func (db *DB) ExpireNotifications(ctx context.Context, now time.Time) (Expired, error) {
	return db.deleteOlder(ctx, "notifications", "id", "", micros(now.Add(-NotificationWindow)))
}

// deleteOlder deletes the rows of table created before cutoff ($1) for
// which the condition and also holds (none if ""), a dialect's
// expiryBatch rows per statement (found by its created_at index), until
// none is left. key names a row: its primary key column, or the
// dialect's rowID. The chunks go in no particular order: every row below
// the cutoff goes either way, and on PostgreSQL transfers, notifications
// and installments have BRIN indexes on created_at (migrations 00026 and
// 00032), which find the old rows' block ranges but give no order —
// sorting them would sort every old row left, once per chunk.
func (db *DB) deleteOlder(ctx context.Context, table, key, and string, cutoff int64) (Expired, error) {
	if and != "" {
		and = ` AND ` + and
	}
	q := `DELETE FROM ` + table + ` WHERE ` + db.dialect.amongRows(key, `SELECT `+key+` FROM `+table+
		` WHERE created_at < $1`+and+` LIMIT $2`)
	return db.deleteBatches(ctx, table, func() (int64, error) {
		return affected(db.writes.ExecContext(ctx, q, cutoff, db.dialect.expiryBatch()))
	})
}

// affected is the number of rows a statement changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// deleteBatches runs one batch of a table's deletion until a batch
// deletes less than a full one, and counts the rows and batches.
func (db *DB) deleteBatches(ctx context.Context, table string, batch func() (int64, error)) (Expired, error) {
	var e Expired
	for {
		start := time.Now()
		n, err := batch()
		if err != nil {
			return e, err
		}
		took := time.Since(start)
		metricExpiryBatchSeconds.WithLabelValues(table).Observe(took.Seconds())
		metricExpiredRows.WithLabelValues(table).Add(float64(n))
		e.Rows, e.Batches, e.Longest = e.Rows+n, e.Batches+1, max(e.Longest, took)
		if n < int64(db.dialect.expiryBatch()) {
			return e, nil
		}
	}
}

// ExpireWithHistory deletes the records whose history is gone: rows
// recorded before the retention boundary (the end of the last history
// month folded by ExpireHistory), so they are kept as long as history —
// the current month and the twelve before it. These are installments,
// settlements all of whose shares were paid or declined before the
// boundary, finished transfers (finishedTransfer) and finished job runs.
// None of them is money: the balances they touched stay proved by
// retained_balances. It returns the rows deleted per table.
func (db *DB) ExpireWithHistory(ctx context.Context) (map[string]int64, error) {
	var boundary int64
	if err := db.reads.QueryRowContext(ctx, `SELECT `+retentionBoundary).Scan(&boundary); err != nil {
		return nil, err
	}
	// Installments are keyed by (account_id, day), so a chunk is named by
	// the rows' physical ids; installment_day on the account, not these
	// rows, stops a day being taken twice.
	inst, err := db.deleteOlder(ctx, "installments", db.dialect.rowID(), "", boundary)
	out := map[string]int64{"installments": inst.Rows}
	if err != nil {
		return out, err
	}
	sett, err := db.expireSettlements(ctx, boundary)
	out["settlements"] = sett.Rows
	if err != nil {
		return out, err
	}
	// After the settlements: a transfer that paid a share is kept as long
	// as its settlement, whose deletion clears its share_id.
	transfers, err := db.deleteOlder(ctx, "transfers", "id", finishedTransfer, boundary)
	out["transfers"] = transfers.Rows
	if err != nil {
		return out, err
	}
	// Finished job runs: the jobs' progress lives in the newest run and in
	// the accounts, so the old claims only record that they happened.
	runs, err := db.deleteBatches(ctx, "job_runs", func() (int64, error) {
		return affected(db.writes.ExecContext(ctx, `DELETE FROM job_runs WHERE (job, period) IN
			(SELECT job, period FROM job_runs WHERE finished_at IS NOT NULL AND claimed_at < $1 LIMIT $2)`, boundary, db.dialect.expiryBatch()))
	})
	out["job_runs"] = runs.Rows
	return out, err
}

// finishedTransfer is what a transfer created before the retention
// boundary ($1) must also be to go with its history: no longer pending (a
// pending transfer's money is in the pending hold, which the audit matches
// against pending transfers), settled before the boundary too, so every
// transaction naming it is folded and no kept history entry or
// notification of the last months loses its transfer, and not paying a
// share of a settlement still kept. The newest transfer always stays: on
// SQLite the next id is the largest stored plus one, so deleting the last
// one would hand its id out again. That is "<>", not "<": given a range
// on id, PostgreSQL walks the primary key from the oldest transfer instead
// of the created_at BRIN index, through every transfer once the old ones
// are gone (EXPLAIN; README, Writing less per transfer).
const finishedTransfer = `status <> 'pending' AND COALESCE(settled_at, created_at) < $1 AND share_id IS NULL
	AND id <> (SELECT MAX(id) FROM transfers)`

// expireSettlements deletes, a batch per transaction, the settlements
// created before boundary whose shares were all settled before it,
// walking them by (created_at, id) so one still open is looked at once
// per run. A paid share's transfer forgets the share (its
// settlement-payment history went with the boundary), which lets the
// transfer go too.
func (db *DB) expireSettlements(ctx context.Context, boundary int64) (Expired, error) {
	var afterAt, afterID int64 = -1, 0
	return db.deleteBatches(ctx, "settlements", func() (int64, error) {
		var n int64
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := txIDs(ctx, tx, `SELECT id, created_at FROM settlements s WHERE created_at < $1 AND (created_at, id) > ($2, $3)
				AND NOT EXISTS (SELECT 1 FROM settlement_shares sh WHERE sh.settlement_id = s.id
					AND (sh.status = 'pending' OR sh.settled_at >= $1))
				ORDER BY created_at, id LIMIT $4`, &afterAt, &afterID, boundary, afterAt, afterID, db.dialect.expiryBatch())
			if err != nil || len(ids) == 0 {
				return err
			}
			set, arg := db.dialect.list(1, "bigint", ids)
			shares := `(SELECT id FROM settlement_shares WHERE settlement_id IN ` + set + `)`
			for _, q := range []string{
				`UPDATE transfers SET share_id = NULL WHERE share_id IN ` + shares,
				`DELETE FROM settlement_shares WHERE settlement_id IN ` + set,
				`DELETE FROM settlements WHERE id IN ` + set,
			} {
				if n, err = affected(tx.ExecContext(ctx, q, arg)); err != nil {
					return err
				}
			}
			return nil // n is the settlements deleted, by the last statement
		})
		return n, err
	})
}

// txIDs runs a query selecting (id, created_at) rows in tx and returns the
// ids, leaving the last row's values in lastAt and lastID (the cursor).
func txIDs(ctx context.Context, tx *sql.Tx, q string, lastAt, lastID *int64, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		if err := rows.Scan(lastID, lastAt); err != nil {
			return nil, err
		}
		ids = append(ids, *lastID)
	}
	return ids, rows.Err()
}

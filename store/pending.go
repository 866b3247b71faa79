package store

import (
	"context"
	"database/sql"
	"time"

	"minipay/ledger"
	"minipay/names"
)

// DueTransfer is a pending transfer past its deadline, and the account
// its money returns to.
type DueTransfer struct{ ID, From int64 }

// DuePending lists up to limit pending transfers after cursor whose
// deadline has passed at now, oldest deadline first, and the cursor after
// them. It reads pending_due alone (migration 00031), the queue the
// writer keeps of the open pending transfers. The expiry sweep submits an
// Expire for each; the engine's guard makes a second expiry of the same
// transfer (by another server) a harmless conflict.
func (db *DB) DuePending(ctx context.Context, now time.Time, after Cursor, limit int) ([]DueTransfer, Cursor, error) {
	rows, err := db.reads.QueryContext(ctx, `SELECT expires_at, transfer_id, from_account FROM pending_due
		WHERE expires_at <= $1 AND (expires_at, transfer_id) > ($2, $3)
		ORDER BY expires_at, transfer_id LIMIT $4`, micros(now), after.at, after.id, limit)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var due []DueTransfer
	for rows.Next() {
		var d DueTransfer
		if err := rows.Scan(&after.at, &d.ID, &d.From); err != nil {
			return nil, after, err
		}
		after.id = d.ID
		due = append(due, d)
	}
	return due, after, rows.Err()
}

// RemindPending sends the 24-hours-left reminder for up to limit pending
// transfers that are due one and returns how many it sent. Marking the
// transfer and inserting the notification happen in one transaction, and
// the UPDATE re-checks reminded_at IS NULL after any row-lock wait, so two
// servers running the sweep at once send each reminder exactly once. It
// finds them through pending_due, and its subquery locks nothing: a due
// row locked before its transfer would take the locks in the opposite
// order to the writer's batch, which locks the transfer and then deletes
// its due row. Transfers already past their deadline get no reminder; expiry tells the
// sender instead. Each reminder is also a transfer.reminder event for the
// receiver, in the same transaction.
func (db *DB) RemindPending(ctx context.Context, now time.Time, limit int) (int, error) {
	var sent int
	err := db.retry(ctx, func(tx *sql.Tx) error {
		sent = 0
		rows, err := tx.QueryContext(ctx, `UPDATE transfers SET reminded_at = $1
			WHERE id IN (SELECT d.transfer_id FROM pending_due d JOIN transfers t ON t.id = d.transfer_id
				WHERE d.expires_at <= $2 AND d.expires_at > $1 AND t.status = 'pending' AND t.reminded_at IS NULL
				ORDER BY d.expires_at, d.transfer_id LIMIT $3)
			AND status = 'pending' AND reminded_at IS NULL
			RETURNING id, to_user, amount, display_name, sender_name, expires_at`,
			micros(now), micros(now.Add(ledger.ReminderBefore)), limit)
		if err != nil {
			return err
		}
		var notices [][]any
		var events []NewEvent
		for rows.Next() {
			var n ledger.Notice
			var expires int64
			var display, sender string
			if err := rows.Scan(&n.TransferID, &n.User, &n.Amount, &display, &sender, &expires); err != nil {
				rows.Close()
				return err
			}
			n.Counterparty, n.CounterpartyMasked = receiverSees(display, sender), names.Mask(sender)
			n.Kind, n.ExpiresAt = ledger.NoticePendingReminder, fromMicros(expires)
			events = append(events, NewEvent{Type: EventTransferReminder, TransferID: n.TransferID,
				For: forAll(EventData{Amount: n.Amount, Status: ledger.TransferPending, DisplayName: n.Counterparty, ExpiresAt: n.ExpiresAt}, n.User)})
			row, err := noticeRow(n, micros(now))
			if err != nil {
				rows.Close()
				return err
			}
			notices = append(notices, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sent = len(notices)
		if err := insertRows(ctx, tx, db.dialect, "notifications", noticeColumns, notices); err != nil {
			return err
		}
		return db.InsertEvents(ctx, tx, now, events)
	})
	return sent, err
}

// retry runs fn in a write transaction, again if it fails with a
// retryable error (deadlock, serialization failure, busy).
func (db *DB) retry(ctx context.Context, fn func(*sql.Tx) error) error {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
		}
		if err = db.inTx(ctx, fn); err == nil || !db.dialect.retryable(err) {
			return err
		}
	}
	return err
}

package store

import (
	"context"
	"database/sql"
	"time"

	"minipay/errs"
)

// Notification is one entry of a user's inbox: what happened (the
// fields a notice of its kind has; others are zero) and when.
type Notification struct {
	ID           int64
	Kind         string
	TransferID   int64
	Amount       int64
	Counterparty string
	// CounterpartyMasked is the other user's masked real name.
	CounterpartyMasked string
	Reason             string // why a pending transfer returned
	ExpiresAt          time.Time
	Account            int64  // the savings account of a missed installment
	Day                string // the day of a missed installment
	Settlement         int64
	// SessionID and UserAgent are a new_login's session and its client.
	SessionID, UserAgent string
	CreatedAt            time.Time
	ReadAt               *time.Time
}

// Notifications returns a page of user's inbox, newest first.
func (db *DB) Notifications(ctx context.Context, user int64, unreadOnly bool, before int64, limit int) ([]Notification, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	q := `SELECT id, body, created_at, read_at FROM notifications WHERE user_id = $1 AND id < $2`
	if unreadOnly {
		q += ` AND read_at IS NULL`
	}
	rows, err := db.reads.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $3`, user, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var body string
		var at int64
		var read sql.NullInt64
		if err := rows.Scan(&n.ID, &body, &at, &read); err != nil {
			return nil, err
		}
		if err := decodeNotice(body, &n); err != nil {
			return nil, err
		}
		n.CreatedAt = fromMicros(at)
		if read.Valid {
			t := fromMicros(read.Int64)
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkNotificationRead marks one of user's notifications read.
func (db *DB) MarkNotificationRead(ctx context.Context, user, id int64, now time.Time) error {
	var owner int64
	err := db.reads.QueryRowContext(ctx, `SELECT user_id FROM notifications WHERE id = $1`, id).Scan(&owner)
	switch {
	case err == sql.ErrNoRows:
		return errs.E(errs.NotFound, "notification %d not found", id)
	case err != nil:
		return err
	case owner != user:
		return errs.E(errs.Forbidden, "notification %d is someone else's", id)
	}
	_, err = db.writes.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2 AND read_at IS NULL`, micros(now), id)
	return err
}

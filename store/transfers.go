package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
	"minipay/names"
)

// Transfer is a transfer as its sender or receiver reads it.
type Transfer struct {
	ID                      int64
	FromUser, FromAccount   int64
	FromUsername            string
	ToUser, ToAccount       int64
	ToUsername, ToName      string
	Amount, Charged         int64
	Status                  string
	SenderName, DisplayName string
	Memo                    string
	CreatedAt               time.Time
	// ExpiresAt is set while pending; ResolvedAt once accepted, rejected,
	// cancelled or expired (stored and shown as settled_at).
	ExpiresAt, ResolvedAt time.Time
}

// ReceiverSees is the sender name t's receiver is shown (display_name).
func (t Transfer) ReceiverSees() string { return receiverSees(t.DisplayName, t.SenderName) }

// receiverSees is the display name a receiver is shown. Transfers written
// before display names defaulted to the masked real name hold the whole
// real name there; it is masked on the way out.
func receiverSees(display, senderName string) string {
	if display == senderName {
		return names.Mask(senderName)
	}
	return display
}

// TransferFilter selects a page of a user's transfers, newest first.
type TransferFilter struct {
	Direction string // "in", "out" or "" for both
	Status    string // "" for any
	Before    int64  // keyset cursor: only ids below it; 0 for the first page
	Limit     int
}

const transferColumns = `t.id, t.from_user, t.from_account, fu.username, t.to_user, t.to_account, tu.username, tu.name,
	t.amount, t.charged, t.status, t.sender_name, t.display_name, t.memo, t.created_at,
	COALESCE(t.expires_at, 0), COALESCE(t.settled_at, 0)`

const transferFrom = ` FROM transfers t JOIN users fu ON fu.id = t.from_user JOIN users tu ON tu.id = t.to_user`

func scanTransfer(s interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var at, expires, settled int64
	err := s.Scan(&t.ID, &t.FromUser, &t.FromAccount, &t.FromUsername, &t.ToUser, &t.ToAccount, &t.ToUsername, &t.ToName,
		&t.Amount, &t.Charged, &t.Status, &t.SenderName, &t.DisplayName, &t.Memo, &at, &expires, &settled)
	t.CreatedAt = fromMicros(at)
	if expires != 0 {
		t.ExpiresAt = fromMicros(expires)
	}
	if settled != 0 {
		t.ResolvedAt = fromMicros(settled)
	}
	return t, err
}

// Transfer returns a transfer that user sent or received.
func (db *DB) Transfer(ctx context.Context, user, id int64) (Transfer, error) {
	t, err := scanTransfer(db.reads.QueryRowContext(ctx, `SELECT `+transferColumns+transferFrom+` WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Transfer{}, errs.E(errs.NotFound, "transfer %d not found", id)
	}
	if err != nil {
		return Transfer{}, err
	}
	if t.FromUser != user && t.ToUser != user {
		return Transfer{}, errs.E(errs.Forbidden, "transfer %d is between other users", id)
	}
	return t, nil
}

// Transfers returns a page of user's transfers, newest first. Each
// direction is an index range scan on (user, id); both directions merge two
// such scans rather than OR-ing the columns, which no index serves.
func (db *DB) Transfers(ctx context.Context, user int64, f TransferFilter) ([]Transfer, error) {
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	side := func(col string) string {
		return `SELECT * FROM (SELECT ` + transferColumns + transferFrom + ` WHERE t.` + col + ` = $1 AND t.id < $2 AND ($3 = '' OR t.status = $3)
			ORDER BY t.id DESC LIMIT $4) AS ` + col
	}
	var q string
	switch f.Direction {
	case "out":
		q = side("from_user")
	case "in":
		q = side("to_user")
	default:
		q = `SELECT * FROM (` + side("from_user") + ` UNION ALL ` + side("to_user") + `) AS both_sides ORDER BY 1 DESC LIMIT $4`
	}
	rows, err := db.reads.QueryContext(ctx, q, user, before, f.Status, f.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

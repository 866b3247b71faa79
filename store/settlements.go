package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/names"
)

// Settlement is a bill split and its shares, in the order requested.
type Settlement struct {
	ID                int64
	Requester         int64
	RequesterUsername string
	RequesterName     string // real: show it masked (names.Mask) to anyone else
	Total             int64
	Mode              string
	CreatedAt         time.Time
	Shares            []SettlementShare
}

// SettlementShare is one participant's part. Name is the participant's
// real name: show it masked (names.Mask) to anyone else.
type SettlementShare struct {
	ID             int64
	User           int64
	Username, Name string
	Amount         int64
	Status         string
	TransferID     int64 // the payment, once paid
	SettledAt      time.Time
}

// Status is derived from the shares: completed when every share is paid,
// open while any is pending, otherwise closed (declined shares remain).
func (s Settlement) Status() string {
	status := "completed"
	for _, sh := range s.Shares {
		switch sh.Status {
		case ledger.SharePending:
			return "open"
		case ledger.ShareDeclined:
			status = "closed"
		}
	}
	return status
}

// NewShare is a share to create: who owes how much.
type NewShare struct {
	User   User
	Amount int64
}

// CreateSettlement records a settlement with its shares and notifies each
// participant, and records its settlement.requested event, in one
// transaction. No money moves: each participant pays
// their share later through the engine. The requester's own share, if
// they listed themselves, is settled at once (paying yourself moves
// nothing). Shares asked of strangers count against lim; over it, nothing
// is written and the error is rate_limited.
func (db *DB) CreateSettlement(ctx context.Context, requester User, total int64, mode string, shares []NewShare, lim StrangerLimits, now time.Time) (int64, error) {
	id, _, err := db.CreateSettlementOnce(ctx, Idempotency{}, requester, total, mode, shares, lim, now)
	return id, err
}

// CreateSettlementOnce is CreateSettlement under the requester's
// idempotency key idem (none if idem.Key is ""): a second request with
// the key creates nothing and answers the first's id, replayed; with
// another fingerprint it is refused (idempotency_mismatch). Keys of
// settlements are kept as long as the settlement.
func (db *DB) CreateSettlementOnce(ctx context.Context, idem Idempotency, requester User, total int64, mode string, shares []NewShare, lim StrangerLimits, now time.Time) (id int64, replayed bool, err error) {
	id, replayed, err = db.createSettlement(ctx, idem, requester, total, mode, shares, lim, now)
	if err != nil && idem.Key != "" && db.dialect.unique(err) {
		// The same key committed meanwhile: this attempt now finds it.
		id, replayed, err = db.createSettlement(ctx, idem, requester, total, mode, shares, lim, now)
	}
	return id, replayed, err
}

func (db *DB) createSettlement(ctx context.Context, idem Idempotency, requester User, total int64, mode string, shares []NewShare, lim StrangerLimits, now time.Time) (id int64, replayed bool, err error) {
	err = db.retry(ctx, func(tx *sql.Tx) (err error) {
		if idem.Key != "" {
			if replayed, err = settlementKeyed(ctx, tx, requester.ID, idem, &id); replayed || err != nil {
				return err
			}
		}
		strange, err := db.strangeShares(ctx, tx, requester, shares, lim)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO settlements (requester_id, total, mode, created_at, request_key, request_hash)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			requester.ID, total, mode, micros(now), nullText(idem.Key), nullText(idem.Fingerprint)).Scan(&id); err != nil {
			return err
		}
		var rows, notices [][]any
		requested := NewEvent{Type: EventSettlementRequested, SettlementID: id,
			For: []EventUser{{User: requester.ID, Data: EventData{Amount: total, Mode: mode}}}}
		for i, sh := range shares {
			status, settled, strangerAt := ledger.SharePending, any(nil), any(nil)
			if strange[sh.User.ID] {
				strangerAt = micros(now)
			}
			if sh.User.ID == requester.ID {
				status, settled = ledger.SharePaid, micros(now)
			} else {
				// Each participant reads their own share.
				requested.For = append(requested.For, EventUser{User: sh.User.ID, Data: EventData{Amount: sh.Amount, Mode: mode}})
				row, err := noticeRow(ledger.Notice{User: sh.User.ID, Kind: ledger.NoticeSettlementRequested, Amount: sh.Amount,
					Counterparty: requester.Username, CounterpartyMasked: names.Mask(requester.Name), Settlement: id}, micros(now))
				if err != nil {
					return err
				}
				notices = append(notices, row)
			}
			rows = append(rows, []any{id, i, sh.User.ID, requester.ID, requester.MainAccount, sh.Amount, status, settled, strangerAt})
		}
		if err := insertRows(ctx, tx, db.dialect, "settlement_shares", []column{{"settlement_id", "bigint"}, {"position", "bigint"}, {"user_id", "bigint"},
			{"requester_id", "bigint"}, {"requester_account", "bigint"}, {"amount", "bigint"}, {"status", "text"}, {"settled_at", "bigint"},
			{"stranger_at", "bigint"}}, rows); err != nil {
			return err
		}
		if err := insertRows(ctx, tx, db.dialect, "notifications", noticeColumns, notices); err != nil {
			return err
		}
		return db.InsertEvents(ctx, tx, now, []NewEvent{requested})
	})
	return id, replayed, err
}

// settlementKeyed finds the settlement requester made under idem's key:
// done with its id, or an error if the key asked for something else.
func settlementKeyed(ctx context.Context, tx *sql.Tx, requester int64, idem Idempotency, id *int64) (done bool, err error) {
	var hash string
	err = tx.QueryRowContext(ctx, `SELECT id, request_hash FROM settlements WHERE requester_id = $1 AND request_key = $2`,
		requester, idem.Key).Scan(id, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	case hash != idem.Fingerprint:
		return false, errs.E(errs.IdempotencyMismatch, "this idempotency key was used for a different settlement")
	}
	return true, nil
}

// strangeShares returns which participants of shares are strangers to
// requester, once checkStrangers has found room for them today.
func (db *DB) strangeShares(ctx context.Context, tx *sql.Tx, requester User, shares []NewShare, lim StrangerLimits) (map[int64]bool, error) {
	ids := make([]int64, len(shares))
	for i, sh := range shares {
		ids[i] = sh.User.ID
	}
	strange, err := strangers(ctx, tx, db.dialect, requester.ID, ids)
	if err != nil || len(strange) == 0 {
		return strange, err
	}
	var users []User
	for _, sh := range shares {
		if strange[sh.User.ID] {
			users = append(users, sh.User)
		}
	}
	return strange, checkStrangers(ctx, tx, db.dialect, requester, users, lim)
}

// Settlement returns a settlement its requester or a participant may see.
func (db *DB) Settlement(ctx context.Context, viewer, id int64) (Settlement, error) {
	list, err := db.settlements(ctx, `s.id = $1`, id)
	if err != nil {
		return Settlement{}, err
	}
	if len(list) == 0 {
		return Settlement{}, errs.E(errs.NotFound, "settlement %d not found", id)
	}
	s := list[0]
	if s.Requester == viewer {
		return s, nil
	}
	for _, sh := range s.Shares {
		if sh.User == viewer {
			return s, nil
		}
	}
	return Settlement{}, errs.E(errs.Forbidden, "settlement %d is between other users", id)
}

// Settlements lists, newest first, the settlements user requested (role
// "requester") or takes part in ("participant"): at most limit, with ids
// below before (0: from the newest).
func (db *DB) Settlements(ctx context.Context, user int64, role string, before int64, limit int) ([]Settlement, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	where := `s.id IN (SELECT id FROM settlements WHERE requester_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3)`
	if role == "participant" {
		where = `s.id IN (SELECT settlement_id FROM settlement_shares WHERE user_id = $1 AND requester_id <> $1 AND settlement_id < $2
			ORDER BY settlement_id DESC LIMIT $3)`
	}
	return db.settlements(ctx, where, user, before, limit)
}

// settlements reads the settlements matching where with their shares.
func (db *DB) settlements(ctx context.Context, where string, args ...any) ([]Settlement, error) {
	rows, err := db.reads.QueryContext(ctx, `SELECT s.id, s.requester_id, ru.username, ru.name, s.total, s.mode, s.created_at,
			sh.id, sh.user_id, u.username, u.name, sh.amount, sh.status, COALESCE(sh.settled_at, 0), COALESCE(t.id, 0)
		FROM settlements s
		JOIN users ru ON ru.id = s.requester_id
		JOIN settlement_shares sh ON sh.settlement_id = s.id
		JOIN users u ON u.id = sh.user_id
		LEFT JOIN transfers t ON t.share_id = sh.id
		WHERE `+where+` ORDER BY s.id DESC, sh.position`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Settlement
	for rows.Next() {
		var s Settlement
		var sh SettlementShare
		var created, settled int64
		if err := rows.Scan(&s.ID, &s.Requester, &s.RequesterUsername, &s.RequesterName, &s.Total, &s.Mode, &created,
			&sh.ID, &sh.User, &sh.Username, &sh.Name, &sh.Amount, &sh.Status, &settled, &sh.TransferID); err != nil {
			return nil, err
		}
		if settled != 0 {
			sh.SettledAt = fromMicros(settled)
		}
		if len(out) == 0 || out[len(out)-1].ID != s.ID {
			s.CreatedAt = fromMicros(created)
			out = append(out, s)
		}
		last := &out[len(out)-1]
		last.Shares = append(last.Shares, sh)
	}
	return out, rows.Err()
}

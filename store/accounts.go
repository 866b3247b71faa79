package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
	"minipay/ledger"
)

// Accounts lists a user's accounts by id, main first: every open one and
// the newest closed savings accounts, at most closed of them, so the list
// stays bounded however many accounts the user has opened and closed.
func (db *DB) Accounts(ctx context.Context, user int64, closed int) ([]*ledger.Account, error) {
	return db.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts WHERE user_id = $1
		AND (status = 'open' OR kind = 'main' OR id IN (
			SELECT id FROM accounts WHERE user_id = $1 AND kind = 'savings' AND status = 'closed' ORDER BY id DESC LIMIT $2))
		ORDER BY id`, user, closed)
}

// ClosedAccounts pages a user's closed savings accounts newest first: at
// most limit of them, with ids below before (0: from the newest).
func (db *DB) ClosedAccounts(ctx context.Context, user, before int64, limit int) ([]*ledger.Account, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	return db.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE user_id = $1 AND kind = 'savings' AND status = 'closed' AND id < $2
		ORDER BY id DESC LIMIT $3`, user, before, limit)
}

func (db *DB) queryAccounts(ctx context.Context, query string, args ...any) ([]*ledger.Account, error) {
	rows, err := db.reads.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ledger.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Account returns one of user's accounts: not_found if there is no such
// account, forbidden if it is someone else's.
func (db *DB) Account(ctx context.Context, user, id int64) (*ledger.Account, error) {
	a, err := scanAccount(db.reads.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 AND kind <> 'system'`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "account %d not found", id)
	}
	if err != nil {
		return nil, err
	}
	if a.UserID != user {
		return nil, errs.E(errs.Forbidden, "account %d belongs to someone else", id)
	}
	return a, nil
}

// lockUser makes tx the only one changing what user keeps outside the
// ledger (savings accounts opened, friends) until it ends, by locking
// user's main account row (on SQLite the write transaction is exclusive
// already). The main account, not the users row: inserting a row that
// references a user (a friend, a notification) takes a key-share lock on
// that user, which a lock on the users row would block, so two users
// adding each other would deadlock.
func (db *DB) lockUser(ctx context.Context, tx *sql.Tx, user int64) error {
	var main int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE user_id = $1 AND kind = 'main'`+db.dialect.forUpdate(), user).Scan(&main)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "user %d not found", user)
	}
	return err
}

// DefaultMaxSavings is how many savings accounts a user may have open at
// once unless configured otherwise: enough for any saver, few enough that
// one user cannot grow the accounts table (and their account list) at will.
const DefaultMaxSavings = 20

// OpenSavings opens a savings account for user, refused with conflict if
// user already has max open, and records its savings.opened event. No
// money moves, so this is not an engine command. Interest accrues from the opening day (so the account starts
// with yesterday accrued); the first installment of fixed savings is taken
// the next day at 08:00.
func (db *DB) OpenSavings(ctx context.Context, user int64, product string, dailyAmount int64, max int, now time.Time, loc *time.Location) (*ledger.Account, error) {
	a, _, err := db.OpenSavingsOnce(ctx, Idempotency{}, user, product, dailyAmount, max, now, loc)
	return a, err
}

// OpenSavingsOnce is OpenSavings under user's idempotency key idem (none
// if idem.Key is ""), on the engine's terms: the key is checked and
// stored in idempotency_keys, in the transaction that opens the account,
// and is kept for IdempotencyWindow. A second request with the key opens
// nothing and answers the account the first opened (replayed); with
// another fingerprint it is refused (idempotency_mismatch). A fixed
// account takes its daily amount from main, so opening it twice would
// move money twice.
func (db *DB) OpenSavingsOnce(ctx context.Context, idem Idempotency, user int64, product string, dailyAmount int64, max int, now time.Time, loc *time.Location) (*ledger.Account, bool, error) {
	if err := ledger.CheckNewSavings(product, dailyAmount); err != nil {
		return nil, false, err
	}
	today := ledger.BusinessDay(now, loc)
	id, replayed, err := db.createOnce(ctx, idem, user, now, func(tx *sql.Tx) (id int64, err error) {
		if err := roomForSavings(ctx, tx, user, max); err != nil {
			return 0, err
		}
		if err := tx.QueryRowContext(ctx,
			`INSERT INTO accounts (user_id, kind, product, daily_amount, created_at, interest_day, installment_day)
			VALUES ($1, 'savings', $2, $3, $4, $5, $6) RETURNING id`,
			user, product, dailyAmount, micros(now), ledger.AddDays(today, -1), today).Scan(&id); err != nil {
			return 0, err
		}
		return id, db.InsertEvents(ctx, tx, now, []NewEvent{{Type: EventSavingsOpened, AccountID: id,
			For: forAll(EventData{Amount: dailyAmount, Product: product}, user)}})
	})
	if err != nil {
		return nil, false, err
	}
	a, err := db.Account(ctx, user, id)
	return a, replayed, err
}

// roomForSavings checks, in tx, that user (locked by the caller) has
// fewer than max savings accounts open.
func roomForSavings(ctx context.Context, tx *sql.Tx, user int64, max int) error {
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE user_id = $1 AND kind = 'savings' AND status = 'open'`, user).
		Scan(&open); err != nil {
		return err
	}
	if open >= max {
		return errs.E(errs.Conflict, "at most %d savings accounts may be open at once; close one to open another", max)
	}
	return nil
}

// ChargeLimit is a user's daily charge limit on one business day.
type ChargeLimit struct {
	Day                    string
	Limit, Used, Remaining int64
}

// ChargeLimit reads how much of today's limit user has used.
func (db *DB) ChargeLimit(ctx context.Context, user int64, now time.Time, loc *time.Location) (ChargeLimit, error) {
	var main ledger.Account
	if err := db.reads.QueryRowContext(ctx, `SELECT charge_day, charged FROM accounts WHERE user_id = $1 AND kind = 'main'`, user).
		Scan(&main.ChargeDay, &main.Charged); err != nil {
		return ChargeLimit{}, err
	}
	day := ledger.BusinessDay(now, loc)
	used := main.ChargedOn(day)
	return ChargeLimit{Day: day, Limit: ledger.DailyChargeLimit, Used: used, Remaining: ledger.DailyChargeLimit - used}, nil
}

// accountColumns and scanAccount read an account as the rules see it,
// with its owner's name and transfer setting.
const accountColumns = `id, user_id, kind, COALESCE(product, ''), daily_amount, status, balance, charge_day, charged,
	COALESCE((SELECT name FROM users WHERE users.id = accounts.user_id), ''),
	COALESCE((SELECT transfers_require_acceptance FROM users WHERE users.id = accounts.user_id), FALSE),
	principal, interest_day, interest_carry, interest_paid, installment_day, missed_installments`

func scanAccount(s scanner) (*ledger.Account, error) {
	var a ledger.Account
	var user sql.NullInt64
	if err := s.Scan(&a.ID, &user, &a.Kind, &a.Product, &a.DailyAmount, &a.Status, &a.Balance, &a.ChargeDay, &a.Charged, &a.OwnerName, &a.RequireAcceptance,
		&a.Principal, &a.InterestDay, &a.InterestCarry, &a.InterestPaid, &a.InstallmentDay, &a.MissedInstallments); err != nil {
		return nil, err
	}
	a.UserID = user.Int64
	return &a, nil
}

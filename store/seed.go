package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"minipay/ledger"
)

// NewUser is one user for CreateUsers.
type NewUser struct {
	Username, Name, PasswordHash string
}

// CreateUsers signs many users up in one transaction, each with a main
// account; the load test and the benchmark seed with it. It returns the
// users in the order given.
func (db *DB) CreateUsers(ctx context.Context, users []NewUser, now time.Time) ([]User, error) {
	out := make([]User, 0, len(users))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		rows := make([][]any, len(users))
		for i, u := range users {
			rows[i] = []any{u.Username, u.Name, u.PasswordHash, micros(now)}
		}
		if err := insertRows(ctx, tx, db.dialect, "users", []column{{"username", "text"}, {"name", "text"}, {"password_hash", "text"}, {"created_at", "bigint"}}, rows); err != nil {
			return err
		}
		names := make([]string, len(users))
		for i, u := range users {
			names[i] = u.Username
		}
		set, arg := db.dialect.list(1, "text", names)
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (user_id, kind, created_at) SELECT id, 'main', created_at FROM users WHERE username IN `+set, arg); err != nil {
			return fmt.Errorf("insert main accounts: %w", err)
		}
		byName, err := usersNamed(ctx, tx, db.dialect, names)
		if err != nil {
			return err
		}
		for _, u := range users {
			out = append(out, byName[u.Username])
		}
		return nil
	})
	if db.dialect.unique(err) {
		return nil, fmt.Errorf("a username is taken: %w", err)
	}
	return out, err
}

// OpenSavingsMany opens one savings account of product for each user in
// one statement (load tests and benchmarks seed with it); like
// OpenSavings it moves no money. Seeding records no savings.opened events.
func (db *DB) OpenSavingsMany(ctx context.Context, users []int64, product string, dailyAmount int64, now time.Time, loc *time.Location) error {
	if err := ledger.CheckNewSavings(product, dailyAmount); err != nil {
		return err
	}
	today := ledger.BusinessDay(now, loc)
	rows := make([][]any, len(users))
	for i, u := range users {
		rows[i] = []any{u, "savings", product, dailyAmount, micros(now), ledger.AddDays(today, -1), today}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		return insertRows(ctx, tx, db.dialect, "accounts", []column{{"user_id", "bigint"}, {"kind", "text"}, {"product", "text"},
			{"daily_amount", "bigint"}, {"created_at", "bigint"}, {"interest_day", "text"}, {"installment_day", "text"}}, rows)
	})
}

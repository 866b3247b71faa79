package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
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
		src, args := db.d.table(1, []column{{"username", "text"}, {"name", "text"}, {"password_hash", "text"}, {"created_at", "bigint"}}, rows)
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (username, name, password_hash, created_at) SELECT username, name, password_hash, created_at FROM `+src, args...); err != nil {
			return fmt.Errorf("insert users: %w", err)
		}
		names := make([]string, len(users))
		for i, u := range users {
			names[i] = u.Username
		}
		set, arg := db.d.list(1, "text", names)
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (user_id, kind, created_at) SELECT id, 'main', created_at FROM users WHERE username IN `+set, arg); err != nil {
			return fmt.Errorf("insert main accounts: %w", err)
		}
		byName := map[string]User{}
		r, err := tx.QueryContext(ctx, `SELECT u.id, u.username, u.name, a.id FROM users u JOIN accounts a ON a.user_id = u.id AND a.kind = 'main' WHERE u.username IN `+set, arg)
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			var u User
			if err := r.Scan(&u.ID, &u.Username, &u.Name, &u.MainAccount); err != nil {
				return err
			}
			byName[u.Username] = u
		}
		for _, u := range users {
			out = append(out, byName[u.Username])
		}
		return r.Err()
	})
	if db.d.unique(err) {
		return nil, fmt.Errorf("a username is taken: %w", err)
	}
	return out, err
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
)

// User is a minipay user.
type User struct {
	ID                         int64
	Username, Name             string
	MainAccount                int64
	TransfersRequireAcceptance bool
}

// CreateUser signs a user up: the user and their main account are created
// in one transaction.
func (db *DB) CreateUser(ctx context.Context, username, name, passwordHash string, now time.Time) (User, error) {
	u := User{Username: username, Name: name}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx,
			`INSERT INTO users (username, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			username, name, passwordHash, micros(now)).Scan(&u.ID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx,
			`INSERT INTO accounts (user_id, kind, created_at) VALUES ($1, 'main', $2) RETURNING id`,
			u.ID, micros(now)).Scan(&u.MainAccount)
	})
	if db.dialect.unique(err) {
		return User{}, errs.E(errs.Conflict, "username %q is taken", username)
	}
	return u, err
}

// Every user look-up reads a user with their main account: userColumns
// from userFrom.
const (
	userColumns = `u.id, u.username, u.name, a.id, u.transfers_require_acceptance`
	userFrom    = ` FROM users u JOIN accounts a ON a.user_id = u.id AND a.kind = 'main'`
)

func scanUser(row scanner, extra ...any) (User, error) {
	var u User
	err := row.Scan(append([]any{&u.ID, &u.Username, &u.Name, &u.MainAccount, &u.TransfersRequireAcceptance}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.E(errs.NotFound, "no such user")
	}
	return u, err
}

// UserByUsername returns a user and their password hash, for login.
func (db *DB) UserByUsername(ctx context.Context, username string) (User, string, error) {
	var hash string
	u, err := scanUser(db.reads.QueryRowContext(ctx,
		`SELECT `+userColumns+`, u.password_hash`+userFrom+` WHERE u.username = $1`,
		username), &hash)
	return u, hash, err
}

// UserWithPassword returns the user with the given id and their password
// hash, for a password change.
func (db *DB) UserWithPassword(ctx context.Context, id int64) (User, string, error) {
	var hash string
	u, err := scanUser(db.reads.QueryRowContext(ctx,
		`SELECT `+userColumns+`, u.password_hash`+userFrom+` WHERE u.id = $1`, id), &hash)
	return u, hash, err
}

// User returns the user with the given id.
func (db *DB) User(ctx context.Context, id int64) (User, error) {
	return scanUser(db.reads.QueryRowContext(ctx,
		`SELECT `+userColumns+userFrom+` WHERE u.id = $1`, id))
}

// MainAccountOf returns the main account id of the user with username.
func (db *DB) MainAccountOf(ctx context.Context, username string) (int64, error) {
	var id int64
	err := db.reads.QueryRowContext(ctx,
		`SELECT a.id`+userFrom+` WHERE u.username = $1`, username).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.E(errs.NotFound, "no user %q", username)
	}
	return id, err
}

// UsersByUsername resolves usernames to users, in the order given;
// not_found names the first unknown one.
func (db *DB) UsersByUsername(ctx context.Context, usernames []string) ([]User, error) {
	byName, err := usersNamed(ctx, db.reads, db.dialect, usernames)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(usernames))
	for i, name := range usernames {
		u, ok := byName[name]
		if !ok {
			return nil, errs.E(errs.NotFound, "no user %q", name)
		}
		out[i] = u
	}
	return out, nil
}

// usersNamed reads the users with the given usernames, by username, in one
// query on q (the pool, or a transaction that has just created them).
func usersNamed(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, d dialect, usernames []string) (map[string]User, error) {
	set, arg := d.list(1, "text", usernames)
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+userFrom+` WHERE u.username IN `+set, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byName := make(map[string]User, len(usernames))
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		byName[u.Username] = u
	}
	return byName, rows.Err()
}

// SetTransfersRequireAcceptance changes a user's setting and returns the user.
func (db *DB) SetTransfersRequireAcceptance(ctx context.Context, id int64, v bool) (User, error) {
	if _, err := db.writes.ExecContext(ctx, `UPDATE users SET transfers_require_acceptance = $1 WHERE id = $2`, v, id); err != nil {
		return User{}, err
	}
	return db.User(ctx, id)
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
		if err := insertRows(ctx, tx, db.d, "users", []column{{"username", "text"}, {"name", "text"}, {"password_hash", "text"}, {"created_at", "bigint"}}, rows); err != nil {
			return err
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

// write is one set-based statement over rows given as a derived table:
// an INSERT … SELECT, or an UPDATE … FROM by id (the first column). Its
// text is the same for any number of rows.
type write struct {
	table  string
	cols   []column
	rows   [][]any
	update bool
}

// sql renders the statement with parameters numbered from $n.
func (wr write) sql(d dialect, n int) (string, []any) {
	src, args := d.table(n, wr.cols, wr.rows)
	names := make([]string, len(wr.cols))
	for i, c := range wr.cols {
		names[i] = c.name
	}
	if !wr.update {
		list := strings.Join(names, ", ")
		return `INSERT INTO ` + wr.table + ` (` + list + `) SELECT ` + list + ` FROM ` + src, args
	}
	sets := make([]string, len(names)-1)
	for i, name := range names[1:] {
		sets[i] = name + " = v." + name
	}
	return `UPDATE ` + wr.table + ` SET ` + strings.Join(sets, ", ") + ` FROM ` + src + ` WHERE ` + wr.table + `.id = v.id`, args
}

// execWrites runs the writes that have rows. On PostgreSQL they go as one
// statement of data-modifying CTEs — one round trip while the batch holds
// its row locks, whatever the number of tables — so no write may depend on
// another's effect except through foreign keys, which are checked at the
// end of the statement. SQLite, in process, runs them one by one.
func execWrites(ctx context.Context, tx *sql.Tx, d dialect, writes ...write) error {
	var parts []string
	var args []any
	for _, wr := range writes {
		if len(wr.rows) == 0 {
			continue
		}
		if d.name() != "postgres" {
			q, a := wr.sql(d, 1)
			if _, err := tx.ExecContext(ctx, q, a...); err != nil {
				return fmt.Errorf("write %s: %w", wr.table, err)
			}
			continue
		}
		q, a := wr.sql(d, len(args)+1)
		parts = append(parts, fmt.Sprintf("w%d AS (%s)", len(parts), q))
		args = append(args, a...)
	}
	if len(parts) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `WITH `+strings.Join(parts, ",\n")+` SELECT 1`, args...); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	return nil
}

// insertRows inserts rows into table with one statement.
func insertRows(ctx context.Context, tx *sql.Tx, d dialect, table string, cols []column, rows [][]any) error {
	return execWrites(ctx, tx, d, write{table: table, cols: cols, rows: rows})
}

// OpenSavingsMany opens one savings account of product for each user in
// one statement (load tests and benchmarks seed with it); like
// OpenSavings it moves no money.
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
		return insertRows(ctx, tx, db.d, "accounts", []column{{"user_id", "bigint"}, {"kind", "text"}, {"product", "text"},
			{"daily_amount", "bigint"}, {"created_at", "bigint"}, {"interest_day", "text"}, {"installment_day", "text"}}, rows)
	})
}

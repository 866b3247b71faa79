package store

import (
	"context"
	"database/sql"
	"fmt"
)

// A writer batch talks to the database in exchanges: statements sent
// together whose replies are read in order. On PostgreSQL an exchange is
// one round trip (pgx's pipeline, pgsession.go), so a batch costs two —
// lock-and-load, write-and-commit — plus one before them when it acts on
// transfers or settlements (whose rows name the accounts to lock), and one
// between them when it needs more ids than it reserved. SQLite is in
// process: its exchanges run the statements one by one on a *sql.Tx.

// step is one statement of an exchange; row, if set, is called with each
// row it returns, in order.
type step struct {
	what string // for errors: "lock accounts"
	sql  string
	args []any
	row  func(scanner) error
}

// session is one batch's database transaction. The first exchange begins
// it; the one with commit set commits it after its steps. The dialect's
// session method rolls it back if the batch fails.
type session interface {
	exchange(ctx context.Context, steps []step, commit bool) error
}

// scanner is a *sql.Rows or a pgx.Rows.
type scanner interface{ Scan(...any) error }

// runSteps runs steps in order in tx.
func runSteps(ctx context.Context, tx *sql.Tx, steps []step) error {
	for _, st := range steps {
		if err := runStep(ctx, tx, st); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	return nil
}

func runStep(ctx context.Context, tx *sql.Tx, st step) error {
	if st.row == nil {
		_, err := tx.ExecContext(ctx, st.sql, st.args...)
		return err
	}
	return queryStep(ctx, tx, st)
}

// queryStep runs st's query on q (a pool or a transaction), calling
// st.row with each row.
func queryStep(ctx context.Context, q querier, st step) error {
	rows, err := q.QueryContext(ctx, st.sql, st.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := st.row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// txSession is a session over database/sql: SQLite's, where statements
// cost no round trips.
type txSession struct{ tx *sql.Tx }

func (s txSession) exchange(ctx context.Context, steps []step, commit bool) error {
	if err := runSteps(ctx, s.tx, steps); err != nil || !commit {
		return err
	}
	return s.tx.Commit()
}

// txSessionOn runs fn in a transaction of db, rolled back unless fn
// committed it.
func txSessionOn(ctx context.Context, db *sql.DB, fn func(session) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(txSession{tx})
}

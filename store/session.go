package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
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
	return scanRows(rows, st)
}

// scanRows calls st.row with each of rows, and closes them.
func scanRows(rows *sql.Rows, st step) error {
	defer rows.Close()
	for rows.Next() {
		if err := st.row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// txSession is a session over database/sql: SQLite's, where statements
// cost no round trips. Its statements are prepared once (stmts).
type txSession struct {
	tx    *sql.Tx
	stmts *stmtCache
}

func (s txSession) exchange(ctx context.Context, steps []step, commit bool) error {
	for _, st := range steps {
		if err := s.run(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	if !commit {
		return nil
	}
	return s.tx.Commit()
}

// run runs st in the session's transaction, on its statement prepared
// once if the cache has it; if not, as runStep does, and the cache
// prepares it after the transaction.
func (s txSession) run(ctx context.Context, st step) error {
	prepared := s.stmts.prepared(st.sql)
	if prepared == nil {
		return runStep(ctx, s.tx, st)
	}
	stmt := s.tx.StmtContext(ctx, prepared)
	defer stmt.Close()
	if st.row == nil {
		_, err := stmt.ExecContext(ctx, st.args...)
		return err
	}
	rows, err := stmt.QueryContext(ctx, st.args...)
	if err != nil {
		return err
	}
	return scanRows(rows, st)
}

// txSessionOn runs fn in a transaction of db, rolled back unless fn
// committed it; stmts are statements prepared on db.
func txSessionOn(ctx context.Context, db *sql.DB, stmts *stmtCache, fn func(session) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer stmts.prepareNew(ctx) // after the rollback: SQLite's writer pool has one connection, the transaction's
	defer tx.Rollback()
	return fn(txSession{tx: tx, stmts: stmts})
}

// stmtCache keeps the writer's statements prepared on its pool. A batch's
// statement texts do not depend on its size (sqlwrite.go), so a few dozen
// texts serve every batch; on SQLite, preparing them anew for each batch
// was a tenth of the writer's CPU (BenchmarkWriterSQLite -cpuprofile:
// sqlite3Prepare). A text is prepared after the first transaction that
// ran it, once the pool's connection is free; past maxCachedStmts texts
// none is.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	seen  []string // run unprepared, to prepare
}

const maxCachedStmts = 200

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// prepared is query's prepared statement, or nil (also without a cache);
// database/sql prepares it again on a connection that replaced the one it
// was prepared on.
func (c *stmtCache) prepared(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	stmt, ok := c.stmts[query]
	if !ok && len(c.stmts)+len(c.seen) < maxCachedStmts && !slices.Contains(c.seen, query) {
		c.seen = append(c.seen, query)
	}
	return stmt
}

// prepareNew prepares the texts run unprepared since it last ran; one
// that fails to prepare runs unprepared and is tried again after its
// next run.
func (c *stmtCache) prepareNew(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, query := range c.seen {
		if stmt, err := c.db.PrepareContext(ctx, query); err == nil {
			c.stmts[query] = stmt
		}
	}
	c.seen = c.seen[:0]
}

package store

import (
	"context"
	"database/sql"
)

// This file opens the store to tools and benchmark baselines (tools/),
// which measure the product against plain SQL. Never for the product: its
// writes go through the Writer and its reads live in this package.

// SQL is the pool that takes writes (on SQLite its single connection), for
// tools and baselines, never the product.
func (db *DB) SQL() *sql.DB { return db.writes }

// Retryable reports whether a transaction that failed with err may succeed
// if run again (serialization failure, deadlock, busy), for tools and
// baselines that run their own transactions.
func (db *DB) Retryable(err error) bool { return db.dialect.retryable(err) }

// NextTxnIDSQL is an SQL expression for one new transaction id, for a
// baseline that books one transfer per transaction (the writer allocates
// ids in bulk).
func (db *DB) NextTxnIDSQL() string { return db.dialect.nextTxnID() }

// RetentionBoundary is the SQL expression for the end of the last folded
// month: a baseline that reads history reads only from it on, as the
// store's reads do.
const RetentionBoundary = retentionBoundary

// InTx runs fn in a transaction on the write pool and commits it, or rolls
// it back if fn fails: for baselines that book their own transactions.
func (db *DB) InTx(ctx context.Context, fn func(*sql.Tx) error) error { return db.inTx(ctx, fn) }

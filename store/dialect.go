package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is the seam for the few places PostgreSQL and SQLite differ:
// passing a list or a table of values as one parameter, row locks, id
// allocation and error classification. Everything else is shared SQL.
type dialect interface {
	name() string
	gooseDialect() goose.Dialect
	// list returns SQL for a one-column set "(SELECT … AS v)" of the values
	// in the parameter $n, and the argument to pass for it.
	list(n int, pgType string, vals any) (string, any)
	// table returns SQL for a derived table "v(cols…)" over rows, each row
	// one value per column, passed as parameters starting at $n.
	table(n int, cols []column, rows [][]any) (string, []any)
	// forUpdate is appended to a SELECT that must lock its rows.
	forUpdate() string
	// retryable reports whether a transaction that failed with err may
	// succeed if run again (serialization failure, deadlock, busy).
	retryable(err error) bool
	// unique reports whether err is a unique-constraint violation.
	unique(err error) bool
	// nextTxnID is an SQL expression for one new transaction id, for the
	// naive baseline (the writer allocates ids in bulk).
	nextTxnID() string
}

// column names one column of a derived table and its PostgreSQL type.
type column struct {
	name, pgType string
}

type postgres struct{}

func (postgres) name() string                { return "postgres" }
func (postgres) gooseDialect() goose.Dialect { return goose.DialectPostgres }
func (postgres) forUpdate() string           { return " FOR UPDATE" }

func (postgres) list(n int, pgType string, vals any) (string, any) {
	return fmt.Sprintf("(SELECT unnest($%d::%s[]) AS v)", n, pgType), vals
}

// table passes each column as one array and zips them with unnest, so the
// statement text is the same for every batch size (one prepared plan).
func (postgres) table(n int, cols []column, rows [][]any) (string, []any) {
	params := make([]string, len(cols))
	names := make([]string, len(cols))
	args := make([]any, len(cols))
	for c, col := range cols {
		params[c] = fmt.Sprintf("$%d::%s[]", n+c, col.pgType)
		names[c] = col.name
		vals := make([]any, len(rows))
		for r, row := range rows {
			vals[r] = row[c]
		}
		args[c] = vals
	}
	return fmt.Sprintf("unnest(%s) AS v(%s)", strings.Join(params, ", "), strings.Join(names, ", ")), args
}

func (postgres) nextTxnID() string { return `nextval('transactions_id_seq')` }

func (postgres) retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "23505"
	}
	return false
}

func (postgres) unique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

type sqlite struct{}

func (sqlite) name() string                { return "sqlite" }
func (sqlite) gooseDialect() goose.Dialect { return goose.DialectSQLite3 }

// forUpdate is empty: the writer's transaction is BEGIN IMMEDIATE, which
// already excludes every other writer.
func (sqlite) forUpdate() string { return "" }

func (sqlite) list(n int, _ string, vals any) (string, any) {
	return fmt.Sprintf("(SELECT value AS v FROM json_each($%d))", n), mustJSON(vals)
}

// table passes all rows as one JSON array of arrays and unpacks it with
// json_each, so the statement text is the same for every batch size.
func (sqlite) table(n int, cols []column, rows [][]any) (string, []any) {
	sel := make([]string, len(cols))
	for c, col := range cols {
		sel[c] = fmt.Sprintf("value->>%d AS %s", c, col.name)
	}
	return fmt.Sprintf("(SELECT %s FROM json_each($%d)) AS v", strings.Join(sel, ", "), n), []any{mustJSON(rows)}
}

func (sqlite) nextTxnID() string { return `(SELECT COALESCE(MAX(id), 0) + 1 FROM transactions)` }

func (sqlite) retryable(err error) bool {
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func (sqlite) unique(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only ints and strings reach here
	}
	return string(b)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlite knows its file: migrations lock beside it, backups copy it.
type sqlite struct{ path string }

func (sqlite) name() string                { return "sqlite" }
func (sqlite) gooseDialect() goose.Dialect { return goose.DialectSQLite3 }

// backup is VACUUM INTO: one read transaction, so the copy is the database
// as of one commit while the writer goes on (WAL lets it), and the copy is
// compact. SQLite refuses a target that exists; the copy is synced to disk
// before it counts.
func (sqlite) backup(ctx context.Context, db *sql.DB, to string) error {
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		return err
	}
	f, err := os.Open(to)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// migrationLocker locks a file beside the database. SQLite's own locks
// last one transaction, and each migration is one, so two processes
// migrating a fresh file would both apply the first migration.
func (d sqlite) migrationLocker(context.Context, *sql.DB) (lock.SessionLocker, error) {
	return &fileLocker{path: d.path + ".migrate-lock"}, nil
}

// forUpdate and forNoKeyUpdate are empty: a write transaction is BEGIN
// IMMEDIATE, which already excludes every other writer.
func (sqlite) forUpdate() string      { return "" }
func (sqlite) forNoKeyUpdate() string { return "" }

// relaxCommit does nothing: synchronous is a connection's setting, and
// the one write connection keeps FULL for money.
func (sqlite) relaxCommit(context.Context, *sql.Tx) error { return nil }

func (sqlite) list(n int, _ string, vals any) (string, any) {
	return fmt.Sprintf("(SELECT value AS v FROM json_each($%d))", n), mustJSON(vals)
}

func (d sqlite) among(key string, n int, pgType string, vals any) (string, any) {
	set, arg := d.list(n, pgType, vals)
	return key + ` IN ` + set, arg
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

// maxWriters is 1: SQLite has one writer, and the writer's transaction
// holds it throughout.
func (sqlite) maxWriters() int { return 1 }

// idSteps take MAX+1 onwards for transactions and transfers: the
// writer's transaction is exclusive, so those ids are its alone. Event ids
// come from their counter, which retention never sets back.
func (sqlite) idSteps(nTxns, nTransfers, nEvents int, ids *newIDs) []step {
	steps := []step{{what: "allocate ids", sql: `SELECT (SELECT COALESCE(MAX(id), 0) FROM transactions), (SELECT COALESCE(MAX(id), 0) FROM transfers)`,
		row: func(s scanner) error {
			var maxTxn, maxTransfer int64
			err := s.Scan(&maxTxn, &maxTransfer)
			ids.txns = append(ids.txns, idRun(maxTxn+1, nTxns)...)
			ids.transfers = append(ids.transfers, idRun(maxTransfer+1, nTransfers)...)
			return err
		}}}
	if nEvents > 0 {
		steps = append(steps, step{what: "allocate event ids", sql: `UPDATE event_ids SET last = last + $1 RETURNING last`, args: []any{nEvents},
			row: func(s scanner) error {
				var last int64
				err := s.Scan(&last)
				ids.events = append(ids.events, idRun(last-int64(nEvents)+1, nEvents)...)
				return err
			}})
	}
	return steps
}

// idsAhead is 0: MAX+1 ids are right only for a batch that takes them
// all at once, and asking costs no round trip.
func (sqlite) idsAhead(int) int { return 0 }

// idRun is n ids from first on.
func idRun(first int64, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
	}
	return ids
}

func (sqlite) lastEventID(ctx context.Context, db *sql.DB) (int64, error) {
	var last int64
	err := db.QueryRowContext(ctx, `SELECT last FROM event_ids`).Scan(&last)
	return last, err
}

// eventIDHolders is none: the single writer commits ids in order, and
// db (the writes pool) is its one connection, so no transaction that
// took an id is open while db answers.
func (sqlite) eventIDHolders(context.Context, *sql.DB) ([]string, error) { return nil, nil }

// writeSteps are one statement per write: SQLite is in process, so
// extra statements cost no round trips.
func (d sqlite) writeSteps(writes []write) []step {
	var steps []step
	for _, wr := range writes {
		if len(wr.rows) == 0 {
			continue
		}
		q, a := wr.sql(d, 1)
		steps = append(steps, step{what: "write " + wr.table, sql: q, args: a})
	}
	return steps
}

// session runs on the one write connection through database/sql.
func (sqlite) session(ctx context.Context, db *sql.DB, fn func(session) error) error {
	return txSessionOn(ctx, db, fn)
}

// queryPlannedOnce just queries: SQLite's plans are cheap to make and
// have no partitions to prune.
func (sqlite) queryPlannedOnce(ctx context.Context, db *sql.DB, st step) error {
	return queryStep(ctx, db, st)
}

// SQLite has no partitions: history tables are plain tables, and folded
// months are deleted row by row after the fold (deleteFolded).
func (sqlite) createPartitions(context.Context, *sql.DB, []time.Time) error { return nil }
func (sqlite) dropPartitions(context.Context, *sql.Tx, time.Time) error     { return nil }
func (sqlite) missingPartition(error) bool                                  { return false }

// deleteFolded deletes the rows of folded months, a bounded batch per
// transaction, so the single writer is never held for long.
func (sqlite) deleteFolded(ctx context.Context, db *sql.DB) error {
	for _, table := range []string{"entries", "transactions"} { // entries reference transactions
		for {
			res, err := db.ExecContext(ctx, `DELETE FROM `+table+` WHERE id IN (SELECT id FROM `+table+` WHERE created_at < `+retentionBoundary+` LIMIT 5000)`)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				break
			}
		}
	}
	return nil
}

// expiryBatch is small: each batch holds the single writer, so the
// writer's batches wait for it (about 10 ms for 1,000 keys).
func (sqlite) expiryBatch() int { return 1000 }

// amongRows is IN: SQLite looks each value of the subquery up in key's
// index.
func (sqlite) amongRows(key, sub string) string { return key + ` IN (` + sub + `)` }

// rowID is the rowid every table but a WITHOUT ROWID one has.
func (sqlite) rowID() string { return "rowid" }

// unavailable: another connection held the database past busy_timeout.
func (sqlite) unavailable(err error) bool {
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

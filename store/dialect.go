package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// dialect is the seam for the few places PostgreSQL and SQLite differ:
// passing a list or a table of values as one parameter, row locks, id
// allocation, how a batch's writes are sent, monthly partitions, and
// error classification. Everything else is shared SQL; postgres.go and
// sqlite.go are the two implementations.
type dialect interface {
	name() string
	gooseDialect() goose.Dialect
	// migrationLocker is the lock Migrate holds, so that concurrent
	// migrations of one database take turns.
	migrationLocker(ctx context.Context, db *sql.DB) (lock.SessionLocker, error)
	// backup writes a consistent copy of the live database to the file to
	// (backup.go).
	backup(ctx context.Context, db *sql.DB, to string) error
	// list returns SQL for a one-column set "(SELECT … AS v)" of the values
	// in the parameter $n, and the argument to pass for it.
	list(n int, pgType string, vals any) (string, any)
	// among returns a condition "key is one of the values in the
	// parameter $n", and the argument to pass for it.
	among(key string, n int, pgType string, vals any) (string, any)
	// table returns SQL for a derived table "v(cols…)" over rows, each row
	// one value per column, passed as parameters starting at $n.
	table(n int, cols []column, rows [][]any) (string, []any)
	// forUpdate is appended to a SELECT that must lock its rows.
	forUpdate() string
	// forNoKeyUpdate locks rows only to take turns on them: unlike
	// forUpdate, it does not block the foreign-key checks of inserts
	// that refer to them (the writer's transfers refer to users).
	forNoKeyUpdate() string
	// relaxCommit lets tx commit without waiting for its log to reach
	// disk (PostgreSQL's synchronous_commit off; SQLite: nothing), for
	// state whose last moments a crash may lose, never money.
	relaxCommit(ctx context.Context, tx *sql.Tx) error
	// retryable reports whether a transaction that failed with err may
	// succeed if run again (serialization failure, deadlock, busy).
	retryable(err error) bool
	// unavailable reports whether err means the database did not answer
	// in time (see Unavailable).
	unavailable(err error) bool
	// unique reports whether err is a unique-constraint violation.
	unique(err error) bool
	// nextTxnID is an SQL expression for one new transaction id, for the
	// naive baseline (the writer allocates ids in bulk).
	nextTxnID() string
	// maxWriters caps the writer's concurrent batches (0: no cap).
	maxWriters() int
	// idSteps reserve nTxns transaction ids, nTransfers transfer ids and
	// nEvents event ids into ids, in a writer batch's transaction or
	// another (InsertEvents), after those ids already holds.
	idSteps(nTxns, nTransfers, nEvents int, ids *newIDs) []step
	// idsAhead is how many transaction and event ids a writer batch of n
	// commands reserves in its lock-and-load exchange, with a transfer id
	// for each command that may create one, before it knows how many it
	// needs (0: none; it takes them once it knows, in one more exchange).
	idsAhead(n int) int
	// lastEventID is the last event id handed out (0 for none), read on db.
	lastEventID(ctx context.Context, db *sql.DB) (int64, error)
	// eventIDHolders are the open transactions that took event ids (see
	// FenceSnapshot), read on db.
	eventIDHolders(ctx context.Context, db *sql.DB) ([]string, error)
	// writeSteps are the statements of the writes that have rows (see
	// sqlwrite.go).
	writeSteps(writes []write) []step
	// session runs fn in one transaction of db for a writer batch
	// (session.go), rolled back unless fn commits it.
	session(ctx context.Context, db *sql.DB, fn func(session) error) error
	// queryPlannedOnce runs the read st on db with a plan each connection
	// makes once and reuses whatever the arguments (History's page).
	queryPlannedOnce(ctx context.Context, db *sql.DB, st step) error

	// History is kept by month (retention.go). createPartitions prepares
	// the months starting at months for writes, dropPartitions removes a folded
	// month's rows in the fold's transaction, and deleteFolded removes
	// the rows of folded months that dropPartitions could not.
	createPartitions(ctx context.Context, db *sql.DB, months []time.Time) error
	dropPartitions(ctx context.Context, tx *sql.Tx, m time.Time) error
	deleteFolded(ctx context.Context, db *sql.DB) error
	// missingPartition reports whether err is a write into a month that
	// has no partition yet.
	missingPartition(err error) bool
	// expiryBatch bounds the rows one retention DELETE removes
	// (expiry.go): each batch is its own short transaction, so the
	// writer waits for one batch at most, never for the whole backlog.
	expiryBatch() int
	// amongRows is a condition: key is one of the values the one-column
	// subquery sub selects, found by key's index whatever the table's size.
	amongRows(key, sub string) string
	// rowID is the column naming a row physically, for amongRows on a
	// table whose key has two columns; rows it names are never updated
	// between finding them and deleting them in the same statement.
	rowID() string
}

// column names one column of a derived table and its PostgreSQL type.
type column struct {
	name, pgType string
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only ints and strings reach here
	}
	return string(b)
}

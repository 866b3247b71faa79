package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Unavailable reports whether err means the database did not answer in
// time — down, restarting, failing over, refusing or dropping
// connections, out of connections, or stalled behind a lock — rather than
// a fault of the statement: the same work may succeed later, so it is
// answered 503 and never retried command by command. A connection that
// ends mid-answer (EOF: its server process was killed, or exited when its
// postmaster died, without a word) is one.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	// A pooled connection the server (or the network) closed: pgx reports
	// its first use as closed.
	if errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ne) || errors.As(err, &ce) || pgconn.Timeout(err) {
		return true
	}
	return postgres{}.unavailable(err) || sqlite{}.unavailable(err)
}

// Ready checks that the database serves this build: it takes the lock a
// writer batch takes on accounts within ctx's deadline (a locked table or
// a database that does not answer fails), and its schema is at least at the
// version this build migrates to (a newer one, during a rolling deploy,
// is what a newer server, migrating first in a rolling deploy, leaves).
func (db *DB) Ready(ctx context.Context) error {
	if err := db.probeWrite(ctx); err != nil {
		return fmt.Errorf("the database did not take a write lock in time: %w", err)
	}
	return db.CheckSchema(ctx)
}

// probeWrite opens a write transaction and locks on accounts what a batch
// would, touching no row (id 0 does not exist), then rolls back. SQLite's
// write transaction is BEGIN IMMEDIATE: it waits for any other writer.
func (db *DB) probeWrite(ctx context.Context) error {
	tx, err := db.writes.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE id = 0`+db.dialect.forUpdate()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// Collectors are the connection pools' statistics (go_sql_*, labelled
// db_name: "pool" on PostgreSQL, where reads and writes share one;
// "writes" and "reads" on SQLite).
func (db *DB) Collectors() []prometheus.Collector {
	if db.writes == db.reads {
		return []prometheus.Collector{collectors.NewDBStatsCollector(db.writes, "pool")}
	}
	return []prometheus.Collector{collectors.NewDBStatsCollector(db.writes, "writes"), collectors.NewDBStatsCollector(db.reads, "reads")}
}

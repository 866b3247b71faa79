package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

type postgres struct{}

func (postgres) name() string                { return "postgres" }
func (postgres) gooseDialect() goose.Dialect { return goose.DialectPostgres }
func (postgres) forUpdate() string           { return " FOR UPDATE" }
func (postgres) forNoKeyUpdate() string      { return " FOR NO KEY UPDATE" }

func (postgres) relaxCommit(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`)
	return err
}

func (postgres) backup(context.Context, *sql.DB, string) error {
	return errors.New("minipay backs up SQLite files only: back up PostgreSQL with its own tools, pg_dump (a logical copy) or pg_basebackup (a physical one, for point-in-time recovery with WAL archiving)")
}

// migrationLocker is a session advisory lock keyed by the schema the
// migrations go to: servers sharing a schema take turns, while tests, each
// in a schema of their own, do not wait for each other.
func (postgres) migrationLocker(ctx context.Context, db *sql.DB) (lock.SessionLocker, error) {
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte("minipay migrations " + schema))
	return lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, lockWait))
}

func (postgres) list(n int, pgType string, vals any) (string, any) {
	return fmt.Sprintf("(SELECT unnest($%d::%s[]) AS v)", n, pgType), vals
}

// among compares key with the array itself: an index scan of key's
// index looks the values up in key order, where "key IN (SELECT
// unnest(…))" plans a hash of the values, a join and, for ORDER BY key,
// a sort (a batch's locking SELECT: EXPLAIN, perf; README "PostgreSQL's
// CPU per transfer").
func (postgres) among(key string, n int, pgType string, vals any) (string, any) {
	return fmt.Sprintf("%s = ANY ($%d::%s[])", key, n, pgType), vals
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
		args[c] = pgColumn(rows, c, col.pgType)
	}
	return fmt.Sprintf("unnest(%s) AS v(%s)", strings.Join(params, ", "), strings.Join(names, ", ")), args
}

// pgColumn is column c of rows as one array parameter of type pgType,
// typed when its values are all int64 (bigint) or all strings (text),
// NULLs aside: pgx encodes []int64, []string and a FlatArray of nullable
// values without reflection, a []any element by element through reflect,
// about a tenth of the writer's CPU in a profile (BenchmarkWriterWAL
// -cpuprofile). The type follows the column, not the values, so a column
// of NULLs only still gets its own.
func pgColumn(rows [][]any, c int, pgType string) any {
	var ints, texts, nulls int
	for _, row := range rows {
		switch row[c].(type) {
		case int64:
			ints++
		case string:
			texts++
		case nil:
			nulls++
		}
	}
	switch {
	case pgType == "bigint" && ints == len(rows):
		return typedColumn(rows, c, func(v any) int64 { return v.(int64) })
	case pgType == "bigint" && ints+nulls == len(rows):
		return pgtype.FlatArray[pgtype.Int8](typedColumn(rows, c, func(v any) pgtype.Int8 { i, ok := v.(int64); return pgtype.Int8{Int64: i, Valid: ok} }))
	case pgType == "text" && texts == len(rows):
		return typedColumn(rows, c, func(v any) string { return v.(string) })
	case pgType == "text" && texts+nulls == len(rows):
		return pgtype.FlatArray[pgtype.Text](typedColumn(rows, c, func(v any) pgtype.Text { t, ok := v.(string); return pgtype.Text{String: t, Valid: ok} }))
	}
	return typedColumn(rows, c, func(v any) any { return v })
}

func typedColumn[T any](rows [][]any, c int, conv func(any) T) []T {
	out := make([]T, len(rows))
	for r, row := range rows {
		out[r] = conv(row[c])
	}
	return out
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

// maxWriters is 0: batches that touch the same account serialise on its
// row lock, disjoint ones overlap their round trips.
func (postgres) maxWriters() int { return 0 }

// idSteps take the ids from the sequences. Taking an event id locks
// events_id_seq until the transaction ends, which EventFence relies on.
func (postgres) idSteps(nTxns, nTransfers, nEvents int, ids *newIDs) []step {
	return []step{{what: "allocate ids", sql: `SELECT 0, nextval('transactions_id_seq') FROM generate_series(1, $1)
		UNION ALL SELECT 1, nextval('transfers_id_seq') FROM generate_series(1, $2)
		UNION ALL SELECT 2, nextval('events_id_seq') FROM generate_series(1, $3)`,
		args: []any{nTxns, nTransfers, nEvents}, row: func(s scanner) error {
			var kind int
			var id int64
			if err := s.Scan(&kind, &id); err != nil {
				return err
			}
			switch kind {
			case 0:
				ids.txns = append(ids.txns, id)
			case 1:
				ids.transfers = append(ids.transfers, id)
			default:
				ids.events = append(ids.events, id)
			}
			return nil
		}}}
}

// idsAhead is one transaction id and one event id per command and an
// eighth more (most commands record one transaction and one event; a
// batch that needs more takes them in one more round trip), and a
// transfer id for each command that may create a transfer. Ids a batch
// leaves unused are gaps, as a rolled-back batch leaves: event ids must
// be taken in the transaction that uses them (EventFence), and a
// transaction's or a transfer's id handed to a later batch would break
// the order of a user's ids.
func (postgres) idsAhead(n int) int { return n + n/8 + 1 }

func (postgres) lastEventID(ctx context.Context, db *sql.DB) (int64, error) {
	var last int64
	var called bool
	err := db.QueryRowContext(ctx, `SELECT last_value, is_called FROM events_id_seq`).Scan(&last, &called)
	if !called {
		last = 0
	}
	return last, err
}

// eventIDHolders are the transactions that hold this schema's
// events_id_seq in RowExclusiveLock, by virtual transaction id: nextval
// takes that lock before it hands out an id and keeps it to the end of
// the transaction. pg_locks shows any role every lock.
func (postgres) eventIDHolders(ctx context.Context, db *sql.DB) ([]string, error) {
	var vxids sql.NullString
	err := db.QueryRowContext(ctx, `SELECT string_agg(virtualtransaction, ',') FROM pg_locks
		WHERE locktype = 'relation' AND relation = 'events_id_seq'::regclass
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND mode = 'RowExclusiveLock'`).Scan(&vxids)
	if err != nil || !vxids.Valid {
		return nil, err
	}
	return strings.Split(vxids.String, ","), nil
}

// writeSteps are one statement of data-modifying CTEs: the server runs
// it whole while the batch holds its row locks, whatever the number of
// tables. So no write may depend on another's effect except through
// foreign keys, which are checked at the end of the statement.
func (d postgres) writeSteps(writes []write) []step {
	var parts []string
	var args []any
	for _, wr := range writes {
		if len(wr.rows) == 0 {
			continue
		}
		q, a := wr.sql(d, len(args)+1)
		parts = append(parts, fmt.Sprintf("w%d AS (%s)", len(parts), q))
		args = append(args, a...)
	}
	if len(parts) == 0 {
		return nil
	}
	return []step{{what: "write batch", sql: `WITH ` + strings.Join(parts, ",\n") + ` SELECT 1`, args: args}}
}

// session is a pgx session (pgsession.go): one round trip per exchange.
func (postgres) session(ctx context.Context, db *sql.DB, fn func(session) error) error {
	return pgSessionOn(ctx, db, fn)
}

// queryPlannedOnce runs st in a pgx session, whose plan is generic (see
// pgSession), one round trip with BEGIN and COMMIT. On a generic plan
// PostgreSQL prunes the monthly partitions when the plan starts, where
// the default (five custom plans, then maybe generic) plans every
// partition of every partitioned table the statement names on each call
// — 2.5 ms for a history page that runs in 0.5.
func (postgres) queryPlannedOnce(ctx context.Context, db *sql.DB, st step) error {
	return pgSessionOn(ctx, db, func(s session) error {
		return s.exchange(ctx, []step{st}, true)
	})
}

// createPartitions creates the months' partitions of the history tables
// that do not exist yet, in one transaction under an advisory lock of the
// schema: servers starting at once on a fresh database queue behind the
// first instead of racing it (the loser of a race fails on the catalog's
// unique index, an error in the server log). Once the partitions exist
// it runs no DDL at all.
func (postgres) createPartitions(ctx context.Context, db *sql.DB, months []time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.history_partitions'))`); err != nil {
		return fmt.Errorf("lock history partitions: %w", err)
	}
	for _, m := range months {
		for _, table := range partitionedTables {
			name := table + "_p" + m.Format("200601")
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
				return err
			}
			if exists {
				continue
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%d) TO (%d)`,
				name, table, micros(m), micros(m.AddDate(0, 1, 0)))); err != nil {
				return fmt.Errorf("create partition %s: %w", name, err)
			}
		}
	}
	return tx.Commit()
}

// dropPartitions drops a folded month whole: cheaper than deleting rows.
func (postgres) dropPartitions(ctx context.Context, tx *sql.Tx, m time.Time) error {
	for _, table := range partitionedTables {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DROP TABLE IF EXISTS %s_p%s`, table, m.Format("200601"))); err != nil {
			return err
		}
	}
	return nil
}

// deleteFolded has nothing to do: dropPartitions removed the rows.
func (postgres) deleteFolded(context.Context, *sql.DB) error { return nil }

func (postgres) missingPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && strings.Contains(pe.Message, "no partition")
}

// expiryBatch can be large: a DELETE locks only the rows it deletes, which
// no writer wants.
func (postgres) expiryBatch() int { return 5000 }

// amongRows compares key with an array of the subquery's values, which
// PostgreSQL looks up in key's index. Given "key IN (sub)" it planned a
// hash semi join over a sequential scan of the whole table, once per
// batch, for tables of 300,000 and 1,000,000 rows (EXPLAIN; README).
func (postgres) amongRows(key, sub string) string { return key + ` = ANY (ARRAY(` + sub + `))` }

// rowID is ctid, which a TID scan looks up.
func (postgres) rowID() string { return "ctid" }

// unavailable: a statement canceled by statement_timeout or a deadline, a
// lock not granted within lock_timeout, no free connection, a lost
// connection, a server shutting down or still starting, or a standby
// refusing writes after a failover.
func (postgres) unavailable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "57014", "55P03", "53300", "57P01", "57P02", "57P03", "25006":
		return true
	}
	return strings.HasPrefix(pe.Code, "08")
}

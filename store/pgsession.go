package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgSession is a writer batch's transaction on one pgx connection taken
// from the database/sql pool (so the pool's size, timeouts and health
// checks still hold). Each exchange is one pgx.Batch: the statements go
// out in one write, pipelined, with one Sync at the end, and their
// replies come back in one read — one round trip, BEGIN and COMMIT
// included. A statement that fails makes the server skip the rest of
// the exchange (COMMIT too), leaving the transaction aborted for the
// rollback.
//
// Its statements are planned generically (plan_cache_mode, SET LOCAL:
// for this transaction only): pgx prepares each once per connection, and
// PostgreSQL then plans it once too. Under the default (custom plans
// until a generic one looks no dearer) the writer's batches planned their
// statements again and again: 5 % of the server's CPU per transfer
// (perf, README "PostgreSQL's CPU per transfer"). The array parameters
// make every batch size the same generic plan (unnest is estimated at 10
// rows), and a history page prunes its partitions when the plan starts
// instead of planning every month's (queryPlannedOnce).
type pgSession struct {
	conn  *pgx.Conn
	begun bool
}

func (s *pgSession) exchange(ctx context.Context, steps []step, commit bool) error {
	var b pgx.Batch
	if !s.begun {
		b.Queue("BEGIN")
		b.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
		s.begun = true
	}
	done := 0 // steps whose reply was read, to name the one that failed
	for _, st := range steps {
		q := b.Queue(st.sql, st.args...)
		if st.row == nil {
			q.Exec(func(pgconn.CommandTag) error { done++; return nil })
			continue
		}
		q.Query(func(rows pgx.Rows) error {
			for rows.Next() {
				if err := st.row(rows); err != nil {
					return err
				}
			}
			done++
			return rows.Err()
		})
	}
	if commit {
		b.Queue("COMMIT")
	}
	if err := s.conn.SendBatch(ctx, &b).Close(); err != nil {
		if done < len(steps) {
			return fmt.Errorf("%s: %w", steps[done].what, err)
		}
		return err
	}
	return nil
}

// pgSessionOn runs fn in a pgx session on a connection of db. If fn
// fails with the transaction still open, it is rolled back under a
// deadline of its own (fn may have failed because ctx ended); a
// connection that cannot roll back is closed, and the pool drops it.
func pgSessionOn(ctx context.Context, db *sql.DB, fn func(session) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		err := fn(&pgSession{conn: pc})
		if err == nil || pc.IsClosed() || pc.PgConn().TxStatus() == 'I' {
			return err
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if _, rerr := pc.Exec(rctx, "ROLLBACK"); rerr != nil {
			pc.Close(rctx)
		}
		return err
	})
}

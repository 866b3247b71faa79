package histbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"minipay/tools/latency"
)

// removal is the measurement of removing one month: a bulk DELETE against
// dropping the month's partitions.
type removal struct {
	month               string
	entries, txns       int64
	del, drop, vacuum   latency.Histogram
	delWAL, dropWAL     []int64
	delExplain, dropSQL string
}

// Scratch copies: the month is removed from copies of its partitions, so
// the generated history stays whole for --reuse and later runs.
const (
	scratchEntries = "histbench_entries"
	scratchTxns    = "histbench_transactions"
)

// removeMonth copies the oldest month of entries and transactions into
// scratch partitioned tables built LIKE the real ones (same columns, keys
// and indexes; one partition each), then, cfg.DropRuns times: reloads the
// copy, VACUUMs it and CHECKPOINTs (a settled month, as retention finds
// it), and times `DELETE … WHERE created_at in the month` on both tables
// in one transaction, with the VACUUM the DELETE leaves owing timed
// apart; reloads it again and times DROP TABLE of both partitions in one
// transaction, as store's retention does after folding the month. The
// fold into retained_balances precedes either way and is not measured.
func (b *bench) removeMonth(ctx context.Context) (*removal, error) {
	conn, err := b.pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	m := monthStart(b.data.Start, b.loc)
	lo, hi := m.UnixMicro(), m.AddDate(0, 1, 0).UnixMicro()
	r := &removal{month: m.Format("2006-01")}
	exec := func(query string, args ...any) error {
		if _, err := conn.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("%.60s…: %w", query, err)
		}
		return nil
	}
	lsn := func() (string, error) {
		var l string
		err := conn.QueryRowContext(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&l)
		return l, err
	}
	walSince := func(from string) (int64, error) {
		var n int64
		err := conn.QueryRowContext(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint`, from).Scan(&n)
		return n, err
	}
	cleanup := func() error { return exec(`DROP TABLE IF EXISTS ` + scratchEntries + `, ` + scratchTxns) }
	load := func() error {
		if err := cleanup(); err != nil {
			return err
		}
		for _, t := range []struct{ scratch, real string }{{scratchTxns, "transactions"}, {scratchEntries, "entries"}} {
			if err := exec(fmt.Sprintf(`CREATE TABLE %s (LIKE %s INCLUDING ALL) PARTITION BY RANGE (created_at)`, t.scratch, t.real)); err != nil {
				return err
			}
			if err := exec(fmt.Sprintf(`CREATE TABLE %[1]s_p PARTITION OF %[1]s FOR VALUES FROM (%d) TO (%d)`, t.scratch, lo, hi)); err != nil {
				return err
			}
			if err := exec(fmt.Sprintf(`INSERT INTO %s SELECT * FROM %s WHERE created_at >= $1 AND created_at < $2 ORDER BY id`, t.scratch, t.real), lo, hi); err != nil {
				return err
			}
			if err := exec(`VACUUM (ANALYZE) ` + t.scratch + `_p`); err != nil {
				return err
			}
		}
		return exec(`CHECKPOINT`)
	}
	defer cleanup()
	if err := b.pool.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM entries WHERE created_at >= $1 AND created_at < $2),
		(SELECT COUNT(*) FROM transactions WHERE created_at >= $1 AND created_at < $2)`, lo, hi).Scan(&r.entries, &r.txns); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.cfg.Out, "removing month %s (%d entries, %d transactions) from a copy: DELETE vs DROP, %d runs each…\n",
		r.month, r.entries, r.txns, b.cfg.DropRuns)
	inTx := func(fn func(tx *sql.Tx) error) (time.Duration, int64, error) {
		from, err := lsn()
		if err != nil {
			return 0, 0, err
		}
		t0 := time.Now()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return 0, 0, err
		}
		if err := fn(tx); err != nil {
			tx.Rollback()
			return 0, 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, 0, err
		}
		took := time.Since(t0)
		wal, err := walSince(from)
		return took, wal, err
	}
	for i := range b.cfg.DropRuns {
		if err := load(); err != nil {
			return nil, err
		}
		took, wal, err := inTx(func(tx *sql.Tx) error {
			for _, t := range []string{scratchEntries, scratchTxns} {
				var raw []byte
				if err := tx.QueryRowContext(ctx, `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) DELETE FROM `+t+` WHERE created_at >= $1 AND created_at < $2`, lo, hi).Scan(&raw); err != nil {
					return err
				}
				if i == 0 && t == scratchEntries {
					var out []explained
					if err := json.Unmarshal(raw, &out); err != nil {
						return err
					}
					r.delExplain = out[0].summary()
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("delete: %w", err)
		}
		t0 := time.Now()
		if err := exec(`VACUUM ` + scratchEntries + `_p, ` + scratchTxns + `_p`); err != nil {
			return nil, err
		}
		vacuum, delTook, delWAL := time.Since(t0), took, wal
		r.del.Record(took)
		r.vacuum.Record(vacuum)
		r.delWAL = append(r.delWAL, wal)

		if err := load(); err != nil {
			return nil, err
		}
		r.dropSQL = `DROP TABLE ` + scratchEntries + `_p, ` + scratchTxns + `_p`
		took, wal, err = inTx(func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, r.dropSQL)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("drop: %w", err)
		}
		r.drop.Record(took)
		r.dropWAL = append(r.dropWAL, wal)
		fmt.Fprintf(b.cfg.Out, "  run %d: DELETE %v (+ VACUUM %v, WAL %d MB), DROP %v (WAL %d kB)\n", i+1,
			delTook.Round(time.Millisecond), vacuum.Round(time.Millisecond), delWAL>>20, took.Round(10*time.Microsecond), wal>>10)
	}
	return r, nil
}

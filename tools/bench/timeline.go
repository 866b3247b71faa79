package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"minipay/store"
	"minipay/tools/latency"
)

// A timeline prints an open-loop step second by second, beside what the
// process and the database did in that second, so a step whose p99 jumps
// shows what its slow second coincided with: a garbage collection, a
// writer batch grown large, a checkpoint, a burst of session writes.

// sample is the running totals read once a second.
type sample struct {
	gcs                  uint32
	gcPause              time.Duration
	batches, commands    uint64
	batchSeconds         float64
	checkpoints          int64 // PostgreSQL only, as the rest of its row
	walBytes, sessionUpd int64
	// waits are this database's backends by what they wait on at the
	// sample ("CPU" when running), e.g. "IO:WALSync 2 CPU 1".
	waits string
}

// sampler reads samples: the Go runtime's, the writer's metrics (gathered
// from store.Collectors) and, on PostgreSQL, pg_stat_bgwriter, the WAL
// position and the updates to sessions.
type sampler struct {
	writer *prometheus.Registry
	pg     *sql.DB // nil on SQLite
}

func newSampler(pg *sql.DB) *sampler {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(store.Collectors...)
	return &sampler{writer: reg, pg: pg}
}

func (s *sampler) read() sample {
	var gc debug.GCStats
	debug.ReadGCStats(&gc)
	out := sample{gcs: uint32(gc.NumGC), gcPause: gc.PauseTotal}
	families, _ := s.writer.Gather()
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch h := m.GetHistogram(); f.GetName() {
			case "minipay_writer_batch_commands":
				out.batches, out.commands = h.GetSampleCount(), uint64(h.GetSampleSum())
			case "minipay_writer_batch_seconds":
				out.batchSeconds = h.GetSampleSum()
			}
		}
	}
	if s.pg != nil {
		// Statistics reach the views when a backend reports them (about
		// once a second while busy): a count may land a second late.
		s.pg.QueryRow(`SELECT (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),
			(pg_current_wal_lsn() - '0/0')::bigint,
			(SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables WHERE relname = 'sessions' AND schemaname = current_schema())`).
			Scan(&out.checkpoints, &out.walBytes, &out.sessionUpd)
		s.pg.QueryRow(`SELECT coalesce(string_agg(w || ' ' || n, ' ' ORDER BY n DESC), '') FROM (
			SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w, count(*) AS n FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1) t`).Scan(&out.waits)
	}
	return out
}

// watch samples every second from now until stop is closed.
func (s *sampler) watch(stop <-chan struct{}) <-chan []sample {
	out := make(chan []sample, 1)
	go func() {
		samples := []sample{s.read()}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				out <- append(samples, s.read())
				return
			case <-tick.C:
				samples = append(samples, s.read())
			}
		}
	}()
	return out
}

// printTimeline writes a step's seconds: its requests by the second they
// were scheduled in, and what changed between samples i and i+1.
func printTimeline(w io.Writer, secs []latency.Histogram, samples []sample) {
	fmt.Fprintf(w, "    %3s %6s %9s %9s %9s | %3s %8s | %7s %6s %8s | %4s %8s %5s %s\n",
		"s", "n", "p50", "p99", "max", "gc", "pause", "batches", "cmds/b", "batch ms", "ckpt", "WAL kB", "sess", "waits")
	for i, h := range secs {
		var a, b sample
		if i+1 < len(samples) {
			a, b = samples[i], samples[i+1]
		}
		batches := b.batches - a.batches
		perBatch, batchMS := 0.0, 0.0
		if batches > 0 {
			perBatch = float64(b.commands-a.commands) / float64(batches)
			batchMS = (b.batchSeconds - a.batchSeconds) * 1000 / float64(batches)
		}
		fmt.Fprintf(w, "    %3d %6d %9v %9v %9v | %3d %8v | %7d %6.1f %8.2f | %4d %8d %5d %s\n", i, h.Count(),
			round(h.Quantile(.5)), round(h.Quantile(.99)), round(h.Max()),
			b.gcs-a.gcs, round(b.gcPause-a.gcPause), batches, perBatch, batchMS,
			b.checkpoints-a.checkpoints, (b.walBytes-a.walBytes)>>10, b.sessionUpd-a.sessionUpd, b.waits)
	}
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// openSampler opens what a timeline samples for the database at dbURL.
func openSampler(ctx context.Context, db *store.DB, dbURL string) (*sampler, func(), error) {
	if db.Dialect() != "postgres" {
		return newSampler(nil), func() {}, nil
	}
	pg, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, nil, err
	}
	pg.SetMaxOpenConns(1)
	return newSampler(pg), func() { pg.Close() }, pg.PingContext(ctx)
}

package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"minipay/clock"
	"minipay/store"
)

// LoadConfig says what RunLoad measures: POST /v1/transfers through HTTP,
// open-loop (the highest rate held) and closed-loop (Clients at once).
type LoadConfig struct {
	// DatabaseURL is where each run gets a fresh database: beside the
	// file of sqlite:PATH, or a new schema (dropped after the run) in the
	// database of a postgres:// URL.
	DatabaseURL string
	Runs        int
	Accounts    int // users seeded per run
	Workers     int // writer batches in flight
	// An open-loop rate holds when every request succeeds with the 99th
	// percentile within Target. Rates start at StartRate, double until one
	// fails (or MaxRate holds), then are bisected down to Resolution; each
	// is held for Step. MaxWorkers bounds requests in flight.
	Target                         time.Duration
	StartRate, Resolution, MaxRate int
	Step                           time.Duration
	MaxWorkers                     int
	// Clients are the closed-loop client counts, each run for
	// ClientDuration.
	Clients        []int
	ClientDuration time.Duration
	// Cold skips warm: the server's caches start empty, as after a
	// restart.
	Cold bool
	// Timeline prints every open-loop step second by second (timeline.go).
	Timeline bool
	Out      io.Writer // progress lines
}

// Line is one number of the report: a rate and its latency.
type Line struct {
	Name      string
	PerSecond float64
	P99       time.Duration
}

// RunLoad measures cfg.Runs fresh databases and returns each run's lines,
// in the same order every run.
func RunLoad(ctx context.Context, cfg LoadConfig) ([][]Line, error) {
	var runs [][]Line
	for run := range cfg.Runs {
		dbURL, drop, err := freshDatabase(ctx, cfg.DatabaseURL, run)
		if err != nil {
			return runs, err
		}
		fmt.Fprintf(cfg.Out, "run %d of %d\n", run+1, cfg.Runs)
		lines, err := loadRun(ctx, cfg, dbURL)
		drop()
		if err != nil {
			return runs, err
		}
		runs = append(runs, lines)
	}
	return runs, nil
}

// loadRun seeds a fresh database, serves the API on it and measures.
func loadRun(ctx context.Context, cfg LoadConfig, dbURL string) ([]Line, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	clk, loc := clock.System{}, clock.Seoul
	w := store.NewWriter(db, clk, loc, store.WriterConfig{Workers: cfg.Workers, BatchTimeout: time.Hour})
	defer w.Close()
	fmt.Fprintf(cfg.Out, "  seeding %d users on %s…\n", cfg.Accounts, db.Dialect())
	users, err := seed(ctx, db, w, cfg.Accounts)
	if err != nil {
		return nil, err
	}
	a, err := startAPI(db, w, clk, loc, users, min(len(users)-1, slices.Max(append(cfg.Clients, 1))))
	if err != nil {
		return nil, err
	}
	defer a.close()
	// Recipients are named by username, as people pay each other.
	names := make([][]byte, len(users))
	for i, u := range users {
		names[i] = usernameJSON(u)
	}
	sender := func(rng *rand.Rand) int { return 1 + rng.IntN(len(a.tokens)-1) } // a.tokens[0] is the hot receiver's
	spread := func(rng *rand.Rand) error {
		i, j := sender(rng), rng.IntN(len(users))
		if users[j].ID == a.logins[i].ID {
			j = 0
		}
		return a.transfer(i, names[j], 1+rng.Int64N(100))
	}
	hot := func(rng *rand.Rand) error { return a.transfer(sender(rng), names[0], 1+rng.Int64N(100)) }
	if !cfg.Cold {
		if err := warm(a, names); err != nil {
			return nil, err
		}
	}

	var smp *sampler
	if cfg.Timeline {
		var closeSampler func()
		if smp, closeSampler, err = openSampler(ctx, db, dbURL); err != nil {
			return nil, err
		}
		defer closeSampler()
	}
	lines := []Line{cfg.highest("open-loop spread", spread, smp), cfg.highest("open-loop hot", hot, smp)}
	for _, c := range cfg.Clients {
		s := runner{cfg: Config{Concurrency: c, Duration: cfg.ClientDuration, Out: cfg.Out}}
		r := s.run("U spread", fmt.Sprintf("http×%d", c), func(rng *rand.Rand, _ int) error { return spread(rng) })
		if r.Errors > 0 {
			return nil, fmt.Errorf("%d clients: %d transfers failed", c, r.Errors)
		}
		lines = append(lines, Line{Name: fmt.Sprintf("closed-loop %d clients, spread", c), PerSecond: r.PerSecond(), P99: r.P99})
	}
	report, err := db.Audit(ctx)
	if err == nil && len(report.Problems) > 0 {
		err = fmt.Errorf("audit after the run failed: %v", report.Problems)
	}
	return lines, err
}

// warm pays every user once, untimed, before anything is measured. The
// server reads a username's account once and keeps it (api's
// mainAccounts): cold, the first spread-out steps paid up to one database
// read per transfer, and hot ones, naming one receiver, none, so spread
// failed a rate early that it holds once warm, and the search never went
// back to it. Warm, the two are measured alike, as a server that has run
// a while.
func warm(a *liveAPI, names [][]byte) error {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			asGenerator()
			for j := int(next.Add(1) - 1); j < len(names); j = int(next.Add(1) - 1) {
				if i := 1 + j%(len(a.tokens)-1); i != j { // a.tokens[0] is the hot receiver's
					if err := a.transfer(i, names[j], 1); err != nil {
						failed.Store(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return fmt.Errorf("warming up: %w", err)
	}
	return nil
}

// highest searches the highest rate of send that holds and returns it
// with its p99 (zero if even StartRate fails). With smp, each step's
// timeline follows its line.
func (cfg LoadConfig) highest(name string, send func(rng *rand.Rand) error, smp *sampler) Line {
	best := Line{Name: name + fmt.Sprintf(", highest rate with p99 ≤ %v", cfg.Target)}
	highestHeld(cfg.StartRate, cfg.Resolution, cfg.MaxRate, func(rate int) bool {
		var samples <-chan []sample
		stop := make(chan struct{})
		if smp != nil {
			samples = smp.watch(stop)
		}
		st := fire(rate, cfg.Step, cfg.MaxWorkers, smp != nil, send)
		close(stop)
		ok := st.Holds(cfg.Target)
		fmt.Fprintf(cfg.Out, "  %-17s %6d/s: answered %7.0f/s  p50 %-9v p99 %-9v errors %d  CPU/req %v  held: %v\n", name, rate, st.Achieved,
			round(st.P50), round(st.P99), st.Errors, st.CPU.Round(time.Microsecond), ok)
		if smp != nil {
			printTimeline(cfg.Out, st.Seconds, <-samples)
		}
		if ok {
			best.PerSecond, best.P99 = float64(rate), st.P99
		}
		return ok
	})
	return best
}

// Medians is, line by line, the median rate and the median p99 over runs.
func Medians(runs [][]Line) []Line {
	if len(runs) == 0 {
		return nil
	}
	out := slices.Clone(runs[0])
	for i := range out {
		var rates []float64
		var p99s []time.Duration
		for _, r := range runs {
			rates, p99s = append(rates, r[i].PerSecond), append(p99s, r[i].P99)
		}
		out[i].PerSecond, out[i].P99 = median(rates), median(p99s)
	}
	return out
}

// median is the middle value (of an even count, the mean of the two).
func median[T float64 | time.Duration](xs []T) T {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// freshDatabase makes an empty database for one run from base: a new
// directory beside a SQLite file, a new schema in a PostgreSQL database.
// drop removes it.
func freshDatabase(ctx context.Context, base string, run int) (dbURL string, drop func(), err error) {
	if path, ok := strings.CutPrefix(base, "sqlite:"); ok {
		path, _, _ = strings.Cut(path, "?")
		dir, err := os.MkdirTemp(filepath.Dir(path), "bench-load-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "minipay.db"), func() { os.RemoveAll(dir) }, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("bench_load_%d_%d", time.Now().Unix(), run)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	}, nil
}

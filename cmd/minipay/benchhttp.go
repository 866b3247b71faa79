package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"minipay/tools/bench"
)

// runBenchHTTP is `minipay bench-http`: POST /v1/transfers through HTTP,
// open-loop and closed-loop, medians over fresh databases.
func runBenchHTTP(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench-http", flag.ExitOnError)
	dbURL := fs.String("database", "sqlite:bench.db",
		"where each run gets a fresh database: a new directory beside this SQLite file, or a new schema (dropped after) in this PostgreSQL database")
	cfg := bench.LoadConfig{Out: os.Stdout}
	fs.IntVar(&cfg.Runs, "runs", 3, "runs, each on a fresh database; the report is their medians")
	fs.IntVar(&cfg.Accounts, "accounts", 10_000, "users seeded per run (at least 1,000 are logged in and send)")
	fs.IntVar(&cfg.Workers, "writer-workers", 2, "writer batches in flight (PostgreSQL)")
	fs.DurationVar(&cfg.Target, "p99", 50*time.Millisecond, "an open-loop rate holds when every request succeeds with p99 within this")
	fs.IntVar(&cfg.StartRate, "rate-start", 1000, "first open-loop rate (requests/s); rates double until one fails, then are bisected")
	fs.IntVar(&cfg.Resolution, "rate-resolution", 250, "the bisection stops when the held and failed rates are this close")
	fs.IntVar(&cfg.MaxRate, "rate-max", 40_000, "highest open-loop rate tried")
	fs.DurationVar(&cfg.Step, "step-duration", 5*time.Second, "how long each open-loop rate is held")
	fs.IntVar(&cfg.MaxWorkers, "max-in-flight", 5000, "open-loop requests in flight at most; one due beyond it counts as failed")
	clients := fs.String("clients", "100,1000", "closed-loop client counts, comma-separated (empty: none)")
	fs.DurationVar(&cfg.ClientDuration, "client-duration", 5*time.Second, "how long each closed-loop count runs")
	fs.BoolVar(&cfg.Cold, "cold", false, "measure from empty server caches: no untimed pass paying every user first")
	fs.BoolVar(&cfg.Timeline, "timeline", false, "print each open-loop step second by second: latency beside GC, writer batches and (PostgreSQL) checkpoints, WAL and session writes")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	parseFlags(fs, args)
	cfg.DatabaseURL = *dbURL
	for c := range strings.SplitSeq(*clients, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		n, err := strconv.Atoi(c)
		if err != nil || n <= 0 {
			return fmt.Errorf("--clients: %q is not a positive count", c)
		}
		cfg.Clients = append(cfg.Clients, n)
	}
	if cfg.Runs < 1 || cfg.Accounts < 2 || cfg.StartRate < 1 || cfg.Resolution < 1 {
		return fmt.Errorf("bench-http: --runs, --rate-start and --rate-resolution must be positive, --accounts at least 2")
	}
	stop, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stop()

	runs, err := bench.RunLoad(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("\nPOST /v1/transfers, median of %d runs (each on a fresh database):\n", len(runs))
	for _, l := range bench.Medians(runs) {
		fmt.Printf("  %-58s %8.0f/s  p99 %v\n", l.Name, l.PerSecond, l.P99.Round(10*time.Microsecond))
	}
	return nil
}

// startCPUProfile profiles the process into path until stop is called;
// with no path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

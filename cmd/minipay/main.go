// Command minipay is the minipay server and its tools: serve, migrate,
// audit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"minipay/app"
	"minipay/clock"
	"minipay/store"
	"minipay/tools/bench"
)

const usage = `minipay — a small payment service

usage:
  minipay serve    [flags]   run the HTTP API (SQLite by default, no setup)
  minipay migrate  [flags]   bring the database schema up to date
  minipay audit    [flags]   prove the books balance; exits 1 if they do not
  minipay bench    [flags]   measure transfers/s: engine vs naive, spread vs hot
  minipay bench-history [flags] history reads at 10M entries: naive vs tuned; DROP vs DELETE (PostgreSQL)
  minipay drill    [flags]   kill -9 the server under load, restart, prove exactly-once
  minipay loadtest [flags]   scenario load test of a running server: report, HTML charts, audit

Run "minipay COMMAND -h" for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(ctx, args)
	case "migrate":
		err = migrate(ctx, args)
	case "audit":
		err = audit(ctx, args)
	case "bench":
		err = runBench(ctx, args)
	case "bench-history":
		err = runBenchHistory(ctx, args)
	case "drill":
		err = runDrill(ctx, args)
	case "loadtest":
		err = runLoadtest(ctx, args)
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "minipay:", err)
		os.Exit(1)
	}
}

// env returns the environment variable name, or def if it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envParsed is env for a typed value: a variable that is set but does not
// parse stops the program, as a malformed flag does.
func envParsed[T any](name string, def T, parse func(string) (T, error)) T {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	x, err := parse(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "minipay: %s=%q: %v\n", name, v, err)
		os.Exit(2)
	}
	return x
}

// edgeFlags are what serve grants one client (app.Edge).
func edgeFlags(fs *flag.FlagSet) *app.Edge {
	e := app.DefaultEdge()
	fs.DurationVar(&e.ReadTimeout, "read-timeout", envParsed("MINIPAY_READ_TIMEOUT", e.ReadTimeout, time.ParseDuration),
		"time to read a whole request, headers and body (env MINIPAY_READ_TIMEOUT)")
	fs.DurationVar(&e.WriteTimeout, "write-timeout", envParsed("MINIPAY_WRITE_TIMEOUT", e.WriteTimeout, time.ParseDuration),
		"time to handle a request and write its response (env MINIPAY_WRITE_TIMEOUT)")
	fs.DurationVar(&e.IdleTimeout, "idle-timeout", envParsed("MINIPAY_IDLE_TIMEOUT", e.IdleTimeout, time.ParseDuration),
		"how long a keep-alive connection may wait for its next request (env MINIPAY_IDLE_TIMEOUT)")
	fs.IntVar(&e.MaxHeaderBytes, "max-header-bytes", envParsed("MINIPAY_MAX_HEADER_BYTES", e.MaxHeaderBytes, strconv.Atoi),
		"largest request line and headers (env MINIPAY_MAX_HEADER_BYTES)")
	fs.IntVar(&e.MaxConns, "max-conns", envParsed("MINIPAY_MAX_CONNS", e.MaxConns, strconv.Atoi),
		"connections open at once; more wait to be accepted, 0: no cap (env MINIPAY_MAX_CONNS)")
	return &e
}

func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database", env("MINIPAY_DATABASE_URL", store.DefaultURL),
		"database URL: sqlite:PATH or postgres://… (env MINIPAY_DATABASE_URL)")
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", env("MINIPAY_ADDR", "127.0.0.1:8080"), "listen address (env MINIPAY_ADDR)")
	dbURL := databaseFlag(fs)
	testClock := fs.Bool("test-clock", env("MINIPAY_TEST_CLOCK", "") == "1",
		"run on a test clock moved by POST /v1/test-clock/advance; never in production (env MINIPAY_TEST_CLOCK=1)")
	tz := fs.String("timezone", env("MINIPAY_TIMEZONE", "Asia/Seoul"), "time zone of business days (env MINIPAY_TIMEZONE)")
	workers := fs.Int("writer-workers", 2, "batches the writer may have in flight at once (PostgreSQL; SQLite uses 1)")
	jobInterval := fs.Duration("job-interval", time.Second, "how often scheduled jobs look for due work")
	logLevel := fs.String("log-level", env("MINIPAY_LOG_LEVEL", "info"), "debug, info, warn or error (env MINIPAY_LOG_LEVEL)")
	edge := edgeFlags(fs)
	limits := limitFlags(fs)
	maxSavings := fs.Int("max-savings-accounts", envParsed("MINIPAY_MAX_SAVINGS_ACCOUNTS", store.DefaultMaxSavings, strconv.Atoi),
		"savings accounts one user may have open at once (env MINIPAY_MAX_SAVINGS_ACCOUNTS)")
	fs.Parse(args)

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	var clk clock.Clock = clock.System{}
	if *testClock {
		clk = clock.NewManual(time.Now())
		log.Warn("test clock enabled: time moves only through POST /v1/test-clock/advance")
	}
	srv, err := app.New(ctx, app.Config{DB: db, Clock: clk, TestClock: *testClock, Location: loc, WriterWorkers: *workers, Logger: log, Limits: *limits,
		MaxSavingsAccounts: *maxSavings})
	if err != nil {
		return err
	}
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		srv.Scheduler.Run(jobsCtx, *jobInterval)
	}()

	ln, err := app.Listen(*addr, *edge)
	if err != nil {
		stopJobs()
		<-jobsDone
		srv.Close()
		return err
	}
	hs := app.HTTPServer(srv.Handler(), *edge)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("minipay serving", "addr", ln.Addr().String(), "database", db.Dialect(), "timezone", loc.String())

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down: finishing requests, then draining the writer")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(sctx)
		cancel()
	}
	stopJobs()
	<-jobsDone
	srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	dbURL := databaseFlag(fs)
	fs.Parse(args)
	db, err := store.Open(ctx, *dbURL) // Open migrates
	if err != nil {
		return err
	}
	fmt.Println("schema is up to date")
	return db.Close()
}

func audit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ExitOnError)
	dbURL := databaseFlag(fs)
	fs.Parse(args)
	db, err := store.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := db.Audit(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("transactions: %d\nentries: %d\nevents reporting a transaction: %d\nmoney in user accounts: %d won\n", r.Transactions, r.Entries, r.Events, r.UserMoney)
	if len(r.Problems) > 0 {
		for _, p := range r.Problems {
			fmt.Println("PROBLEM:", p)
		}
		return fmt.Errorf("audit failed: %d problems", len(r.Problems))
	}
	fmt.Println("audit passed: every transaction sums to zero, every balance equals its retained amount and entries, no balance is negative, the pending hold equals the open pending transfers")
	return nil
}

func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	dbURL := fs.String("database", env("MINIPAY_DATABASE_URL", "sqlite:bench.db"),
		"database to measure; fresh users are added to it (env MINIPAY_DATABASE_URL)")
	cfg := bench.Config{Out: os.Stdout}
	fs.IntVar(&cfg.Accounts, "accounts", 10_000, "accounts for the spread-out scenario")
	fs.IntVar(&cfg.Concurrency, "concurrency", 100, "concurrent senders in every scenario")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long each scenario runs")
	fs.IntVar(&cfg.Workers, "writer-workers", 2, "writer batches in flight (PostgreSQL)")
	fs.BoolVar(&cfg.HTTP, "http", true, "also measure POST /v1/transfers through HTTP")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.Parse(args)
	cfg.DatabaseURL = *dbURL
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	results, report, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rate := map[string]float64{}
	fmt.Printf("\n%-18s %-7s %12s %10s %10s %8s\n", "scenario", "mode", "transfers/s", "p50", "p99", "errors")
	for _, r := range results {
		rate[r.Scenario[:1]+" "+r.Mode] = r.PerSecond()
		fmt.Printf("%-18s %-7s %12.0f %10v %10v %8d\n", r.Scenario, r.Mode, r.PerSecond(),
			r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Errors)
	}
	fmt.Printf("\nengine hot / engine spread:   %.2f  (target >= 0.8)\n", rate["H engine"]/rate["U engine"])
	fmt.Printf("engine hot / naive hot:       %.1f  (target >= 10)\n", rate["H engine"]/rate["H naive"])
	fmt.Printf("engine spread / naive spread: %.1f  (target >= 2)\n", rate["U engine"]/rate["U naive"])
	if len(report.Problems) > 0 {
		return fmt.Errorf("audit after the benchmark failed: %v", report.Problems)
	}
	fmt.Printf("audit passed: %d transactions, %d entries\n", report.Transactions, report.Entries)
	return nil
}

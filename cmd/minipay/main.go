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
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"minipay/api"
	"minipay/app"
	"minipay/clock"
	"minipay/feed"
	"minipay/store"
	"minipay/tools/bench"
	"minipay/webhooks"
)

const usage = `minipay — a small payment service

usage:
  minipay serve    [flags]   run the HTTP API (SQLite by default, no setup)
  minipay migrate  [flags]   bring the database schema up to date
  minipay audit    [flags]   prove the books balance; exits 1 if they do not
  minipay backup   [flags]   copy a live SQLite database to a new file
  minipay version            the build: module version, VCS revision and time
  minipay bench    [flags]   measure transfers/s: engine vs naive, spread vs hot
  minipay bench-http [flags] POST /v1/transfers: highest open-loop rate with p99 under a target, closed-loop clients; medians
  minipay bench-history [flags] history reads at 10M entries: naive vs tuned; DROP vs DELETE (PostgreSQL)
  minipay drill    [flags]   kill -9 the server under load, restart, prove exactly-once
  minipay drill-failover [flags] kill -9 the PostgreSQL primary under load (pg_auto_failover), prove exactly-once
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
	setGCPercent()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(ctx, args)
	case "migrate":
		err = migrate(ctx, args)
	case "audit":
		err = audit(ctx, args)
	case "backup":
		err = backup(ctx, args)
	case "version":
		printVersion(os.Stdout)
	case "bench":
		err = runBench(ctx, args)
	case "bench-http":
		err = runBenchHTTP(ctx, args)
	case "bench-history":
		err = runBenchHistory(ctx, args)
	case "drill":
		err = runDrill(ctx, args)
	case "drill-failover":
		err = runFailoverDrill(ctx, args)
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

// defaultGOGC is the collector's target heap growth unless GOGC says
// otherwise. The engine allocates about 20 KB per transfer (half of it
// pgx's wire buffers, grown anew for every batch) over a live heap of a
// few tens of MB, so at Go's default of 100 the collector ran dozens of
// times a second and, with the scheduling its background sweeper adds,
// took about half of the Go side's CPU per transfer
// (BenchmarkWriterWAL: 82 → 47 µs spread, 70 → 32 µs hot at GOGC=400).
// The price is a heap peak of five times the live heap instead of two.
const defaultGOGC = 400

// setGCPercent applies defaultGOGC unless GOGC is set: the runtime has
// read it, and an operator's setting wins.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGOGC)
	}
}

// edgeFlags are what serve grants one client (app.Edge).
func edgeFlags(fs *flag.FlagSet) *app.Edge {
	e := app.DefaultEdge()
	fs.DurationVar(&e.ReadTimeout, "read-timeout", e.ReadTimeout, "time to read a whole request, headers and body")
	fs.DurationVar(&e.WriteTimeout, "write-timeout", e.WriteTimeout, "time to handle a request and write its response")
	fs.DurationVar(&e.IdleTimeout, "idle-timeout", e.IdleTimeout, "how long a keep-alive connection may wait for its next request")
	fs.IntVar(&e.MaxHeaderBytes, "max-header-bytes", e.MaxHeaderBytes, "largest request line and headers")
	fs.IntVar(&e.MaxConns, "max-conns", e.MaxConns, "connections open at once; more wait to be accepted, 0: no cap")
	return &e
}

// loginFlags are where token signing keys come from and how long logins
// and cached session state last. The keys themselves are never a flag
// (a command line is visible to every local user): MINIPAY_TOKEN_KEYS or
// a key file.
type loginFlags struct {
	keysFile             string
	tokenTTL, sessionTTL time.Duration
}

func newLoginFlags(fs *flag.FlagSet) *loginFlags {
	var l loginFlags
	fs.StringVar(&l.keysFile, "token-keys-file", "",
		"file of token signing keys, \"KEY-ID SECRET\" lines, the first signs; env MINIPAY_TOKEN_KEYS holds the same lines and comes first; "+
			"with neither, a key is generated beside the SQLite database")
	fs.DurationVar(&l.tokenTTL, "token-ttl", api.DefaultTokenTTL,
		"how long a login (session and token) lasts")
	fs.DurationVar(&l.sessionTTL, "session-cache-ttl", api.DefaultSessionCacheTTL,
		"how long a server trusts a session's state once read: a revocation reaches other servers within it; 0 reads it on every request")
	return &l
}

// config fills cfg's login fields, loading the keys for the database at
// dbURL.
func (l *loginFlags) config(cfg *app.Config, dbURL string, log *slog.Logger) error {
	keys, err := app.TokenKeys(app.KeySource{Env: os.Getenv("MINIPAY_TOKEN_KEYS"), File: l.keysFile,
		DefaultFile: app.DefaultKeyFile(dbURL)}, log)
	if err != nil {
		return err
	}
	cfg.TokenKeys, cfg.TokenTTL, cfg.SessionCacheTTL = keys, l.tokenTTL, l.sessionTTL
	if l.sessionTTL == 0 {
		cfg.SessionCacheTTL = api.NoSessionCache
	}
	return nil
}

// timeouts are serve's deadlines: of a request, and of the database's
// waits (a writer batch and a lock wait share one; statements another).
type timeouts struct {
	request time.Duration
	db      store.Options
}

func timeoutFlags(fs *flag.FlagSet) *timeouts {
	t := &timeouts{}
	fs.DurationVar(&t.request, "request-timeout", api.DefaultRequestTimeout,
		"deadline of a request, database calls included; past it the answer is 503")
	fs.DurationVar(&t.db.LockTimeout, "db-timeout", store.DefaultBatchTimeout,
		"deadline of a writer batch, and the longest wait for a lock (PostgreSQL lock_timeout, SQLite busy_timeout)")
	fs.DurationVar(&t.db.StatementTimeout, "statement-timeout", 30*time.Second,
		"PostgreSQL statement_timeout, a backstop for statements without a deadline; 0: none")
	return t
}

// feedFlags configure the broker feed of events (package feed); off
// without a NATS URL.
func feedFlags(fs *flag.FlagSet) *feed.Config {
	c := &feed.Config{}
	fs.StringVar(&c.URL, "events-nats", "", "NATS server (nats://host:4222) to publish every event to, on JetStream; empty: no feed")
	fs.StringVar(&c.Stream, "events-nats-stream", feed.DefaultStream, "JetStream stream of the events, created with subjects PREFIX.> if missing; also names the feed's position")
	fs.StringVar(&c.Prefix, "events-nats-prefix", feed.DefaultPrefix, "subject prefix: an event goes to PREFIX.TYPE")
	fs.DurationVar(&c.Poll, "events-nats-poll", feed.DefaultPoll, "how often the feed looks for new events when it has caught up")
	return c
}

// runFeed starts the broker feed if it has a URL, until ctx ends; the
// channel closes once it has stopped (released its lease).
func runFeed(ctx context.Context, c feed.Config, db *store.DB, clk clock.Clock, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	if c.URL == "" {
		close(done)
		return done
	}
	c.DB, c.Clock, c.Log = db, clk, log
	go func() {
		defer close(done)
		feed.New(c).Run(ctx)
	}()
	log.Info("publishing every event to NATS", "stream", c.Stream, "prefix", c.Prefix)
	return done
}

func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database", store.DefaultURL, "database URL: sqlite:PATH or postgres://…")
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	dbURL := databaseFlag(fs)
	doMigrate := fs.Bool("migrate", true, "bring the schema up to date on start; with false, refuse to start unless it is (migrate in a separate step: minipay migrate)")
	maxDBConns := fs.Int("db-max-conns", 0, fmt.Sprintf("database connections: PostgreSQL's pool, SQLite's readers beside its one writer (0: %d on PostgreSQL, 8 on SQLite)", store.DefaultMaxConns))
	testClock := fs.Bool("test-clock", false, "run on a test clock moved by POST /v1/test-clock/advance; never in production")
	tz := fs.String("timezone", "Asia/Seoul", "time zone of business days")
	workers := fs.Int("writer-workers", 2, "batches the writer may have in flight at once (PostgreSQL; SQLite uses 1)")
	jobInterval := fs.Duration("job-interval", time.Second, "how often scheduled jobs look for due work")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM or Ctrl-C, how long requests in flight may take to finish before their connections are closed")
	edge := edgeFlags(fs)
	limits := limitFlags(fs)
	logins := newLoginFlags(fs)
	timeouts := timeoutFlags(fs)
	feedCfg := feedFlags(fs)
	stream := streamFlags(fs)
	hooks, hooksPerUser := webhookFlags(fs)
	secureCookies := fs.Bool("secure-cookies", false, "mark every wallet cookie Secure (the session's named __Host-) though requests arrive over plain HTTP: set it behind a proxy that terminates TLS")
	maxSavings := fs.Int("max-savings-accounts", store.DefaultMaxSavings, "savings accounts one user may have open at once")
	parseFlags(fs, args)

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
	opts := timeouts.db
	opts.MaxConns, opts.NoMigrate = *maxDBConns, !*doMigrate
	db, err := store.OpenWith(ctx, *dbURL, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	if !*doMigrate {
		if err := db.CheckSchema(ctx); err != nil {
			return err
		}
	}
	var clk clock.Clock = clock.System{}
	if *testClock {
		clk = clock.NewManual(time.Now())
		log.Warn("test clock enabled: time moves only through POST /v1/test-clock/advance")
	}
	cfg := app.Config{DB: db, Clock: clk, TestClock: *testClock, Location: loc, WriterWorkers: *workers, Logger: log, Limits: *limits,
		MaxSavingsAccounts: *maxSavings, RequestTimeout: timeouts.request, BatchTimeout: timeouts.db.LockTimeout, Stream: *stream,
		Webhooks: *hooks, WebhookEndpointsPerUser: *hooksPerUser, SecureCookies: *secureCookies}
	if err := logins.config(&cfg, *dbURL, log); err != nil {
		return err
	}
	srv, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	// The jobs and the webhook deliveries; both stop with jobsCtx.
	var background sync.WaitGroup
	background.Go(func() { srv.Scheduler.Run(jobsCtx, *jobInterval) })
	background.Go(func() { srv.Webhooks.Run(jobsCtx) })
	feedDone := runFeed(jobsCtx, *feedCfg, db, clk, log)

	ln, err := app.Listen(*addr, *edge)
	if err != nil {
		stopJobs()
		background.Wait()
		<-feedDone
		srv.Close()
		return err
	}
	hs := srv.HTTPServer(*edge)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("minipay serving", "addr", ln.Addr().String(), "database", db.Dialect(), "timezone", loc.String())

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down: finishing requests, then draining the writer")
		sctx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
		err = hs.Shutdown(sctx)
		cancel()
	}
	stopJobs()
	background.Wait()
	<-feedDone
	srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// streamFlags tune GET /v1/events/stream.
func streamFlags(fs *flag.FlagSet) *api.StreamConfig {
	c := api.DefaultStreamConfig()
	fs.DurationVar(&c.Heartbeat, "stream-heartbeat", c.Heartbeat, "how often an idle event stream sends a heartbeat comment, so proxies keep it open")
	fs.DurationVar(&c.MaxLifetime, "stream-lifetime", c.MaxLifetime, "an event stream ends after this long; the client reconnects with Last-Event-ID")
	fs.DurationVar(&c.Poll, "stream-poll", c.Poll, "how often an event stream reads the database for events committed by other servers")
	fs.IntVar(&c.MaxPerUser, "streams-per-user", c.MaxPerUser, "event streams one user may have open on a server")
	fs.IntVar(&c.MaxTotal, "streams-max", c.MaxTotal, "event streams open on a server at once")
	return &c
}

// webhookFlags tune webhook deliveries and endpoints.
func webhookFlags(fs *flag.FlagSet) (*webhooks.Config, *int) {
	c := &webhooks.Config{}
	fs.BoolVar(&c.Egress.AllowPrivate, "webhooks-allow-private", false,
		"let webhook endpoints be on private, loopback and link-local addresses (tests, a closed network); refused by default")
	fs.DurationVar(&c.Poll, "webhooks-poll", webhooks.DefaultPoll, "how often the webhook worker looks for new events and due deliveries when idle")
	perUser := fs.Int("webhook-endpoints-per-user", api.DefaultMaxWebhookEndpoints, "webhook endpoints one user may have")
	return c, perUser
}

func migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	dbURL := databaseFlag(fs)
	parseFlags(fs, args)
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
	parseFlags(fs, args)
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

func backup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ExitOnError)
	dbURL := databaseFlag(fs)
	to := fs.String("to", "", "the new file to write the copy to; an existing file is refused")
	parseFlags(fs, args)
	if *to == "" {
		return errors.New("backup: name the new file with --to")
	}
	db, err := store.OpenWith(ctx, *dbURL, store.Options{NoMigrate: true}) // a copy of the database as it is
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *to); err != nil {
		return err
	}
	fmt.Printf("backed up to %s; restore by stopping the server and putting the file in place of the database\n", *to)
	return nil
}

func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	dbURL := fs.String("database", "sqlite:bench.db", "database to measure; fresh users are added to it")
	cfg := bench.Config{Out: os.Stdout}
	fs.IntVar(&cfg.Accounts, "accounts", 10_000, "accounts for the spread-out scenario")
	fs.IntVar(&cfg.Concurrency, "concurrency", 100, "concurrent senders in every scenario")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long each scenario runs")
	fs.IntVar(&cfg.Workers, "writer-workers", 2, "writer batches in flight (PostgreSQL)")
	fs.BoolVar(&cfg.HTTP, "http", true, "also measure POST /v1/transfers through HTTP")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	parseFlags(fs, args)
	cfg.DatabaseURL = *dbURL
	if cfg.Accounts < 2 || cfg.Concurrency < 1 {
		return fmt.Errorf("bench: --accounts must be at least 2 (a sender and a receiver), --concurrency at least 1")
	}
	stop, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stop()

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

// Package app assembles one minipay server from its parts over a database:
// the engine's writer, the job scheduler and the HTTP API, sharing one
// clock, zone and logger. It is the one wiring `minipay serve`, the tools
// and the end-to-end tests use, so a test runs the server as it ships.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"minipay/api"
	"minipay/clock"
	"minipay/feed"
	"minipay/jobs"
	"minipay/store"
	"minipay/web"
	"minipay/webhooks"
)

// Config is what a server is made of. Zero values take defaults.
type Config struct {
	DB *store.DB
	// Clock defaults to the system clock. A *clock.Manual together with
	// TestClock also enables POST /v1/test-clock/advance, which then runs
	// the jobs that became due.
	Clock     clock.Clock
	TestClock bool
	// Location is the zone of business days (default Asia/Seoul).
	Location *time.Location
	// WriterWorkers is how many writer batches may be in flight (default 2).
	WriterWorkers int
	// PasswordCost is the bcrypt cost of new passwords (0: bcrypt's default).
	PasswordCost int
	// Limits bound failed logins and sign-ups (zero: api.DefaultLimits).
	Limits api.Limits
	Logger *slog.Logger
	// MaxSavingsAccounts caps each user's open savings accounts (0:
	// store.DefaultMaxSavings).
	MaxSavingsAccounts int
	// TokenKeys sign tokens (the first) and check them (all); required
	// (TokenKeys loads them from configuration). Servers sharing a
	// database need the same keys.
	TokenKeys []api.SigningKey
	// TokenTTL is how long a login lasts (0: api.DefaultTokenTTL).
	TokenTTL time.Duration
	// SessionCacheTTL is how long a server trusts a session's state once
	// read, so how long a revocation on another server may take to reach
	// it (0: api.DefaultSessionCacheTTL; api.NoSessionCache: no caching).
	SessionCacheTTL time.Duration
	// RequestTimeout bounds each HTTP request (0: api.DefaultRequestTimeout).
	RequestTimeout time.Duration
	// BatchTimeout bounds each writer batch (0: store.DefaultBatchTimeout).
	BatchTimeout time.Duration
	// Stream tunes the event stream (zero: api's defaults).
	Stream api.StreamConfig
	// Webhooks tunes the webhook worker (its DB, Clock and Log are the
	// app's); its Egress also bounds the URLs users may register.
	Webhooks webhooks.Config
	// WebhookEndpointsPerUser caps each user's webhook endpoints (0:
	// api.DefaultMaxWebhookEndpoints).
	WebhookEndpointsPerUser int
	// SecureCookies makes the wallet's cookies Secure (and the session's
	// __Host-) on every request: for servers behind a proxy that
	// terminates TLS, where no request here carries TLS itself.
	SecureCookies bool
}

// App is one assembled server. Run its jobs with Scheduler.Run and its
// webhook deliveries with Webhooks.Run, serve Handler, and Close it after
// the HTTP server has stopped.
type App struct {
	Writer    *store.Writer
	Scheduler *jobs.Scheduler
	API       *api.Server
	Wallet    *web.Wallet
	Webhooks  *webhooks.Worker
}

// New assembles a server.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Location == nil {
		cfg.Location = clock.Seoul
	}
	if cfg.WriterWorkers <= 0 {
		cfg.WriterWorkers = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := store.NewWriter(cfg.DB, cfg.Clock, cfg.Location, store.WriterConfig{Workers: cfg.WriterWorkers,
		BatchTimeout: cfg.BatchTimeout, Logger: cfg.Logger})
	sched := &jobs.Scheduler{DB: cfg.DB, Writer: w, Clock: cfg.Clock, Location: cfg.Location, Log: cfg.Logger}
	apiCfg := api.Config{DB: cfg.DB, Writer: w, Clock: cfg.Clock, Location: cfg.Location,
		TokenKeys: cfg.TokenKeys, TokenTTL: cfg.TokenTTL, SessionCacheTTL: cfg.SessionCacheTTL, Logger: cfg.Logger, PasswordCost: cfg.PasswordCost, Limits: cfg.Limits,
		MaxSavingsAccounts: cfg.MaxSavingsAccounts, RequestTimeout: cfg.RequestTimeout, Stream: cfg.Stream,
		Metrics:  slices.Concat(jobs.Collectors, feed.Collectors, webhooks.Collectors),
		Webhooks: api.WebhookConfig{Egress: cfg.Webhooks.Egress, MaxPerUser: cfg.WebhookEndpointsPerUser}}
	if manual, ok := cfg.Clock.(*clock.Manual); ok && cfg.TestClock {
		apiCfg.TestClock, apiCfg.AfterAdvance = manual, sched.RunDue
	}
	srv, err := api.New(apiCfg)
	if err != nil {
		w.Close()
		return nil, err
	}
	wallet, err := web.New(web.Config{API: srv, DB: cfg.DB, Clock: cfg.Clock, Location: cfg.Location, Logger: cfg.Logger,
		SecureCookies: cfg.SecureCookies})
	if err != nil {
		w.Close()
		return nil, err
	}
	hooks := cfg.Webhooks
	hooks.DB, hooks.Clock, hooks.Log = cfg.DB, cfg.Clock, cfg.Logger
	return &App{Writer: w, Scheduler: sched, API: srv, Wallet: wallet, Webhooks: webhooks.New(hooks)}, nil
}

// Handler is the HTTP handler with every route: the API's (all of /v1/,
// and its routes elsewhere such as /healthz), and the web wallet at /,
// logged, measured and bounded as the API is. A plain switch rather than
// a mux, so the request reaches each with no route pattern set (the
// API's metrics and access log label unknown paths by their own).
func (a *App) Handler() http.Handler {
	api, wallet := a.API.Handler(), a.API.Wrap(a.Wallet.Handler(), web.EventsPath)
	apiPaths := map[string]bool{} // the API's routes outside /v1/ have no wildcards
	for _, p := range a.API.Paths() {
		apiPaths[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") || apiPaths[r.URL.Path] {
			api.ServeHTTP(w, r)
			return
		}
		wallet.ServeHTTP(w, r)
	})
}

// HTTPServer serves the app's handler within e's limits; its Shutdown
// also ends the event streams, which would otherwise hold it up.
func (a *App) HTTPServer(e Edge) *http.Server {
	hs := HTTPServer(a.Handler(), e)
	hs.RegisterOnShutdown(a.API.EndStreams)
	return hs
}

// Close drains the writer: commands already queued are applied. Call it
// once nothing submits any more (the HTTP server and the jobs stopped).
func (a *App) Close() { a.Writer.Close() }

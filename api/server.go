// Package api is minipay's HTTP API: routes, JSON, bearer-token auth and
// RFC 9457 errors over the store and the writer.
//
// Read in order: server.go (the route table), middleware.go, auth.go,
// request.go and params.go (what a request carries), problem.go (errors),
// move.go (the engine call of every money route), then one file per
// resource.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/crypto/bcrypt"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// Server serves the API.
type Server struct {
	db     *store.DB
	writer *store.Writer
	clock  clock.Clock
	loc    *time.Location
	// keys sign and check tokens; sessions says whether a token's
	// session is still live; tokenTTL is how long a login lasts.
	keys     *keyring
	sessions *sessionCache
	tokenTTL time.Duration
	// testClock is non-nil only when the server runs with the test clock,
	// which then also exposes POST /v1/test-clock/advance; afterAdvance
	// runs the jobs that became due.
	testClock    *clock.Manual
	afterAdvance func(context.Context) error
	log          *slog.Logger
	metrics      *prometheus.Registry
	// passwordCost is bcrypt's cost for new passwords; dummyHash, of the
	// same cost, is what a login for an unknown username is checked
	// against, so that it takes as long as a wrong password.
	passwordCost int
	dummyHash    []byte
	limits       limiters
	// maxSavings is how many savings accounts a user may have open.
	maxSavings int
	// requestTimeout bounds every request's context (withDeadline).
	requestTimeout time.Duration
	// streams are the open event streams (stream.go).
	streams *streams
	// webhooks bounds the webhook endpoints users register.
	webhooks WebhookConfig
	// mainAccounts maps usernames to their main accounts (toAccount).
	mainAccounts *bounded[string, int64]
}

// maxMainAccounts bounds Server.mainAccounts (about 100 bytes an entry).
const maxMainAccounts = 100_000

// DefaultRequestTimeout is a request's deadline unless Config says
// otherwise: far above a healthy request, well below a client's patience.
const DefaultRequestTimeout = 5 * time.Second

// Config is what a Server needs.
type Config struct {
	DB     *store.DB
	Writer *store.Writer
	Clock  clock.Clock
	// TestClock, if set, must be the same clock as Clock; it enables the
	// test-clock endpoint.
	TestClock *clock.Manual
	// AfterAdvance runs after each test-clock advance (the scheduler's
	// RunDue), so the response reflects every job that became due.
	AfterAdvance func(context.Context) error
	Location     *time.Location
	// TokenKeys sign tokens (the first) and check them (all, by kid).
	TokenKeys []SigningKey
	// TokenTTL is how long a login lasts (0: DefaultTokenTTL).
	TokenTTL time.Duration
	// SessionCacheTTL is how long a session's state, once read, is
	// trusted (0: DefaultSessionCacheTTL; NoSessionCache: not at all).
	SessionCacheTTL time.Duration
	Logger          *slog.Logger
	// PasswordCost is bcrypt's cost for new passwords; 0 means
	// bcrypt.DefaultCost. Tests lower it to bcrypt.MinCost.
	PasswordCost int
	// Limits bound failed logins and sign-ups (zero: DefaultLimits).
	Limits Limits
	// MaxSavingsAccounts caps each user's open savings accounts (0:
	// store.DefaultMaxSavings).
	MaxSavingsAccounts int
	// RequestTimeout bounds each request, database calls included (0:
	// DefaultRequestTimeout); past it the request fails with 503.
	RequestTimeout time.Duration
	// Metrics are registered beside the server's own (the jobs').
	Metrics []prometheus.Collector
	// Stream tunes GET /v1/events/stream (zero: the defaults).
	Stream StreamConfig
	// Webhooks bounds webhook endpoints (zero: public addresses only,
	// DefaultMaxWebhookEndpoints each).
	Webhooks WebhookConfig
}

// New returns a server; it fails only on bad TokenKeys.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(), httpSeconds, httpInFlight)
	reg.MustRegister(store.Collectors...)
	if cfg.DB != nil { // nil only in tests of the route table
		reg.MustRegister(cfg.DB.Collectors()...)
	}
	reg.MustRegister(cfg.Metrics...)
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.DefaultCost
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxSavingsAccounts == 0 {
		cfg.MaxSavingsAccounts = store.DefaultMaxSavings
	}
	if cfg.Webhooks.MaxPerUser <= 0 {
		cfg.Webhooks.MaxPerUser = DefaultMaxWebhookEndpoints
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.SessionCacheTTL == 0 {
		cfg.SessionCacheTTL = DefaultSessionCacheTTL
	}
	keys, err := newKeyring(cfg.TokenKeys, cfg.Clock.Now)
	if err != nil {
		return nil, err
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a real password"), cfg.PasswordCost)
	if err != nil {
		panic(err) // only an invalid cost fails, a programming error
	}
	return &Server{db: cfg.DB, writer: cfg.Writer, clock: cfg.Clock, loc: cfg.Location,
		keys: keys, sessions: newSessionCache(cfg.DB, cfg.SessionCacheTTL, cfg.Clock.Now), tokenTTL: cfg.TokenTTL, testClock: cfg.TestClock, afterAdvance: cfg.AfterAdvance, log: cfg.Logger, metrics: reg,
		passwordCost: cfg.PasswordCost, dummyHash: dummy, limits: newLimiters(cfg.Limits),
		maxSavings: cfg.MaxSavingsAccounts, requestTimeout: cfg.RequestTimeout, streams: newStreams(cfg.DB, cfg.Stream),
		webhooks: cfg.Webhooks, mainAccounts: newBounded[string, int64](maxMainAccounts)}, nil
}

// route is one entry of the route table; the OpenAPI test walks the same
// table, so the document cannot drift from the routes. Every handler runs
// under the request timeout unless wrapped in ownDeadline (streams).
type route struct {
	method, path string
	handler      http.Handler
}

func (s *Server) routes() []route {
	rs := []route{
		{"GET", "/livez", http.HandlerFunc(livez)},
		{"GET", "/readyz", http.HandlerFunc(s.readyz)},
		{"GET", "/healthz", http.HandlerFunc(s.readyz)},
		{"GET", "/metrics", promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})},
		{"GET", "/openapi.json", http.HandlerFunc(serveOpenAPI)},
		{"POST", "/v1/users", http.HandlerFunc(s.signUp)},
		{"POST", "/v1/sessions", http.HandlerFunc(s.logIn)},
		{"GET", "/v1/sessions", s.authed(s.listSessions)},
		{"DELETE", "/v1/sessions/current", s.authed(s.logOut)},
		{"DELETE", "/v1/sessions/{id}", s.authed(s.revokeSession)},
		{"GET", "/v1/me", s.authed(s.me)},
		{"PATCH", "/v1/me/settings", s.authed(s.updateSettings)},
		{"POST", "/v1/me/password", s.authed(s.changePassword)},
		{"GET", "/v1/accounts", s.authed(s.listAccounts)},
		{"POST", "/v1/accounts", s.authed(s.openAccount)},
		{"GET", "/v1/accounts/{id}", s.authed(s.getAccount)},
		{"POST", "/v1/accounts/{id}/close", s.authed(s.closeAccount)},
		{"POST", "/v1/accounts/{id}/deposits", s.authed(s.deposit)},
		{"POST", "/v1/accounts/{id}/withdrawals", s.authed(s.withdraw)},
		{"GET", "/v1/accounts/{id}/history", s.authed(s.history)},
		{"POST", "/v1/charges", s.authed(s.charge)},
		{"GET", "/v1/limits/charge", s.authed(s.chargeLimit)},
		{"GET", "/v1/recipients/{username}", s.authed(s.recipient)},
		{"POST", "/v1/transfers", s.authed(s.createTransfer)},
		{"GET", "/v1/transfers", s.authed(s.listTransfers)},
		{"GET", "/v1/transfers/{id}", s.authed(s.getTransfer)},
		{"POST", "/v1/transfers/{id}/accept", s.authed(s.resolveTransfer(func(u, t int64) ledger.Command { return ledger.Accept{User: u, Transfer: t} }))},
		{"POST", "/v1/transfers/{id}/reject", s.authed(s.resolveTransfer(func(u, t int64) ledger.Command { return ledger.Reject{User: u, Transfer: t} }))},
		{"POST", "/v1/transfers/{id}/cancel", s.authed(s.resolveTransfer(func(u, t int64) ledger.Command { return ledger.Cancel{User: u, Transfer: t} }))},
		{"POST", "/v1/settlements", s.authed(s.createSettlement)},
		{"GET", "/v1/settlements", s.authed(s.listSettlements)},
		{"GET", "/v1/settlements/{id}", s.authed(s.getSettlement)},
		{"POST", "/v1/settlements/{id}/shares/{share_id}/pay", s.authed(s.actOnShare(func(p principal, st, sh int64) ledger.Command {
			return ledger.PayShare{User: p.user, Main: p.main, Settlement: st, Share: sh}
		}))},
		{"POST", "/v1/settlements/{id}/shares/{share_id}/decline", s.authed(s.actOnShare(func(p principal, st, sh int64) ledger.Command {
			return ledger.DeclineShare{User: p.user, Settlement: st, Share: sh}
		}))},
		{"GET", "/v1/events", s.authed(s.listEvents)},
		{"GET", "/v1/events/{id}", s.authed(s.getEvent)},
		// A stream stays open for minutes, under deadlines of its own.
		{"GET", "/v1/events/stream", ownDeadline{http.HandlerFunc(s.eventStream)}},
		{"POST", "/v1/webhook-endpoints", s.authed(s.createWebhookEndpoint)},
		{"GET", "/v1/webhook-endpoints", s.authed(s.listWebhookEndpoints)},
		{"GET", "/v1/webhook-endpoints/{id}", s.authed(s.getWebhookEndpoint)},
		{"DELETE", "/v1/webhook-endpoints/{id}", s.authed(s.deleteWebhookEndpoint)},
		{"POST", "/v1/webhook-endpoints/{id}/rotate-secret", s.authed(s.rotateWebhookSecret)},
		{"POST", "/v1/webhook-endpoints/{id}/enable", s.authed(s.enableWebhookEndpoint)},
		{"GET", "/v1/webhook-endpoints/{id}/deliveries", s.authed(s.listWebhookAttempts)},
		{"POST", "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/resend", s.authed(s.resendWebhookDelivery)},
		{"POST", "/v1/friends", s.authed(s.addFriend)},
		{"GET", "/v1/friends", s.authed(s.listFriends)},
		{"DELETE", "/v1/friends/{username}", s.authed(s.removeFriend)},
		{"GET", "/v1/recipients/recent", s.authed(s.listRecentRecipients)},
		{"GET", "/v1/notifications", s.authed(s.listNotifications)},
		{"POST", "/v1/notifications/{id}/read", s.authed(s.readNotification)},
	}
	if s.testClock != nil {
		// An advance runs every job that became due, days of them at
		// once: longer than a request may take. Each writer batch keeps
		// its own deadline.
		rs = append(rs, route{"POST", "/v1/test-clock/advance", ownDeadline{http.HandlerFunc(s.advanceClock)}})
	}
	return rs
}

// Paths lists the paths of the API's routes, each once: a server that
// serves more than the API at the same root (the web wallet) sends these
// here.
func (s *Server) Paths() []string {
	var paths []string
	for _, rt := range s.routes() {
		if !slices.Contains(paths, rt.path) {
			paths = append(paths, rt.path)
		}
	}
	return paths
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	rt := router{mux: http.NewServeMux()}
	for _, r := range s.routes() {
		rt.mux.Handle(r.method+" "+r.path, s.withDeadline(r.handler))
		if !slices.Contains(rt.methods, r.method) {
			rt.methods = append(rt.methods, r.method)
		}
	}
	return s.observe(keepBody(rt))
}

// router answers what the mux has no route for as problems: 405 with Allow
// for a path served under other methods, 404 otherwise. (A catch-all "/"
// pattern cannot do it: it matches every method, so the mux would never
// see a wrong method as one.)
type router struct {
	mux     *http.ServeMux
	methods []string // of the routes, in the route table's order
}

func (rt router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := rt.mux.Handler(r); pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	var allow []string
	for _, m := range rt.methods {
		probe := r.WithContext(r.Context())
		probe.Method = m
		if _, pattern := rt.mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, r, errs.E(errs.NotFound, "no route %s %s", r.Method, r.URL.Path))
		return
	}
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead) // the mux serves HEAD with GET
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, r, errs.E(errs.MethodNotAllowed, "%s takes %s, not %s", r.URL.Path, strings.Join(allow, ", "), r.Method))
}

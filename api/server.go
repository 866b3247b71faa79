// Package api is minipay's HTTP API: routes, JSON, bearer-token auth and
// RFC 9457 errors over the store and the writer.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

//go:embed openapi.json
var openAPI []byte

// Server serves the API.
type Server struct {
	db     *store.DB
	writer *store.Writer
	clock  clock.Clock
	loc    *time.Location
	tokens tokens
	// testClock is non-nil only when the server runs with the test clock,
	// which then also exposes POST /v1/test-clock/advance; afterAdvance
	// runs the jobs that became due.
	testClock    *clock.Manual
	afterAdvance func(context.Context) error
	log          *slog.Logger
	metrics      *prometheus.Registry
}

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
	Secret       []byte // signs tokens
	Logger       *slog.Logger
}

var httpSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "minipay_http_request_seconds",
	Help:    "HTTP request latency by route and status.",
	Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15),
}, []string{"route", "status"})

// New returns a server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), httpSeconds)
	reg.MustRegister(store.Collectors...)
	return &Server{db: cfg.DB, writer: cfg.Writer, clock: cfg.Clock, loc: cfg.Location,
		tokens: tokens{secret: cfg.Secret}, testClock: cfg.TestClock, afterAdvance: cfg.AfterAdvance, log: cfg.Logger, metrics: reg}
}

// route is one entry of the route table; the OpenAPI test walks the same
// table, so the document cannot drift from the routes.
type route struct {
	method, path string
	handler      http.Handler
}

func (s *Server) routes() []route {
	rs := []route{
		{"GET", "/healthz", http.HandlerFunc(s.healthz)},
		{"GET", "/metrics", promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})},
		{"GET", "/openapi.json", http.HandlerFunc(serveOpenAPI)},
		{"POST", "/v1/users", http.HandlerFunc(s.signUp)},
		{"POST", "/v1/sessions", http.HandlerFunc(s.logIn)},
		{"GET", "/v1/me", s.authed(s.me)},
		{"PATCH", "/v1/me/settings", s.authed(s.updateSettings)},
		{"GET", "/v1/accounts", s.authed(s.listAccounts)},
		{"POST", "/v1/accounts", s.authed(s.openAccount)},
		{"GET", "/v1/accounts/{id}", s.authed(s.getAccount)},
		{"POST", "/v1/accounts/{id}/close", s.authed(s.closeAccount)},
		{"POST", "/v1/accounts/{id}/deposits", s.authed(s.deposit)},
		{"POST", "/v1/accounts/{id}/withdrawals", s.authed(s.withdraw)},
		{"GET", "/v1/accounts/{id}/history", s.authed(s.history)},
		{"POST", "/v1/charges", s.authed(s.charge)},
		{"GET", "/v1/limits/charge", s.authed(s.chargeLimit)},
		{"POST", "/v1/transfers", s.authed(s.createTransfer)},
		{"GET", "/v1/transfers", s.authed(s.listTransfers)},
		{"GET", "/v1/transfers/{id}", s.authed(s.getTransfer)},
		{"POST", "/v1/transfers/{id}/accept", s.authed(s.settleTransfer(func(u, t int64) ledger.Command { return ledger.Accept{User: u, Transfer: t} }))},
		{"POST", "/v1/transfers/{id}/reject", s.authed(s.settleTransfer(func(u, t int64) ledger.Command { return ledger.Reject{User: u, Transfer: t} }))},
		{"POST", "/v1/transfers/{id}/cancel", s.authed(s.settleTransfer(func(u, t int64) ledger.Command { return ledger.Cancel{User: u, Transfer: t} }))},
		{"POST", "/v1/settlements", s.authed(s.createSettlement)},
		{"GET", "/v1/settlements", s.authed(s.listSettlements)},
		{"GET", "/v1/settlements/{id}", s.authed(s.getSettlement)},
		{"POST", "/v1/settlements/{id}/shares/{share_id}/pay", s.authed(s.actOnShare(func(p principal, st, sh int64) ledger.Command {
			return ledger.PayShare{User: p.user, Main: p.main, Settlement: st, Share: sh}
		}))},
		{"POST", "/v1/settlements/{id}/shares/{share_id}/decline", s.authed(s.actOnShare(func(p principal, st, sh int64) ledger.Command {
			return ledger.DeclineShare{User: p.user, Settlement: st, Share: sh}
		}))},
		{"GET", "/v1/notifications", s.authed(s.listNotifications)},
		{"POST", "/v1/notifications/{id}/read", s.authed(s.readNotification)},
	}
	if s.testClock != nil {
		rs = append(rs, route{"POST", "/v1/test-clock/advance", http.HandlerFunc(s.advanceClock)})
	}
	return rs
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, rt.handler)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errs.E(errs.NotFound, "no route %s %s", r.Method, r.URL.Path))
	})
	return s.observe(keepBody(mux))
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// observe records latency, logs failures and turns panics into 500s.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(rec, r, fmt.Errorf("panic: %v", v))
			}
			d := time.Since(start)
			httpSeconds.WithLabelValues(r.Pattern, strconv.Itoa(rec.status)).Observe(d.Seconds())
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", d)
		}()
		next.ServeHTTP(rec, r)
	})
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.db.Ping(r.Context()); err != nil {
		writeError(w, r, errs.E(errs.Internal, "database unreachable"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) advanceClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Seconds *int64 `json:"seconds"`
	}
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.Seconds == nil || *req.Seconds <= 0 || *req.Seconds > 10*366*86400 {
		writeError(w, r, errs.E(errs.Invalid, "seconds must be a positive number of seconds, at most ten years"))
		return
	}
	now := s.testClock.Advance(time.Duration(*req.Seconds) * time.Second)
	if s.afterAdvance != nil {
		if err := s.afterAdvance(r.Context()); err != nil {
			writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]time.Time{"now": now})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// maxBody bounds request bodies; no minipay request comes close.
const maxBody = 64 << 10

// decode reads a JSON body strictly: one object, no unknown fields, no
// trailing data, numbers that fit their fields. Every failure is invalid.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var maxErr *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "the request body is empty; send a JSON object")
		case errors.As(err, &typeErr):
			return errs.E(errs.Invalid, "field %q must be %s (amounts are whole won within int64)", typeErr.Field, typeErr.Type)
		case errors.As(err, &maxErr):
			return errs.E(errs.Invalid, "the request body is larger than %d bytes", maxBody)
		}
		return errs.E(errs.Invalid, "malformed JSON body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "the request body must hold exactly one JSON object")
	}
	return nil
}

// required fails for a missing field.
func required[T any](name string, v *T) (T, error) {
	if v == nil {
		var zero T
		return zero, errs.E(errs.Invalid, "field %q is required", name)
	}
	return *v, nil
}

// pathID reads a numeric id from the path.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no %s %q", name, r.PathValue(name))
	}
	return id, nil
}

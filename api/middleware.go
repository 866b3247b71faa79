package api

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	httpSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "minipay_http_request_seconds",
		Help:    "HTTP request latency by route and status (499: the client gave up first).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15),
	}, []string{"route", "status"})
	httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "minipay_http_requests_in_flight",
		Help: "HTTP requests being handled now.",
	})
)

// statusClientClosed is nginx's 499: the client closed the connection
// before the answer. It is logged and counted, never sent.
const statusClientClosed = 499

// statusRecorder remembers the status a handler wrote and the body bytes.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushing) through the recorder.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// reqInfo is what the middleware and the handlers learn about a request,
// kept in its context: its id, the user once authenticated, the
// unclassified error behind a 500, and the server's logger (logger).
type reqInfo struct {
	id      string
	user    int64
	failure error
	base    *slog.Logger
	route   string // a wrapped handler's own route (NameRoute)
}

// logger tags every line with the request id. It is made when a handler
// logs, not per request: most requests log only their access line, which
// names the id itself.
func (i *reqInfo) logger() *slog.Logger { return i.base.With("request_id", i.id) }

type infoKey struct{}

// NameRoute tells the middleware of Wrap the route pattern that a wrapped
// handler's own mux matched for r (the wallet's "GET /send"), for the
// access log and the latency metric, which otherwise see no pattern.
func NameRoute(r *http.Request, pattern string) {
	infoOf(r.Context()).route = pattern
}

// infoOf returns the request's info; outside the middleware (a handler
// called directly by a test) a blank one that goes nowhere.
func infoOf(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{base: slog.New(slog.DiscardHandler)}
}

// requestID is the client's X-Request-Id if it is sane (1–64 characters
// of letters, digits and -_.:), so it cannot forge log lines; otherwise a
// fresh random one. It needs to be unique, not secret: math/rand's
// generator is seeded unpredictably and costs no system call.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); len(id) > 0 && len(id) <= 64 {
		sane := true
		for _, c := range []byte(id) {
			sane = sane && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':')
		}
		if sane {
			return id
		}
	}
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	binary.LittleEndian.PutUint32(b[8:], rand.Uint32())
	return hex.EncodeToString(b[:])
}

// observe gives each request its id (echoed in X-Request-Id), records
// latency and requests in flight, writes the access log line, and turns
// panics into 500s. A request whose client went away before a failure is
// answered counts as 499 at info: its outcome is the client's choice, not
// a server error.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		httpInFlight.Inc()
		defer httpInFlight.Dec()
		client := r.Context()
		info := &reqInfo{id: requestID(r), base: s.log}
		w.Header().Set("X-Request-Id", info.id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(context.WithValue(client, infoKey{}, info))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(rec, r, fmt.Errorf("panic: %v", v))
			}
			status := rec.status
			if status >= 500 && errors.Is(client.Err(), context.Canceled) {
				status = statusClientClosed
			}
			d := time.Since(start)
			if r.Pattern == "" {
				r.Pattern = cmp.Or(info.route, unmatched) // one label for every unknown path
			}
			httpSeconds.WithLabelValues(r.Pattern, strconv.Itoa(status)).Observe(d.Seconds())
			s.accessLog(r, info, status, rec.bytes, d)
		}()
		next.ServeHTTP(rec, r)
	})
}

// unmatched is the route of a request no route took (404 or 405).
const unmatched = "unmatched"

// accessLog writes the request's one line: at info, or at error with the
// unclassified cause of a 500. The line is the one info.logger() would
// write (request_id first), built from typed attributes, and not at all
// when the level is off.
func (s *Server) accessLog(r *http.Request, info *reqInfo, status, bytes int, d time.Duration) {
	level := slog.LevelInfo
	if status == http.StatusInternalServerError {
		level = slog.LevelError
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := make([]slog.Attr, 0, 11)
	attrs = append(attrs, slog.String("request_id", info.id), slog.String("method", r.Method), slog.String("route", r.Pattern),
		slog.String("path", r.URL.Path), slog.Int("status", status), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int("bytes", bytes), slog.String("client", s.limits.clientAddr(r)))
	if info.user != 0 {
		attrs = append(attrs, slog.Int64("user_id", info.user))
	}
	if level == slog.LevelError && info.failure != nil {
		attrs = append(attrs, slog.Any("err", info.failure))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// ownDeadline marks a route that sets its own deadlines (a stream that
// stays open for minutes): withDeadline leaves it alone. Such a handler
// must bound its own database calls.
type ownDeadline struct{ http.Handler }

// withDeadline bounds h's request context by the server's request
// timeout, so every database call it makes has a deadline; a route
// wrapped in ownDeadline is served as it is.
func (s *Server) withDeadline(h http.Handler) http.Handler {
	if _, own := h.(ownDeadline); own || s.requestTimeout <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.requestTimeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var httpSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "minipay_http_request_seconds",
	Help:    "HTTP request latency by route and status.",
	Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15),
}, []string{"route", "status"})

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// failureKey keys, in a request's context, the slot where writeError
// leaves an error it could not classify, for observe to log.
type failureKey struct{}

// observe records latency, logs each request (with the unclassified error
// behind a 500, if any) and turns panics into 500s.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		var failure error
		r = r.WithContext(context.WithValue(r.Context(), failureKey{}, &failure))
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
			attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", d}
			if failure != nil {
				attrs = append(attrs, "err", failure)
			}
			s.log.Log(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

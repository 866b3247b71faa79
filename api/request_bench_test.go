package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"minipay/clock"
)

// BenchmarkDecodeTransfer is the strict decoding of a transfer's body
// (media type, key scan, decoding), a request built per iteration:
//
//	go test ./api -run '^$' -bench DecodeTransfer -benchmem
func BenchmarkDecodeTransfer(b *testing.B) {
	body := []byte(`{"to":"bob","amount":1000,"memo":"lunch"}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/transfers", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var q transferRequest
		if err := decode(r, &q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTransfer is all a transfer's handler does with its body
// before the engine: decoding, validation and reading the recipient.
func BenchmarkReadTransfer(b *testing.B) {
	body := []byte(`{"to":"user1234","amount":57}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/transfers", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var q transferRequest
		if err := readRequest(r, &q); err != nil {
			b.Fatal(err)
		}
		if name, _, err := q.recipient(); err != nil || name != "user1234" {
			b.Fatal(name, err)
		}
	}
}

// BenchmarkMiddleware is what every request costs around its handler
// (observe: request id, metrics, the access log line as JSON; the
// router; the deadline), on GET /livez.
func BenchmarkMiddleware(b *testing.B) {
	s := mustNew(b, Config{Clock: clock.NewManual(time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC)),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/livez", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

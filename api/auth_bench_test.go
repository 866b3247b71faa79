package api

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// The cost of authentication per request. Run with
//
//	go test ./api -run '^$' -bench 'Auth|TokenCheck' -benchmem
//
// (MINIPAY_TEST_POSTGRES_URL set: the GET /v1/me ones also on PostgreSQL).

// BenchmarkTokenCheck is the signature, kid and claims check of a token
// alone, no database.
func BenchmarkTokenCheck(b *testing.B) {
	s := mustNew(b, Config{Clock: clock.NewManual(time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC))})
	now := s.clock.Now()
	token, err := s.keys.issue(principal{user: 1, main: 2, session: "AAAAAAAAAAAAAAAAAAAAAA"}, now, now.Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.keys.check(token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthMe is GET /v1/me through the whole handler (which reads
// the user): with the session cache (the default; one session read per
// TTL), and without (a session read per request).
func BenchmarkAuthMe(b *testing.B) {
	ctx := context.Background()
	keys := []SigningKey{NewSigningKey("bench")}
	for _, backend := range dbtest.Backends() {
		db := dbtest.Open(b, backend)
		clk := clock.NewManual(time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC))
		u, err := db.CreateUser(ctx, "bench", "Bench", "not a hash", clk.Now())
		if err != nil {
			b.Fatal(err)
		}
		sess, err := db.CreateSession(ctx, u.ID, "bench", clk.Now(), clk.Now().Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			ttl  time.Duration
		}{{"cache", DefaultSessionCacheTTL}, {"no-cache", NoSessionCache}} {
			b.Run(backend+"/"+c.name, func(b *testing.B) {
				s := mustNew(b, Config{DB: db, Clock: clk, Location: clock.Seoul, TokenKeys: keys,
					SessionCacheTTL: c.ttl, Logger: slog.New(slog.DiscardHandler)})
				token, err := s.keys.issue(principal{user: u.ID, main: u.MainAccount, session: sess.ID}, clk.Now(), sess.ExpiresAt)
				if err != nil {
					b.Fatal(err)
				}
				benchGet(b, s.Handler(), "/v1/me", token)
			})
		}
	}
}

// benchGet measures GET path with token on h, from parallel goroutines.
func benchGet(b *testing.B, h http.Handler, path, token string) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
			}
		}
	})
}

// BenchmarkPostTransfer is POST /v1/transfers through the whole handler
// (middleware, authentication from the caches, decoding, the writer on a
// real database), from parallel goroutines, without net/http's
// connection: what the server does per transfer besides reading and
// writing the socket.
//
//	go test ./api -run '^$' -bench PostTransfer -benchmem -cpuprofile /tmp/cpu.pb
func BenchmarkPostTransfer(b *testing.B) {
	ctx := context.Background()
	for _, backend := range dbtest.Backends() {
		db := dbtest.Open(b, backend)
		clk := clock.NewManual(time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC))
		from, err := db.CreateUser(ctx, "sender", "Sender", "not a hash", clk.Now())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.CreateUser(ctx, "receiver", "Receiver", "not a hash", clk.Now()); err != nil {
			b.Fatal(err)
		}
		sess, err := db.CreateSession(ctx, from.ID, "bench", clk.Now(), clk.Now().Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		w := store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{})
		b.Cleanup(w.Close)
		if _, err := w.Do(ctx, from.ID, store.Idempotency{}, ledger.Charge{User: from.ID, Account: from.MainAccount, Amount: 3_000_000}); err != nil {
			b.Fatal(err)
		}
		b.Run(backend, func(b *testing.B) {
			s := mustNew(b, Config{DB: db, Writer: w, Clock: clk, Location: clock.Seoul, Logger: slog.New(slog.DiscardHandler),
				Limits: Limits{MovesPerUser: 1 << 30, MoveWindow: time.Second}}) // one sender, sending fast
			token, err := s.keys.issue(principal{user: from.ID, main: from.MainAccount, session: sess.ID}, clk.Now(), sess.ExpiresAt)
			if err != nil {
				b.Fatal(err)
			}
			h, body := s.Handler(), []byte(`{"to":"receiver","amount":1}`)
			b.SetParallelism(50)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("POST", "/v1/transfers", bytes.NewReader(body))
					r.Header.Set("Authorization", "Bearer "+token)
					r.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, r)
					if rec.Code != http.StatusCreated {
						b.Errorf("POST /v1/transfers: %d %s", rec.Code, rec.Body)
						return
					}
				}
			})
		})
	}
}

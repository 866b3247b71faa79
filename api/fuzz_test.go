package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/store"
	"minipay/store/dbtest"
)

// fuzzServer is a real server over a fresh SQLite database, with alice
// (the caller, whose token it returns) and bob to send money to.
func fuzzServer(f *testing.F) (*Server, *store.DB, string) {
	f.Helper()
	db := dbtest.Open(f, "sqlite")
	clk := clock.NewManual(time.Date(2026, 3, 10, 14, 0, 0, 0, clock.Seoul))
	log := slog.New(slog.DiscardHandler)
	w := store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{Logger: log})
	f.Cleanup(w.Close)
	s := mustNew(f, Config{DB: db, Writer: w, Clock: clk, Location: clock.Seoul, Logger: log})
	var alice store.User
	for _, name := range []string{"alice", "bob"} {
		u, err := db.CreateUser(context.Background(), name, name, "not a hash", clk.Now())
		if err != nil {
			f.Fatal(err)
		}
		if name == "alice" {
			alice = u
		}
	}
	expires := clk.Now().Add(DefaultTokenTTL)
	sess, err := db.CreateSession(context.Background(), alice.ID, "fuzz", clk.Now(), expires)
	if err != nil {
		f.Fatal(err)
	}
	token, err := s.keys.issue(principal{user: alice.ID, main: alice.MainAccount, session: sess.ID}, clk.Now(), expires)
	if err != nil {
		f.Fatal(err)
	}
	return s, db, token
}

// FuzzDecode sends arbitrary bodies to the real POST /v1/transfers
// handler: decoding, validation and the engine as they run in
// production. A body is never a 500; one that is accepted was a JSON
// object of the request's own fields, whose amount moved exactly, and
// leaves the books balanced.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"to":"bob","amount":100}`, `{"to":"bob","amount":0}`, `{"to":"bob","amount":-1}`,
		`{"to":"bob","amount":9223372036854775807}`, `{"to":"bob","amount":9223372036854775808}`,
		`{"to":"bob","amount":1e3}`, `{"to":"bob","amount":"100"}`, `{"to":"bob","amount":1.5}`,
		`{"to":"bob","amount":5,"memo":"x"}`, `{"to":2,"amount":5,"require_acceptance":true}`, `{"to":"nobody","amount":5}`,
		`{"to":"bob","amount":1}{"amount":2}`, `{"to":"bob","amount":1,"amount":2}`, `{"to":"bob","AMOUNT":6}`, `[]`, `null`, ``, `{`, `{"amout":1}`,
		"{\"to\":\"bob\",\"amount\":1,\"memo\":\"\xff\"}", `{"to":null}`, `{"to":"bob","amount":1,"display_name":"` + strings.Repeat("가", 60) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	s, db, token := fuzzServer(f)
	h := s.Handler()
	fields := fieldNames(&transferRequest{})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/transfers", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("body %q: %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code >= 300 {
			return
		}
		var generic map[string]json.RawMessage
		if json.Unmarshal(body, &generic) != nil {
			t.Fatalf("accepted %q, which is not a JSON object", body)
		}
		for k := range generic {
			if !slices.Contains(fields, k) {
				t.Fatalf("accepted unknown field %q in %q", k, body)
			}
		}
		var sent struct{ Amount json.Number }
		var moved struct{ Amount int64 }
		json.Unmarshal(body, &sent)
		if err := json.Unmarshal(rec.Body.Bytes(), &moved); err != nil || sent.Amount.String() != strconv.FormatInt(moved.Amount, 10) {
			t.Fatalf("amount %s answered %s", sent.Amount, rec.Body)
		}
		dbtest.Audit(t, db)
	})
}

// FuzzCursor: any string is either refused with invalid or a cursor that
// encodes back to itself.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(42))
	f.Add("")
	f.Add("aWQ6LTE")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, c string) {
		id, err := decodeCursor(c)
		switch {
		case err != nil:
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("cursor %q: %v", c, err)
			}
		case c == "":
			if id != 0 {
				t.Fatalf("empty cursor gave %d", id)
			}
		case id <= 0 || encodeCursor(id) != c:
			t.Fatalf("cursor %q decoded to %d, which encodes to %q", c, id, encodeCursor(id))
		}
	})
}

// validKey is the rule for keys written apart from the code under test:
// 1 to 255 bytes, each a visible ASCII character (0x21 '!' to 0x7e '~').
func validKey(key string) bool {
	if len(key) < 1 || len(key) > 255 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < '!' || key[i] > '~' {
			return false
		}
	}
	return true
}

// FuzzIdempotencyKey: a key is accepted only if it is 1–255 printable
// ASCII characters (or absent).
func FuzzIdempotencyKey(f *testing.F) {
	f.Add("k-1", true)
	f.Add("", true)
	f.Add("", false)
	f.Add("a b", true)
	f.Add(strings.Repeat("x", 255), true)
	f.Add(strings.Repeat("x", 256), true)
	f.Add("~!", true)
	f.Add("\x7f", true)
	f.Add("é", true)
	f.Fuzz(func(t *testing.T, key string, present bool) {
		r := httptest.NewRequest("POST", "/v1/charges", nil)
		if present {
			r.Header["Idempotency-Key"] = []string{key}
		}
		got, err := idempotencyKey(r)
		printable := validKey(key)
		switch {
		case !present:
			if err != nil || got != "" {
				t.Fatalf("absent key: %q %v", got, err)
			}
		case printable != (err == nil):
			t.Fatalf("key %q: accepted=%v, want %v", key, err == nil, printable)
		case err == nil && got != key:
			t.Fatalf("key %q read as %q", key, got)
		}
	})
}

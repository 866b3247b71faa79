package api_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"minipay/app"
	"minipay/egress"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/webhooks"
)

// TestCreationsUnderIdempotencyKey: a POST that creates something
// (a savings account, a settlement, a webhook endpoint) and is retried
// with its Idempotency-Key creates it once and answers the first one; the
// key with another request is refused; a burst of the same request
// creates exactly one.
func TestCreationsUnderIdempotencyKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) { cfg.Webhooks = webhooks.Config{Egress: egress.Policy{AllowPrivate: true}} })
		u := e.signUp(t, "hana")
		v := e.signUp(t, "ivan")
		both := []*user{u, v}
		withKey := func(key, path, body string) req {
			return req{method: "POST", path: path, token: u.Token, body: body, header: map[string]string{"Idempotency-Key": key}}
		}
		count := func(list, field string) int {
			var out map[string][]json.RawMessage
			e.ok(t, req{method: "GET", path: list, token: u.Token}, http.StatusOK, &out)
			return len(out[field])
		}
		for _, c := range []struct {
			name, key, path, body, other string
			list, field                  string
		}{
			{"fixed savings", "fixed", "/v1/accounts", `{"product":"fixed","daily_amount":10000}`, `{"product":"free"}`, "/v1/accounts", "accounts"},
			{"settlement", "settle", "/v1/settlements", `{"total":10001,"mode":"random","participants":["ivan"]}`,
				`{"total":10002,"mode":"random","participants":["ivan"]}`, "/v1/settlements", "settlements"},
			{"webhook endpoint", "hook", "/v1/webhook-endpoints", `{"url":"http://127.0.0.1:9/a"}`, `{"url":"http://127.0.0.1:9/b"}`,
				"/v1/webhook-endpoints", "webhook_endpoints"},
		} {
			t.Run(c.name, func(t *testing.T) {
				had := count(c.list, c.field)
				first := e.ok(t, withKey(c.key, c.path, c.body), http.StatusCreated, nil)
				if first.header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("first request marked replayed: %v", first)
				}
				before := e.books(t, both...)
				again := e.ok(t, withKey(c.key, c.path, c.body), http.StatusCreated, nil)
				if string(again.body) != string(first.body) {
					t.Errorf("replay answered %s, first %s", again.body, first.body)
				}
				e.unchanged(t, "replay", before, both...)
				e.rejects(t, withKey(c.key, c.path, c.other), 422, "idempotency_mismatch", both...)
				if n := count(c.list, c.field); n != had+1 {
					t.Fatalf("%d created, want 1", n-had)
				}
				// Without a key each request creates one.
				e.ok(t, req{method: "POST", path: c.path, token: u.Token, body: c.body}, http.StatusCreated, nil)
				if n := count(c.list, c.field); n != had+2 {
					t.Fatalf("%d created, want 2", n-had)
				}
			})
		}

		t.Run("one key space with the money endpoints", func(t *testing.T) {
			e.ok(t, withKey("shared", "/v1/charges", `{"amount":1000}`), http.StatusCreated, nil)
			e.rejects(t, withKey("shared", "/v1/accounts", `{"product":"free"}`), 422, "idempotency_mismatch", both...)
		})

		t.Run("concurrent opens", func(t *testing.T) {
			had := count("/v1/accounts", "accounts")
			const n = 12
			res := make([]response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					var err error
					if res[i], err = e.send(withKey("burst", "/v1/accounts", `{"product":"free"}`)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			fresh := 0
			for i, r := range res {
				if r.status != http.StatusCreated || string(r.body) != string(res[0].body) {
					t.Errorf("request %d: %v; request 0: %v", i, r, res[0])
				}
				if r.header.Get("Idempotent-Replayed") != "true" {
					fresh++
				}
			}
			if got := count("/v1/accounts", "accounts") - had; fresh != 1 || got != 1 {
				t.Fatalf("%d answered fresh, %d opened; want 1 and 1", fresh, got)
			}
		})

		t.Run("forgotten after the window", func(t *testing.T) {
			r := withKey("late", "/v1/accounts", `{"product":"free"}`)
			var first, second accountJSON
			e.ok(t, r, http.StatusCreated, &first)
			e.clock.Advance(store.IdempotencyWindow + time.Second)
			r.token = e.logIn(t, u) // the login has expired too
			e.ok(t, r, http.StatusCreated, &second)
			if first.ID == second.ID {
				t.Fatalf("a key past its window replayed account %d", first.ID)
			}
		})
	})
}

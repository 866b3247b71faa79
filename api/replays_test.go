package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"minipay/app"
	"minipay/egress"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/webhooks"
)

// keyless are the POSTs that take no Idempotency-Key, and why (README,
// "Idempotency"). Every other POST the OpenAPI document lists must be a
// case of TestEveryKeyedPOSTReplays: a new POST fails that test until it
// is one or the other.
var keyless = map[string]string{
	"/v1/users":                         "a retry fails with conflict: the username is taken",
	"/v1/sessions":                      "each retry is one more session, listed and revocable",
	"/v1/me/password":                   "idempotent by nature",
	"/v1/friends":                       "idempotent by nature",
	"/v1/notifications/{id}/read":       "idempotent by nature",
	"/v1/webhook-endpoints/{id}/enable": "idempotent by nature",
	"/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/resend": "receivers dedupe by webhook-id",
	"/v1/test-clock/advance":                                     "test clocks only",
}

// keyedCase is one POST under a key: setup makes what the request acts
// on and returns who sends it, where and with what body.
type keyedCase struct {
	path   string // as the OpenAPI document names it
	setup  func() req
	status int
}

// TestEveryKeyedPOSTReplays: every POST that takes an Idempotency-Key,
// sent twice with one key, answers the second time with the first
// answer, marked Idempotent-Replayed: true (the first is not), and the
// OpenAPI document says both.
func TestEveryKeyedPOSTReplays(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) {
			cfg.TestClock = true
			cfg.Webhooks = webhooks.Config{Egress: egress.Policy{AllowPrivate: true}}
		})
		u, v := e.signUp(t, "hana"), e.signUp(t, "ivan")
		e.charge(t, u, 100_000)
		e.charge(t, v, 100_000)
		id := func(r req, status int) string {
			var out struct{ ID int64 }
			e.ok(t, r, status, &out)
			return fmt.Sprint(out.ID)
		}
		post := func(who *user, path string, body any) req {
			return req{method: "POST", path: path, token: who.Token, body: body}
		}
		savings := func() string { return id(post(u, "/v1/accounts", `{"product":"free"}`), http.StatusCreated) }
		pending := func() string {
			return id(post(u, "/v1/transfers", `{"to":"ivan","amount":1000,"require_acceptance":true}`), http.StatusCreated)
		}
		share := func() string {
			var st struct {
				ID     int64
				Shares []struct{ ID int64 }
			}
			e.ok(t, post(u, "/v1/settlements", `{"total":1000,"mode":"equal","participants":["ivan"]}`), http.StatusCreated, &st)
			return fmt.Sprintf("/v1/settlements/%d/shares/%d", st.ID, st.Shares[0].ID)
		}
		cases := []keyedCase{
			{"/v1/accounts", func() req { return post(u, "/v1/accounts", `{"product":"free"}`) }, http.StatusCreated},
			{"/v1/accounts/{id}/close", func() req { return post(u, "/v1/accounts/"+savings()+"/close", nil) }, http.StatusOK},
			{"/v1/accounts/{id}/deposits", func() req {
				return post(u, "/v1/accounts/"+savings()+"/deposits", `{"amount":100}`)
			}, http.StatusCreated},
			{"/v1/accounts/{id}/withdrawals", func() req {
				a := savings()
				e.ok(t, post(u, "/v1/accounts/"+a+"/deposits", `{"amount":100}`), http.StatusCreated, nil)
				return post(u, "/v1/accounts/"+a+"/withdrawals", `{"amount":100}`)
			}, http.StatusCreated},
			{"/v1/charges", func() req { return post(u, "/v1/charges", `{"amount":1000}`) }, http.StatusCreated},
			{"/v1/transfers", func() req { return post(u, "/v1/transfers", `{"to":"ivan","amount":1000}`) }, http.StatusCreated},
			{"/v1/transfers/{id}/accept", func() req { return post(v, "/v1/transfers/"+pending()+"/accept", nil) }, http.StatusOK},
			{"/v1/transfers/{id}/reject", func() req { return post(v, "/v1/transfers/"+pending()+"/reject", nil) }, http.StatusOK},
			{"/v1/transfers/{id}/cancel", func() req { return post(u, "/v1/transfers/"+pending()+"/cancel", nil) }, http.StatusOK},
			{"/v1/settlements", func() req {
				return post(u, "/v1/settlements", `{"total":3000,"mode":"random","participants":["ivan","hana"]}`)
			}, http.StatusCreated},
			{"/v1/settlements/{id}/shares/{share_id}/pay", func() req { return post(v, share()+"/pay", nil) }, http.StatusOK},
			{"/v1/settlements/{id}/shares/{share_id}/decline", func() req { return post(v, share()+"/decline", nil) }, http.StatusOK},
			{"/v1/webhook-endpoints", func() req { return post(u, "/v1/webhook-endpoints", `{"url":"http://127.0.0.1:9/a"}`) }, http.StatusCreated},
			{"/v1/webhook-endpoints/{id}/rotate-secret", func() req {
				ep := id(post(u, "/v1/webhook-endpoints", `{"url":"http://127.0.0.1:9/r"}`), http.StatusCreated)
				return post(u, "/v1/webhook-endpoints/"+ep+"/rotate-secret", nil)
			}, http.StatusOK},
		}
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		e.ok(t, req{method: "GET", path: "/openapi.json"}, http.StatusOK, &doc)
		for path, item := range doc.Paths {
			op, ok := item["post"]
			if !ok {
				continue
			}
			_, exempt := keyless[path]
			keyed := slices.ContainsFunc(cases, func(c keyedCase) bool { return c.path == path })
			if exempt == keyed {
				t.Errorf("POST %s: keyed case %v, keyless %v; want exactly one", path, keyed, exempt)
			}
			if declared := strings.Contains(string(op), "#/components/parameters/IdempotencyKey"); declared != keyed {
				t.Errorf("POST %s: the document declares an Idempotency-Key: %v, want %v", path, declared, keyed)
			}
			if marked := strings.Contains(string(op), "#/components/headers/IdempotentReplayed"); marked != keyed {
				t.Errorf("POST %s: the document declares Idempotent-Replayed: %v, want %v", path, marked, keyed)
			}
		}
		for i, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				r := c.setup()
				r.header = map[string]string{"Idempotency-Key": fmt.Sprintf("replay-%d", i)}
				first := e.ok(t, r, c.status, nil)
				if first.header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("the first request is marked replayed: %v", first.header)
				}
				again := e.ok(t, r, c.status, nil)
				if again.header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("the replay lacks Idempotent-Replayed: true: %v", again.header)
				}
				if string(again.body) != string(first.body) {
					t.Errorf("the replay answered %s, the first %s", again.body, first.body)
				}
			})
		}
	})
}

// TestRotateSecretUnderKey: a rotation retried with its key rotates once
// and shows the secret it made, even after a later rotation; the key on
// another endpoint is refused.
func TestRotateSecretUnderKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) { cfg.Webhooks = webhooks.Config{Egress: egress.Policy{AllowPrivate: true}} })
		u := e.signUp(t, "hana")
		type endpoint struct {
			ID     int64
			Secret string
		}
		var a, b, first, later, again endpoint
		e.ok(t, req{method: "POST", path: "/v1/webhook-endpoints", token: u.Token, body: `{"url":"http://127.0.0.1:9/a"}`}, http.StatusCreated, &a)
		e.ok(t, req{method: "POST", path: "/v1/webhook-endpoints", token: u.Token, body: `{"url":"http://127.0.0.1:9/b"}`}, http.StatusCreated, &b)
		rotate := func(id int64, key string) req {
			r := req{method: "POST", path: fmt.Sprintf("/v1/webhook-endpoints/%d/rotate-secret", id), token: u.Token}
			if key != "" {
				r.header = map[string]string{"Idempotency-Key": key}
			}
			return r
		}
		e.ok(t, rotate(a.ID, "k"), http.StatusOK, &first)
		e.ok(t, rotate(a.ID, ""), http.StatusOK, &later)
		res := e.ok(t, rotate(a.ID, "k"), http.StatusOK, &again)
		if again != first || res.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay answered %+v (%v), first %+v", again, res.header, first)
		}
		if first.Secret == a.Secret || later.Secret == first.Secret {
			t.Fatalf("secrets: made %q, rotated %q, then %q", a.Secret, first.Secret, later.Secret)
		}
		ep, err := db.WebhookEndpoint(t.Context(), u.ID, a.ID)
		if err != nil || ep.Secret != later.Secret || ep.PreviousSecret != first.Secret {
			t.Fatalf("the endpoint signs with %q, previously %q (%v); want the later rotation's, then the keyed one's", ep.Secret, ep.PreviousSecret, err)
		}
		e.rejects(t, rotate(b.ID, "k"), 422, "idempotency_mismatch")
	})
}

package api_test

import (
	"encoding/json"
	"fmt"
	"minipay/client"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"minipay/store"
	"minipay/store/dbtest"
)

// TestNewcomerHappyPath walks the API as a new user would: sign up, log
// in, look around, charge, use free and fixed savings, close them, change
// a setting.
func TestNewcomerHappyPath(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)

		var created userJSON
		e.ok(t, req{method: "POST", path: "/v1/users", body: map[string]string{
			"username": "minsu.kim", "password": "correct horse battery", "name": "김민수"}}, http.StatusCreated, &created)
		if created.ID <= 0 || created.MainAccountID <= 0 || created.Username != "minsu.kim" || created.Name != "김민수" {
			t.Fatalf("sign-up answered %+v", created)
		}
		u := &user{ID: created.ID, Username: "minsu.kim", Name: "김민수", Password: "correct horse battery", Main: created.MainAccountID}

		var s client.Session
		e.ok(t, req{method: "POST", path: "/v1/sessions", body: map[string]string{
			"username": u.Username, "password": u.Password}}, http.StatusCreated, &s)
		if s.Token == "" || !s.ExpiresAt.Equal(start.Add(24*time.Hour)) {
			t.Fatalf("login answered %+v; want a token expiring at %v", s, start.Add(24*time.Hour))
		}
		u.Token = s.Token

		var me userJSON
		e.ok(t, req{method: "GET", path: "/v1/me", token: u.Token}, http.StatusOK, &me)
		if me.ID != u.ID || me.Username != u.Username || me.Name != u.Name || me.Settings == nil || me.Settings.TransfersRequireAcceptance {
			t.Fatalf("GET /v1/me = %+v", me)
		}

		as := e.accounts(t, u)
		if len(as) != 1 || as[0].ID != u.Main || as[0].Kind != "main" || as[0].Product != nil || as[0].Balance != 0 || as[0].Status != "open" {
			t.Fatalf("a newcomer's accounts: %+v; want one empty open main account", as)
		}

		if m := e.charge(t, u, 100_000); m.TransactionID <= 0 || m.Amount != 100_000 || m.MainBalance != 100_000 {
			t.Fatalf("charge 100,000 answered %+v", m)
		}
		if l := e.limit(t, u); l != (limitJSON{Day: "2026-03-10", Limit: 3_000_000, Used: 100_000, Remaining: 2_900_000}) {
			t.Fatalf("GET /v1/limits/charge = %+v", l)
		}

		var free accountJSON
		e.ok(t, req{method: "POST", path: "/v1/accounts", token: u.Token, body: map[string]any{"product": "free"}}, http.StatusCreated, &free)
		if free.ID <= 0 || free.Kind != "savings" || free.Product == nil || *free.Product != "free" || free.Balance != 0 || free.Status != "open" || free.DailyAmount != 0 {
			t.Fatalf("open free savings answered %+v", free)
		}
		freePath := "/v1/accounts/" + strconv.FormatInt(free.ID, 10)

		var m client.SavingsMovement
		e.ok(t, req{method: "POST", path: freePath + "/deposits", token: u.Token, body: map[string]int64{"amount": 30_000}}, http.StatusCreated, &m)
		if m.TransactionID <= 0 || m.Amount != 30_000 || m.MainBalance != 70_000 || m.SavingsBalance != 30_000 {
			t.Fatalf("deposit 30,000 answered %+v", m)
		}
		m = client.SavingsMovement{}
		e.ok(t, req{method: "POST", path: freePath + "/withdrawals", token: u.Token, body: map[string]int64{"amount": 10_000}}, http.StatusCreated, &m)
		if m.TransactionID <= 0 || m.Amount != 10_000 || m.MainBalance != 80_000 || m.SavingsBalance != 20_000 {
			t.Fatalf("withdraw 10,000 answered %+v", m)
		}

		var fixed accountJSON
		e.ok(t, req{method: "POST", path: "/v1/accounts", token: u.Token, body: map[string]any{"product": "fixed", "daily_amount": 10_000}}, http.StatusCreated, &fixed)
		if fixed.ID <= 0 || fixed.Kind != "savings" || fixed.Product == nil || *fixed.Product != "fixed" || fixed.DailyAmount != 10_000 || fixed.Balance != 0 || fixed.Status != "open" {
			t.Fatalf("open fixed savings answered %+v", fixed)
		}

		as = e.accounts(t, u)
		if len(as) != 3 || as[0].ID != u.Main || as[0].Balance != 80_000 || as[1].ID != free.ID || as[1].Balance != 20_000 ||
			as[2].ID != fixed.ID || as[2].Balance != 0 || as[2].DailyAmount != 10_000 {
			t.Fatalf("accounts after deposit and withdrawal: %+v", as)
		}
		var one accountJSON
		e.ok(t, req{method: "GET", path: freePath, token: u.Token}, http.StatusOK, &one)
		if !reflect.DeepEqual(one, as[1]) {
			t.Fatalf("GET %s = %+v, want %+v", freePath, one, as[1])
		}

		var closed struct {
			accountJSON
			ReturnedToMain int64 `json:"returned_to_main"`
			MainBalance    int64 `json:"main_balance"`
		}
		e.ok(t, req{method: "POST", path: freePath + "/close", token: u.Token}, http.StatusOK, &closed)
		if closed.ID != free.ID || closed.Status != "closed" || closed.Balance != 0 || closed.ReturnedToMain != 20_000 || closed.MainBalance != 100_000 {
			t.Fatalf("close free savings answered %+v", closed)
		}
		closed = struct {
			accountJSON
			ReturnedToMain int64 `json:"returned_to_main"`
			MainBalance    int64 `json:"main_balance"`
		}{}
		e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", fixed.ID), token: u.Token}, http.StatusOK, &closed)
		if closed.ID != fixed.ID || closed.Status != "closed" || closed.ReturnedToMain != 0 || closed.MainBalance != 100_000 {
			t.Fatalf("close fixed savings answered %+v", closed)
		}
		as = e.accounts(t, u)
		if len(as) != 3 || as[0].Balance != 100_000 || as[1].Status != "closed" || as[1].Balance != 0 || as[2].Status != "closed" {
			t.Fatalf("accounts after closing: %+v", as)
		}

		// A closed account takes no more money and cannot close twice.
		e.rejects(t, req{method: "POST", path: freePath + "/deposits", token: u.Token, body: `{"amount": 1000}`}, http.StatusConflict, "conflict", u)
		e.rejects(t, req{method: "POST", path: freePath + "/close", token: u.Token}, http.StatusConflict, "conflict", u)

		var set struct {
			TransfersRequireAcceptance bool `json:"transfers_require_acceptance"`
		}
		for _, v := range []bool{true, false, true} {
			e.ok(t, req{method: "PATCH", path: "/v1/me/settings", token: u.Token, body: map[string]bool{"transfers_require_acceptance": v}}, http.StatusOK, &set)
			if set.TransfersRequireAcceptance != v {
				t.Fatalf("PATCH settings to %v answered %v", v, set.TransfersRequireAcceptance)
			}
			me = userJSON{}
			e.ok(t, req{method: "GET", path: "/v1/me", token: u.Token}, http.StatusOK, &me)
			if me.Settings == nil || me.Settings.TransfersRequireAcceptance != v {
				t.Fatalf("GET /v1/me after PATCH %v: %+v", v, me)
			}
		}
		e.rejects(t, req{method: "PATCH", path: "/v1/me/settings", token: u.Token, body: `{}`}, http.StatusBadRequest, "invalid", u)
		e.rejects(t, req{method: "PATCH", path: "/v1/me/settings", token: u.Token, body: `{"transfers_require_acceptance": "yes"}`}, http.StatusBadRequest, "invalid", u)

		r := dbtest.Audit(t, db)
		// charge, deposit, withdrawal, close of the free account (the
		// fixed one held nothing).
		if r.UserMoney != 100_000 || r.Transactions != 4 {
			t.Fatalf("audit: %+v; want 100,000 won in 4 transactions", r)
		}
	})
}

// TestBadInputChangesNothing sends every kind of bad request a client
// can make to the money-moving endpoints: each gets its documented problem
// and leaves the books exactly as they were.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice := e.signUp(t, "alice")
		bob := e.signUp(t, "bob")
		e.charge(t, alice, 50_000)
		e.charge(t, bob, 20_000)
		open := func(u *user, body any) int64 {
			var a accountJSON
			e.ok(t, req{method: "POST", path: "/v1/accounts", token: u.Token, body: body}, http.StatusCreated, &a)
			return a.ID
		}
		aliceFree := open(alice, map[string]any{"product": "free"})
		aliceFixed := open(alice, map[string]any{"product": "fixed", "daily_amount": 5_000})
		bobFree := open(bob, map[string]any{"product": "free"})
		e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/deposits", aliceFree), token: alice.Token, body: `{"amount":10000}`}, http.StatusCreated, nil)
		e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/deposits", bobFree), token: bob.Token, body: `{"amount":5000}`}, http.StatusCreated, nil)
		both := []*user{alice, bob}

		deposit := fmt.Sprintf("/v1/accounts/%d/deposits", aliceFree)
		bodies := []struct {
			name, body string
		}{
			{"malformed JSON", `{"amount": 1000`},
			{"not JSON at all", `amount=1000`},
			{"empty body", ``},
			{"trailing garbage", `{"amount": 1000} x`},
			{"a second object", `{"amount": 1000}{"amount": 1000}`},
			{"unknown field", `{"amount": 1000, "currency": "KRW"}`},
			{"missing amount", `{}`},
			{"null amount", `{"amount": null}`},
			{"JSON null", `null`},
			{"an array", `[{"amount": 1000}]`},
			{"zero", `{"amount": 0}`},
			{"negative", `{"amount": -1000}`},
			{"fraction", `{"amount": 1.5}`},
			{"string", `{"amount": "100"}`},
			{"over int64", `{"amount": 9223372036854775808}`},
			{"far under int64", `{"amount": -9223372036854775809}`},
			{"exponent", `{"amount": 1e30}`},
			{"boolean", `{"amount": true}`},
			{"over 64 KiB", `{"amount": 1000` + strings.Repeat(" ", 70<<10) + `}`},
		}
		for _, path := range []string{"/v1/charges", deposit, fmt.Sprintf("/v1/accounts/%d/withdrawals", aliceFree)} {
			for _, c := range bodies {
				t.Run(path+"/"+c.name, func(t *testing.T) {
					e.rejects(t, req{method: "POST", path: path, token: alice.Token, body: c.body}, http.StatusBadRequest, "invalid", both...)
				})
			}
		}

		cases := []struct {
			name   string
			r      req
			status int
			code   string
		}{
			{"unknown account id", req{method: "POST", path: "/v1/accounts/999999/deposits", token: alice.Token, body: `{"amount":1000}`}, 404, "not_found"},
			{"unknown account id, withdrawal", req{method: "POST", path: "/v1/accounts/999999/withdrawals", token: alice.Token, body: `{"amount":1000}`}, 404, "not_found"},
			{"unknown account id, close", req{method: "POST", path: "/v1/accounts/999999/close", token: alice.Token}, 404, "not_found"},
			{"unknown account id, get", req{method: "GET", path: "/v1/accounts/999999", token: alice.Token}, 404, "not_found"},
			{"non-numeric account id", req{method: "POST", path: "/v1/accounts/abc/deposits", token: alice.Token, body: `{"amount":1000}`}, 404, "not_found"},
			{"non-numeric account id, get", req{method: "GET", path: "/v1/accounts/abc", token: alice.Token}, 404, "not_found"},
			{"zero account id", req{method: "POST", path: "/v1/accounts/0/deposits", token: alice.Token, body: `{"amount":1000}`}, 404, "not_found"},
			{"negative account id", req{method: "POST", path: "/v1/accounts/-1/withdrawals", token: alice.Token, body: `{"amount":1000}`}, 404, "not_found"},
			{"account id over int64", req{method: "GET", path: "/v1/accounts/9223372036854775808", token: alice.Token}, 404, "not_found"},
			{"another user's savings, deposit", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/deposits", bobFree), token: alice.Token, body: `{"amount":1000}`}, 403, "forbidden"},
			{"another user's savings, withdrawal", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/withdrawals", bobFree), token: alice.Token, body: `{"amount":1000}`}, 403, "forbidden"},
			{"another user's savings, close", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", bobFree), token: alice.Token}, 403, "forbidden"},
			{"another user's savings, get", req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d", bobFree), token: alice.Token}, 403, "forbidden"},
			{"another user's main, get", req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d", bob.Main), token: alice.Token}, 403, "forbidden"},
			{"another user's main, deposit", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/deposits", bob.Main), token: alice.Token, body: `{"amount":1000}`}, 403, "forbidden"},
			{"deposit into fixed savings", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/deposits", aliceFixed), token: alice.Token, body: `{"amount":1000}`}, 400, "invalid"},
			{"withdraw from fixed savings", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/withdrawals", aliceFixed), token: alice.Token, body: `{"amount":1000}`}, 400, "invalid"},
			{"deposit into own main", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/deposits", alice.Main), token: alice.Token, body: `{"amount":1000}`}, 400, "invalid"},
			{"close own main", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", alice.Main), token: alice.Token}, 400, "invalid"},
			{"deposit more than main holds", req{method: "POST", path: deposit, token: alice.Token, body: `{"amount":40001}`}, 422, "insufficient_funds"},
			{"deposit max int64", req{method: "POST", path: deposit, token: alice.Token, body: `{"amount":9223372036854775807}`}, 422, "insufficient_funds"},
			{"withdraw more than savings holds", req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/withdrawals", aliceFree), token: alice.Token, body: `{"amount":10001}`}, 422, "insufficient_funds"},
			{"charge over the daily limit", req{method: "POST", path: "/v1/charges", token: alice.Token, body: `{"amount":2950001}`}, 422, "charge_limit_exceeded"},
			{"charge max int64", req{method: "POST", path: "/v1/charges", token: alice.Token, body: `{"amount":9223372036854775807}`}, 422, "charge_limit_exceeded"},
			{"open unknown product", req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{"product":"crypto"}`}, 400, "invalid"},
			{"open without product", req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{}`}, 400, "invalid"},
			{"open fixed without daily_amount", req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{"product":"fixed"}`}, 400, "invalid"},
			{"open fixed with negative daily_amount", req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{"product":"fixed","daily_amount":-1}`}, 400, "invalid"},
			{"open fixed over the daily limit", req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{"product":"fixed","daily_amount":3000001}`}, 400, "invalid"},
			{"open free with daily_amount", req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{"product":"free","daily_amount":1000}`}, 400, "invalid"},
			{"open with fractional daily_amount", req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{"product":"fixed","daily_amount":1000.5}`}, 400, "invalid"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.rejects(t, c.r, c.status, c.code, both...)
			})
		}

		// Exactly up to the limit still works afterwards: the rejected
		// charges consumed none of it.
		if m := e.charge(t, alice, 2_950_000); m.MainBalance != 40_000+2_950_000 {
			t.Fatalf("charge to the limit answered %+v", m)
		}
		e.rejects(t, req{method: "POST", path: "/v1/charges", token: alice.Token, body: `{"amount":1}`}, 422, "charge_limit_exceeded", both...)
		if l := e.limit(t, alice); l.Used != 3_000_000 || l.Remaining != 0 {
			t.Fatalf("limit after filling it: %+v", l)
		}
		// Bob's savings and money are untouched by everything alice tried.
		as := e.accounts(t, bob)
		if len(as) != 2 || as[0].Balance != 15_000 || as[1].ID != bobFree || as[1].Balance != 5_000 || as[1].Status != "open" {
			t.Fatalf("bob's accounts: %+v", as)
		}
	})
}

// TestSignUpAndLoginErrors covers the ways sign-up and login fail.
func TestSignUpAndLoginErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "carol")
		e.charge(t, u, 10_000)
		before := e.books(t, u)

		cases := []struct {
			name   string
			path   string
			body   string
			status int
			code   string
		}{
			{"duplicate username", "/v1/users", `{"username":"carol","password":"another password","name":"Other Carol"}`, 409, "conflict"},
			{"username too short", "/v1/users", `{"username":"ab","password":"long enough","name":"A B"}`, 400, "invalid"},
			{"username with upper case", "/v1/users", `{"username":"Carol2","password":"long enough","name":"C"}`, 400, "invalid"},
			{"username with a space", "/v1/users", `{"username":"carol two","password":"long enough","name":"C"}`, 400, "invalid"},
			{"username too long", "/v1/users", `{"username":"` + strings.Repeat("a", 33) + `","password":"long enough","name":"C"}`, 400, "invalid"},
			{"short password", "/v1/users", `{"username":"dave","password":"short","name":"Dave"}`, 400, "invalid"},
			{"password over 72 bytes", "/v1/users", `{"username":"dave","password":"` + strings.Repeat("p", 73) + `","name":"Dave"}`, 400, "invalid"},
			{"empty name", "/v1/users", `{"username":"dave","password":"long enough","name":""}`, 400, "invalid"},
			{"missing name", "/v1/users", `{"username":"dave","password":"long enough"}`, 400, "invalid"},
			{"missing username", "/v1/users", `{"password":"long enough","name":"Dave"}`, 400, "invalid"},
			{"sign-up unknown field", "/v1/users", `{"username":"dave","password":"long enough","name":"Dave","admin":true}`, 400, "invalid"},
			{"sign-up malformed", "/v1/users", `{"username":"dave"`, 400, "invalid"},
			{"wrong password", "/v1/sessions", `{"username":"carol","password":"not the password"}`, 401, "unauthorized"},
			{"unknown user", "/v1/sessions", `{"username":"nobody","password":"whatever password"}`, 401, "unauthorized"},
			{"login without password", "/v1/sessions", `{"username":"carol"}`, 400, "invalid"},
			{"login empty body", "/v1/sessions", ``, 400, "invalid"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.rejects(t, req{method: "POST", path: c.path, body: c.body}, c.status, c.code, u)
			})
		}
		// The duplicate did not replace carol: her password and name still
		// work, and "dave" was never created.
		e.logIn(t, u)
		var me userJSON
		e.ok(t, req{method: "GET", path: "/v1/me", token: u.Token}, http.StatusOK, &me)
		if me.Name != u.Name {
			t.Fatalf("carol's name became %q", me.Name)
		}
		e.rejects(t, req{method: "POST", path: "/v1/sessions", body: `{"username":"dave","password":"long enough"}`}, 401, "unauthorized", u)
		e.unchanged(t, "failed sign-ups and logins", before, u)
	})
}

// TestUnauthorized checks every way a bearer token can be wrong, on reads
// and on money-moving requests.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "erin")
		e.charge(t, u, 10_000)

		parts := strings.Split(u.Token, ".") // header.payload.signature
		if len(parts) != 3 {
			t.Fatalf("unexpected token shape %q", u.Token)
		}
		flipped := []byte(parts[2])
		if flipped[0] == 'A' {
			flipped[0] = 'B'
		} else {
			flipped[0] = 'A'
		}
		otherUser := reclaim(t, u.Token, func(_, c map[string]any) { c["sub"] = strconv.FormatInt(u.ID+1, 10) })
		later := reclaim(t, u.Token, func(_, c map[string]any) { c["exp"] = start.Add(1000 * time.Hour).Unix() })
		unsigned := reclaim(t, u.Token, func(h, _ map[string]any) { h["alg"] = "none" })
		unsigned = unsigned[:strings.LastIndexByte(unsigned, '.')+1]

		headers := []struct {
			name, value string
		}{
			{"missing Authorization", ""},
			{"empty bearer", "Bearer "},
			{"not bearer", "Basic ZXJpbjpwdw=="},
			{"garbage token", "Bearer garbage"},
			{"token of dots", "Bearer ...."},
			{"tampered signature", "Bearer " + parts[0] + "." + parts[1] + "." + string(flipped)},
			{"signature removed", "Bearer " + parts[0] + "." + parts[1]},
			{"payload changed to another user", "Bearer " + otherUser},
			{"expiry extended", "Bearer " + later},
			{"alg none", "Bearer " + unsigned},
			{"the old v1 format", fmt.Sprintf("Bearer v1.%d.%d.%d.c2lnbmF0dXJl", u.ID, u.Main, start.Add(time.Hour).Unix())},
		}
		endpoints := []req{
			{method: "GET", path: "/v1/me"},
			{method: "GET", path: "/v1/accounts"},
			{method: "POST", path: "/v1/charges", body: `{"amount":1000}`},
			{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", u.Main)},
			{method: "PATCH", path: "/v1/me/settings", body: `{"transfers_require_acceptance":true}`},
		}
		for _, h := range headers {
			for _, r := range endpoints {
				t.Run(h.name+"/"+r.method+" "+r.path, func(t *testing.T) {
					if h.value != "" {
						r.header = map[string]string{"Authorization": h.value}
					}
					e.rejects(t, r, http.StatusUnauthorized, "unauthorized", u)
				})
			}
		}

		// The token is good until one second before its expiry...
		e.clock.Set(start.Add(24*time.Hour - time.Second))
		e.ok(t, req{method: "GET", path: "/v1/me", token: u.Token}, http.StatusOK, nil)
		// ...and refused from the second it expires, for reads and for
		// money.
		e.clock.Set(start.Add(24 * time.Hour))
		checkProblem(t, "token at exactly its expiry", e.do(t, req{method: "GET", path: "/v1/me", token: u.Token}), http.StatusUnauthorized, "unauthorized")
		e.clock.Set(start.Add(24*time.Hour + time.Second))
		fresh := &user{ID: u.ID, Username: u.Username, Password: u.Password, Main: u.Main}
		fresh.Token = e.logIn(t, fresh)
		for _, r := range endpoints {
			r.token = u.Token
			t.Run("expired/"+r.method+" "+r.path, func(t *testing.T) {
				e.rejects(t, r, http.StatusUnauthorized, "unauthorized", fresh)
			})
		}
		// A fresh login works again.
		e.charge(t, fresh, 1_000)
		if as := e.accounts(t, fresh); as[0].Balance != 11_000 {
			t.Fatalf("balance after re-login and charge: %+v", as)
		}
	})
}

// TestUnknownRoute gets a not_found problem, whatever the method.
// Paths outside the API's (/, /v2/...) are the web wallet's, which answers
// its own 404 page (web's tests).
func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, r := range []req{
			{method: "GET", path: "/v1/nothing-here"},
			{method: "POST", path: "/v1/nothing-here", body: `{}`},
			{method: "DELETE", path: "/v1/users/1"},
		} {
			before := e.books(t)
			checkProblem(t, r.method+" "+r.path, e.do(t, r), http.StatusNotFound, "not_found")
			e.unchanged(t, r.method+" "+r.path, before)
		}
	})
}

// TestIdempotencyOverHTTP: a retried request with the same key is answered
// with the first response and moves no money; a reused key with another
// request, or a malformed key, is refused.
func TestIdempotencyOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "frank")
		v := e.signUp(t, "grace")
		both := []*user{u, v}
		withKey := func(u *user, key, path, body string) req {
			return req{method: "POST", path: path, token: u.Token, body: body, header: map[string]string{"Idempotency-Key": key}}
		}

		t.Run("sequential replay", func(t *testing.T) {
			r := withKey(u, "charge-1", "/v1/charges", `{"amount":10000}`)
			first := e.ok(t, r, http.StatusCreated, nil)
			if first.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("first request marked replayed: %v", first.header)
			}
			// Money moves in between: the replay must still answer the
			// first response, not today's balance.
			e.charge(t, u, 5_000)
			before := e.books(t, both...)
			for range 3 {
				again := e.ok(t, r, http.StatusCreated, nil)
				if again.header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("replay lacks Idempotent-Replayed: true: %v", again.header)
				}
				if string(again.body) != string(first.body) {
					t.Errorf("replay body %s, want %s", again.body, first.body)
				}
			}
			e.unchanged(t, "replays", before, both...)
			if as := e.accounts(t, u); as[0].Balance != 15_000 {
				t.Fatalf("balance %d, want 15,000", as[0].Balance)
			}
		})

		t.Run("keys are per user", func(t *testing.T) {
			var m client.Movement
			e.ok(t, withKey(v, "charge-1", "/v1/charges", `{"amount":10000}`), http.StatusCreated, &m)
			if m.MainBalance != 10_000 {
				t.Fatalf("grace reusing frank's key: %+v", m)
			}
		})

		t.Run("mismatch", func(t *testing.T) {
			e.rejects(t, withKey(u, "charge-1", "/v1/charges", `{"amount":10001}`), 422, "idempotency_mismatch", both...)
			var free accountJSON
			e.ok(t, req{method: "POST", path: "/v1/accounts", token: u.Token, body: `{"product":"free"}`}, http.StatusCreated, &free)
			// The same key on another endpoint is another request too.
			e.rejects(t, withKey(u, "charge-1", fmt.Sprintf("/v1/accounts/%d/deposits", free.ID), `{"amount":10000}`), 422, "idempotency_mismatch", both...)
		})

		t.Run("replay after the limit is full", func(t *testing.T) {
			r := withKey(u, "fill", "/v1/charges", fmt.Sprintf(`{"amount":%d}`, 3_000_000-15_000))
			first := e.ok(t, r, http.StatusCreated, nil)
			before := e.books(t, both...)
			again := e.ok(t, r, http.StatusCreated, nil)
			if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
				t.Fatalf("replay of the charge that filled the limit: %v, first %v", again, first)
			}
			e.unchanged(t, "replay at the limit", before, both...)
		})

		t.Run("invalid keys", func(t *testing.T) {
			for name, key := range map[string]string{
				"300 characters": strings.Repeat("k", 300),
				"256 characters": strings.Repeat("k", 256),
				"space":          "two words",
				"non-ASCII":      "키",
				"tab":            "a\tb",
				// Sent but empty: the documented range is 1 to 255
				// characters, and a client that sends an empty key
				// believes its retries are safe.
				"empty": "",
			} {
				t.Run(name, func(t *testing.T) {
					e.rejects(t, withKey(v, key, "/v1/charges", `{"amount":1000}`), 400, "invalid", both...)
				})
			}
			// 255 printable characters is the longest valid key.
			e.ok(t, withKey(v, strings.Repeat("k", 255), "/v1/charges", `{"amount":1000}`), http.StatusCreated, nil)
		})

		t.Run("every money-moving endpoint", func(t *testing.T) {
			var free accountJSON
			e.ok(t, req{method: "POST", path: "/v1/accounts", token: v.Token, body: `{"product":"free"}`}, http.StatusCreated, &free)
			path := fmt.Sprintf("/v1/accounts/%d", free.ID)
			for _, c := range []struct {
				r      req
				status int
			}{
				{withKey(v, "dep", path+"/deposits", `{"amount":3000}`), http.StatusCreated},
				// Empties the account: a zero savings balance must replay
				// as zero too.
				{withKey(v, "wd", path+"/withdrawals", `{"amount":3000}`), http.StatusCreated},
				{withKey(v, "dep2", path+"/deposits", `{"amount":2000}`), http.StatusCreated},
				{withKey(v, "close", path+"/close", ``), http.StatusOK},
			} {
				first := e.ok(t, c.r, c.status, nil)
				before := e.books(t, both...)
				again := e.ok(t, c.r, c.status, nil)
				if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
					t.Errorf("%s replay: %v; first %v", c.r.path, again, first)
				}
				e.unchanged(t, c.r.path+" replay", before, both...)
			}
		})

		t.Run("concurrent", func(t *testing.T) {
			before := e.books(t, both...)
			const n = 20
			r := withKey(v, "burst", "/v1/charges", `{"amount":7000}`)
			res := make([]response, n)
			errc := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { res[i], errc[i] = e.send(r) })
			}
			wg.Wait()
			fresh := 0
			for i := range n {
				if errc[i] != nil {
					t.Fatal(errc[i])
				}
				if res[i].status != http.StatusCreated {
					t.Fatalf("request %d: %v", i, res[i])
				}
				if string(res[i].body) != string(res[0].body) {
					t.Errorf("request %d answered %s, request 0 %s", i, res[i].body, res[0].body)
				}
				if res[i].header.Get("Idempotent-Replayed") != "true" {
					fresh++
				}
			}
			if fresh != 1 {
				t.Errorf("%d of %d requests were applied, want exactly 1", fresh, n)
			}
			var m client.Movement
			if err := json.Unmarshal(res[0].body, &m); err != nil {
				t.Fatal(err)
			}
			after := e.books(t, both...)
			if after.Transactions != before.Transactions+1 || after.UserMoney != before.UserMoney+7_000 {
				t.Errorf("books moved by %d transactions and %d won, want 1 and 7,000",
					after.Transactions-before.Transactions, after.UserMoney-before.UserMoney)
			}
			if got, want := after.Accounts[v.Username][0].Balance, before.Accounts[v.Username][0].Balance+7_000; got != want || m.MainBalance != want {
				t.Errorf("grace's main is %d (response says %d), want %d", got, m.MainBalance, want)
			}
			if got, want := after.Limits[v.Username].Used, before.Limits[v.Username].Used+7_000; got != want {
				t.Errorf("limit used %d, want %d", got, want)
			}
		})
	})
}

// TestDailyLimitResetsAtMidnightKST fills the limit and watches the day
// turn in Seoul, not in UTC.
func TestDailyLimitResetsAtMidnightKST(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// 08:59 KST is 23:59 UTC of the day before.
		e.clock.Set(time.Date(2026, 3, 10, 8, 59, 0, 0, seoul))
		u := e.signUp(t, "heidi")
		e.charge(t, u, 2_000_000)
		e.charge(t, u, 1_000_000)
		full := limitJSON{Day: "2026-03-10", Limit: 3_000_000, Used: 3_000_000, Remaining: 0}
		if l := e.limit(t, u); l != full {
			t.Fatalf("limit after filling it: %+v", l)
		}
		overLimit := req{method: "POST", path: "/v1/charges", token: u.Token, body: `{"amount":1}`}
		e.rejects(t, overLimit, 422, "charge_limit_exceeded", u)

		// UTC midnight passes: still the same day in Seoul.
		e.clock.Set(time.Date(2026, 3, 10, 9, 0, 1, 0, seoul))
		e.rejects(t, overLimit, 422, "charge_limit_exceeded", u)
		if l := e.limit(t, u); l != full {
			t.Fatalf("limit after UTC midnight: %+v", l)
		}

		e.clock.Set(time.Date(2026, 3, 10, 23, 59, 59, 0, seoul))
		e.rejects(t, overLimit, 422, "charge_limit_exceeded", u)
		if l := e.limit(t, u); l != full {
			t.Fatalf("limit at 23:59:59 KST: %+v", l)
		}

		e.clock.Set(time.Date(2026, 3, 11, 0, 0, 1, 0, seoul))
		if l := e.limit(t, u); l != (limitJSON{Day: "2026-03-11", Limit: 3_000_000, Used: 0, Remaining: 3_000_000}) {
			t.Fatalf("limit at 00:00:01 KST the next day: %+v", l)
		}
		if m := e.charge(t, u, 50_000); m.MainBalance != 3_050_000 {
			t.Fatalf("first charge of the new day answered %+v", m)
		}
		if l := e.limit(t, u); l != (limitJSON{Day: "2026-03-11", Limit: 3_000_000, Used: 50_000, Remaining: 2_950_000}) {
			t.Fatalf("limit after the first charge of the new day: %+v", l)
		}
		e.charge(t, u, 2_950_000)
		e.rejects(t, overLimit, 422, "charge_limit_exceeded", u)
		if r := dbtest.Audit(t, db); r.UserMoney != 6_000_000 || r.Transactions != 4 {
			t.Fatalf("audit: %+v; want 6,000,000 won in 4 charges", r)
		}
	})
}

// TestOpsEndpoints: health, metrics and the OpenAPI document.
func TestOpsEndpoints(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		for _, path := range []string{"/livez", "/readyz", "/healthz"} {
			var health map[string]string
			e.ok(t, req{method: "GET", path: path}, http.StatusOK, &health)
			if health["status"] != "ok" {
				t.Fatalf("%s answered %v", path, health)
			}
		}

		// A day's jobs run, so that their metrics have samples.
		e.ok(t, req{method: "POST", path: "/v1/test-clock/advance", body: map[string]int{"seconds": 86400}}, http.StatusOK, nil)
		res := e.do(t, req{method: "GET", path: "/metrics"})
		for _, name := range []string{"minipay_writer_batch_commands", "minipay_http_request_seconds", "minipay_http_requests_in_flight",
			"go_sql_max_open_connections", "go_build_info", `minipay_job_runs_total{job="interest",result="ok"}`,
			`minipay_job_last_success_timestamp_seconds{job="expiry"}`, `minipay_job_items_total{job="reminders"}`, "minipay_job_duration_seconds_bucket"} {
			if res.status != http.StatusOK || !strings.Contains(string(res.body), name) {
				t.Errorf("/metrics: %d, %s missing", res.status, name)
			}
		}
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/openmetrics-text") {
			t.Errorf("/metrics Content-Type %q", ct)
		}

		var doc map[string]any
		e.ok(t, req{method: "GET", path: "/openapi.json"}, http.StatusOK, &doc)
		if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
			t.Fatalf("/openapi.json has openapi %v", doc["openapi"])
		}
		if paths, _ := doc["paths"].(map[string]any); paths["/v1/charges"] == nil {
			t.Fatalf("/openapi.json lacks /v1/charges")
		}
	})
}

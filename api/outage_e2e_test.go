package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/store"
	"minipay/store/dbtest"
)

// accessLine is the access log line of the request with the given id, or
// nil.
func accessLine(t *testing.T, logs *apptest.Logs, id string) map[string]any {
	t.Helper()
	for _, m := range logs.Lines(t) {
		if m["msg"] == "request" && m["request_id"] == id {
			return m
		}
	}
	return nil
}

// wireLogged is wire with the server's log in logs and the given request
// and batch deadline.
func wireLogged(t *testing.T, db *store.DB, deadline time.Duration) (*env, *apptest.Logs) {
	logs := &apptest.Logs{}
	e := wire(t, db, func(cfg *app.Config) {
		cfg.Logger = logs.Logger()
		cfg.RequestTimeout, cfg.BatchTimeout = deadline, deadline
	})
	return e, logs
}

// okSoon is e.ok for a server that may answer 503 for a while, as a
// loaded test machine makes a short deadline do outside the outage:
// retried, as a client honouring Retry-After would, for up to 15 s.
// Only for requests that are safe to repeat.
func (e *env) okSoon(t *testing.T, r req, status int, out any) {
	t.Helper()
	res := e.do(t, r)
	for start := time.Now(); res.status == http.StatusServiceUnavailable && time.Since(start) < 15*time.Second; res = e.do(t, r) {
		time.Sleep(100 * time.Millisecond)
	}
	if res.status != status {
		t.Fatalf("%s %s: got %v, want status %d", r.method, r.path, res, status)
	}
	if out != nil {
		if err := json.Unmarshal(res.body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", r.method, r.path, res.body, err)
		}
	}
}

// TestLockedAccountsFailFastAndRecover: while another connection holds a
// lock on accounts, money-moving requests fail within the deadline with
// 503 and Retry-After and the server is not ready; a client that gives up
// is logged as 499 at info. Once the lock is gone the server is ready
// again, every request retried with its Idempotency-Key is applied once,
// and the books balance. The database sessions have the lock timeouts
// `minipay serve` gives them.
func TestLockedAccountsFailFastAndRecover(t *testing.T) {
	t.Parallel()
	const deadline = time.Second
	dbtest.EachURL(t, func(t *testing.T, url string) {
		lockedAccounts(t, url, deadline, store.Options{LockTimeout: deadline, StatementTimeout: 10 * deadline})
	})
}

// TestLockedAccountsRequestDeadlineAlone is the same with sessions that
// wait for locks as long as the database lets them (10 s on SQLite,
// forever on PostgreSQL): the request and batch deadlines alone bound
// every wait.
func TestLockedAccountsRequestDeadlineAlone(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		lockedAccounts(t, url, time.Second, store.Options{})
	})
}

// lockedAccounts is the outage: a server with the given request and batch
// deadline on the database at url, opened with opts.
func lockedAccounts(t *testing.T, url string, deadline time.Duration, opts store.Options) {
	db, err := store.OpenWith(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e, logs := wireLogged(t, db, deadline)
	alice, acknowledged := beforeOutage(t, e, db)

	release := dbtest.Lock(t, url, "accounts")
	outageStart := time.Now()
	const n = 20
	charge := alice.charge
	answers := make([]response, n)
	took := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			start := time.Now()
			answers[i] = e.do(t, charge(fmt.Sprint("outage-", i)))
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	for i, res := range answers {
		checkProblem(t, "a charge while accounts are locked", res, http.StatusServiceUnavailable, "unavailable")
		if res.header.Get("Retry-After") == "" {
			t.Errorf("charge %d: 503 without Retry-After", i)
		}
		// Far above the deadline, far below forever: the lock is held
		// until every answer is in.
		if took[i] > 10*deadline {
			t.Errorf("charge %d answered after %v with a %v deadline", i, took[i], deadline)
		}
	}
	if db.Dialect() == "postgres" { // SQLite readers do not wait for the writer
		checkProblem(t, "a read while accounts are locked", e.do(t, req{method: "GET", path: "/v1/accounts", token: alice.Token}),
			http.StatusServiceUnavailable, "unavailable")
	}
	checkProblem(t, "readiness while accounts are locked", e.do(t, req{method: "GET", path: "/readyz"}), http.StatusServiceUnavailable, "unavailable")
	e.ok(t, req{method: "GET", path: "/livez"}, http.StatusOK, nil)

	// A client that gives up before the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), deadline/3)
	_, err = e.sendContext(ctx, charge("gave-up"))
	cancel()
	if err == nil {
		t.Fatal("the abandoned request was answered while accounts are locked")
	}
	var gaveUp map[string]any
	for wait := time.Now(); gaveUp == nil && time.Since(wait) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		gaveUp = accessLine(t, logs, "gave-up")
	}
	if gaveUp == nil || gaveUp["status"] != float64(499) || gaveUp["level"] != "INFO" {
		t.Errorf("the abandoned request was logged as %v, want status 499 at INFO", gaveUp)
	}

	release()
	outage := time.Since(outageStart)
	afterOutage(t, e, db, alice, acknowledged, "gave-up", "outage-0", "outage-7", "outage-19")
	quietOutage(t, logs, outage)
}

// quietOutage checks the logs of an outage that lasted outage: no request
// logged as an error, no command failing alone, and the writer's failed
// batches at most one line a second.
func quietOutage(t *testing.T, logs *apptest.Logs, outage time.Duration) {
	t.Helper()
	outageLines := 0
	for _, m := range logs.Lines(t) {
		switch {
		case m["level"] == "ERROR" && m["msg"] == "request":
			t.Errorf("a request logged as an error: %v", m)
		case m["msg"] == "command failed", m["msg"] == "batch failed, applying its commands one by one":
			t.Errorf("a command logged alone: %v", m)
		case strings.HasPrefix(fmt.Sprint(m["msg"]), "database unavailable"):
			outageLines++
		}
	}
	if outageLines == 0 || outageLines > 1+int(outage/time.Second) {
		t.Errorf("%d lines about the unavailable database over %v, want one a second at most", outageLines, outage)
	}
}

// outageUser is a user of an outage test, and how to charge her account
// with an Idempotency-Key (also the request id).
type outageUser struct{ *user }

func (u outageUser) charge(key string) req {
	return req{method: "POST", path: "/v1/charges", token: u.Token, body: map[string]int64{"amount": 100},
		header: map[string]string{"Idempotency-Key": key, "X-Request-Id": key}}
}

// beforeOutage signs Alice up through the store (a sign-up is not safe
// to repeat), logs her in over HTTP, charges 1,000 and waits for the
// server to be ready. It returns her and the money acknowledged so far.
func beforeOutage(t *testing.T, e *env, db *store.DB) (outageUser, int64) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw-alice-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	created, err := db.CreateUser(context.Background(), "alice", "Alice", string(hash), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var session struct{ Token string }
	e.okSoon(t, req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": "alice", "password": "pw-alice-secret"}},
		http.StatusCreated, &session)
	alice := outageUser{&user{ID: created.ID, Token: session.Token}}
	var first struct{ Amount int64 }
	e.okSoon(t, req{method: "POST", path: "/v1/charges", token: alice.Token, body: map[string]int64{"amount": 1_000},
		header: map[string]string{"Idempotency-Key": "first"}}, http.StatusCreated, &first)
	e.okSoon(t, req{method: "GET", path: "/readyz"}, http.StatusOK, nil)
	return alice, first.Amount
}

// afterOutage waits for the server to be ready again, retries the charges
// with the given keys (the first twice: the second time a replay), and
// checks that Alice's balance is what was acknowledged and the books
// balance.
func afterOutage(t *testing.T, e *env, db *store.DB, alice outageUser, acknowledged int64, keys ...string) {
	t.Helper()
	for wait := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if res := e.do(t, req{method: "GET", path: "/readyz"}); res.status == http.StatusOK {
			break
		} else if time.Since(wait) > 10*time.Second {
			t.Fatalf("not ready 10 s after the outage: %v", res)
		}
	}
	for _, key := range keys {
		var m struct{ Amount int64 }
		e.okSoon(t, alice.charge(key), http.StatusCreated, &m)
		acknowledged += m.Amount
	}
	e.okSoon(t, alice.charge(keys[0]), http.StatusCreated, nil) // a replay: moves nothing
	var accounts struct{ Accounts []accountJSON }
	e.okSoon(t, req{method: "GET", path: "/v1/accounts", token: alice.Token}, http.StatusOK, &accounts)
	if got := accounts.Accounts[0].Balance; got != acknowledged {
		t.Errorf("alice's balance is %d, the acknowledged charges %d", got, acknowledged)
	}
	dbtest.Audit(t, db)
}

// TestPostgresRefusesConnections: the server reaches PostgreSQL through a
// proxy that then closes every connection and refuses new ones, as a
// PostgreSQL that is down or restarting does. Requests fail within the
// deadline with 503 and Retry-After, reads too, and the server is not
// ready but alive; once connections are accepted again it is ready,
// requests retried with their Idempotency-Key are applied once and the
// books balance. (SQLite has no connection to refuse: it is a file in
// the process, and its stalls are TestLockedAccountsFailFastAndRecover's.)
func TestPostgresRefusesConnections(t *testing.T) {
	t.Parallel()
	if !slices.Contains(dbtest.Backends(), "postgres") {
		t.Skipf("%s is not set", dbtest.EnvPostgres)
	}
	const deadline = time.Second
	proxy, url := dbtest.NewProxy(t, dbtest.URL(t, "postgres"))
	db, err := store.OpenWith(context.Background(), url, store.Options{LockTimeout: deadline, StatementTimeout: 10 * deadline})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e, logs := wireLogged(t, db, deadline)
	alice, acknowledged := beforeOutage(t, e, db)

	proxy.Refuse()
	outageStart := time.Now()
	for i, r := range []req{alice.charge("refused-0"), alice.charge("refused-1"),
		{method: "GET", path: "/v1/accounts", token: alice.Token}, {method: "GET", path: "/readyz"}} {
		start := time.Now()
		res := e.do(t, r)
		checkProblem(t, fmt.Sprintf("%s %s while PostgreSQL refuses connections", r.method, r.path), res, http.StatusServiceUnavailable, "unavailable")
		if res.header.Get("Retry-After") == "" {
			t.Errorf("request %d: 503 without Retry-After", i)
		}
		if took := time.Since(start); took > 10*deadline {
			t.Errorf("request %d answered after %v with a %v deadline", i, took, deadline)
		}
	}
	e.ok(t, req{method: "GET", path: "/livez"}, http.StatusOK, nil)

	proxy.Accept()
	outage := time.Since(outageStart)
	afterOutage(t, e, db, alice, acknowledged, "refused-0", "refused-1")
	quietOutage(t, logs, outage)
}

// TestAccessLogAndRequestID: every request has one access log line at
// info with its route, status, duration, size, request id, user and
// client address; a sane X-Request-Id is kept and echoed, any other
// replaced.
func TestAccessLogAndRequestID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e, logs := wireLogged(t, db, time.Second)
		alice := e.signUp(t, "alice")
		res := e.ok(t, req{method: "POST", path: "/v1/charges", token: alice.Token, body: map[string]int64{"amount": 500},
			header: map[string]string{"X-Request-Id": "trace-42.a:b_c"}}, http.StatusCreated, nil)
		if id := res.header.Get("X-Request-Id"); id != "trace-42.a:b_c" {
			t.Errorf("X-Request-Id echoed as %q", id)
		}
		line := accessLine(t, logs, "trace-42.a:b_c")
		want := map[string]any{"level": "INFO", "method": "POST", "route": "POST /v1/charges", "path": "/v1/charges",
			"status": float64(201), "bytes": float64(len(res.body)), "user_id": float64(alice.ID), "client": "127.0.0.1"}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("access log %s = %v, want %v (line %v)", k, line[k], v, line)
			}
		}
		if ms, ok := line["duration_ms"].(float64); !ok || ms <= 0 || ms > 60_000 {
			t.Errorf("access log duration_ms = %v, want milliseconds", line["duration_ms"])
		}

		for _, bad := range []string{"has space", strings.Repeat("x", 65), "quote\"d"} {
			res := e.do(t, req{method: "GET", path: "/v1/nowhere", header: map[string]string{"X-Request-Id": bad}})
			p := checkProblem(t, "an unknown route", res, http.StatusNotFound, "not_found")
			if p.RequestID == bad {
				t.Errorf("X-Request-Id %q was kept", bad)
			}
			if line := accessLine(t, logs, p.RequestID); line == nil || line["route"] != "unmatched" || line["status"] != float64(404) {
				t.Errorf("the unknown route's access log line: %v", line)
			}
		}
	})
}

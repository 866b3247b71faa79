package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"minipay/client"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"minipay/api"
	"minipay/store"
	"minipay/store/dbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenDir holds one file per response: the request and the exact answer.
const goldenDir = "testdata/golden"

// golden records each response of a script and compares it with its file
// under goldenDir, byte for byte after the substitutions of stabilize, with
// JSON bodies indented for reading. Every other value comes from the
// manual clock or from ids a sequential script assigns the same way on
// every database.
type golden struct {
	e     *env
	names []string
	// ordinals numbers transaction and entry ids in order of appearance.
	ordinals map[string]map[string]int
}

var (
	// A bearer token (a JWT) is signed with a key each test draws at
	// random, and names a session of random id.
	tokenPattern     = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	sessionPattern   = regexp.MustCompile(`"id":"([A-Za-z0-9_-]{22})"`)
	sessionIDPattern = regexp.MustCompile(`"session_id":"([A-Za-z0-9_-]{22})"`)
	// Transaction and history entry ids come from sequences that start
	// apart on SQLite and PostgreSQL (same order, different numbers).
	transactionPattern = regexp.MustCompile(`"transaction_id":([0-9]+)`)
	entryPattern       = regexp.MustCompile(`"id":([0-9]+)`)
	cursorPattern      = regexp.MustCompile(`"next_cursor":"([^"]+)"`)
	eventPathPattern   = regexp.MustCompile(`^/v1/events/([0-9]+)$`)
	// A request id is drawn at random for each request.
	requestIDPattern = regexp.MustCompile(`"request_id":"[0-9a-f]+"`)
)

// stabilize replaces the values that differ between databases or runs:
// tokens become <token>, request ids <request id>, session ids <session
// N>, transaction ids <tx N>, history entry ids (and the cursors that
// encode them) <entry N>, event ids (which a rolled-back retry may skip on
// PostgreSQL) <event N>, N counting distinct ids in order of appearance.
func (g *golden) stabilize(path string, body []byte) []byte {
	body = tokenPattern.ReplaceAll(body, []byte("<token>"))
	body = g.number(body, sessionPattern, "session", `"id":"<session %d>"`, nil)
	body = g.number(body, sessionIDPattern, "session", `"session_id":"<session %d>"`, nil)
	body = requestIDPattern.ReplaceAll(body, []byte(`"request_id":"<request id>"`))
	body = g.number(body, transactionPattern, "tx", `"transaction_id":"<tx %d>"`, nil)
	if strings.HasPrefix(path, "/v1/events") {
		body = g.number(body, entryPattern, "event", `"id":"<event %d>"`, nil)
		body = g.number(body, cursorPattern, "event", `"next_cursor":"<cursor after event %d>"`, func(c string) string {
			b, _ := base64.RawURLEncoding.DecodeString(c)
			return strings.TrimPrefix(string(b), "id:")
		})
	}
	if strings.Contains(path, "/history") {
		body = g.number(body, entryPattern, "entry", `"id":"<entry %d>"`, nil)
		body = g.number(body, cursorPattern, "entry", `"next_cursor":"<cursor after entry %d>"`, func(c string) string {
			b, _ := base64.RawURLEncoding.DecodeString(c) // at:<time>:<entry id>
			return string(b[bytes.LastIndexByte(b, ':')+1:])
		})
	}
	return body
}

// number replaces each match of p (whose group is an id, or a value key
// turns into one) by format filled with the id's ordinal in kind.
func (g *golden) number(body []byte, p *regexp.Regexp, kind, format string, key func(string) string) []byte {
	if g.ordinals[kind] == nil {
		g.ordinals[kind] = map[string]int{}
	}
	seen := g.ordinals[kind]
	return p.ReplaceAllFunc(body, func(m []byte) []byte {
		id := string(p.FindSubmatch(m)[1])
		if key != nil {
			id = key(id)
		}
		if seen[id] == 0 {
			seen[id] = len(seen) + 1
		}
		return fmt.Appendf(nil, format, seen[id])
	})
}

// check sends r as u (nil: no token), requires status, and compares the
// exchange with the golden file name.
func (g *golden) check(t *testing.T, name string, u *user, r req, status int) response {
	t.Helper()
	who := "nobody"
	if u != nil {
		r.token, who = u.Token, u.Username
	}
	res := g.e.do(t, r)
	if res.status != status {
		t.Fatalf("%s: %s %s: got %v, want status %d", name, r.method, r.path, res, status)
	}
	g.compare(t, name, g.render(t, who, r, res))
	return res
}

// checkHead is check for bodies that cannot be stable (metrics) or are
// kept by their own test (the OpenAPI document): status and headers only.
func (g *golden) checkHead(t *testing.T, name string, r req, status int) {
	t.Helper()
	res := g.e.do(t, r)
	if res.status != status {
		t.Fatalf("%s: got %v, want status %d", name, res, status)
	}
	res.body = []byte("(body not recorded)")
	g.compare(t, name, g.render(t, "nobody", r, res))
}

func (g *golden) render(t *testing.T, who string, r req, res response) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\nas: %s\n", r.method, g.number([]byte(r.path), eventPathPattern, "event", "/v1/events/<event %d>", nil), who)
	for _, k := range slices.Sorted(maps.Keys(r.header)) {
		fmt.Fprintf(&b, "%s: %s\n", k, r.header[k])
	}
	if r.body != nil {
		j, err := json.Marshal(r.body)
		if s, ok := r.body.(string); ok {
			j, err = []byte(s), nil
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n%s\n", j)
	}
	fmt.Fprintf(&b, "\n%d %s\n", res.status, http.StatusText(res.status))
	for _, k := range []string{"Allow", "Content-Type", "Idempotent-Replayed", "Retry-After", "WWW-Authenticate"} {
		if v := res.header.Get(k); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	body := g.stabilize(r.path, res.body)
	var out bytes.Buffer
	if json.Indent(&out, body, "", "  ") != nil {
		out.Reset()
		out.Write(body)
	}
	fmt.Fprintf(&b, "\n%s\n", bytes.TrimRight(out.Bytes(), "\n"))
	return b.String()
}

func (g *golden) compare(t *testing.T, name, got string) {
	t.Helper()
	g.names = append(g.names, name)
	path := filepath.Join(goldenDir, name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./api -run TestGoldenResponses -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// TestGoldenResponses drives the API through every success body of every
// route and one problem of each error code, and compares each with its
// golden file: a renamed engine or storage field cannot change what
// clients see without this test failing.
func TestGoldenResponses(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		g := &golden{e: newTestClockEnv(t, db), ordinals: map[string]map[string]int{}}
		alice, bob, carol := goldenUsers(t, g)
		savings := goldenAccounts(t, g, alice)
		goldenTransfers(t, g, alice, bob, carol)
		goldenSettlements(t, g, alice, bob, carol)
		goldenReads(t, g, alice, bob, savings)
		goldenFriends(t, g, alice, bob)
		goldenProblems(t, g, alice, bob, savings)
		goldenUnavailable(t, g, db)
		goldenNoStrays(t, g.names)
	})
}

// goldenUsers: the public endpoints, sign-up, login, me and settings.
func goldenUsers(t *testing.T, g *golden) (alice, bob, carol *user) {
	g.check(t, "healthz", nil, req{method: "GET", path: "/healthz"}, http.StatusOK)
	g.check(t, "livez", nil, req{method: "GET", path: "/livez"}, http.StatusOK)
	g.check(t, "readyz", nil, req{method: "GET", path: "/readyz"}, http.StatusOK)
	g.checkHead(t, "metrics", req{method: "GET", path: "/metrics"}, http.StatusOK)
	g.checkHead(t, "openapi", req{method: "GET", path: "/openapi.json"}, http.StatusOK)
	g.check(t, "users-create", nil, req{method: "POST", path: "/v1/users",
		body: map[string]string{"username": "alice", "password": "correct horse", "name": "Alice Kim"}}, http.StatusCreated)
	alice = &user{Username: "alice", Password: "correct horse", ID: 1}
	var s client.Session
	res := g.check(t, "sessions-create", nil, req{method: "POST", path: "/v1/sessions",
		body: map[string]string{"username": "alice", "password": "correct horse"}}, http.StatusCreated)
	if err := json.Unmarshal(res.body, &s); err != nil {
		t.Fatal(err)
	}
	alice.Token = s.Token
	var me userJSON
	if err := json.Unmarshal(g.check(t, "me", alice, req{method: "GET", path: "/v1/me"}, http.StatusOK).body, &me); err != nil {
		t.Fatal(err)
	}
	alice.Main = me.MainAccountID
	g.check(t, "me-settings-update", alice, req{method: "PATCH", path: "/v1/me/settings",
		body: map[string]bool{"transfers_require_acceptance": false}}, http.StatusOK)
	bob, carol = g.e.signUp(t, "bob"), g.e.signUp(t, "carol")
	goldenSessions(t, g, alice, carol)
	return alice, bob, carol
}

// goldenSessions: list sessions, change a password, log out (carol logs in
// again after, and is told of it).
func goldenSessions(t *testing.T, g *golden, alice, carol *user) {
	g.check(t, "sessions-list", alice, req{method: "GET", path: "/v1/sessions"}, http.StatusOK)
	g.check(t, "me-password", carol, req{method: "POST", path: "/v1/me/password",
		body: map[string]string{"current_password": carol.Password, "new_password": "a better passphrase"}}, http.StatusNoContent)
	carol.Password = "a better passphrase"
	g.check(t, "sessions-delete-current", carol, req{method: "DELETE", path: "/v1/sessions/current"}, http.StatusNoContent)
	carol.Token = g.e.logIn(t, carol)
	// Not her first login: her inbox says so.
	g.check(t, "notifications-new-login", carol, req{method: "GET", path: "/v1/notifications?limit=1"}, http.StatusOK)
}

// goldenAccounts: charges, the charge limit and a savings account's life.
// It returns an open free savings account of alice's.
func goldenAccounts(t *testing.T, g *golden, alice *user) int64 {
	charge := req{method: "POST", path: "/v1/charges", body: map[string]int64{"amount": 100_000},
		header: map[string]string{"Idempotency-Key": "charge-1"}}
	g.check(t, "charges-create", alice, charge, http.StatusCreated)
	g.check(t, "charges-create-replayed", alice, charge, http.StatusCreated)
	g.check(t, "limits-charge", alice, req{method: "GET", path: "/v1/limits/charge"}, http.StatusOK)
	var free accountJSON
	res := g.check(t, "accounts-create-free", alice, req{method: "POST", path: "/v1/accounts", body: map[string]string{"product": "free"}}, http.StatusCreated)
	if err := json.Unmarshal(res.body, &free); err != nil {
		t.Fatal(err)
	}
	g.check(t, "accounts-create-fixed", alice, req{method: "POST", path: "/v1/accounts",
		body: map[string]any{"product": "fixed", "daily_amount": 5_000}}, http.StatusCreated)
	path := fmt.Sprintf("/v1/accounts/%d", free.ID)
	g.check(t, "accounts-deposit", alice, req{method: "POST", path: path + "/deposits", body: `{"amount":30000}`}, http.StatusCreated)
	g.check(t, "accounts-withdraw", alice, req{method: "POST", path: path + "/withdrawals", body: `{"amount":10000}`}, http.StatusCreated)
	var other accountJSON
	g.e.ok(t, req{method: "POST", path: "/v1/accounts", token: alice.Token, body: `{"product":"free"}`}, http.StatusCreated, &other)
	g.e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/deposits", other.ID), token: alice.Token, body: `{"amount":1000}`}, http.StatusCreated, nil)
	g.check(t, "accounts-close", alice, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", other.ID)}, http.StatusOK)
	g.check(t, "accounts-list", alice, req{method: "GET", path: "/v1/accounts"}, http.StatusOK)
	g.check(t, "accounts-get", alice, req{method: "GET", path: path}, http.StatusOK)
	return free.ID
}

// goldenTransfers: a completed transfer with auto-charge, and pending
// transfers accepted, rejected and cancelled.
func goldenTransfers(t *testing.T, g *golden, alice, bob, carol *user) {
	g.check(t, "recipients-get", alice, req{method: "GET", path: "/v1/recipients/bob"}, http.StatusOK)
	g.check(t, "transfers-create", alice, req{method: "POST", path: "/v1/transfers",
		body: map[string]any{"to": "bob", "amount": 95_000, "display_name": "Alice", "memo": "dinner"}}, http.StatusCreated)
	g.check(t, "transfers-create-impersonating", alice, req{method: "POST", path: "/v1/transfers",
		body: map[string]any{"to": "bob", "amount": 1_000, "display_name": "Kakao Bank Security"}}, http.StatusBadRequest)
	pending := func(name string, from *user, to string) int64 {
		var tr struct {
			ID int64 `json:"id"`
		}
		res := g.check(t, name, from, req{method: "POST", path: "/v1/transfers",
			body: map[string]any{"to": to, "amount": 1_000, "require_acceptance": true}}, http.StatusCreated)
		if err := json.Unmarshal(res.body, &tr); err != nil {
			t.Fatal(err)
		}
		return tr.ID
	}
	accepted := pending("transfers-create-pending", alice, "bob")
	rejected := pending("transfers-create-pending-2", alice, "bob")
	cancelled := pending("transfers-create-pending-3", bob, "carol")
	g.check(t, "transfers-accept", bob, resolveReq(bob, accepted, "accept"), http.StatusOK)
	g.check(t, "transfers-reject", bob, resolveReq(bob, rejected, "reject"), http.StatusOK)
	g.check(t, "transfers-cancel", bob, resolveReq(bob, cancelled, "cancel"), http.StatusOK)
	g.check(t, "transfers-get-sender", alice, req{method: "GET", path: fmt.Sprintf("/v1/transfers/%d", accepted)}, http.StatusOK)
	g.check(t, "transfers-get-receiver", bob, req{method: "GET", path: fmt.Sprintf("/v1/transfers/%d", accepted)}, http.StatusOK)
	g.check(t, "transfers-list", alice, req{method: "GET", path: "/v1/transfers?direction=out&limit=2"}, http.StatusOK)
}

// goldenSettlements: a bill split in equal shares (random shares are not
// stable), one paid with auto-charge and one declined.
func goldenSettlements(t *testing.T, g *golden, alice, bob, carol *user) {
	var st client.Settlement
	res := g.check(t, "settlements-create", alice, req{method: "POST", path: "/v1/settlements",
		body: map[string]any{"total": 30_001, "mode": "equal", "participants": []string{"alice", "bob", "carol"}}}, http.StatusCreated)
	if err := json.Unmarshal(res.body, &st); err != nil {
		t.Fatal(err)
	}
	g.check(t, "settlements-pay", carol, ssShareReq(carol, st.ID, st.Shares[2].ID, "pay"), http.StatusOK)
	g.check(t, "settlements-decline", bob, ssShareReq(bob, st.ID, st.Shares[1].ID, "decline"), http.StatusOK)
	g.check(t, "settlements-get", alice, req{method: "GET", path: fmt.Sprintf("/v1/settlements/%d", st.ID)}, http.StatusOK)
	g.check(t, "settlements-list", bob, req{method: "GET", path: "/v1/settlements?role=participant"}, http.StatusOK)
}

// goldenReads: history, notifications, events and the test clock.
func goldenReads(t *testing.T, g *golden, alice, bob *user, savings int64) {
	g.check(t, "history", alice, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history?limit=3", alice.Main)}, http.StatusOK)
	g.check(t, "history-savings", alice, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history", savings)}, http.StatusOK)
	g.check(t, "notifications-list", bob, req{method: "GET", path: "/v1/notifications?limit=2"}, http.StatusOK)
	var page struct {
		Notifications []struct {
			ID int64 `json:"id"`
		} `json:"notifications"`
	}
	g.e.ok(t, req{method: "GET", path: "/v1/notifications", token: bob.Token}, http.StatusOK, &page)
	g.check(t, "notifications-read", bob, req{method: "POST", path: fmt.Sprintf("/v1/notifications/%d/read", page.Notifications[0].ID)}, http.StatusNoContent)
	g.check(t, "notifications-list-unread", bob, req{method: "GET", path: "/v1/notifications?unread=true"}, http.StatusOK)
	var events struct {
		Events []struct {
			ID int64 `json:"id"`
		} `json:"events"`
	}
	g.e.ok(t, req{method: "GET", path: "/v1/events?limit=1", token: bob.Token}, http.StatusOK, &events)
	g.check(t, "events-list", bob, req{method: "GET", path: "/v1/events?limit=3"}, http.StatusOK)
	g.check(t, "events-list-type", alice, req{method: "GET", path: "/v1/events?type=charge.succeeded"}, http.StatusOK)
	g.check(t, "events-list-after", bob, req{method: "GET", path: "/v1/events?after=0&limit=4"}, http.StatusOK)
	g.check(t, "events-get", bob, req{method: "GET", path: fmt.Sprintf("/v1/events/%d", events.Events[0].ID)}, http.StatusOK)
	g.check(t, "test-clock-advance", nil, req{method: "POST", path: "/v1/test-clock/advance", body: `{"seconds":86400}`}, http.StatusOK)
	g.e.relogin(t, alice, bob)
	g.check(t, "history-after-interest", alice, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history?limit=1", savings)}, http.StatusOK)
}

// goldenFriends: adding (and adding again), both lists, removing, the
// notice of an add and recent recipients.
func goldenFriends(t *testing.T, g *golden, alice, bob *user) {
	add := req{method: "POST", path: "/v1/friends", body: map[string]string{"username": "bob"}}
	g.check(t, "friends-create", alice, add, http.StatusCreated)
	g.check(t, "friends-create-again", alice, add, http.StatusOK)
	g.e.ok(t, req{method: "POST", path: "/v1/friends", token: alice.Token, body: `{"username":"carol"}`}, http.StatusCreated, nil)
	g.check(t, "friends-list", alice, req{method: "GET", path: "/v1/friends?limit=1"}, http.StatusOK)
	g.check(t, "friends-list-added-me", bob, req{method: "GET", path: "/v1/friends?direction=added_me"}, http.StatusOK)
	g.check(t, "friends-delete", alice, req{method: "DELETE", path: "/v1/friends/carol"}, http.StatusNoContent)
	g.check(t, "notifications-friend-added", bob, req{method: "GET", path: "/v1/notifications?limit=1"}, http.StatusOK)
	g.check(t, "recipients-recent", alice, req{method: "GET", path: "/v1/recipients/recent"}, http.StatusOK)
}

// goldenProblems: one problem of each code a client can cause.
func goldenProblems(t *testing.T, g *golden, alice, bob *user, savings int64) {
	g.check(t, "problem-invalid", alice, req{method: "POST", path: "/v1/charges", body: `{}`}, http.StatusBadRequest)
	g.check(t, "problem-unauthorized", nil, req{method: "GET", path: "/v1/me"}, http.StatusUnauthorized)
	g.check(t, "problem-forbidden", bob, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d", savings)}, http.StatusForbidden)
	g.check(t, "problem-not-found", alice, req{method: "GET", path: "/v1/transfers/999999"}, http.StatusNotFound)
	g.check(t, "problem-no-route", nil, req{method: "GET", path: "/v1/nothing"}, http.StatusNotFound)
	g.check(t, "problem-method-not-allowed", alice, req{method: "DELETE", path: "/v1/transfers"}, http.StatusMethodNotAllowed)
	g.check(t, "problem-unauthorized-invalid-token", nil, req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Bearer v1.1.1.1.forged"}}, http.StatusUnauthorized)
	g.check(t, "problem-conflict", nil, req{method: "POST", path: "/v1/users",
		body: map[string]string{"username": "alice", "password": "correct horse", "name": "Another"}}, http.StatusConflict)
	g.check(t, "problem-insufficient-funds", alice, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/withdrawals", savings),
		body: `{"amount":99999999}`}, http.StatusUnprocessableEntity)
	g.check(t, "problem-charge-limit-exceeded", alice, req{method: "POST", path: "/v1/charges", body: `{"amount":3000001}`}, http.StatusUnprocessableEntity)
	key := map[string]string{"Idempotency-Key": "charge-1"}
	g.check(t, "problem-idempotency-mismatch", alice, req{method: "POST", path: "/v1/charges", body: `{"amount":5}`, header: key}, http.StatusUnprocessableEntity)
	g.check(t, "problem-unsupported-media-type", alice, req{method: "POST", path: "/v1/charges", body: `{"amount":5}`,
		header: map[string]string{"Content-Type": "text/plain"}}, http.StatusUnsupportedMediaType)
	var tr struct {
		ID int64 `json:"id"`
	}
	g.e.ok(t, req{method: "POST", path: "/v1/transfers", token: alice.Token, body: `{"to":"bob","amount":10,"require_acceptance":true}`}, http.StatusCreated, &tr)
	g.e.clock.Advance(73 * time.Hour) // past the deadline, with no sweep run
	g.e.relogin(t, bob)
	g.check(t, "problem-expired", bob, resolveReq(bob, tr.ID, "accept"), http.StatusConflict)
	guess := req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": "alice", "password": "a wrong guess"}}
	for range api.DefaultLimits().LoginFailuresPerUser {
		checkProblem(t, "a wrong password", g.e.do(t, guess), http.StatusUnauthorized, "unauthorized")
	}
	g.check(t, "problem-rate-limited", nil, guess, http.StatusTooManyRequests)
}

// goldenUnavailable: a readiness check whose database is gone. (No
// internal problem can be seen without a bug.)
func goldenUnavailable(t *testing.T, g *golden, db *store.DB) {
	db.Close()
	g.check(t, "problem-unavailable", nil, req{method: "GET", path: "/readyz"}, http.StatusServiceUnavailable)
}

// goldenNoStrays fails on golden files no step checked any more.
func goldenNoStrays(t *testing.T, names []string) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !slices.Contains(names, strings.TrimSuffix(filepath.Base(f), ".txt")) {
			t.Errorf("%s is checked by no step; remove it", f)
		}
	}
}

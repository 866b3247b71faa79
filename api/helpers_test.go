package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/api"
	"minipay/app"
	"minipay/app/apptest"
	"minipay/client"
	"minipay/clock"
	"minipay/store"
	"minipay/store/dbtest"
)

var seoul = clock.Seoul

// start is where every test's clock begins: a Tuesday afternoon in Seoul.
var start = time.Date(2026, 3, 10, 14, 0, 0, 0, seoul)

// env is a real minipay server (writer, API, HTTP) over one database, on a
// manual clock.
type env struct {
	db    *store.DB
	clock *clock.Manual
	url   string
	http  *http.Client
}

// newEnv wires a server the way cmd/minipay does, on a manual clock set to
// start.
func newEnv(t *testing.T, db *store.DB) *env {
	return wire(t, db, nil)
}

// newTestClockEnv wires a server the way `minipay serve --test-clock`
// does: the manual clock shared by the writer, the scheduler and the API,
// with POST /v1/test-clock/advance running the scheduler's due jobs.
func newTestClockEnv(t *testing.T, db *store.DB) *env {
	return wire(t, db, func(cfg *app.Config) { cfg.TestClock = true })
}

// wire serves a server over db on a manual clock set to start; tweak, if
// not nil, changes its configuration first.
func wire(t *testing.T, db *store.DB, tweak func(*app.Config)) *env {
	t.Helper()
	return serveOn(t, db, clock.NewManual(start), nil, tweak)
}

// serveOn serves one more server over db on clk with keys (nil: a random
// key of its own), as another instance behind a load balancer would be;
// tweak, if not nil, changes its configuration first.
func serveOn(t *testing.T, db *store.DB, clk *clock.Manual, keys []api.SigningKey, tweak func(*app.Config)) *env {
	t.Helper()
	cfg := app.Config{DB: db, Clock: clk, Location: seoul, WriterWorkers: 4, PasswordCost: bcrypt.MinCost, TokenKeys: keys}
	if tweak != nil {
		tweak(&cfg)
	}
	_, hs := apptest.Serve(t, cfg)
	return &env{db: db, clock: clk, url: hs.URL, http: hs.Client()}
}

// step runs one named step of an end-to-end script as a subtest, and
// stops the script if it fails: later steps build on it.
func step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}

// req is one HTTP request to the server.
type req struct {
	method, path string
	token        string
	// body is nil (no body), a string or []byte (sent as is), or a value
	// sent as JSON.
	body   any
	header map[string]string
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string {
	return fmt.Sprintf("%d %s %s", r.status, r.header.Get("Content-Type"), bytes.TrimSpace(r.body))
}

// send performs r; safe from any goroutine.
func (e *env) send(r req) (response, error) { return e.sendContext(context.Background(), r) }

// sendContext performs r until ctx ends.
func (e *env) sendContext(ctx context.Context, r req) (response, error) {
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, e.url+r.path, body)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.http.Do(hr)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: res.StatusCode, header: res.Header, body: b}, nil
}

func (e *env) do(t *testing.T, r req) response {
	t.Helper()
	res, err := e.send(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	return res
}

// ok performs r, requires status and a JSON body, and decodes it into out
// (if non-nil).
func (e *env) ok(t *testing.T, r req, status int, out any) response {
	t.Helper()
	res := e.do(t, r)
	if res.status != status {
		t.Fatalf("%s %s: got %v, want status %d", r.method, r.path, res, status)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, want application/json", r.method, r.path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(res.body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", r.method, r.path, res.body, err)
		}
	}
	return res
}

// problem is an RFC 9457 problem document as minipay sends it.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// checkProblem requires res to be a problem+json document with the given
// status and code and every field filled in.
func checkProblem(t *testing.T, what string, res response, status int, code string) problem {
	t.Helper()
	if res.status != status {
		t.Errorf("%s: got %v, want status %d (%s)", what, res, status, code)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(res.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Errorf("%s: problem body %s: %v", what, res.body, err)
		return p
	}
	if p.Code != code || p.Status != status {
		t.Errorf("%s: problem code %q status %d, want %q %d (detail %q)", what, p.Code, p.Status, code, status, p.Detail)
	}
	if p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("%s: problem lacks type, title or detail: %s", what, res.body)
	}
	if p.Type != "" && !strings.HasSuffix(p.Type, "/"+code) {
		t.Errorf("%s: problem type %q does not name code %q", what, p.Type, code)
	}
	if id := res.header.Get("X-Request-Id"); p.RequestID == "" || p.RequestID != id {
		t.Errorf("%s: problem request_id %q, X-Request-Id %q: want the same, not empty", what, p.RequestID, id)
	}
	return p
}

// user is a signed-up, logged-in user.
type user struct {
	ID       int64
	Username string
	Name     string
	Password string
	Main     int64
	Token    string
}

type userJSON struct {
	ID            int64  `json:"id"`
	Username      string `json:"username"`
	Name          string `json:"name"`
	MainAccountID int64  `json:"main_account_id"`
	Settings      *struct {
		TransfersRequireAcceptance bool `json:"transfers_require_acceptance"`
	} `json:"settings"`
}

// signUp creates a user over HTTP and logs them in.
func (e *env) signUp(t *testing.T, username string) *user {
	t.Helper()
	u := &user{Username: username, Name: "Name of " + username, Password: "pw-" + username + "-secret"}
	var uj userJSON
	e.ok(t, req{method: "POST", path: "/v1/users", body: map[string]string{
		"username": u.Username, "password": u.Password, "name": u.Name}}, http.StatusCreated, &uj)
	if uj.ID <= 0 || uj.MainAccountID <= 0 || uj.Username != username || uj.Name != u.Name {
		t.Fatalf("sign-up answered %+v", uj)
	}
	u.ID, u.Main = uj.ID, uj.MainAccountID
	u.Token = e.logIn(t, u)
	return u
}

func (e *env) logIn(t *testing.T, u *user) string {
	t.Helper()
	var s client.Session
	e.ok(t, req{method: "POST", path: "/v1/sessions", body: map[string]string{
		"username": u.Username, "password": u.Password}}, http.StatusCreated, &s)
	if s.Token == "" {
		t.Fatal("login gave no token")
	}
	return s.Token
}

type accountJSON struct {
	ID          int64   `json:"id"`
	Kind        string  `json:"kind"`
	Product     *string `json:"product"`
	Balance     int64   `json:"balance"`
	DailyAmount int64   `json:"daily_amount"`
	Status      string  `json:"status"`
}

func (a accountJSON) String() string {
	product := "null"
	if a.Product != nil {
		product = *a.Product
	}
	return fmt.Sprintf("{id:%d %s/%s balance:%d daily:%d %s}", a.ID, a.Kind, product, a.Balance, a.DailyAmount, a.Status)
}

type limitJSON struct {
	Day       string `json:"day"`
	Limit     int64  `json:"limit"`
	Used      int64  `json:"used"`
	Remaining int64  `json:"remaining"`
}

func (e *env) accounts(t *testing.T, u *user) []accountJSON {
	t.Helper()
	var out struct {
		Accounts []accountJSON `json:"accounts"`
	}
	e.ok(t, req{method: "GET", path: "/v1/accounts", token: u.Token}, http.StatusOK, &out)
	return out.Accounts
}

func (e *env) limit(t *testing.T, u *user) limitJSON {
	t.Helper()
	var l limitJSON
	e.ok(t, req{method: "GET", path: "/v1/limits/charge", token: u.Token}, http.StatusOK, &l)
	return l
}

func (e *env) charge(t *testing.T, u *user, amount int64) client.Movement {
	t.Helper()
	var m client.Movement
	e.ok(t, req{method: "POST", path: "/v1/charges", token: u.Token, body: map[string]int64{"amount": amount}}, http.StatusCreated, &m)
	return m
}

// books is everything a rejected request must leave as it was: each
// user's accounts and charge limit as the API shows them, and the
// database's transaction and entry counts.
type books struct {
	Transactions, Entries, UserMoney int64
	Accounts                         map[string][]accountJSON
	Limits                           map[string]limitJSON
}

func (e *env) books(t *testing.T, users ...*user) books {
	t.Helper()
	r := dbtest.Audit(t, e.db)
	b := books{Transactions: r.Transactions, Entries: r.Entries, UserMoney: r.UserMoney,
		Accounts: map[string][]accountJSON{}, Limits: map[string]limitJSON{}}
	for _, u := range users {
		b.Accounts[u.Username] = e.accounts(t, u)
		b.Limits[u.Username] = e.limit(t, u)
	}
	return b
}

// unchanged fails the test if the books moved since before.
func (e *env) unchanged(t *testing.T, what string, before books, users ...*user) {
	t.Helper()
	if after := e.books(t, users...); !reflect.DeepEqual(before, after) {
		t.Errorf("%s changed the books:\nbefore %+v\nafter  %+v", what, before, after)
	}
}

// rejects sends r, requires the problem status and code, and requires the
// books of users to be unchanged.
func (e *env) rejects(t *testing.T, r req, status int, code string, users ...*user) problem {
	t.Helper()
	before := e.books(t, users...)
	what := r.method + " " + r.path
	p := checkProblem(t, what, e.do(t, r), status, code)
	e.unchanged(t, what, before, users...)
	return p
}

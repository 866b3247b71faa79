package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minipay/api"
	"minipay/app"
	"minipay/errs"
	"minipay/store"
	"minipay/store/dbtest"
)

// newLimitedEnv serves with limits behind a trusted proxy whose
// X-Forwarded-For names the client, so one test plays many addresses.
func newLimitedEnv(t *testing.T, db *store.DB, limits api.Limits) *env {
	limits.ClientIPHeader = "X-Forwarded-For"
	return wire(t, db, func(cfg *app.Config) { cfg.Limits = limits })
}

// logInFrom sends a login for username with password from client address
// addr ("": no X-Forwarded-For).
func (e *env) logInFrom(t *testing.T, addr, username, password string) response {
	t.Helper()
	r := req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": username, "password": password}}
	if addr != "" {
		r.header = map[string]string{"X-Forwarded-For": addr}
	}
	return e.do(t, r)
}

// limited requires res to be 429 rate_limited telling the client to retry
// after exactly wait.
func limited(t *testing.T, what string, res response, wait time.Duration) {
	t.Helper()
	checkProblem(t, what, res, http.StatusTooManyRequests, "rate_limited")
	if got, want := res.header.Get("Retry-After"), fmt.Sprint(int(wait.Seconds())); got != want {
		t.Errorf("%s: Retry-After %q, want %q", what, got, want)
	}
}

// Wrong passwords for one username, each from another address, lock that
// username (even for the right password) for the window; each lockout in
// a row doubles up to the cap, the right password works once a lockout
// is over, and a success starts the username over. Other usernames are
// not affected, and successful logins do not count.
func TestFailedLoginsPerUsername(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newLimitedEnv(t, db, api.Limits{LoginFailuresPerUser: 3, LoginFailuresPerAddress: 100, LoginWindow: time.Minute,
			LoginLockoutMax: 4 * time.Minute})
		victim, other := e.signUp(t, "victim"), e.signUp(t, "other")
		for range 10 {
			e.logIn(t, victim) // successes are not failures
		}
		addr := 0
		guess := func() response { // from another address each time
			addr++
			return e.logInFrom(t, fmt.Sprintf("198.51.100.%d", addr), "victim", "guess")
		}
		lockOut := func(round string, lock time.Duration) {
			t.Helper()
			for range 3 {
				checkProblem(t, round+": a wrong password", guess(), http.StatusUnauthorized, "unauthorized")
			}
			limited(t, round+": a 4th wrong password", guess(), lock)
		}
		lockOut("first", time.Minute)
		limited(t, "the right password while locked", e.logInFrom(t, "198.51.100.200", "victim", victim.Password), time.Minute)
		e.logIn(t, other)
		e.clock.Advance(59 * time.Second)
		limited(t, "a login a second early", e.logInFrom(t, "", "victim", victim.Password), time.Second)
		e.clock.Advance(time.Second)
		e.logIn(t, victim) // after the window the right password works, and starts over
		lockOut("after a success", time.Minute)
		prev := time.Minute
		for _, lock := range []time.Duration{2 * time.Minute, 4 * time.Minute, 4 * time.Minute} {
			e.clock.Advance(prev) // the guesser waits each lockout out
			lockOut(fmt.Sprint("a lockout in a row of ", lock), lock)
			prev = lock
		}
		e.clock.Advance(4 * time.Minute)
		e.logIn(t, victim)
		lockOut("after a success again", time.Minute)
	})
}

// Two servers on one database share each username's count: a guesser
// behind a load balancer gets no more guesses than against one server.
func TestFailedLoginsPerUsernameAcrossServers(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		limits := api.Limits{LoginFailuresPerUser: 4, LoginFailuresPerAddress: 100, LoginWindow: time.Minute}
		one, two := newLimitedEnv(t, dbtest.OpenURL(t, url), limits), newLimitedEnv(t, dbtest.OpenURL(t, url), limits)
		victim := one.signUp(t, "victim")
		for i := range 4 {
			e := []*env{one, two}[i%2]
			res := e.logInFrom(t, fmt.Sprintf("198.51.100.%d", i), "victim", "guess")
			checkProblem(t, fmt.Sprintf("wrong password %d", i+1), res, http.StatusUnauthorized, "unauthorized")
		}
		limited(t, "a 5th guess on the first server", one.logInFrom(t, "198.51.100.9", "victim", "guess"), time.Minute)
		limited(t, "the right password on the second", two.logInFrom(t, "198.51.100.10", "victim", victim.Password), time.Minute)
		two.clock.Advance(time.Minute)
		two.logIn(t, victim)
	})
}

// Concurrent guesses cannot slip past the count together: each takes its
// attempt before its password is checked.
func TestFailedLoginsConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newLimitedEnv(t, db, api.Limits{LoginFailuresPerUser: 5, LoginFailuresPerAddress: 1000, LoginWindow: time.Minute})
		e.signUp(t, "victim")
		var wrong, limitedN atomic.Int64
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				res, err := e.send(req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": "victim", "password": "guess"},
					header: map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}})
				countAnswer(t, "a guess", res, err, http.StatusUnauthorized, &wrong, &limitedN)
			})
		}
		wg.Wait()
		if wrong.Load() != 5 || limitedN.Load() != 35 {
			t.Errorf("40 concurrent guesses: %d checked, %d limited; want 5 and 35", wrong.Load(), limitedN.Load())
		}
	})
}

// Wrong passwords from one address, each for another username (known or
// not), lock that address for every username for the window, and longer
// each time in a row; right passwords do not count. Other addresses are
// not affected. Of a
// forwarded chain, the last address (the trusted proxy's peer) is the
// client; IPv6 clients count by their /64.
func TestFailedLoginsPerAddress(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newLimitedEnv(t, db, api.Limits{LoginFailuresPerUser: 100, LoginFailuresPerAddress: 3, LoginWindow: time.Minute})
		alice := e.signUp(t, "alice")
		const attacker = "203.0.113.7"
		if res := e.logInFrom(t, attacker, "alice", alice.Password); res.status != http.StatusCreated {
			t.Fatalf("the right password: %v", res) // not counted
		}
		for _, name := range []string{"alice", "bob", "carol"} {
			checkProblem(t, "a wrong password", e.logInFrom(t, attacker, name, "guess"), http.StatusUnauthorized, "unauthorized")
		}
		limited(t, "a 4th username", e.logInFrom(t, attacker, "dave", "guess"), time.Minute)
		limited(t, "a forwarded chain", e.logInFrom(t, "10.9.9.9, "+attacker, "alice", alice.Password), time.Minute)
		checkProblem(t, "another address", e.logInFrom(t, "203.0.113.8", "dave", "guess"), http.StatusUnauthorized, "unauthorized")
		e.clock.Advance(time.Minute)
		if res := e.logInFrom(t, attacker, "alice", alice.Password); res.status != http.StatusCreated {
			t.Errorf("the right password after the window: %v", res)
		}
		for _, name := range []string{"bob", "carol", "dave"} {
			checkProblem(t, "a wrong password", e.logInFrom(t, attacker, name, "guess"), http.StatusUnauthorized, "unauthorized")
		}
		limited(t, "the next lockout in a row", e.logInFrom(t, attacker, "erin", "guess"), 2*time.Minute)
		for i := range 3 {
			res := e.logInFrom(t, fmt.Sprintf("2001:db8:0:1::%x", i+1), "alice", "guess")
			checkProblem(t, "a wrong password over IPv6", res, http.StatusUnauthorized, "unauthorized")
		}
		limited(t, "another address of the /64", e.logInFrom(t, "2001:db8:0:1:ffff::1", "bob", "guess"), time.Minute)
	})
}

// Without a trusted-proxy setting the socket's address is the client's:
// a forged X-Forwarded-For changes nothing.
func TestFailedLoginsIgnoreUntrustedHeader(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) { cfg.Limits = api.Limits{LoginFailuresPerAddress: 2} })
		for i := range 2 {
			res := e.logInFrom(t, fmt.Sprintf("192.0.2.%d", i), fmt.Sprintf("user%d", i), "guess")
			checkProblem(t, "a wrong password", res, http.StatusUnauthorized, "unauthorized")
		}
		limited(t, "a forged address", e.logInFrom(t, "192.0.2.99", "user9", "guess"), time.Minute)
	})
}

// Sign-ups count per address; a refused one writes nothing.
func TestSignUpsPerAddress(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newLimitedEnv(t, db, api.Limits{SignUpsPerAddress: 2, SignUpWindow: time.Hour})
		signUp := func(addr, name string) response {
			return e.do(t, req{method: "POST", path: "/v1/users", header: map[string]string{"X-Forwarded-For": addr},
				body: map[string]string{"username": name, "password": "long enough", "name": name}})
		}
		for _, name := range []string{"one", "two"} {
			if res := signUp("198.51.100.1", name); res.status != http.StatusCreated {
				t.Fatalf("sign-up %s: %v", name, res)
			}
		}
		limited(t, "a 3rd sign-up", signUp("198.51.100.1", "three"), 30*time.Minute)
		if _, _, err := db.UserByUsername(context.Background(), "three"); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("the refused sign-up: user lookup = %v, want not found", err)
		}
		if res := signUp("198.51.100.2", "three"); res.status != http.StatusCreated {
			t.Errorf("a sign-up from another address: %v", res)
		}
	})
}

// Money-moving requests count per user: over the limit a charge is
// refused and moves nothing, another user is not affected, and the count
// refills with time.
func TestMovesPerUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newLimitedEnv(t, db, api.Limits{MovesPerUser: 3, MoveWindow: 3 * time.Second})
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		for range 3 {
			e.charge(t, alice, 1_000)
		}
		before := e.books(t, alice, bob)
		charge := req{method: "POST", path: "/v1/charges", token: alice.Token, body: map[string]int64{"amount": 1_000}}
		limited(t, "a 4th charge", e.do(t, charge), time.Second)
		e.unchanged(t, "a refused charge", before, alice, bob)
		e.charge(t, bob, 1_000)
		e.clock.Advance(time.Second)
		e.charge(t, alice, 1_000)
	})
}

// Settlement creation counts per user; a refused one stores nothing.
func TestSettlementsPerUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newLimitedEnv(t, db, api.Limits{SettlementsPerUser: 2, SettlementWindow: time.Hour})
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		for range 2 {
			e.ssCreate(t, alice, 10_000, "equal", "alice", "bob")
		}
		create := req{method: "POST", path: "/v1/settlements", token: alice.Token,
			body: map[string]any{"total": 10_000, "mode": "equal", "participants": []string{"alice", "bob"}}}
		limited(t, "a 3rd settlement", e.do(t, create), 30*time.Minute)
		if got := e.ssList(t, alice, "requester"); len(got) != 2 {
			t.Errorf("after a refused settlement alice requested %d, want 2", len(got))
		}
		e.ssCreate(t, bob, 10_000, "equal", "alice", "bob")
		e.clock.Advance(30 * time.Minute)
		e.ssCreate(t, alice, 10_000, "equal", "alice", "bob")
	})
}

// countAnswer counts a concurrent request's answer: status want in ok, 429
// in limited; an error or any other answer fails t.
func countAnswer(t *testing.T, what string, res response, err error, want int, ok, limited *atomic.Int64) {
	switch {
	case err != nil:
		t.Error(err)
	case res.status == want:
		ok.Add(1)
	case res.status == http.StatusTooManyRequests:
		limited.Add(1)
	default:
		t.Errorf("%s answered %v", what, res)
	}
}

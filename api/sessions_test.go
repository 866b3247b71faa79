package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"minipay/api"
	"minipay/app"
	"minipay/clock"
	"minipay/store"
	"minipay/store/dbtest"
)

// reclaim rewrites a token's header and claims (fn edits them) and keeps
// its signature, as a forger without the key would.
func reclaim(t *testing.T, token string, fn func(header, claims map[string]any)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	var h, c map[string]any
	for i, m := range []*map[string]any{&h, &c} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, m); err != nil {
			t.Fatal(err)
		}
	}
	fn(h, c)
	for i, m := range []map[string]any{h, c} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	return strings.Join(parts, ".")
}

// claimsOf returns a token's claims, unverified.
func claimsOf(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	reclaim(t, token, func(h, c map[string]any) { header, claims = h, c })
	return header, claims
}

type sessionJSON struct {
	ID         string    `json:"id"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

func (e *env) sessions(t *testing.T, u *user) []sessionJSON {
	t.Helper()
	var out struct {
		Sessions []sessionJSON `json:"sessions"`
	}
	e.ok(t, req{method: "GET", path: "/v1/sessions", token: u.Token}, http.StatusOK, &out)
	return out.Sessions
}

// loginAs logs u in once more, with a User-Agent, and returns the token
// and session id.
func (e *env) loginAs(t *testing.T, u *user, agent string) (token, id string) {
	t.Helper()
	var s struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
	}
	e.ok(t, req{method: "POST", path: "/v1/sessions", header: map[string]string{"User-Agent": agent},
		body: map[string]string{"username": u.Username, "password": u.Password}}, http.StatusCreated, &s)
	if s.Token == "" || s.SessionID == "" {
		t.Fatalf("login answered %+v", s)
	}
	return s.Token, s.SessionID
}

// noContent performs r and requires 204 with no body.
func (e *env) noContent(t *testing.T, r req) {
	t.Helper()
	if res := e.do(t, r); res.status != http.StatusNoContent || len(res.body) != 0 {
		t.Fatalf("%s %s: got %v, want 204 and no body", r.method, r.path, res)
	}
}

// works reports whether token is let in.
func (e *env) works(t *testing.T, token string) bool {
	t.Helper()
	res := e.do(t, req{method: "GET", path: "/v1/me", token: token})
	if res.status != http.StatusOK {
		checkProblem(t, "GET /v1/me", res, http.StatusUnauthorized, "unauthorized")
	}
	return res.status == http.StatusOK
}

// TestSessionsListRevokeLogOut: a user sees their sessions, revokes one
// and logs out, each stopping that token and no other; another user's
// sessions can be neither seen nor revoked.
func TestSessionsListRevokeLogOut(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		phone, phoneID := e.loginAs(t, alice, "Phone/1.0")
		_, evilID := e.loginAs(t, alice, "evil\u202Egnp.exe")
		laptop, laptopID := e.loginAs(t, alice, strings.Repeat("L", 300))

		h, c := claimsOf(t, phone)
		if h["alg"] != "HS256" || h["kid"] != "test" || c["sid"] != phoneID || c["sub"] != strconv.FormatInt(alice.ID, 10) ||
			c["main"] != float64(alice.Main) || c["iat"] == nil || c["exp"] == nil {
			t.Fatalf("token header %v claims %v", h, c)
		}

		e.clock.Advance(2 * time.Minute)
		if !e.works(t, phone) {
			t.Fatal("a fresh token is refused")
		}
		list := e.sessions(t, &user{Token: laptop})
		byID := map[string]sessionJSON{}
		for _, s := range list {
			byID[s.ID] = s
		}
		if len(list) != 4 || !byID[laptopID].Current || byID[phoneID].Current || byID[phoneID].UserAgent != "Phone/1.0" {
			t.Fatalf("alice's sessions: %+v", list)
		}
		if ua := byID[laptopID].UserAgent; ua != strings.Repeat("L", 200) {
			t.Errorf("a 300-character user agent is kept as %d characters", len(ua))
		}
		if ua := byID[evilID].UserAgent; ua != "" {
			t.Errorf("a user agent with a bidi override is kept as %q", ua)
		}
		if p := byID[phoneID]; !p.LastUsedAt.Equal(start.Add(2*time.Minute)) || !p.CreatedAt.Equal(start) ||
			!p.ExpiresAt.Equal(start.Add(24*time.Hour)) {
			t.Errorf("the phone's session after a use 2 minutes in: %+v", p)
		}
		if p := byID[evilID]; !p.LastUsedAt.Equal(start) {
			t.Errorf("an unused session's last use: %+v", p)
		}

		// Bob can neither list nor revoke alice's sessions, and learns
		// nothing from trying.
		for _, s := range e.sessions(t, bob) {
			if byID[s.ID].ID != "" {
				t.Errorf("bob's list shows alice's session %s", s.ID)
			}
		}
		notMine := checkProblem(t, "bob revokes alice's session", e.do(t, req{method: "DELETE", path: "/v1/sessions/" + phoneID, token: bob.Token}), 404, "not_found")
		madeUp := checkProblem(t, "bob revokes a made-up session", e.do(t, req{method: "DELETE", path: "/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA", token: bob.Token}), 404, "not_found")
		if notMine.Detail != madeUp.Detail {
			t.Errorf("another user's session answers %q, a made-up one %q", notMine.Detail, madeUp.Detail)
		}
		if !e.works(t, phone) {
			t.Fatal("bob's attempt ended alice's phone session")
		}

		// Alice revokes the phone from the laptop: the phone is out, the
		// laptop is not.
		e.noContent(t, req{method: "DELETE", path: "/v1/sessions/" + phoneID, token: laptop})
		if e.works(t, phone) || !e.works(t, laptop) {
			t.Fatal("after revoking the phone's session: phone still in, or laptop out")
		}
		checkProblem(t, "revoke it twice", e.do(t, req{method: "DELETE", path: "/v1/sessions/" + phoneID, token: laptop}), 404, "not_found")

		// Logging out ends the laptop's token, for reads and for money.
		e.noContent(t, req{method: "DELETE", path: "/v1/sessions/current", token: laptop})
		e.rejects(t, req{method: "POST", path: "/v1/charges", token: laptop, body: `{"amount":1000}`}, 401, "unauthorized", alice)
		checkProblem(t, "log out twice", e.do(t, req{method: "DELETE", path: "/v1/sessions/current", token: laptop}), 401, "unauthorized")
		if !e.works(t, alice.Token) || !e.works(t, bob.Token) {
			t.Fatal("logging out one session ended another")
		}
		if n := len(e.sessions(t, alice)); n != 2 {
			t.Errorf("alice has %d live sessions, want 2 (sign-up login, evil)", n)
		}
	})
}

// TestSessionsBounded: a user keeps at most store.MaxSessions live
// sessions; a login beyond ends the oldest.
func TestSessionsBounded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "dana")
		first := u.Token
		var last string
		for range store.MaxSessions {
			e.clock.Advance(time.Second)
			last, _ = e.loginAs(t, u, "loop")
		}
		if n := len(e.sessions(t, &user{Token: last})); n != store.MaxSessions {
			t.Errorf("%d live sessions after %d logins, want %d", n, store.MaxSessions+1, store.MaxSessions)
		}
		if e.works(t, first) {
			t.Error("the oldest session outlived the cap")
		}
	})
}

// TestPasswordChange: the current password is required (a wrong one is a
// failed login, throttled like one), the new one follows the sign-up
// rules, every other session ends and the current one goes on.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) { cfg.Limits = api.Limits{LoginFailuresPerUser: 2, LoginWindow: time.Minute} })
		u, other := e.signUp(t, "erin"), e.signUp(t, "frank")
		phone, _ := e.loginAs(t, u, "phone")
		tablet, _ := e.loginAs(t, u, "tablet")
		change := func(current, next string) req {
			return req{method: "POST", path: "/v1/me/password", token: u.Token,
				body: map[string]string{"current_password": current, "new_password": next}}
		}
		const next = "the new password"

		for _, c := range []struct {
			name string
			r    req
		}{
			{"new password too short", change(u.Password, "short")},
			{"new password over 72 bytes", change(u.Password, strings.Repeat("p", 73))},
			{"no current password", req{method: "POST", path: "/v1/me/password", token: u.Token, body: `{"new_password":"long enough"}`}},
		} {
			checkProblem(t, c.name, e.do(t, c.r), 400, "invalid")
		}
		wrong := checkProblem(t, "wrong current password", e.do(t, change("not the password", next)), 401, "unauthorized")
		failedLogin := checkProblem(t, "failed login", e.do(t, req{method: "POST", path: "/v1/sessions",
			body: map[string]string{"username": u.Username, "password": "not the password"}}), 401, "unauthorized")
		if wrong.Detail != failedLogin.Detail {
			t.Errorf("a wrong current password answers %q, a failed login %q", wrong.Detail, failedLogin.Detail)
		}
		// Two failures for erin: the third try is throttled, even with the
		// right password, and nothing changed.
		res := e.do(t, change(u.Password, next))
		checkProblem(t, "third try", res, 429, "rate_limited")
		if res.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		if !e.works(t, phone) {
			t.Fatal("refused changes ended a session")
		}

		e.clock.Advance(time.Minute)
		e.noContent(t, change(u.Password, next))
		if !e.works(t, u.Token) {
			t.Error("the session that changed the password was ended")
		}
		if e.works(t, phone) || e.works(t, tablet) {
			t.Error("another session outlived the password change")
		}
		if !e.works(t, other.Token) {
			t.Error("another user's session ended")
		}
		checkProblem(t, "login with the old password", e.do(t, req{method: "POST", path: "/v1/sessions",
			body: map[string]string{"username": u.Username, "password": u.Password}}), 401, "unauthorized")
		u.Password = next
		if fresh, _ := e.loginAs(t, u, "new"); !e.works(t, fresh) {
			t.Error("a login with the new password does not work")
		}
	})
}

// hs signs claims with key under kid and alg.
func hs(t *testing.T, alg jwt.SigningMethod, kid string, key []byte, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(alg, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTokenKeys: rotation (a token of a key still listed works, of a key
// removed does not), and tokens a holder of a key could make but minipay
// never issues: unknown kid, another algorithm, no session, no expiry,
// another issuer, expired.
func TestTokenKeys(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		k1, k2 := api.NewSigningKey("k1"), api.NewSigningKey("k2")
		clk := clock.NewManual(start)
		before := serveOn(t, db, clk, []api.SigningKey{k1}, nil)
		during := serveOn(t, db, clk, []api.SigningKey{k2, k1}, nil)
		after := serveOn(t, db, clk, []api.SigningKey{k2}, nil)

		u := before.signUp(t, "gina")
		old := u.Token
		newer, sid := during.loginAs(t, u, "rotated")
		if h, _ := claimsOf(t, newer); h["kid"] != "k2" {
			t.Fatalf("during the rotation a token is signed by %v, want k2", h["kid"])
		}
		if !during.works(t, old) || !during.works(t, newer) {
			t.Fatal("during the rotation a token of a listed key is refused")
		}
		if after.works(t, old) {
			t.Error("a token of a removed key still works")
		}
		if !after.works(t, newer) {
			t.Error("after the rotation a token of the new key is refused")
		}

		good := jwt.MapClaims{"iss": "minipay", "sub": strconv.FormatInt(u.ID, 10), "main": u.Main, "sid": sid,
			"iat": start.Unix(), "exp": start.Add(time.Hour).Unix()}
		without := func(k string) jwt.MapClaims {
			c := jwt.MapClaims{}
			for kk, v := range good {
				if kk != k {
					c[kk] = v
				}
			}
			return c
		}
		with := func(k string, v any) jwt.MapClaims {
			c := without(k)
			c[k] = v
			return c
		}
		if tok := hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, good); !after.works(t, tok) {
			t.Fatal("the control token (what minipay issues) is refused")
		}
		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, good).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{
			"unknown kid":         hs(t, jwt.SigningMethodHS256, "k3", k2.Secret, good),
			"no kid":              hs(t, jwt.SigningMethodHS256, "", k2.Secret, good),
			"removed key's kid":   hs(t, jwt.SigningMethodHS256, "k1", k1.Secret, good),
			"listed kid, its key": hs(t, jwt.SigningMethodHS256, "k2", k1.Secret, good),
			"HS512":               hs(t, jwt.SigningMethodHS512, "k2", k2.Secret, good),
			"HS384":               hs(t, jwt.SigningMethodHS384, "k2", k2.Secret, good),
			"alg none":            none,
			"no sid":              hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, without("sid")),
			"no exp":              hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, without("exp")),
			"no main":             hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, without("main")),
			"another issuer":      hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, with("iss", "elsewhere")),
			"another user's sid":  hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, with("sub", strconv.FormatInt(u.ID+1, 10))),
			"unknown sid":         hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, with("sid", "AAAAAAAAAAAAAAAAAAAAAA")),
			"expired":             hs(t, jwt.SigningMethodHS256, "k2", k2.Secret, with("exp", start.Add(-time.Second).Unix())),
		} {
			if after.works(t, tok) {
				t.Errorf("%s: let in", name)
			}
		}

		// Expiry: the issued token works until its exp, not from it.
		clk.Set(start.Add(24*time.Hour - time.Second))
		if !after.works(t, newer) {
			t.Error("a token is refused a second before it expires")
		}
		clk.Set(start.Add(24 * time.Hour))
		if after.works(t, newer) {
			t.Error("a token works at its expiry")
		}
	})
}

// TestRevocationAcrossServers: two servers on one database. A revocation
// takes effect at once on the server that made it, and on the other
// within its session cache TTL, for a logout and for a password change.
func TestRevocationAcrossServers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		const ttl = 5 * time.Second
		keys := []api.SigningKey{api.NewSigningKey("shared")}
		clk := clock.NewManual(start)
		cached := func(cfg *app.Config) { cfg.SessionCacheTTL = ttl }
		a, b := serveOn(t, db, clk, keys, cached), serveOn(t, db, clk, keys, cached)
		uncached := serveOn(t, db, clk, keys, func(cfg *app.Config) { cfg.SessionCacheTTL = api.NoSessionCache })

		u := a.signUp(t, "hana")
		other, _ := a.loginAs(t, u, "other")
		for _, e := range []*env{a, b, uncached} {
			if !e.works(t, u.Token) || !e.works(t, other) {
				t.Fatal("a login on one server is refused on another")
			}
		}

		// Logout through a: a refuses at once; b trusts what it read for
		// up to ttl, then refuses; a server without the cache at once.
		a.noContent(t, req{method: "DELETE", path: "/v1/sessions/current", token: u.Token})
		if a.works(t, u.Token) {
			t.Error("the server that logged the session out still lets it in")
		}
		if uncached.works(t, u.Token) {
			t.Error("a server without the cache lets a logged-out session in")
		}
		clk.Advance(ttl - time.Millisecond)
		if !b.works(t, u.Token) {
			t.Error("the other server re-read the session before its cache TTL: the cache does not cache")
		}
		clk.Advance(time.Millisecond)
		if b.works(t, u.Token) {
			t.Errorf("the other server lets a logged-out session in %v after the logout", ttl)
		}

		// A password change through b ends the other session: on b at
		// once, on a within ttl.
		u.Token, _ = b.loginAs(t, u, "again")
		if !a.works(t, other) {
			t.Fatal("the other session was refused before the change")
		}
		b.noContent(t, req{method: "POST", path: "/v1/me/password", token: u.Token,
			body: map[string]string{"current_password": u.Password, "new_password": "a fresh password"}})
		if b.works(t, other) {
			t.Error("the server that changed the password lets another session in")
		}
		clk.Advance(ttl)
		if a.works(t, other) {
			t.Errorf("the other server lets another session in %v after the password change", ttl)
		}
		if !a.works(t, u.Token) || !b.works(t, u.Token) {
			t.Error("the session that changed the password was ended")
		}
	})
}

// A session's use is recorded (last_used_at) in the background, not in
// the request that used it: the database has it shortly after, though
// nobody lists the sessions.
func TestSessionUseRecordedInBackground(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice := e.signUp(t, "alice")
		token, id := e.loginAs(t, alice, "Phone/1.0")
		e.clock.Advance(2 * time.Minute)
		if !e.works(t, token) {
			t.Fatal("a fresh token is refused")
		}
		want := start.Add(2 * time.Minute)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			s, err := db.Session(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if s.LastUsedAt.Equal(want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("last use %v 10 s after a use at %v", s.LastUsedAt, want)
			}
		}
	})
}

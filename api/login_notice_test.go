package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"minipay/api"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestLoginNotice: every login but a user's first (right after sign-up)
// leaves a new_login notice in their inbox, in the login's transaction:
// the session (which can be revoked), the client and its name for
// people, and nothing secret.
func TestLoginNotice(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "jin") // and logs in: the first login
		type notice struct {
			Kind      string  `json:"kind"`
			SessionID string  `json:"session_id"`
			UserAgent *string `json:"user_agent"`
			Device    *string `json:"device"`
		}
		inbox := func() (list []notice, raw string) {
			var out struct {
				Notifications []notice `json:"notifications"`
			}
			res := e.ok(t, req{method: "GET", path: "/v1/notifications", token: u.Token}, http.StatusOK, &out)
			return out.Notifications, string(res.body)
		}
		if ns, _ := inbox(); len(ns) != 0 {
			t.Fatalf("the first login sent %+v", ns)
		}

		const phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
		var s struct {
			Token string `json:"token"`
		}
		e.ok(t, req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": u.Username, "password": u.Password},
			header: map[string]string{"User-Agent": phone}}, http.StatusCreated, &s)
		ns, raw := inbox()
		if len(ns) != 1 || ns[0].Kind != "new_login" || ns[0].UserAgent == nil || *ns[0].UserAgent != phone ||
			ns[0].Device == nil || *ns[0].Device != "Safari, iPhone" {
			t.Fatalf("after a second login: %s", raw)
		}
		type sessionRow struct {
			ID        string `json:"id"`
			UserAgent string `json:"user_agent"`
		}
		var sessions struct {
			Sessions []sessionRow `json:"sessions"`
		}
		e.ok(t, req{method: "GET", path: "/v1/sessions", token: u.Token}, http.StatusOK, &sessions)
		named := slices.IndexFunc(sessions.Sessions, func(s sessionRow) bool { return s.ID == ns[0].SessionID })
		if named < 0 || sessions.Sessions[named].UserAgent != phone {
			t.Fatalf("notice names session %q; sessions %+v", ns[0].SessionID, sessions.Sessions)
		}
		if strings.Contains(raw, s.Token) || strings.Contains(raw, u.Password) {
			t.Fatalf("the notice holds a secret: %s", raw)
		}
		// The owner ends the session the notice names.
		if res := e.do(t, req{method: "DELETE", path: "/v1/sessions/" + ns[0].SessionID, token: u.Token}); res.status != http.StatusNoContent {
			t.Fatalf("revoking the session: %v", res)
		}
		e.rejects(t, req{method: "GET", path: "/v1/me", token: s.Token}, http.StatusUnauthorized, "unauthorized")

		// A client that sends no User-Agent is said to have sent none.
		e.ok(t, req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": u.Username, "password": u.Password},
			header: map[string]string{"User-Agent": ""}}, http.StatusCreated, nil)
		ns, raw = inbox()
		if len(ns) != 2 || ns[0].UserAgent == nil || *ns[0].UserAgent != "" || *ns[0].Device != "" {
			t.Fatalf("after a login without a User-Agent: %s", raw)
		}
		// A wrong password logs nobody in and notifies nothing.
		e.rejects(t, req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": u.Username, "password": "wrong-password"}},
			http.StatusUnauthorized, "unauthorized")
		if ns, _ := inbox(); len(ns) != 2 {
			t.Fatalf("a failed login sent a notice: %+v", ns)
		}
	})
}

func TestDevice(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 14; SM-S921N) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36": "Samsung Internet, Android",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0":              "Edge, Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15":                      "Safari, macOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.8.5":             "KakaoTalk, iPhone",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36":                              "Chrome, Linux",
		"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                             "Firefox, Linux",
		"curl/8.11.0":                        "curl",
		"Go-http-client/1.1":                 "Go",
		"":                                   "",
		"something else/1.0":                 "",
		"Mozilla/5.0 (Linux; Android 14) wv": "Android",
	} {
		if got := api.Device(ua); got != want {
			t.Errorf("Device(%q) = %q, want %q", ua, got, want)
		}
	}
}

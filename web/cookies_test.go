package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/store/dbtest"
)

// Behind a proxy that terminates TLS the wallet sees plain HTTP; with
// SecureCookies (--secure-cookies) every cookie it sets is Secure all the
// same, and the session's is __Host-. Without it nothing changes.

// proxied sends one request as the proxy would pass it on: plain HTTP,
// the cookies given by hand (a cookie jar keeps Secure cookies from a
// plain-HTTP server to itself), redirects not followed.
func proxied(t *testing.T, method, u string, form url.Values, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// cookie is the response's Set-Cookie named name; the test fails without one.
func cookie(t *testing.T, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s %s: no cookie %s in %q", resp.Request.Method, resp.Request.URL.Path, name, resp.Header.Values("Set-Cookie"))
	return nil
}

func TestSecureCookiesOverPlainHTTP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		setting bool
		session string
	}{{true, "__Host-minipay_session"}, {false, "minipay_session"}} {
		db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
		_, hs := apptest.Serve(t, app.Config{DB: db, PasswordCost: bcrypt.MinCost, SecureCookies: tc.setting})
		base := hs.URL
		check := func(c *http.Cookie) {
			t.Helper()
			if c.Secure != tc.setting || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
				t.Errorf("SecureCookies %v: cookie %s: Secure %v HttpOnly %v Path %q Domain %q",
					tc.setting, c.Name, c.Secure, c.HttpOnly, c.Path, c.Domain)
			}
		}
		resp := proxied(t, "POST", base+"/signup", url.Values{"username": {"alice"}, "name": {"김민수"}, "password": {"correct horse"}})
		session := cookie(t, resp, tc.session)
		check(session)
		// The session is read back under the same name: home, not the login page.
		if resp := proxied(t, "GET", base+"/", nil, session); resp.StatusCode != http.StatusOK {
			t.Errorf("SecureCookies %v: home with %s: %s", tc.setting, tc.session, resp.Status)
		}
		check(cookie(t, proxied(t, "GET", base+"/login?lang=en", nil), "lang"))
		// A charge (its form key: 16 bytes in base64) sets the flash; home
		// shows it and clears it.
		resp = proxied(t, "POST", base+"/charge", url.Values{"key": {"Y29va2llLXRlc3Qta2V5IQ"}, "amount": {"10000"}}, session)
		flash := cookie(t, resp, "flash")
		check(flash)
		check(cookie(t, proxied(t, "GET", base+"/", nil, session, flash), "flash"))
		// Logging out clears the session under its own name.
		check(cookie(t, proxied(t, "POST", base+"/logout", nil, session), tc.session))
	}
}

// CrossOriginProtection compares a form's Origin with the Host header
// (when the browser sends no Sec-Fetch-Site): behind a proxy it holds if
// the proxy passes the public Host on, and refuses every form if the
// proxy rewrites Host to the server's own address.
func TestCrossOriginBehindProxy(t *testing.T) {
	t.Parallel()
	db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
	_, hs := apptest.Serve(t, app.Config{DB: db, PasswordCost: bcrypt.MinCost, SecureCookies: true})
	for i, tc := range []struct {
		host, origin, fetchSite string
		refused                 bool
	}{
		{"pay.example.com", "https://pay.example.com", "", false},       // Host passed on
		{"", "https://pay.example.com", "", true},                       // Host rewritten to the server's
		{"pay.example.com", "https://evil.example", "", true},           // another site
		{"", "https://pay.example.com", "same-origin", false},           // a current browser says so itself
		{"pay.example.com", "https://evil.example", "cross-site", true}, // and is believed
	} {
		form := url.Values{"username": {"u" + string(rune('a'+i))}, "name": {"김민수"}, "password": {"correct horse"}}
		req, _ := http.NewRequest("POST", hs.URL+"/signup", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", tc.origin)
		if tc.host != "" {
			req.Host = tc.host
		}
		if tc.fetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", tc.fetchSite)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if refused := resp.StatusCode == http.StatusForbidden; refused != tc.refused {
			t.Errorf("Host %q Origin %q Sec-Fetch-Site %q: %s", tc.host, tc.origin, tc.fetchSite, resp.Status)
		}
	}
}

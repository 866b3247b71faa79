package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/store"
	"minipay/store/dbtest"
)

// HTTP-level tests of the wallet, without a browser.

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func serve(t *testing.T, db *store.DB) (*app.App, string) {
	a, hs := apptest.Serve(t, app.Config{DB: db, PasswordCost: bcrypt.MinCost})
	return a, hs.URL
}

// client is a browser-like client: cookies kept, redirects not followed.
func client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func signUp(t *testing.T, c *http.Client, base, username string) {
	t.Helper()
	resp, body := post(t, c, base+"/signup", url.Values{"username": {username}, "name": {"김민수"}, "password": {"correct horse"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up: %s\n%s", resp.Status, body)
	}
}

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	t.Parallel()
	db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
	_, base := serve(t, db)
	c := client(t)
	for _, path := range []string{"/login", "/signup", "/", "/static/wallet.css", "/static/wallet.js", "/no-such-page"} {
		resp, _ := get(t, c, base+path)
		h := resp.Header
		if h.Get("Content-Security-Policy") != wantCSP || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	if resp, body := get(t, c, base+"/v2/accounts"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "페이지를 찾을 수 없습니다") {
		t.Errorf("/v2/accounts: %s %s", resp.Status, body)
	}
	// The API keeps its JSON answers under /v1.
	resp, body := get(t, c, base+"/v1/me")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"code"`) {
		t.Errorf("/v1/me: %s %s", resp.Status, body)
	}
}

func TestCrossSiteFormRefused(t *testing.T) {
	t.Parallel()
	db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
	_, base := serve(t, db)
	req, _ := http.NewRequest("POST", base+"/signup", strings.NewReader("username=mallory&name=x&password=correct+horse"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-up answered %s", resp.Status)
	}
	if _, _, err := db.UserByUsername(context.Background(), "mallory"); err == nil {
		t.Fatal("a cross-site form created a user")
	}
}

func TestSessionCookieOverTLS(t *testing.T) {
	t.Parallel()
	db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
	a, _ := serve(t, db)
	hs := httptest.NewTLSServer(a.Handler())
	t.Cleanup(hs.Close)
	c := hs.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := post(t, c, hs.URL+"/signup", url.Values{"username": {"alice"}, "name": {"김민수"}, "password": {"correct horse"}})
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-minipay_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %q", sc, want)
		}
	}
	if strings.Contains(sc, "Domain=") {
		t.Errorf("Set-Cookie %q has a Domain", sc)
	}
}

var keyField = regexp.MustCompile(`name="key" value="([^"]+)"`)

// A charge form posted again (a reload, the back button) moves money once;
// its key with another amount is refused, not replayed.
func TestChargeFormOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		_, base := serve(t, db)
		c := client(t)
		signUp(t, c, base, "alice")
		_, page := get(t, c, base+"/charge")
		m := keyField.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no key in the charge form:\n%s", page)
		}
		for range 3 {
			resp, body := post(t, c, base+"/charge", url.Values{"key": {m[1]}, "amount": {"10,000"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("charge: %s\n%s", resp.Status, body)
			}
		}
		resp, body := post(t, c, base+"/charge", url.Values{"key": {m[1]}, "amount": {"20000"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "이 양식은 이미 다른 내용으로 제출되었습니다") {
			t.Fatalf("same key, other amount: %s\n%s", resp.Status, body)
		}
		_, home := get(t, c, base+"/")
		if !strings.Contains(home, `id="main-balance" data-live>10,000원<`) {
			t.Fatalf("home after three posts of one charge form:\n%s", home)
		}
	})
}

// The send form names mistakes in the person's language.
func TestSendErrorsInLanguage(t *testing.T) {
	t.Parallel()
	db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
	_, base := serve(t, db)
	c := client(t)
	signUp(t, c, base, "alice")
	_, page := get(t, c, base+"/send")
	key := keyField.FindStringSubmatch(page)[1]
	for _, tc := range []struct{ to, amount, lang, want string }{
		{"nobody", "1000", "ko", "받는 분을 찾을 수 없습니다"},
		{"nobody", "1000", "en", "No user with that username"},
		{"alice", "1000", "ko", "자기 자신에게는 보낼 수 없습니다"},
		{"alice", "abc", "en", "Enter an amount of at least 1 won"},
	} {
		u := base + "/send"
		if tc.lang != "" {
			u += "?lang=" + tc.lang
		}
		resp, body := post(t, c, u, url.Values{"key": {key}, "to": {tc.to}, "amount": {tc.amount}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
			t.Errorf("%+v: %s\n%s", tc, resp.Status, body)
		}
	}
}

// The history names a charge's other side in the page's language, not by
// the API's English account name.
func TestHistoryNamesTheBankInLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		_, base := serve(t, db)
		c := client(t)
		signUp(t, c, base, "alice")
		charge(t, c, base, "10,000")
		for lang, want := range map[string]string{"ko": `<span class="who">연결된 은행</span>`, "en": `<span class="who">Your bank</span>`} {
			_, history := get(t, c, base+"/history?lang="+lang)
			if !strings.Contains(history, want) || strings.Contains(history, "external bank") {
				t.Fatalf("%s history, want %s:\n%s", lang, want, history)
			}
		}
	})
}

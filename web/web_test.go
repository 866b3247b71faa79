package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

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

// aliceSending is alice, signed up on a server of her own (SQLite), and
// the key of a send form she opened.
func aliceSending(t *testing.T) (c *http.Client, base, key string) {
	t.Parallel()
	db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
	_, base = serve(t, db)
	c = client(t)
	signUp(t, c, base, "alice")
	_, page := get(t, c, base+"/send")
	return c, base, keyField.FindStringSubmatch(page)[1]
}

// The send form names mistakes in the person's language.
func TestSendErrorsInLanguage(t *testing.T) {
	c, base, key := aliceSending(t)
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

// The send form reaches every friend, not only the newest it lists: a
// search by username or by the part of the name shown finds the oldest
// of 125 friends; a search matching more than a page says so, one
// matching none says that, in the page's language.
func TestSendSearchFindsAnyFriend(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		_, base := serve(t, db)
		c := client(t)
		signUp(t, c, base, "alice")
		ctx, now := context.Background(), time.Now()
		me, _, err := db.UserByUsername(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		users := make([]store.NewUser, 125)
		for i := range users {
			users[i] = store.NewUser{Username: fmt.Sprintf("pal%03d", i), Name: "박서준", PasswordHash: "x"}
		}
		users[0].Name = "최하나"
		dbtest.Must(db.CreateUsers(ctx, users, now))(t)
		for i, u := range users {
			if _, _, err := db.AddFriend(ctx, me.ID, u.Username, now.Add(time.Duration(i)*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		oldest := `href="/send?q=pal000&amp;to=pal000"`
		if _, page := get(t, c, base+"/send"); strings.Contains(page, "pal000") || !strings.Contains(page, `id="q"`) {
			t.Fatalf("the form without a search lists the oldest friend, or offers no search:\n%s", page)
		}
		for _, tc := range []struct{ q, lang, want string }{
			{"PAL000", "ko", `href="/send?q=PAL000&amp;to=pal000"`},
			{"최", "ko", `&amp;to=pal000"`},
			{"pal0", "ko", "‘pal0’: 친구 20명 더 있습니다."},
			{"pal0", "en", "“pal0”: 20 friends More match"},
			{"nobody", "ko", "‘nobody’에 맞는 친구가 없습니다."},
			{"nobody", "en", "No friend matches “nobody”."},
		} {
			_, page := get(t, c, base+"/send?"+url.Values{"q": {tc.q}, "lang": {tc.lang}}.Encode())
			if !strings.Contains(page, tc.want) {
				t.Errorf("search %q (%s): no %s in\n%s", tc.q, tc.lang, tc.want, page)
			}
		}
		// A friend picked from the results fills the form, the results kept.
		if _, page := get(t, c, base+"/send?q=pal000&to=pal000"); !strings.Contains(page, `value="pal000" list=`) || !strings.Contains(page, oldest+` aria-current="true"`) {
			t.Errorf("picked from the results:\n%s", page)
		}
	})
}

// A send that needs more of a top-up than today's charge limit has left
// is refused at the confirmation, which says how much can be sent, and
// offers no button that would fail, rather than promising the top-up.
func TestSendOverTheChargeLimitSaysHowMuchCanBeSent(t *testing.T) {
	c, base, key := aliceSending(t)
	signUp(t, client(t), base, "bob")
	charge(t, c, base, "2,995,000")
	for lang, want := range map[string]string{
		"ko": "은행에서 10,000원을 먼저 충전해야 하지만 오늘 남은 충전 한도는 5,000원입니다. 지금은 2,995,000원까지 보낼 수 있습니다.",
		"en": "This needs ₩10,000 charged from your bank first, but only ₩5,000 of today&#39;s charge limit is left: you can send up to ₩2,995,000 now.",
	} {
		resp, body := post(t, c, base+"/send?lang="+lang, url.Values{"key": {key}, "to": {"bob"}, "amount": {"3,000,000"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) || strings.Contains(body, `id="confirm-form"`) {
			t.Errorf("%s: %s, want %q and no confirmation form:\n%s", lang, resp.Status, want, body)
		}
	}
	if resp, body := post(t, c, base+"/send", url.Values{"key": {key}, "to": {"bob"}, "amount": {"2,995,000"}}); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, `id="confirm-form"`) {
		t.Errorf("the most that can be sent: %s\n%s", resp.Status, body)
	}
}

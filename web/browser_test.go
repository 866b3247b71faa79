package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"minipay/api"
	"minipay/app"
	"minipay/app/apptest"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// The wallet in a real browser: Debian's chromium, headless, driven over
// the DevTools protocol, against a whole server on each database. Install
// it with `apt-get install -y chromium fonts-noto-cjk`. Without it the
// browser tests skip and say so, unless MINIPAY_TEST_BROWSER=1 (CI), which
// makes a missing chromium a failure.
//
// MINIPAY_SCREENSHOTS=1 also writes the screenshots of docs/ (from the
// SQLite run).

const (
	phoneWidth, phoneHeight = 360, 740
	browserTimeout          = 6 * time.Minute // a shared machine under load is slow
)

func TestWalletInBrowser(t *testing.T) {
	chromium(t) // skips before the databases are set up
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		b, shots := serveToBrowser(t, db)

		alice, bob := b.tab(t), b.tab(t)
		alice.signUp(t, "alice", "김민수")
		alice.expectText(t, "main-balance", "0원")

		// Charge, with today's whole limit shown first.
		alice.do(t, chromedp.Navigate(b.base+"/charge"))
		alice.expectText(t, "charge-left", "오늘 남은 충전 한도: 3,000,000원")
		alice.checkPage(t)
		alice.do(t, chromedp.SetValue(chromedp.ID("amount"), "10,000"), chromedp.Click(chromedp.CSS("main form button")),
			chromedp.WaitVisible(chromedp.ID("main-balance")))
		alice.expectText(t, "main-balance", "10,000원")
		alice.expectText(t, "limit-left", "2,990,000원")

		bob.signUp(t, "bob", "이영희")

		// Send more than the balance: the confirmation states the top-up.
		alice.do(t, chromedp.Navigate(b.base+"/send"))
		alice.checkPage(t)
		alice.do(t, chromedp.SetValue(chromedp.ID("to"), "bob"), chromedp.SetValue(chromedp.ID("amount"), "25000"),
			chromedp.SetValue(chromedp.ID("memo"), "점심값"), chromedp.Click(chromedp.CSS("#send-form button")),
			chromedp.WaitVisible(chromedp.ID("confirm")))
		alice.expectText(t, "topup", "20,000원이 은행에서 먼저 충전됩니다.")
		alice.expectText(t, "summary", "bob(이*희)님에게 25,000원을 보냅니다.")
		alice.checkPage(t)
		if shots {
			alice.screenshot(t, "wallet-send-confirm.png")
		}

		// The confirmation posted three times (twice at once with the
		// browser's cookie, as a double click with no script would, then
		// by its button): the money moves once. The CSP allows the page
		// no fetch of its own, so the two come from here.
		alice.postTwice(t, "confirm-form", "/send/confirm", "/")
		alice.do(t, chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("main-balance")))
		alice.expectText(t, "main-balance", "5,000원") // 10,000 + 20,000 charged - 25,000 sent
		alice.expectText(t, "notice", "25,000원을 보냈습니다.")
		alice.expectText(t, "limit-used", "30,000원")
		if shots {
			alice.screenshot(t, "wallet-home.png")
		}
		if n := transfersOf(t, db, "bob"); n != 1 {
			t.Fatalf("bob received %d transfers, want 1", n)
		}

		bob.do(t, chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.ID("main-balance")))
		bob.expectText(t, "main-balance", "25,000원")
		bob.expectText(t, "unread", "1건")

		// English on request, remembered.
		bob.do(t, chromedp.Navigate(b.base+"/?lang=en"), chromedp.WaitVisible(chromedp.ID("main-balance")))
		bob.do(t, chromedp.Navigate(b.base+"/charge"))
		bob.expectText(t, "charge-left", "Charge limit left today: ₩3,000,000")

		// Logging out ends the session: home then asks for a login.
		alice.do(t, chromedp.Click(chromedp.CSS(".logout button")), chromedp.WaitVisible(chromedp.ID("password")))
		alice.expectPath(t, "/", "/login")
		alice.do(t, chromedp.SetValue(chromedp.ID("username"), "alice"), chromedp.SetValue(chromedp.ID("password"), "correct horse"),
			chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.ID("main-balance")))
		alice.expectText(t, "main-balance", "5,000원")

		// A session revoked elsewhere (another device) logs the browser out.
		revokeAll(t, db, "bob")
		bob.expectPath(t, "/", "/login")

		b.noConsoleErrors(t)
	})
}

// chromium is Debian's chromium; without it the test fails if
// MINIPAY_TEST_BROWSER is set and is skipped otherwise.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	switch {
	case err == nil:
		return path
	case os.Getenv("MINIPAY_TEST_BROWSER") != "":
		t.Fatal("MINIPAY_TEST_BROWSER is set and chromium is not installed: apt-get install -y chromium fonts-noto-cjk")
	}
	t.Skip("skipping the browser test: chromium is not installed (apt-get install -y chromium fonts-noto-cjk; MINIPAY_TEST_BROWSER=1 makes this a failure)")
	return ""
}

// browser is one headless chromium for a test; each tab has its own
// cookies (a browser context), as two people on two phones would. Tabs
// open at width×height (a phone unless set otherwise before the first).
type browser struct {
	ctx           context.Context
	base          string
	width, height int64
	mu            sync.Mutex
	logs          []string // console errors and exceptions of every tab
}

func newBrowser(t *testing.T, chrome, base string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.Headless,
		chromedp.WindowSize(phoneWidth, phoneHeight),
		// A Korean browser: the wallet answers Accept-Language.
		chromedp.Flag("accept-lang", "ko-KR,ko"), chromedp.Flag("lang", "ko-KR"))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium's sandbox refuses root
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatal("start chromium:", err)
	}
	return &browser{ctx: ctx, base: base, width: phoneWidth, height: phoneHeight}
}

type tab struct {
	ctx  context.Context
	base string
}

func (b *browser) tab(t *testing.T) *tab {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	messages := chromedp.Console(ctx)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(b.width, b.height)); err != nil {
		t.Fatal(err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !refusedForm(b.base, m) {
				b.mu.Lock()
				b.logs = append(b.logs, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return &tab{ctx: ctx, base: b.base}
}

// refusedForm reports whether m is the browser noting that a page came
// with a form's refusal status (401, 409, 422, 429: the form shown again
// with its error as a sentence), which is how the wallet answers a
// mistake, not an error of the page. Any other status, and any of a
// static file, still counts.
func refusedForm(base string, m chromedp.ConsoleMessage) bool {
	return m.Source == "network" && !strings.HasPrefix(m.URL, base+"/static/") && formStatus.MatchString(m.Text)
}

var formStatus = regexp.MustCompile(`status of (401|409|422|429) `)

func (b *browser) noConsoleErrors(t *testing.T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.logs) > 0 {
		t.Errorf("the pages logged errors:\n%s", strings.Join(b.logs, "\n"))
	}
}

func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func (tb *tab) signUp(t *testing.T, username, name string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(tb.base+"/signup"))
	tb.checkPage(t)
	tb.do(t, chromedp.SetValue(chromedp.ID("username"), username), chromedp.SetValue(chromedp.ID("name"), name),
		chromedp.SetValue(chromedp.ID("password"), "correct horse"), chromedp.Click(chromedp.CSS("main form button")),
		chromedp.WaitVisible(chromedp.ID("main-balance")))
	tb.checkPage(t)
}

func (tb *tab) expectText(t *testing.T, id, want string) {
	t.Helper()
	got, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("#%s: %v", id, err)
	}
	if strings.TrimSpace(got) != want {
		t.Fatalf("#%s = %q, want %q", id, got, want)
	}
}

// expectPath opens path and checks where the browser lands.
func (tb *tab) expectPath(t *testing.T, path, want string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(tb.base+path))
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil || loc != tb.base+want {
		t.Fatalf("opening %s landed on %q (%v), want %s", path, loc, err, want)
	}
}

// checkPage checks the page at the tab's width, as an automated
// accessibility check: nothing wider than the screen, every visible input
// labelled (a <label>, aria-label or aria-labelledby naming text), every
// button, link, image and meter with an accessible name, every table
// header scoped, and no message showing an unfilled argument (%s).
func (tb *tab) checkPage(t *testing.T) {
	t.Helper()
	problems, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`(() => {
		const p = [];
		const byIds = (el) => (el.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean)
			.map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
		const named = (el) => (el.getAttribute("aria-label") || "").trim() || byIds(el) || (el.getAttribute("title") || "").trim();
		if (document.documentElement.scrollWidth > window.innerWidth)
			p.push("wider than the screen: " + document.documentElement.scrollWidth + "px");
		for (const i of document.querySelectorAll("input:not([type=hidden]), select, textarea"))
			if (!named(i) && ![...(i.labels || [])].some((l) => l.textContent.trim())) p.push("input without a label: " + i.name);
		for (const b of document.querySelectorAll("button, a, [role=button], [role=link]"))
			if (!(named(b) || b.textContent.trim() || [...b.querySelectorAll("img[alt]")].some((i) => i.alt.trim())))
				p.push("control without a name: " + b.outerHTML);
		for (const i of document.querySelectorAll("img, svg, [role=img], input[type=image]"))
			if (i.getAttribute("aria-hidden") !== "true" && !(named(i) || (i.getAttribute("alt") || "").trim()))
				p.push("image without a name: " + i.outerHTML.slice(0, 80));
		for (const m of document.querySelectorAll("meter, progress"))
			if (!named(m) && !(m.labels && m.labels.length)) p.push("meter without a name");
		for (const th of document.querySelectorAll("thead th"))
			if (!th.getAttribute("scope")) p.push("table header without a scope: " + th.textContent);
		const unfilled = document.body.innerText.match(/%[!a-z]|%\[\d\]/);
		if (unfilled) p.push("a message with an unfilled argument: " + unfilled[0]);
		return p;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
		t.Fatalf("%s: %s", loc, strings.Join(problems, "; "))
	}
}

// postTwice posts the form with id twice at once as the tab's browser
// would (its fields, its session cookie), and checks that both are
// answered as a success would be: the same redirect, to want.
func (tb *tab) postTwice(t *testing.T, id, path, want string) {
	t.Helper()
	fields, err := chromedp.Run(tb.ctx, chromedp.Evaluate[map[string]string](
		`Object.fromEntries(new FormData(document.getElementById("`+id+`")))`))
	if err != nil {
		t.Fatal(err)
	}
	cookies, err := chromedp.Call(tb.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	locations := make([]string, 2)
	for i := range locations {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", tb.base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range cookies.Cookies {
				req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			locations[i] = resp.Status + " " + resp.Header.Get("Location")
		})
	}
	wg.Wait()
	for _, l := range locations {
		if l != locations[0] || !strings.HasPrefix(l, "303 See Other "+want) {
			t.Fatalf("double submit answered %q, want both 303 to %s", locations, want)
		}
	}
}

func (tb *tab) screenshot(t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// transfersOf is how many transfers username has received (of the last
// ten), failing for any not completed.
func transfersOf(t *testing.T, db *store.DB, username string) int {
	t.Helper()
	ts := transfersIn(t, db, username)
	for _, tr := range ts {
		if tr.Status != ledger.TransferCompleted {
			t.Errorf("transfer %d is %s", tr.ID, tr.Status)
		}
	}
	return len(ts)
}

// transfersIn is the last ten transfers username received, in any state.
func transfersIn(t *testing.T, db *store.DB, username string) []store.Transfer {
	t.Helper()
	u, _, err := db.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := db.Transfers(context.Background(), u.ID, store.TransferFilter{Direction: "in", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// savingsOf is how many open savings accounts username has.
func savingsOf(t *testing.T, db *store.DB, username string) int {
	t.Helper()
	u, _, err := db.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	as, err := db.Accounts(context.Background(), u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(as) - 1 // main
}

func revokeAll(t *testing.T, db *store.DB, username string) {
	t.Helper()
	ctx, now := context.Background(), time.Now()
	u, _, err := db.UserByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := db.Sessions(ctx, u.ID, now)
	if err != nil || len(ss) == 0 {
		t.Fatalf("sessions of %s: %v, %v", username, ss, err)
	}
	for _, s := range ss {
		if err := db.RevokeSession(ctx, u.ID, s.ID, now); err != nil {
			t.Fatal(err)
		}
	}
}

// serveToBrowser serves a whole server on db to a new browser (without
// chromium: as chromium says); shots says whether this run writes the
// screenshots.
func serveToBrowser(t *testing.T, db *store.DB) (b *browser, shots bool) {
	chrome := chromium(t)
	_, hs := apptest.Serve(t, app.Config{DB: db, PasswordCost: bcrypt.MinCost, SessionCacheTTL: api.NoSessionCache})
	return newBrowser(t, chrome, hs.URL), os.Getenv("MINIPAY_SCREENSHOTS") != "" && strings.HasSuffix(t.Name(), "/sqlite")
}

// open goes to path and waits for it to load.
func (tb *tab) open(t *testing.T, path string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(tb.base+path))
}

// fill sets the inputs of ids to values (id, value, id, value ...).
func (tb *tab) fill(t *testing.T, idValues ...string) {
	t.Helper()
	for i := 0; i+1 < len(idValues); i += 2 {
		tb.do(t, chromedp.SetValue(chromedp.ID(idValues[i]), idValues[i+1]))
	}
}

// press clicks the first element sel matches (a form's button, a link)
// and waits until the page it leads to has loaded.
func (tb *tab) press(t *testing.T, sel string) {
	t.Helper()
	tb.leave(t, chromedp.Click(chromedp.CSS(sel)))
}

// leave does what leaves the page and waits until the next one has
// loaded: the old page is marked, so a page still showing counts as not
// yet loaded.
func (tb *tab) leave(t *testing.T, what chromedp.Action[chromedp.Void]) {
	t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.leaving = true`)); err != nil {
		t.Fatal(err)
	}
	tb.do(t, what)
	for {
		loaded, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`!window.leaving && document.readyState === "complete"`))
		if err == nil && loaded {
			return
		}
		if tb.ctx.Err() != nil {
			t.Fatalf("no new page (%v)", tb.ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count is how many elements sel matches.
func (tb *tab) count(t *testing.T, sel string) int {
	t.Helper()
	n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// textOf is the text of the first element sel matches ("" if none).
func (tb *tab) textOf(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || ""`))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// focused checks that the element with id has the focus: a refusal is
// focused as its page loads, so a screen reader reads it first.
func (tb *tab) focused(t *testing.T, id string) {
	t.Helper()
	got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil || got != id {
		t.Fatalf("focus on #%q (%v), want #%s", got, err, id)
	}
}

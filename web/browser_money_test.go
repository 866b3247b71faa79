package web_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipay/store"
	"minipay/store/dbtest"
)

// Settlements, savings and live updates in a real browser, at a phone's
// size and a laptop's, on each database: the receiver's open page shows
// money arrive without a reload; a settlement requested from a friend,
// previewed, paid by them while the requester watches it complete; a free
// savings opened and deposited into; a transfer needing acceptance
// appearing on the receiver's open page and accepted; a send with a
// top-up posted twice moving money once; the history of each; every page visited passes the
// accessibility check and logs no error; the books balance at the end.
// MINIPAY_SCREENSHOTS=1 also writes the phone-size screenshots of docs/
// (from the SQLite run).

const laptopWidth, laptopHeight = 1280, 800

func TestMoneyScreensInBrowser(t *testing.T) {
	chromium(t) // skips before the databases are set up
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		for _, size := range [][2]int64{{phoneWidth, phoneHeight}, {laptopWidth, laptopHeight}} {
			t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
				shots := os.Getenv("MINIPAY_SCREENSHOTS") != "" && strings.Contains(t.Name(), "/sqlite/") && size[0] == phoneWidth
				moneyScreens(t, db, size[0], size[1], shots)
			})
		}
	})
}

func moneyScreens(t *testing.T, db *store.DB, width, height int64, shots bool) {
	b, _ := serveToBrowser(t, db)
	b.width, b.height = width, height
	alice, bob := b.tab(t), b.tab(t)
	// Each size runs on the same database: its own two people.
	an, bn := fmt.Sprintf("alice%d", width), fmt.Sprintf("bob%d", width)
	alice.signUp(t, an, "김민수")
	bob.signUp(t, bn, "이영희")
	alice.visit(t, "/charge")
	alice.do(t, chromedp.SetValue(chromedp.ID("amount"), "50,000"))
	alice.press(t, "main form button")

	// Bob's home stays open; alice's transfer shows on it without a reload.
	bob.visit(t, "/")
	// A mark in the DOM (which every script world shares) that a reload
	// would lose.
	bob.do(t, chromedp.Evaluate[chromedp.Void](`document.body.dataset.notReloaded = "yes"`))
	bob.waitStream(t)
	alice.visit(t, "/send")
	alice.do(t, chromedp.SetValue(chromedp.ID("to"), bn), chromedp.SetValue(chromedp.ID("amount"), "10000"))
	alice.press(t, "#send-form button")
	alice.checkPage(t)
	alice.leave(t, chromedp.Click(chromedp.ID("confirm")))
	bob.waitFor(t, `document.getElementById("main-balance").textContent.trim() === "10,000원" && document.body.dataset.notReloaded === "yes"`)
	bob.see(t, "unread", "1건")
	// A form sent (here an event alone: nothing leaves) stops the page
	// listening, so it cannot fetch itself between the form's redirect and
	// the next page and take that page's notice, a cookie read once.
	bob.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("form").dispatchEvent(new Event("submit", {bubbles: true, cancelable: true}))`))
	bob.waitFor(t, `document.body.dataset.stream === "closed"`)

	// Alice asks bob, a friend, to split 30,000 with her: the friend is
	// offered as a checkbox, the preview shows the shares.
	u, _, err := db.UserByUsername(context.Background(), an)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddFriend(context.Background(), u.ID, bn, time.Now()); err != nil {
		t.Fatal(err)
	}
	alice.visit(t, "/settlements/new")
	alice.do(t, chromedp.SetValue(chromedp.ID("total"), "30,000"), chromedp.Click(chromedp.ID("friend-"+bn)))
	alice.leave(t, chromedp.Click(chromedp.ID("preview")))
	alice.see(t, "plan-h", "총 30,000원, 똑같이 나누기")
	alice.checkPage(t)
	if shots {
		alice.screenshot(t, "wallet-settlement-preview.png")
	}
	alice.leave(t, chromedp.Click(chromedp.ID("request")))
	alice.see(t, "notice", "총 30,000원의 정산을 요청했습니다.")
	alice.see(t, "settlement-paid", "2명 중 1명 완료")
	alice.checkPage(t)
	alice.waitStream(t)

	// Bob opens it from his list and pays; alice's open page completes.
	bob.visit(t, "/settlements")
	bob.press(t, "#settlements-asked a")
	bob.checkPage(t)
	bob.leave(t, chromedp.Click(chromedp.ID("pay")))
	bob.see(t, "notice", "15,000원을 냈습니다.")
	bob.checkPage(t)
	alice.waitFor(t, `document.getElementById("settlement-paid").textContent.trim() === "2명 중 2명 완료"`)
	alice.see(t, "settlement-status", "완료")

	// A free savings account, opened and deposited into. The open form
	// posted three times (twice at once, then by its button) opens one.
	alice.visit(t, "/savings")
	alice.postTwice(t, "open-form", "/savings", "/savings#savings-")
	alice.leave(t, chromedp.Click(chromedp.ID("open-go")))
	alice.checkPage(t)
	if n := savingsOf(t, db, an); n != 1 {
		t.Fatalf("alice has %d savings accounts, want 1", n)
	}
	alice.do(t, chromedp.SetValue(chromedp.CSS("input[id^=deposit-]"), "20,000"))
	alice.press(t, "[id^=deposit-][id$=-go]")
	alice.see(t, "notice", "20,000원을 입금했습니다.")
	alice.see(t, "savings-main", "35,000원") // 50,000 - 10,000 sent + 15,000 paid back - 20,000 deposited
	alice.checkPage(t)
	if shots {
		alice.screenshot(t, "wallet-savings.png")
	}

	pendingAndTopUp(t, db, alice, bob, bn)

	// The same screen in English, amounts as ₩.
	alice.visit(t, "/savings?lang=en")
	alice.see(t, "savings-main", "₩0")

	b.noConsoleErrors(t)
	dbtest.Audit(t, db)
}

// pendingAndTopUp: a transfer needing acceptance shows on bob's open
// pending page (list and unread badge) without a reload, and he accepts
// it; then a send with a top-up, its confirmation posted twice at once
// and by its button, moves money once; alice's history lists each kind.
func pendingAndTopUp(t *testing.T, db *store.DB, alice, bob *tab, bn string) {
	bob.visit(t, "/pending")
	bob.do(t, chromedp.Evaluate[chromedp.Void](`document.body.dataset.notReloaded = "yes"`))
	badge := bob.textOf(t, "#nav-unread")
	bob.waitStream(t)
	alice.visit(t, "/send?to="+bn)
	alice.do(t, chromedp.SetValue(chromedp.ID("amount"), "5,000"), chromedp.Click(chromedp.ID("acceptance")))
	alice.press(t, "#send-form button")
	alice.leave(t, chromedp.Click(chromedp.ID("confirm")))
	bob.waitFor(t, `!!document.querySelector("#pending-in-list button") && document.body.dataset.notReloaded === "yes" &&
		(document.getElementById("nav-unread") || {textContent: ""}).textContent.trim() !== `+strconv.Quote(badge))
	bob.checkPage(t)
	bob.press(t, "#pending-in-list form button")
	bob.see(t, "notice", "5,000원을 받았습니다.")

	// 30,000 left, 40,000 sent: 10,000 charged first.
	alice.visit(t, "/send?to="+bn)
	alice.do(t, chromedp.SetValue(chromedp.ID("amount"), "40,000"))
	alice.press(t, "#send-form button")
	alice.see(t, "topup", "10,000원이 은행에서 먼저 충전됩니다.")
	before := len(transfersIn(t, db, bn))
	alice.postTwice(t, "confirm-form", "/send/confirm", "/")
	alice.leave(t, chromedp.Click(chromedp.ID("confirm")))
	alice.see(t, "main-balance", "0원")
	if n := len(transfersIn(t, db, bn)); n != before+1 {
		t.Fatalf("%s received %d transfers more, want 1", bn, n-before)
	}

	alice.visit(t, "/history")
	got := alice.textOf(t, "#history-list")
	for _, kind := range []string{"충전", "송금", "정산 납부", "적금 입금", "수락 대기 송금"} {
		if !strings.Contains(got, kind) {
			t.Errorf("alice's history has no %s: %s", kind, got)
		}
	}
	bob.visit(t, "/history")
	if got := bob.textOf(t, "#history-list"); !strings.Contains(got, "수락된 송금") || !strings.Contains(got, "정산 납부") {
		t.Errorf("bob's history: %s", got)
	}
}

// visit opens path and checks the page.
func (tb *tab) visit(t *testing.T, path string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(tb.base+path), chromedp.WaitReady(chromedp.CSS("main")))
	tb.checkPage(t)
}

// waitFor waits until the page's expression is true, bounded by the
// browser's deadline.
func (tb *tab) waitFor(t *testing.T, expr string) {
	t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(0))); err != nil {
		t.Fatalf("waiting for %s: %v", expr, err)
	}
}

// see waits until the element with id reads want. It reads the page by
// script, not by DevTools node ids, which a document still loading after a
// form's navigation can invalidate under a query.
func (tb *tab) see(t *testing.T, id, want string) {
	t.Helper()
	expr := fmt.Sprintf(`(document.getElementById(%q) || {textContent: ""}).textContent.trim() === %q`, id, want)
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(time.Minute))); err != nil {
		got, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.getElementById(%q) || {textContent: "(none)"}).textContent.trim()`, id)))
		t.Fatalf("#%s = %q, want %q (%v)", id, got, want, err)
	}
}

// waitStream waits until the page's event stream is open, so that what
// happens next reaches it.
func (tb *tab) waitStream(t *testing.T) {
	t.Helper()
	tb.waitFor(t, `document.body.dataset.stream === "open"`)
}

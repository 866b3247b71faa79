package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"minipay/store"
	"minipay/store/dbtest"
)

// The screens past sending, in a real browser at phone width, on each
// database: friends, pending transfers accepted, rejected and cancelled
// by two people in two browser contexts, history with its filters and
// "more", notifications read, and settings (the acceptance default, a
// password change and a revoked session logging another device out).
// One browser and one server per database.
func TestWalletScreensInBrowser(t *testing.T) {
	chromium(t) // skips before the databases are set up
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		b, shots := serveToBrowser(t, db)
		shot := func(tb *tab, name string) {
			if shots {
				tb.screenshot(t, name)
			}
		}
		alice, bob := b.tab(t), b.tab(t)
		alice.signUp(t, "alice", "김민수")
		bob.signUp(t, "bob", "이영희")

		friends(t, alice, shot)

		pendingAcceptRejectCancel(t, alice, bob, shot)
		history(t, alice)
		shot(alice, "wallet-history.png")

		// Bob's unread count goes down as he reads.
		bob.open(t, "/notifications")
		bob.checkPage(t)
		shot(bob, "wallet-notifications.png")
		unread := bob.textOf(t, "#nav-unread")
		if unread != strconv.Itoa(bob.count(t, "#notifications-list .unread")) || unread == "0" {
			t.Fatalf("badge %q, %d unread listed", unread, bob.count(t, "#notifications-list .unread"))
		}
		if !strings.Contains(bob.textOf(t, "#notifications-list"), "김*수님이 3,000원 송금을 취소했습니다.") {
			t.Fatalf("notifications: %s", bob.textOf(t, "#notifications-list"))
		}
		bob.press(t, "#notifications-list .unread form button")
		bob.expectText(t, "notice", "알림을 읽음으로 표시했습니다.")
		n, _ := strconv.Atoi(unread)
		if got := bob.textOf(t, "#nav-unread"); got != strconv.Itoa(n-1) && !(n == 1 && got == "") {
			t.Fatalf("badge after reading one of %d: %q", n, got)
		}

		// Bob sees that alice added him, and adds her back.
		bob.open(t, "/friends")
		bob.press(t, "#add-back-alice")
		bob.expectText(t, "notice", "친구를 추가했습니다.")
		if got, n := bob.textOf(t, "#friends-list .row-main"), bob.count(t, "#add-back-alice"); got != "alice (김*수)" || n != 0 {
			t.Fatalf("bob's friends: %q, still offered to add back: %d", got, n)
		}

		settings(t, b, alice, bob, shot)
		friendsPaged(t, db, alice)
		b.noConsoleErrors(t)
	})
}

// friends: a mistake explained, bob added, removed, added again, and
// "send to" opening the send form prefilled, bob offered first.
func friends(t *testing.T, alice *tab, shot func(*tab, string)) {
	alice.open(t, "/friends")
	alice.checkPage(t)
	alice.fill(t, "friend", "nobody")
	alice.press(t, "#add-friend button")
	alice.expectText(t, "form-error", "그 아이디의 사용자가 없습니다. 아이디를 확인해 주세요.")
	alice.focused(t, "form-error") // read first by a screen reader
	alice.fill(t, "friend", "bob")
	alice.press(t, "#add-friend button")
	alice.expectText(t, "notice", "친구를 추가했습니다.")
	if got := alice.textOf(t, "#friends-list .row-main"); got != "bob (이*희)" {
		t.Fatalf("friend listed as %q", got)
	}
	alice.press(t, "#remove-bob")
	alice.expectText(t, "notice", "친구를 삭제했습니다.")
	alice.expectText(t, "friends-none", "아직 친구가 없습니다. 아이디로 추가해 보세요.")
	// By keyboard: the username typed, then Enter.
	alice.leave(t, chromedp.SendKeys(chromedp.ID("friend"), "bob"+kb.Enter))
	alice.expectText(t, "notice", "친구를 추가했습니다.")
	alice.checkPage(t)
	shot(alice, "wallet-friends.png")
	alice.press(t, "#send-to-bob")
	alice.expectPath(t, "/send?to=bob", "/send?to=bob")
	if v, err := chromedp.Run(alice.ctx, chromedp.Value(chromedp.ID("to"))); err != nil || v != "bob" {
		t.Fatalf("send to bob: the form says %q (%v)", v, err)
	}
	if got := alice.textOf(t, "#contacts-list"); got != "bob 이*희" {
		t.Fatalf("contacts offered: %q", got)
	}
	alice.checkPage(t)
}

// friendsPaged: alice, with more friends than a page (20) and more
// people who added her, goes through each list by its "more" link, newest
// first; a page past the first shows only the list it continues.
func friendsPaged(t *testing.T, db *store.DB, alice *tab) {
	ctx := context.Background()
	me, _, err := db.UserByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 21 {
		at := now.Add(time.Duration(i-21) * time.Millisecond) // after bob, before what alice does next
		friend := dbtest.Must(db.CreateUser(ctx, fmt.Sprintf("friend%02d", i), "김민수", "x", now))(t)
		fan := dbtest.Must(db.CreateUser(ctx, fmt.Sprintf("fan%02d", i), "김민수", "x", now))(t)
		if _, _, err := db.AddFriend(ctx, me.ID, friend.Username, at); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AddFriend(ctx, fan.ID, "alice", at); err != nil {
			t.Fatal(err)
		}
	}
	alice.open(t, "/friends")
	alice.checkPage(t)
	if n, m := alice.count(t, "#friends-list li"), alice.count(t, "#added-me-list li"); n != 20 || m != 20 {
		t.Fatalf("first page: %d friends, %d who added alice; want 20 and 20", n, m)
	}
	if got := alice.textOf(t, "#friends-list .row-main"); got != "friend20 (김*수)" {
		t.Fatalf("newest friend: %q", got)
	}
	// 21 friends and bob, added first: the second page has two.
	alice.press(t, "#friends-more")
	alice.checkPage(t)
	if got := alice.textOf(t, "#friends-list"); !strings.HasPrefix(got, "friend00 (김*수)") || !strings.Contains(got, "bob (이*희)") ||
		alice.count(t, "#friends-list li") != 2 || alice.count(t, "#friends-more, #added-me-h") != 0 {
		t.Fatalf("friends' second page: %q, more or the other list: %d", got, alice.count(t, "#friends-more, #added-me-h"))
	}
	alice.open(t, "/friends")
	alice.press(t, "#added-me-more")
	alice.checkPage(t)
	if got := alice.textOf(t, "#added-me-list"); !strings.HasPrefix(got, "fan00 (김*수)") || alice.count(t, "#added-me-list li") != 1 ||
		alice.count(t, "#added-me-more, #friends-h") != 0 {
		t.Fatalf("second page of who added alice: %q, more or the other list: %d", got, alice.count(t, "#added-me-more, #friends-h"))
	}
	// Adding back from the second page adds the friend for good.
	alice.press(t, "#add-back-fan00")
	alice.expectText(t, "notice", "친구를 추가했습니다.")
	if got := alice.textOf(t, "#friends-list .row-main"); got != "fan00 (김*수)" {
		t.Fatalf("newest friend after adding back: %q", got)
	}
}

// send sends amount to bob through the form and its confirmation, ticking
// "needs acceptance".
func sendPending(t *testing.T, alice *tab, amount string) {
	t.Helper()
	alice.open(t, "/send?to=bob")
	alice.fill(t, "amount", amount)
	alice.do(t, chromedp.Click(chromedp.ID("acceptance")))
	alice.press(t, "#send-form button")
	alice.expectText(t, "needs-acceptance", "받는 분이 수락해야 입금됩니다.")
	alice.press(t, "#confirm")
}

// pendingAcceptRejectCancel: alice sends three transfers that need
// acceptance; bob accepts one in his own browser, rejects one, and alice
// cancels the last.
func pendingAcceptRejectCancel(t *testing.T, alice, bob *tab, shot func(*tab, string)) {
	sendPending(t, alice, "10,000")
	alice.expectText(t, "notice", "10,000원을 보냈습니다. 받는 분이 수락하면 입금됩니다.")
	alice.expectText(t, "pending-out", "1건")

	bob.open(t, "/pending")
	bob.checkPage(t)
	shot(bob, "wallet-pending.png")
	if left := bob.textOf(t, "#pending-in-list .left"); left != "2일 23시간 남음" && left != "3일 0시간 남음" {
		t.Fatalf("time left shown as %q", left)
	}
	// Accepted by keyboard: the button focused, then Enter.
	bob.leave(t, chromedp.Steps(chromedp.Focus(chromedp.CSS("#pending-in-list form button")), chromedp.KeyEvent(kb.Enter)))
	bob.expectText(t, "notice", "10,000원을 받았습니다.")
	bob.expectText(t, "pending-in-none", "수락을 기다리는 송금이 없습니다.")
	bob.open(t, "/")
	bob.expectText(t, "main-balance", "10,000원")

	sendPending(t, alice, "3000")
	sendPending(t, alice, "2000")
	bob.open(t, "/pending")
	if n := bob.count(t, "#pending-in-list .row"); n != 2 {
		t.Fatalf("bob sees %d pending transfers, want 2", n)
	}
	bob.press(t, "#pending-in-list .row button.secondary") // reject the newest, 2,000
	bob.expectText(t, "notice", "2,000원 송금을 거절했습니다. 보낸 분에게 돌아갑니다.")

	alice.open(t, "/pending")
	alice.checkPage(t)
	alice.press(t, "#pending-out-list button")
	alice.expectText(t, "notice", "3,000원 송금을 취소했습니다. 메인 계좌로 돌아왔습니다.")
	alice.expectText(t, "pending-out-none", "상대의 수락을 기다리는 송금이 없습니다.")
	alice.open(t, "/")
	alice.expectText(t, "main-balance", "10,000원") // 20,000 topped up (in 10,000원 steps), 10,000 accepted
}

// history: alice's main account, newest first, ten a page, by kind and
// by month.
func history(t *testing.T, alice *tab) {
	// Four charges more make 11 entries: with 2 top-ups, 3 holds and 2
	// returns.
	for range 4 {
		alice.open(t, "/charge")
		alice.fill(t, "amount", "1000")
		alice.press(t, "main form button")
	}
	alice.open(t, "/history")
	alice.checkPage(t)
	if n := alice.count(t, "#history-list li"); n != 10 {
		t.Fatalf("first page: %d entries, want 10", n)
	}
	if got := alice.textOf(t, "#history-list li .row-main"); got != "충전 +1,000원" {
		t.Fatalf("newest entry: %q", got)
	}
	alice.press(t, "#history-more")
	if n := alice.count(t, "#history-list li"); n != 1 || alice.count(t, "#history-more") != 0 {
		t.Fatalf("second page: %d entries, more link %d", n, alice.count(t, "#history-more"))
	}

	alice.open(t, "/history")
	alice.do(t, chromedp.SetValue(chromedp.ID("kind"), "pending_return"))
	alice.press(t, "#history-filter button")
	if n := alice.count(t, "#history-list li"); n != 2 {
		t.Fatalf("returns: %d entries, want 2", n)
	}
	if got := alice.textOf(t, "#history-list li .who"); got != "이*희 (@bob)" {
		t.Fatalf("counterparty shown as %q", got)
	}
	month := time.Now().In(seoul(t)).Format("2006-01")
	alice.fill(t, "month", month)
	alice.press(t, "#history-filter button")
	if n := alice.count(t, "#history-list li"); n != 2 {
		t.Fatalf("returns in %s: %d entries, want 2", month, n)
	}
	alice.fill(t, "month", time.Now().In(seoul(t)).AddDate(0, -1, 0).Format("2006-01"))
	alice.press(t, "#history-filter button")
	alice.expectText(t, "history-none", "내역이 없습니다.")
	alice.open(t, "/history")
}

// settings: alice makes acceptance her default; bob, told of a second
// device's login, changes his password with it logged in, which logs it
// out, then it logs in again there and is revoked from the sessions list.
func settings(t *testing.T, b *browser, alice, bob *tab, shot func(*tab, string)) {
	alice.open(t, "/settings")
	alice.checkPage(t)
	// The setting says whose transfers it is about (not the send form's
	// "it").
	if got := alice.textOf(t, "label[for=acceptance]"); got != "내가 보내는 송금은 받는 분이 수락해야 입금" {
		t.Fatalf("the acceptance setting reads %q", got)
	}
	alice.do(t, chromedp.Click(chromedp.ID("acceptance")))
	alice.press(t, "#acceptance-form button")
	alice.expectText(t, "notice", "설정을 저장했습니다.")
	alice.open(t, "/send")
	if on, err := chromedp.Run(alice.ctx, chromedp.JavascriptAttribute[bool](chromedp.ID("acceptance"), "checked")); err != nil || !on {
		t.Fatalf("send form after the setting: acceptance ticked %v (%v)", on, err)
	}

	other := b.tab(t)
	other.logIn(t, "bob", "correct horse")
	// Bob is told of the login, with the browser it came from, and led
	// to where he can end it.
	bob.open(t, "/notifications")
	bob.checkPage(t)
	if got := bob.textOf(t, "#notifications-list li .notice-text"); !strings.Contains(got, "Chrome, Linux에서 내 계정에 로그인했습니다.") {
		t.Fatalf("newest notice after a login elsewhere: %q", got)
	}
	bob.press(t, "#notifications-list li a[href='/settings#sessions-h']")
	if loc, err := chromedp.Run(bob.ctx, chromedp.Location()); err != nil || loc != bob.base+"/settings#sessions-h" {
		t.Fatalf("the notice's link led to %q (%v)", loc, err)
	}
	if n := bob.count(t, "#sessions-list .session"); n != 2 {
		t.Fatalf("bob has %d sessions listed, want 2", n)
	}
	// Each is named by its device; the raw User-Agent opens beneath the
	// name by a tap or the keyboard (no hover on a phone), not shown
	// before.
	if got := bob.textOf(t, "#sessions-list .session .device"); got != "Chrome, Linux" {
		t.Fatalf("a session's device shown as %q", got)
	}
	userAgentShown := `(() => { const ua = document.querySelector("#sessions-list .session .user-agent");
		return !!ua && ua.checkVisibility() && ua.textContent.trim() === navigator.userAgent; })()`
	if shown, err := chromedp.Run(bob.ctx, chromedp.Evaluate[bool](userAgentShown)); err != nil || shown {
		t.Fatalf("the User-Agent shown before it was asked for (%v)", err)
	}
	bob.do(t, chromedp.Focus(chromedp.CSS("#sessions-list .session summary")), chromedp.KeyEvent(kb.Enter))
	bob.waitFor(t, userAgentShown)
	bob.checkPage(t)
	shot(bob, "wallet-settings.png")
	bob.fill(t, "current", "wrong horse", "new", "battery staple", "repeat", "battery staple")
	bob.press(t, "#password-form button")
	bob.expectText(t, "form-error", "현재 비밀번호가 올바르지 않습니다.")
	bob.focused(t, "form-error")
	bob.fill(t, "current", "correct horse", "new", "battery staple", "repeat", "battery staple")
	bob.press(t, "#password-form button")
	bob.expectText(t, "notice", "비밀번호를 바꿨습니다. 다른 기기는 모두 로그아웃되었습니다.")
	if n := bob.count(t, "#sessions-list .session"); n != 1 {
		t.Fatalf("after the change bob has %d sessions listed, want 1", n)
	}
	other.expectPath(t, "/", "/login")

	other.logIn(t, "bob", "battery staple")
	bob.open(t, "/settings")
	bob.press(t, "#sessions-list .session:not(:has(.tag)) button")
	bob.expectText(t, "notice", "그 기기를 로그아웃시켰습니다.")
	other.expectPath(t, "/", "/login")
	bob.expectPath(t, "/settings", "/settings")

	// In English, the same screen in English words.
	bob.open(t, "/settings?lang=en")
	bob.fill(t, "current", "battery staple", "new", "short", "repeat", "shorter")
	bob.press(t, "#password-form button")
	bob.expectText(t, "form-error", "The two new passwords differ.")
}

func (tb *tab) logIn(t *testing.T, username, password string) {
	t.Helper()
	tb.open(t, "/login")
	tb.fill(t, "username", username, "password", password)
	tb.press(t, "main form button")
	tb.expectPath(t, "/", "/")
}

func seoul(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

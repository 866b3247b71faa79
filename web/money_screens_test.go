package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"minipay/store"
	"minipay/store/dbtest"
)

// HTTP-level tests of the settlement and savings screens and the
// wallet's event stream.

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// formValues are the hidden fields of the form with id in page.
func formValues(t *testing.T, page, id string) url.Values {
	t.Helper()
	start := strings.Index(page, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no form #%s in:\n%s", id, page)
	}
	form := page[start : start+strings.Index(page[start:], "</form>")]
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(form, -1) {
		v.Add(m[1], m[2])
	}
	return v
}

func charge(t *testing.T, c *http.Client, base, amount string) {
	t.Helper()
	_, page := get(t, c, base+"/charge")
	if resp, body := post(t, c, base+"/charge", url.Values{"key": {keyField.FindStringSubmatch(page)[1]}, "amount": {amount}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("charge: %s\n%s", resp.Status, body)
	}
}

// A settlement's confirmation posted three times requests it once; the
// share's pay form posted twice pays once, topping up what is missing.
func TestSettlementScreensOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		_, base := serve(t, db)
		alice, bob := client(t), client(t)
		signUp(t, alice, base, "alice")
		signUp(t, bob, base, "bob")
		_, page := get(t, alice, base+"/settlements/new")
		key := keyField.FindStringSubmatch(page)[1]
		resp, preview := post(t, alice, base+"/settlements/new", url.Values{"key": {key}, "total": {"30,001"}, "mode": {"equal"},
			"me": {"1"}, "others": {"bob, nobody"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(preview, "참여자 중 찾을 수 없는 아이디가 있습니다") {
			t.Fatalf("a participant who does not exist: %s\n%s", resp.Status, preview)
		}
		_, preview = post(t, alice, base+"/settlements/new", url.Values{"key": {key}, "total": {"30,001"}, "mode": {"equal"},
			"me": {"1"}, "others": {"bob"}})
		if !strings.Contains(preview, "<td>alice (김*수)</td><td>15,001원</td>") || !strings.Contains(preview, "<td>bob (김*수)</td><td>15,000원</td>") {
			t.Fatalf("preview:\n%s", preview)
		}
		form := formValues(t, preview, "request-form")
		var where []string
		for range 3 {
			resp, body := post(t, alice, base+"/settlements", form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("request: %s\n%s", resp.Status, body)
			}
			where = append(where, resp.Header.Get("Location"))
		}
		if where[0] != where[1] || where[1] != where[2] || !strings.HasPrefix(where[0], "/settlements/") {
			t.Fatalf("three posts of one confirmation went to %v", where)
		}
		bad := url.Values{"key": form["key"], "total": form["total"], "mode": form["mode"], "share_user": form["share_user"], "share_amount": {"20001", "10000"}}
		if resp, body := post(t, alice, base+"/settlements", bad); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("unequal shares in equal mode: %s\n%s", resp.Status, body)
		} else if strings.Contains(body, "data-events") {
			// Its URL answers only POST: read again for a live update it would be a 404.
			t.Fatalf("a form's answer is live:\n%s", body)
		}
		u, _, _ := db.UserByUsername(context.Background(), "alice")
		if list, err := db.Settlements(context.Background(), u.ID, "requester", 0, 10); err != nil || len(list) != 1 {
			t.Fatalf("alice requested %d settlements (%v)", len(list), err)
		}

		// Bob is led from the request's notice to the settlement.
		if _, inbox := get(t, bob, base+"/notifications"); !strings.Contains(inbox, `href="`+where[0]+`"`) {
			t.Fatalf("bob's notice of the request does not link to %s:\n%s", where[0], inbox)
		}
		_, detail := get(t, bob, base+where[0])
		if !strings.Contains(detail, "20,000원이 은행에서 먼저 충전됩니다") {
			t.Fatalf("bob's view:\n%s", detail)
		}
		pay := formValues(t, detail, "pay-form")
		action := regexp.MustCompile(`action="(/settlements/\d+/shares/\d+/pay)"`).FindStringSubmatch(detail)[1]
		for range 2 {
			if resp, body := post(t, bob, base+action, pay); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("pay: %s\n%s", resp.Status, body)
			}
		}
		_, detail = get(t, alice, base+where[0])
		if !strings.Contains(detail, "2명 중 2명 완료") || !strings.Contains(detail, ">완료<") {
			t.Fatalf("alice's view after bob paid:\n%s", detail)
		}
		_, home := get(t, bob, base+"/")
		if !strings.Contains(home, `id="main-balance" data-live>5,000원<`) {
			t.Fatalf("bob's home after paying 15,000 with a 20,000 top-up:\n%s", home)
		}
	})
}

// Savings: opened, deposited into twice by one form (once), withdrawn
// from, closed; mistakes named in English.
func TestSavingsScreens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		_, base := serve(t, db)
		c := client(t)
		signUp(t, c, base, "alice")
		charge(t, c, base, "50000")
		_, page := get(t, c, base+"/savings")
		open := url.Values{"key": {regexp.MustCompile(`id="open-form"[^>]*>\s*<input type="hidden" name="key" value="([^"]+)"`).FindStringSubmatch(page)[1]},
			"product": {"free"}}
		var opened []string
		for range 2 { // a double click: one account
			resp, body := post(t, c, base+"/savings", open)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("open: %s\n%s", resp.Status, body)
			}
			opened = append(opened, resp.Header.Get("Location"))
		}
		if opened[0] != opened[1] {
			t.Fatalf("one open form posted twice went to %q", opened)
		}
		if resp, body := post(t, c, base+"/savings", url.Values{"product": {"free"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("open without a key: %s\n%s", resp.Status, body)
		}
		_, page = get(t, c, base+"/savings")
		if n := strings.Count(page, `action="/savings/`); n != 3 { // deposit, withdraw, close of one account
			t.Fatalf("%d savings forms after one open posted twice, want 3:\n%s", n, page)
		}
		action := regexp.MustCompile(`action="(/savings/\d+)/deposit"`).FindStringSubmatch(page)[1]
		dep := url.Values{"key": {regexp.MustCompile(`action="/savings/\d+/deposit"[^>]*>\s*<input type="hidden" name="key" value="([^"]+)"`).FindStringSubmatch(page)[1]}, "amount": {"20,000"}}
		for range 2 {
			if resp, body := post(t, c, base+action+"/deposit", dep); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("deposit: %s\n%s", resp.Status, body)
			}
		}
		_, page = get(t, c, base+"/savings")
		if !strings.Contains(page, "20,000원을 입금했습니다.") || !strings.Contains(page, `id="savings-main" data-live>30,000원<`) ||
			!strings.Contains(page, "<dt>원금</dt><dd>20,000원</dd>") || !strings.Contains(page, "연 3.00%") {
			t.Fatalf("after one deposit posted twice:\n%s", page)
		}
		// Too much, either way: the sentence names the balance that is short.
		resp, body := post(t, c, base+action+"/withdraw?lang=en", url.Values{"key": {"AAAAAAAAAAAAAAAAAAAAAA"}, "amount": {"90000"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "You can withdraw at most this account&#39;s balance (₩20,000).") {
			t.Fatalf("withdrawing too much: %s\n%s", resp.Status, body)
		}
		resp, body = post(t, c, base+action+"/deposit?lang=ko", url.Values{"key": {"CCCCCCCCCCCCCCCCCCCCCC"}, "amount": {"30,001"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "메인 계좌 잔액(30,000원)보다 많이 입금할 수 없습니다. 먼저 충전해 주세요.") {
			t.Fatalf("depositing more than main holds: %s\n%s", resp.Status, body)
		}
		resp, body = post(t, c, base+action+"/close?lang=ko", url.Values{"key": {"BBBBBBBBBBBBBBBBBBBBBB"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("close: %s\n%s", resp.Status, body)
		}
		_, page = get(t, c, base+"/savings")
		if !strings.Contains(page, "적금을 해지했습니다. 20,000원이 메인 계좌로 돌아왔습니다.") || !strings.Contains(page, "적금 계좌가 없습니다.") {
			t.Fatalf("after closing:\n%s", page)
		}
		resp, body = post(t, c, base+"/savings?lang=en", url.Values{"product": {"fixed"}, "daily": {"0"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter an amount of at least") {
			t.Fatalf("fixed savings without a daily amount: %s\n%s", resp.Status, body)
		}
	})
}

// The wallet's event stream takes the session cookie: with it, the
// user's events; without it, 401.
func TestWalletEventStream(t *testing.T) {
	t.Parallel()
	db := dbtest.OpenURL(t, dbtest.URL(t, "sqlite"))
	_, base := serve(t, db)
	if resp, _ := get(t, client(t), base+"/events"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a stream without a session: %s", resp.Status)
	}
	c := client(t)
	signUp(t, c, base, "alice")
	resp, err := c.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %s %v", resp.Status, resp.Header)
	}
	charge(t, c, base, "10000")
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if lines.Text() == "event: charge.succeeded" {
			return
		}
	}
	t.Fatalf("the stream ended without the charge: %v", lines.Err())
}

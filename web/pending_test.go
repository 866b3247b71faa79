package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"minipay/store"
	"minipay/store/dbtest"
)

var acceptForm = regexp.MustCompile(`action="(/pending/\d+/accept)"[^<]*\s*<input type="hidden" name="key" value="([^"]+)"`)

// An accept form posted again (a reload, a double click) accepts once;
// a new form for the settled transfer is told so in a sentence.
func TestAcceptFormOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		_, base := serve(t, db)
		alice, bob := client(t), client(t)
		signUp(t, alice, base, "alice")
		signUp(t, bob, base, "bob")
		_, page := get(t, alice, base+"/send")
		key := keyField.FindStringSubmatch(page)[1]
		resp, body := post(t, alice, base+"/send/confirm", url.Values{"key": {key}, "to": {"bob"}, "amount": {"7000"}, "acceptance": {"0", "1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %s\n%s", resp.Status, body)
		}

		// Bob's notice of it leads to where he accepts it.
		if _, inbox := get(t, bob, base+"/notifications"); !strings.Contains(inbox, `<a href="/pending" id="notice-link-`) {
			t.Fatalf("bob's notice of a transfer to accept does not link to it:\n%s", inbox)
		}
		_, page = get(t, bob, base+"/pending")
		m := acceptForm.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no accept form:\n%s", page)
		}
		for range 3 {
			if resp, body := post(t, bob, base+m[1], url.Values{"key": {m[2]}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("accept: %s\n%s", resp.Status, body)
			}
		}
		if _, home := get(t, bob, base+"/"); !strings.Contains(home, `id="main-balance" data-live>7,000원<`) {
			t.Fatalf("bob's home after three posts of one accept form:\n%s", home)
		}
		_, page = get(t, alice, base+"/pending")
		fresh := keyField.FindStringSubmatch(page)
		if fresh != nil {
			t.Fatalf("alice still has a pending transfer:\n%s", page)
		}
		reject := strings.Replace(m[1], "accept", "reject", 1)
		resp, body = post(t, bob, base+reject+"?lang=en", url.Values{"key": {"AAAAAAAAAAAAAAAAAAAAAA"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "This transfer has already been settled.") {
			t.Fatalf("rejecting an accepted transfer: %s\n%s", resp.Status, body)
		}
	})
}

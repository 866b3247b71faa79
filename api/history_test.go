package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"minipay/store"
	"minipay/store/dbtest"
)

// GET /v1/accounts/{id}/history: pages, filters, and who may read it.
func TestHistoryOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b := e.signUp(t, "hista"), e.signUp(t, "histb")
		for range 5 {
			e.charge(t, a, 10_000)
		}
		e.clock.Advance(time.Hour)
		e.ok(t, req{method: "POST", path: "/v1/transfers", token: a.Token, body: map[string]any{"to": "histb", "amount": 7_000, "display_name": "Anon"}}, http.StatusCreated, nil)

		type page struct {
			Entries []struct {
				ID           int64  `json:"id"`
				Kind         string `json:"kind"`
				Amount       int64  `json:"amount"`
				BalanceAfter int64  `json:"balance_after"`
				Counterparty struct {
					Name     string `json:"name"`
					Username string `json:"username"`
				} `json:"counterparty"`
			} `json:"entries"`
			NextCursor *string `json:"next_cursor"`
		}
		history := func(u *user, account int64, query string) page {
			var p page
			e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history?%s", account, query), token: u.Token}, http.StatusOK, &p)
			return p
		}
		// Pages of 2 over a's 6 entries, newest first, each exactly once.
		seen := map[int64]bool{}
		var kinds []string
		for q := "limit=2"; ; {
			p := history(a, a.Main, q)
			for _, en := range p.Entries {
				if seen[en.ID] {
					t.Fatalf("entry %d twice", en.ID)
				}
				seen[en.ID] = true
				kinds = append(kinds, en.Kind)
			}
			if p.NextCursor == nil {
				break
			}
			q = "limit=2&cursor=" + url.QueryEscape(*p.NextCursor)
		}
		if len(seen) != 6 || kinds[0] != "transfer" || kinds[5] != "charge" {
			t.Fatalf("a's history: %d entries, kinds %v", len(seen), kinds)
		}
		// A cursor of an id alone, as handed out before pages were ordered
		// by time, reads on from that entry.
		first := history(a, a.Main, "limit=2")
		legacy := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "id:%d", first.Entries[1].ID))
		if p := history(a, a.Main, "limit=10&cursor="+legacy); len(p.Entries) != 4 || p.Entries[0].ID >= first.Entries[1].ID {
			t.Fatalf("after an id cursor: %+v", p.Entries)
		}
		// The receiver sees the chosen name only; the sender the real one.
		pb := history(b, b.Main, "")
		if len(pb.Entries) != 1 || pb.Entries[0].Counterparty.Name != "Anon" || pb.Entries[0].Counterparty.Username != "" || pb.Entries[0].Amount != 7_000 {
			t.Fatalf("b's history: %+v", pb.Entries)
		}
		if pa := history(a, a.Main, "limit=1"); pa.Entries[0].Counterparty.Username != "histb" || pa.Entries[0].Amount != -7_000 {
			t.Fatalf("a's transfer entry: %+v", pa.Entries[0])
		}
		// Filters.
		if p := history(a, a.Main, "kind=charge"); len(p.Entries) != 5 {
			t.Fatalf("kind=charge: %d entries", len(p.Entries))
		}
		cut := url.QueryEscape(e.clock.Now().Add(-time.Minute).Format(time.RFC3339))
		if p := history(a, a.Main, "to="+cut); len(p.Entries) != 5 {
			t.Fatalf("to=an hour ago: %d entries", len(p.Entries))
		}
		if p := history(a, a.Main, "from="+cut); len(p.Entries) != 1 {
			t.Fatalf("from=a minute ago: %d entries", len(p.Entries))
		}
		// Someone else's account, unknown accounts, bad parameters.
		e.rejects(t, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history", b.Main), token: a.Token}, http.StatusForbidden, "forbidden", a, b)
		e.rejects(t, req{method: "GET", path: "/v1/accounts/999999/history", token: a.Token}, http.StatusNotFound, "not_found", a, b)
		for _, q := range []string{"from=yesterday", "limit=0", "limit=101", "cursor=garbage"} {
			e.rejects(t, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history?%s", a.Main, q), token: a.Token}, http.StatusBadRequest, "invalid", a, b)
		}
		e.rejects(t, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history", a.Main)}, http.StatusUnauthorized, "unauthorized", a, b)
		dbtest.Audit(t, db)
	})
}

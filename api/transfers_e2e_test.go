package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"minipay/client"
	"minipay/names"
	"minipay/store"
	"minipay/store/dbtest"
)

type transferPage struct {
	Transfers  []client.Transfer `json:"transfers"`
	NextCursor *string           `json:"next_cursor"`
}

// transfer POSTs body to /v1/transfers as u (with an Idempotency-Key if
// key is not empty) and requires 201.
func (e *env) transfer(t *testing.T, u *user, key string, body any) client.TransferResult {
	t.Helper()
	r := req{method: "POST", path: "/v1/transfers", token: u.Token, body: body}
	if key != "" {
		r.header = map[string]string{"Idempotency-Key": key}
	}
	var out client.TransferResult
	e.ok(t, r, http.StatusCreated, &out)
	if out.ID <= 0 || out.TransactionID <= 0 {
		t.Fatalf("POST /v1/transfers %v answered %+v", body, out)
	}
	return out
}

// getTransfer is GET /v1/transfers/{id} as u.
func (e *env) getTransfer(t *testing.T, u *user, id int64) client.Transfer {
	t.Helper()
	var v client.Transfer
	e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/transfers/%d", id), token: u.Token}, http.StatusOK, &v)
	if v.ID != id {
		t.Fatalf("GET /v1/transfers/%d answered transfer %d", id, v.ID)
	}
	return v
}

// resolve POSTs /v1/transfers/{id}/{action} (accept, reject, cancel) as u
// and requires 200.
func (e *env) resolve(t *testing.T, u *user, id int64, action string) client.Transfer {
	t.Helper()
	var v client.Transfer
	e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/transfers/%d/%s", id, action), token: u.Token}, http.StatusOK, &v)
	if v.ID != id {
		t.Fatalf("%s of transfer %d answered transfer %d", action, id, v.ID)
	}
	return v
}

func resolveReq(u *user, id int64, action string) req {
	return req{method: "POST", path: fmt.Sprintf("/v1/transfers/%d/%s", id, action), token: u.Token}
}

// mainBalance is u's main balance as GET /v1/accounts shows it.
func (e *env) mainBalance(t *testing.T, u *user) int64 {
	t.Helper()
	for _, a := range e.accounts(t, u) {
		if a.ID == u.Main {
			if a.Kind != "main" {
				t.Fatalf("account %d is %s, want main", a.ID, a.Kind)
			}
			return a.Balance
		}
	}
	t.Fatalf("GET /v1/accounts of %s lacks main account %d", u.Username, u.Main)
	return 0
}

// balances requires each user's main balance.
func (e *env) balances(t *testing.T, want map[*user]int64) {
	t.Helper()
	for u, w := range want {
		if got := e.mainBalance(t, u); got != w {
			t.Errorf("%s's main balance is %d, want %d", u.Username, got, w)
		}
	}
}

// inbox is u's whole inbox (query like "unread=true" or "").
func (e *env) inbox(t *testing.T, u *user, query string) []client.Notification {
	t.Helper()
	path := "/v1/notifications?limit=100"
	if query != "" {
		path += "&" + query
	}
	var out struct {
		Notifications []client.Notification `json:"notifications"`
		NextCursor    *string               `json:"next_cursor"`
	}
	e.ok(t, req{method: "GET", path: path, token: u.Token}, http.StatusOK, &out)
	if out.NextCursor != nil {
		t.Fatalf("%s has more than 100 notifications", u.Username)
	}
	return out.Notifications
}

// notices returns the notifications of kind about transfer id in ns.
func notices(ns []client.Notification, kind string, id int64) []client.Notification {
	var out []client.Notification
	for _, n := range ns {
		if n.Kind == kind && n.TransferID == id {
			out = append(out, n)
		}
	}
	return out
}

// advance calls the test-clock endpoint and requires it to answer the new
// time.
func (e *env) advance(t *testing.T, d time.Duration) time.Time {
	t.Helper()
	want := e.clock.Now().Add(d)
	var out struct {
		Now time.Time `json:"now"`
	}
	e.ok(t, req{method: "POST", path: "/v1/test-clock/advance", body: map[string]int64{"seconds": int64(d / time.Second)}}, http.StatusOK, &out)
	if !out.Now.Equal(want) {
		t.Fatalf("test clock advanced to %v, want %v", out.Now, want)
	}
	return out.Now
}

// relogin gives users fresh tokens (tokens live 24 hours of clock time).
func (e *env) relogin(t *testing.T, users ...*user) {
	t.Helper()
	for _, u := range users {
		u.Token = e.logIn(t, u)
	}
}

// rawTransfer is GET /v1/transfers/{id} decoded loosely, to see which
// fields are present.
func (e *env) rawTransfer(t *testing.T, u *user, id int64) map[string]any {
	t.Helper()
	var m map[string]any
	e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/transfers/%d", id), token: u.Token}, http.StatusOK, &m)
	return m
}

// TestTransfersOverHTTP sends money between users over HTTP: recipients by
// username and by account id, every invalid recipient, auto-charge, the
// display name the receiver sees, memo limits, listing with keyset
// pagination and filters, access control and an idempotent replay of an
// auto-charged transfer.
func TestTransfersOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		alice := e.signUp(t, "alice")
		bob := e.signUp(t, "bob")
		carol := e.signUp(t, "carol")
		// A username of digits that, read as a number, is bob's main
		// account id: it must reach this user, never bob.
		digits := e.signUp(t, fmt.Sprintf("%03d", bob.Main))
		everyone := []*user{alice, bob, carol, digits}
		var bobSavings accountJSON
		e.ok(t, req{method: "POST", path: "/v1/accounts", token: bob.Token, body: map[string]any{"product": "free"}}, http.StatusCreated, &bobSavings)
		var aliceSavings accountJSON
		e.ok(t, req{method: "POST", path: "/v1/accounts", token: alice.Token, body: map[string]any{"product": "free"}}, http.StatusCreated, &aliceSavings)

		var aliceOut, aliceIn []int64 // transfer ids, oldest first
		var t1, t3, t7 client.TransferResult

		step(t, "by username from an empty main", func(t *testing.T) {
			// The whole amount is charged.
			t1 = e.transfer(t, alice, "", map[string]any{"to": "bob", "amount": 10_000})
			if t1.Status != "completed" || t1.Amount != 10_000 || t1.Charged != 10_000 || t1.MainBalance != 0 || t1.ExpiresAt != nil {
				t.Fatalf("transfer 10,000 to \"bob\" from an empty main answered %+v; want completed, charged 10,000, main 0, no expires_at", t1)
			}
			aliceOut = append(aliceOut, t1.ID)
			e.balances(t, map[*user]int64{alice: 0, bob: 10_000})
		})

		step(t, "by account id with display name and memo", func(t *testing.T) {
			// A JSON number; main holds 7,000, so the 18,000 shortfall
			// charges 20,000.
			e.charge(t, alice, 7_000)
			t3 = e.transfer(t, alice, "", map[string]any{"to": bob.Main, "amount": 25_000, "display_name": "  Secret Santa ", "memo": "for the party"})
			if t3.Status != "completed" || t3.Amount != 25_000 || t3.Charged != 20_000 || t3.MainBalance != 2_000 {
				t.Fatalf("transfer 25,000 with 7,000 in main answered %+v; want charged 20,000 (18,000 rounded up), main 2,000", t3)
			}
			aliceOut = append(aliceOut, t3.ID)
			e.balances(t, map[*user]int64{alice: 2_000, bob: 35_000})
			if l := e.limit(t, alice); l.Used != 37_000 || l.Remaining != 3_000_000-37_000 {
				t.Fatalf("alice's charge limit after 10,000 + 7,000 + 20,000 charged: %+v", l)
			}
		})

		step(t, "a digits-only username is a username", func(t *testing.T) {
			t4 := e.transfer(t, alice, "", map[string]any{"to": digits.Username, "amount": 1_000})
			if t4.Status != "completed" || t4.Charged != 0 || t4.MainBalance != 1_000 {
				t.Fatalf("transfer to %q answered %+v", digits.Username, t4)
			}
			aliceOut = append(aliceOut, t4.ID)
			e.balances(t, map[*user]int64{alice: 1_000, bob: 35_000, digits: 1_000})
			if v := e.getTransfer(t, alice, t4.ID); v.To.AccountID != digits.Main || v.To.Username != digits.Username {
				t.Fatalf("transfer to %q went to %+v, want account %d", digits.Username, v.To, digits.Main)
			}
		})

		step(t, "money coming in", func(t *testing.T) {
			t5 := e.transfer(t, bob, "", map[string]any{"to": "alice", "amount": 5_000})
			t6 := e.transfer(t, carol, "", map[string]any{"to": alice.Main, "amount": 3_000})
			if t5.Charged != 0 || t5.MainBalance != 30_000 || t6.Charged != 10_000 || t6.MainBalance != 7_000 {
				t.Fatalf("bob→alice %+v, carol→alice %+v", t5, t6)
			}
			aliceIn = append(aliceIn, t5.ID, t6.ID)
		})

		step(t, "the longest memo and display name", func(t *testing.T) {
			// 200 and 50 characters, multi-byte.
			t7 = e.transfer(t, alice, "", map[string]any{"to": "bob", "amount": 1_000, "memo": strings.Repeat("가", 200), "display_name": strings.Repeat("나", 50)})
			aliceOut = append(aliceOut, t7.ID)
			e.balances(t, map[*user]int64{alice: 8_000, bob: 31_000, carol: 7_000, digits: 1_000})
		})

		t.Run("invalid recipients and bodies", func(t *testing.T) {
			for name, c := range map[string]struct {
				body   string
				status int
				code   string
			}{
				"to missing":            {`{"amount":1000}`, 400, "invalid"},
				"to null":               {`{"to":null,"amount":1000}`, 400, "invalid"},
				"to true":               {`{"to":true,"amount":1000}`, 400, "invalid"},
				"to false":              {`{"to":false,"amount":1000}`, 400, "invalid"},
				"to negative":           {`{"to":-5,"amount":1000}`, 400, "invalid"},
				"to zero":               {`{"to":0,"amount":1000}`, 400, "invalid"},
				"to fraction":           {`{"to":1.5,"amount":1000}`, 400, "invalid"},
				"to object":             {`{"to":{"username":"bob"},"amount":1000}`, 400, "invalid"},
				"to array":              {`{"to":["bob"],"amount":1000}`, 400, "invalid"},
				"unknown username":      {`{"to":"nobody-here","amount":1000}`, 404, "not_found"},
				"unknown account id":    {`{"to":987654321,"amount":1000}`, 404, "not_found"},
				"savings account id":    {fmt.Sprintf(`{"to":%d,"amount":1000}`, bobSavings.ID), 400, "invalid"},
				"own savings account":   {fmt.Sprintf(`{"to":%d,"amount":1000}`, aliceSavings.ID), 400, "invalid"},
				"self by username":      {`{"to":"alice","amount":1000}`, 400, "invalid"},
				"self by account id":    {fmt.Sprintf(`{"to":%d,"amount":1000}`, alice.Main), 400, "invalid"},
				"memo 201 characters":   {fmt.Sprintf(`{"to":"bob","amount":1000,"memo":%q}`, strings.Repeat("가", 201)), 400, "invalid"},
				"display_name too long": {fmt.Sprintf(`{"to":"bob","amount":1000,"display_name":%q}`, strings.Repeat("x", 51)), 400, "invalid"},
				"amount missing":        {`{"to":"bob"}`, 400, "invalid"},
				"amount zero":           {`{"to":"bob","amount":0}`, 400, "invalid"},
				"amount negative":       {`{"to":"bob","amount":-1000}`, 400, "invalid"},
			} {
				t.Run(name, func(t *testing.T) {
					e.rejects(t, req{method: "POST", path: "/v1/transfers", token: alice.Token, body: c.body}, c.status, c.code, everyone...)
				})
			}
		})

		t.Run("display name", func(t *testing.T) {
			// The receiver sees the chosen name only: no username, no
			// account id, nothing about the auto-charge.
			raw := e.rawTransfer(t, bob, t3.ID)
			from, _ := raw["from"].(map[string]any)
			if from["name"] != "Secret Santa" || from["username"] != nil || from["account_id"] != nil {
				t.Errorf("the receiver's view of the transfer shows from = %v; want only name \"Secret Santa\"", raw["from"])
			}
			if _, ok := raw["charged"]; ok {
				t.Errorf("the receiver's view shows charged: %v", raw)
			}
			v := e.getTransfer(t, bob, t3.ID)
			if v.Direction != "in" || v.Status != "completed" || v.Amount != 25_000 || v.DisplayName != "Secret Santa" ||
				v.Memo != "for the party" || v.To.AccountID != bob.Main || v.ExpiresAt != nil {
				t.Errorf("the receiver's view: %+v", v)
			}
			// The sender sees the real name and the auto-charge.
			v = e.getTransfer(t, alice, t3.ID)
			if v.Direction != "out" || v.From.Name != alice.Name || v.From.Username != "alice" || v.From.AccountID != alice.Main ||
				v.Charged == nil || *v.Charged != 20_000 || v.DisplayName != "Secret Santa" || v.To.Username != "bob" {
				t.Errorf("the sender's view: %+v", v)
			}
			// Without a display name the receiver sees the masked real
			// name, never the whole of it.
			if v := e.getTransfer(t, bob, t1.ID); v.From.Name != names.Mask(alice.Name) || v.From.MaskedName != names.Mask(alice.Name) ||
				v.DisplayName != names.Mask(alice.Name) || v.From.Username != "" || v.From.AccountID != 0 {
				t.Errorf("the receiver's view of a transfer without display name: from %+v", v.From)
			}
			// The receiver's list shows the chosen name too.
			var page transferPage
			e.ok(t, req{method: "GET", path: "/v1/transfers?direction=in", token: bob.Token}, http.StatusOK, &page)
			for _, v := range page.Transfers {
				if v.ID == t3.ID && (v.From.Name != "Secret Santa" || v.From.Username != "" || v.From.AccountID != 0 || v.Charged != nil) {
					t.Errorf("bob's list shows transfer %d as %+v", t3.ID, v)
				}
			}
			// And the notification names the chosen name.
			if ns := notices(e.inbox(t, bob, ""), "transfer_received", t3.ID); len(ns) != 1 || ns[0].Counterparty != "Secret Santa" || ns[0].Amount != 25_000 {
				t.Errorf("bob's transfer_received notices for transfer %d: %+v", t3.ID, ns)
			}
			if v := e.getTransfer(t, bob, t7.ID); v.Memo != strings.Repeat("가", 200) || v.From.Name != strings.Repeat("나", 50) {
				t.Errorf("the 200-character memo came back as %q from %q", v.Memo, v.From.Name)
			}
		})

		t.Run("access", func(t *testing.T) {
			checkProblem(t, "carol reads alice→bob", e.do(t, req{method: "GET", path: fmt.Sprintf("/v1/transfers/%d", t3.ID), token: carol.Token}), 403, "forbidden")
			checkProblem(t, "unknown transfer", e.do(t, req{method: "GET", path: "/v1/transfers/987654321", token: alice.Token}), 404, "not_found")
			checkProblem(t, "non-numeric transfer id", e.do(t, req{method: "GET", path: "/v1/transfers/abc", token: alice.Token}), 404, "not_found")
		})

		t.Run("idempotent replay of an auto-charged transfer", func(t *testing.T) {
			r := req{method: "POST", path: "/v1/transfers", token: alice.Token, body: `{"to":"bob","amount":15000}`,
				header: map[string]string{"Idempotency-Key": "auto-charged-1"}}
			first := e.ok(t, r, http.StatusCreated, nil)
			var t8 client.TransferResult
			if err := json.Unmarshal(first.body, &t8); err != nil {
				t.Fatal(err)
			}
			if t8.Charged != 10_000 || t8.MainBalance != 3_000 || t8.Status != "completed" {
				t.Fatalf("15,000 with 8,000 in main answered %+v; want charged 10,000, main 3,000", t8)
			}
			aliceOut = append(aliceOut, t8.ID)
			before := e.books(t, everyone...)
			for range 2 {
				again := e.ok(t, r, http.StatusCreated, nil)
				if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
					t.Errorf("replay: %v; first %v", again, first)
				}
			}
			e.unchanged(t, "replays of an auto-charged transfer", before, everyone...)
			e.balances(t, map[*user]int64{alice: 3_000, bob: 46_000})
			if l := e.limit(t, alice); l.Used != 47_000 {
				t.Errorf("alice's limit used %d after the replays, want 47,000", l.Used)
			}
			r.body = `{"to":"bob","amount":15001}`
			e.rejects(t, r, 422, "idempotency_mismatch", everyone...)
		})

		t.Run("list", func(t *testing.T) {
			all := append(slices.Clone(aliceOut), aliceIn...)
			slices.Sort(all)
			slices.Reverse(all)
			var got []int64
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > len(all) {
					t.Fatalf("pagination does not end; got %v so far", got)
				}
				path := "/v1/transfers?limit=2"
				if cursor != "" {
					path += "&cursor=" + cursor
				}
				var page transferPage
				e.ok(t, req{method: "GET", path: path, token: alice.Token}, http.StatusOK, &page)
				if len(page.Transfers) > 2 {
					t.Fatalf("limit=2 gave %d transfers", len(page.Transfers))
				}
				for _, v := range page.Transfers {
					got = append(got, v.ID)
				}
				if page.NextCursor == nil {
					break
				}
				if *page.NextCursor == "" {
					t.Fatal("next_cursor is an empty string")
				}
				cursor = *page.NextCursor
			}
			if !slices.Equal(got, all) {
				t.Fatalf("pages of 2 gave %v, want every transfer once, newest first: %v", got, all)
			}

			for dir, want := range map[string][]int64{"out": aliceOut, "in": aliceIn} {
				want = slices.Clone(want)
				slices.Reverse(want)
				var page transferPage
				e.ok(t, req{method: "GET", path: "/v1/transfers?direction=" + dir, token: alice.Token}, http.StatusOK, &page)
				var ids []int64
				for _, v := range page.Transfers {
					ids = append(ids, v.ID)
					if v.Direction != dir {
						t.Errorf("direction=%s listed %+v", dir, v)
					}
				}
				if !slices.Equal(ids, want) || page.NextCursor != nil {
					t.Errorf("direction=%s: %v (next %v), want %v", dir, ids, page.NextCursor, want)
				}
			}
			var page transferPage
			e.ok(t, req{method: "GET", path: "/v1/transfers?status=pending", token: alice.Token}, http.StatusOK, &page)
			if len(page.Transfers) != 0 {
				t.Errorf("status=pending listed %+v", page.Transfers)
			}

			for name, q := range map[string]string{
				"garbage cursor":         "cursor=garbage!!",
				"cursor of another kind": "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("id:abc")),
				"negative cursor id":     "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("id:-3")),
				"bad direction":          "direction=sideways",
				"limit 0":                "limit=0",
				"limit 101":              "limit=101",
				"limit not a number":     "limit=two",
			} {
				checkProblem(t, name, e.do(t, req{method: "GET", path: "/v1/transfers?" + q, token: alice.Token}), 400, "invalid")
			}
		})

		e.balances(t, map[*user]int64{alice: 3_000, bob: 46_000, carol: 7_000, digits: 1_000})
		if r := dbtest.Audit(t, db); r.UserMoney != 57_000 {
			t.Errorf("audit: %+v; want 57,000 won in user accounts (all of it charged)", r)
		}
	})
}

// TestPendingTransferExpiresWithTestClock is the pending transfer's whole
// life on the test clock, over HTTP: created and held, one reminder when 24
// hours remain (and only one, however the clock moves), expiry at 72 hours
// returning the money to the sender.
func TestPendingTransferExpiresWithTestClock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		sender := e.signUp(t, "sena")
		receiver := e.signUp(t, "remi")
		e.charge(t, sender, 50_000)

		p := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 20_000, "require_acceptance": true})
		deadline := start.Add(72 * time.Hour)
		if p.Status != "pending" || p.Amount != 20_000 || p.Charged != 0 || p.MainBalance != 30_000 ||
			p.ExpiresAt == nil || !p.ExpiresAt.Equal(deadline) {
			t.Fatalf("pending transfer answered %+v; want pending, main 30,000, expires_at %v", p, deadline)
		}
		e.balances(t, map[*user]int64{sender: 30_000, receiver: 0})
		if v := e.getTransfer(t, receiver, p.ID); v.Status != "pending" || v.ExpiresAt == nil || !v.ExpiresAt.Equal(deadline) || v.SettledAt != nil {
			t.Fatalf("the receiver sees %+v", v)
		}
		ns := notices(e.inbox(t, receiver, ""), "pending_transfer_received", p.ID)
		if len(ns) != 1 || ns[0].Amount != 20_000 || ns[0].Counterparty != names.Mask(sender.Name) || ns[0].CounterpartyMasked != names.Mask(sender.Name) || ns[0].ExpiresAt == nil || !ns[0].ExpiresAt.Equal(deadline) || ns[0].ReadAt != nil {
			t.Fatalf("receiver's pending_transfer_received notices: %+v", ns)
		}
		dbtest.Audit(t, db)

		reminders := func(when string, want int) {
			t.Helper()
			ns := notices(e.inbox(t, receiver, ""), "pending_transfer_reminder", p.ID)
			if len(ns) != want {
				t.Fatalf("%s: receiver has %d reminders for transfer %d, want %d: %+v", when, len(ns), p.ID, want, ns)
			}
			for _, n := range ns {
				if n.Amount != 20_000 || n.ExpiresAt == nil || !n.ExpiresAt.Equal(deadline) {
					t.Errorf("%s: reminder %+v", when, n)
				}
			}
			if ns := notices(e.inbox(t, sender, ""), "pending_transfer_reminder", p.ID); len(ns) != 0 {
				t.Errorf("%s: the sender got reminders: %+v", when, ns)
			}
		}

		// 48 hours: 24 remain, the receiver is reminded.
		e.advance(t, 48*time.Hour)
		e.relogin(t, sender, receiver)
		reminders("at 48 hours", 1)
		if v := e.getTransfer(t, receiver, p.ID); v.Status != "pending" {
			t.Fatalf("at 48 hours the transfer is %s", v.Status)
		}

		// More sweeps before the deadline send no second reminder.
		e.advance(t, time.Second)
		reminders("at 48 hours + 1 s", 1)
		e.advance(t, 24*time.Hour-2*time.Second)
		reminders("at 72 hours - 1 s", 1)
		if v := e.getTransfer(t, sender, p.ID); v.Status != "pending" {
			t.Fatalf("one second before the deadline the transfer is %s", v.Status)
		}
		e.balances(t, map[*user]int64{sender: 30_000, receiver: 0})
		dbtest.Audit(t, db)

		// Past 72 hours: expired, the money is back with the sender.
		e.advance(t, 2*time.Second)
		e.relogin(t, sender, receiver)
		e.balances(t, map[*user]int64{sender: 50_000, receiver: 0})
		for _, u := range []*user{sender, receiver} {
			if v := e.getTransfer(t, u, p.ID); v.Status != "expired" || v.SettledAt == nil {
				t.Errorf("after the deadline %s sees %+v; want expired with settled_at", u.Username, v)
			}
		}
		ns = notices(e.inbox(t, sender, ""), "pending_transfer_returned", p.ID)
		if len(ns) != 1 || ns[0].Reason != "expired" || ns[0].Amount != 20_000 {
			t.Fatalf("sender's pending_transfer_returned notices: %+v; want one with reason expired", ns)
		}
		reminders("after expiry", 1)

		// It is no longer pending: every action conflicts.
		e.rejects(t, resolveReq(receiver, p.ID, "accept"), 409, "conflict", sender, receiver)
		e.rejects(t, resolveReq(receiver, p.ID, "reject"), 409, "conflict", sender, receiver)
		e.rejects(t, resolveReq(sender, p.ID, "cancel"), 409, "conflict", sender, receiver)

		// Another advance changes nothing more.
		before := e.books(t, sender, receiver)
		e.advance(t, 72*time.Hour)
		e.relogin(t, sender, receiver)
		before.Limits = nil
		after := e.books(t, sender, receiver)
		after.Limits = nil
		if before.Transactions != after.Transactions || before.UserMoney != after.UserMoney {
			t.Errorf("a later sweep moved money: before %+v after %+v", before, after)
		}
		reminders("three days later", 1)
		if ns := notices(e.inbox(t, sender, ""), "pending_transfer_returned", p.ID); len(ns) != 1 {
			t.Errorf("three days later the sender has %d return notices", len(ns))
		}
		if r := dbtest.Audit(t, db); r.UserMoney != 50_000 {
			t.Errorf("audit: %+v; want 50,000 won in user accounts", r)
		}
	})
}

// TestPendingAcceptAfterDeadlineBeforeSweep: once the deadline has passed,
// accept (and reject and cancel) fail with expired even though no sweep
// has run; the sweep then returns the money.
func TestPendingAcceptAfterDeadlineBeforeSweep(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		sender := e.signUp(t, "sena")
		receiver := e.signUp(t, "remi")
		e.charge(t, sender, 40_000)
		p := e.transfer(t, sender, "", map[string]any{"to": receiver.Main, "amount": 15_000, "require_acceptance": true})
		if p.Status != "pending" || p.MainBalance != 25_000 {
			t.Fatalf("pending transfer answered %+v", p)
		}

		// One second before the reminder is due: none yet.
		e.advance(t, 48*time.Hour-time.Second)
		e.relogin(t, sender, receiver)
		if ns := notices(e.inbox(t, receiver, ""), "pending_transfer_reminder", p.ID); len(ns) != 0 {
			t.Fatalf("reminder sent with more than 24 hours left: %+v", ns)
		}

		// The clock passes the deadline with no sweep (no endpoint call).
		e.clock.Advance(24*time.Hour + 2*time.Second) // 72 h + 1 s after creation
		e.relogin(t, sender, receiver)
		if v := e.getTransfer(t, receiver, p.ID); v.Status != "pending" {
			t.Fatalf("without a sweep the transfer is %s", v.Status)
		}
		e.rejects(t, resolveReq(receiver, p.ID, "accept"), 409, "expired", sender, receiver)
		e.rejects(t, resolveReq(receiver, p.ID, "reject"), 409, "expired", sender, receiver)
		e.rejects(t, resolveReq(sender, p.ID, "cancel"), 409, "expired", sender, receiver)
		// Forbidden still comes before expired.
		e.rejects(t, resolveReq(sender, p.ID, "accept"), 403, "forbidden", sender, receiver)
		e.balances(t, map[*user]int64{sender: 25_000, receiver: 0})

		// The sweep expires it.
		e.advance(t, time.Second)
		e.balances(t, map[*user]int64{sender: 40_000, receiver: 0})
		if v := e.getTransfer(t, sender, p.ID); v.Status != "expired" {
			t.Fatalf("after the sweep the transfer is %s", v.Status)
		}
		if ns := notices(e.inbox(t, sender, ""), "pending_transfer_returned", p.ID); len(ns) != 1 || ns[0].Reason != "expired" {
			t.Fatalf("sender's return notices: %+v", ns)
		}
		if ns := notices(e.inbox(t, receiver, ""), "pending_transfer_reminder", p.ID); len(ns) != 0 {
			t.Errorf("a transfer past its deadline got a reminder: %+v", ns)
		}
		e.rejects(t, resolveReq(receiver, p.ID, "accept"), 409, "conflict", sender, receiver)
		if r := dbtest.Audit(t, db); r.UserMoney != 40_000 {
			t.Errorf("audit: %+v", r)
		}
	})
}

// TestPendingAcceptRejectCancelOverHTTP: the receiver accepts or rejects,
// the sender cancels; only they may, only once. The sender's setting makes
// transfers pending by default. Notifications can be marked read.
func TestPendingAcceptRejectCancelOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		sender := e.signUp(t, "sena")
		receiver := e.signUp(t, "remi")
		both := []*user{sender, receiver}
		e.charge(t, sender, 100_000)
		pending := func(t *testing.T, amount int64) client.TransferResult {
			t.Helper()
			p := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": amount, "require_acceptance": true})
			if p.Status != "pending" || p.ExpiresAt == nil || !p.ExpiresAt.Equal(e.clock.Now().Add(72*time.Hour)) {
				t.Fatalf("pending transfer of %d answered %+v", amount, p)
			}
			return p
		}

		t.Run("accept", func(t *testing.T) {
			p := pending(t, 10_000)
			e.balances(t, map[*user]int64{sender: 90_000, receiver: 0})
			e.rejects(t, resolveReq(sender, p.ID, "accept"), 403, "forbidden", both...)
			e.rejects(t, resolveReq(sender, p.ID, "reject"), 403, "forbidden", both...)
			e.rejects(t, resolveReq(receiver, p.ID, "cancel"), 403, "forbidden", both...)
			v := e.resolve(t, receiver, p.ID, "accept")
			if v.Status != "accepted" || v.Direction != "in" || v.Amount != 10_000 || v.SettledAt == nil || v.Charged != nil {
				t.Fatalf("accept answered %+v", v)
			}
			e.balances(t, map[*user]int64{sender: 90_000, receiver: 10_000})
			if v := e.getTransfer(t, sender, p.ID); v.Status != "accepted" {
				t.Errorf("the sender sees %+v", v)
			}
			if ns := notices(e.inbox(t, sender, ""), "pending_transfer_accepted", p.ID); len(ns) != 1 || ns[0].Amount != 10_000 {
				t.Errorf("sender's pending_transfer_accepted notices: %+v", ns)
			}
			e.rejects(t, resolveReq(receiver, p.ID, "accept"), 409, "conflict", both...)
			e.rejects(t, resolveReq(receiver, p.ID, "reject"), 409, "conflict", both...)
			e.rejects(t, resolveReq(sender, p.ID, "cancel"), 409, "conflict", both...)
		})

		t.Run("reject", func(t *testing.T) {
			p := pending(t, 20_000)
			e.balances(t, map[*user]int64{sender: 70_000, receiver: 10_000})
			v := e.resolve(t, receiver, p.ID, "reject")
			if v.Status != "rejected" || v.SettledAt == nil {
				t.Fatalf("reject answered %+v", v)
			}
			e.balances(t, map[*user]int64{sender: 90_000, receiver: 10_000})
			if ns := notices(e.inbox(t, sender, ""), "pending_transfer_returned", p.ID); len(ns) != 1 || ns[0].Reason != "rejected" || ns[0].Amount != 20_000 {
				t.Errorf("sender's pending_transfer_returned notices: %+v", ns)
			}
			e.rejects(t, resolveReq(receiver, p.ID, "reject"), 409, "conflict", both...)
			e.rejects(t, resolveReq(receiver, p.ID, "accept"), 409, "conflict", both...)
		})

		t.Run("cancel", func(t *testing.T) {
			p := pending(t, 30_000)
			e.balances(t, map[*user]int64{sender: 60_000, receiver: 10_000})
			v := e.resolve(t, sender, p.ID, "cancel")
			if v.Status != "cancelled" || v.Direction != "out" || v.SettledAt == nil {
				t.Fatalf("cancel answered %+v", v)
			}
			e.balances(t, map[*user]int64{sender: 90_000, receiver: 10_000})
			if ns := notices(e.inbox(t, receiver, ""), "pending_transfer_cancelled", p.ID); len(ns) != 1 || ns[0].Amount != 30_000 {
				t.Errorf("receiver's pending_transfer_cancelled notices: %+v", ns)
			}
			e.rejects(t, resolveReq(sender, p.ID, "cancel"), 409, "conflict", both...)
			e.rejects(t, resolveReq(receiver, p.ID, "accept"), 409, "conflict", both...)
		})

		t.Run("not pending or not there", func(t *testing.T) {
			c := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 1_000})
			if c.Status != "completed" {
				t.Fatalf("a transfer without require_acceptance and the setting off is %s", c.Status)
			}
			e.rejects(t, resolveReq(sender, c.ID, "cancel"), 409, "conflict", both...)
			e.rejects(t, resolveReq(receiver, c.ID, "accept"), 409, "conflict", both...)
			e.rejects(t, resolveReq(receiver, 987654321, "accept"), 404, "not_found", both...)
			e.rejects(t, req{method: "POST", path: "/v1/transfers/abc/accept", token: receiver.Token}, 404, "not_found", both...)
			e.balances(t, map[*user]int64{sender: 89_000, receiver: 11_000})
		})

		t.Run("setting", func(t *testing.T) {
			e.ok(t, req{method: "PATCH", path: "/v1/me/settings", token: sender.Token, body: map[string]bool{"transfers_require_acceptance": true}}, http.StatusOK, nil)
			d := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 2_000})
			if d.Status != "pending" || d.ExpiresAt == nil {
				t.Fatalf("with the setting on, a plain transfer is %+v; want pending", d)
			}
			o := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 3_000, "require_acceptance": false})
			if o.Status != "completed" || o.ExpiresAt != nil {
				t.Fatalf("require_acceptance false with the setting on: %+v; want completed", o)
			}
			e.balances(t, map[*user]int64{sender: 84_000, receiver: 14_000})
			// The receiver's setting does not matter, only the sender's.
			e.ok(t, req{method: "PATCH", path: "/v1/me/settings", token: sender.Token, body: map[string]bool{"transfers_require_acceptance": false}}, http.StatusOK, nil)
			e.ok(t, req{method: "PATCH", path: "/v1/me/settings", token: receiver.Token, body: map[string]bool{"transfers_require_acceptance": true}}, http.StatusOK, nil)
			if c := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 1_000}); c.Status != "completed" {
				t.Fatalf("with the sender's setting off again, a plain transfer is %s", c.Status)
			}
			e.resolve(t, receiver, d.ID, "accept")
			e.balances(t, map[*user]int64{sender: 83_000, receiver: 17_000})
			var page transferPage
			e.ok(t, req{method: "GET", path: "/v1/transfers?status=pending", token: sender.Token}, http.StatusOK, &page)
			if len(page.Transfers) != 0 {
				t.Errorf("pending transfers left: %+v", page.Transfers)
			}
			e.ok(t, req{method: "GET", path: "/v1/transfers?status=accepted&direction=in", token: receiver.Token}, http.StatusOK, &page)
			if len(page.Transfers) != 2 {
				t.Errorf("receiver's accepted incoming transfers: %+v; want 2", page.Transfers)
			}
		})

		t.Run("notifications", func(t *testing.T) {
			all := e.inbox(t, receiver, "")
			unread := e.inbox(t, receiver, "unread=true")
			if len(all) == 0 || len(unread) != len(all) {
				t.Fatalf("receiver's inbox: %d, unread %d", len(all), len(unread))
			}
			for i := 1; i < len(all); i++ {
				if all[i].ID >= all[i-1].ID {
					t.Fatalf("inbox not newest first: %+v", all)
				}
			}
			n := all[len(all)-1] // the oldest: the first pending transfer received
			if n.Kind != "pending_transfer_received" {
				t.Fatalf("receiver's oldest notification is %+v", n)
			}
			path := fmt.Sprintf("/v1/notifications/%d/read", n.ID)
			// Someone else's notification.
			checkProblem(t, "sender marks the receiver's notification", e.do(t, req{method: "POST", path: path, token: sender.Token}), 403, "forbidden")
			if got := e.inbox(t, receiver, "unread=true"); len(got) != len(all) {
				t.Fatalf("a forbidden read changed the unread list: %d, want %d", len(got), len(all))
			}
			for range 2 { // marking twice is fine
				if res := e.do(t, req{method: "POST", path: path, token: receiver.Token}); res.status != http.StatusNoContent || len(res.body) != 0 {
					t.Fatalf("POST %s: %v; want 204 and no body", path, res)
				}
			}
			unread = e.inbox(t, receiver, "unread=true")
			if len(unread) != len(all)-1 || slices.ContainsFunc(unread, func(x client.Notification) bool { return x.ID == n.ID }) {
				t.Errorf("unread=true after reading %d: %+v", n.ID, unread)
			}
			for _, x := range e.inbox(t, receiver, "unread=false") {
				if (x.ID == n.ID) != (x.ReadAt != nil) {
					t.Errorf("notification %d read_at %v", x.ID, x.ReadAt)
				}
			}
			checkProblem(t, "unknown notification", e.do(t, req{method: "POST", path: "/v1/notifications/987654321/read", token: receiver.Token}), 404, "not_found")
			checkProblem(t, "unread=maybe", e.do(t, req{method: "GET", path: "/v1/notifications?unread=maybe", token: receiver.Token}), 400, "invalid")
			checkProblem(t, "garbage cursor", e.do(t, req{method: "GET", path: "/v1/notifications?cursor=garbage!!", token: receiver.Token}), 400, "invalid")
		})

		if r := dbtest.Audit(t, db); r.UserMoney != 100_000 {
			t.Errorf("audit: %+v; want 100,000 won in user accounts", r)
		}
	})
}

// TestPendingHoldLeavesAvailableBalance: 30,000 with 20,000 pending leaves
// 10,000 to send without a charge; one won more charges 10,000.
func TestPendingHoldLeavesAvailableBalance(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		sender := e.signUp(t, "sena")
		receiver := e.signUp(t, "remi")
		e.charge(t, sender, 30_000)
		p := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 20_000, "require_acceptance": true})
		if p.Status != "pending" || p.MainBalance != 10_000 || p.Charged != 0 {
			t.Fatalf("pending 20,000 of 30,000 answered %+v", p)
		}

		a := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 10_000})
		if a.Status != "completed" || a.Charged != 0 || a.MainBalance != 0 {
			t.Fatalf("10,000 with 10,000 available answered %+v; want charged 0", a)
		}
		e.charge(t, sender, 10_000) // back to 10,000 available
		b := e.transfer(t, sender, "", map[string]any{"to": "remi", "amount": 10_001})
		if b.Status != "completed" || b.Charged != 10_000 || b.MainBalance != 9_999 {
			t.Fatalf("10,001 with 10,000 available answered %+v; want charged 10,000, main 9,999", b)
		}
		if v := e.getTransfer(t, sender, b.ID); v.Charged == nil || *v.Charged != 10_000 {
			t.Errorf("the sender's view of the 10,001 transfer: %+v", v)
		}
		e.balances(t, map[*user]int64{sender: 9_999, receiver: 20_001})
		if l := e.limit(t, sender); l.Used != 50_000 {
			t.Errorf("limit used %d, want 50,000 (30,000 + 10,000 + 10,000 auto)", l.Used)
		}

		// Cancelling returns the hold, which is not a charge.
		e.resolve(t, sender, p.ID, "cancel")
		e.balances(t, map[*user]int64{sender: 29_999, receiver: 20_001})
		if l := e.limit(t, sender); l.Used != 50_000 {
			t.Errorf("limit used %d after the cancel, want 50,000", l.Used)
		}
		if r := dbtest.Audit(t, db); r.UserMoney != 50_000 {
			t.Errorf("audit: %+v; want 50,000 won in user accounts", r)
		}
	})
}

// TestFinishedTransfersRetainedOverHTTP: thirteen months of test clock
// later the monthly retention has deleted the first month's finished
// transfer (404); the list and history show what is kept, and the books
// balance. (Until another transfer is sent the old one is the newest,
// which retention keeps: store.finishedTransfer.)
func TestFinishedTransfersRetainedOverHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		old := e.transfer(t, alice, "", map[string]any{"to": "bob", "amount": 1_000})
		e.advance(t, 370*24*time.Hour)
		e.relogin(t, alice, bob)
		recent := e.transfer(t, alice, "", map[string]any{"to": "bob", "amount": 2_000})
		e.advance(t, 31*24*time.Hour) // the next month's retention
		e.relogin(t, alice, bob)

		checkProblem(t, "a transfer of thirteen months ago", e.do(t, req{method: "GET", path: fmt.Sprintf("/v1/transfers/%d", old.ID), token: alice.Token}),
			http.StatusNotFound, "not_found")
		var list struct{ Transfers []client.Transfer }
		e.ok(t, req{method: "GET", path: "/v1/transfers", token: bob.Token}, http.StatusOK, &list)
		if len(list.Transfers) != 1 || list.Transfers[0].ID != recent.ID {
			t.Fatalf("bob's transfers: %+v, want only the recent one", list.Transfers)
		}
		var hist client.HistoryPage
		e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/accounts/%d/history", bob.Main), token: bob.Token}, http.StatusOK, &hist)
		if len(hist.Entries) != 1 || hist.Entries[0].TransferID == nil || *hist.Entries[0].TransferID != recent.ID {
			t.Fatalf("bob's history: %+v, want the recent transfer", hist.Entries)
		}
		e.balances(t, map[*user]int64{alice: 7_000, bob: 3_000}) // the first transfer charged 10,000
		dbtest.Audit(t, db)
	})
}

// A transfer to a username that does not exist yet is not_found, and once
// that username signs up it is paid: usernames' main accounts are cached
// (they never change), unknown usernames are not.
func TestTransferToUsernameSignedUpAfterAMiss(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice := e.signUp(t, "alice")
		e.charge(t, alice, 10_000)
		e.rejects(t, req{method: "POST", path: "/v1/transfers", token: alice.Token, body: map[string]any{"to": "late", "amount": 1_000}},
			http.StatusNotFound, "not_found", alice)
		late := e.signUp(t, "late")
		for range 2 { // the second from the cache
			if got := e.transfer(t, alice, "", map[string]any{"to": "late", "amount": 1_000}); got.Amount != 1_000 {
				t.Fatalf("transfer answered %+v", got)
			}
		}
		if got := e.accounts(t, late)[0]; got.Kind != "main" || got.Balance != 2_000 {
			t.Fatalf("late's main account %+v, want 2,000 received", got)
		}
	})
}

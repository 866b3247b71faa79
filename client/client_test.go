package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/client"
	"minipay/store/dbtest"
)

func server(t *testing.T) string {
	t.Helper()
	db := dbtest.Open(t, "sqlite") // the client does not care which database
	_, hs := apptest.Serve(t, app.Config{DB: db})
	return hs.URL
}

// must returns v, or stops the test (with a panic, which fails it) on an
// error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestAgainstServer walks every call against a real server.
func TestAgainstServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := client.New(server(t) + "/")
	login := func(name string) (*client.Client, client.User) {
		u := must(c.SignUp(ctx, name, "password-"+name, "Name "+name))
		s := must(c.Login(ctx, name, "password-"+name))
		if s.Token == "" || s.ExpiresAt.Before(time.Now()) {
			t.Fatalf("session %+v", s)
		}
		return c.WithToken(s.Token), u
	}
	alice, a := login("alice")
	bob, b := login("bob")

	if me := must(alice.Me(ctx)); me.ID != a.ID || me.MainAccountID != a.MainAccountID || me.Username != "alice" {
		t.Errorf("me %+v, signed up %+v", me, a)
	}
	if m := must(alice.Charge(ctx, 50_000, "c1")); m.MainBalance != 50_000 || m.Replayed {
		t.Errorf("charge %+v", m)
	}
	if m := must(alice.Charge(ctx, 50_000, "c1")); m.MainBalance != 50_000 || !m.Replayed {
		t.Errorf("replayed charge %+v", m)
	}

	sav := must(alice.OpenSavings(ctx, "free", 0, ""))
	if sav.Kind != "savings" || sav.Product != "free" {
		t.Errorf("savings %+v", sav)
	}
	if m := must(alice.Deposit(ctx, sav.ID, 10_000, "d1")); m.MainBalance != 40_000 || m.SavingsBalance != 10_000 {
		t.Errorf("deposit %+v", m)
	}
	_, err := alice.Deposit(ctx, sav.ID, 1_000_000, "d2")
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 422 || e.Code != "insufficient_funds" || e.Detail == "" ||
		client.CodeOf(err) != "insufficient_funds" || !client.IsCode(err, "insufficient_funds") {
		t.Errorf("deposit over the balance: %#v", err)
	}
	if as := must(alice.Accounts(ctx)); len(as) != 2 || as[0].Kind != "main" || as[0].Balance != 40_000 || as[1].Balance != 10_000 {
		t.Errorf("accounts %+v", as)
	}

	if r := must(alice.Transfer(ctx, client.TransferRequest{To: client.ToUser("bob"), Amount: 1_000}, "t1")); r.Status != "completed" || r.Amount != 1_000 {
		t.Errorf("transfer by username %+v", r)
	}
	if r := must(alice.Transfer(ctx, client.TransferRequest{To: client.ToAccount(b.MainAccountID), Amount: 2_000, Memo: "m"}, "t2")); r.Status != "completed" {
		t.Errorf("transfer by account %+v", r)
	}
	yes := true
	p := must(alice.Transfer(ctx, client.TransferRequest{To: client.ToAccount(b.MainAccountID), Amount: 3_000, RequireAcceptance: &yes}, "t3"))
	if p.Status != "pending" || p.ExpiresAt == nil {
		t.Errorf("pending transfer %+v", p)
	}
	if tr := must(bob.AcceptTransfer(ctx, p.ID, "a1")); tr.Status != "accepted" || tr.Direction != "in" || tr.Amount != 3_000 {
		t.Errorf("accepted %+v", tr)
	}

	st := must(alice.CreateSettlement(ctx, 20_000, "equal", []string{"alice", "bob"}, "s-1"))
	if len(st.Shares) != 2 || st.Shares[1].Username != "bob" || st.Shares[0].Amount+st.Shares[1].Amount != 20_000 {
		t.Fatalf("settlement %+v", st)
	}
	if sh := must(bob.PaySettlementShare(ctx, st.ID, st.Shares[1].ID, "p1")); sh.Status != "paid" || sh.Amount != 10_000 {
		t.Errorf("paid share %+v", sh)
	}
	if _, err := alice.PaySettlementShare(ctx, st.ID, st.Shares[1].ID, "p2"); client.CodeOf(err) != "forbidden" {
		t.Errorf("paying someone else's share: %v", err)
	}

	h := must(bob.History(ctx, b.MainAccountID, client.HistoryQuery{Limit: 2}))
	if len(h.Entries) != 2 || h.NextCursor == "" || h.Entries[0].Kind == "" {
		t.Fatalf("history page 1 %+v", h)
	}
	h2 := must(bob.History(ctx, b.MainAccountID, client.HistoryQuery{Limit: 2, Cursor: h.NextCursor}))
	if len(h2.Entries) == 0 || h2.Entries[0].ID >= h.Entries[1].ID {
		t.Errorf("history page 2 %+v after %+v", h2, h)
	}
	n := must(bob.Notifications(ctx, client.NotificationQuery{}))
	if len(n.Notifications) == 0 || n.Notifications[0].Kind == "" {
		t.Errorf("notifications %+v", n)
	}

	if f := must(alice.AddFriend(ctx, "bob")); f.Username != "bob" || f.MaskedName != "N*** b**" || f.AddedAt.IsZero() {
		t.Errorf("added friend %+v", f)
	}
	if f := must(alice.AddFriend(ctx, "bob")); f.Username != "bob" {
		t.Errorf("added again %+v", f)
	}
	if fs := must(alice.Friends(ctx, client.FriendQuery{Limit: 1})); len(fs.Friends) != 1 || fs.Friends[0].Username != "bob" || fs.NextCursor == "" {
		t.Errorf("alice's friends %+v", fs)
	}
	if fs := must(bob.Friends(ctx, client.FriendQuery{AddedMe: true})); len(fs.Friends) != 1 || fs.Friends[0].Username != "alice" || fs.NextCursor != "" {
		t.Errorf("who added bob %+v", fs)
	}
	if rs := must(alice.RecentRecipients(ctx)); len(rs) != 1 || rs[0] != (client.Payee{Username: "bob", MaskedName: "N*** b**"}) {
		t.Errorf("alice's recent recipients %+v", rs)
	}

	if _, err := c.Me(ctx); client.CodeOf(err) != "unauthorized" {
		t.Errorf("no token: %v", err)
	}
}

// TestRetry: transport errors and 5xx are retried with the same key; an
// unkeyed POST and a 4xx are not.
func TestRetry(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var keys []string
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		switch {
		case r.URL.Path == "/v1/accounts" && r.Method == "POST":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(500)
			w.Write([]byte(`{"code":"internal","status":500,"detail":"boom"}`))
		case r.URL.Path == "/v1/transfers":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(422)
			w.Write([]byte(`{"code":"charge_limit_exceeded","status":422}`))
		case n == 1: // no answer at all
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		case n == 2:
			w.WriteHeader(503)
			w.Write([]byte("upstream down"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(201)
			w.Write([]byte(`{"transaction_id":7,"amount":5,"main_balance":5}`))
		}
	}))
	defer hs.Close()
	var retries []client.RetryInfo
	c := client.New(hs.URL).WithToken("tok").WithRetry(client.Retry{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}).
		WithRetryHook(func(ri client.RetryInfo) { retries = append(retries, ri) })

	m, err := c.Charge(context.Background(), 5, "k-1")
	if err != nil || m.TransactionID != 7 || !m.Replayed {
		t.Fatalf("charge after retries: %+v %v", m, err)
	}
	if len(keys) != 3 || keys[0] != "k-1" || keys[1] != "k-1" || keys[2] != "k-1" {
		t.Errorf("keys sent %q", keys)
	}
	if len(retries) != 2 || retries[0].Status != 0 || retries[1].Status != 503 || retries[0].Attempt != 1 {
		t.Errorf("retries %+v", retries)
	}

	calls.Store(100)
	_, err = c.OpenSavings(context.Background(), "free", 0, "")
	if client.CodeOf(err) != "internal" || calls.Load() != 101 {
		t.Errorf("unkeyed POST: %v after %d calls", err, calls.Load()-100)
	}
	_, err = c.Transfer(context.Background(), client.TransferRequest{To: client.ToUser("x"), Amount: 1}, "k-2")
	if client.CodeOf(err) != "charge_limit_exceeded" || calls.Load() != 102 {
		t.Errorf("4xx: %v after %d calls", err, calls.Load()-101)
	}

	hs.Close()
	if _, err := c.Me(context.Background()); client.CodeOf(err) != "transport" {
		t.Errorf("server gone: %v (%s)", err, client.CodeOf(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Me(ctx); client.CodeOf(err) != "canceled" {
		t.Errorf("cancelled: %v (%s)", err, client.CodeOf(err))
	}
}

package store_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

func TestHundredSendersToOneReceiver(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		receiver := e.User(t, "hot")
		senders := e.users(t, "s", 100)
		// Half the senders hold 5,000 and must auto-charge 10,000 first.
		for i, s := range senders {
			if i%2 == 0 {
				e.fund(t, s, 5_000)
			} else {
				e.fund(t, s, 10_000)
			}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		receipts := make([]outcome, len(senders))
		for i, s := range senders {
			wg.Go(func() {
				<-start
				r, _, err := e.do(t, s, "", ledger.Transfer{User: s.ID, From: s.MainAccount, To: receiver.MainAccount, Amount: 10_000})
				if err != nil {
					t.Errorf("sender %d: %v", i, err)
				}
				receipts[i] = r
			})
		}
		close(start)
		wg.Wait()
		if got := e.Balance(t, receiver, receiver.MainAccount); got != 1_000_000 {
			t.Fatalf("receiver holds %d, want exactly 1,000,000", got)
		}
		for i, s := range senders {
			want, charged := int64(0), int64(0)
			if i%2 == 0 {
				want, charged = 5_000, 10_000
			}
			if got := e.Balance(t, s, s.MainAccount); got != want || receipts[i].Charged != charged {
				t.Errorf("sender %d: balance %d charged %d, want %d and %d", i, got, receipts[i].Charged, want, charged)
			}
		}
		r := dbtest.Audit(t, db)
		// 50×5,000 + 50×10,000 funded, 50×10,000 auto-charged: all of it
		// is still in user accounts.
		if r.UserMoney != 50*5_000+50*10_000+50*10_000 {
			t.Fatalf("user money %d", r.UserMoney)
		}
	})
}

func TestRandomTransfersConserveMoney(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		us := e.users(t, "r", 50)
		for _, u := range us {
			e.fund(t, u, 100_000)
		}
		const workers, each = 32, 100
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[errs.Code]int{}
		for g := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), 7))
				for k := range each {
					a := rng.IntN(len(us))
					b := (a + 1 + rng.IntN(len(us)-1)) % len(us)
					if k%2 == 1 { // every other transfer goes straight back: A→B and B→A at once
						a, b = b, a
					}
					// Amounts up to 60,000 sometimes exceed the sender's
					// balance: those auto-charge until the daily limit.
					amount := 1 + rng.Int64N(60_000)
					_, _, err := e.do(t, us[a], "", ledger.Transfer{User: us[a].ID, From: us[a].MainAccount, To: us[b].MainAccount, Amount: amount})
					mu.Lock()
					codes[errs.CodeOf(err)]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for code, n := range codes {
			if code != "" && code != errs.ChargeLimitExceeded {
				t.Errorf("%d transfers failed with %s", n, code)
			}
		}
		if codes[""] < workers*each/2 {
			t.Fatalf("only %d of %d transfers succeeded: %v", codes[""], workers*each, codes)
		}
		r := dbtest.Audit(t, db)
		var charged int64
		for _, u := range us {
			if got := e.Balance(t, u, u.MainAccount); got < 0 {
				t.Errorf("%s: negative balance %d", u.Username, got)
			}
			lim, err := db.ChargeLimit(context.Background(), u.ID, e.Clock.Now(), seoul)
			if err != nil {
				t.Fatal(err)
			}
			charged += lim.Used
		}
		// Every won in user accounts came in through a charge.
		if r.UserMoney != charged {
			t.Fatalf("users hold %d but %d was charged", r.UserMoney, charged)
		}
		t.Logf("%d transfers: %v", workers*each, codes)
	})
}

func TestAutoChargeEdges(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b := e.User(t, "ann"), e.User(t, "ben")
		send := func(amount int64) (outcome, error) {
			r, _, err := e.do(t, a, "", ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: amount})
			return r, err
		}
		e.fund(t, a, 9_999)
		// Shortfall 1 → charge 10,000.
		if r, err := send(10_000); err != nil || r.Charged != 10_000 || r.MainBalance != 9_999 {
			t.Fatalf("shortfall 1: %+v %v", r, err)
		}
		// Shortfall exactly 20,000 → 20,000, not 30,000.
		if r, err := send(29_999); err != nil || r.Charged != 20_000 || r.MainBalance != 0 {
			t.Fatalf("shortfall 20,000: %+v %v", r, err)
		}
		// Charged so far: 9,999 + 10,000 + 20,000 = 39,999. A shortfall
		// whose rounded charge would cross 3,000,000 is refused whole.
		before := e.Balance(t, b, b.MainAccount)
		if _, err := send(ledger.DailyChargeLimit - 39_999 + 1); errs.CodeOf(err) != errs.ChargeLimitExceeded {
			t.Fatalf("over the limit: %v", err)
		}
		if e.Balance(t, a, a.MainAccount) != 0 || e.Balance(t, b, b.MainAccount) != before {
			t.Fatal("a refused transfer moved money")
		}
		// The largest charge that fits: 2,960,001 remaining, so 2,960,000.
		if r, err := send(2_960_000); err != nil || r.Charged != 2_960_000 {
			t.Fatalf("up to the limit: %+v %v", r, err)
		}
		if _, err := send(1); errs.CodeOf(err) != errs.ChargeLimitExceeded {
			t.Fatalf("limit spent: %v", err)
		}
		// After 00:00 KST the limit is fresh.
		e.Clock.Set(time.Date(2026, 11, 25, 0, 0, 1, 0, seoul))
		if r, err := send(1); err != nil || r.Charged != 10_000 {
			t.Fatalf("next day: %+v %v", r, err)
		}
		dbtest.Audit(t, db)
	})
}

func TestTransferRejections(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b := e.User(t, "amy"), e.User(t, "bo")
		e.fund(t, a, 50_000)
		bs, err := db.OpenSavings(context.Background(), b.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			cmd  ledger.Transfer
			want errs.Code
		}{
			{"self", ledger.Transfer{To: a.MainAccount, Amount: 1}, errs.Invalid},
			{"to savings", ledger.Transfer{To: bs.ID, Amount: 1}, errs.Invalid},
			{"unknown account", ledger.Transfer{To: 987_654, Amount: 1}, errs.NotFound},
			{"zero", ledger.Transfer{To: b.MainAccount, Amount: 0}, errs.Invalid},
			{"negative", ledger.Transfer{To: b.MainAccount, Amount: -1}, errs.Invalid},
			{"huge", ledger.Transfer{To: b.MainAccount, Amount: 1<<63 - 1}, errs.ChargeLimitExceeded},
			{"from another's account", ledger.Transfer{From: b.MainAccount, To: a.MainAccount, Amount: 1}, errs.Forbidden},
		}
		for _, c := range cases {
			cmd := c.cmd
			cmd.User = a.ID
			if cmd.From == 0 {
				cmd.From = a.MainAccount
			}
			if _, _, err := e.do(t, a, "", cmd); errs.CodeOf(err) != c.want {
				t.Errorf("%s: got %v, want %s", c.name, err, c.want)
			}
		}
		if e.Balance(t, a, a.MainAccount) != 50_000 || e.Balance(t, b, b.MainAccount) != 0 {
			t.Fatal("a rejected transfer moved money")
		}
		if r := dbtest.Audit(t, db); r.Transactions != 1 {
			t.Fatalf("%d transactions, want only the funding charge", r.Transactions)
		}
	})
}

func TestTransferReplayWithAutoCharge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a, b := e.User(t, "ari"), e.User(t, "bea")
		cmd := ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 15_000, DisplayName: "Secret Santa", Memo: "gift"}
		first, replayed, err := e.do(t, a, "t-1", cmd)
		if err != nil || replayed || first.Charged != 20_000 || first.TransferID == 0 || first.ChargeID == 0 {
			t.Fatalf("first: %+v %v %v", first, replayed, err)
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				r, replayed, err := e.do(t, a, "t-1", cmd)
				if err != nil || !replayed || r != first {
					t.Errorf("replay: %+v %v %v", r, replayed, err)
				}
			})
		}
		wg.Wait()
		if e.Balance(t, a, a.MainAccount) != 5_000 || e.Balance(t, b, b.MainAccount) != 15_000 {
			t.Fatal("replays moved money")
		}
		lim, _ := db.ChargeLimit(ctx, a.ID, e.Clock.Now(), seoul)
		if lim.Used != 20_000 {
			t.Fatalf("charged %d, want 20,000 once", lim.Used)
		}
		// The transfer reads back with both names.
		tr, err := db.Transfer(ctx, b.ID, first.TransferID)
		if err != nil || tr.DisplayName != "Secret Santa" || tr.SenderName != "Name ari" || tr.Memo != "gift" || tr.Charged != 20_000 {
			t.Fatalf("transfer %+v %v", tr, err)
		}
		if _, err := db.Transfer(ctx, e.User(t, "eve").ID, first.TransferID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("outsider reads transfer: %v", err)
		}
		for _, dir := range []string{"", "in", "out"} {
			page, err := db.Transfers(ctx, a.ID, store.TransferFilter{Direction: dir, Limit: 10})
			want := 1
			if dir == "in" {
				want = 0
			}
			if err != nil || len(page) != want {
				t.Fatalf("direction %q: %d transfers, %v", dir, len(page), err)
			}
		}
		dbtest.Audit(t, db)
	})
}

// Two servers on one database: two independent connection pools and
// writers moving money among the same accounts at once, including A→B
// against B→A. Row locks in id order and retries keep them deadlock-free.
func TestTwoWritersOneDatabase(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		var envs []env
		for range 2 {
			envs = append(envs, newEnv(t, dbtest.OpenURL(t, url)))
		}
		us := envs[0].users(t, "w", 20)
		for _, u := range us {
			envs[0].fund(t, u, 1_000_000)
		}
		var wg sync.WaitGroup
		for g := range 16 {
			e := envs[g%2]
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), 11))
				for range 100 {
					a := rng.IntN(len(us))
					b := (a + 1 + rng.IntN(len(us)-1)) % len(us)
					_, _, err := e.do(t, us[a], "", ledger.Transfer{User: us[a].ID, From: us[a].MainAccount, To: us[b].MainAccount, Amount: 1 + rng.Int64N(5_000)})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if r := dbtest.Audit(t, envs[1].DB); r.UserMoney != 20*1_000_000 || r.Transactions != 20+16*100 {
			t.Fatalf("after two writers: %+v", r)
		}
	})
}

package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// The naive history baseline (OFFSET pages, OR across sender and receiver)
// returns exactly the tuned query's page k for every k, so the benchmark
// compares two ways of computing the same answer.
func TestHistoryNaiveMatchesTunedPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a, b, c := e.user(t, "alice"), e.user(t, "bob"), e.user(t, "carol")
		e.fund(t, a, 50_000)
		e.fund(t, b, 20_000)
		sav, err := db.OpenSavings(ctx, a.ID, "free", 0, e.clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.do(t, a, "", ledger.Deposit{User: a.ID, Main: a.MainAccount, Savings: sav.ID, Amount: 3_000}); err != nil {
			t.Fatal(err)
		}
		// Carol's transfers, and some to her, wait for acceptance: a
		// pending hold, then its release.
		if _, err := db.SetTransfersRequireAcceptance(ctx, c.ID, true); err != nil {
			t.Fatal(err)
		}
		yes := true
		users := []store.User{a, b, c}
		pending := 0
		for i := range 40 {
			from, to := users[i%3], users[(i+1+i/3)%3]
			if from.ID == to.ID {
				to = users[(i+1)%3]
			}
			cmd := ledger.Transfer{User: from.ID, From: from.MainAccount, To: to.MainAccount, Amount: int64(100 + i), DisplayName: "nick", Memo: "m"}
			if to.ID == c.ID && i%2 == 0 {
				cmd.RequireAcceptance = &yes
			}
			r, _, err := e.do(t, from, "", cmd)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status == ledger.TransferPending {
				pending++
				if _, _, err := e.do(t, to, "", ledger.Accept{User: to.ID, Transfer: r.TransferID}); err != nil {
					t.Fatal(err)
				}
			}
			// Some movements share an instant, most do not.
			if i%4 != 0 {
				e.clock.Advance(time.Minute)
			}
		}
		if pending == 0 {
			t.Fatal("no pending transfers")
		}
		mid := e.clock.Now().Add(-15 * time.Minute)
		for _, acct := range []int64{a.MainAccount, b.MainAccount, c.MainAccount, sav.ID, 999_999} {
			for _, r := range []struct{ from, to time.Time }{{}, {to: mid}, {from: mid}} {
				const limit = 4
				var cursor int64
				total := 0
				for k := 0; ; k++ {
					tuned, err := db.History(ctx, acct, store.HistoryFilter{From: r.from, To: r.to, Before: cursor, Limit: limit})
					if err != nil {
						t.Fatal(err)
					}
					naive, err := db.HistoryNaive(ctx, acct, k*limit, limit, r.from, r.to)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(naive, tuned) {
						t.Fatalf("account %d, range %v, page %d:\nnaive %+v\ntuned %+v", acct, r, k, naive, tuned)
					}
					total += len(tuned)
					if len(tuned) < limit {
						break
					}
					cursor = tuned[len(tuned)-1].ID
				}
				if acct == a.MainAccount && r.from.IsZero() && r.to.IsZero() && total < 20 {
					t.Fatalf("alice has only %d entries", total)
				}
			}
		}
		audit(t, db)
	})
}

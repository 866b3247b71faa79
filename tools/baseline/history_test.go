package baseline_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/tools/baseline"
)

// The naive history baseline (OFFSET pages, OR across sender and receiver)
// returns exactly the tuned query's page k for every k, so the benchmark
// compares two ways of computing the same answer.
func TestHistoryMatchesTunedPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		accounts := historyOfThree(t, e)
		mid := e.Clock.Now().Add(-15 * time.Minute)
		for _, acct := range accounts {
			for _, r := range []struct{ from, to time.Time }{{}, {to: mid}, {from: mid}} {
				total := comparePages(t, db, acct, r.from, r.to)
				if acct == accounts[0] && r.from.IsZero() && r.to.IsZero() && total < 20 {
					t.Fatalf("alice has only %d entries", total)
				}
			}
		}
		dbtest.Audit(t, e.DB)
	})
}

// historyOfThree gives alice, bob and carol 40 transfers among them over
// half an hour, carol's waiting for acceptance, plus charges and a savings
// deposit. It returns the accounts to read: alice's main first, then
// bob's, carol's, alice's savings and one that does not exist.
func historyOfThree(t *testing.T, e env) []int64 {
	ctx := context.Background()
	a, b, c := e.User(t, "alice"), e.User(t, "bob"), e.User(t, "carol")
	e.do(t, a, ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: 50_000})
	e.do(t, b, ledger.Charge{User: b.ID, Account: b.MainAccount, Amount: 20_000})
	sav, err := e.DB.OpenSavings(ctx, a.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), clock.Seoul)
	if err != nil {
		t.Fatal(err)
	}
	e.do(t, a, ledger.Deposit{User: a.ID, Main: a.MainAccount, Savings: sav.ID, Amount: 3_000})
	// Carol's transfers, and some to her, wait for acceptance: a pending
	// hold, then its release.
	if _, err := e.DB.SetTransfersRequireAcceptance(ctx, c.ID, true); err != nil {
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
		if r := e.do(t, from, cmd); r.Receipt.Status == ledger.TransferPending {
			pending++
			e.do(t, to, ledger.Accept{User: to.ID, Transfer: r.TransferID})
		}
		// Some movements share an instant, most do not.
		if i%4 != 0 {
			e.Clock.Advance(time.Minute)
		}
	}
	if pending == 0 {
		t.Fatal("no pending transfers")
	}
	return []int64{a.MainAccount, b.MainAccount, c.MainAccount, sav.ID, 999_999}
}

// comparePages reads acct's history in [from, to) page by page, the tuned
// way (keyset) and the naive way (OFFSET), and fails unless every page has
// the same rows. It returns how many entries there were.
func comparePages(t *testing.T, db *store.DB, acct int64, from, to time.Time) int {
	t.Helper()
	ctx := context.Background()
	const limit = 4
	var cursor store.HistoryCursor
	total := 0
	for k := 0; ; k++ {
		f := store.HistoryFilter{From: from, To: to, Before: cursor, Limit: limit}
		tuned := tunedRows(t, db, acct, f)
		naive, err := baseline.History(ctx, db.SQL(), acct, k*limit, limit, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(naive, tuned) {
			t.Fatalf("account %d, range [%v, %v), page %d:\nnaive %+v\ntuned %+v", acct, from, to, k, naive, tuned)
		}
		total += len(tuned)
		if len(tuned) < limit {
			return total
		}
		last := tuned[len(tuned)-1]
		cursor = store.HistoryCursor{At: time.UnixMicro(last.At), ID: last.EntryID}
	}
}

// tunedRows runs store.HistorySQL and checks it returns the entries
// store.History returns, so comparing rows compares with what the API
// serves.
func tunedRows(t *testing.T, db *store.DB, acct int64, f store.HistoryFilter) []baseline.Row {
	t.Helper()
	ctx := context.Background()
	q, args := store.HistorySQL(acct, f)
	rows, err := baseline.Rows(ctx, db.SQL(), q, args)
	if err != nil {
		t.Fatal(err)
	}
	served, err := db.History(ctx, acct, f)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(served))
	for i, h := range served {
		ids[i] = h.ID
	}
	if got := baseline.IDs(rows); !slices.Equal(got, ids) {
		t.Fatalf("store.HistorySQL returns entries %v, store.History %v", got, ids)
	}
	return rows
}

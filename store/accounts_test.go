package store_test

import (
	"context"
	"sync"
	"testing"

	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// One user opening more savings accounts at once than the cap allows ends
// with exactly the cap open and the rest refused; a closed account frees
// its place.
func TestSavingsCapUnderConcurrentOpens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		const max, extra = 5, 7
		e := newEnv(t, db)
		u := e.User(t, "saver")
		opened := make(chan int64, max+extra)
		refused := make(chan error, max+extra)
		var wg sync.WaitGroup
		for range max + extra {
			wg.Go(func() {
				a, err := db.OpenSavings(context.Background(), u.ID, "free", 0, max, e.Clock.Now(), seoul)
				if err != nil {
					refused <- err
					return
				}
				opened <- a.ID
			})
		}
		wg.Wait()
		close(opened)
		close(refused)
		if len(opened) != max || len(refused) != extra {
			t.Fatalf("opened %d, refused %d; want %d and %d", len(opened), len(refused), max, extra)
		}
		for err := range refused {
			if errs.CodeOf(err) != errs.Conflict {
				t.Fatalf("refusal %v, want conflict", err)
			}
		}
		open := openSavings(t, db, u)
		if len(open) != max {
			t.Fatalf("%d savings accounts open in the database, want %d", len(open), max)
		}
		if _, _, err := e.do(t, u, "", ledger.Close{User: u.ID, Main: u.MainAccount, Savings: <-opened}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.OpenSavings(context.Background(), u.ID, "free", 0, max, e.Clock.Now(), seoul); err != nil {
			t.Fatalf("open after closing one: %v", err)
		}
		if _, err := db.OpenSavings(context.Background(), u.ID, "free", 0, max, e.Clock.Now(), seoul); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("open over the cap again: %v, want conflict", err)
		}
	})
}

// openSavings lists u's open savings accounts as the database holds them.
func openSavings(t *testing.T, db *store.DB, u store.User) []*ledger.Account {
	t.Helper()
	as, err := db.Accounts(context.Background(), u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var open []*ledger.Account
	for _, a := range as {
		if a.Kind == ledger.Savings && a.Status == ledger.Open {
			open = append(open, a)
		}
	}
	return open
}

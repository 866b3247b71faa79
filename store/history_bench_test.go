package store_test

import (
	"context"
	"testing"

	"minipay/ledger"
	"minipay/store"
)

// BenchmarkHistory reads pages of an account with 500 entries the way the
// API asks for them (20 and one more to know if there is a next page):
// the first page, and the page 10 deep by its keyset cursor. SQLite by
// default; PostgreSQL with MINIPAY_TEST_POSTGRES_URL set:
//
//	go test ./store -run '^$' -bench History
func BenchmarkHistory(b *testing.B) {
	db, e, _ := benchEnv(b)
	ctx := context.Background()
	a, c := e.User(b, "a"), e.User(b, "c")
	if _, err := e.W.Do(ctx, a.ID, store.Idempotency{}, ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: 1_000_000}); err != nil {
		b.Fatal(err)
	}
	for range 500 {
		if _, err := e.W.Do(ctx, a.ID, store.Idempotency{}, ledger.Transfer{User: a.ID, From: a.MainAccount, To: c.MainAccount, Amount: 1}); err != nil {
			b.Fatal(err)
		}
	}
	all, err := db.History(ctx, c.MainAccount, store.HistoryFilter{Limit: 500})
	if err != nil || len(all) != 500 {
		b.Fatalf("%d entries, %v", len(all), err)
	}
	for _, p := range []struct {
		name   string
		before store.HistoryCursor
	}{{"first", store.HistoryCursor{}}, {"deep", all[199].Cursor()}} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if page, err := db.History(ctx, c.MainAccount, store.HistoryFilter{Before: p.before, Limit: 21}); err != nil || len(page) != 21 {
					b.Fatalf("%d entries, %v", len(page), err)
				}
			}
		})
	}
}

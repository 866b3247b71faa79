package store_test

import (
	"context"
	"sync"
	"testing"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// Callers that create history partitions at once on a fresh database
// queue behind one another: every call succeeds (a race would fail one
// on the catalog's unique index), and the months exist afterwards.
func TestEnsurePartitionsConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		from := dbtest.Start
		to := from.AddDate(1, 0, 0)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := db.EnsurePartitions(context.Background(), from, to, clock.Seoul); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if db.Dialect() != "postgres" {
			return
		}
		parts, err := store.ColumnForTest(db, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'entries'::regclass`)
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != 13 {
			t.Fatalf("entries has %d partitions, want the 13 months from %s: %v", len(parts), from.Format("2006-01"), parts)
		}
	})
}

// Servers starting at once on a fresh database, each migrating and
// starting a writer whose transfers begin at once: no batch finds its
// month without a partition (creation happened ahead, at the writers'
// start, one after the other), every transfer succeeds and the books
// balance.
func TestServersStartingAtOnceNeverCreatePartitionsOnTheWritePath(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		const servers, senders = 4, 8
		clk := clock.NewManual(dbtest.Start)
		ctx := context.Background()
		var wg sync.WaitGroup
		writers := make([]*store.Writer, servers)
		dbs := make([]*store.DB, servers)
		for s := range servers {
			wg.Go(func() {
				db, err := store.Open(ctx, url) // migrates, as every server does
				if err != nil {
					t.Error(err)
					return
				}
				t.Cleanup(func() { db.Close() })
				dbs[s] = db
				writers[s] = store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{Workers: 2, BatchTimeout: dbtest.SlowMachine})
				t.Cleanup(writers[s].Close)
				u, err := db.CreateUser(ctx, "server"+string(rune('a'+s)), "Server", "x", clk.Now())
				if err != nil {
					t.Error(err)
					return
				}
				var sends sync.WaitGroup
				for range senders {
					sends.Go(func() {
						if _, err := writers[s].Do(ctx, u.ID, store.Idempotency{}, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1_000}); err != nil {
							t.Error(err)
						}
					})
				}
				sends.Wait()
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for s, w := range writers {
			if n := store.LateMonthsForTest(w); n != 0 {
				t.Errorf("server %d: %d batches created their month's partitions on the write path", s, n)
			}
		}
		r := dbtest.Audit(t, dbs[0])
		if r.UserMoney != servers*senders*1_000 {
			t.Errorf("user money %d, want %d", r.UserMoney, servers*senders*1_000)
		}
	})
}

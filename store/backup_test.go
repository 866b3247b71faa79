package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestBackupUnderLoad copies a SQLite database while transfers go through
// the writer: the copy is one consistent moment, so it passes the audit
// and holds exactly the money charged in (transfers only move it). A
// second backup to the same file is refused. PostgreSQL is pointed to its
// own tools.
func TestBackupUnderLoad(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		to := filepath.Join(t.TempDir(), "backup.db")
		if db.Dialect() == "postgres" {
			if err := db.Backup(ctx, to); err == nil || !strings.Contains(err.Error(), "pg_dump") {
				t.Fatalf("backup of PostgreSQL: %v, want a pointer to pg_dump", err)
			}
			return
		}
		e := dbtest.NewEnv(t, db)
		users := []store.User{e.User(t, "ann"), e.User(t, "bob"), e.User(t, "cat"), e.User(t, "dan")}
		const funded = 100_000
		for _, u := range users {
			if _, err := e.W.Do(ctx, u.ID, store.Idempotency{}, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: funded}); err != nil {
				t.Fatal(err)
			}
		}
		var sent atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, u := range users {
			to := users[(i+1)%len(users)]
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					r, err := e.W.Do(ctx, u.ID, store.Idempotency{}, ledger.Transfer{User: u.ID, From: u.MainAccount, To: to.MainAccount, Amount: 1})
					if err != nil || r.Receipt.Charged != 0 {
						t.Errorf("transfer: %v (charged %d)", err, r.Receipt.Charged)
						return
					}
					sent.Add(1)
				}
			})
		}
		for sent.Load() < 200 && !t.Failed() {
			time.Sleep(5 * time.Millisecond)
		}
		err := db.Backup(ctx, to)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}

		copyDB, err := store.Open(ctx, "sqlite:"+to)
		if err != nil {
			t.Fatal(err)
		}
		defer copyDB.Close()
		r := dbtest.Audit(t, copyDB)
		if r.UserMoney != funded*int64(len(users)) {
			t.Errorf("the backup holds %d won in user accounts, want the %d charged in", r.UserMoney, funded*len(users))
		}
		if r.Transactions < 4+200 {
			t.Errorf("the backup has %d transactions, want the 4 charges and at least the 200 transfers before it", r.Transactions)
		}
		dbtest.Audit(t, db)

		before, _ := os.ReadFile(to)
		if err := db.Backup(ctx, to); err == nil || !strings.Contains(err.Error(), "exists") {
			t.Errorf("a second backup to %s: %v, want a refusal to overwrite", to, err)
		}
		if after, _ := os.ReadFile(to); string(after) != string(before) {
			t.Error("the refused backup changed the existing file")
		}
	})
}

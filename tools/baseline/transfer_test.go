package baseline_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/tools/baseline"
)

// The naive transfer keeps the same books as the engine: concurrent
// transfers towards one receiver move exactly what they say, a transfer
// the sender cannot afford moves nothing, and the audit passes.
func TestTransferKeepsTheBooks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		hot := e.User(t, "hot")
		var senders []store.User
		for i := range 8 {
			s := e.User(t, fmt.Sprintf("s%d", i))
			e.do(t, s, ledger.Charge{User: s.ID, Account: s.MainAccount, Amount: 1_000})
			senders = append(senders, s)
		}
		var wg sync.WaitGroup
		for _, s := range senders {
			wg.Go(func() {
				for range 10 {
					if err := baseline.Transfer(ctx, db, s.ID, s.MainAccount, hot.MainAccount, 30, e.Clock.Now()); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		err := baseline.Transfer(ctx, db, hot.ID, hot.MainAccount, senders[0].MainAccount, 2_401, e.Clock.Now())
		if errs.CodeOf(err) != errs.InsufficientFunds {
			t.Fatalf("overdraft: %v, want %s", err, errs.InsufficientFunds)
		}
		if got := e.Balance(t, hot, hot.MainAccount); got != 8*10*30 {
			t.Errorf("receiver holds %d, want %d", got, 8*10*30)
		}
		for _, s := range senders {
			if got := e.Balance(t, s, s.MainAccount); got != 1_000-10*30 {
				t.Errorf("sender %s holds %d, want %d", s.Username, got, 1_000-10*30)
			}
		}
		if r := dbtest.Audit(t, e.DB); r.Transactions != 8+80 {
			t.Errorf("%d transactions, want %d", r.Transactions, 8+80)
		}
	})
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// A batch posts its interest in one transaction: a credit per savings
// account and one debit of the interest expense account. An account
// paid twice in the batch (a day of the job, then a deposit's accrual of
// the days after it) starts a second one. Each account's history and
// events are as if each payment had a transaction of its own, and the
// audit holds.
func TestBatchPaysInterestInOneTransaction(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		db := dbtest.OpenURL(t, url)
		clk := clock.NewManual(dbtest.Start)
		// One worker, stalled below, so the commands queued meanwhile
		// make one batch.
		w := store.NewWriter(db, clk, seoul, store.WriterConfig{Workers: 1, BatchTimeout: 20 * time.Second})
		t.Cleanup(w.Close)
		e := env{&dbtest.Env{DB: db, W: w, Clock: clk}}
		ctx := context.Background()
		users := e.users(t, "saver", 3)
		savings := make([]int64, len(users))
		for i, u := range users {
			s, err := db.OpenSavings(ctx, u.ID, "free", 0, store.DefaultMaxSavings, clk.Now(), seoul)
			if err != nil {
				t.Fatal(err)
			}
			savings[i] = s.ID
			e.fund(t, u, 2_000_000)
			e.must(t, u, ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: s.ID, Amount: 1_000_000})
		}
		clk.Advance(3 * 24 * time.Hour) // three days to pay
		yesterday := ledger.AddDays(ledger.BusinessDay(clk.Now(), seoul), -1)

		release := dbtest.Lock(t, url, "accounts")
		stalled := make(chan error, 1)
		go func() {
			stalled <- e.do1(users[0], ledger.Charge{User: users[0].ID, Account: users[0].MainAccount, Amount: 1})
		}()
		time.Sleep(100 * time.Millisecond) // the first batch waits for the lock
		cmds := []ledger.Command{}
		for _, s := range savings {
			cmds = append(cmds, ledger.Accrue{Savings: s, Through: yesterday})
		}
		cmds = append(cmds, ledger.Deposit{User: users[0].ID, Main: users[0].MainAccount, Savings: savings[0], Amount: 1})
		done := make(chan error, len(cmds))
		for _, cmd := range cmds { // one after the other, so the deposit follows its account's accrual
			go func() { done <- e.do1(users[0], cmd) }()
			time.Sleep(20 * time.Millisecond)
		}
		release()
		for range len(cmds) + 1 {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case err := <-stalled:
				if err != nil {
					t.Fatal(err)
				}
			}
		}

		var txns, debits, events int
		if err := db.SQL().QueryRow(`SELECT (SELECT COUNT(*) FROM transactions WHERE kind = 'interest'),
			(SELECT COUNT(*) FROM entries WHERE account_id = $1), (SELECT COUNT(DISTINCT id) FROM events WHERE type = $2)`,
			ledger.InterestExpense, store.EventSavingsInterestPaid).Scan(&txns, &debits, &events); err != nil {
			t.Fatal(err)
		}
		if txns != 2 || debits != 2 || events != 4 {
			t.Errorf("%d interest transactions with %d debits and %d events, want 2, 2 and 4", txns, debits, events)
		}
		for i, s := range savings {
			a, err := db.Account(ctx, users[i].ID, s)
			if err != nil {
				t.Fatal(err)
			}
			h, err := db.History(ctx, s, store.HistoryFilter{Kind: string(ledger.TxnInterest), Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var paid int64
			for _, line := range h {
				paid += line.Amount
				if line.Counterparty != (store.Counterparty{Name: "interest expense"}) {
					t.Errorf("account %d: interest from %+v", s, line.Counterparty)
				}
			}
			if want := map[bool]int{true: 2, false: 1}[i == 0]; len(h) != want || paid != a.InterestPaid || paid == 0 {
				t.Errorf("account %d: %d interest lines paying %d, want %d paying %d", s, len(h), paid, want, a.InterestPaid)
			}
		}
		dbtest.Audit(t, db)
		// A credit that names another credit of its transaction as its
		// other side is caught: the other side is on the opposite side.
		if err := store.TamperForTest(db, fmt.Sprintf(`UPDATE entries SET other_account = %d WHERE account_id = %d AND kind = 'interest'`,
			savings[2], savings[1])); err != nil {
			t.Fatal(err)
		}
		r, err := db.Audit(ctx)
		if err != nil || len(r.Problems) == 0 || !strings.Contains(r.Problems[0], "history columns disagree") {
			t.Fatalf("audit after a credit names a credit: %v %v", r.Problems, err)
		}
	})
}

// do1 submits cmd as u and returns only its error.
func (e env) do1(u store.User, cmd ledger.Command) error {
	_, err := e.W.Do(context.Background(), u.ID, store.Idempotency{}, cmd)
	return err
}

package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestWriterKeepsEachAccountsOrder: transfers queued one after another
// without waiting — a third of them to one hot account, the rest spread —
// are applied in their queue order on every account they touch, while
// other goroutines send pending transfers and accept or cancel them
// (commands whose accounts the writer learns only from the transfer's
// row) through the same writer. Every command is applied once, and the
// money adds up.
func TestWriterKeepsEachAccountsOrder(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		// Small batches, so that several are in flight at once.
		clk := clock.NewManual(dbtest.Start)
		w := store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{MaxBatch: 8, Workers: 4, BatchTimeout: dbtest.SlowMachine})
		t.Cleanup(w.Close)
		e := &dbtest.Env{DB: db, W: w, Clock: clk}
		users := make([]store.User, 12)
		for i := range users {
			users[i] = e.User(t, fmt.Sprintf("u%d", i))
			if _, err := e.W.Do(context.Background(), users[i].ID, store.Idempotency{}, ledger.Charge{User: users[i].ID, Account: users[i].MainAccount, Amount: 1_000_000}); err != nil {
				t.Fatal(err)
			}
		}
		const n = 600 // transfers in order, of 1 to n won: the amount names the transfer
		who, cmds := orderedTransfers(users, n)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() { pendingRounds(t, e, users[1+g], users[5+g], 20) })
		}
		wait := store.EnqueueForTest(e.W, who, cmds)
		for i, err := range wait() {
			if err != nil {
				t.Errorf("transfer %d: %v", i+1, err)
			}
		}
		wg.Wait()
		checkAccountOrder(t, db, n)
		if got, want := dbtest.Audit(t, db).UserMoney, int64(len(users))*1_000_000; got != want {
			t.Errorf("users hold %d, want %d", got, want)
		}
	})
}

// orderedTransfers are n transfers of 1 to n won between users, every
// third one to users[0], from the sender at the same index.
func orderedTransfers(users []store.User, n int) ([]int64, []ledger.Command) {
	r := rand.New(rand.NewPCG(3, 4))
	who := make([]int64, n)
	cmds := make([]ledger.Command, n)
	for i := range n {
		from, to := users[1+r.IntN(len(users)-1)], users[0]
		if i%3 > 0 {
			if to = users[r.IntN(len(users))]; to.ID == from.ID {
				to = users[0]
			}
		}
		who[i] = from.ID
		cmds[i] = ledger.Transfer{User: from.ID, From: from.MainAccount, To: to.MainAccount, Amount: int64(i + 1)}
	}
	return who, cmds
}

// pendingRounds sends rounds pending transfers of 1,000 won from one user
// to another, accepting every other one and cancelling the rest.
func pendingRounds(t *testing.T, e *dbtest.Env, from, to store.User, rounds int) {
	ctx, yes := context.Background(), true
	for i := range rounds {
		res, err := e.W.Do(ctx, from.ID, store.Idempotency{}, ledger.Transfer{User: from.ID, From: from.MainAccount, To: to.MainAccount, Amount: 1_000, RequireAcceptance: &yes})
		if err != nil {
			t.Errorf("pending transfer: %v", err)
			return
		}
		var then ledger.Command = ledger.Cancel{User: from.ID, Transfer: res.TransferID}
		if i%2 == 0 {
			then = ledger.Accept{User: to.ID, Transfer: res.TransferID}
		}
		if _, err := e.W.Do(ctx, from.ID, store.Idempotency{}, then); err != nil {
			t.Errorf("%T of transfer %d: %v", then, res.TransferID, err)
			return
		}
	}
}

// checkAccountOrder checks that on every user account the ordered
// transfers (1 to n won) were applied in their order: in transaction id
// order, which is the order batches that share an account apply in.
func checkAccountOrder(t *testing.T, db *store.DB, n int) {
	t.Helper()
	rows, err := store.ColumnForTest(db, fmt.Sprintf(`SELECT CAST(account_id AS TEXT) || ' ' || CAST(ABS(amount) AS TEXT) FROM entries
		WHERE account_id > 0 AND ABS(amount) <= %d ORDER BY transaction_id`, n))
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]int{}
	for _, row := range rows {
		account, amount, _ := strings.Cut(row, " ")
		i, err := strconv.Atoi(amount)
		if err != nil {
			t.Fatal(err)
		}
		if i <= last[account] {
			t.Fatalf("account %s: transfer %d applied after transfer %d", account, i, last[account])
		}
		last[account] = i
	}
	if len(rows) != 2*n {
		t.Errorf("%d entries of the ordered transfers, want %d", len(rows), 2*n)
	}
}

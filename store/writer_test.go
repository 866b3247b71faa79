package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

func TestDailyLimitUnderConcurrentCharges(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.User(t, "alice")
		// 50 charges of 70,000: 42 fit in 3,000,000 (2,940,000); a
		// last one of 60,000 fills the limit exactly.
		var ok, limited atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, _, err := e.do(t, u, "", ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 70_000})
				switch errs.CodeOf(err) {
				case "":
					ok.Add(1)
				case errs.ChargeLimitExceeded:
					limited.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 42 || limited.Load() != 8 {
			t.Fatalf("accepted %d, limited %d; want 42 and 8", ok.Load(), limited.Load())
		}
		if _, _, err := e.do(t, u, "", ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 60_001}); errs.CodeOf(err) != errs.ChargeLimitExceeded {
			t.Fatalf("60,001 over 2,940,000: got %v, want charge_limit_exceeded", err)
		}
		e.fund(t, u, 60_000)
		if got := e.Balance(t, u, u.MainAccount); got != ledger.DailyChargeLimit {
			t.Fatalf("main balance %d, want %d", got, ledger.DailyChargeLimit)
		}
		lim, err := db.ChargeLimit(context.Background(), u.ID, e.Clock.Now(), seoul)
		if err != nil || lim.Used != ledger.DailyChargeLimit || lim.Remaining != 0 {
			t.Fatalf("limit %+v, %v", lim, err)
		}

		// One second before midnight KST the day is still full...
		e.Clock.Set(time.Date(2026, 11, 24, 23, 59, 59, 0, seoul))
		if _, _, err := e.do(t, u, "", ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1}); errs.CodeOf(err) != errs.ChargeLimitExceeded {
			t.Fatalf("23:59:59 KST: got %v, want charge_limit_exceeded", err)
		}
		// ...and one second after it the limit is fresh.
		e.Clock.Set(time.Date(2026, 11, 25, 0, 0, 1, 0, seoul))
		if _, _, err := e.do(t, u, "", ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: ledger.DailyChargeLimit}); err != nil {
			t.Fatalf("00:00:01 KST next day: %v", err)
		}
		r := dbtest.Audit(t, db)
		if r.UserMoney != 2*ledger.DailyChargeLimit {
			t.Fatalf("user money %d", r.UserMoney)
		}
	})
}

func TestConcurrentDepositsNeverOverdraw(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u := e.User(t, "bob")
		e.fund(t, u, 1_000_000)
		var savings []int64
		for range 3 {
			a, err := db.OpenSavings(ctx, u.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
			if err != nil {
				t.Fatal(err)
			}
			savings = append(savings, a.ID)
		}
		// 60 deposits of 30,000 = 1,800,000 against 1,000,000: exactly 33
		// fit (990,000).
		var ok, short atomic.Int64
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Go(func() {
				_, _, err := e.do(t, u, "", ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: savings[i%3], Amount: 30_000})
				switch errs.CodeOf(err) {
				case "":
					ok.Add(1)
				case errs.InsufficientFunds:
					short.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 33 || short.Load() != 27 {
			t.Fatalf("deposits accepted %d, short %d; want 33 and 27", ok.Load(), short.Load())
		}
		if got := e.Balance(t, u, u.MainAccount); got != 10_000 {
			t.Fatalf("main %d, want 10,000", got)
		}
		var inSavings int64
		for _, id := range savings {
			inSavings += e.Balance(t, u, id)
		}
		if inSavings != 990_000 {
			t.Fatalf("savings hold %d, want 990,000", inSavings)
		}
		dbtest.Audit(t, db)
	})
}

func TestIdempotentReplayMovesMoneyOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.User(t, "carol")
		cmd := ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 50_000}
		receipts := make([]outcome, 20)
		replays := make([]bool, 20)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				r, replayed, err := e.do(t, u, "key-1", cmd)
				if err != nil {
					t.Error(err)
				}
				receipts[i], replays[i] = r, replayed
			})
		}
		wg.Wait()
		first := 0
		for i, r := range receipts {
			if !replays[i] {
				first++
			}
			if r != receipts[0] {
				t.Fatalf("receipt %d = %+v, differs from %+v", i, r, receipts[0])
			}
		}
		if first != 1 {
			t.Fatalf("%d requests applied, want exactly 1", first)
		}
		if got := e.Balance(t, u, u.MainAccount); got != 50_000 {
			t.Fatalf("main %d after 20 requests with one key, want 50,000", got)
		}
		// A later replay returns the first receipt and moves nothing.
		r, replayed, err := e.do(t, u, "key-1", cmd)
		if err != nil || !replayed || r != receipts[0] {
			t.Fatalf("replay: %+v %v %v", r, replayed, err)
		}
		// The same key with another request is refused.
		_, _, err = e.do(t, u, "key-1", ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 50_001})
		if errs.CodeOf(err) != errs.IdempotencyMismatch {
			t.Fatalf("mismatch: got %v", err)
		}
		// Keys are per user: another user may use the same key.
		v := e.User(t, "dave")
		if _, replayed, err := e.do(t, v, "key-1", ledger.Charge{User: v.ID, Account: v.MainAccount, Amount: 50_000}); err != nil || replayed {
			t.Fatalf("other user's key-1: replayed=%v err=%v", replayed, err)
		}
		if got := e.Balance(t, u, u.MainAccount); got != 50_000 {
			t.Fatalf("main %d, want 50,000", got)
		}
		r2 := dbtest.Audit(t, db)
		if r2.UserMoney != 100_000 || r2.Transactions != 2 {
			t.Fatalf("audit %+v", r2)
		}
	})
}

func TestRejectionsChangeNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u, v := e.User(t, "erin"), e.User(t, "frank")
		e.fund(t, u, 100_000)
		vs, err := db.OpenSavings(ctx, v.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		fixed, err := db.OpenSavings(ctx, u.ID, "fixed", 10_000, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			cmd  ledger.Command
			want errs.Code
		}{
			{ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 0}, errs.Invalid},
			{ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: -5}, errs.Invalid},
			{ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1 << 62}, errs.ChargeLimitExceeded},
			{ledger.Charge{User: u.ID, Account: v.MainAccount, Amount: 1}, errs.Forbidden},
			{ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: vs.ID, Amount: 1}, errs.Forbidden},
			{ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: 999_999, Amount: 1}, errs.NotFound},
			{ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: fixed.ID, Amount: 1}, errs.Invalid},
			{ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: u.MainAccount, Amount: 1}, errs.Invalid},
			{ledger.Withdraw{User: u.ID, Main: u.MainAccount, Savings: fixed.ID, Amount: 1}, errs.Invalid},
			{ledger.Close{User: u.ID, Main: u.MainAccount, Savings: vs.ID}, errs.Forbidden},
		}
		for _, c := range cases {
			if _, _, err := e.do(t, u, "", c.cmd); errs.CodeOf(err) != c.want {
				t.Errorf("%T%+v: got %v, want %s", c.cmd, c.cmd, err, c.want)
			}
		}
		if got := e.Balance(t, u, u.MainAccount); got != 100_000 {
			t.Fatalf("main %d, want 100,000", got)
		}
		if r := dbtest.Audit(t, db); r.Transactions != 1 {
			t.Fatalf("%d transactions after rejections, want 1", r.Transactions)
		}
	})
}

func TestSavingsLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u := e.User(t, "gina")
		s, err := db.OpenSavings(ctx, u.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		e.must(t, u, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 500_000})
		if r := e.must(t, u, ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: s.ID, Amount: 300_000}); r.MainBalance != 200_000 || r.SavingsBalance != 300_000 {
			t.Fatalf("deposit receipt %+v", r)
		}
		if r := e.must(t, u, ledger.Withdraw{User: u.ID, Main: u.MainAccount, Savings: s.ID, Amount: 50_000}); r.MainBalance != 250_000 || r.SavingsBalance != 250_000 {
			t.Fatalf("withdraw receipt %+v", r)
		}
		if _, _, err := e.do(t, u, "", ledger.Withdraw{User: u.ID, Main: u.MainAccount, Savings: s.ID, Amount: 250_001}); errs.CodeOf(err) != errs.InsufficientFunds {
			t.Fatalf("overdraw savings: %v", err)
		}
		if r := e.must(t, u, ledger.Close{User: u.ID, Main: u.MainAccount, Savings: s.ID}); r.Amount != 250_000 || r.MainBalance != 500_000 {
			t.Fatalf("close receipt %+v", r)
		}
		closed, err := db.Account(ctx, u.ID, s.ID)
		if err != nil || closed.Status != ledger.Closed || closed.Balance != 0 {
			t.Fatalf("closed account %+v %v", closed, err)
		}
		if _, _, err := e.do(t, u, "", ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: s.ID, Amount: 1}); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("deposit into closed: %v", err)
		}
		dbtest.Audit(t, db)
	})
}

func TestAuditFindsTampering(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.User(t, "hank")
		e.fund(t, u, 10_000)
		if r, _ := db.Audit(context.Background()); len(r.Problems) != 0 {
			t.Fatalf("clean books: %v", r.Problems)
		}
		if err := store.TamperForTest(db, fmt.Sprintf(`UPDATE accounts SET balance = balance + 1 WHERE id = %d`, u.MainAccount)); err != nil {
			t.Fatal(err)
		}
		r, err := db.Audit(context.Background())
		if err != nil || len(r.Problems) != 1 {
			t.Fatalf("tampered books: %v %v", r.Problems, err)
		}
	})
}

// The references no foreign key checks on PostgreSQL since migrations
// 00022 and 00032 are the audit's: a row naming a missing user or account
// is reported, one reference at a time. SQLite kept those foreign keys, so
// there the tampering turns them off for its one statement.
func TestAuditFindsMissingReferences(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b := e.User(t, "ivy"), e.User(t, "jon")
		e.fund(t, a, 10_000)
		e.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 1_000})
		f, err := db.OpenSavings(context.Background(), a.ID, "fixed", 1_000, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(24 * time.Hour)
		e.must(t, a, ledger.Installment{Savings: f.ID, Main: a.MainAccount, Through: ledger.BusinessDay(e.Clock.Now(), seoul)})
		tamper := func(query string) {
			t.Helper()
			if db.Dialect() == "sqlite" {
				query = `PRAGMA foreign_keys = OFF; ` + query + `; PRAGMA foreign_keys = ON`
			}
			if err := store.TamperForTest(db, query); err != nil {
				t.Fatal(err)
			}
		}
		const missing = 999_999_999
		// An installment row has no id: the audit names it by its account.
		for _, c := range []struct{ table, column, parent, key string }{
			{"transfers", "from_user", "users", "id"},
			{"transfers", "to_user", "users", "id"},
			{"transfers", "from_account", "accounts", "id"},
			{"transfers", "to_account", "accounts", "id"},
			{"entries", "account_id", "accounts", "id"},
			{"notifications", "user_id", "users", "id"},
			{"installments", "account_id", "accounts", "account_id"},
		} {
			ids, err := store.ColumnForTest(db, fmt.Sprintf(`SELECT %s || ' ' || %s FROM %s ORDER BY %[1]s DESC LIMIT 1`, c.key, c.column, c.table))
			if err != nil || len(ids) != 1 {
				t.Fatalf("%s: %v %v", c.table, ids, err)
			}
			var id, was int64
			if _, err := fmt.Sscan(ids[0], &id, &was); err != nil {
				t.Fatal(err)
			}
			tamper(fmt.Sprintf(`UPDATE %s SET %s = %d WHERE %s = %d`, c.table, c.column, missing, c.key, id))
			if c.key == c.column {
				id = missing // the key is what was tampered
			}
			want := fmt.Sprintf("%s %d: %s %d names no row of %s", c.table, id, c.column, missing, c.parent)
			if r, err := db.Audit(context.Background()); err != nil || !slices.Contains(r.Problems, want) {
				t.Fatalf("audit after pointing %s.%s at nothing: %q %v, want %q", c.table, c.column, r.Problems, err, want)
			}
			tamper(fmt.Sprintf(`UPDATE %s SET %s = %d WHERE %s = %d`, c.table, c.column, was, c.key, id))
			dbtest.Audit(t, db)
		}
	})
}

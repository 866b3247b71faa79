package jobs_test

import (
	"context"
	"testing"
	"time"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// A fresh server that never finished a daily run, its clock moved ten
// days on to land at 03:00 KST — before that day's 04:00 and 08:00 jobs —
// still catches up every day its savings accounts are owed, in order:
// the installments of days 1–9 and the interest of days 0–8, each day on
// its own closing principal. Day 9's interest (04:00 on day 10) and day
// 10's installment (08:00) wait for their hour.
func TestCatchUpFromFirstDueDay(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewManual(t0) // day 0, 15:00
		s := start(t, db, clk)
		u := s.user(t, "saver", 2_000_000)
		fixed := s.savings(t, u, "fixed", 10_000, clk.Now())
		free := s.savings(t, u, "free", 0, clk.Now())
		s.must(t, u, ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: free.ID, Amount: 1_000_000})
		day := func(n int) string { return dayAt(n, 12).Format(time.DateOnly) }

		clk.Set(dayAt(10, 3))
		s.run(t)
		f, r := s.account(t, u, fixed.ID), s.account(t, u, free.ID)
		if f.InstallmentDay != day(9) || f.Principal != 9*10_000 || f.MissedInstallments != 0 {
			t.Fatalf("fixed: installments through %s, principal %d, missed %d; want through %s, 90,000, none",
				f.InstallmentDay, f.Principal, f.MissedInstallments, day(9))
		}
		if f.InterestDay != day(8) || r.InterestDay != day(8) {
			t.Fatalf("interest through %s (fixed) and %s (free), want %s", f.InterestDay, r.InterestDay, day(8))
		}
		// Fixed, 5%: days 0–8 closed on 0, 10,000, …, 80,000.
		// Free, 3%: nine days on 1,000,000.
		if want := int64(36 * 10_000 * 500 / 3_650_000); f.InterestPaid != want {
			t.Fatalf("fixed paid %d interest, want %d", f.InterestPaid, want)
		}
		if want := int64(9 * 1_000_000 * 300 / 3_650_000); r.InterestPaid != want {
			t.Fatalf("free paid %d interest, want %d", r.InterestPaid, want)
		}
		if n := kinds(t, db, fixed.ID)[string(ledger.TxnInstallment)]; n != 9 {
			t.Fatalf("%d installment entries, want one for each of days 1–9", n)
		}
		if n := kinds(t, db, free.ID)[string(ledger.TxnInterest)]; n != 9 {
			t.Fatalf("%d interest entries on free savings, want one for each of days 0–8", n)
		}
		dbtest.Audit(t, db)

		// Later that day the day's own runs come.
		clk.Set(dayAt(10, 9))
		s.run(t)
		if f := s.account(t, u, fixed.ID); f.InstallmentDay != day(10) || f.InterestDay != day(9) {
			t.Fatalf("at 09:00 on day 10: installments through %s, interest through %s", f.InstallmentDay, f.InterestDay)
		}
		dbtest.Audit(t, db)
	})
}

// kinds counts an account's history entries by kind.
func kinds(t *testing.T, db *store.DB, account int64) map[string]int {
	t.Helper()
	page, err := db.History(context.Background(), account, store.HistoryFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, h := range page {
		out[h.Kind]++
	}
	return out
}

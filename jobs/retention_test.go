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

// With the clock moved thirteen months on, the oldest month of history is
// gone, history starts twelve months back, events 30 days back, and the
// audit still proves every balance (including the pending hold and
// savings) and every kept event.
func TestHistoryRetention(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0) // 2026-11-24
		s := start(t, db, clk)
		a, b := s.user(t, "a", 1_000_000), s.user(t, "b", 0)
		sav := s.savings(t, a, "free", 0, clk.Now())
		s.must(t, a, ledger.Deposit{User: a.ID, Main: a.MainAccount, Savings: sav.ID, Amount: 100_000})
		s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 50_000})
		// One transfer each following month, and one left pending at the end.
		for m := 1; m <= 13; m++ {
			clk.Set(time.Date(2026, time.Month(11+m), 10, 12, 0, 0, 0, seoul))
			s.run(t)
			s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: int64(m)})
		}
		clk.Set(time.Date(2027, 12, 24, 12, 0, 0, 0, seoul)) // 13 months after t0
		s.run(t)
		s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 7_000, RequireAcceptance: yes})

		history := func(u store.User, account int64) []store.HistoryEntry {
			var all []store.HistoryEntry
			var before store.HistoryCursor
			for {
				page, err := db.History(ctx, account, store.HistoryFilter{Before: before, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, page...)
				if len(page) < 100 {
					return all
				}
				before = page[len(page)-1].Cursor()
			}
		}
		hb := history(b, b.MainAccount)
		oldestKept := time.Date(2026, 12, 1, 0, 0, 0, 0, seoul)
		for _, h := range hb {
			if h.At.Before(oldestKept) {
				t.Fatalf("entry of %s survived; history should start %s", h.At, oldestKept)
			}
		}
		// b received 13 monthly transfers (Dec 2026 … Dec 2027); the 50,000
		// of November 2026 is gone from history but not from the balance.
		if len(hb) != 13 || s.balance(t, b) != 50_000+91 {
			t.Fatalf("b: %d entries, balance %d", len(hb), s.balance(t, b))
		}
		ha := history(a, a.MainAccount)
		for _, h := range ha {
			if h.At.Before(oldestKept) {
				t.Fatalf("a's entry of %s survived", h.At)
			}
		}
		// The rows are gone from the database, not just hidden.
		if oldest, err := db.OldestEntry(ctx); err != nil || oldest.Before(oldestKept) {
			t.Fatalf("oldest stored entry %s (%v), want none before %s", oldest, err, oldestKept)
		}
		// Events are kept 30 days: b's are December's transfer and the
		// pending one.
		events, err := db.Events(ctx, b.ID, store.EventFilter{Limit: 100})
		if err != nil || len(events) != 2 {
			t.Fatalf("b's events %+v %v, want the last two", events, err)
		}
		for _, ev := range events {
			if ev.OccurredAt.Before(clk.Now().Add(-store.EventRetention)) {
				t.Fatalf("event of %s survived", ev.OccurredAt)
			}
		}
		r := dbtest.Audit(t, db)
		if r.UserMoney != 1_000_000+s.account(t, a, sav.ID).InterestPaid-7_000 {
			t.Fatalf("user money %d", r.UserMoney)
		}
		// Retention ran once per month: folding again changes nothing.
		if months, err := db.ExpireHistory(ctx, clk.Now(), seoul); err != nil || len(months) != 0 {
			t.Fatalf("second expiry: %v %v", months, err)
		}
		dbtest.Audit(t, db)
	})
}

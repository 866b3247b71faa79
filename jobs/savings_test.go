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

// at04 is 04:00 KST n days after t0's day.
func dayAt(n int, hour int) time.Time {
	d := time.Date(t0.Year(), t0.Month(), t0.Day(), hour, 0, 0, 0, seoul)
	return d.AddDate(0, 0, n)
}

func (s *server) savings(t *testing.T, u store.User, product string, daily int64, now time.Time) *ledger.Account {
	t.Helper()
	a, err := s.db.OpenSavings(context.Background(), u.ID, product, daily, store.DefaultMaxSavings, now, seoul)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (s *server) account(t *testing.T, u store.User, id int64) *ledger.Account {
	t.Helper()
	a, err := s.db.Account(context.Background(), u.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A year of daily interest on a changing principal pays exactly the
// closed form: floor(Σ closing principal of each day × rate / 365), with a
// restart in the middle and every day's run repeated.
func TestInterestOverAYearIsExact(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string, clk *clock.Manual) {
		// The clock starts at t0: day 0, 15:00.
		boot := func() *server { return boot(t, url, clk) }
		s := boot()
		u := s.user(t, "saver", 3_000_000)
		sav := s.savings(t, u, "free", 0, clk.Now())
		deposit := func(amount int64) {
			s.must(t, u, ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: sav.ID, Amount: amount})
		}
		deposit(1_234_567)
		// Principal changes on given days (at 12:00), the closing
		// principal of every day is what accrues.
		changes := map[int]int64{40: 500_000, 100: -300_000, 200: 1_000_001, 300: -2_000_000}
		principal, sum := int64(1_234_567), int64(0)
		const rate = 300 // free savings, basis points
		for d := 0; d < 365; d++ {
			if d > 0 {
				clk.Set(dayAt(d, 4))
				s.run(t)
				s.run(t) // a second run the same day pays nothing more
			}
			if d == 180 {
				s.w.Close()
				s = boot()
				s.run(t)
			}
			if c, ok := changes[d]; ok {
				clk.Set(dayAt(d, 12))
				if c > 0 {
					s.must(t, u, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: min(c, ledger.DailyChargeLimit)})
					deposit(c)
				} else {
					s.must(t, u, ledger.Withdraw{User: u.ID, Main: u.MainAccount, Savings: sav.ID, Amount: -c})
				}
				principal += c
			}
			sum += principal * rate
		}
		clk.Set(dayAt(365, 4)) // pays day 364
		s.run(t)
		a := s.account(t, u, sav.ID)
		want := sum / 3_650_000
		if a.InterestPaid != want || a.Principal != principal {
			t.Fatalf("interest paid %d (principal %d), want exactly %d (principal %d)", a.InterestPaid, a.Principal, want, principal)
		}
		if a.Balance != principal+want {
			t.Fatalf("balance %d, want principal %d + interest %d", a.Balance, principal, want)
		}
		dbtest.Audit(t, s.db)
	})
}

// Interest over a year on a constant principal is floor(P × rate × 365 /
// 365) — the per-day fractions are carried, never lost.
func TestInterestClosedForm(t *testing.T) {
	for _, p := range []int64{1, 99, 12_345, 1_000_000, 2_999_999} {
		var paid, carry int64
		for range 365 {
			var pay int64
			pay, carry = ledger.Interest(p, 500, 1, carry)
			paid += pay
		}
		if want := p * 500 * 365 / 3_650_000; paid != want {
			t.Errorf("principal %d: paid %d over a year, want %d", p, paid, want)
		}
	}
}

func TestInstallments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewManual(t0)
		s := start(t, db, clk)
		u := s.user(t, "fixer", 29_999)
		sav := s.savings(t, u, "fixed", 30_000, clk.Now())
		// Day 1 08:00: main is short by 1 → 10,000 is charged first.
		clk.Set(dayAt(1, 8))
		s.run(t)
		a := s.account(t, u, sav.ID)
		if a.Balance != 30_000 || s.balance(t, u) != 9_999 {
			t.Fatalf("after day 1: savings %d main %d", a.Balance, s.balance(t, u))
		}
		// Spend today's limit, so day 2's top-up is impossible... on day 2.
		clk.Set(dayAt(2, 7))
		lim, _ := db.ChargeLimit(context.Background(), u.ID, clk.Now(), seoul)
		s.must(t, u, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: lim.Remaining})
		other := s.user(t, "sink", 0)
		s.must(t, u, ledger.Transfer{User: u.ID, From: u.MainAccount, To: other.MainAccount, Amount: s.balance(t, u) - 5})
		clk.Set(dayAt(2, 8))
		s.run(t)
		a = s.account(t, u, sav.ID)
		if a.MissedInstallments != 1 || s.balance(t, u) != 5 || a.Principal != 30_000 {
			t.Fatalf("day 2: missed %d main %d principal %d", a.MissedInstallments, s.balance(t, u), a.Principal)
		}
		if s.inbox(t, u, ledger.NoticeInstallmentMissed) != 1 {
			t.Fatal("no missed-installment notification")
		}
		// Day 3: a fresh limit: charged 30,000 (shortfall 29,995 rounded up).
		clk.Set(dayAt(3, 8))
		s.run(t)
		s.run(t)
		a = s.account(t, u, sav.ID)
		if a.Principal != 60_000 || s.balance(t, u) != 5 {
			t.Fatalf("day 3: principal %d main %d", a.Principal, s.balance(t, u))
		}
		// Fixed savings refuse manual deposits and withdrawals.
		if _, err := s.w.Do(context.Background(), u.ID, store.Idempotency{}, ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: sav.ID, Amount: 1}); err == nil {
			t.Fatal("manual deposit into fixed savings accepted")
		}
		dbtest.Audit(t, db)
	})
}

// Two servers running the 04:00 and 08:00 jobs at once: every account is
// paid and debited exactly once per day; after downtime each missed day
// is caught up once, in order.
func TestDailyJobsTwoServersAndCatchUp(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string, clk *clock.Manual) {
		servers := []*server{boot(t, url, clk), boot(t, url, clk)}
		s := servers[0]
		type holder struct {
			u   store.User
			sav *ledger.Account
		}
		var hs []holder
		for i := range 40 {
			u := s.user(t, "h"+string(rune('a'+i%26))+string(rune('a'+i/26)), 2_000_000)
			s.must(t, u, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 10_000})
			hs = append(hs, holder{u, s.savings(t, u, "fixed", 10_000, clk.Now())})
		}
		for d := 1; d <= 3; d++ {
			clk.Set(dayAt(d, 4))
			runTogether(t, servers)
			clk.Set(dayAt(d, 8))
			runTogether(t, servers)
		}
		// Down from day 3 08:00 to day 7 10:00: days 4–7 are caught up.
		clk.Set(dayAt(7, 10))
		runTogether(t, servers)
		s.run(t) // whatever the busy server left, the next tick finishes
		for _, h := range hs {
			a := s.account(t, h.u, h.sav.ID)
			if a.Principal != 7*10_000 || a.InstallmentDay != ledger.BusinessDay(dayAt(7, 8), seoul) {
				t.Fatalf("%s: principal %d through %s, want 7 installments", h.u.Username, a.Principal, a.InstallmentDay)
			}
			// Day d's closing principal is d installments (day 0: none):
			// interest for days 0..6 = Σ d×10,000×500 / 3,650,000.
			var sum int64
			for d := int64(0); d <= 6; d++ {
				sum += d * 10_000 * 500
			}
			if a.InterestPaid != sum/3_650_000 || a.InterestDay != ledger.BusinessDay(dayAt(6, 0), seoul) {
				t.Fatalf("%s: interest %d through %s, want %d", h.u.Username, a.InterestPaid, a.InterestDay, sum/3_650_000)
			}
			if s.balance(t, h.u) != 2_010_000-7*10_000 {
				t.Fatalf("%s: main %d", h.u.Username, s.balance(t, h.u))
			}
		}
		dbtest.Audit(t, s.db)
	})
}

package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

func TestPendingMoneyIsNotSpendable(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		s := start(t, db, clock.NewManual(t0))
		a, b := s.user(t, "a", 30_000), s.user(t, "b", 0)
		if r := s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 20_000, RequireAcceptance: yes}); r.Receipt.Status != ledger.TransferPending || !r.Receipt.ExpiresAt.Equal(t0.Add(72*time.Hour)) {
			t.Fatalf("pending receipt %+v", r)
		}
		// 10,000 is available: 10,001 needs an auto-charge, 10,000 does not.
		if r := s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 10_001}); r.Receipt.Charged != 10_000 {
			t.Fatalf("10,001 with 10,000 available: charged %d, want 10,000", r.Receipt.Charged)
		}
		if r := s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 9_999}); r.Receipt.Charged != 0 {
			t.Fatalf("9,999 with 9,999 available: charged %d", r.Receipt.Charged)
		}
		if s.balance(t, b) != 20_000 || s.balance(t, a) != 0 {
			t.Fatalf("balances a=%d b=%d", s.balance(t, a), s.balance(t, b))
		}
		// The setting makes transfers pending by default; the option overrides it.
		if _, err := db.SetTransfersRequireAcceptance(context.Background(), a.ID, true); err != nil {
			t.Fatal(err)
		}
		s.must(t, a, ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: 20_000})
		if r := s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 10_000}); r.Receipt.Status != ledger.TransferPending {
			t.Fatalf("with the setting on: %s", r.Receipt.Status)
		}
		no := false
		if r := s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 10_000, RequireAcceptance: &no}); r.Receipt.Status != ledger.TransferCompleted {
			t.Fatalf("with the option off: %s", r.Receipt.Status)
		}
		dbtest.Audit(t, db)
	})
}

// Accept, reject, cancel and the expiry sweep race on 200 pending
// transfers; half are exactly at their deadline (only expiry may win),
// half one second short of it (expiry must not win).
func TestPendingOutcomesRace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewManual(t0)
		s := start(t, db, clk)
		const n = 200
		senders := make([]store.User, 10)
		for i := range senders {
			senders[i] = s.user(t, fmt.Sprintf("s%d", i), 200_000)
		}
		receiver := s.user(t, "r", 0)
		ids := make([]int64, n)
		from := make([]store.User, n)
		for i := range n {
			if i == n/2 {
				clk.Advance(time.Second)
			}
			from[i] = senders[i%len(senders)]
			ids[i] = s.must(t, from[i], ledger.Transfer{User: from[i].ID, From: from[i].MainAccount, To: receiver.MainAccount, Amount: int64(1000 + i), RequireAcceptance: yes}).TransferID
		}
		clk.Set(t0.Add(72 * time.Hour))

		var wg sync.WaitGroup
		wins := make([][]string, n)
		var mu sync.Mutex
		try := func(i int, name string, u store.User, cmd ledger.Command) {
			_, err := s.w.Do(context.Background(), u.ID, store.Idempotency{}, cmd)
			switch errs.CodeOf(err) {
			case "":
				mu.Lock()
				wins[i] = append(wins[i], name)
				mu.Unlock()
			case errs.Conflict, errs.Expired:
			default:
				t.Errorf("transfer %d %s: %v", i, name, err)
			}
		}
		for i, id := range ids {
			wg.Go(func() { try(i, "accept", receiver, ledger.Accept{User: receiver.ID, Transfer: id}) })
			wg.Go(func() { try(i, "reject", receiver, ledger.Reject{User: receiver.ID, Transfer: id}) })
			wg.Go(func() { try(i, "cancel", from[i], ledger.Cancel{User: from[i].ID, Transfer: id}) })
		}
		wg.Go(func() {
			if err := s.sched.RunDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if err := s.sched.RunDue(context.Background()); err != nil { // nothing may be left due
			t.Fatal(err)
		}

		var accepted int64
		statuses := map[string]int{}
		defer func() { t.Log("outcomes:", statuses) }()
		for i, id := range ids {
			tr, err := db.Transfer(context.Background(), receiver.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			want := len(wins[i])
			if tr.Status == ledger.TransferExpired {
				want++ // the sweep's win is not in wins
			}
			if want != 1 {
				t.Fatalf("transfer %d (%s): outcomes %v", i, tr.Status, wins[i])
			}
			if i < n/2 && tr.Status != ledger.TransferExpired {
				t.Fatalf("transfer %d at its deadline ended %s, want expired", i, tr.Status)
			}
			if i >= n/2 && tr.Status == ledger.TransferExpired {
				t.Fatalf("transfer %d a second before its deadline expired", i)
			}
			statuses[tr.Status]++
			if tr.Status == ledger.TransferAccepted {
				accepted += tr.Amount
			}
		}
		if got := s.balance(t, receiver); got != accepted {
			t.Fatalf("receiver holds %d, accepted transfers sum to %d", got, accepted)
		}
		var total int64
		for _, u := range senders {
			total += s.balance(t, u)
		}
		if total+accepted != int64(len(senders))*200_000 {
			t.Fatalf("senders hold %d + accepted %d != funded %d", total, accepted, len(senders)*200_000)
		}
		dbtest.Audit(t, db)
	})
}

// The reminder comes at 48 h exactly once and expiry at 72 h returns the
// money, with the server restarted in between: the state is in the
// database, not in timers.
func TestReminderAndExpiryAcrossRestart(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string, clk *clock.Manual) {
		boot := func() *server { return boot(t, url, clk) }
		s := boot()
		a, b := s.user(t, "a", 50_000), s.user(t, "b", 0)
		s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 50_000, RequireAcceptance: yes})
		clk.Set(t0.Add(48*time.Hour - time.Second))
		s.run(t)
		if s.inbox(t, b, ledger.NoticePendingReminder) != 0 {
			t.Fatal("reminder before 48 h")
		}
		clk.Set(t0.Add(48 * time.Hour))
		s.run(t)
		s.run(t)
		s.w.Close()
		s = boot() // restart
		s.run(t)
		if got := s.inbox(t, b, ledger.NoticePendingReminder); got != 1 {
			t.Fatalf("%d reminders, want 1", got)
		}
		clk.Set(t0.Add(72*time.Hour - time.Second))
		s.run(t)
		if s.balance(t, a) != 0 {
			t.Fatal("returned before 72 h")
		}
		s.w.Close()
		s = boot() // restart again, then the deadline passes while "down"
		clk.Set(t0.Add(80 * time.Hour))
		s.run(t)
		if s.balance(t, a) != 50_000 || s.balance(t, b) != 0 {
			t.Fatalf("after expiry a=%d b=%d", s.balance(t, a), s.balance(t, b))
		}
		if s.inbox(t, a, ledger.NoticePendingReturned) != 1 || s.inbox(t, b, ledger.NoticePendingReminder) != 1 {
			t.Fatal("expected one return notice to the sender and still one reminder")
		}
		// Returned money is not a charge: the limit is untouched by it.
		lim, _ := s.db.ChargeLimit(context.Background(), a.ID, clk.Now(), seoul)
		if lim.Used != 0 {
			t.Fatalf("returned money used %d of the (new day's) limit", lim.Used)
		}
		dbtest.Audit(t, s.db)
	})
}

// Two servers run the same sweeps at once on one database.
func TestTwoSchedulersOneDatabase(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string, clk *clock.Manual) {
		servers := []*server{boot(t, url, clk), boot(t, url, clk)}
		s := servers[0]
		a, b := s.user(t, "a", 1_000_000), s.user(t, "b", 0)
		const n = 300
		for range n {
			s.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 1_000, RequireAcceptance: yes})
		}
		for _, at := range []time.Duration{48 * time.Hour, 72 * time.Hour} {
			clk.Set(t0.Add(at))
			runTogether(t, servers)
		}
		var reminders int
		for before := int64(0); ; {
			page, err := s.db.Notifications(context.Background(), b.ID, false, before, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page {
				if x.Kind == ledger.NoticePendingReminder {
					reminders++
				}
			}
			if len(page) < 100 {
				break
			}
			before = page[len(page)-1].ID
		}
		if reminders != n {
			t.Fatalf("%d reminders for %d transfers", reminders, n)
		}
		if s.balance(t, a) != 1_000_000 || s.balance(t, b) != 0 {
			t.Fatalf("a=%d b=%d after expiry", s.balance(t, a), s.balance(t, b))
		}
		if r := dbtest.Audit(t, s.db); r.Transactions != 1+2*n {
			t.Fatalf("%d transactions, want %d (no double return)", r.Transactions, 1+2*n)
		}
	})
}

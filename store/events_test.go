package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"minipay/errs"
	"minipay/ledger"
	"minipay/names"
	"minipay/store"
	"minipay/store/dbtest"
)

// lastEvent is the newest event of typ that users[0] reads, checked to
// concern exactly users, each reading it.
func lastEvent(t *testing.T, e env, typ string, users ...store.User) store.Event {
	t.Helper()
	ctx := context.Background()
	page, err := e.DB.Events(ctx, users[0].ID, store.EventFilter{Type: typ, Limit: 1})
	if err != nil || len(page) != 1 {
		t.Fatalf("%s for %s: %v %v", typ, users[0].Username, page, err)
	}
	ev := page[0]
	got, err := store.ColumnForTest(e.DB, fmt.Sprintf(`SELECT user_id FROM events WHERE id = %d ORDER BY user_id`, ev.ID))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, u := range users {
		want = append(want, strconv.FormatInt(u.ID, 10))
		if _, err := e.DB.Event(ctx, u.ID, ev.ID); err != nil {
			t.Fatalf("%s %d for %s: %v", typ, ev.ID, u.Username, err)
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s %d concerns users %v, want %v", typ, ev.ID, got, want)
	}
	return ev
}

// count is the first column of query's one row, a number.
func count(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	got, err := store.ColumnForTest(db, query)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(got[0])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const countEvents = `SELECT COUNT(DISTINCT id) FROM events`

// TestEventsOfMoneyAndTransfers: each change of money or of a transfer has
// its event, for the right users, with the ids of what it reports.
func TestEventsOfMoneyAndTransfers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a, b, c := e.User(t, "eva"), e.User(t, "eli"), e.User(t, "eun")

		r := e.must(t, a, ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: 40_000})
		ev := lastEvent(t, e, store.EventChargeSucceeded, a)
		if ev.TransactionID != r.TransactionID || ev.AccountID != a.MainAccount || ev.Data.Amount != 40_000 || !ev.OccurredAt.Equal(e.Clock.Now()) {
			t.Fatalf("charge event %+v", ev)
		}

		// 70,000 from 40,000: an automatic charge of 30,000 first, its own
		// event for the sender alone.
		r = e.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 70_000, DisplayName: "E.", Memo: "rent"})
		ev = lastEvent(t, e, store.EventChargeSucceeded, a)
		if ev.TransactionID != r.ChargeID || ev.Data.Amount != 30_000 {
			t.Fatalf("auto-charge event %+v, charge %d", ev, r.ChargeID)
		}
		ev = lastEvent(t, e, store.EventTransferCompleted, b, a)
		if ev.TransactionID != r.TransactionID || ev.TransferID != r.TransferID || ev.Data.Amount != 70_000 ||
			ev.Data.DisplayName != "E." || ev.Data.Memo != "rent" || ev.Data.ToAccount != b.MainAccount || ev.Data.Status != ledger.TransferCompleted {
			t.Fatalf("transfer event %+v", ev)
		}

		pending := func(from, to store.User) outcome {
			t.Helper()
			yes := true
			r := e.must(t, from, ledger.Transfer{User: from.ID, From: from.MainAccount, To: to.MainAccount, Amount: 1_000, RequireAcceptance: &yes})
			ev := lastEvent(t, e, store.EventTransferPending, to, from)
			if ev.TransferID != r.TransferID || ev.TransactionID != r.TransactionID || !ev.Data.ExpiresAt.Equal(r.ExpiresAt) {
				t.Fatalf("pending event %+v, result %+v", ev, r)
			}
			return r
		}
		resolved := func(typ string, r outcome) {
			t.Helper()
			ev := lastEvent(t, e, typ, a, c)
			if ev.TransferID != r.TransferID || ev.Data.Amount != 1_000 || "transfer."+ev.Data.Status != typ {
				t.Fatalf("%s event %+v", typ, ev)
			}
		}
		p := pending(a, c)
		e.must(t, c, ledger.Accept{User: c.ID, Transfer: p.TransferID})
		resolved("transfer.accepted", p)
		p = pending(a, c)
		e.must(t, c, ledger.Reject{User: c.ID, Transfer: p.TransferID})
		resolved("transfer.rejected", p)
		// The notices name the other party, masked, from the transfer's
		// row: the batch locks only the account credited.
		noticeNames := func(u, other store.User) {
			t.Helper()
			ns, err := db.Notifications(ctx, u.ID, false, 0, 1)
			if err != nil || len(ns) != 1 || ns[0].CounterpartyMasked != names.Mask(other.Name) {
				t.Fatalf("notice of %s: %+v %v, want %q named", u.Username, ns, err, names.Mask(other.Name))
			}
		}
		p = pending(a, c)
		e.must(t, a, ledger.Cancel{User: a.ID, Transfer: p.TransferID})
		resolved("transfer.cancelled", p)
		noticeNames(c, a)

		p = pending(a, c)
		e.Clock.Advance(49 * time.Hour)
		if n, err := db.RemindPending(ctx, e.Clock.Now(), 10); err != nil || n != 1 {
			t.Fatalf("reminders %d %v", n, err)
		}
		ev = lastEvent(t, e, store.EventTransferReminder, c)
		if ev.TransferID != p.TransferID || ev.TransactionID != 0 || ev.Data.Amount != 1_000 {
			t.Fatalf("reminder event %+v", ev)
		}
		e.Clock.Advance(24 * time.Hour)
		// An expiry names the sender's account, the one it holds.
		if _, err := e.W.Do(ctx, 0, store.Idempotency{}, ledger.Expire{Transfer: p.TransferID, From: c.MainAccount}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("an expiry naming the receiver's account: %v", err)
		}
		if _, err := e.W.Do(ctx, 0, store.Idempotency{}, ledger.Expire{Transfer: p.TransferID, From: a.MainAccount}); err != nil {
			t.Fatal(err)
		}
		resolved("transfer.expired", p)
		noticeNames(a, c)
		dbtest.Audit(t, db)
	})
}

// TestEventsOfSettlementsAndSavings: settlements and savings, including
// the changes that move no money.
func TestEventsOfSettlementsAndSavings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req, a, b := e.User(t, "sara"), e.User(t, "sam"), e.User(t, "sol")
		id, err := db.CreateSettlement(ctx, req, 30_000, "equal",
			[]store.NewShare{{User: a, Amount: 10_000}, {User: b, Amount: 10_000}, {User: req, Amount: 10_000}}, roomy, e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		ev := lastEvent(t, e, store.EventSettlementRequested, a, req, b)
		if ev.SettlementID != id || ev.Data.Amount != 10_000 || ev.Data.Mode != "equal" {
			t.Fatalf("requested event as a participant reads it %+v", ev)
		}
		if mine, _ := db.Event(ctx, req.ID, ev.ID); mine.Data.Amount != 30_000 {
			t.Fatalf("the requester reads %+v, want the total", mine)
		}
		st, err := db.Settlement(ctx, req.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		r := e.must(t, a, ledger.PayShare{User: a.ID, Main: a.MainAccount, Settlement: id, Share: st.Shares[0].ID})
		ev = lastEvent(t, e, store.EventSharePaid, a, req)
		if ev.SettlementID != id || ev.TransferID != r.TransferID || ev.TransactionID != r.TransactionID || ev.Data.ShareID != st.Shares[0].ID {
			t.Fatalf("share paid event %+v", ev)
		}
		if page, _ := db.Events(ctx, req.ID, store.EventFilter{Type: store.EventSettlementCompleted, Limit: 1}); len(page) != 0 {
			t.Fatalf("completed with a share open: %+v", page)
		}
		e.must(t, b, ledger.DeclineShare{User: b.ID, Settlement: id, Share: st.Shares[1].ID})
		ev = lastEvent(t, e, store.EventShareDeclined, b, req)
		if ev.SettlementID != id || ev.TransactionID != 0 || ev.Data.Amount != 10_000 {
			t.Fatalf("declined event %+v", ev)
		}
		ev = lastEvent(t, e, store.EventSettlementCompleted, req)
		if ev.SettlementID != id || ev.Data.Status != "closed" || ev.Data.Amount != 20_000 {
			t.Fatalf("completed event %+v", ev)
		}

		// Savings: open, deposit, a day's interest, withdraw, close.
		u := e.User(t, "sue")
		e.fund(t, u, 2_000_000)
		s, err := db.OpenSavings(ctx, u.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		if ev := lastEvent(t, e, store.EventSavingsOpened, u); ev.AccountID != s.ID || ev.Data.Product != "free" {
			t.Fatalf("opened event %+v", ev)
		}
		r = e.must(t, u, ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: s.ID, Amount: 1_000_000})
		if ev := lastEvent(t, e, store.EventSavingsDeposit, u); ev.TransactionID != r.TransactionID || ev.AccountID != s.ID || ev.Data.Amount != 1_000_000 {
			t.Fatalf("deposit event %+v", ev)
		}
		e.Clock.Advance(24 * time.Hour)
		r = e.must(t, u, ledger.Withdraw{User: u.ID, Main: u.MainAccount, Savings: s.ID, Amount: 100_000})
		if ev := lastEvent(t, e, store.EventSavingsWithdrawal, u); ev.TransactionID != r.TransactionID || ev.Data.Amount != 100_000 {
			t.Fatalf("withdrawal event %+v", ev)
		}
		if ev := lastEvent(t, e, store.EventSavingsInterestPaid, u); ev.TransactionID == 0 || ev.Data.Amount != 82 || ev.Data.Day != "2026-11-24" {
			t.Fatalf("interest event %+v (1,000,000 at 3%% for a day is 82 won)", ev)
		}
		r = e.must(t, u, ledger.Close{User: u.ID, Main: u.MainAccount, Savings: s.ID})
		if ev := lastEvent(t, e, store.EventSavingsClosed, u); ev.TransactionID != r.TransactionID || ev.Data.Amount != r.Amount {
			t.Fatalf("closed event %+v, receipt %+v", ev, r)
		}
		empty, err := db.OpenSavings(ctx, u.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		e.must(t, u, ledger.Close{User: u.ID, Main: u.MainAccount, Savings: empty.ID})
		if ev := lastEvent(t, e, store.EventSavingsClosed, u); ev.AccountID != empty.ID || ev.TransactionID != 0 || ev.Data.Amount != 0 {
			t.Fatalf("empty account's closed event %+v", ev)
		}

		// Fixed savings: an installment taken, then one missed (main empty
		// and the day's charge limit spent).
		f, err := db.OpenSavings(ctx, u.ID, "fixed", 10_000, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(24 * time.Hour)
		today := ledger.BusinessDay(e.Clock.Now(), seoul)
		r = e.must(t, u, ledger.Installment{Savings: f.ID, Main: u.MainAccount, Through: today})
		if ev := lastEvent(t, e, store.EventSavingsInstallment, u); ev.TransactionID != r.TransactionID || ev.Data.Day != today || ev.Data.Amount != 10_000 {
			t.Fatalf("installment event %+v", ev)
		}
		e.Clock.Advance(24 * time.Hour)
		today = ledger.BusinessDay(e.Clock.Now(), seoul)
		main, err := db.Account(ctx, u.ID, u.MainAccount)
		if err != nil {
			t.Fatal(err)
		}
		e.must(t, u, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: ledger.DailyChargeLimit})
		e.must(t, u, ledger.Transfer{User: u.ID, From: u.MainAccount, To: req.MainAccount, Amount: main.Balance + ledger.DailyChargeLimit})
		if r := e.must(t, u, ledger.Installment{Savings: f.ID, Main: u.MainAccount, Through: today}); r.Status != ledger.InstallmentMissed {
			t.Fatalf("installment %+v, want missed", r)
		}
		if ev := lastEvent(t, e, store.EventSavingsInstallmentMiss, u); ev.TransactionID != 0 || ev.Data.Day != today || ev.Data.Reason == "" {
			t.Fatalf("missed event %+v", ev)
		}
		dbtest.Audit(t, db)
	})
}

// TestRejectedCommandsWriteNoEvents: a refused command (or a replay)
// writes no event, also when it shares its batch with accepted ones.
func TestRejectedCommandsWriteNoEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b := e.User(t, "rita"), e.User(t, "rob")
		e.fund(t, a, 10_000)
		before := count(t, db, countEvents)
		for _, cmd := range []ledger.Command{
			ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: ledger.DailyChargeLimit},
			ledger.Transfer{User: a.ID, From: a.MainAccount, To: a.MainAccount, Amount: 1},
			ledger.Accept{User: a.ID, Transfer: 999_999},
		} {
			if _, _, err := e.do(t, a, "", cmd); err == nil {
				t.Fatalf("%T was accepted", cmd)
			}
		}
		if after := count(t, db, countEvents); after != before {
			t.Fatalf("%d events after refused commands, %d before", after, before)
		}
		// A replay moves nothing and so reports nothing.
		for range 2 {
			if _, _, err := e.do(t, a, "once", ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: 1}); err != nil {
				t.Fatal(err)
			}
		}
		if after := count(t, db, countEvents); after != before+1 {
			t.Fatalf("%d events after a charge and its replay, %d before", after, before)
		}
		before++

		got := store.BatchForTest(e.W, a.ID,
			ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 0},
			ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 2_000},
			ledger.Charge{User: a.ID, Account: b.MainAccount, Amount: 1})
		if errs.CodeOf(got[0]) != errs.Invalid || got[1] != nil || errs.CodeOf(got[2]) != errs.Forbidden {
			t.Fatalf("batch outcomes %v", got)
		}
		// The accepted transfer's event alone.
		if after := count(t, db, countEvents); after != before+1 {
			t.Fatalf("%d events after the batch, %d before", after, before)
		}
		lastEvent(t, e, store.EventTransferCompleted, a, b)
		dbtest.Audit(t, db)
	})
}

// TestEventsUnderConcurrentSenders: real concurrent senders; every
// movement has exactly one event (the audit), money is conserved, and each
// user reads their events in the order their money moved.
func TestEventsUnderConcurrentSenders(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		users := e.users(t, "cs", 8)
		for _, u := range users {
			e.fund(t, u, 100_000)
		}
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				for range 25 {
					to := users[rng.IntN(len(users))]
					_, _, err := e.do(t, u, "", ledger.Transfer{User: u.ID, From: u.MainAccount, To: to.MainAccount, Amount: 1 + rng.Int64N(5_000)})
					if err != nil && errs.CodeOf(err) != errs.Invalid { // to oneself
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		r := dbtest.Audit(t, db)
		if r.UserMoney != int64(len(users))*100_000 {
			t.Fatalf("user money %d, want %d", r.UserMoney, len(users)*100_000)
		}
		txns, events := count(t, db, `SELECT COUNT(*) FROM transactions`), count(t, db, `SELECT COUNT(DISTINCT id) FROM events WHERE transaction_id IS NOT NULL`)
		if txns != events || txns < 8+len(users)*20 {
			t.Fatalf("%d transactions, %d events reporting one", txns, events)
		}
		for _, u := range users {
			page, err := db.Events(ctx, u.ID, store.EventFilter{Forward: true, Fence: 1 << 62, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(page); i++ {
				if page[i].TransactionID <= page[i-1].TransactionID {
					t.Fatalf("%s: event %d reports transaction %d after event %d's %d", u.Username,
						page[i].ID, page[i].TransactionID, page[i-1].ID, page[i-1].TransactionID)
				}
			}
		}
	})
}

// TestEventPages: newest first with a cursor, oldest first after an id up
// to the fence, by type; another user's events are invisible.
func TestEventPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a, b, x := e.User(t, "pia"), e.User(t, "pat"), e.User(t, "pix")
		for range 3 {
			e.fund(t, a, 1_000)
			if _, _, err := e.do(t, a, "", ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 500}); err != nil {
				t.Fatal(err)
			}
		}
		fence, ok, err := db.EventFence(ctx)
		if err != nil || !ok {
			t.Fatalf("fence %d %v %v", fence, ok, err)
		}
		all, err := db.Events(ctx, a.ID, store.EventFilter{Limit: 100})
		if err != nil || len(all) != 6 || all[0].ID > fence {
			t.Fatalf("all of pia's events %+v %v (fence %d)", all, err, fence)
		}
		var pages []int64
		for before := int64(0); ; {
			page, err := db.Events(ctx, a.ID, store.EventFilter{Before: before, Limit: 4})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range page {
				pages = append(pages, ev.ID)
			}
			if len(page) < 4 {
				break
			}
			before = page[len(page)-1].ID
		}
		var forward []int64
		for after := int64(0); ; {
			page, err := db.Events(ctx, a.ID, store.EventFilter{Forward: true, After: after, Fence: fence, Limit: 4})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, ev := range page {
				forward = append(forward, ev.ID)
			}
			after = page[len(page)-1].ID
		}
		slices.Reverse(forward)
		if !slices.Equal(pages, forward) || len(pages) != 6 {
			t.Fatalf("newest first %v, oldest first reversed %v", pages, forward)
		}
		if page, _ := db.Events(ctx, a.ID, store.EventFilter{Forward: true, Fence: all[1].ID, Limit: 100}); len(page) != 5 {
			t.Fatalf("%d events up to the fence below the newest, want 5", len(page))
		}
		charges, err := db.Events(ctx, a.ID, store.EventFilter{Type: store.EventChargeSucceeded, Limit: 100})
		if err != nil || len(charges) != 3 {
			t.Fatalf("charges %+v %v", charges, err)
		}
		if page, _ := db.Events(ctx, b.ID, store.EventFilter{Type: store.EventChargeSucceeded, Limit: 100}); len(page) != 0 {
			t.Fatalf("pat reads pia's charges: %+v", page)
		}
		if page, _ := db.Events(ctx, x.ID, store.EventFilter{Limit: 100}); len(page) != 0 {
			t.Fatalf("pix reads others' events: %+v", page)
		}
		if _, err := db.Event(ctx, x.ID, all[0].ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("pix reads event %d: %v", all[0].ID, err)
		}
	})
}

// TestEventRetention: events older than 30 days go, newer ones stay, and
// the audit expects no events for the movements whose events went.
func TestEventRetention(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u := e.User(t, "ron")
		e.fund(t, u, 1_000)
		e.Clock.Advance(20 * 24 * time.Hour)
		e.fund(t, u, 2_000)
		e.Clock.Advance(11 * 24 * time.Hour)
		n, err := db.ExpireEvents(ctx, e.Clock.Now())
		if err != nil || n != 1 {
			t.Fatalf("expired %d %v, want the first charge's event", n, err)
		}
		page, err := db.Events(ctx, u.ID, store.EventFilter{Limit: 10})
		if err != nil || len(page) != 1 || page[0].Data.Amount != 2_000 {
			t.Fatalf("kept %+v %v", page, err)
		}
		dbtest.Audit(t, db)
		// An event id is never handed out twice, even once all are gone.
		e.Clock.Advance(31 * 24 * time.Hour)
		if n, err := db.ExpireEvents(ctx, e.Clock.Now()); err != nil || n != 1 {
			t.Fatalf("expired %d %v", n, err)
		}
		e.fund(t, u, 3_000)
		if ev := lastEvent(t, e, store.EventChargeSucceeded, u); ev.ID <= page[0].ID {
			t.Fatalf("new event id %d after %d", ev.ID, page[0].ID)
		}
		dbtest.Audit(t, db)
	})
}

// TestAuditFindsMissingAndOrphanEvents: the audit notices a movement whose
// event is gone and an event whose movement never committed.
func TestAuditFindsMissingAndOrphanEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.User(t, "ivy")
		r, _, err := e.do(t, u, "", ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1_000})
		if err != nil {
			t.Fatal(err)
		}
		dbtest.Audit(t, db)
		if err := store.TamperForTest(db, fmt.Sprintf(`UPDATE events SET transaction_id = %d WHERE transaction_id = %d`, r.TransactionID+1000, r.TransactionID)); err != nil {
			t.Fatal(err)
		}
		rep, err := db.Audit(context.Background())
		if err != nil || len(rep.Problems) != 2 {
			t.Fatalf("want a transaction without event and an event without transaction: %v %v", rep.Problems, err)
		}
	})
}

// TestSecurityEvents: a login and a password change each record their
// event, for their user, in their own transaction, naming the session and
// its User-Agent and reporting no movement (the audit still holds).
func TestSecurityEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u := e.User(t, "sol")
		now := e.Clock.Now()
		s, err := db.CreateSession(ctx, u.ID, "phone/1.0", now, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		ev := lastEvent(t, e, store.EventSessionCreated, u)
		if ev.Data != (store.EventData{SessionID: s.ID, UserAgent: "phone/1.0"}) || ev.TransactionID != 0 || !ev.OccurredAt.Equal(now) {
			t.Fatalf("session.created %+v, want session %s", ev, s.ID)
		}
		if err := db.ChangePassword(ctx, u.ID, "new hash", s.ID, now); err != nil {
			t.Fatal(err)
		}
		changed := lastEvent(t, e, store.EventPasswordChanged, u)
		if changed.Data != ev.Data || changed.ID <= ev.ID {
			t.Fatalf("password.changed %+v after %+v", changed, ev)
		}
		dbtest.Audit(t, db)
	})
}

// TestEventFenceWaitsOnlyForEventWriters: the read fence stays below an
// event whose transaction (outside the writer) took its id but has not
// committed, though a later id has, and covers it once it commits; a long
// transaction that writes no events does not hold the fence up.
func TestEventFenceWaitsOnlyForEventWriters(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		db := dbtest.OpenURL(t, url)
		e := newEnv(t, db)
		ctx := context.Background()
		u := e.User(t, "fen")
		now := e.Clock.Now()
		if _, err := db.CreateSession(ctx, u.ID, "", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		release := dbtest.Lock(t, url, "job_runs") // an unrelated transaction, left open
		patient, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, ok, err := db.EventFence(patient); !ok || err != nil {
			t.Fatalf("fence beside an unrelated open transaction: %v %v", ok, err)
		}
		release()
		if strings.HasPrefix(url, "sqlite:") {
			return // one writer: no second transaction can take an id meanwhile
		}
		slow, commit, err := store.OpenEventTxForTest(db, u.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateSession(ctx, u.ID, "", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		fence, ok, err := db.EventFence(short)
		cancel()
		if err != nil || ok && fence >= slow {
			t.Fatalf("fence %d (%v, %v) with event %d uncommitted", fence, ok, err, slow)
		}
		if err := commit(); err != nil {
			t.Fatal(err)
		}
		fence, ok, err = db.EventFence(ctx)
		if page, _ := db.Events(ctx, u.ID, store.EventFilter{Forward: true, Fence: fence, Limit: 10}); !ok || err != nil || len(page) != 3 {
			t.Fatalf("after the commit: fence %d (%v, %v), events %+v", fence, ok, err, page)
		}
	})
}

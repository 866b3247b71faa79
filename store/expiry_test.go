package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/jobs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// scheduler runs the scheduled jobs of env's server on its clock.
func (e env) scheduler(t *testing.T) func() {
	s := &jobs.Scheduler{DB: e.DB, Writer: e.W, Clock: e.Clock, Location: clock.Seoul, Log: slog.New(slog.DiscardHandler)}
	return func() {
		t.Helper()
		if err := s.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// column reads one column of rows straight from the database.
func column(t *testing.T, db *store.DB, query string) []string {
	t.Helper()
	out, err := store.ColumnForTest(db, query)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// An Idempotency-Key is remembered for IdempotencyWindow: a retry within
// it replays, a key past it is a new request even before retention has
// deleted its row, and the scheduler deletes the rows of expired keys.
func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		run := e.scheduler(t)
		a, b := e.User(t, "a"), e.User(t, "b")
		e.fund(t, a, 100_000)
		send := func(amount int64) ledger.Command {
			return ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: amount}
		}
		do := func(key string, amount int64) (outcome, bool, error) { return e.do(t, a, key, send(amount)) }
		first, _, err := do("k", 1_000)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := do("unused", 2_000); err != nil {
			t.Fatal(err)
		}

		e.Clock.Advance(store.IdempotencyWindow - time.Second)
		if r, replayed, err := do("k", 1_000); err != nil || !replayed || r.TransferID != first.TransferID {
			t.Fatalf("retry within the window: %+v replayed=%v %v", r, replayed, err)
		}
		if _, _, err := do("k", 5); errs.CodeOf(err) != errs.IdempotencyMismatch {
			t.Fatalf("another request within the window: %v, want idempotency_mismatch", err)
		}

		// Past the window, before any retention run: forgotten.
		e.Clock.Advance(2 * time.Second)
		second, replayed, err := do("k", 5)
		if err != nil || replayed || second.TransferID == first.TransferID {
			t.Fatalf("expired key: %+v replayed=%v %v, want a new transfer", second, replayed, err)
		}
		if r, replayed, err := do("k", 5); err != nil || !replayed || r.TransferID != second.TransferID {
			t.Fatalf("retry of the new request: %+v replayed=%v %v", r, replayed, err)
		}
		if got := e.Balance(t, b, b.MainAccount); got != 1_000+2_000+5 {
			t.Fatalf("b has %d, want 3,005: each request moved money once", got)
		}

		keys := fmt.Sprintf(`SELECT key FROM idempotency_keys WHERE key LIKE '%d:%%' ORDER BY key`, a.ID)
		if got := column(t, db, keys); !slices.Equal(got, []string{fmt.Sprintf("%d:k", a.ID), fmt.Sprintf("%d:unused", a.ID)}) {
			t.Fatalf("keys before retention: %v", got)
		}
		run()
		if got := column(t, db, keys); !slices.Equal(got, []string{fmt.Sprintf("%d:k", a.ID)}) {
			t.Fatalf("keys after retention: %v, want only the fresh k", got)
		}
		e.Clock.Advance(store.IdempotencyWindow + time.Hour)
		run() // a later hour's run: k is a day old now
		if got := column(t, db, keys); len(got) != 0 {
			t.Fatalf("keys a day later: %v", got)
		}
		dbtest.Audit(t, db)
	})
}

// Notifications are kept NotificationWindow: older ones are deleted by
// the scheduler, younger ones stay in the inbox.
func TestNotificationsExpire(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		run := e.scheduler(t)
		a, b := e.User(t, "a"), e.User(t, "b")
		e.fund(t, a, 100_000)
		send := func(amount int64) {
			if _, _, err := e.do(t, a, "", ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: amount}); err != nil {
				t.Fatal(err)
			}
		}
		inbox := func() []int64 {
			ns, err := db.Notifications(context.Background(), b.ID, false, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var amounts []int64
			for _, n := range ns {
				amounts = append(amounts, n.Amount)
			}
			return amounts
		}
		send(1)
		e.Clock.Advance(60 * 24 * time.Hour)
		send(2)
		run()
		if got := inbox(); !slices.Equal(got, []int64{2, 1}) {
			t.Fatalf("inbox after 60 days: %v", got)
		}
		e.Clock.Advance(30*24*time.Hour + time.Hour) // the first is 90 days and an hour old
		run()
		if got := inbox(); !slices.Equal(got, []int64{2}) {
			t.Fatalf("inbox after 90 days: %v, want only the 60-day younger notice", got)
		}
		if got := column(t, db, `SELECT COUNT(*) FROM notifications`); got[0] != "1" {
			t.Fatalf("%s notification rows, want 1", got[0])
		}
	})
}

// Installments and settled settlements go with the history month they
// were recorded in; an open settlement stays; the audit still passes.
func TestRecordsExpireWithHistory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db) // 2026-11-24 15:00
		run := e.scheduler(t)
		req, a, b := e.User(t, "req"), e.User(t, "a"), e.User(t, "b")
		e.fund(t, a, 1_000_000)
		sav, err := db.OpenSavings(ctx, a.ID, "fixed", 1_000, store.DefaultMaxSavings, e.Clock.Now(), clock.Seoul)
		if err != nil {
			t.Fatal(err)
		}
		settle := func(total int64) store.Settlement {
			id, err := db.CreateSettlement(ctx, req, total, "equal", []store.NewShare{{User: a, Amount: total / 2}, {User: b, Amount: total / 2}}, roomy, e.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			st, err := db.Settlement(ctx, req.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		done, open := settle(2_000), settle(4_000)
		paid, _, err := e.do(t, a, "", ledger.PayShare{User: a.ID, Main: a.MainAccount, Settlement: done.ID, Share: done.Shares[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.do(t, b, "", ledger.DeclineShare{User: b.ID, Settlement: done.ID, Share: done.Shares[1].ID}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.do(t, a, "", ledger.PayShare{User: a.ID, Main: a.MainAccount, Settlement: open.ID, Share: open.Shares[0].ID}); err != nil {
			t.Fatal(err)
		}
		// Installments are recorded when taken: those of November 2026 on
		// its last day, December's first two on the 2nd; then the account
		// closes and the clock jumps thirteen months.
		e.Clock.Set(time.Date(2026, 11, 30, 9, 0, 0, 0, clock.Seoul))
		run()
		e.Clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, clock.Seoul))
		run()
		if _, _, err := e.do(t, a, "", ledger.Close{User: a.ID, Main: a.MainAccount, Savings: sav.ID}); err != nil {
			t.Fatal(err)
		}
		e.Clock.Set(time.Date(2027, 12, 24, 12, 0, 0, 0, clock.Seoul))
		run()
		// November 2026 is folded: its installments and the settled
		// settlement are gone; December's installments and the open
		// settlement stay.
		days := column(t, db, fmt.Sprintf(`SELECT day FROM installments WHERE account_id = %d ORDER BY day`, sav.ID))
		if !slices.Equal(days, []string{"2026-12-01", "2026-12-02"}) {
			t.Fatalf("installments kept: %v, want those recorded in December 2026", days)
		}
		if _, err := db.Settlement(ctx, req.ID, done.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("settled settlement of November 2026: %v, want not found", err)
		}
		if st, err := db.Settlement(ctx, req.ID, open.ID); err != nil || st.Shares[0].TransferID == 0 {
			t.Fatalf("open settlement: %+v %v", st, err)
		}
		boundary := time.Date(2026, 12, 1, 0, 0, 0, 0, clock.Seoul).UnixMicro()
		if got := column(t, db, fmt.Sprintf(`SELECT COUNT(*) FROM job_runs WHERE claimed_at < %d`, boundary)); got[0] != "0" {
			t.Fatalf("%s job runs of November 2026 kept", got[0])
		}
		// The transfer that paid the deleted share went with it; the one
		// paying the open settlement stays (checked above by its share).
		if _, err := db.Transfer(ctx, a.ID, paid.TransferID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("the transfer paying the deleted share: %v, want not found", err)
		}
		dbtest.Audit(t, db)
	})
}

// Finished transfers go with their history month: those created and
// settled before the retention boundary, whatever their end (completed,
// rejected, cancelled, expired). A pending one stays however old, and so
// does one created before the boundary but accepted after it, whose
// acceptance is still in history. Reads and the audit are unaffected.
func TestTransfersExpireWithHistory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db) // 2026-11-24 15:00
		a, b, c := e.User(t, "a"), e.User(t, "b"), e.User(t, "c")
		e.fund(t, a, 1_000_000)
		yes := true
		send := func(to store.User, amount int64, pending bool) int64 {
			t.Helper()
			cmd := ledger.Transfer{User: a.ID, From: a.MainAccount, To: to.MainAccount, Amount: amount}
			if pending {
				cmd.RequireAcceptance = &yes
			}
			return e.must(t, a, cmd).TransferID
		}
		completed := send(b, 1_000, false)
		rejected, cancelled, expired := send(c, 2_000, true), send(c, 3_000, true), send(c, 4_000, true)
		e.must(t, c, ledger.Reject{User: c.ID, Transfer: rejected})
		e.must(t, a, ledger.Cancel{User: a.ID, Transfer: cancelled})
		e.Clock.Set(time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Seoul))
		e.scheduler(t)() // expires the last one
		e.Clock.Set(time.Date(2026, 11, 30, 12, 0, 0, 0, clock.Seoul))
		stillPending, acceptedLater := send(c, 5_000, true), send(c, 6_000, true)
		e.Clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, clock.Seoul))
		e.must(t, c, ledger.Accept{User: c.ID, Transfer: acceptedLater})
		e.Clock.Set(time.Date(2027, 12, 24, 12, 0, 0, 0, clock.Seoul))
		recent := send(b, 7_000, false)

		// The store's retention, not the scheduler: its pending sweep
		// would expire stillPending first.
		if _, err := db.ExpireEvents(ctx, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExpireHistory(ctx, e.Clock.Now(), clock.Seoul); err != nil {
			t.Fatal(err)
		}
		deleted, err := db.ExpireWithHistory(ctx)
		if err != nil || deleted["transfers"] != 4 {
			t.Fatalf("deleted %v, %v; want 4 transfers", deleted, err)
		}
		want := []string{fmt.Sprint(stillPending), fmt.Sprint(acceptedLater), fmt.Sprint(recent)}
		if got := column(t, db, `SELECT id FROM transfers ORDER BY id`); !slices.Equal(got, want) {
			t.Fatalf("transfers kept: %v, want %v (pending, accepted after the boundary, recent)", got, want)
		}
		for _, id := range []int64{completed, rejected, cancelled, expired} {
			if _, err := db.Transfer(ctx, a.ID, id); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("transfer %d of November 2026: %v, want not found", id, err)
			}
		}
		list, err := db.Transfers(ctx, a.ID, store.TransferFilter{Limit: 10})
		if err != nil || len(list) != 3 || list[0].ID != recent || list[2].Status != ledger.TransferPending {
			t.Fatalf("a's transfers: %+v %v", list, err)
		}
		// c's history since the boundary: the acceptance of December 2026,
		// still naming its transfer and its sender (from the transfer row).
		hist, err := db.History(ctx, c.MainAccount, store.HistoryFilter{Limit: 10})
		if err != nil || len(hist) != 1 || hist[0].TransferID != acceptedLater || hist[0].Amount != 6_000 || hist[0].Counterparty.Name == "" {
			t.Fatalf("c's history: %+v %v", hist, err)
		}
		// Old notices of deleted transfers are read as before (they go
		// after 90 days by their own rule; no foreign key holds them).
		if ns, err := db.Notifications(ctx, c.ID, false, 0, 100); err != nil || len(ns) == 0 {
			t.Fatalf("c's notifications: %d %v", len(ns), err)
		}
		if _, err := db.ExpireWithHistory(ctx); err != nil { // a second run finds nothing
			t.Fatal(err)
		}
		dbtest.Audit(t, db)
		// No foreign key holds a kept transaction's transfer any more; the
		// audit does.
		if err := store.TamperForTest(db, fmt.Sprintf(`DELETE FROM transfers WHERE id = %d`, acceptedLater)); err != nil {
			t.Fatal(err)
		}
		r, err := db.Audit(ctx)
		if err != nil || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "which is not stored") {
			t.Fatalf("audit after deleting a kept transaction's transfer: %v %v", r.Problems, err)
		}
	})
}

// Two servers given one expired key at once, with the same request: the
// key is stored anew once and the request applied once; the other replays
// it (on PostgreSQL the loser's delete of the stale row waits for the
// winner, then its insert of the key fails and its retry replays).
func TestExpiredKeyRace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		w2 := dbtest.Writer(t, db, e.Clock)
		a, b := e.User(t, "a"), e.User(t, "b")
		e.fund(t, a, 100_000)
		send := ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 100}
		idem := store.Idempotency{Key: "k", Fingerprint: "f"}
		if _, err := e.W.Do(context.Background(), a.ID, idem, send); err != nil {
			t.Fatal(err)
		}
		for round := 1; round <= 5; round++ {
			e.Clock.Advance(store.IdempotencyWindow + time.Second)
			var results [2]store.Result
			var fails [2]error
			var wg sync.WaitGroup
			for i, w := range []*store.Writer{e.W, w2} {
				wg.Go(func() { results[i], fails[i] = w.Do(context.Background(), a.ID, idem, send) })
			}
			wg.Wait()
			if fails[0] != nil || fails[1] != nil {
				t.Fatal(fails)
			}
			if results[0].Replayed == results[1].Replayed || results[0].TransferID != results[1].TransferID {
				t.Fatalf("round %d: %+v, want one new transfer and one replay of it", round, results)
			}
			if got := e.Balance(t, b, b.MainAccount); got != int64(100*(round+1)) {
				t.Fatalf("round %d: b has %d", round, got)
			}
		}
		dbtest.Audit(t, db)
	})
}

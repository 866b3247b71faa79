package store_test

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// Paging through an account's history while transfers keep arriving
// returns every entry that existed when paging began exactly once.
func TestHistoryPagesUnderConcurrentInserts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		rcv := e.User(t, "rcv")
		senders := e.users(t, "hs", 5)
		for _, s := range senders {
			e.fund(t, s, 1_000_000)
		}
		for i := range 120 {
			s := senders[i%len(senders)]
			if _, _, err := e.do(t, s, "", ledger.Transfer{User: s.ID, From: s.MainAccount, To: rcv.MainAccount, Amount: int64(i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
		before, err := db.History(ctx, rcv.MainAccount, store.HistoryFilter{Limit: 1000})
		if err != nil || len(before) != 120 {
			t.Fatalf("%d entries, %v", len(before), err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := senders[i%len(senders)]
				e.do(t, s, "", ledger.Transfer{User: s.ID, From: s.MainAccount, To: rcv.MainAccount, Amount: 7})
			}
		})
		seen := map[int64]int{}
		var cursor store.HistoryCursor
		for {
			page, err := db.History(ctx, rcv.MainAccount, store.HistoryFilter{Before: cursor, Limit: 7})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range page {
				seen[h.ID]++
			}
			if len(page) < 7 {
				break
			}
			cursor = page[len(page)-1].Cursor()
		}
		close(stop)
		wg.Wait()
		for _, h := range before {
			if seen[h.ID] != 1 {
				t.Fatalf("entry %d seen %d times", h.ID, seen[h.ID])
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("entry %d seen %d times", id, n)
			}
		}
		dbtest.Audit(t, db)
	})
}

// Pages are ordered by time, then id (the order of the monthly
// partitions, migration 00030), also where an entry's id and time
// disagree (batches in flight take their times and ids in different
// orders): following the cursors reads every entry once, in that order.
// A cursor of an id alone (handed out before) reads the entries below
// that id, in the same order. A kind filter reads what filtering the
// whole history would.
func TestHistoryPagesByTimeThenID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a, b := e.User(t, "tia"), e.User(t, "tib")
		e.fund(t, a, 1_000_000)
		for i := range 9 {
			e.Clock.Advance(time.Second)
			e.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: int64(i + 1)})
		}
		// b's first entry (the lowest id) now has the latest time.
		if err := store.TamperForTest(db, fmt.Sprintf(`UPDATE entries SET created_at = created_at + 60000000
			WHERE id = (SELECT MIN(id) FROM entries WHERE account_id = %d)`, b.MainAccount)); err != nil {
			t.Fatal(err)
		}
		all, err := db.History(ctx, b.MainAccount, store.HistoryFilter{Limit: 100})
		if err != nil || len(all) != 9 {
			t.Fatalf("%d entries, %v", len(all), err)
		}
		if !slices.IsSortedFunc(all, func(x, y store.HistoryEntry) int {
			return cmp.Or(y.At.Compare(x.At), cmp.Compare(y.ID, x.ID))
		}) || all[0].Amount != 1 {
			t.Fatalf("not newest first by time, then id: %+v", all)
		}
		var paged []store.HistoryEntry
		for f := (store.HistoryFilter{Limit: 2}); ; f.Before = paged[len(paged)-1].Cursor() {
			page, err := db.History(ctx, b.MainAccount, f)
			if err != nil {
				t.Fatal(err)
			}
			if paged = append(paged, page...); len(page) < f.Limit {
				break
			}
		}
		if !reflect.DeepEqual(paged, all) {
			t.Fatalf("pages of 2:\n%+v\nall at once:\n%+v", paged, all)
		}
		below := all[4].ID
		byID, err := db.History(ctx, b.MainAccount, store.HistoryFilter{Before: store.HistoryCursor{ID: below}, Limit: 100})
		want := slices.DeleteFunc(slices.Clone(all), func(h store.HistoryEntry) bool { return h.ID >= below })
		if err != nil || !reflect.DeepEqual(byID, want) {
			t.Fatalf("below id %d: %+v, %v; want %+v", below, byID, err, want)
		}
		// A kind filter reads the same entries whichever index serves it:
		// a user's charge (entries_account_kind), the bank's (a system
		// account: the page index, filtered) and a user's transfers.
		for _, c := range []struct {
			account int64
			kind    ledger.TxnKind
		}{{a.MainAccount, ledger.TxnCharge}, {ledger.ExternalBank, ledger.TxnCharge}, {a.MainAccount, ledger.TxnTransfer}} {
			every, err := db.History(ctx, c.account, store.HistoryFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.DeleteFunc(every, func(h store.HistoryEntry) bool { return h.Kind != string(c.kind) })
			got, err := db.History(ctx, c.account, store.HistoryFilter{Kind: string(c.kind), Limit: 100})
			if err != nil || len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Fatalf("account %d, kind %s: %+v, %v; want %+v", c.account, c.kind, got, err, want)
			}
		}
	})
}

func TestHistoryShowsWhereMoneyCameFromAndWent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a, b := e.User(t, "alice"), e.User(t, "bob")
		e.fund(t, a, 5_000)
		sav, err := db.OpenSavings(ctx, a.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.do(t, a, "", ledger.Deposit{User: a.ID, Main: a.MainAccount, Savings: sav.ID, Amount: 1_000}); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Hour)
		if _, _, err := e.do(t, a, "", ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 9_000, DisplayName: "Secret Santa", Memo: "gift"}); err != nil {
			t.Fatal(err)
		}
		// Bob sees the chosen name only.
		hb, err := db.History(ctx, b.MainAccount, store.HistoryFilter{Limit: 10})
		if err != nil || len(hb) != 1 {
			t.Fatalf("bob: %+v %v", hb, err)
		}
		if c := hb[0].Counterparty; c.Name != "Secret Santa" || c.MaskedName != "N*** a****" || c.Username != "" || c.AccountID != 0 ||
			hb[0].Amount != 9_000 || hb[0].Memo != "gift" || hb[0].Kind != "transfer" {
			t.Fatalf("bob's entry %+v", hb[0])
		}
		// A transfer stored before display names defaulted to the masked
		// name holds the sender's real name there: bob sees it masked.
		if err := store.TamperForTest(db, `UPDATE transfers SET display_name = sender_name`); err != nil {
			t.Fatal(err)
		}
		if hb, err = db.History(ctx, b.MainAccount, store.HistoryFilter{Limit: 10}); err != nil || hb[0].Counterparty.Name != "N*** a****" {
			t.Fatalf("bob's entry of an older transfer: %+v %v", hb, err)
		}
		// Alice sees the real receiver, the auto-charge, the deposit.
		ha, err := db.History(ctx, a.MainAccount, store.HistoryFilter{Limit: 10})
		if err != nil || len(ha) != 4 {
			t.Fatalf("alice: %+v %v", ha, err)
		}
		want := []struct {
			kind    string
			amount  int64
			after   int64
			counter string
		}{
			{"transfer", -9_000, 5_000, "N*** b**"}, // masked: never another's whole real name
			{"charge", 10_000, 14_000, "external bank"},
			{"savings_deposit", -1_000, 4_000, "savings account"},
			{"charge", 5_000, 5_000, "external bank"},
		}
		for i, w := range want {
			h := ha[i]
			if h.Kind != w.kind || h.Amount != w.amount || h.BalanceAfter != w.after || h.Counterparty.Name != w.counter {
				t.Errorf("alice entry %d = %+v, want %+v", i, h, w)
			}
		}
		if ha[0].Counterparty.Username != "bob" || ha[0].Counterparty.AccountID != b.MainAccount {
			t.Errorf("sender's view of the receiver: %+v", ha[0].Counterparty)
		}
		// Filters: kind, and a time range that excludes the last hour.
		if got, _ := db.History(ctx, a.MainAccount, store.HistoryFilter{Kind: "charge", Limit: 10}); len(got) != 2 {
			t.Errorf("kind=charge: %d entries", len(got))
		}
		if got, _ := db.History(ctx, a.MainAccount, store.HistoryFilter{To: e.Clock.Now().Add(-time.Minute), Limit: 10}); len(got) != 2 {
			t.Errorf("before the last hour: %d entries", len(got))
		}
		if got, _ := db.History(ctx, a.MainAccount, store.HistoryFilter{From: e.Clock.Now().Add(-time.Minute), Limit: 10}); len(got) != 2 {
			t.Errorf("within the last minute: %d entries", len(got))
		}
	})
}

// Migration 00025's backfill gives entries written before it the history
// columns the writer now fills: every kind of entry reads back the same
// once they are dropped and the migration applied again, and the audit
// finds them consistent.
func TestHistoryColumnsBackfilled(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req, a, b := e.User(t, "req"), e.User(t, "ann"), e.User(t, "ben")
		e.fund(t, a, 50_000)
		sav, err := db.OpenSavings(ctx, a.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
		if err != nil {
			t.Fatal(err)
		}
		pending := true
		cmds := []ledger.Command{
			ledger.Deposit{User: a.ID, Main: a.MainAccount, Savings: sav.ID, Amount: 1_000},
			ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 900, DisplayName: "Secret Santa", Memo: "gift"},
			ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 800, RequireAcceptance: &pending},
			ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 700, RequireAcceptance: &pending},
		}
		var transfers []int64
		for _, c := range cmds {
			r, _, err := e.do(t, a, "", c)
			if err != nil {
				t.Fatal(err)
			}
			transfers = append(transfers, r.TransferID)
		}
		for _, c := range []ledger.Command{ledger.Accept{User: b.ID, Transfer: transfers[2]}, ledger.Reject{User: b.ID, Transfer: transfers[3]}} {
			if _, _, err := e.do(t, b, "", c); err != nil {
				t.Fatal(err)
			}
		}
		id, err := db.CreateSettlement(ctx, req, 2_000, "equal", []store.NewShare{{User: a, Amount: 1_000}, {User: req, Amount: 1_000}}, roomy, e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		st, err := db.Settlement(ctx, a.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.do(t, a, "", ledger.PayShare{User: a.ID, Main: a.MainAccount, Settlement: id, Share: st.Shares[0].ID}); err != nil {
			t.Fatal(err)
		}
		pages := func() [][]store.HistoryEntry {
			var out [][]store.HistoryEntry
			for _, f := range []struct {
				account int64
				kind    string
			}{{a.MainAccount, ""}, {b.MainAccount, ""}, {req.MainAccount, ""}, {sav.ID, ""}, {ledger.PendingHold, ""},
				{a.MainAccount, store.KindSettlementPayment}, {b.MainAccount, string(ledger.TxnPendingRelease)}} {
				page, err := db.History(ctx, f.account, store.HistoryFilter{Kind: f.kind, Limit: 50})
				if err != nil || len(page) == 0 {
					t.Fatalf("account %d, kind %q: %d entries, %v", f.account, f.kind, len(page), err)
				}
				out = append(out, page)
			}
			return out
		}
		written := pages()
		dbtest.Audit(t, db)
		for _, q := range []string{`DROP INDEX entries_account_time`, `DROP INDEX entries_account_kind`, `ALTER TABLE entries DROP COLUMN kind`,
			`ALTER TABLE entries DROP COLUMN other_account`, `ALTER TABLE entries DROP COLUMN transfer_id`,
			`CREATE INDEX entries_account_page ON entries (account_id, id)`, `DELETE FROM goose_db_version WHERE version_id IN (25, 30)`} {
			if err := store.TamperForTest(db, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, v := range []int64{25, 30} { // 00030 replaces the page index 00025 builds
			if err := store.ApplyMigrationForTest(db, v); err != nil {
				t.Fatal(err)
			}
		}
		if backfilled := pages(); !reflect.DeepEqual(backfilled, written) {
			t.Fatalf("after the backfill:\n%+v\nas written:\n%+v", backfilled, written)
		}
		dbtest.Audit(t, db)
	})
}

package store_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestStoredBodiesGolden pins the stored formats: the idempotency records
// and notification bodies a run of every kind of command leaves behind
// must match testdata byte for byte, on every database (one set of
// files each: ids are allocated differently). Renaming a field
// of a ledger type cannot change them; changing a stored type's JSON
// fails here (rows already in databases would no longer decode the same).
func TestStoredBodiesGolden(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		everyStoredBody(t, e)
		golden(t, db, "idempotency_records.golden", `SELECT key || ' ' || receipt FROM idempotency_keys ORDER BY key`)
		golden(t, db, "notifications.golden", `SELECT CAST(user_id AS TEXT) || ' ' || body FROM notifications ORDER BY id`)
		golden(t, db, "events.golden", `SELECT type || ' ' || CAST(user_id AS TEXT) || ' ' || body FROM events ORDER BY id, user_id`)
	})
}

// everyStoredBody runs, one at a time so ids are the same on every
// database, commands that store every kind of idempotency record and
// notification, and many kinds of events.
func everyStoredBody(t *testing.T, e env) {
	ctx := context.Background()
	a, b, c := e.User(t, "ann"), e.User(t, "bob"), e.User(t, "cat")
	yes := true
	must := func(u store.User, key string, cmd ledger.Command) outcome {
		t.Helper()
		r, _, err := e.do(t, u, key, cmd)
		if err != nil {
			t.Fatalf("%T: %v", cmd, err)
		}
		return r
	}
	send := func(key string, amount int64, pending *bool) int64 {
		return must(a, key, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: amount,
			DisplayName: "Santa", Memo: "gift", RequireAcceptance: pending}).TransferID
	}
	must(a, "charge", ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: 10_000})
	free, err := e.DB.OpenSavings(ctx, a.ID, "free", 0, store.DefaultMaxSavings, e.Clock.Now(), seoul)
	if err != nil {
		t.Fatal(err)
	}
	must(a, "deposit", ledger.Deposit{User: a.ID, Main: a.MainAccount, Savings: free.ID, Amount: 1_000})
	send("auto-charged", 15_000, nil)
	must(b, "accept", ledger.Accept{User: b.ID, Transfer: send("pending", 1_000, &yes)})
	must(a, "cancel", ledger.Cancel{User: a.ID, Transfer: send("", 2_000, &yes)})
	must(b, "reject", ledger.Reject{User: b.ID, Transfer: send("", 3_000, &yes)})
	send("", 4_000, &yes)
	everyShareBody(t, e, a, b, c)
	fixed, err := e.DB.OpenSavings(ctx, c.ID, "fixed", 50_000, store.DefaultMaxSavings, e.Clock.Now(), seoul)
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(49 * time.Hour) // the 4,000 is due a reminder
	if n, err := e.DB.RemindPending(ctx, e.Clock.Now(), 10); err != nil || n != 1 {
		t.Fatalf("reminders: %d %v", n, err)
	}
	// cat's main is empty and her limit used: the installment is missed.
	must(c, "", ledger.Charge{User: c.ID, Account: c.MainAccount, Amount: ledger.DailyChargeLimit})
	must(c, "", ledger.Transfer{User: c.ID, From: c.MainAccount, To: b.MainAccount, Amount: ledger.DailyChargeLimit})
	today := ledger.BusinessDay(e.Clock.Now(), seoul)
	must(c, "installment", ledger.Installment{Main: c.MainAccount, Savings: fixed.ID, Through: today})
	everyKeyedBody(t, e, a)
}

// everyKeyedBody stores the outcomes of a's keyed requests outside the
// engine: an opening, a webhook endpoint, a rotation of its secret.
func everyKeyedBody(t *testing.T, e env, a store.User) {
	ctx, now := context.Background(), e.Clock.Now()
	if _, _, err := e.DB.OpenSavingsOnce(ctx, store.Idempotency{Key: "open", Fingerprint: "f"}, a.ID, "free", 0, store.DefaultMaxSavings, now, seoul); err != nil {
		t.Fatal(err)
	}
	ep, _, err := e.DB.CreateWebhookEndpointOnce(ctx, store.Idempotency{Key: "hook", Fingerprint: "f"}, a.ID, "https://example.com/h", nil, "whsec_first", now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.DB.RotateWebhookSecret(ctx, store.Idempotency{Key: "rotate", Fingerprint: "f"}, a.ID, ep.ID, "whsec_second", now, time.Hour); err != nil {
		t.Fatal(err)
	}
}

// everyShareBody asks a and b to pay c's settlement: a pays, b declines.
func everyShareBody(t *testing.T, e env, a, b, c store.User) {
	ctx := context.Background()
	id, err := e.DB.CreateSettlement(ctx, c, 2_000, "equal", []store.NewShare{{User: a, Amount: 1_000}, {User: b, Amount: 1_000}}, roomy, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.DB.Settlement(ctx, c.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.do(t, a, "pay", ledger.PayShare{User: a.ID, Main: a.MainAccount, Settlement: id, Share: st.Shares[0].ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.do(t, b, "decline", ledger.DeclineShare{User: b.ID, Settlement: id, Share: st.Shares[1].ID}); err != nil {
		t.Fatal(err)
	}
}

// golden compares query's rows, one a line, with testdata/<dialect>_name.
func golden(t *testing.T, db *store.DB, name, query string) {
	t.Helper()
	rows, err := store.ColumnForTest(db, query)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rows, "\n") + "\n"
	// Ids come from sequences on PostgreSQL and MAX+1 on SQLite, so each
	// database has its own files.
	path := filepath.Join("testdata", db.Dialect()+"_"+name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("stored bodies differ from %s (run with -update if the change is meant, and keep old rows readable):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestUnversionedBodiesDecode: rows stored before bodies had a version
// read as version 1; a body from a newer minipay is refused, not misread;
// an older notice's counterparty is masked.
func TestUnversionedBodiesDecode(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.User(t, "old")
		// Stored now: an idempotency key older than its window is forgotten.
		for _, q := range []string{
			fmt.Sprintf(`INSERT INTO idempotency_keys (key, request_hash, receipt, created_at) VALUES
				('1:old', 'h', '{"amount":15000,"charged":10000,"main_balance":4000,"transaction_id":4,"charge_transaction_id":3,"transfer_id":1,"status":"completed"}', %[1]d),
				('1:new', 'h', '{"version":2,"amount":1}', %[1]d),
				('1:opened', 'h', '{"version":1,"amount":0,"charged":0,"main_balance":0,"created_id":%[2]d}', %[1]d)`,
				e.Clock.Now().UnixMicro(), u.MainAccount),
			`INSERT INTO notifications (user_id, kind, body, created_at) VALUES
				(1, 'installment_missed', '{"kind":"installment_missed","amount":50000,"reason":"short","account_id":5,"day":"2026-11-25"}', 0),
				(1, 'settlement_requested', '{"version":1,"kind":"settlement_requested","amount":5,"counterparty":"Kim Minsu","settlement_id":1}', 0)`,
		} {
			if err := store.TamperForTest(db, q); err != nil {
				t.Fatal(err)
			}
		}
		r, err := e.W.Do(context.Background(), u.ID, store.Idempotency{Key: "old", Fingerprint: "h"}, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1})
		want := store.Result{Receipt: ledger.Receipt{Amount: 15_000, Charged: 10_000, MainBalance: 4_000, Status: "completed"},
			TransactionID: 4, ChargeID: 3, TransferID: 1, Replayed: true}
		if err != nil || r != want {
			t.Fatalf("replay of an unversioned record: %+v %v; want %+v", r, err, want)
		}
		if _, err := e.W.Do(context.Background(), u.ID, store.Idempotency{Key: "new", Fingerprint: "h"}, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1}); err == nil {
			t.Fatal("a version 2 record was read")
		}
		// A creation's key as the engine's result stored it before keyed
		// outcomes had a body of their own.
		a, replayed, err := db.OpenSavingsOnce(context.Background(), store.Idempotency{Key: "opened", Fingerprint: "h"}, u.ID, "free", 0, 1, e.Clock.Now(), seoul)
		if err != nil || !replayed || a.ID != u.MainAccount {
			t.Fatalf("replay of a creation's old record: %+v %v %v", a, replayed, err)
		}
		ns, err := db.Notifications(context.Background(), u.ID, false, 0, 10)
		if err != nil || len(ns) != 2 {
			t.Fatalf("notifications: %+v %v", ns, err)
		}
		// A version 1 notice could name someone's whole real name: it is
		// read masked.
		if n := ns[0]; n.Kind != ledger.NoticeSettlementRequested || n.Counterparty != "K** M****" || n.Settlement != 1 {
			t.Errorf("a version 1 notice read as %+v", n)
		}
		n := ns[1]
		if n.Kind != ledger.NoticeInstallmentMissed || n.Amount != 50_000 || n.Reason != "short" || n.Account != 5 || n.Day != "2026-11-25" {
			t.Fatalf("unversioned notification read as %+v", n)
		}
	})
}

package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// dueQueue is the transfers pending_due holds, in the sweeps' order.
func dueQueue(t *testing.T, db *store.DB) string {
	t.Helper()
	ids, err := store.ColumnForTest(db, `SELECT CAST(transfer_id AS TEXT) FROM pending_due ORDER BY expires_at, transfer_id`)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(ids, ",")
}

// sendPending sends n pending transfers of 1,000 from a to b and returns
// their ids.
func (e env) sendPending(t *testing.T, a, b store.User, n int) []int64 {
	t.Helper()
	yes := true
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = e.must(t, a, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 1_000, RequireAcceptance: &yes}).TransferID
	}
	return ids
}

func idList(ids ...int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// The sweeps' queue holds exactly the open pending transfers: a transfer
// enters it when it is sent pending and leaves it in the batch that
// accepts, rejects, cancels or expires it. A row left behind would keep
// a finished transfer due for ever; the audit reports either drift.
func TestPendingDueFollowsTransfers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a, b := e.User(t, "pat"), e.User(t, "quin")
		e.fund(t, a, 10_000)
		p := e.sendPending(t, a, b, 4)
		e.Clock.Advance(time.Hour)
		p = append(p, e.sendPending(t, a, b, 1)...)
		if got := dueQueue(t, db); got != idList(p...) {
			t.Fatalf("queue after sending %v: %s", p, got)
		}
		e.must(t, b, ledger.Accept{User: b.ID, Transfer: p[0]})
		e.must(t, b, ledger.Reject{User: b.ID, Transfer: p[1]})
		e.must(t, a, ledger.Cancel{User: a.ID, Transfer: p[2]})
		e.Clock.Advance(ledger.PendingLifetime - time.Hour) // p[3] is due, p[4] an hour later
		due, _, err := db.DuePending(ctx, e.Clock.Now(), store.Cursor{}, 10)
		if err != nil || len(due) != 1 || due[0] != (store.DueTransfer{ID: p[3], From: a.MainAccount}) {
			t.Fatalf("due at 72 h: %+v %v, want transfer %d", due, err, p[3])
		}
		e.must(t, a, ledger.Expire{Transfer: p[3], From: a.MainAccount})
		if got := dueQueue(t, db); got != idList(p[4]) {
			t.Fatalf("queue after accept, reject, cancel and expiry: %s, want %d", got, p[4])
		}
		dbtest.Audit(t, db)

		for _, c := range []struct{ tamper, undo, want string }{
			{fmt.Sprintf(`DELETE FROM pending_due WHERE transfer_id = %d`, p[4]),
				fmt.Sprintf(`INSERT INTO pending_due (expires_at, transfer_id, from_account) SELECT expires_at, id, from_account FROM transfers WHERE id = %d`, p[4]),
				fmt.Sprintf("pending transfer %d (due at", p[4])},
			{fmt.Sprintf(`INSERT INTO pending_due (expires_at, transfer_id, from_account) SELECT expires_at, id, from_account FROM transfers WHERE id = %d`, p[0]),
				fmt.Sprintf(`DELETE FROM pending_due WHERE transfer_id = %d`, p[0]),
				fmt.Sprintf("pending_due row of transfer %d (due at", p[0])},
		} {
			if err := store.TamperForTest(db, c.tamper); err != nil {
				t.Fatal(err)
			}
			r, err := db.Audit(ctx)
			if err != nil || !slices.ContainsFunc(r.Problems, func(s string) bool { return strings.HasPrefix(s, c.want) }) {
				t.Fatalf("after %s the audit says %q %v, want %q…", c.tamper, r.Problems, err, c.want)
			}
			if err := store.TamperForTest(db, c.undo); err != nil {
				t.Fatal(err)
			}
			dbtest.Audit(t, db)
		}
	})
}

// Migration 00031 queues the transfers pending when it runs, and only
// those: undone by hand and applied again over a database with open and
// finished pending transfers.
func TestMigrationQueuesOpenPending(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b := e.User(t, "ros"), e.User(t, "sam")
		e.fund(t, a, 10_000)
		p := e.sendPending(t, a, b, 3)
		e.must(t, b, ledger.Accept{User: b.ID, Transfer: p[1]})
		for _, q := range []string{`DROP TABLE pending_due`, `DROP INDEX transfers_pair`,
			`CREATE INDEX transfers_pair ON transfers (from_user, to_user) WHERE status IN ('completed', 'accepted')`,
			`CREATE INDEX transfers_pending_due ON transfers (expires_at, id) WHERE status = 'pending'`,
			`DELETE FROM goose_db_version WHERE version_id = 31`} {
			if err := store.TamperForTest(db, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := store.ApplyMigrationForTest(db, 31); err != nil {
			t.Fatal(err)
		}
		if got := dueQueue(t, db); got != idList(p[0], p[2]) {
			t.Fatalf("queue after the migration: %s, want %s", got, idList(p[0], p[2]))
		}
		dbtest.Audit(t, db)
	})
}

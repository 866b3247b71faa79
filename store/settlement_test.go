package store_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

func TestSettlementSharePaidOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req, a, b := e.User(t, "req"), e.User(t, "pa"), e.User(t, "pb")
		e.fund(t, a, 5_000)
		id, err := db.CreateSettlement(ctx, req, 20_000, "equal",
			[]store.NewShare{{User: a, Amount: 6_667}, {User: b, Amount: 6_667}, {User: req, Amount: 6_666}}, roomy, e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		st, err := db.Settlement(ctx, a.ID, id)
		if err != nil || st.Status() != "open" || st.Shares[2].Status != ledger.SharePaid {
			t.Fatalf("new settlement %+v %v", st, err)
		}
		shareA, shareB := st.Shares[0].ID, st.Shares[1].ID
		// Ten concurrent presses of "pay" on one share: one transfer.
		var paid, conflicts atomic.Int64
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				r, _, err := e.do(t, a, "", ledger.PayShare{User: a.ID, Main: a.MainAccount, Settlement: id, Share: shareA})
				switch errs.CodeOf(err) {
				case "":
					paid.Add(1)
					if r.Charged != 10_000 {
						t.Errorf("charged %d, want 10,000 (5,000 short of 6,667 → 10,000)", r.Charged)
					}
				case errs.Conflict:
					conflicts.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if paid.Load() != 1 || conflicts.Load() != 9 {
			t.Fatalf("paid %d times, %d conflicts", paid.Load(), conflicts.Load())
		}
		if e.Balance(t, req, req.MainAccount) != 6_667 || e.Balance(t, a, a.MainAccount) != 5_000+10_000-6_667 {
			t.Fatal("the share's money did not move exactly once")
		}
		// Pay and decline race on the other share: exactly one wins.
		e.fund(t, b, 10_000)
		var wins atomic.Int64
		for _, cmd := range []ledger.Command{
			ledger.PayShare{User: b.ID, Main: b.MainAccount, Settlement: id, Share: shareB},
			ledger.DeclineShare{User: b.ID, Settlement: id, Share: shareB},
		} {
			wg.Go(func() {
				if _, _, err := e.do(t, b, "", cmd); err == nil {
					wins.Add(1)
				} else if errs.CodeOf(err) != errs.Conflict {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of pay/decline won", wins.Load())
		}
		// Someone else's share, or a share of another settlement.
		if _, _, err := e.do(t, b, "", ledger.PayShare{User: b.ID, Main: b.MainAccount, Settlement: id, Share: shareA}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("paying someone else's share: %v", err)
		}
		if _, _, err := e.do(t, b, "", ledger.PayShare{User: b.ID, Main: b.MainAccount, Settlement: id + 1, Share: shareB}); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("share under the wrong settlement: %v", err)
		}
		st, _ = db.Settlement(ctx, req.ID, id)
		want := "completed"
		if st.Shares[1].Status == ledger.ShareDeclined {
			want = "closed"
		}
		if st.Status() != want || st.Shares[0].TransferID == 0 {
			t.Fatalf("settlement %s, want %s: %+v", st.Status(), want, st.Shares)
		}
		if _, err := db.Settlement(ctx, e.User(t, "outsider").ID, id); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("outsider: %v", err)
		}
		dbtest.Audit(t, db)
	})
}

// roomy are stranger limits no test here reaches.
var roomy = store.StrangerLimits{Asked: 100, Received: 100}

// A settlement requested under a key, ten times at once and then again:
// one settlement, answered fresh once and replayed to the others; the key
// with other shares is refused.
func TestSettlementRequestedOnceByKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req, a := e.User(t, "req"), e.User(t, "pa")
		shares := []store.NewShare{{User: a, Amount: 5_000}, {User: req, Amount: 5_000}}
		idem := store.Idempotency{Key: "web:k1", Fingerprint: "f1"}
		ids := make([]int64, 11)
		replayed := make([]bool, 11)
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				var err error
				if ids[i], replayed[i], err = db.CreateSettlementOnce(ctx, idem, req, 10_000, "equal", shares, roomy, e.Clock.Now()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var err error
		if ids[10], replayed[10], err = db.CreateSettlementOnce(ctx, idem, req, 10_000, "equal", shares, roomy, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if id != ids[0] || id == 0 {
				t.Fatalf("one key made settlements %v", ids)
			}
		}
		if fresh := slices.Index(replayed, false); fresh < 0 || slices.Index(replayed[fresh+1:], false) >= 0 || !replayed[10] {
			t.Fatalf("replayed %v, want every answer but one", replayed)
		}
		list, err := db.Settlements(ctx, req.ID, "requester", 0, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("requester has %d settlements (%v), want 1", len(list), err)
		}
		other := store.Idempotency{Key: idem.Key, Fingerprint: "f2"}
		if _, _, err := db.CreateSettlementOnce(ctx, other, req, 10_000, "equal", shares, roomy, e.Clock.Now()); errs.CodeOf(err) != errs.IdempotencyMismatch {
			t.Fatalf("the key with other values: %v", err)
		}
		// Keys are the requester's: another requester may use the same one.
		if _, _, err := db.CreateSettlementOnce(ctx, idem, a, 10_000, "equal", shares, roomy, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	})
}

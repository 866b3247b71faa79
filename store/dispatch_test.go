package store

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"minipay/ledger"
)

// testOp is an op with the given claim, named by n for the test's messages.
func testOp(n int, all bool, accounts ...int64) *op {
	return &op{ctx: context.Background(), user: int64(n), claim: claim{accounts: accounts, all: all}, out: make(chan outcome, 1)}
}

func opNames(ops []*op) []int64 {
	var out []int64
	for _, o := range ops {
		out = append(out, o.user)
	}
	return out
}

// TestDispatcherKeepsOrderAndDisjointness walks the dispatcher through one
// schedule: an op waits while an earlier batch holds one of its accounts,
// a later op sharing an account with a waiting one waits behind it, and
// an op naming a transfer (every account) waits until nothing is in
// flight, with every op after it.
func TestDispatcherKeepsOrderAndDisjointness(t *testing.T) {
	d := newDispatcher()
	d.pending = []*op{testOp(1, false, 1, 2)}
	first := d.next(100)
	d.pending = []*op{testOp(2, false, 2, 3), testOp(3, false, 4, 5), testOp(4, false, 3, 6), testOp(5, false, 7),
		testOp(6, true), testOp(7, false, 8), testOp(8, false, 4)}
	second := d.next(100)
	if got := opNames(second); !slices.Equal(got, []int64{3, 5}) {
		t.Fatalf("second batch %v, want [3 5]: 2 waits for account 2, 4 behind 2 on account 3, 6 for every account", got)
	}
	if got := d.next(100); got != nil {
		t.Fatalf("a third batch %v while everything left waits", opNames(got))
	}
	d.done(first)
	third := d.next(100)
	if got := opNames(third); !slices.Equal(got, []int64{2, 4}) {
		t.Fatalf("after the first batch: %v, want [2 4]", got)
	}
	if got := d.next(100); got != nil {
		t.Fatalf("op 6 dispatched with batches in flight: %v", opNames(got))
	}
	d.done(second)
	d.done(third)
	if got := opNames(d.next(1)); !slices.Equal(got, []int64{6}) {
		t.Fatalf("with a cap of one: %v, want [6]", got)
	}
	if got := d.next(100); got != nil {
		t.Fatalf("%v dispatched beside a batch claiming every account", opNames(got))
	}
}

// TestDispatcherDropsAbandoned: an op whose caller gave up is answered
// with its error and neither dispatched nor left holding its accounts.
func TestDispatcherDropsAbandoned(t *testing.T) {
	d := newDispatcher()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := testOp(1, true)
	gone.ctx = ctx
	d.pending = []*op{gone, testOp(2, false, 1)}
	if got := opNames(d.next(100)); !slices.Equal(got, []int64{2}) {
		t.Fatalf("batch %v, want [2]", got)
	}
	if err := (<-gone.out).err; err != context.Canceled {
		t.Fatalf("the abandoned op was answered %v", err)
	}
}

// TestDispatcherRandomSchedules runs random ops through the dispatcher
// with batches finishing in random order, and checks after every step
// that the batches in flight touch disjoint accounts, that a batch
// claiming every account is alone, and that each account's ops are
// dispatched in arrival order.
func TestDispatcherRandomSchedules(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		d := newDispatcher()
		var inFlight [][]*op
		last := map[int64]int64{} // account: the last op dispatched on it
		for n := 1; n <= 300; n++ {
			d.pending = append(d.pending, randomOp(r, n))
			for r.IntN(3) > 0 && len(inFlight) < 3 {
				b := d.next(1 + r.IntN(8))
				if b == nil {
					break
				}
				checkDispatched(t, b, inFlight, last)
				inFlight = append(inFlight, b)
			}
			if len(inFlight) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(inFlight))
				d.done(inFlight[i])
				inFlight = slices.Delete(inFlight, i, i+1)
			}
		}
	}
}

func randomOp(r *rand.Rand, n int) *op {
	if r.IntN(20) == 0 {
		return testOp(n, true)
	}
	accounts := []int64{1 + r.Int64N(12)}
	if r.IntN(4) > 0 {
		accounts = append(accounts, 1+r.Int64N(12))
	}
	return testOp(n, false, accounts...)
}

// checkDispatched checks batch b against the batches in flight and the
// last op dispatched on each account (ops are numbered in arrival order),
// and records it there.
func checkDispatched(t *testing.T, b []*op, inFlight [][]*op, last map[int64]int64) {
	t.Helper()
	inBatch := map[int64]bool{}
	for _, o := range b {
		if o.claim.all && len(inFlight) > 0 {
			t.Fatalf("op %d claims every account beside %d batches in flight", o.user, len(inFlight))
		}
		for _, id := range o.claim.accounts {
			inBatch[id] = true
			if last[id] > o.user {
				t.Fatalf("op %d dispatched after op %d on account %d", o.user, last[id], id)
			}
			last[id] = o.user
		}
		if o.claim.all {
			for id := range last {
				last[id] = max(last[id], o.user)
			}
		}
	}
	for _, other := range inFlight {
		for _, o := range other {
			if o.claim.all {
				t.Fatalf("batch dispatched beside op %d, which claims every account", o.user)
			}
			for _, id := range o.claim.accounts {
				if inBatch[id] {
					t.Fatalf("account %d in two batches in flight", id)
				}
			}
		}
	}
}

// TestClaimOf: a command claims its user accounts, not system ones; one
// that names a transfer or share claims every account, except an expiry,
// which claims the sender's account it names.
func TestClaimOf(t *testing.T) {
	if c := claimOf(ledger.Transfer{From: 3, To: -1}); c.all || !slices.Equal(c.accounts, []int64{3}) {
		t.Errorf("transfer to a system account claims %+v", c)
	}
	if c := claimOf(ledger.Accept{Transfer: 9}); !c.all {
		t.Errorf("accept claims %+v", c)
	}
	if c := claimOf(ledger.PayShare{Main: 4}); !c.all {
		t.Errorf("paying a share claims %+v", c)
	}
	if c := claimOf(ledger.Expire{Transfer: 9, From: 5}); c.all || !slices.Equal(c.accounts, []int64{5}) {
		t.Errorf("an expiry claims %+v", c)
	}
}

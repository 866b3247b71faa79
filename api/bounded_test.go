package api

import (
	"sync"
	"testing"
	"time"

	"minipay/clock"
	"minipay/errs"
)

// However many keys pass through, a bounded map keeps at most its max,
// and what it keeps reads back as put; concurrent use is safe (-race).
func TestBoundedStaysBounded(t *testing.T) {
	b := newBounded[int, int](10)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				b.put(g*1000+i, -(g*1000 + i))
				if v, ok := b.get(g*1000 + i); ok && v != -(g*1000+i) {
					t.Errorf("key %d reads %d", g*1000+i, v)
				}
			}
		})
	}
	wg.Wait()
	if len(b.m) != 10 {
		t.Fatalf("%d entries, want the bound of 10", len(b.m))
	}
	for k, v := range b.m {
		if v != -k {
			t.Errorf("key %d holds %d", k, v)
		}
	}
}

// A token verified once is taken from the cache after, but only until it
// expires; a token altered in any byte is verified (and refused) anew.
func TestCheckedTokensExpire(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC))
	k, err := newKeyring([]SigningKey{NewSigningKey("a")}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	want := principal{user: 1, main: 2, session: "AAAAAAAAAAAAAAAAAAAAAA"}
	token, err := k.issue(want, clk.Now(), clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if p, err := k.check(token); err != nil || p != want {
			t.Fatalf("check: %+v %v", p, err)
		}
	}
	if _, ok := k.checked.get(token); !ok {
		t.Fatal("a verified token is not cached")
	}
	altered := token[:len(token)-2] + "xx"
	if _, err := k.check(altered); errs.CodeOf(err) != errs.Unauthorized {
		t.Fatalf("altered token: %v", err)
	}
	clk.Advance(time.Hour + time.Second)
	if _, err := k.check(token); errs.CodeOf(err) != errs.Unauthorized {
		t.Fatalf("expired token, verified before: %v", err)
	}
}

package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)

// A key has n events per window, then waits for the count to refill;
// other keys are apart.
func TestKeyedCountsPerKey(t *testing.T) {
	k := New(2, time.Minute, 10)
	for i := range 2 {
		if !k.Take("a", t0) {
			t.Fatalf("event %d refused", i+1)
		}
	}
	if k.Take("a", t0) {
		t.Fatal("a 3rd event in the window allowed")
	}
	if got := k.Wait("a", t0); got != 30*time.Second {
		t.Errorf("Wait = %v, want 30s", got)
	}
	if k.Wait("b", t0) != 0 || !k.Take("b", t0) {
		t.Error("another key is limited")
	}
	if got := k.Wait("a", t0.Add(30*time.Second)); got != 0 {
		t.Errorf("Wait after 30s = %v, want 0", got)
	}
}

// Memory stays bounded: past maxKeys, refilled keys go first, then
// arbitrary ones, and a key in use is kept when there is room.
func TestKeyedBoundsKeys(t *testing.T) {
	k := New(1, time.Minute, 8)
	k.Take("busy", t0.Add(time.Minute))
	for i := range 7 {
		k.Take(fmt.Sprint("idle", i), t0)
	}
	k.Take("new", t0.Add(time.Minute))
	if k.Len() != 2 || k.Wait("busy", t0.Add(time.Minute)) == 0 {
		t.Errorf("after a sweep of idle keys: %d keys, busy limited %v; want 2 keys, busy still limited", k.Len(), k.Wait("busy", t0.Add(time.Minute)))
	}
	for i := range 1000 {
		k.Take(fmt.Sprint("flood", i), t0.Add(time.Minute))
		if k.Len() > 8 {
			t.Fatalf("%d keys, want at most 8", k.Len())
		}
	}
}

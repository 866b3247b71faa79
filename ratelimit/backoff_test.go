package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// N attempts pass; the next locks the key for Window, each lockout in a
// row doubles up to Max, and a refusal while locked changes nothing.
func TestBackoffGrowsAndCaps(t *testing.T) {
	b := Backoff{N: 2, Window: time.Minute, Max: 5 * time.Minute}
	var s Lockout
	now := t0
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for round, lock := range want {
		for i := range 2 {
			var wait time.Duration
			if s, wait, _ = b.Attempt(s, now); wait != 0 {
				t.Fatalf("round %d: attempt %d waits %v", round, i+1, wait)
			}
		}
		next, wait, changed := b.Attempt(s, now)
		if wait != lock || !changed {
			t.Fatalf("round %d: the 3rd attempt waits %v (changed %v), want %v", round, wait, changed, lock)
		}
		s = next
		if again, wait, changed := b.Attempt(s, now.Add(time.Second)); changed || again != s || wait != lock-time.Second {
			t.Fatalf("round %d: an attempt while locked: wait %v changed %v", round, wait, changed)
		}
		now = s.LockedUntil
	}
}

// A key quiet for Max after its last lockout starts over; Expires is when
// the state no longer matters.
func TestBackoffForgets(t *testing.T) {
	b := Backoff{N: 1, Window: time.Minute, Max: 10 * time.Minute}
	s, _, _ := b.Attempt(Lockout{}, t0)
	s, wait, _ := b.Attempt(s, t0)
	if wait != time.Minute {
		t.Fatalf("first lockout %v", wait)
	}
	if got := b.Expires(s); !got.Equal(s.LockedUntil.Add(10 * time.Minute)) {
		t.Errorf("Expires = %v", got)
	}
	late := b.Expires(s)
	s, _, _ = b.Attempt(s, late)
	if _, wait, _ := b.Attempt(s, late); wait != time.Minute {
		t.Errorf("after a quiet Max the lockout is %v, want a first one (1m)", wait)
	}
}

// Lockouts counts failures per key: Wait takes nothing until a key has
// no attempts left, then locks it; keys are apart and bounded, expired
// ones dropped first.
func TestLockoutsPerKey(t *testing.T) {
	l := NewLockouts(Backoff{N: 2, Window: time.Minute, Max: time.Hour}, 4)
	for range 5 {
		if l.Wait("a", t0) != 0 {
			t.Fatal("a check took an attempt")
		}
	}
	l.Fail("a", t0)
	l.Fail("a", t0)
	if got := l.Wait("a", t0); got != time.Minute {
		t.Fatalf("after 2 failures Wait = %v, want 1m", got)
	}
	if got := l.Wait("a", t0.Add(time.Second)); got != time.Minute-time.Second {
		t.Errorf("while locked Wait = %v", got)
	}
	if l.Wait("b", t0) != 0 {
		t.Error("another key is locked")
	}
	for i := range 3 { // a and these fill the map
		l.Fail(fmt.Sprint("old", i), t0)
	}
	l.Fail("new", t0.Add(2*time.Minute))
	if len(l.keys) != 2 {
		t.Errorf("%d keys kept, want a and new", len(l.keys))
	}
	if _, ok := l.keys["a"]; !ok {
		t.Error("a locked-out key was dropped before expired ones")
	}
}

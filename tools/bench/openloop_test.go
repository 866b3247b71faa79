package bench

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// The search ends on the highest rate that holds, to within the
// resolution, in few probes; it never reports a rate that failed.
func TestHighestHeld(t *testing.T) {
	for _, c := range []struct{ start, resolution, max, limit, want int }{
		{1000, 250, 40_000, 5_600, 5_500},
		{1000, 250, 40_000, 5_500, 5_500},
		{1000, 250, 40_000, 999, 750},     // the start fails: halve
		{1000, 250, 40_000, 200, 0},       // no rate down to the resolution holds
		{4000, 100, 40_000, 1_234, 1_200}, // halve twice, then bisect
		{1000, 250, 40_000, 1000, 1000},   // only the start holds
		{1000, 250, 40_000, 100_000, 40_000},
		{1000, 250, 5_000, 4_900, 4_750}, // max is not a power of two of start
		{100, 10, 1_000, 333, 330},
	} {
		var probes []int
		got := highestHeld(c.start, c.resolution, c.max, func(rate int) bool {
			probes = append(probes, rate)
			return rate <= c.limit
		})
		if got != c.want {
			t.Errorf("%+v: highest held %d, want %d (probes %v)", c, got, c.want, probes)
		}
		if len(probes) > 14 {
			t.Errorf("%+v: %d probes: %v", c, len(probes), probes)
		}
	}
}

// Every scheduled request is sent and timed; failures and requests no
// worker was free for count as errors, and such a step does not hold.
func TestFire(t *testing.T) {
	ok := func(*rand.Rand) error { return nil }
	st := fire(1000, 50*time.Millisecond, 100, false, ok)
	if st.Sent != 50 || st.Errors != 0 || st.P50 <= 0 || st.P99 < st.P50 || !st.Holds(time.Hour) {
		t.Errorf("all succeed: %+v", st)
	}
	if st.Holds(0) {
		t.Errorf("held a p99 of %v within 0", st.P99)
	}
	timed := fire(1000, 1500*time.Millisecond, 100, true, ok)
	if len(timed.Seconds) != 2 || timed.Seconds[0].Count() != 1000 || timed.Seconds[1].Count() != 500 {
		t.Errorf("a timeline of 1.5 s at 1000/s: %d seconds", len(timed.Seconds))
	}
	failing := fire(1000, 20*time.Millisecond, 100, false, func(*rand.Rand) error { return errors.New("no") })
	if failing.Sent != 20 || failing.Errors != 20 || failing.Holds(time.Hour) {
		t.Errorf("all fail: %+v", failing)
	}
	none := fire(1000, 20*time.Millisecond, 0, false, ok)
	if none.Sent != 20 || none.Errors != 20 || none.Holds(time.Hour) {
		t.Errorf("no worker: %+v", none)
	}
}

func TestMedians(t *testing.T) {
	ms := time.Millisecond
	runs := [][]Line{
		{{"a", 300, 9 * ms}, {"b", 10, 1 * ms}},
		{{"a", 100, 7 * ms}, {"b", 30, 3 * ms}},
		{{"a", 200, 8 * ms}, {"b", 20, 2 * ms}},
	}
	got := Medians(runs)
	if len(got) != 2 || got[0] != (Line{"a", 200, 8 * ms}) || got[1] != (Line{"b", 20, 2 * ms}) {
		t.Errorf("odd: %v", got)
	}
	got = Medians(runs[:2])
	if got[0] != (Line{"a", 200, 8 * ms}) || got[1] != (Line{"b", 20, 2 * ms}) {
		t.Errorf("even: %v", got)
	}
}

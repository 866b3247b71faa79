package latency_test

import (
	"testing"
	"time"

	"minipay/tools/latency"
)

// near reports whether got is want within the histogram's precision.
func near(got, want time.Duration) bool {
	return got-want <= want/1000 && want-got <= want/1000
}

func TestQuantiles(t *testing.T) {
	var h latency.Histogram
	for i := 200; i >= 1; i-- {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 100 * time.Millisecond}, {0.9, 180 * time.Millisecond}, {0.99, 198 * time.Millisecond}, {1, 200 * time.Millisecond}} {
		if got := h.Quantile(c.q); !near(got, c.want) {
			t.Errorf("p%v = %v, want %v", c.q*100, got, c.want)
		}
	}
	if h.Count() != 200 || !near(h.Max(), 200*time.Millisecond) || !near(h.Mean(), 100500*time.Microsecond) {
		t.Errorf("count %d, max %v, mean %v", h.Count(), h.Max(), h.Mean())
	}
}

func TestEdgeCases(t *testing.T) {
	var empty latency.Histogram
	if empty.Count() != 0 || empty.Quantile(.5) != 0 || empty.Max() != 0 || empty.Mean() != 0 {
		t.Errorf("empty: %d %v %v %v", empty.Count(), empty.Quantile(.5), empty.Max(), empty.Mean())
	}
	var one latency.Histogram
	one.Record(time.Millisecond)
	if !near(one.Quantile(.99), time.Millisecond) || !near(one.Quantile(0.001), time.Millisecond) {
		t.Errorf("one value: p99 %v, p0.1 %v", one.Quantile(.99), one.Quantile(0.001))
	}
	var out latency.Histogram
	out.Record(-time.Second)
	out.Record(3 * time.Hour)
	if out.Count() != 2 || out.Quantile(0.01) != 0 || !near(out.Max(), time.Hour) {
		t.Errorf("out of range: count %d, min %v, max %v: want 0 and an hour", out.Count(), out.Quantile(0.01), out.Max())
	}
}

// Merging per-goroutine histograms gives what one histogram of every
// value gives, and leaves the merged-in one alone.
func TestMerge(t *testing.T) {
	var all, odd, even, sum latency.Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Microsecond
		all.Record(d)
		if i%2 == 1 {
			odd.Record(d)
		} else {
			even.Record(d)
		}
	}
	sum.Merge(odd)
	sum.Merge(even)
	sum.Merge(latency.Histogram{})
	for _, q := range []float64{.5, .9, .99, 1} {
		if sum.Quantile(q) != all.Quantile(q) {
			t.Errorf("p%v: merged %v, whole %v", q*100, sum.Quantile(q), all.Quantile(q))
		}
	}
	if sum.Count() != 1000 || odd.Count() != 500 {
		t.Errorf("counts: merged %d, odd %d", sum.Count(), odd.Count())
	}
}

// Package latency is the tools' one definition of latency statistics: an
// HDR histogram (github.com/HdrHistogram/hdrhistogram-go) instead of
// keeping and sorting every sample, so a long run costs memory by the
// number of distinct buckets, not of requests, and every tool's p99 means
// the same thing.
package latency

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Precision: three significant digits (a value is off by at most 0.1%)
// from 1 ns to an hour; longer latencies count as an hour.
const (
	digits  = 3
	highest = int64(time.Hour)
)

// Histogram counts latencies. The zero value is empty and ready to use.
// It is not safe for concurrent use: give each goroutine its own and
// Merge them, or guard one with a mutex. Copies share their counts.
type Histogram struct {
	h *hdrhistogram.PackedHistogram // sparse: grows with the buckets in use
}

// Record counts one latency.
func (h *Histogram) Record(d time.Duration) {
	if h.h == nil {
		h.h = hdrhistogram.NewPacked(1, highest, digits)
	}
	h.h.RecordValue(min(max(int64(d), 0), highest)) // cannot fail in range
}

// Merge adds every latency counted in o.
func (h *Histogram) Merge(o Histogram) {
	if o.h == nil {
		return
	}
	if h.h == nil {
		h.h = o.h.Clone()
		return
	}
	h.h.Merge(o.h)
}

// Count is how many latencies were recorded.
func (h Histogram) Count() int {
	if h.h == nil {
		return 0
	}
	return int(h.h.TotalCount())
}

// Quantile is the latency at quantile q (0 to 1: .5 is the median, .99
// the p99, 1 the maximum): the value of rank q×n (rounded, at least 1)
// among the n recorded, as the top of its bucket, so at most 0.1% above
// it; 0 when nothing was recorded.
func (h Histogram) Quantile(q float64) time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.ValueAtPercentile(q * 100))
}

// Max is the largest latency recorded (0 if none).
func (h Histogram) Max() time.Duration { return h.Quantile(1) }

// Mean is the mean latency (0 if none).
func (h Histogram) Mean() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.Mean())
}

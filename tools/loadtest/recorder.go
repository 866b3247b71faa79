package loadtest

import (
	"sync"
	"sync/atomic"
	"time"

	"minipay/tools/latency"
)

// recorder counts HTTP steps from any goroutine, by step and by the
// second of the run they started in, with live counters for the progress
// line. Latencies go into histograms, so memory does not grow with the
// number of requests.
type recorder struct {
	start time.Time

	mu       sync.Mutex
	byStep   map[string]*tally
	bySecond []*tally

	requests, errors, transport atomic.Int64
}

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, byStep: map[string]*tally{}}
}

func (r *recorder) add(step string, t0 time.Time, took time.Duration, outcome string) {
	r.requests.Add(1)
	if outcome != "" {
		r.errors.Add(1)
		if outcome == "transport" {
			r.transport.Add(1)
		}
	}
	sec := max(int(t0.Sub(r.start)/time.Second), 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byStep[step] == nil {
		r.byStep[step] = newTally()
	}
	r.byStep[step].add(took, outcome)
	for len(r.bySecond) <= sec {
		r.bySecond = append(r.bySecond, newTally())
	}
	r.bySecond[sec].add(took, outcome)
}

// steps summarises each step, in stepOrder.
func (r *recorder) steps(elapsed time.Duration) []StepStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []StepStats
	for _, name := range stepOrder {
		if t, ok := r.byStep[name]; ok {
			out = append(out, t.stats(name, elapsed))
		}
	}
	return out
}

// total summarises every step together.
func (r *recorder) total(elapsed time.Duration) StepStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := newTally()
	for _, t := range r.byStep {
		all.merge(t)
	}
	return all.stats("all", elapsed)
}

// timeline summarises each second of the run by the requests that started
// in it; requests that started after the run's last second count in it.
func (r *recorder) timeline(elapsed time.Duration) []Bucket {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := int((elapsed + time.Second - 1) / time.Second)
	secs := make([]*tally, n)
	for i := range secs {
		secs[i] = newTally()
	}
	for i, t := range r.bySecond {
		if n > 0 {
			secs[min(i, n-1)].merge(t)
		}
	}
	out := make([]Bucket, n)
	for i, t := range secs {
		out[i] = Bucket{Second: i, Requests: t.lat.Count(), Errors: t.failed(), P50: t.lat.Quantile(.5), P99: t.lat.Quantile(.99)}
	}
	return out
}

// tally counts requests: their latencies, and how many failed by outcome.
type tally struct {
	lat    latency.Histogram
	ok     int
	errors map[string]int
}

func newTally() *tally { return &tally{errors: map[string]int{}} }

func (t *tally) add(took time.Duration, outcome string) {
	t.lat.Record(took)
	if outcome == "" {
		t.ok++
	} else {
		t.errors[outcome]++
	}
}

func (t *tally) merge(o *tally) {
	t.lat.Merge(o.lat)
	t.ok += o.ok
	for code, n := range o.errors {
		t.errors[code] += n
	}
}

func (t *tally) failed() int { return t.lat.Count() - t.ok }

// stats summarises the tally as the step name over a run of elapsed.
func (t *tally) stats(name string, elapsed time.Duration) StepStats {
	st := StepStats{Name: name, Requests: t.lat.Count(), OK: t.ok, Errors: map[string]int{},
		Mean: t.lat.Mean(), P50: t.lat.Quantile(.5), P95: t.lat.Quantile(.95), P99: t.lat.Quantile(.99), Max: t.lat.Max()}
	for code, n := range t.errors {
		st.Errors[code] = n
	}
	if elapsed > 0 {
		st.PerSecond = float64(st.Requests) / elapsed.Seconds()
	}
	return st
}

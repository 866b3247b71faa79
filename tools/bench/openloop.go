package bench

import (
	"context"
	"math/rand/v2"
	"runtime/pprof"
	"sync"
	"time"

	"minipay/tools/latency"
)

// This file is the open-loop load generator (as vegeta's): requests leave
// on a fixed schedule whether or not earlier ones were answered, and each
// is timed from its scheduled send, so a server that falls behind shows
// in the latency instead of slowing the load down (no coordinated
// omission, which a closed loop of clients suffers: they wait, and the
// requests they would have sent are never timed).

// Step is one rate held for a while.
type Step struct {
	Rate   int // requests a second scheduled
	Sent   int // requests scheduled (Rate × the step's duration)
	Errors int // answered with an error, or not sent: no worker was free
	// Achieved is requests answered a second, from the first scheduled
	// send to the last answer (at least the step's duration).
	Achieved float64
	P50, P99 time.Duration
	// CPU is the process's CPU time (server and load generator, user and
	// system) per request answered: a cost the shared machine's noise
	// moves less than the rate it holds.
	CPU time.Duration
	// Seconds are the latencies by the second they were scheduled in,
	// when fire was asked to keep them (a timeline), else nil.
	Seconds []latency.Histogram
}

// Holds reports whether the step held its rate: every request answered
// without error and the 99th percentile within target.
func (s Step) Holds(target time.Duration) bool {
	return s.Errors == 0 && s.Sent > 0 && s.P99 <= target
}

// fire schedules rate requests a second for d, the i-th at start + i/rate,
// and sends each from a free worker, starting a new one when none is
// free, up to maxWorkers; a request due when all maxWorkers are busy
// counts as an error. Each worker calls send with its own rng. With
// perSecond, the step also keeps its latencies second by second.
func fire(rate int, d time.Duration, maxWorkers int, perSecond bool, send func(rng *rand.Rand) error) Step {
	n := int(int64(rate) * int64(d) / int64(time.Second))
	st := Step{Rate: rate, Sent: n}
	if perSecond {
		st.Seconds = make([]latency.Histogram, (d+time.Second-1)/time.Second)
	}
	due := make(chan time.Time)
	var mu sync.Mutex
	var lat latency.Histogram
	var wg sync.WaitGroup
	start, cpu := time.Now(), processCPU()
	worker := func(seed uint64, first time.Time) {
		asGenerator()
		rng := rand.New(rand.NewPCG(seed, uint64(first.UnixNano())))
		var mine latency.Histogram
		var secs []latency.Histogram
		if perSecond {
			secs = make([]latency.Histogram, len(st.Seconds))
		}
		errors := 0
		for at, ok := first, true; ok; at, ok = <-due {
			if send(rng) != nil {
				errors++
				continue
			}
			took := time.Since(at)
			mine.Record(took)
			if secs != nil {
				secs[min(int(at.Sub(start)/time.Second), len(secs)-1)].Record(took)
			}
		}
		mu.Lock()
		lat.Merge(mine)
		for i := range secs {
			st.Seconds[i].Merge(secs[i])
		}
		st.Errors += errors
		mu.Unlock()
	}
	workers, dropped := 0, 0
	for i := range n {
		at := start.Add(time.Duration(int64(i) * int64(time.Second) / int64(rate)))
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case due <- at:
		default:
			if workers == maxWorkers {
				dropped++
				continue
			}
			workers++
			seed := uint64(workers)
			wg.Go(func() { worker(seed, at) })
		}
	}
	close(due)
	wg.Wait()
	st.Errors += dropped
	st.Achieved = float64(lat.Count()) / max(time.Since(start), d).Seconds()
	st.P50, st.P99 = lat.Quantile(.5), lat.Quantile(.99)
	if answered := lat.Count(); answered > 0 {
		st.CPU = (processCPU() - cpu) / time.Duration(answered)
	}
	return st
}

// highestHeld finds the highest rate that holds: from start it doubles
// the rate until one fails (or max holds), or halves it until one holds
// (down to resolution), then bisects between the highest held and the
// lowest failed down to resolution. It returns 0 if no rate holds.
func highestHeld(start, resolution, max int, holds func(rate int) bool) int {
	held, failed := 0, 0
	if r := min(start, max); holds(r) {
		for held = r; held < max; held = r {
			if r = min(2*held, max); !holds(r) {
				failed = r
				break
			}
		}
	} else {
		for failed = r; failed > resolution; failed = r {
			if r = failed / 2; holds(r) {
				held = r
				break
			}
		}
	}
	for failed-held > resolution && held > 0 {
		mid := held + (failed-held)/2/resolution*resolution
		if mid == held {
			mid += resolution
		}
		if holds(mid) {
			held = mid
		} else {
			failed = mid
		}
	}
	return held
}

// asGenerator labels the calling goroutine's samples in a CPU profile
// side=generator, so that a profile of a run tells the load generator's
// CPU from the server's (go tool pprof -tagfocus side=generator, or
// -tagignore): both run in this process.
func asGenerator() { pprof.SetGoroutineLabels(generatorLabels) }

var generatorLabels = pprof.WithLabels(context.Background(), pprof.Labels("side", "generator"))

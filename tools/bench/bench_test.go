package bench_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"minipay/store/dbtest"
	"minipay/tools/bench"
)

// eachBackend runs fn on a fresh database of each backend, in parallel,
// and logs what it printed to out.
func eachBackend(t *testing.T, fn func(t *testing.T, url string, out *bytes.Buffer)) {
	t.Parallel()
	for _, backend := range dbtest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			fn(t, dbtest.URL(t, backend), &out)
			t.Log(out.String())
		})
	}
}

// A short run of every scenario, engine, naive baseline and HTTP: every
// scenario moves money, without errors, and the books balance.
func TestRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string, out *bytes.Buffer) {
		results, report, err := bench.Run(context.Background(), bench.Config{
			DatabaseURL: url, Accounts: 40, Concurrency: 8,
			Duration: 50 * time.Millisecond, Workers: 2, HTTP: true, Out: out,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 6 {
			t.Fatalf("%d results, want 6 (engine, naive and HTTP, spread and hot)", len(results))
		}
		for _, r := range results {
			if r.Transfers == 0 || r.Errors > 0 || r.P50 <= 0 || r.P99 < r.P50 {
				t.Errorf("%s/%s: %+v", r.Scenario, r.Mode, r)
			}
		}
		if len(report.Problems) > 0 {
			t.Errorf("audit: %v", report.Problems)
		}
	})
}

// Two short runs of bench-http on fresh databases: with a target nothing
// misses, the open-loop search climbs to the highest rate it may try, the
// closed loops move money, every run's books balance (RunLoad fails
// otherwise), and the medians keep the lines in order.
func TestRunLoad(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string, out *bytes.Buffer) {
		runs, err := bench.RunLoad(context.Background(), bench.LoadConfig{
			DatabaseURL: url, Runs: 2, Accounts: 30, Workers: 2,
			Target: time.Hour, StartRate: 20, Resolution: 10, MaxRate: 40, Step: 100 * time.Millisecond, MaxWorkers: 100,
			Clients: []int{2, 4}, ClientDuration: 50 * time.Millisecond, Out: out,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 {
			t.Fatalf("%d runs, want 2", len(runs))
		}
		for _, lines := range append(runs, bench.Medians(runs)) {
			if len(lines) != 4 {
				t.Fatalf("%d lines, want open-loop spread and hot, and two closed loops: %v", len(lines), lines)
			}
			for i, l := range lines {
				if i < 2 && l.PerSecond != 40 || l.PerSecond <= 0 || l.P99 <= 0 {
					t.Errorf("%s: %v/s, p99 %v", l.Name, l.PerSecond, l.P99)
				}
			}
		}
	})
}

package bench_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"minipay/store/dbtest"
	"minipay/tools/bench"
)

// Two short runs on fresh databases: with a target nothing misses, the
// open-loop search climbs to the highest rate it may try, the closed
// loops move money, every run's books balance (RunLoad fails otherwise),
// and the medians keep the lines in order.
func TestRunLoad(t *testing.T) {
	t.Parallel()
	for _, backend := range dbtest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			runs, err := bench.RunLoad(context.Background(), bench.LoadConfig{
				DatabaseURL: dbtest.URL(t, backend), Runs: 2, Accounts: 30, Workers: 2,
				Target: time.Hour, StartRate: 20, Resolution: 10, MaxRate: 40, Step: 100 * time.Millisecond, MaxWorkers: 100,
				Clients: []int{2, 4}, ClientDuration: 50 * time.Millisecond, Out: &out,
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
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
			t.Log(out.String())
		})
	}
}

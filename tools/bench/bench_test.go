package bench_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"minipay/store/dbtest"
	"minipay/tools/bench"
)

// A short run of every scenario, engine, naive baseline and HTTP: every
// scenario moves money, without errors, and the books balance.
func TestRun(t *testing.T) {
	t.Parallel()
	for _, backend := range dbtest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			results, report, err := bench.Run(context.Background(), bench.Config{
				DatabaseURL: dbtest.URL(t, backend), Accounts: 40, Concurrency: 8,
				Duration: 50 * time.Millisecond, Workers: 2, HTTP: true, Out: &out,
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
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
			t.Log(out.String())
		})
	}
}

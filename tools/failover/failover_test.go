package failover

import (
	"strings"
	"testing"
	"time"

	"minipay/store"
	"minipay/tools/drill"
)

// TestProblems: a clean run has none, and each way a failover can go
// wrong is named.
func TestProblems(t *testing.T) {
	clean := Result{
		Drill: drill.Result{Requests: 10, Applied: 10, AutoCharged: 2, Unavailable: 5, JobsResumed: true,
			Audit: store.AuditReport{Transactions: 12}},
		SyncCommit: "on", SyncStandbys: "ANY 1 (pgautofailover_standby_2)",
		Recovery: 8 * time.Second,
	}
	if p := clean.Problems(); len(p) != 0 {
		t.Fatalf("a clean run: %v", p)
	}
	for name, tc := range map[string]struct {
		spoil func(*Result)
		want  string
	}{
		"a lost transaction":   {func(r *Result) { r.Drill.Audit.Transactions = 11 }, "holds 11"},
		"a doubled one":        {func(r *Result) { r.Drill.Audit.Transactions = 13 }, "holds 13"},
		"a balance off":        {func(r *Result) { r.Drill.Mismatches = []string{"u1"} }, "1 balance mismatches"},
		"a 500":                {func(r *Result) { r.Drill.ServerErrors = 1 }, "5xx other than 503"},
		"no write after":       {func(r *Result) { r.Recovery = 0 }, "no write succeeded"},
		"jobs stuck":           {func(r *Result) { r.Drill.JobsResumed = false }, "jobs did not run"},
		"asynchronous standby": {func(r *Result) { r.SyncStandbys = "" }, "not synchronous"},
		"commit off":           {func(r *Result) { r.SyncCommit = "local" }, "not synchronous"},
	} {
		r := clean
		tc.spoil(&r)
		p := r.Problems()
		if len(p) != 1 || !strings.Contains(p[0], tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", name, p, tc.want)
		}
	}
}

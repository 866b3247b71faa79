package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipay/store"
)

// StepStats summarises one step (or all of them).
type StepStats struct {
	Name      string
	Requests  int
	OK        int
	Errors    map[string]int // by outcome code
	PerSecond float64        // requests per second of the run
	Mean      time.Duration
	P50, P95  time.Duration
	P99, Max  time.Duration
}

// ErrorCount is the number of failed requests.
func (s StepStats) ErrorCount() int { return s.Requests - s.OK }

// ErrorList renders Errors as "code n, code n", most frequent first.
func (s StepStats) ErrorList() string {
	codes := slices.Collect(maps.Keys(s.Errors))
	slices.SortFunc(codes, func(a, b string) int {
		if d := s.Errors[b] - s.Errors[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = c + " " + thousands(int64(s.Errors[c]))
	}
	return strings.Join(parts, ", ")
}

// ScenarioStats counts the runs of one scenario.
type ScenarioStats struct {
	Name       string
	Weight     int
	Runs       int
	OK, Failed int
	Time       time.Duration // summed over runs
}

// Bucket is one second of the run.
type Bucket struct {
	Second   int
	Requests int
	Errors   int
	P50, P99 time.Duration
}

// Report is what a run measured.
type Report struct {
	URL          string
	RunID        string
	Users        int // set up before the run
	FinalUsers   int // after the sign-up scenarios
	Concurrency  int
	Rate         float64
	Duration     time.Duration
	Seed         uint64
	HotSenders   int
	Weights      map[string]int
	SetupElapsed time.Duration
	Setup        []StepStats

	Started   time.Time
	Elapsed   time.Duration // from the first scenario to the last one's end
	Steps     []StepStats   // in stepOrder, only steps that ran
	Total     StepStats
	Timeline  []Bucket
	Scenarios []ScenarioStats
	Retries   int64 // requests repeated after a transport error or 5xx

	Audit        *store.AuditReport // nil if the audit could not run
	AuditErr     string             // why it could not
	AuditElapsed time.Duration
}

// Passed reports whether the audit ran and found the books balanced.
func (r *Report) Passed() bool {
	return r.AuditErr == "" && r.Audit != nil && len(r.Audit.Problems) == 0
}

// Step returns the stats of the named step (zero if it never ran).
func (r *Report) Step(name string) StepStats {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return StepStats{Name: name}
}

// Scenario returns the stats of the named scenario.
func (r *Report) Scenario(name string) ScenarioStats {
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s
		}
	}
	return ScenarioStats{Name: name}
}

// thousands formats n with commas: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ms formats a latency with three significant digits: 0.412ms, 3.21ms, 152ms, 1.23s.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case d == 0:
		return "0"
	case f < 1:
		return strconv.FormatFloat(f, 'f', 3, 64) + "ms"
	case f < 10:
		return strconv.FormatFloat(f, 'f', 2, 64) + "ms"
	case f < 100:
		return strconv.FormatFloat(f, 'f', 1, 64) + "ms"
	case f < 1000:
		return strconv.FormatFloat(f, 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(f/1000, 'f', 2, 64) + "s"
}

func rate(f float64) string {
	if f >= 100 {
		return thousands(int64(f + 0.5))
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// WriteText prints the report as tables.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\nminipay load test against %s: %d users set up in %s, %d VUs for %s (seed %d)\n",
		r.URL, r.Users, r.SetupElapsed.Round(time.Millisecond), r.Concurrency, r.Elapsed.Round(time.Millisecond), r.Seed)
	writeSteps(w, r.Steps, &r.Total)
	fmt.Fprintf(w, "\n%-12s %6s %8s %8s %8s %10s\n", "scenario", "weight", "runs", "ok", "failed", "mean time")
	for _, s := range r.Scenarios {
		mean := time.Duration(0)
		if s.Runs > 0 {
			mean = s.Time / time.Duration(s.Runs)
		}
		fmt.Fprintf(w, "%-12s %6d %8s %8s %8s %10s\n", s.Name, s.Weight, thousands(int64(s.Runs)), thousands(int64(s.OK)),
			thousands(int64(s.Failed)), ms(mean))
	}
	fmt.Fprintf(w, "\nsetup (not in the run's numbers):\n")
	writeSteps(w, r.Setup, nil)
	if r.Retries > 0 {
		fmt.Fprintf(w, "\n%d requests were retried after a transport error or 5xx (same Idempotency-Key)\n", r.Retries)
	}
	fmt.Fprintln(w)
	switch {
	case r.AuditErr != "":
		fmt.Fprintf(w, "AUDIT NOT RUN: %s\n", r.AuditErr)
	case len(r.Audit.Problems) > 0:
		for _, p := range r.Audit.Problems {
			fmt.Fprintln(w, "AUDIT PROBLEM:", p)
		}
		fmt.Fprintf(w, "AUDIT FAILED: %d problems (%s transactions, %s entries)\n", len(r.Audit.Problems),
			thousands(r.Audit.Transactions), thousands(r.Audit.Entries))
	default:
		fmt.Fprintf(w, "audit passed: %s transactions, %s entries, %s won in user accounts; the books balance\n",
			thousands(r.Audit.Transactions), thousands(r.Audit.Entries), thousands(r.Audit.UserMoney))
	}
}

func writeSteps(w io.Writer, steps []StepStats, total *StepStats) {
	fmt.Fprintf(w, "\n%-22s %9s %9s %8s %9s %9s %9s %9s  %s\n", "step", "requests", "ok", "req/s", "p50", "p95", "p99", "max", "errors")
	row := func(s StepStats) {
		fmt.Fprintf(w, "%-22s %9s %9s %8s %9s %9s %9s %9s  %s\n", s.Name, thousands(int64(s.Requests)), thousands(int64(s.OK)),
			rate(s.PerSecond), ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max), s.ErrorList())
	}
	for _, s := range steps {
		row(s)
	}
	if total != nil {
		row(*total)
	}
}

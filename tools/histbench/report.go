package histbench

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"minipay/tools/latency"
)

// TargetDB is the tuned pages' p99 at the database the issue asks for,
// TargetSpeedup how much faster than the naive deep page they must be, and
// TargetClient store.History's p99 at the client (the wall time the
// caller waits).
const (
	TargetDB      = 5 * time.Millisecond
	TargetSpeedup = 100
	TargetClient  = 2 * time.Millisecond
)

func fmtMs(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.3f ms", v)
	case v < 1000:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f×", float64(a)/float64(b))
}

func (b *bench) report(results []*result, rm *removal) {
	w := b.cfg.Out
	d := b.data
	fmt.Fprintf(w, "\n## %d entries, %d accounts, %d months (%s – %s); page size %d\n",
		d.Entries, d.Accounts, d.Months, d.Start.In(b.loc).Format("2006-01-02"), d.End.In(b.loc).Format("2006-01-02"), PageSize)
	fmt.Fprintf(w, "generation took %v\n", d.GenerationTime.Round(time.Second))

	table := func(title string, client bool, get func(side) latency.Histogram) {
		fmt.Fprintf(w, "\n%s\n\n", title)
		fmt.Fprint(w, "| case | runs |")
		for _, v := range variantNames {
			fmt.Fprintf(w, " %s p50 / p99 |", v)
		}
		fmt.Fprintln(w, " naive ÷ tuned (p50) | naive ÷ page first (p50) |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
		for _, r := range results {
			var runs []string
			var p50 [nVariants]time.Duration
			for v := range nVariants {
				runs = append(runs, fmt.Sprint(get(r.sides[v]).Count()))
				p50[v] = get(r.sides[v]).Quantile(.5)
			}
			fmt.Fprintf(w, "| %s | %s |", r.name, strings.Join(runs, " / "))
			for v := range nVariants {
				cell := func(d time.Duration) string {
					if client && r.sides[v].timeouts > 0 && d >= NaiveClientTimeout {
						return "≥ " + fmtMs(d)
					}
					return fmtMs(d)
				}
				fmt.Fprintf(w, " %s / %s |", cell(p50[v]), cell(get(r.sides[v]).Quantile(.99)))
			}
			fmt.Fprintf(w, " %s | %s |\n", ratio(p50[naive], p50[tuned]), ratio(p50[naive], p50[pageFirst]))
		}
	}
	table("At the database: EXPLAIN ANALYZE execution time (TIMING OFF), custom plans:", false, func(s side) latency.Histogram { return s.exec })
	table("Planning time of those EXPLAINs (a prepared statement on a generic plan skips it):", false, func(s side) latency.Histogram { return s.plan })
	fmt.Fprintf(w, "\nAt the database, the plan store.History runs: EXPLAIN ANALYZE (TIMING OFF) EXECUTE of its statement prepared under plan_cache_mode force_generic_plan:\n\n")
	fmt.Fprintln(w, "| case | runs | execution p50 / p99 | planning p50 / p99 |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, r := range results {
		g := r.sides[pageFirst]
		fmt.Fprintf(w, "| %s | %d | %s / %s | %s / %s |\n", r.name, g.genExec.Count(), fmtMs(g.genExec.Quantile(.5)), fmtMs(g.genExec.Quantile(.99)),
			fmtMs(g.genPlan.Quantile(.5)), fmtMs(g.genPlan.Quantile(.99)))
	}
	table("At the client: wall time of the call (baseline.History, store.History, the page-first statement through the same pool; prepared statements cached per connection):", true,
		func(s side) latency.Histogram { return s.client })

	for _, r := range results {
		if n := r.sides[naive].timeouts; n > 0 {
			fmt.Fprintf(w, "\n%s: %d of %d naive client calls were cancelled after %v: the connection's prepared statement had switched to a generic plan.\n",
				r.name, n, r.sides[naive].client.Count(), NaiveClientTimeout)
		}
	}

	if rm != nil {
		fmt.Fprintf(w, "\nRemoving month %s (%d entries + %d transactions), %d runs each:\n\n", rm.month, rm.entries, rm.txns, rm.del.Count())
		fmt.Fprintln(w, "| way | p50 | max | WAL written (p50) | afterwards |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		fmt.Fprintf(w, "| DELETE … WHERE created_at in month (entries + transactions, one transaction) | %s | %s | %.1f MB | VACUUM owed: %s (p50) |\n",
			fmtMs(rm.del.Quantile(.5)), fmtMs(rm.del.Quantile(1)), float64(median(rm.delWAL))/(1<<20), fmtMs(rm.vacuum.Quantile(.5)))
		fmt.Fprintf(w, "| DROP TABLE of the month's two partitions (one transaction) | %s | %s | %.1f kB | nothing |\n",
			fmtMs(rm.drop.Quantile(.5)), fmtMs(rm.drop.Quantile(1)), float64(median(rm.dropWAL))/(1<<10))
		fmt.Fprintf(w, "\nDROP is %s faster than DELETE (p50), %s counting the VACUUM the DELETE leaves owing.\n",
			ratio(rm.del.Quantile(.5), rm.drop.Quantile(.5)), ratio(rm.del.Quantile(.5)+rm.vacuum.Quantile(.5), rm.drop.Quantile(.5)))
	}

	fmt.Fprintln(w, "\nTargets (database execution time, custom plans; the client's wall time):")
	var deepNaive time.Duration
	for _, r := range results {
		if strings.HasPrefix(r.name, "(b)") {
			deepNaive = r.sides[naive].exec.Quantile(.5)
		}
	}
	for _, v := range []int{tuned, pageFirst} {
		for _, r := range results[:2] {
			if r.sides[v].exec.Count() == 0 {
				continue // not measured (--history-only)
			}
			p99 := r.sides[v].exec.Quantile(.99)
			fmt.Fprintf(w, "  %s, %s: p99 %s (< %v: %s); naive deep page p50 ÷ this p99 = %s (≥ %d×: %s)\n",
				variantNames[v], r.name, fmtMs(p99), TargetDB, yes(p99 < TargetDB), ratio(deepNaive, p99), TargetSpeedup, yes(p99 > 0 && deepNaive >= TargetSpeedup*p99))
		}
	}
	for _, r := range results[:2] {
		p99 := r.sides[pageFirst].client.Quantile(.99)
		fmt.Fprintf(w, "  store.History at the client, %s: p99 %s (< %v: %s)\n", r.name, fmtMs(p99), TargetClient, yes(p99 < TargetClient))
	}

	fmt.Fprintln(w, "\nEXPLAIN (ANALYZE, BUFFERS) of one representative run each:")
	for _, r := range results {
		for v := range nVariants {
			if r.sides[v].explain == "" {
				continue // not measured (--history-only)
			}
			fmt.Fprintf(w, "\n%s — %s:\n%s\n", r.name, variantNames[v], indent(r.sides[v].explain))
			if g := r.sides[v].generic; g != "" {
				fmt.Fprintf(w, "\n%s — %s, generic plan:\n%s\n", r.name, variantNames[v], indent(g))
			}
		}
	}
	if rm != nil {
		fmt.Fprintf(w, "\n(d) DELETE of month %s from entries:\n%s\n", rm.month, indent(rm.delExplain))
		fmt.Fprintf(w, "\n(d) DROP: %s — catalog changes and unlinking the files, no per-row work\n", rm.dropSQL)
	}
}

// median is the middle of v (the lower one of an even count).
func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func yes(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

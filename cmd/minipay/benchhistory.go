package main

import (
	"context"
	"flag"
	"os"
	"time"

	"minipay/tools/histbench"
)

// runBenchHistory is `minipay bench-history`: history reads at scale,
// naive against tuned, and removing a month, on PostgreSQL.
func runBenchHistory(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench-history", flag.ExitOnError)
	cfg := histbench.Config{Out: os.Stdout}
	fs.StringVar(&cfg.DatabaseURL, "database", "",
		"PostgreSQL URL of a dedicated database (e.g. postgres://postgres@127.0.0.1:5432/histbench); the history is generated in it")
	fs.IntVar(&cfg.Entries, "entries", 10_000_000, "entries to generate")
	fs.IntVar(&cfg.Accounts, "accounts", 100_000, "accounts to generate")
	fs.IntVar(&cfg.Months, "months", 13, "months of history, ending now")
	fs.IntVar(&cfg.Samples, "samples", 200, "runs of the tuned query per case")
	fs.IntVar(&cfg.NaiveSamples, "naive-samples", 0, "runs of the naive query per case (0: as many as --samples)")
	fs.DurationVar(&cfg.NaiveBudget, "naive-budget", 3*time.Minute,
		"per case, stop the naive runs (after at least 5) once they have taken this long: each scans all entries")
	fs.IntVar(&cfg.DropRuns, "drop-runs", 3, "runs of DELETE and of DROP for removing a month")
	fs.BoolVar(&cfg.HistoryOnly, "history-only", false,
		"time store.History alone (the page-first variant): no naive or joins-first runs beyond the first page check, no month removal")
	fs.BoolVar(&cfg.Reuse, "reuse", false, "measure the history an earlier run generated instead of failing on it")
	parseFlags(fs, args)
	return histbench.Run(ctx, cfg)
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"minipay/tools/loadtest"
)

func runLoadtest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loadtest", flag.ExitOnError)
	cfg := loadtest.Config{Progress: os.Stderr}
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the running server to load")
	dbURL := databaseFlag(fs) // the server's: audited after the run, and the load test fails unless it passes
	fs.IntVar(&cfg.Users, "users", 100, "users signed up and funded before the run")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long virtual users start new scenarios")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "virtual users (each runs one scenario at a time)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "at most this many scenario starts per second across all VUs (0: as fast as they go)")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the VUs' choices (0: from the clock; the report prints it)")
	fs.IntVar(&cfg.HotSenders, "hot-senders", 100, "transfers one hot burst releases at once towards one receiver")
	fs.IntVar(&cfg.SetupParallelism, "setup-parallelism", 4, "concurrent sign-ups while setting up (each is a bcrypt hash on the server)")
	fs.BoolVar(&cfg.FastSetup, "fast-setup", false, "create the set-up users directly in --database with a cheap password hash instead of signing each up through the API (logins and charges still use the API)")
	fs.StringVar(&cfg.HTML, "html", "loadtest.html", `write the HTML report here ("" for none)`)
	weights := fs.String("weights", "", "scenario weights over the defaults, e.g. transfer=20,hot=0 (scenarios: signup, charge, transfer, hot, pending, settlement, history, savings)")
	parseFlags(fs, args)
	var err error
	if cfg.Weights, err = loadtest.ParseWeights(*weights); err != nil {
		return err
	}
	cfg.DatabaseURL = *dbURL

	rep, err := loadtest.Run(ctx, cfg)
	if rep != nil {
		rep.WriteText(os.Stdout)
		if cfg.HTML != "" && err == nil {
			fmt.Printf("HTML report: %s\n", cfg.HTML)
		}
	}
	if err != nil {
		return err
	}
	if !rep.Passed() {
		if rep.AuditErr != "" {
			return fmt.Errorf("load test failed: the audit did not run: %s", rep.AuditErr)
		}
		return fmt.Errorf("load test failed: the audit found %d problems", len(rep.Audit.Problems))
	}
	return nil
}

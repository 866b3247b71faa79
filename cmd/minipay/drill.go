package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"minipay/tools/drill"
)

func runDrill(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("drill", flag.ExitOnError)
	cfg := drill.Config{Out: os.Stdout}
	loadFlags(fs, &cfg.Binary, &cfg.Users, &cfg.Workers)
	fs.StringVar(&cfg.DatabaseURL, "database", "sqlite:drill.db", "the server's database")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long the clients send")
	fs.IntVar(&cfg.Kills, "kills", 2, "how many times to SIGKILL and restart the server during the run")
	restartPG := fs.String("restart-postgres", "", `command that restarts PostgreSQL once mid-run, e.g. "pg_ctlcluster 15 main restart"`)
	parseFlags(fs, args)
	if argv := strings.Fields(*restartPG); len(argv) > 0 {
		cfg.Faults = []drill.Fault{{Name: "restarting PostgreSQL", Do: func(ctx context.Context) error {
			if out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		}}}
	}
	res, err := drill.Run(ctx, cfg)
	if err != nil {
		return err
	}
	return drillReport(res)
}

// loadFlags are the flags both drills share: the server they run and the
// clients that load it.
func loadFlags(fs *flag.FlagSet, binary *string, users, workers *int) {
	self, _ := os.Executable()
	fs.StringVar(binary, "binary", self, "the minipay binary to run as the server (and, failing over, the audit)")
	fs.IntVar(users, "users", 20, "users moving money")
	fs.IntVar(workers, "workers", 32, "concurrent clients")
}

// drillReport prints what a drill saw and fails it if any request did not
// take effect exactly once or the audit found a problem.
func drillReport(res drill.Result) error {
	fmt.Printf("\nrequests %d: applied %d, rejected %d; %d needed a retry\n", res.Requests, res.Applied, res.Rejected, res.Retried)
	fmt.Printf("answers while the database was away: %d × 503 with Retry-After, %d other 5xx\n", res.Unavailable, res.ServerErrors)
	fmt.Printf("server killed %d times\n", res.Kills)
	for _, f := range res.Faults {
		fmt.Printf("%s: first successful write %v after it began\n", f.Name, f.Recovery.Round(time.Millisecond))
	}
	if len(res.Faults) > 0 {
		fmt.Printf("scheduled jobs ran again after the last fault: %v\n", res.JobsResumed)
	}
	fmt.Printf("audit: %d transactions, %d entries, %d events reporting them, %d won in user accounts\n",
		res.Audit.Transactions, res.Audit.Entries, res.Audit.Events, res.Audit.UserMoney)
	for _, m := range res.Mismatches {
		fmt.Println("MISMATCH:", m)
	}
	for _, p := range res.Audit.Problems {
		fmt.Println("AUDIT PROBLEM:", p)
	}
	if !res.OK() {
		return fmt.Errorf("drill failed: %d mismatches, %d audit problems", len(res.Mismatches), len(res.Audit.Problems))
	}
	fmt.Println("drill passed: every request took effect exactly once, the books balance, and every movement has exactly one event")
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"minipay/tools/failover"
)

func runFailoverDrill(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("drill-failover", flag.ExitOnError)
	cfg := failover.Config{Out: os.Stdout}
	loadFlags(fs, &cfg.Binary, &cfg.Users, &cfg.Workers)
	fs.StringVar(&cfg.Parent, "dir", "", "where the stack's temporary directory goes (default: the system's)")
	fs.IntVar(&cfg.BasePort, "base-port", 6000, "loopback port of the pg_auto_failover monitor; the primary and the standby take the next two")
	fs.DurationVar(&cfg.Duration, "duration", time.Minute, "how long the clients send; the primary is killed halfway")
	fs.BoolVar(&cfg.KillStandby, "kill-standby", false, "kill the synchronous standby instead of the primary: see how long commits stall before the primary goes on alone")
	fs.BoolVar(&cfg.Keep, "keep", false, "leave the stack's directory (logs, data) behind; its servers are stopped either way")
	parseFlags(fs, args)
	res, err := failover.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := drillReport(res.Drill); err != nil {
		return err
	}
	fmt.Printf("%s killed; %s took writes after %v (the monitor's view); first successful write %v after the kill\n",
		res.Killed, res.Writer, res.Settled.Round(time.Millisecond), res.Recovery.Round(time.Millisecond))
	fmt.Printf("minipay audit on %s: %s", res.Writer, res.Audit)
	if p := res.Problems(); len(p) > 0 {
		return errors.New("failover drill failed: " + strings.Join(p, "; "))
	}
	fmt.Println("failover drill passed: nothing acknowledged was lost or applied twice")
	return nil
}

// Package failover is the database failover drill. It sets up PostgreSQL
// with a synchronous standby and automatic failover (pg_auto_failover: a
// monitor, a primary, a standby; stack.go) in a temporary directory on
// loopback ports, serves minipay from it through a multi-host URL that
// follows the primary, and runs the kill drill's load (tools/drill) while
// the primary is killed with SIGKILL, keeper and postmaster at once. Then
// it proves, as the kill drill does, that every acknowledged request took
// effect exactly once, and runs `minipay audit` against the new primary.
package failover

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"

	"minipay/tools/drill"
)

// Config says how to run the drill.
type Config struct {
	Binary   string // the minipay binary: the server, and the audit
	Parent   string // where the stack's directory goes ("": the system's temp dir)
	BasePort int    // the monitor's port; the data nodes take the next two
	Users    int
	Workers  int
	Duration time.Duration // how long the clients send; the primary dies in the middle
	Keep     bool          // leave the stack's directory behind
	// KillStandby kills the standby instead of the primary: the primary
	// stalls its commits until the monitor lets it go on alone.
	KillStandby bool
	Out         io.Writer
}

// Result is what the drill saw.
type Result struct {
	Drill drill.Result
	// Sync is the first primary's synchronous_commit and
	// synchronous_standby_names while its standby streamed.
	SyncCommit, SyncStandbys string
	Killed, Writer           string // the node killed, the one taking writes after
	// Settled is the time from the kill to the monitor's new state: the
	// standby promoted, or the primary alone in wait_primary.
	Settled  time.Duration
	Recovery time.Duration // from the kill to the first successful write
	Audit    string        // `minipay audit` on the new primary
}

// Problems are what makes the drill fail: a request that did not take
// effect exactly once, an outage answered with anything but 503, no write
// or job run after the kill, or replication that was not synchronous.
func (r Result) Problems() []string {
	var p []string
	if !r.Drill.OK() {
		p = append(p, fmt.Sprintf("%d balance mismatches, %d audit problems", len(r.Drill.Mismatches), len(r.Drill.Audit.Problems)))
	}
	// The database is fresh: its transactions are the acknowledged
	// requests' and nothing else.
	if want := r.Drill.Applied + r.Drill.AutoCharged; r.Drill.Audit.Transactions != want {
		p = append(p, fmt.Sprintf("the acknowledged requests made %d transactions but the database holds %d", want, r.Drill.Audit.Transactions))
	}
	if r.Drill.ServerErrors > 0 {
		p = append(p, fmt.Sprintf("%d answers were 5xx other than 503 with Retry-After", r.Drill.ServerErrors))
	}
	if !r.Drill.JobsResumed {
		p = append(p, "the scheduled jobs did not run again after the failover")
	}
	if r.Recovery == 0 {
		p = append(p, "no write succeeded after the kill")
	}
	if r.SyncCommit != "on" || r.SyncStandbys == "" {
		p = append(p, fmt.Sprintf("replication was not synchronous: synchronous_commit=%q, synchronous_standby_names=%q", r.SyncCommit, r.SyncStandbys))
	}
	return p
}

// Run sets the stack up, runs the drill and tears everything down, on
// failure too.
func Run(ctx context.Context, cfg Config) (res Result, err error) {
	stack, err := Start(ctx, cfg.Parent, cfg.BasePort, DrillTiming, cfg.Out)
	if err != nil {
		return res, err
	}
	stack.Keep = cfg.Keep
	defer stack.Close()
	if res.SyncCommit, res.SyncStandbys, err = stack.Sync(ctx, nodes[0]); err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Out, "node1 primary, node2 synchronous standby (synchronous_commit=%s, synchronous_standby_names=%s)\n", res.SyncCommit, res.SyncStandbys)
	fmt.Fprintf(cfg.Out, "minipay on %s\n", stack.DatabaseURL())

	name, settled := "SIGKILL the primary", "the promoted standby"
	if cfg.KillStandby {
		name, settled = "SIGKILL the standby", "the primary, alone in wait_primary"
	}
	kill := drill.Fault{Name: name, Do: func(ctx context.Context) error {
		primary, err := stack.Primary(ctx)
		if err != nil {
			return err
		}
		res.Killed, res.Writer = primary, ""
		if cfg.KillStandby {
			res.Killed, res.Writer = other(primary), primary
		}
		start := time.Now()
		if err := stack.Kill(res.Killed); err != nil {
			return err
		}
		if cfg.KillStandby {
			err = stack.waitStates(ctx, 2*time.Minute, map[string]string{primary: "wait_primary"})
		} else {
			res.Writer, err = stack.WaitPromoted(ctx, res.Killed, 2*time.Minute)
		}
		if err != nil {
			return fmt.Errorf("the monitor did not settle: %w", err)
		}
		res.Settled = time.Since(start)
		fmt.Fprintf(cfg.Out, "killed %s; %s takes writes as %s after %v\n", res.Killed, res.Writer, settled, res.Settled.Round(time.Millisecond))
		return nil
	}}
	res.Drill, err = drill.Run(ctx, drill.Config{
		Binary: cfg.Binary, DatabaseURL: stack.DatabaseURL(),
		Users: cfg.Users, Workers: cfg.Workers, Duration: cfg.Duration,
		Faults: []drill.Fault{kill}, Out: cfg.Out,
	})
	if err != nil {
		return res, err
	}
	res.Recovery = res.Drill.Faults[0].Recovery
	// The audit as an operator runs it, through the same URL: it reaches
	// whichever node took over.
	out, err := exec.CommandContext(ctx, cfg.Binary, "audit", "--database", stack.DatabaseURL()).CombinedOutput()
	res.Audit = string(out)
	if err != nil {
		return res, fmt.Errorf("minipay audit on the new primary: %v\n%s", err, out)
	}
	return res, nil
}

// Package loop runs a background pass over and over until its context
// ends, as the events feed and the webhook worker do: at once again while
// work waits, after a poll interval when none does, and after a growing
// backoff while passes fail, logging a failing streak once and its end.
package loop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Backoff bounds after a failed pass: it doubles from the first to the
// last while failures go on.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// ErrStop, returned by a pass (wrapped or not), ends Run at once.
var ErrStop = errors.New("loop: stop")

// Loop is how a pass is repeated.
type Loop struct {
	// Name starts the log lines of failures and recoveries ("events
	// feed" logs "events feed failing; retrying with backoff"); Attrs
	// follow in each.
	Name  string
	Attrs []any
	// Poll is the wait after a pass that left no work waiting.
	Poll time.Duration
	Log  *slog.Logger
	// Failures counts failed passes.
	Failures prometheus.Counter
}

// Run calls pass until ctx ends or pass returns ErrStop; more says work
// is waiting and the next pass should not wait.
func (l Loop) Run(ctx context.Context, pass func(context.Context) (more bool, err error)) {
	backoff, failing := minBackoff, false
	for ctx.Err() == nil {
		more, err := pass(ctx)
		switch {
		case errors.Is(err, ErrStop):
			return
		case err != nil && ctx.Err() == nil:
			l.Failures.Inc()
			if !failing {
				l.Log.Warn(l.Name+" failing; retrying with backoff", append(l.Attrs, "err", err)...)
			}
			failing = true
			Sleep(ctx, backoff)
			backoff = min(2*backoff, maxBackoff)
			continue
		case failing && err == nil:
			l.Log.Info(l.Name+" recovered", l.Attrs...)
			backoff, failing = minBackoff, false
		}
		if !more {
			Sleep(ctx, l.Poll)
		}
	}
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Owner names this process in database leases: host, pid and a random
// part, so that two processes (or two workers of one) never share a name.
func Owner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

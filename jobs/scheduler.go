// Package jobs runs minipay's scheduled work on the injected clock: the
// pending-transfer reminder and expiry sweeps. Every job keeps its state in
// the database, not in timers, so a restart or a second server neither
// loses nor repeats work, and work missed while no server ran is caught up
// on the next run.
package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// DefaultChunk bounds how many items one step of a sweep takes on.
const DefaultChunk = 1000

// Scheduler runs the jobs.
type Scheduler struct {
	DB     *store.DB
	Writer *store.Writer
	Clock  clock.Clock
	Log    *slog.Logger
	Chunk  int

	mu sync.Mutex // one RunDue at a time per process
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Scheduler) chunk() int {
	if s.Chunk > 0 {
		return s.Chunk
	}
	return DefaultChunk
}

// RunDue does all work due at the clock's current time and returns when
// it is done. The test clock calls it after every advance.
func (s *Scheduler) RunDue(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Clock.Now()
	// Reminders first: a transfer reminded and expired in one catch-up
	// run still gets its reminder only if its deadline is ahead.
	if _, err := s.remind(ctx, now); err != nil {
		return err
	}
	_, err := s.expire(ctx, now)
	return err
}

// Run calls RunDue every interval until ctx is done.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("scheduled jobs failed; retrying next tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// remind sends due reminders, one bounded chunk per transaction.
func (s *Scheduler) remind(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		n, err := s.DB.RemindPending(ctx, now, s.chunk())
		total += n
		if err != nil || n < s.chunk() {
			if total > 0 {
				s.log().Info("pending reminders sent", "count", total)
			}
			return total, err
		}
	}
}

// expire returns the money of every pending transfer past its deadline,
// a chunk at a time through the engine (which batches each chunk into a
// few database transactions). Conflicts mean another server or a racing
// accept/reject/cancel settled the transfer first: exactly one wins.
func (s *Scheduler) expire(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		ids, err := s.DB.DuePending(ctx, now, s.chunk())
		if err != nil || len(ids) == 0 {
			return total, err
		}
		results := make([]error, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				_, _, results[i] = s.Writer.Do(ctx, 0, "", ledger.Expire{Transfer: id})
			})
		}
		wg.Wait()
		progressed := false
		for _, err := range results {
			switch errs.CodeOf(err) {
			case "":
				total++
				progressed = true
			case errs.Conflict:
				progressed = true
			default:
				return total, errors.Join(errors.New("expiring pending transfers"), err)
			}
		}
		s.log().Info("pending transfers expired", "count", total)
		if !progressed || len(ids) < s.chunk() {
			return total, nil
		}
	}
}

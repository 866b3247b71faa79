// Package jobs runs minipay's scheduled work on the injected clock: savings
// interest at 04:00, fixed-savings installments at 08:00 (business days in
// the configured zone), and the pending-transfer reminder and expiry
// sweeps. Every job keeps its state in the database, not in timers, so a
// restart or a second server neither loses nor repeats work, and work
// missed while no server ran is caught up, each day once and in order.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// DefaultChunk bounds how many items one step of a job takes on.
const DefaultChunk = 1000

// lease is how long a claimed daily run may go unfinished before another
// server takes it over.
const lease = 10 * time.Minute

// Daily jobs; they are due at ledger.InterestHour and InstallmentHour.
// The history job runs once a month, the events' retention once a day.
const (
	jobInterest     = "interest"
	jobInstallments = "installments"
	jobHistory      = "history"
	// The sweeps, named for their metrics.
	jobReminders = "reminders"
	jobExpiry    = "expiry"
	jobEvents    = "events"
)

// Scheduler runs the jobs.
type Scheduler struct {
	DB       *store.DB
	Writer   *store.Writer
	Clock    clock.Clock
	Location *time.Location
	Log      *slog.Logger
	Chunk    int

	mu   sync.Mutex // one RunDue at a time per process
	once sync.Once
	id   string // names this server in job claims
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

func (s *Scheduler) owner() string {
	s.once.Do(func() {
		b := make([]byte, 8)
		rand.Read(b)
		s.id = hex.EncodeToString(b)
	})
	return s.id
}

// RunDue does all work due at the clock's current time and returns when
// it is done (or when another server holds a daily run it must wait for).
// The test clock calls it after every advance.
func (s *Scheduler) RunDue(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Clock.Now()
	// History partitions first: every job after it writes entries.
	if err := s.maintainHistory(ctx, now); err != nil {
		return err
	}
	if err := s.expireEvents(ctx, now); err != nil {
		return err
	}
	if err := s.runDaily(ctx, now); err != nil {
		return err
	}
	// Reminders before expiry: a transfer whose deadline is still ahead
	// gets its reminder; one already past it is returned instead.
	if err := s.remind(ctx, now); err != nil {
		return err
	}
	if err := s.expire(ctx, now); err != nil {
		return err
	}
	return s.expireRows(ctx, now)
}

// maxBackoff caps the wait between runs while the jobs keep failing.
const maxBackoff = time.Minute

// Run calls RunDue every interval until ctx is done. While the jobs fail
// (a database outage) it waits twice as long after each failure, up to
// maxBackoff, and logs once when the failures start and once when they
// end.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) {
	failures := 0
	for {
		err := s.RunDue(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil:
			if failures == 0 {
				s.log().Error("scheduled jobs failed; backing off until they succeed", "err", err)
			}
			failures++
		case failures > 0:
			s.log().Info("scheduled jobs succeed again", "failed_runs", failures)
			failures = 0
		}
		t := time.NewTimer(backoff(interval, failures))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff is the wait before the next run after failures failed runs in
// a row: interval, doubled per failure, at most maxBackoff (or interval,
// if that is longer).
func backoff(interval time.Duration, failures int) time.Duration {
	return max(interval, min(interval<<min(failures, 20), maxBackoff))
}

// occurrence is one daily job's run for one period (a business day).
type occurrence struct {
	job, period string
	due         time.Time
}

// dueDaily lists the daily runs due at now and not yet finished, in the
// order they were due: interest for day X-1 at 04:00 on X, then the
// installments of X at 08:00. After downtime the missed days come back in
// that order, so each day's interest sees the installments before it.
// Catch-up starts at the first day work could be due: the day after the
// last finished run, or, while a job has never finished a run, the day
// after the furthest-behind open savings account's last interest or
// installment day, whichever is earlier — so a server that never finished
// a run, landing before 04:00, still catches up every day its savings
// accounts are owed. Once both jobs have finished a run the accounts are
// not asked: a finished run left no account behind its period, and the
// days before it are not run again anyway (that question reads every
// savings account, and this runs every second).
func (s *Scheduler) dueDaily(ctx context.Context, now time.Time) ([]occurrence, error) {
	loc := s.Location
	today := ledger.BusinessDay(now, loc)
	lags := map[string]int64{jobInterest: 2, jobInstallments: 1}
	last := map[string]string{}
	start := today
	// A job's period p (interest through p, installments of p) is done on
	// day p+lag; so is an account's day after the one it has reached.
	for job, lag := range lags {
		p, err := s.DB.LastFinishedPeriod(ctx, job)
		if err != nil {
			return nil, err
		}
		last[job] = p
		if p != "" {
			start = min(start, ledger.AddDays(p, lag))
		}
	}
	if last[jobInterest] == "" || last[jobInstallments] == "" {
		interestDay, installmentDay, err := s.DB.EarliestSavingsDays(ctx, ledger.InstallmentProducts())
		if err != nil {
			return nil, err
		}
		for job, d := range map[string]string{jobInterest: interestDay, jobInstallments: installmentDay} {
			if d != "" {
				start = min(start, ledger.AddDays(d, lags[job]))
			}
		}
	}
	at := func(day string, hour int) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, day, loc)
		return d.Add(time.Duration(hour) * time.Hour)
	}
	var out []occurrence
	for x := start; x <= today; x = ledger.AddDays(x, 1) {
		for _, o := range []occurrence{
			{jobInterest, ledger.AddDays(x, -1), at(x, ledger.InterestHour)},
			{jobInstallments, x, at(x, ledger.InstallmentHour)},
		} {
			if !o.due.After(now) && o.period > last[o.job] {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

func (s *Scheduler) runDaily(ctx context.Context, now time.Time) error {
	occs, err := s.dueDaily(ctx, now)
	if err != nil {
		return err
	}
	for _, o := range occs {
		claim, err := s.DB.ClaimJobRun(ctx, o.job, o.period, s.owner(), now, lease)
		switch {
		case err != nil:
			return err
		case claim == store.Finished:
			continue
		case claim == store.Busy:
			return nil // another server runs it; later periods must wait for it
		}
		start := time.Now()
		var n int
		if o.job == jobInterest {
			n, err = s.drain(ctx, true, func(after store.Cursor) ([]ledger.Command, store.Cursor, error) {
				ids, cur, err := s.DB.DueInterest(ctx, o.period, after, s.chunk())
				cmds := make([]ledger.Command, len(ids))
				for i, id := range ids {
					cmds[i] = ledger.Accrue{Savings: id, Through: o.period}
				}
				return cmds, cur, err
			})
		} else {
			n, err = s.drain(ctx, true, func(after store.Cursor) ([]ledger.Command, store.Cursor, error) {
				due, cur, err := s.DB.DueInstallments(ctx, o.period, ledger.InstallmentProducts(), after, s.chunk())
				cmds := make([]ledger.Command, len(due))
				for i, d := range due {
					cmds[i] = ledger.Installment{Savings: d.Savings, Main: d.Main, Through: o.period}
				}
				return cmds, cur, err
			})
		}
		if err == nil {
			err = s.DB.FinishJobRun(ctx, o.job, o.period, now)
		}
		record(o.job, start, n, err)
		if err != nil {
			return fmt.Errorf("%s for %s: %w", o.job, o.period, err)
		}
		s.log().Info("daily job done", "job", o.job, "period", o.period, "accounts", n, "duration_ms", time.Since(start).Milliseconds())
	}
	return nil
}

// maintainHistory, once a month, creates the coming months' history
// partitions and removes the months older than the retention window, and
// the records (installments, settled settlements) recorded in them.
func (s *Scheduler) maintainHistory(ctx context.Context, now time.Time) error {
	period := now.In(s.Location).Format("2006-01")
	claim, err := s.DB.ClaimJobRun(ctx, jobHistory, period, s.owner(), now, lease)
	if err != nil || claim != store.Claimed {
		return err
	}
	start := time.Now()
	var months []string
	err = s.DB.EnsurePartitions(ctx, now, now.AddDate(0, store.PartitionsAhead, 0), s.Location)
	if err == nil {
		months, err = s.DB.ExpireHistory(ctx, now, s.Location)
	}
	// Records of the removed months go with them.
	var deleted map[string]int64
	if err == nil {
		deleted, err = s.DB.ExpireWithHistory(ctx)
	}
	if err == nil {
		err = s.DB.FinishJobRun(ctx, jobHistory, period, now)
	}
	record(jobHistory, start, len(months), err)
	if len(months) > 0 && err == nil {
		s.log().Info("history removed", "months", months, "records", deleted)
	}
	return err
}

// expireEvents, once a business day, deletes the events past their
// retention (store.EventRetention), and their webhook deliveries.
func (s *Scheduler) expireEvents(ctx context.Context, now time.Time) error {
	period := ledger.BusinessDay(now, s.Location)
	claim, err := s.DB.ClaimJobRun(ctx, jobEvents, period, s.owner(), now, lease)
	if err != nil || claim != store.Claimed {
		return err
	}
	start := time.Now()
	n, err := s.DB.ExpireEvents(ctx, now)
	if err == nil { // and the webhook deliveries of the events gone
		var d int64
		d, err = s.DB.ExpireWebhookDeliveries(ctx, now)
		n += d
	}
	if err == nil {
		err = s.DB.FinishJobRun(ctx, jobEvents, period, now)
	}
	record(jobEvents, start, int(n), err)
	if n > 0 && err == nil {
		s.log().Info("events removed", "rows", n)
	}
	return err
}

// remind sends due reminders, one bounded chunk per transaction.
func (s *Scheduler) remind(ctx context.Context, now time.Time) error {
	start, total := time.Now(), 0
	for {
		n, err := s.DB.RemindPending(ctx, now, s.chunk())
		total += n
		if err != nil || n < s.chunk() {
			record(jobReminders, start, total, err)
			if total > 0 {
				s.log().Info("pending reminders sent", "count", total)
			}
			return err
		}
	}
}

// expire returns the money of every pending transfer past its deadline.
func (s *Scheduler) expire(ctx context.Context, now time.Time) error {
	start := time.Now()
	// An expired transfer is never due again, and transfers created
	// meanwhile are due days later: one walk finds all.
	n, err := s.drain(ctx, false, func(after store.Cursor) ([]ledger.Command, store.Cursor, error) {
		due, cur, err := s.DB.DuePending(ctx, now, after, s.chunk())
		cmds := make([]ledger.Command, len(due))
		for i, d := range due {
			cmds[i] = ledger.Expire{Transfer: d.ID, From: d.From}
		}
		return cmds, cur, err
	})
	record(jobExpiry, start, n, err)
	if n > 0 {
		s.log().Info("pending transfers expired", "count", n)
	}
	return err
}

// page is a job's next chunk of commands for the due items after a
// cursor, and the cursor after them.
type page func(after store.Cursor) ([]ledger.Command, store.Cursor, error)

// inFlight is how many chunks drain keeps in the engine at once: while
// some are applied, the next are read and queued, so the writer's workers
// do not wait between chunks, and a batch takes what is queued. A job's
// chunks touch disjoint items, and where they share an account the
// engine's row lock orders them. Four (not two) made the million-item
// expiry sweep 72 -> 55 s and its CPU per item lower (README, Jobs); four
// chunks of DefaultChunk fill the writer's queue (4 × MaxBatch).
const inFlight = 4

// drain submits the commands next returns, a bounded chunk at a time
// through the engine (which batches each chunk into a few database
// transactions), walking the due items by cursor until next has nothing
// left. With repeat, an applied command may leave its item due again (a
// catch-up accrues one day per command), so drain walks again from the
// start until a walk applies nothing. A conflict means another server or
// a racing user request got there first (exactly one wins); the walk goes
// on past it, to the end of the due items: two servers walking at once
// can each find a chunk the other just did, so stopping at a chunk of
// conflicts could leave both stopped with work left. It returns how many
// commands it applied.
func (s *Scheduler) drain(ctx context.Context, repeat bool, next page) (int, error) {
	total := 0
	for {
		n, err := s.walk(ctx, next)
		total += n
		if err != nil || n == 0 || !repeat {
			return total, err
		}
	}
}

// chunkDone is one chunk's outcome: how many commands were applied, and
// the first failure other than a conflict.
type chunkDone struct {
	applied int
	err     error
}

// walk submits the chunks of one walk over the due items, inFlight at a
// time, and returns how many commands it applied.
func (s *Scheduler) walk(ctx context.Context, next page) (applied int, err error) {
	done := make(chan chunkDone, inFlight)
	running := 0
	settle := func() {
		d := <-done
		running--
		applied += d.applied
		err = errors.Join(err, d.err)
	}
	var after store.Cursor
	for err == nil {
		if running == inFlight {
			settle()
			continue
		}
		var cmds []ledger.Command
		var ferr error
		cmds, after, ferr = next(after)
		if ferr != nil || len(cmds) == 0 {
			err = ferr
			break
		}
		running++
		go func() { done <- s.submit(ctx, cmds) }()
	}
	for running > 0 {
		settle()
	}
	return applied, err
}

// submit hands one chunk's commands to the engine at once, so the writer
// batches them, and waits for all of them.
func (s *Scheduler) submit(ctx context.Context, cmds []ledger.Command) chunkDone {
	var d chunkDone
	for _, err := range s.Writer.DoAll(ctx, cmds) {
		switch errs.CodeOf(err) {
		case "":
			d.applied++
		case errs.Conflict:
		default:
			if d.err == nil {
				d.err = errors.Join(errors.New("scheduled command failed"), err)
			}
		}
	}
	return d
}

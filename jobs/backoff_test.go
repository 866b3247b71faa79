package jobs_test

import (
	"context"
	"testing"
	"time"

	"minipay/app/apptest"
	"minipay/clock"
	"minipay/jobs"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestRunBacksOffWhileJobsFail: while the job_runs table is locked every
// run fails; Run logs that once, waits longer after each failure, and
// logs once more when the jobs succeed again after the lock is released.
func TestRunBacksOffWhileJobsFail(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		db, err := store.OpenWith(context.Background(), url, store.Options{LockTimeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		clk := clock.NewManual(t0)
		logs := &apptest.Logs{}
		sched := &jobs.Scheduler{DB: db, Writer: dbtest.Writer(t, db, clk), Clock: clk, Location: seoul, Log: logs.Logger()}

		release := dbtest.Lock(t, url, "job_runs")
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			sched.Run(ctx, 10*time.Millisecond)
		}()
		defer func() { stop(); <-done }()
		// Every run takes the 50 ms lock timeout, then waits 10 ms doubled
		// per failure: some seven runs in 1.5 s, where a fixed interval
		// would make about 25.
		time.Sleep(1500 * time.Millisecond)
		if n := logs.Count(t, "ERROR", "scheduled jobs failed; backing off until they succeed"); n != 1 {
			t.Errorf("%d lines about the failing jobs, want one for the streak", n)
		}
		release()
		for wait := time.Now(); logs.Count(t, "INFO", "scheduled jobs succeed again") == 0; time.Sleep(20 * time.Millisecond) {
			if time.Since(wait) > 10*time.Second {
				t.Fatalf("the jobs did not succeed again within 10 s of the release:\n%v", logs.Lines(t))
			}
		}
		stop()
		<-done
		if n := logs.Count(t, "ERROR", "scheduled jobs failed; backing off until they succeed"); n != 1 {
			t.Errorf("%d lines about the failing jobs after the recovery, want still one", n)
		}
	})
}

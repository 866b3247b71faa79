package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestWriterStopsWaitingForAbandonedCommands: with accounts locked, a
// command whose caller gives up returns at once with the caller's error,
// and if it was still queued when its turn came it is never applied,
// while the command already in the stalled batch is applied once the lock
// is gone.
func TestWriterStopsWaitingForAbandonedCommands(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		db := dbtest.OpenURL(t, url)
		clk := clock.NewManual(dbtest.Start)
		// One worker: the second command queues behind the stalled batch.
		w := store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{Workers: 1, BatchTimeout: 20 * time.Second})
		t.Cleanup(w.Close)
		e := &dbtest.Env{DB: db, W: w, Clock: clk}
		u := e.User(t, "alice")

		release := dbtest.Lock(t, url, "accounts")
		stalled := make(chan error, 1)
		go func() {
			_, err := w.Do(context.Background(), u.ID, store.Idempotency{}, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 100})
			stalled <- err
		}()
		time.Sleep(100 * time.Millisecond) // the first command's batch is waiting for the lock
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		_, err := w.Do(ctx, u.ID, store.Idempotency{}, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 10})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("the abandoned command returned %v after %v", err, time.Since(start))
		}
		release()
		if err := <-stalled; err != nil {
			t.Fatalf("the stalled command, once the lock was released: %v", err)
		}
		if got := e.Balance(t, u, u.MainAccount); got != 100 {
			t.Errorf("balance %d, want 100: only the command whose caller waited", got)
		}
		dbtest.Audit(t, db)
	})
}

// TestWriterBatchDeadline: a batch that cannot take its locks within the
// batch timeout fails every command as unavailable, well before its
// callers' own deadlines, and moves nothing.
func TestWriterBatchDeadline(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, url string) {
		db := dbtest.OpenURL(t, url)
		clk := clock.NewManual(dbtest.Start)
		w := store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{BatchTimeout: 200 * time.Millisecond})
		t.Cleanup(w.Close)
		e := &dbtest.Env{DB: db, W: w, Clock: clk}
		u := e.User(t, "alice")

		release := dbtest.Lock(t, url, "accounts")
		start := time.Now()
		_, err := w.Do(context.Background(), u.ID, store.Idempotency{}, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 100})
		if errs.CodeOf(err) != errs.Unavailable || time.Since(start) > 5*time.Second {
			t.Fatalf("a charge with accounts locked: %v after %v, want unavailable", err, time.Since(start))
		}
		if err := w.Ready(); err != nil {
			t.Errorf("the writer, its batch failed in time: %v", err)
		}
		release()
		if got := e.Balance(t, u, u.MainAccount); got != 0 {
			t.Errorf("balance %d after a failed batch", got)
		}
		dbtest.Audit(t, db)
	})
}

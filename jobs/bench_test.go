package jobs_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"minipay/clock"
	"minipay/jobs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// Run the job benchmarks with, for PostgreSQL:
//
//	MINIPAY_TEST_POSTGRES_URL=postgres://… go test ./jobs -run '^$' -bench . -benchtime 1x
//
// They seed 100,000 accounts (MINIPAY_BENCH_N to change it) and time one
// run of the job that has them all due.

func benchBackend() string {
	if os.Getenv(dbtest.EnvPostgres) != "" {
		return "postgres"
	}
	return "sqlite"
}

func benchN() int {
	n := 100_000
	fmt.Sscan(os.Getenv("MINIPAY_BENCH_N"), &n)
	return n
}

func seedUsers(b *testing.B, db *store.DB, n int) []store.User {
	var users []store.User
	for len(users) < n {
		chunk := make([]store.NewUser, min(2000, n-len(users)))
		for i := range chunk {
			chunk[i] = store.NewUser{Username: fmt.Sprintf("u%d", len(users)+i), Name: "Bench", PasswordHash: "x"}
		}
		us, err := db.CreateUsers(context.Background(), chunk, t0)
		if err != nil {
			b.Fatal(err)
		}
		users = append(users, us...)
	}
	return users
}

// submitAll applies commands through the engine from 256 goroutines.
func submitAll(b *testing.B, w *store.Writer, cmds []ledger.Command) {
	var wg sync.WaitGroup
	work := make(chan ledger.Command)
	for range 256 {
		wg.Go(func() {
			for cmd := range work {
				if _, err := w.Do(context.Background(), 1, store.Idempotency{}, cmd); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, c := range cmds {
		work <- c
	}
	close(work)
	wg.Wait()
}

// benchServer is a server over a fresh database of the benchmarked
// backend, on a manual clock at t0.
func benchServer(b *testing.B) (*store.DB, *clock.Manual, *server) {
	db := dbtest.Open(b, benchBackend())
	clk := clock.NewManual(t0)
	return db, clk, start(b, db, clk)
}

// timeRun runs the due jobs once, the only part the benchmark times.
func timeRun(b *testing.B, s *server) time.Duration {
	b.StartTimer()
	began := time.Now()
	if err := s.sched.RunDue(context.Background()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(began)
	b.StopTimer()
	return took
}

func BenchmarkInterestJob(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db, clk, s := benchServer(b)
		n := benchN()
		users := seedUsers(b, db, n)
		ids := make([]int64, n)
		for i, u := range users {
			ids[i] = u.ID
		}
		if err := db.OpenSavingsMany(context.Background(), ids, "free", 0, t0, seoul); err != nil {
			b.Fatal(err)
		}
		var cmds []ledger.Command
		for _, u := range users {
			cmds = append(cmds, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1_000_000})
		}
		submitAll(b, s.w, cmds)
		due, _ := db.DueInterest(context.Background(), "9999-12-31", n)
		cmds = cmds[:0]
		for i, u := range users {
			cmds = append(cmds, ledger.Deposit{User: u.ID, Main: u.MainAccount, Savings: due[i], Amount: 1_000_000})
		}
		submitAll(b, s.w, cmds)
		clk.Set(dayAt(1, 4)) // interest for day 0 is due
		took := timeRun(b, s)
		left, _ := db.DueInterest(context.Background(), ledger.BusinessDay(t0, seoul), 10)
		if len(left) != 0 {
			b.Fatalf("%d accounts not paid", len(left))
		}
		b.ReportMetric(float64(n)/took.Seconds(), "accounts/s")
		b.Logf("%s: interest for %d savings accounts in %v (%.0f accounts/s, chunks of %d)", benchBackend(), n, took, float64(n)/took.Seconds(), jobs.DefaultChunk)
		dbtest.Audit(b, db)
	}
}

func BenchmarkExpirySweep(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db, clk, s := benchServer(b)
		n := benchN()
		senders := seedUsers(b, db, n/100+1)
		rcv, sendersOnly := senders[0], senders[1:]
		var cmds []ledger.Command
		for _, u := range sendersOnly {
			cmds = append(cmds, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1_000_000})
		}
		submitAll(b, s.w, cmds)
		cmds = cmds[:0]
		yes := true
		for i := range n {
			u := sendersOnly[i%len(sendersOnly)]
			cmds = append(cmds, ledger.Transfer{User: u.ID, From: u.MainAccount, To: rcv.MainAccount, Amount: 10, RequireAcceptance: &yes})
		}
		submitAll(b, s.w, cmds)
		clk.Set(t0.Add(ledger.PendingLifetime)) // all due; the 48 h reminders are past too
		took := timeRun(b, s)
		if left, _ := db.DuePending(context.Background(), clk.Now(), 10); len(left) != 0 {
			b.Fatalf("%d transfers not expired", len(left))
		}
		b.ReportMetric(float64(n)/took.Seconds(), "transfers/s")
		b.Logf("%s: expired %d pending transfers in %v (%.0f/s, chunks of %d)", benchBackend(), n, took, float64(n)/took.Seconds(), jobs.DefaultChunk)
		dbtest.Audit(b, db)
	}
}

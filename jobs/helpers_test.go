package jobs_test

// Helpers shared by the job tests: a server (writer and scheduler) over a
// test database, and the steps the tests take on it.

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"minipay/clock"
	"minipay/jobs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

var seoul = clock.Seoul

var t0 = dbtest.Start

// server is one minipay instance's engine and scheduler over a database.
type server struct {
	db    *store.DB
	w     *store.Writer
	sched *jobs.Scheduler
}

func start(t testing.TB, db *store.DB, clk clock.Clock) *server {
	w := dbtest.Writer(t, db, clk)
	return &server{db: db, w: w, sched: &jobs.Scheduler{DB: db, Writer: w, Clock: clk, Location: seoul, Chunk: 50, Log: slog.New(slog.DiscardHandler)}}
}

// boot starts a server (its own connections, writer and scheduler) on the
// database at url: call it again for a restart or a second server.
func boot(t testing.TB, url string, clk clock.Clock) *server {
	return start(t, dbtest.OpenURL(t, url), clk)
}

func (s *server) user(t *testing.T, name string, fund int64) store.User {
	t.Helper()
	u, err := s.db.CreateUser(context.Background(), name, "Real "+name, "x", t0)
	if err != nil {
		t.Fatal(err)
	}
	if fund > 0 {
		s.must(t, u, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: fund})
	}
	return u
}

func (s *server) must(t *testing.T, u store.User, cmd ledger.Command) store.Result {
	t.Helper()
	r, err := s.w.Do(context.Background(), u.ID, store.Idempotency{}, cmd)
	if err != nil {
		t.Fatalf("%T: %v", cmd, err)
	}
	return r
}

func (s *server) balance(t *testing.T, u store.User) int64 {
	t.Helper()
	a, err := s.db.Account(context.Background(), u.ID, u.MainAccount)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

func (s *server) inbox(t *testing.T, u store.User, kind string) int {
	t.Helper()
	ns, err := s.db.Notifications(context.Background(), u.ID, false, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// runTogether runs the due jobs on every server at once.
func runTogether(t *testing.T, servers []*server) {
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(func() {
			if err := srv.sched.RunDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// run runs the jobs that are due.
func (s *server) run(t *testing.T) {
	t.Helper()
	if err := s.sched.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var yes = func() *bool { b := true; return &b }()

// eachURL runs fn on the URL of a fresh database of every backend, the
// backends in parallel, with a manual clock at t0: for tests that boot
// servers on it themselves (restarts, two servers at once).
func eachURL(t *testing.T, fn func(t *testing.T, url string, clk *clock.Manual)) {
	dbtest.EachURL(t, func(t *testing.T, url string) { fn(t, url, clock.NewManual(t0)) })
}

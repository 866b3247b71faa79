package dbtest

import (
	"context"
	"testing"
	"time"

	"minipay/clock"
	"minipay/store"
)

// Start is the moment test clocks start at: a Tuesday afternoon in Seoul.
var Start = time.Date(2026, 11, 24, 15, 0, 0, 0, clock.Seoul)

// SlowMachine is the batch and request deadline of tests that do not
// test deadlines: a loaded machine running the race detector can be
// many times slower than a server, and must not turn slowness into
// unavailable.
const SlowMachine = time.Minute

// Writer starts a writer on db with four workers in Seoul time and the
// SlowMachine batch deadline, closed when the test ends.
func Writer(t testing.TB, db *store.DB, clk clock.Clock) *store.Writer {
	w := store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{Workers: 4, BatchTimeout: SlowMachine})
	t.Cleanup(w.Close)
	return w
}

// Env is a database with a writer on a manual clock at Start: the setup
// of tests that move money through the engine and then read the books.
type Env struct {
	DB    *store.DB
	W     *store.Writer
	Clock *clock.Manual
}

// NewEnv starts a writer on db, closed when the test ends.
func NewEnv(t testing.TB, db *store.DB) *Env {
	clk := clock.NewManual(Start)
	return &Env{DB: db, W: Writer(t, db, clk), Clock: clk}
}

// User signs up a user called name, with a main account.
func (e *Env) User(t testing.TB, name string) store.User {
	t.Helper()
	u, err := e.DB.CreateUser(context.Background(), name, "Name "+name, "x", e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Balance is u's balance of account id.
func (e *Env) Balance(t testing.TB, u store.User, id int64) int64 {
	t.Helper()
	a, err := e.DB.Account(context.Background(), u.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

// Must(call())(t) is call's value; the test fails on its error.
func Must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

package baseline_test

import (
	"context"
	"testing"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// env is a database with a writer on a manual clock, for setting up books
// the baselines then read or move.
type env struct {
	db    *store.DB
	w     *store.Writer
	clock *clock.Manual
}

func newEnv(t *testing.T, db *store.DB) *env {
	clk := clock.NewManual(dbtest.Start)
	return &env{db: db, w: dbtest.Writer(t, db, clk), clock: clk}
}

func (e *env) user(t *testing.T, name string) store.User {
	t.Helper()
	u, err := e.db.CreateUser(context.Background(), name, "Name "+name, "x", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// do applies cmd through the engine for u; the only call of Writer.Do here.
func (e *env) do(t *testing.T, u store.User, cmd ledger.Command) store.Result {
	t.Helper()
	r, err := e.w.Do(context.Background(), u.ID, store.Idempotency{}, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// balance is u's balance of account id.
func (e *env) balance(t *testing.T, u store.User, id int64) int64 {
	t.Helper()
	a, err := e.db.Account(context.Background(), u.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

package baseline_test

import (
	"context"
	"testing"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// env is a test database with a writer, for setting up books the
// baselines then read or move.
type env struct{ *dbtest.Env }

func newEnv(t *testing.T, db *store.DB) env { return env{dbtest.NewEnv(t, db)} }

// do applies cmd through the engine for u; the only call of Writer.Do here.
func (e env) do(t *testing.T, u store.User, cmd ledger.Command) store.Result {
	t.Helper()
	r, err := e.W.Do(context.Background(), u.ID, store.Idempotency{}, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

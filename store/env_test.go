package store_test

// The setup the store's tests share: a test database with a writer
// (dbtest.Env), and the steps the tests take on it.

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

var seoul = clock.Seoul

// env is a test database with a writer, and the steps the store's tests
// take on it.
type env struct{ *dbtest.Env }

func newEnv(t *testing.T, db *store.DB) env { return env{dbtest.NewEnv(t, db)} }

// outcome is a command's result as the tests read it: the receipt's
// fields and the ids the store assigned, side by side.
type outcome struct {
	ledger.Receipt
	TransactionID, ChargeID, TransferID int64
}

// do submits cmd as u under the idempotency key (none if ""). The
// fingerprint stands in for the API's request hash: the command's type
// and fields, so another command under the same key is another request.
func (e env) do(t *testing.T, u store.User, key string, cmd ledger.Command) (outcome, bool, error) {
	t.Helper()
	fields, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	idem := store.Idempotency{Key: key, Fingerprint: fmt.Sprintf("%T%s", cmd, fields)}
	r, err := e.W.Do(context.Background(), u.ID, idem, cmd)
	return outcome{r.Receipt, r.TransactionID, r.ChargeID, r.TransferID}, r.Replayed, err
}

// must submits cmd as u with no idempotency key and fails the test if it
// is refused.
func (e env) must(t *testing.T, u store.User, cmd ledger.Command) outcome {
	t.Helper()
	r, _, err := e.do(t, u, "", cmd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fund charges amount into u's main account.
func (e env) fund(t *testing.T, u store.User, amount int64) {
	t.Helper()
	e.must(t, u, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: amount})
}

// users signs up n users named prefix000, prefix001 and so on.
func (e env) users(t *testing.T, prefix string, n int) []store.User {
	t.Helper()
	us := make([]store.User, n)
	for i := range us {
		us[i] = e.User(t, fmt.Sprintf("%s%03d", prefix, i))
	}
	return us
}

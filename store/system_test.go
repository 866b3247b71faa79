package store_test

import (
	"fmt"
	"slices"
	"testing"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestSystemAccountsMatchLedger: the system accounts are defined once, in
// ledger; the migrations that create their rows (SQL cannot import Go
// constants) must agree with it, on every database.
func TestSystemAccountsMatchLedger(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		got, err := store.ColumnForTest(db, `SELECT CAST(id AS TEXT) FROM accounts WHERE kind = 'system' ORDER BY accounts.id`)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{fmt.Sprint(ledger.InterestExpense), fmt.Sprint(ledger.PendingHold), fmt.Sprint(ledger.ExternalBank)}
		if !slices.Equal(got, want) {
			t.Fatalf("system accounts in the database %v, ledger defines %v", got, want)
		}
	})
}

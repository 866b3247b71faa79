package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"minipay/ratelimit"
	"minipay/store"
	"minipay/store/dbtest"
)

// A username's attempts are one row: the attempt past the count locks it
// out, a success deletes it, and rows nobody tries any more are pruned
// when a new one is made.
func TestAttemptLogin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := ratelimit.Backoff{N: 2, Window: time.Minute, Max: time.Hour}
		t0 := time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC)
		attempt := func(username string, at time.Time) time.Duration {
			t.Helper()
			wait, err := db.AttemptLogin(ctx, username, at, b)
			if err != nil {
				t.Fatal(err)
			}
			return wait
		}
		rows := func() []string {
			t.Helper()
			names, err := store.ColumnForTest(db, `SELECT username FROM login_throttle ORDER BY username`)
			if err != nil {
				t.Fatal(err)
			}
			return names
		}
		if attempt("alice", t0) != 0 || attempt("alice", t0) != 0 || attempt("alice", t0) != time.Minute {
			t.Fatal("the 3rd attempt is not locked out for the window")
		}
		if got := attempt("alice", t0.Add(10*time.Second)); got != 50*time.Second {
			t.Errorf("while locked: wait %v, want 50s", got)
		}
		attempt("bob", t0)
		if err := db.LoginSucceeded(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		attempt("carol", t0)
		if got := rows(); !slices.Equal(got, []string{"alice", "carol"}) {
			t.Fatalf("rows %v, want alice and carol", got)
		}
		// carol's window is over after a minute; alice's lockout matters
		// until an hour after it ended.
		attempt("dave", t0.Add(2*time.Minute))
		if got := rows(); !slices.Equal(got, []string{"alice", "dave"}) {
			t.Errorf("after a new row: %v, want alice and dave", got)
		}
		attempt("erin", t0.Add(2*time.Hour))
		if got := rows(); !slices.Equal(got, []string{"erin"}) {
			t.Errorf("two hours on: %v, want erin", got)
		}
	})
}

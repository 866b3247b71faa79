package bench

import (
	"testing"

	"minipay/store"
)

// The HTTP hot scenario sends from users[1+g%senders] for goroutine g
// with that user's token: every sender must be logged in, also with more
// senders than the 1,000 logins of the spread scenario (`bench
// --concurrency 1000` used to index past the tokens).
func TestHTTPLoginsCoverEverySender(t *testing.T) {
	for _, c := range []struct{ users, concurrency int }{{1_001, 1_000}, {10_000, 1_000}, {10_000, 3_000}, {5_000, 100}, {50, 100}, {2, 1}} {
		users := make([]store.User, c.users)
		senders := min(c.users, c.concurrency+1) - 1 // as Run picks them
		logins := httpLogins(users, senders)
		if len(logins) < min(c.users, 1_000) {
			t.Errorf("%+v: %d logins, fewer than the spread scenario's 1,000", c, len(logins))
		}
		for g := range c.concurrency {
			if i := 1 + g%senders; i >= len(logins) {
				t.Fatalf("%+v: goroutine %d sends as user %d, but only %d are logged in", c, g, i, len(logins))
			}
		}
	}
}

package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"minipay/client"
	"minipay/clock"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestTwoServersDoNotDoubleSend: two servers on one database, each
// worker taking two endpoints at a time, share six endpoints while three
// users charge concurrently; every endpoint gets each of its user's events
// once, in order, and both servers delivered.
func TestTwoServersDoNotDoubleSend(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(start)
		cfg := loopback
		cfg.Endpoints = 2
		one, two := serve(t, db, clk, cfg), serve(t, db, clk, cfg)
		rcv := newReceiver(t, http.StatusOK)
		const users, charges = 3, 8
		clients := make([]*client.Client, users)
		for u := range users {
			clients[u] = one.user(t, fmt.Sprintf("user%d", u))
		}
		clk.Advance(time.Second) // the logins' session.created came before the endpoints: not for them
		for u := range users {
			for e := range 2 {
				dbtest.Must(clients[u].CreateWebhookEndpoint(ctx, fmt.Sprintf("%s/u%d/e%d", rcv.URL, u, e), nil, ""))(t)
			}
		}
		stopOne, stopTwo := one.run(t), two.run(t)

		var wg sync.WaitGroup
		for u, c := range clients {
			wg.Go(func() {
				for i := range charges {
					if _, err := c.Charge(ctx, 1_000, fmt.Sprintf("k%d-%d", u, i)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		rcv.waitFor(t, users*2*charges)
		// Stop only once every sent delivery is recorded: a server stopped
		// between a send and its record leaves the delivery pending and
		// releases its lease, and the other server, still running, would
		// rightly send it again (at least once), which is not what this
		// test is about.
		waitUntil(t, "every delivery recorded", func() bool {
			var pending int
			err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&pending)
			return err == nil && pending == 0
		})
		stopOne()
		stopTwo()
		got := rcv.requests() // all that was sent

		ids := map[string][]int64{} // webhook-ids by endpoint, in arrival order
		for _, r := range got {
			id, _ := strconv.ParseInt(r.header.Get("webhook-id"), 10, 64)
			ids[r.path] = append(ids[r.path], id)
		}
		for u, c := range clients {
			var want []int64
			for _, e := range events(t, c)[1:] { // after the login
				want = append(want, e.ID)
			}
			for e := range 2 {
				path := fmt.Sprintf("/u%d/e%d", u, e)
				if fmt.Sprint(ids[path]) != fmt.Sprint(want) {
					t.Errorf("%s got events %v, want %v", path, ids[path], want)
				}
			}
		}
		var owners int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(DISTINCT owner) FROM webhook_endpoints`).Scan(&owners); err != nil || owners != 2 {
			t.Fatalf("endpoints were delivered by %d servers (%v), want 2", owners, err)
		}
	})
}

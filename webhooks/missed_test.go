package webhooks_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"minipay/client"
	"minipay/clock"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestMissedEventsOnRequest: events that happen while an endpoint is
// disabled are missed. Enabling it says how many and, as Stripe does,
// replays nothing; asked to, it queues them, oldest first, each once
// with its own webhook-id, and a later request finds nothing left.
func TestMissedEventsOnRequest(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(start)
		s := serve(t, db, clk, loopback)
		s.run(t)
		alice := s.user(t, "alice")
		clk.Advance(time.Second) // the login came before the endpoints
		rcv, watching := newReceiver(t, 200), newReceiver(t, 200)
		charges := []string{store.EventChargeSucceeded}
		ep := dbtest.Must(alice.CreateWebhookEndpoint(ctx, rcv.URL, charges, ""))(t)
		dbtest.Must(alice.CreateWebhookEndpoint(ctx, watching.URL, charges, ""))(t)
		charge := func(amount int64) {
			dbtest.Must(alice.Charge(ctx, amount, "c"+strconv.FormatInt(amount, 10)))(t)
		}
		amounts := func(rs []request) (out []int64) {
			for _, r := range rs {
				var e client.Event
				if err := json.Unmarshal(r.body, &e); err != nil || r.header.Get("webhook-id") != strconv.FormatInt(e.ID, 10) {
					t.Fatalf("delivery %s %v (%v)", r.body, r.header, err)
				}
				if err := verify(ep.Secret, r.header, r.body, clk.Now()); err != nil {
					t.Fatal(err)
				}
				out = append(out, e.Data.Amount)
			}
			return out
		}
		charge(1_000)
		rcv.waitFor(t, 1)

		// Disabled, as three days of failures would leave it
		// (TestDisabledAfterDaysOfFailures).
		if _, err := db.SQL().ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = $1, failing_since = $1 WHERE id = $2`,
			clk.Now().UnixMicro(), ep.ID); err != nil {
			t.Fatal(err)
		}
		charge(2_000)
		charge(3_000)
		watching.waitFor(t, 3) // the fan-out is past both: they are missed, not on their way

		e := dbtest.Must(alice.EnableWebhookEndpoint(ctx, ep.ID, false))(t)
		if e.Status != "enabled" || e.MissedEvents != 2 {
			t.Fatalf("enabled without the missed: %+v", e)
		}
		charge(4_000)
		watching.waitFor(t, 4)
		// The worker sends an endpoint's deliveries in event order: had
		// the missed ones been queued, they would have come first.
		if got := amounts(rcv.waitFor(t, 2)); len(got) != 2 || got[1] != 4_000 {
			t.Fatalf("delivered %v, want [1000 4000]", got)
		}

		e = dbtest.Must(alice.EnableWebhookEndpoint(ctx, ep.ID, true))(t)
		if e.MissedEvents != 2 {
			t.Fatalf("asked for the missed: %+v", e)
		}
		if got := amounts(rcv.waitFor(t, 4)); got[2] != 2_000 || got[3] != 3_000 {
			t.Fatalf("delivered %v, want the missed 2000 and 3000 last", got)
		}
		if e := dbtest.Must(alice.EnableWebhookEndpoint(ctx, ep.ID, true))(t); e.MissedEvents != 0 {
			t.Fatalf("asked again: %+v", e)
		}
		time.Sleep(100 * time.Millisecond) // ten polls: nothing more comes
		if n := len(rcv.requests()); n != 4 {
			t.Fatalf("%d deliveries, want 4", n)
		}
	})
}

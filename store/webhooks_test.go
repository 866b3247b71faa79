package store_test

import (
	"context"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestWebhookDeliveries walks deliveries through the store: the fan-out
// matches each endpoint's types and age and adds nothing the second time;
// one owner's claim keeps another out until its lease runs out (a crashed
// server), and then the other takes the endpoint over with its delivery
// still pending; an attempt moves the delivery on; retention removes old
// deliveries.
func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := newEnv(t, db)
		ann := env.User(t, "ann")
		now := env.Clock.Now()
		all := dbtest.Must(db.CreateWebhookEndpoint(ctx, ann.ID, "http://a/", nil, "whsec_AAAA", now, 10))(t)
		transfers := dbtest.Must(db.CreateWebhookEndpoint(ctx, ann.ID, "http://b/", []string{store.EventTransferCompleted}, "whsec_AAAA", now, 10))(t)
		if _, err := env.W.Do(ctx, ann.ID, store.Idempotency{}, ledger.Charge{User: ann.ID, Account: ann.MainAccount, Amount: 5_000}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Second)
		late := dbtest.Must(db.CreateWebhookEndpoint(ctx, ann.ID, "http://c/", nil, "whsec_AAAA", env.Clock.Now(), 10))(t)
		fence := dbtest.Must(db.AllEvents(ctx, 0, 1<<62, 10))(t)[0][0].ID
		if n := dbtest.Must(db.FanOutWebhooks(ctx, 0, fence, now))(t); n != 1 {
			t.Fatalf("fan-out made %d deliveries, want 1 (the charge, to %d only)", n, all.ID)
		}
		if n := dbtest.Must(db.FanOutWebhooks(ctx, 0, fence+1, now))(t); n != 0 {
			t.Fatalf("the same window again made %d deliveries", n)
		}
		for _, ep := range []store.WebhookEndpoint{transfers, late} {
			if d := dbtest.Must(db.DueWebhookDeliveries(ctx, ep.ID, now, 10))(t); len(d) != 0 {
				t.Fatalf("endpoint %s got %+v", ep.URL, d)
			}
		}

		const lease = time.Minute
		if got := dbtest.Must(db.ClaimWebhookEndpoints(ctx, "dead", now, lease, 10))(t); len(got) != 1 || got[0].ID != all.ID {
			t.Fatalf("the first claim: %+v", got)
		}
		if got := dbtest.Must(db.ClaimWebhookEndpoints(ctx, "live", now.Add(lease-time.Second), lease, 10))(t); len(got) != 0 {
			t.Fatalf("claimed under another's lease: %+v", got)
		}
		later := now.Add(lease + time.Second)
		if got := dbtest.Must(db.ClaimWebhookEndpoints(ctx, "live", later, lease, 10))(t); len(got) != 1 {
			t.Fatalf("no takeover after the lease: %+v", got)
		}
		due := dbtest.Must(db.DueWebhookDeliveries(ctx, all.ID, later, 10))(t)
		if len(due) != 1 || due[0].Status != store.DeliveryPending {
			t.Fatalf("due after the takeover: %+v", due)
		}

		next := later.Add(time.Hour)
		a := store.WebhookAttempt{DeliveryID: due[0].ID, EndpointID: all.ID, At: later, StatusCode: 500, Error: "answered 500"}
		if err := db.RecordWebhookAttempt(ctx, a, store.AttemptOutcome{Next: next}); err != nil {
			t.Fatal(err)
		}
		if d := dbtest.Must(db.DueWebhookDeliveries(ctx, all.ID, next, 10))(t); len(d) != 1 || d[0].Attempts != 1 || !d[0].FirstAttemptAt.Equal(later) {
			t.Fatalf("after a failed attempt: %+v", d)
		}
		if e := dbtest.Must(db.WebhookEndpoint(ctx, ann.ID, all.ID))(t); !e.FailingSince.Equal(later) {
			t.Fatalf("failing since %v, want %v", e.FailingSince, later)
		}
		a.At, a.Succeeded, a.StatusCode, a.Error = next, true, 200, ""
		if err := db.RecordWebhookAttempt(ctx, a, store.AttemptOutcome{}); err != nil {
			t.Fatal(err)
		}
		if d := dbtest.Must(db.DueWebhookDeliveries(ctx, all.ID, next.Add(24*time.Hour), 10))(t); len(d) != 0 {
			t.Fatalf("due after it succeeded: %+v", d)
		}
		if e := dbtest.Must(db.WebhookEndpoint(ctx, ann.ID, all.ID))(t); !e.FailingSince.IsZero() {
			t.Fatalf("still failing since %v after a success", e.FailingSince)
		}
		if got := dbtest.Must(db.WebhookAttempts(ctx, ann.ID, all.ID, 0, 10))(t); len(got) != 2 || !got[0].Succeeded || got[1].StatusCode != 500 ||
			got[0].EventType != store.EventChargeSucceeded || got[0].DeliveryStatus != store.DeliverySucceeded {
			t.Fatalf("attempts %+v", got)
		}

		if n := dbtest.Must(db.ExpireWebhookDeliveries(ctx, now.Add(store.EventRetention)))(t); n != 0 {
			t.Fatalf("retention deleted %d deliveries made at its cutoff", n)
		}
		if n := dbtest.Must(db.ExpireWebhookDeliveries(ctx, now.Add(store.EventRetention+time.Second)))(t); n != 1 {
			t.Fatalf("retention deleted %d deliveries, want 1", n)
		}
		if got := dbtest.Must(db.WebhookAttempts(ctx, ann.ID, all.ID, 0, 10))(t); len(got) != 0 {
			t.Fatalf("attempts outlived their delivery: %+v", got)
		}
	})
}

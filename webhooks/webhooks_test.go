package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"minipay/client"
	"minipay/clock"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/webhooks"
)

var start = time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)

// TestEveryEventDelivered: a receiver gets each event of a scenario
// (charges, a transfer, a pending transfer accepted, savings), once, in
// order, as GET /v1/events gives it, each signature verifying; after a
// secret rotation both secrets verify; a resend comes again with the same
// webhook-id.
func TestEveryEventDelivered(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(start)
		s := serve(t, db, clk, loopback)
		s.run(t)
		alice, bob := s.user(t, "alice"), s.user(t, "bob")
		clk.Advance(time.Second) // the logins' session.created came before the endpoint: not for it
		rcv := newReceiver(t, http.StatusOK)
		ep := dbtest.Must(alice.CreateWebhookEndpoint(ctx, rcv.URL+"/hooks", nil, ""))(t)
		if ep.Secret == "" || ep.Status != "enabled" || len(ep.EventTypes) != 0 {
			t.Fatalf("created %+v", ep)
		}
		if got := dbtest.Must(alice.WebhookEndpoint(ctx, ep.ID))(t); got.Secret != "" {
			t.Fatalf("the secret is shown again: %+v", got)
		}

		dbtest.Must(alice.Charge(ctx, 50_000, "c1"))(t)
		dbtest.Must(alice.Transfer(ctx, client.TransferRequest{To: client.ToUser("bob"), Amount: 10_000}, "t1"))(t)
		yes := true
		pending := dbtest.Must(alice.Transfer(ctx, client.TransferRequest{To: client.ToUser("bob"), Amount: 5_000, RequireAcceptance: &yes}, "t2"))(t)
		dbtest.Must(bob.AcceptTransfer(ctx, pending.ID, "a1"))(t)
		savings := dbtest.Must(alice.OpenSavings(ctx, "free", 0, ""))(t)
		dbtest.Must(alice.Deposit(ctx, savings.ID, 20_000, "d1"))(t)

		want := events(t, alice)[1:] // after alice's login
		if types := typesOf(want); !slices.Equal(types, []string{"charge.succeeded", "transfer.completed", "transfer.pending",
			"transfer.accepted", "savings.opened", "savings.deposit"}) {
			t.Fatalf("scenario events %v", types)
		}
		got := rcv.waitFor(t, len(want))
		checkDelivered(t, got, want, ep.Secret, clk.Now())

		rotated := dbtest.Must(alice.RotateWebhookSecret(ctx, ep.ID, "rotate-1"))(t)
		if rotated.Secret == "" || rotated.Secret == ep.Secret {
			t.Fatalf("rotated %+v", rotated)
		}
		dbtest.Must(alice.Charge(ctx, 1_000, "c2"))(t)
		got = rcv.waitFor(t, len(want)+1)
		for _, secret := range []string{ep.Secret, rotated.Secret} {
			if err := verify(secret, got[len(want)].header, got[len(want)].body, clk.Now()); err != nil {
				t.Fatalf("after the rotation: %v", err)
			}
		}

		attempts := dbtest.Must(alice.WebhookAttempts(ctx, ep.ID, "", 2))(t)
		if len(attempts.Attempts) != 2 || attempts.NextCursor == "" || attempts.Attempts[0].Result != "succeeded" ||
			*attempts.Attempts[0].StatusCode != 200 || attempts.Attempts[0].Response != "status 200" {
			t.Fatalf("attempts page %+v", attempts)
		}
		resent := dbtest.Must(alice.ResendWebhookDelivery(ctx, ep.ID, attempts.Attempts[1].DeliveryID))(t)
		again := rcv.waitFor(t, len(want)+2)[len(want)+1]
		if id := again.header.Get("webhook-id"); id != strconv.FormatInt(resent.EventID, 10) || resent.EventID != attempts.Attempts[1].EventID {
			t.Fatalf("resent webhook-id %s, want event %d", id, attempts.Attempts[1].EventID)
		}
		if _, err := bob.WebhookEndpoint(ctx, ep.ID); problem(err) != "not_found" {
			t.Fatalf("bob reads alice's endpoint: %v", err)
		}
	})
}

// checkDelivered fails unless got are the events want, in order, each
// body the event's JSON and each signed with secret.
func checkDelivered(t *testing.T, got []request, want []client.Event, secret string, now time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("the receiver got %d requests, want %d", len(got), len(want))
	}
	for i, r := range got {
		if err := verify(secret, r.header, r.body, now); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		var e client.Event
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e, want[i]) || r.header.Get("webhook-id") != strconv.FormatInt(want[i].ID, 10) {
			t.Fatalf("delivery %d: id %s, %+v; want %+v", i, r.header.Get("webhook-id"), e, want[i])
		}
	}
}

func typesOf(es []client.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

// problem is the code of a client error, "" for none.
func problem(err error) string {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestRetriedUntilAccepted: a receiver that answers 500 three times gets
// the event on the 4th try, each retry brought due by the test clock; the
// server is restarted between the 2nd and 3rd tries (its worker stopped,
// another server started on the database) and nothing is lost. Every
// attempt is listed.
func TestRetriedUntilAccepted(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(start)
		first := serve(t, db, clk, loopback)
		stop := first.run(t)
		alice := first.user(t, "alice")
		rcv := newReceiver(t, 500, 500, 500, 200)
		ep := dbtest.Must(alice.CreateWebhookEndpoint(ctx, rcv.URL, []string{"charge.succeeded"}, ""))(t)
		dbtest.Must(alice.Charge(ctx, 10_000, "c1"))(t)

		rcv.waitFor(t, 1)
		waitAttempts(t, alice, ep.ID, 1)
		clk.Advance(webhooks.MaxRetryDelay(1))
		rcv.waitFor(t, 2)
		waitAttempts(t, alice, ep.ID, 2)
		stop()

		second := serve(t, db, clk, loopback)
		second.run(t)
		alice = second.login(t, "alice")
		clk.Advance(webhooks.MaxRetryDelay(2))
		rcv.waitFor(t, 3)
		waitAttempts(t, alice, ep.ID, 3)
		clk.Advance(webhooks.MaxRetryDelay(3))
		got := rcv.waitFor(t, 4)
		page := waitAttempts(t, alice, ep.ID, 4)

		for i, r := range got {
			if r.header.Get("webhook-id") != got[0].header.Get("webhook-id") || string(r.body) != string(got[0].body) {
				t.Fatalf("try %d differs from the first: %s %s", i+1, r.header.Get("webhook-id"), r.body)
			}
		}
		for i, a := range page {
			wantResult, wantStatus := "failed", 500
			if i == 0 { // newest first
				wantResult, wantStatus = "succeeded", 200
			}
			if a.Result != wantResult || a.StatusCode == nil || *a.StatusCode != wantStatus || a.DeliveryStatus != "succeeded" {
				t.Fatalf("attempt %d: %+v", len(page)-i, a)
			}
		}
		if e := dbtest.Must(alice.WebhookEndpoint(ctx, ep.ID))(t); e.FailingSince != nil || e.Status != "enabled" {
			t.Fatalf("after the success %+v", e)
		}
	})
}

// TestRetryDoesNotHoldBackLaterEvents pins what README "Webhooks" says of
// order: as with Stripe, a retry does not hold back later events, so they
// may arrive out of order, and each payload carries what a receiver
// needs to put them back in order (the event id, then created_at).
func TestRetryDoesNotHoldBackLaterEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(start)
		srv := serve(t, db, clk, loopback)
		srv.run(t)
		alice := srv.user(t, "alice")
		rcv := newReceiver(t, 500, 200)
		ep := dbtest.Must(alice.CreateWebhookEndpoint(ctx, rcv.URL, []string{"charge.succeeded"}, ""))(t)
		dbtest.Must(alice.Charge(ctx, 1_000, "c1"))(t)
		waitAttempts(t, alice, ep.ID, 1) // failed: retried in about 5 s
		clk.Advance(time.Second)
		dbtest.Must(alice.Charge(ctx, 2_000, "c2"))(t)
		rcv.waitFor(t, 2)
		clk.Advance(webhooks.MaxRetryDelay(1))
		got := rcv.waitFor(t, 3)

		var sent []client.Event
		for _, r := range got {
			var e client.Event
			if err := json.Unmarshal(r.body, &e); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, e)
		}
		first, second, retry := sent[0], sent[1], sent[2]
		if retry.ID != first.ID || second.ID <= first.ID {
			t.Fatalf("arrived %d, %d, %d; want the first event's retry after the second event", first.ID, second.ID, retry.ID)
		}
		if !second.CreatedAt.After(first.CreatedAt) || first.Data.Amount != 1_000 || second.Data.Amount != 2_000 {
			t.Fatalf("events %+v then %+v: the payload does not order them", first, second)
		}
	})
}

// waitAttempts waits until n attempts at the endpoint are recorded and
// returns them, newest first.
func waitAttempts(t *testing.T, c *client.Client, endpoint int64, n int) []client.WebhookAttempt {
	t.Helper()
	var page client.WebhookAttemptPage
	waitUntil(t, strconv.Itoa(n)+" attempts", func() bool {
		page = dbtest.Must(c.WebhookAttempts(context.Background(), endpoint, "", 100))(t)
		return len(page.Attempts) >= n
	})
	return page.Attempts
}

// TestDisabledAfterDaysOfFailures: a receiver that always fails gets the
// event on the retry schedule until three days have passed; then the
// delivery is given up, the endpoint disabled, and its owner told by a
// webhook_endpoint.disabled event, which their other endpoint (taking
// only that type) receives. A disabled endpoint's delivery cannot be
// resent until the endpoint is enabled again.
func TestDisabledAfterDaysOfFailures(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(start)
		s := serve(t, db, clk, loopback)
		s.run(t)
		alice := s.user(t, "alice")
		clk.Advance(time.Second) // the login's session.created came before the endpoints: not for them
		failing, watching := newReceiver(t, http.StatusServiceUnavailable), newReceiver(t, http.StatusOK)
		ep := dbtest.Must(alice.CreateWebhookEndpoint(ctx, failing.URL, nil, ""))(t)
		watcher := dbtest.Must(alice.CreateWebhookEndpoint(ctx, watching.URL, []string{store.EventWebhookEndpointDisabled}, ""))(t)
		dbtest.Must(alice.Charge(ctx, 1_000, "c1"))(t)

		tries := 0
		for tries = 1; tries < 20; tries++ {
			failing.waitFor(t, tries)
			waitAttempts(t, alice, ep.ID, tries)
			if dbtest.Must(alice.WebhookEndpoint(ctx, ep.ID))(t).Status == "disabled" {
				break
			}
			clk.Advance(webhooks.MaxRetryDelay(tries))
		}
		got := dbtest.Must(alice.WebhookEndpoint(ctx, ep.ID))(t)
		if got.Status != "disabled" || got.DisabledAt == nil || got.FailingSince == nil || got.DisabledAt.Sub(*got.FailingSince) < 60*time.Hour {
			t.Fatalf("after %d tries: %+v", tries, got)
		}
		// 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h: the 11th try
		// would come after 72 h (from 7 to 12 by the jitter).
		if tries < 7 || tries > 12 {
			t.Fatalf("disabled after %d tries", tries)
		}
		told := watching.waitFor(t, 1)[0]
		var e client.Event
		if err := json.Unmarshal(told.body, &e); err != nil || e.Type != store.EventWebhookEndpointDisabled || e.Data.WebhookEndpointID != ep.ID {
			t.Fatalf("the owner was told %s (%v)", told.body, err)
		}
		if err := verify(watcher.Secret, told.header, told.body, clk.Now()); err != nil {
			t.Fatal(err)
		}
		last := waitAttempts(t, alice, ep.ID, tries)[0]
		if last.DeliveryStatus != "failed" {
			t.Fatalf("the given-up delivery: %+v", last)
		}
		if _, err := alice.ResendWebhookDelivery(ctx, ep.ID, last.DeliveryID); problem(err) != "conflict" {
			t.Fatalf("a resend to a disabled endpoint: %v, want conflict", err)
		}
		if e := dbtest.Must(alice.EnableWebhookEndpoint(ctx, ep.ID, false))(t); e.Status != "enabled" || e.FailingSince != nil {
			t.Fatalf("enabled again: %+v", e)
		}
		dbtest.Must(alice.ResendWebhookDelivery(ctx, ep.ID, last.DeliveryID))(t)
		failing.waitFor(t, tries+1)
	})
}

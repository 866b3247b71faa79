package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"minipay/clock"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/webhooks"
)

// TestPrivateAddressesRefused: without --webhooks-allow-private an
// endpoint on a loopback, private, link-local or unspecified address is
// refused at registration (url_refused), and one that reached the
// database anyway (a name that resolved elsewhere when registered) is
// refused when dialled: the attempt fails, the receiver gets nothing.
func TestPrivateAddressesRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(start)
		s := serve(t, db, clk, webhooks.Config{})
		s.run(t)
		alice := s.user(t, "alice")
		rcv := newReceiver(t, http.StatusOK)
		for _, url := range []string{rcv.URL, "http://localhost:8080/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
			"http://10.1.2.3/", "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/",
			"http://[fe80::1]/", "http://100.64.0.1/", "http://224.0.0.1/"} {
			if _, err := alice.CreateWebhookEndpoint(ctx, url, nil, ""); problem(err) != "url_refused" {
				t.Errorf("%s: %v, want url_refused", url, err)
			}
		}
		for _, url := range []string{"ftp://example.com/", "example.com/hook", "http://user:pw@example.com/", "http:///x",
			"https://example.com/#frag", "http://example.com/\u202e"} {
			if _, err := alice.CreateWebhookEndpoint(ctx, url, nil, ""); problem(err) != "invalid" {
				t.Errorf("%q: %v, want invalid", url, err)
			}
		}
		if _, err := alice.CreateWebhookEndpoint(ctx, "https://example.com/", []string{"charge.refunded"}, ""); problem(err) != "invalid" {
			t.Errorf("an unknown event type: %v, want invalid", err)
		}

		me := dbtest.Must(alice.Me(ctx))(t)
		ep, err := db.CreateWebhookEndpoint(ctx, me.ID, rcv.URL, nil, "whsec_"+strings.Repeat("A", 32), clk.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		dbtest.Must(alice.Charge(ctx, 1_000, "c1"))(t)
		a := waitAttempts(t, alice, ep.ID, 1)[0]
		if a.Result != "failed" || a.StatusCode != nil || !strings.Contains(a.Error, "not a public address") {
			t.Fatalf("the attempt at a loopback endpoint: %+v", a)
		}
		if n := len(rcv.requests()); n != 0 {
			t.Fatalf("the loopback receiver got %d requests", n)
		}
	})
}

// TestEndpointLimits: a user has at most 10 endpoints; a deleted one is
// gone, with its deliveries.
func TestEndpointLimits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := serve(t, db, clock.NewManual(start), loopback)
		alice := s.user(t, "alice")
		for range 10 {
			dbtest.Must(alice.CreateWebhookEndpoint(ctx, "http://127.0.0.1:9/", []string{"charge.succeeded", "transfer.completed"}, ""))(t)
		}
		if _, err := alice.CreateWebhookEndpoint(ctx, "http://127.0.0.1:9/", nil, ""); problem(err) != "conflict" {
			t.Fatalf("an 11th endpoint: %v, want conflict", err)
		}
		list := dbtest.Must(alice.WebhookEndpoints(ctx))(t)
		if len(list) != 10 || list[0].Secret != "" || len(list[0].EventTypes) != 2 {
			t.Fatalf("listed %+v", list)
		}
		if err := alice.DeleteWebhookEndpoint(ctx, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.WebhookEndpoint(ctx, list[0].ID); problem(err) != "not_found" {
			t.Fatalf("a deleted endpoint: %v", err)
		}
		dbtest.Must(alice.CreateWebhookEndpoint(ctx, "http://127.0.0.1:9/", nil, ""))(t)
	})
}

// TestRedirectsNotFollowed: a receiver that redirects fails the attempt
// (its status and the refusal recorded); where it points gets nothing.
func TestRedirectsNotFollowed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := serve(t, db, clock.NewManual(start), loopback)
		s.run(t)
		alice := s.user(t, "alice")
		target := newReceiver(t, http.StatusOK)
		redirecting := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
		t.Cleanup(redirecting.Close)
		ep := dbtest.Must(alice.CreateWebhookEndpoint(ctx, redirecting.URL, nil, ""))(t)
		dbtest.Must(alice.Charge(ctx, 1_000, "c1"))(t)
		a := waitAttempts(t, alice, ep.ID, 1)[0]
		if a.Result != "failed" || a.StatusCode == nil || *a.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(a.Error, "not followed") {
			t.Fatalf("the attempt at a redirecting endpoint: %+v", a)
		}
		if n := len(target.requests()); n != 0 {
			t.Fatalf("the redirect's target got %d requests", n)
		}
	})
}

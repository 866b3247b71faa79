package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"

	"minipay/client"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestEventsAPI: a transfer's event reaches both parties through the
// client (newest first and oldest first after an id), never a third user;
// bad filters are invalid.
func TestEventsAPI(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		alice, bob, eve := e.signUp(t, "alice"), e.signUp(t, "bob"), e.signUp(t, "eve")
		e.charge(t, alice, 50_000)
		e.ok(t, req{method: "POST", path: "/v1/transfers", token: alice.Token,
			body: map[string]any{"to": "bob", "amount": 20_000, "display_name": "A.", "memo": "lunch"}}, http.StatusCreated, nil)

		c := client.New(e.url)
		newest, err := c.WithToken(alice.Token).ListEvents(ctx, client.EventQuery{Limit: 1})
		if err != nil || len(newest.Events) != 1 || newest.NextCursor == "" {
			t.Fatalf("alice's newest event: %+v %v", newest, err)
		}
		ev := newest.Events[0]
		if ev.Type != store.EventTransferCompleted || ev.Data.Amount != 20_000 || ev.Data.DisplayName != "A." || ev.Data.TransactionID == 0 || ev.Data.Version != 1 {
			t.Fatalf("transfer event %+v", ev)
		}
		// Before her charge, her login (signUp logs in): a security event
		// that moved no money.
		older, err := c.WithToken(alice.Token).ListEvents(ctx, client.EventQuery{Cursor: newest.NextCursor})
		if err != nil || len(older.Events) != 2 || older.Events[0].Type != store.EventChargeSucceeded || older.NextCursor != "" {
			t.Fatalf("alice's older events: %+v %v", older, err)
		}
		if login := older.Events[1]; login.Type != store.EventSessionCreated || login.Data.SessionID == "" ||
			login.Data.UserAgent == "" || login.Data.TransactionID != 0 || login.Data.Amount != 0 {
			t.Fatalf("alice's login event %+v", login)
		}
		forward, err := c.WithToken(bob.Token).ListEvents(ctx, client.EventQuery{Forward: true})
		if err != nil || len(forward.Events) != 2 || forward.Events[0].Type != store.EventSessionCreated || forward.Events[1] != ev {
			t.Fatalf("bob's events after 0: %+v %v, want his login, then %+v", forward, err, ev)
		}
		after, err := c.WithToken(bob.Token).ListEvents(ctx, client.EventQuery{Forward: true, After: ev.ID})
		if err != nil || len(after.Events) != 0 {
			t.Fatalf("bob's events after %d: %+v %v", ev.ID, after, err)
		}
		var got client.Event
		e.ok(t, req{method: "GET", path: fmt.Sprintf("/v1/events/%d", ev.ID), token: bob.Token}, http.StatusOK, &got)
		if got != ev {
			t.Fatalf("bob reads %+v, want %+v", got, ev)
		}

		// Eve moved no money: her only event is her own login.
		own, err := c.WithToken(eve.Token).ListEvents(ctx, client.EventQuery{})
		if err != nil || len(own.Events) != 1 || own.Events[0].Type != store.EventSessionCreated {
			t.Fatalf("eve's events: %+v %v", own, err)
		}
		checkProblem(t, "another user's event", e.do(t, req{method: "GET", path: fmt.Sprintf("/v1/events/%d", ev.ID), token: eve.Token}),
			http.StatusNotFound, "not_found")
		for _, q := range []string{"type=transfer.sent", "after=-1", "after=x", "after=1&cursor=" + newest.NextCursor} {
			checkProblem(t, q, e.do(t, req{method: "GET", path: "/v1/events?" + q, token: alice.Token}), http.StatusBadRequest, "invalid")
		}
	})
}

// TestEventTypesDocumented: the OpenAPI document lists exactly the event
// types the store writes.
func TestEventTypesDocumented(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				EventType struct {
					Enum []string `json:"enum"`
				} `json:"EventType"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Components.Schemas.EventType.Enum; !slices.Equal(got, store.EventTypes) {
		t.Fatalf("OpenAPI EventType %v, store writes %v", got, store.EventTypes)
	}
}

// TestSecurityEventsLive: a login and a password change reach the user's
// open stream at once — woken by their own commit, as the stream does not
// poll here — and list like any event; a refused change records nothing.
func TestSecurityEventsLive(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e, u, s := unpolledStream(t, db, "sage")
		phone, id := e.loginAs(t, u, "phone/2.0")
		if got := s.events(t, 1)[0].ev; got.Type != store.EventSessionCreated || got.Data.SessionID != id || got.Data.UserAgent != "phone/2.0" {
			t.Fatalf("streamed %+v, want the phone's login %s", got, id)
		}
		change := func(current string) req {
			return req{method: "POST", path: "/v1/me/password", token: phone,
				body: map[string]string{"current_password": current, "new_password": "the new password"}}
		}
		checkProblem(t, "wrong current password", e.do(t, change("not it")), http.StatusUnauthorized, "unauthorized")
		e.noContent(t, change(u.Password))
		got := s.events(t, 1)[0].ev
		if got.Type != store.EventPasswordChanged || got.Data.SessionID != id || got.Data.UserAgent != "phone/2.0" || got.Data.TransactionID != 0 {
			t.Fatalf("streamed %+v, want the password change from the phone's session %s", got, id)
		}
		listed, err := client.New(e.url).WithToken(phone).ListEvents(context.Background(), client.EventQuery{Type: store.EventPasswordChanged})
		if err != nil || len(listed.Events) != 1 || listed.Events[0] != got {
			t.Fatalf("password.changed events %+v %v, want only %+v", listed, err, got)
		}
	})
}

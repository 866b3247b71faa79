package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minipay/api"
	"minipay/app"
	"minipay/store"
	"minipay/store/dbtest"
)

// newStrangerEnv serves with small daily stranger limits and no other
// limit in the way.
func newStrangerEnv(t *testing.T, db *store.DB, asked, received int) *env {
	return wire(t, db, func(cfg *app.Config) {
		cfg.Limits = api.Limits{SettlementsPerUser: 1000, StrangersPerDay: asked, StrangerRequestsPerDay: received}
	})
}

// bill asks participants to split 10,000 as u and returns the answer.
func (e *env) bill(t *testing.T, u *user, participants ...string) response {
	t.Helper()
	return e.do(t, req{method: "POST", path: "/v1/settlements", token: u.Token,
		body: map[string]any{"total": 10_000, "mode": "equal", "participants": participants}})
}

// untilMidnight is the Retry-After of a daily limit hit at start (14:00
// in Seoul): ten hours, until the next business day.
const untilMidnight = 10 * time.Hour

// The flood: bills to one victim from people they never dealt
// with are bounded per requester and per victim each day; a refused bill
// stores nothing; people the victim has dealt with are not limited; the
// next day the counts start over.
func TestStrangerSettlementsBounded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newStrangerEnv(t, db, 3, 5)
		victim, flooder := e.signUp(t, "victim"), e.signUp(t, "flooder")
		for i := range 3 {
			if res := e.bill(t, flooder, "victim"); res.status != http.StatusCreated {
				t.Fatalf("bill %d: %v", i+1, res)
			}
		}
		res := e.bill(t, flooder, "victim")
		limited(t, "the flooder's 4th stranger", res, untilMidnight)
		if !strings.Contains(string(res.body), "never dealt with") {
			t.Errorf("the refusal does not say why: %s", res.body)
		}
		limited(t, "a bill to a new stranger too", e.bill(t, flooder, e.signUp(t, "third").Username), untilMidnight)

		// Other strangers fill the victim's day: 5 in all.
		others := []*user{e.signUp(t, "other1"), e.signUp(t, "other2")}
		for _, o := range others {
			if res := e.bill(t, o, "victim"); res.status != http.StatusCreated {
				t.Fatalf("%s's bill: %v", o.Username, res)
			}
		}
		late := e.signUp(t, "late")
		res = e.bill(t, late, "victim", "other1")
		limited(t, "a 6th stranger's bill to the victim", res, untilMidnight)
		if !strings.Contains(string(res.body), "victim") {
			t.Errorf("the refusal does not name the full inbox: %s", res.body)
		}
		if n := len(ssNotices(e.ssInbox(t, victim), "settlement_requested")); n != 5 {
			t.Errorf("the victim has %d settlement requests, want 5", n)
		}
		if got := e.ssList(t, late, "requester"); len(got) != 0 {
			t.Errorf("a refused bill was stored: %+v", got)
		}
		if res := e.bill(t, late, "other1"); res.status != http.StatusCreated {
			t.Errorf("a stranger with room left: %v", res)
		}

		// Someone the victim paid, and someone the victim billed first,
		// are not strangers.
		friend, asked := e.signUp(t, "friend"), e.signUp(t, "asked")
		e.charge(t, victim, 10_000)
		e.transfer(t, victim, "", map[string]any{"to": "friend", "amount": 1_000})
		if res := e.bill(t, victim, "asked"); res.status != http.StatusCreated {
			t.Fatalf("the victim's own bill: %v", res)
		}
		for range 3 {
			for _, u := range []*user{friend, asked} {
				if res := e.bill(t, u, "victim"); res.status != http.StatusCreated {
					t.Errorf("%s, known to the victim, is limited: %v", u.Username, res)
				}
			}
		}

		// The next business day starts over.
		e.clock.Advance(untilMidnight)
		if res := e.bill(t, flooder, "victim"); res.status != http.StatusCreated {
			t.Errorf("the next day: %v", res)
		}
	})
}

// A pending transfer nobody accepted, or a bill the victim declined,
// does not make the requester known: only completed dealings do.
func TestStrangersNeedCompletedDealings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newStrangerEnv(t, db, 1, 100)
		e.signUp(t, "victim")
		pushy := e.signUp(t, "pushy")
		e.charge(t, pushy, 10_000)
		e.transfer(t, pushy, "", map[string]any{"to": "victim", "amount": 1_000, "require_acceptance": true})
		if res := e.bill(t, pushy, "victim"); res.status != http.StatusCreated {
			t.Fatalf("the first bill: %v", res)
		}
		limited(t, "a second bill after an unaccepted transfer", e.bill(t, pushy, "victim"), untilMidnight)
	})
}

// Someone the victim added as a friend is no stranger to them; the
// requester adding the victim changes nothing (anyone can add anyone).
func TestFriendsAreNoStrangers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newStrangerEnv(t, db, 1, 100)
		victim := e.signUp(t, "victim")
		pushy, pal := e.signUp(t, "pushy"), e.signUp(t, "pal")
		e.ok(t, req{method: "POST", path: "/v1/friends", token: pushy.Token, body: map[string]any{"username": "victim"}}, http.StatusCreated, nil)
		if res := e.bill(t, pushy, "victim"); res.status != http.StatusCreated {
			t.Fatalf("the first bill: %v", res)
		}
		limited(t, "a second bill from someone who only added the victim", e.bill(t, pushy, "victim"), untilMidnight)
		e.ok(t, req{method: "POST", path: "/v1/friends", token: victim.Token, body: map[string]any{"username": "pal"}}, http.StatusCreated, nil)
		for i := range 3 {
			if res := e.bill(t, pal, "victim"); res.status != http.StatusCreated {
				t.Fatalf("bill %d from a friend the victim added: %v", i+1, res)
			}
		}
	})
}

// Many strangers billing one victim at once, on several connections,
// while money moves to the victim through the writer: exactly the day's
// limit of bills gets through, however the requests interleave, and
// every transfer completes.
func TestStrangerSettlementsConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newStrangerEnv(t, db, 100, 5)
		victim, payer := e.signUp(t, "victim"), e.signUp(t, "payer")
		e.charge(t, payer, 100_000)
		var flooders []*user
		for i := range 8 {
			flooders = append(flooders, e.signUp(t, fmt.Sprint("flooder", i)))
		}
		var created, refused atomic.Int64
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				res, err := e.send(req{method: "POST", path: "/v1/transfers", token: payer.Token, body: map[string]any{"to": "victim", "amount": 1_000}})
				if err != nil || res.status != http.StatusCreated {
					t.Errorf("a transfer beside the bills: %v %v", res, err)
				}
			})
		}
		for _, f := range flooders {
			for range 3 {
				wg.Go(func() {
					res, err := e.send(req{method: "POST", path: "/v1/settlements", token: f.Token,
						body: map[string]any{"total": 10_000, "mode": "equal", "participants": []string{"victim"}}})
					countAnswer(t, "a bill", res, err, http.StatusCreated, &created, &refused)
				})
			}
		}
		wg.Wait()
		if created.Load() != 5 || refused.Load() != 19 {
			t.Errorf("24 concurrent bills: %d created, %d refused; want 5 and 19", created.Load(), refused.Load())
		}
		var stored int
		if err := db.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM settlements`).Scan(&stored); err != nil || stored != 5 {
			t.Errorf("%d settlements stored (%v), want 5", stored, err)
		}
		if got := e.mainBalance(t, victim); got != 10_000 {
			t.Errorf("the victim received %d, want 10,000", got)
		}
		dbtest.Audit(t, db)
	})
}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipay/client"
	"minipay/names"
	"minipay/store"
	"minipay/store/dbtest"
)

// This file drives friends and recent recipients end to end over HTTP.
// Its helpers carry an fr prefix so they cannot collide with helpers
// other test files add.

type frFriend struct {
	Username   string    `json:"username"`
	MaskedName string    `json:"masked_name"`
	AddedAt    time.Time `json:"added_at"`
}

type frPage struct {
	Friends    []frFriend `json:"friends"`
	NextCursor *string    `json:"next_cursor"`
}

// frAdd adds username to u's friends and requires status (201 new, 200
// already a friend).
func (e *env) frAdd(t *testing.T, u *user, username string, status int) frFriend {
	t.Helper()
	var f frFriend
	res := e.ok(t, req{method: "POST", path: "/v1/friends", token: u.Token, body: map[string]string{"username": username}}, status, &f)
	frNoRealName(t, res)
	return f
}

// frList pages through GET /v1/friends with query as u, limit at a time,
// and returns the usernames in order.
func (e *env) frList(t *testing.T, u *user, query string, limit int) []string {
	t.Helper()
	var usernames []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("friends list does not end")
		}
		v, _ := url.ParseQuery(query)
		v.Set("limit", fmt.Sprint(limit))
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		var p frPage
		res := e.ok(t, req{method: "GET", path: "/v1/friends?" + v.Encode(), token: u.Token}, http.StatusOK, &p)
		frNoRealName(t, res)
		if len(p.Friends) > limit {
			t.Fatalf("page of %d friends with limit %d", len(p.Friends), limit)
		}
		for _, f := range p.Friends {
			if f.MaskedName != names.Mask("Name of "+f.Username) || f.AddedAt.IsZero() {
				t.Errorf("friend %+v: want masked name %q and added_at", f, names.Mask("Name of "+f.Username))
			}
			usernames = append(usernames, f.Username)
		}
		if p.NextCursor == nil {
			return usernames
		}
		cursor = *p.NextCursor
	}
}

// frNoRealName fails if a response shows any user's real name: every
// test user is named "Name of <username>".
func frNoRealName(t *testing.T, res response) {
	t.Helper()
	if strings.Contains(string(res.body), "Name of") {
		t.Errorf("response shows a real name: %s", res.body)
	}
}

func TestFriendsE2E(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice, bob, carol, dave := e.signUp(t, "alice"), e.signUp(t, "bob"), e.signUp(t, "carol"), e.signUp(t, "dave")

		step(t, "add", func(t *testing.T) {
			f := e.frAdd(t, alice, "bob", http.StatusCreated)
			if f.Username != "bob" || f.MaskedName != "N*** o* b**" || !f.AddedAt.Equal(e.clock.Now()) {
				t.Fatalf("added %+v; want bob, N*** o* b**, added now", f)
			}
			again := e.frAdd(t, alice, "bob", http.StatusOK)
			if again != f {
				t.Fatalf("adding again answered %+v, want %+v", again, f)
			}
			if got := e.frList(t, alice, "", 20); !slices.Equal(got, []string{"bob"}) {
				t.Fatalf("alice's friends %v after adding bob twice", got)
			}
		})

		step(t, "the added one is told once", func(t *testing.T) {
			var added []client.Notification
			for _, n := range e.inbox(t, bob, "") {
				if n.Kind == store.NoticeFriendAdded {
					added = append(added, n)
				}
			}
			if len(added) != 1 || added[0].Counterparty != "alice" {
				t.Fatalf("bob's friend_added notices %+v; want one from alice", added)
			}
			if n := e.inbox(t, alice, ""); len(n) != 0 {
				t.Fatalf("alice, the adder, got notices %+v", n)
			}
		})

		step(t, "refused", func(t *testing.T) {
			for _, c := range []struct {
				body   any
				status int
				code   string
			}{
				{map[string]string{"username": "alice"}, http.StatusBadRequest, "invalid"},
				{map[string]string{"username": "nobody"}, http.StatusNotFound, "not_found"},
				{map[string]string{"username": ""}, http.StatusBadRequest, "invalid"},
				{map[string]any{}, http.StatusBadRequest, "invalid"},
				{map[string]string{"username": "bo\u202eb"}, http.StatusBadRequest, "invalid"},
				{map[string]string{"username": strings.Repeat("b", 33)}, http.StatusBadRequest, "invalid"},
				{map[string]any{"username": "bob", "name": "x"}, http.StatusBadRequest, "invalid"},
			} {
				res := e.do(t, req{method: "POST", path: "/v1/friends", token: alice.Token, body: c.body})
				checkProblem(t, fmt.Sprint("add ", c.body), res, c.status, c.code)
			}
			checkProblem(t, "add without a token", e.do(t, req{method: "POST", path: "/v1/friends", body: map[string]string{"username": "bob"}}),
				http.StatusUnauthorized, "unauthorized")
			checkProblem(t, "unknown direction", e.do(t, req{method: "GET", path: "/v1/friends?direction=theirs", token: alice.Token}),
				http.StatusBadRequest, "invalid")
			checkProblem(t, "foreign cursor", e.do(t, req{method: "GET", path: "/v1/friends?cursor=aWQ6NQ", token: alice.Token}),
				http.StatusBadRequest, "invalid")
			if got := e.frList(t, alice, "", 20); !slices.Equal(got, []string{"bob"}) {
				t.Fatalf("refused adds changed alice's friends: %v", got)
			}
		})

		step(t, "newest first, paged, and only mine", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			e.frAdd(t, alice, "carol", http.StatusCreated)
			e.frAdd(t, alice, "dave", http.StatusCreated) // the same instant as carol
			e.clock.Advance(time.Minute)
			e.frAdd(t, carol, "dave", http.StatusCreated)
			for _, limit := range []int{1, 2, 3, 20} {
				got := e.frList(t, alice, "", limit)
				if want := []string{"dave", "carol", "bob"}; !slices.Equal(got, want) {
					t.Errorf("alice's friends %d at a time: %v, want %v", limit, got, want)
				}
			}
			if got := e.frList(t, carol, "direction=mine", 20); !slices.Equal(got, []string{"dave"}) {
				t.Errorf("carol's friends %v, want [dave]", got)
			}
			if got := e.frList(t, bob, "", 20); len(got) != 0 {
				t.Errorf("bob added nobody, yet lists %v", got)
			}
		})

		step(t, "who added me, until I add them back", func(t *testing.T) {
			if got := e.frList(t, dave, "direction=added_me", 1); !slices.Equal(got, []string{"carol", "alice"}) {
				t.Fatalf("dave was added by %v, want [carol alice]", got)
			}
			e.frAdd(t, dave, "alice", http.StatusCreated)
			if got := e.frList(t, dave, "direction=added_me", 20); !slices.Equal(got, []string{"carol"}) {
				t.Fatalf("after adding alice back, dave's added_me is %v, want [carol]", got)
			}
			if got := e.frList(t, alice, "direction=added_me", 20); len(got) != 0 {
				t.Fatalf("alice added dave, who added her back: her added_me is %v, want none", got)
			}
		})

		step(t, "remove", func(t *testing.T) {
			e.noContent(t, req{method: "DELETE", path: "/v1/friends/carol", token: alice.Token})
			if got := e.frList(t, alice, "", 20); !slices.Equal(got, []string{"dave", "bob"}) {
				t.Fatalf("after removing carol alice lists %v", got)
			}
			checkProblem(t, "remove again", e.do(t, req{method: "DELETE", path: "/v1/friends/carol", token: alice.Token}), http.StatusNotFound, "not_found")
			checkProblem(t, "remove a stranger", e.do(t, req{method: "DELETE", path: "/v1/friends/alice", token: bob.Token}), http.StatusNotFound, "not_found")
			checkProblem(t, "remove nobody", e.do(t, req{method: "DELETE", path: "/v1/friends/nobody", token: alice.Token}), http.StatusNotFound, "not_found")
			// Bob cannot remove alice's friend dave: only his own list changes.
			checkProblem(t, "remove another's friend", e.do(t, req{method: "DELETE", path: "/v1/friends/dave", token: bob.Token}), http.StatusNotFound, "not_found")
			if got := e.frList(t, alice, "", 20); !slices.Equal(got, []string{"dave", "bob"}) {
				t.Fatalf("failed removals changed alice's list to %v", got)
			}
			// Removed and added again is a new friend, added now.
			e.clock.Advance(time.Minute)
			if f := e.frAdd(t, alice, "carol", http.StatusCreated); !f.AddedAt.Equal(e.clock.Now()) {
				t.Fatalf("carol re-added at %v, want now", f.AddedAt)
			}
		})
	})
}

// TestFriendsCap fills a user's list to the cap with seeded users, then
// adds over HTTP: the last place is taken, the next add refused, and an
// add of someone already a friend still answers.
func TestFriendsCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		seed := make([]store.NewUser, store.MaxFriends-1)
		for i := range seed {
			name := fmt.Sprintf("cap%04d", i)
			seed[i] = store.NewUser{Username: name, Name: "Name of " + name, PasswordHash: "x"}
		}
		ctx := context.Background()
		if _, err := db.CreateUsers(ctx, seed, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO friends (user_id, friend_id, created_at)
			SELECT $1, id, 0 FROM users WHERE username LIKE 'cap%'`, alice.ID); err != nil {
			t.Fatal(err)
		}
		e.frAdd(t, alice, "bob", http.StatusCreated)
		e.signUp(t, "carol")
		p := checkProblem(t, "add past the cap", e.do(t, req{method: "POST", path: "/v1/friends", token: alice.Token,
			body: map[string]string{"username": "carol"}}), http.StatusConflict, "conflict")
		if !strings.Contains(p.Detail, fmt.Sprint(store.MaxFriends)) {
			t.Errorf("cap refusal %q does not name the cap", p.Detail)
		}
		e.frAdd(t, alice, "bob", http.StatusOK)
		e.noContent(t, req{method: "DELETE", path: "/v1/friends/cap0000", token: alice.Token})
		e.frAdd(t, alice, "carol", http.StatusCreated)
		if got := len(e.frList(t, alice, "", 100)); got != store.MaxFriends {
			t.Errorf("alice lists %d friends, want %d", got, store.MaxFriends)
		}
		if got := e.frList(t, bob, "direction=added_me", 20); !slices.Equal(got, []string{"alice"}) {
			t.Errorf("bob was added by %v, want [alice]", got)
		}
	})
}

// TestRecentRecipients: the last distinct people I sent to, newest first,
// at most 10, never anyone else's and nothing about money.
func TestRecentRecipients(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		// Payees never log in: seeded, they stay clear of the sign-up limit.
		var to []string
		var payees []store.NewUser
		for i := range 12 {
			name := fmt.Sprintf("payee%02d", i)
			to = append(to, name)
			payees = append(payees, store.NewUser{Username: name, Name: "Name of " + name, PasswordHash: "x"})
		}
		if _, err := db.CreateUsers(context.Background(), payees, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		recent := func(u *user) []string {
			var out struct {
				Recipients []map[string]any `json:"recipients"`
			}
			frNoRealName(t, e.ok(t, req{method: "GET", path: "/v1/recipients/recent", token: u.Token}, http.StatusOK, &out))
			var usernames []string
			for _, r := range out.Recipients {
				if len(r) != 2 || r["masked_name"] != names.Mask("Name of "+r["username"].(string)) {
					t.Errorf("recipient %v: want only username and masked_name", r)
				}
				usernames = append(usernames, r["username"].(string))
			}
			return usernames
		}
		if got := recent(alice); len(got) != 0 {
			t.Fatalf("alice sent nothing, yet has recent recipients %v", got)
		}
		e.charge(t, alice, 500_000)
		for _, name := range to { // payee00 … payee11
			e.transfer(t, alice, "", map[string]any{"to": name, "amount": 1_000})
		}
		e.transfer(t, alice, "", map[string]any{"to": "payee03", "amount": 1_000})
		e.transfer(t, alice, "", map[string]any{"to": "bob", "amount": 1_000, "require_acceptance": true})
		e.transfer(t, alice, "", map[string]any{"to": "payee11", "amount": 1_000})
		want := []string{"payee11", "bob", "payee03", "payee10", "payee09", "payee08", "payee07", "payee06", "payee05", "payee04"}
		if got := recent(alice); !slices.Equal(got, want) {
			t.Errorf("alice's recent recipients %v, want %v", got, want)
		}
		if got := recent(bob); len(got) != 0 {
			t.Errorf("bob only received, yet has recent recipients %v", got)
		}
	})
}

// TestFriendsConcurrentAdd: many simultaneous adds of one friend make one
// friend and one notice; the others answer 200 with the same friend.
func TestFriendsConcurrentAdd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		const n = 8
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				res, err := e.send(req{method: "POST", path: "/v1/friends", token: alice.Token, body: map[string]string{"username": "bob"}})
				if err != nil {
					t.Error(err)
				}
				statuses <- res.status
			})
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusOK] != n-1 {
			t.Errorf("statuses %v; want one 201 and %d 200", count, n-1)
		}
		if got := e.frList(t, alice, "", 20); !slices.Equal(got, []string{"bob"}) {
			t.Errorf("alice's friends %v, want [bob]", got)
		}
		if ns := e.inbox(t, bob, ""); len(ns) != 1 || ns[0].Kind != store.NoticeFriendAdded {
			t.Errorf("bob's inbox %+v; want one friend_added", ns)
		}
	})
}

// TestFriendsAddEachOther: two users adding each other at the same moment,
// again and again, both succeed every time (each add locks only its own
// side, so the two cannot wait on each other).
func TestFriendsAddEachOther(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		for range 20 {
			var wg sync.WaitGroup
			for _, pair := range [][2]*user{{alice, bob}, {bob, alice}} {
				wg.Go(func() {
					res, err := e.send(req{method: "POST", path: "/v1/friends", token: pair[0].Token, body: map[string]string{"username": pair[1].Username}})
					if err != nil || res.status != http.StatusCreated {
						t.Errorf("%s adds %s: %v %v", pair[0].Username, pair[1].Username, res, err)
					}
				})
			}
			wg.Wait()
			e.noContent(t, req{method: "DELETE", path: "/v1/friends/bob", token: alice.Token})
			e.noContent(t, req{method: "DELETE", path: "/v1/friends/alice", token: bob.Token})
		}
	})
}

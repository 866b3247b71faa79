package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"minipay/api"
	"minipay/app"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestMethodNotAllowedEveryRoute: every path the API serves answers a
// method it does not take with 405, a method_not_allowed problem and an
// Allow header listing exactly the methods the OpenAPI document gives it
// (HEAD with GET, which the mux serves alike).
func TestMethodNotAllowedEveryRoute(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestClockEnv(t, db)
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		e.ok(t, req{method: "GET", path: "/openapi.json"}, http.StatusOK, &doc)
		if len(doc.Paths) < 20 {
			t.Fatalf("the document lists %d paths", len(doc.Paths))
		}
		for path, item := range doc.Paths {
			var want []string
			for m := range item {
				if m == "get" || m == "post" || m == "patch" || m == "put" || m == "delete" {
					want = append(want, strings.ToUpper(m))
				}
			}
			if slices.Contains(want, "GET") {
				want = append(want, "HEAD")
			}
			concrete := strings.NewReplacer("{id}", "1", "{share_id}", "1", "{delivery_id}", "1").Replace(path)
			for _, method := range []string{"PUT", "DELETE", "PATCH", "POST"} {
				if slices.Contains(want, method) {
					continue
				}
				res := e.do(t, req{method: method, path: concrete, token: "x"})
				checkProblem(t, method+" "+concrete, res, http.StatusMethodNotAllowed, "method_not_allowed")
				got := strings.Split(res.header.Get("Allow"), ", ")
				if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
					t.Errorf("%s %s: Allow %q, want %v", method, concrete, res.header.Get("Allow"), want)
				}
			}
		}
	})
}

// TestWWWAuthenticate: every 401 names the Bearer scheme; one for a token
// that was sent and is bad says invalid_token (RFC 6750 §3.1), so a client
// knows to log in again.
func TestWWWAuthenticate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "wendy")
		for _, c := range []struct {
			name string
			r    req
			want string
		}{
			{"no token", req{method: "GET", path: "/v1/me"}, "Bearer"},
			{"another scheme", req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Basic d2VuZHk6cHc="}}, "Bearer"},
			{"forged token", req{method: "GET", path: "/v1/me", token: u.Token + "x"}, `Bearer error="invalid_token"`},
			{"wrong password", req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": "wendy", "password": "wrong"}}, "Bearer"},
		} {
			res := e.do(t, c.r)
			checkProblem(t, c.name, res, http.StatusUnauthorized, "unauthorized")
			if got := res.header.Get("WWW-Authenticate"); got != c.want {
				t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, got, c.want)
			}
		}
		e.clock.Advance(api.DefaultTokenTTL)
		res := e.do(t, req{method: "GET", path: "/v1/me", token: u.Token})
		if got := res.header.Get("WWW-Authenticate"); res.status != http.StatusUnauthorized || got != `Bearer error="invalid_token"` {
			t.Errorf("expired token: %v, WWW-Authenticate %q", res, got)
		}
	})
}

// TestUnknownFilterValues: a filter value the API does not know is
// invalid, naming the values it takes, instead of an empty list; every
// value it takes is accepted.
func TestUnknownFilterValues(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "fran")
		history := fmt.Sprintf("/v1/accounts/%d/history", u.Main)
		for _, c := range []struct{ path, names string }{
			{"/v1/transfers?status=done", strings.Join(ledger.TransferStatuses, ", ")},
			{"/v1/transfers?direction=sideways", "in, out"},
			{history + "?kind=gift", strings.Join(store.HistoryKinds, ", ")},
			{"/v1/settlements?role=boss", "requester, participant"},
			{"/v1/notifications?unread=yes", "true, false"},
			{"/v1/accounts?status=open", "closed"},
		} {
			p := e.rejects(t, req{method: "GET", path: c.path, token: u.Token}, http.StatusBadRequest, "invalid")
			if !strings.Contains(p.Detail, c.names) {
				t.Errorf("GET %s: detail %q does not name %s", c.path, p.Detail, c.names)
			}
		}
		for _, s := range ledger.TransferStatuses {
			e.ok(t, req{method: "GET", path: "/v1/transfers?status=" + s, token: u.Token}, http.StatusOK, nil)
		}
		for _, k := range store.HistoryKinds {
			e.ok(t, req{method: "GET", path: history + "?kind=" + k, token: u.Token}, http.StatusOK, nil)
		}
	})
}

// TestEveryListEndsWithANullCursor pages every list at several page sizes:
// no page is empty, the last one has next_cursor null (also when the
// items fill it exactly), and the pages hold every item once, newest first.
func TestEveryListEndsWithANullCursor(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ann, ben := e.signUp(t, "ann"), e.signUp(t, "ben")
		e.charge(t, ann, 100_000)
		for i := range 3 {
			e.ok(t, req{method: "POST", path: "/v1/transfers", token: ann.Token,
				body: map[string]any{"to": "ben", "amount": 1_000 + i}}, http.StatusCreated, nil)
			e.ok(t, req{method: "POST", path: "/v1/settlements", token: ann.Token,
				body: map[string]any{"total": 2_000, "mode": "equal", "participants": []string{"ann", "ben"}}}, http.StatusCreated, nil)
			var acc struct{ ID int64 }
			e.ok(t, req{method: "POST", path: "/v1/accounts", token: ann.Token, body: map[string]any{"product": "free"}}, http.StatusCreated, &acc)
			e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", acc.ID), token: ann.Token}, http.StatusOK, nil)
		}
		for _, l := range []struct {
			who         *user
			path, key   string
			wantAtLeast int
		}{
			{ann, "/v1/transfers", "transfers", 3},
			{ann, fmt.Sprintf("/v1/accounts/%d/history", ann.Main), "entries", 4},
			{ben, "/v1/notifications", "notifications", 6},
			{ann, "/v1/settlements", "settlements", 3},
			{ben, "/v1/settlements?role=participant", "settlements", 3},
			{ann, "/v1/accounts?status=closed", "accounts", 3},
		} {
			all := walk(t, e, l.who, l.path, l.key, 100)
			if len(all) < l.wantAtLeast {
				t.Fatalf("%s: %d items, want at least %d", l.path, len(all), l.wantAtLeast)
			}
			for _, limit := range []int{1, 2, len(all)} {
				if got := walk(t, e, l.who, l.path, l.key, limit); !slices.Equal(got, all) {
					t.Errorf("%s by %d: ids %v, want %v", l.path, limit, got, all)
				}
			}
		}
	})
}

// TestSettlementsPagePastOneHundred: a requester with 105 settlements
// reaches all of them, in two pages of the largest size.
func TestSettlementsPagePastOneHundred(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) {
			cfg.Limits = api.DefaultLimits()
			cfg.Limits.SettlementsPerUser = 1000
		})
		cy, di := e.signUp(t, "cyd"), e.signUp(t, "dia")
		// dia knows cyd, so cyd's bills are not limited as a stranger's.
		e.ok(t, req{method: "POST", path: "/v1/friends", token: di.Token, body: map[string]any{"username": "cyd"}}, http.StatusCreated, nil)
		for range 105 {
			e.ok(t, req{method: "POST", path: "/v1/settlements", token: cy.Token,
				body: map[string]any{"total": 10, "mode": "equal", "participants": []string{"dia"}}}, http.StatusCreated, nil)
		}
		for _, l := range []struct {
			who  *user
			path string
		}{{cy, "/v1/settlements"}, {di, "/v1/settlements?role=participant"}} {
			if got := walk(t, e, l.who, l.path, "settlements", 100); len(got) != 105 {
				t.Errorf("%s reaches %d settlements, want 105", l.path, len(got))
			}
		}
	})
}

// walk follows next_cursor through a list from its first page, with pages
// of limit, and returns the ids in order. It fails the test on an empty
// page, a page larger than limit, a missing next_cursor, or ids that do not
// descend.
func walk(t *testing.T, e *env, u *user, path, key string, limit int) []int64 {
	t.Helper()
	var ids []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatalf("%s: more than 200 pages", path)
		}
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		var page map[string]json.RawMessage
		e.ok(t, req{method: "GET", path: path + sep + q.Encode(), token: u.Token}, http.StatusOK, &page)
		var items []struct{ ID int64 }
		var next *string
		raw, ok := page["next_cursor"]
		if err := json.Unmarshal(page[key], &items); err != nil || !ok || json.Unmarshal(raw, &next) != nil {
			t.Fatalf("%s: page %v lacks %s or next_cursor", path, page, key)
		}
		if len(items) == 0 || len(items) > limit {
			t.Fatalf("%s by %d: page %d has %d items (next_cursor %v)", path, limit, pages, len(items), next)
		}
		for _, it := range items {
			if len(ids) > 0 && it.ID >= ids[len(ids)-1] {
				t.Fatalf("%s: id %d after %d, want newest first", path, it.ID, ids[len(ids)-1])
			}
			ids = append(ids, it.ID)
		}
		if next == nil {
			return ids
		}
		cursor = *next
	}
}

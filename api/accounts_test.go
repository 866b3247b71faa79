package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"minipay/app"
	"minipay/store"
	"minipay/store/dbtest"
)

// A user may keep only so many savings accounts open: one more is refused
// with conflict and nothing written, and a closed account frees its place.
func TestSavingsCap(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) { cfg.MaxSavingsAccounts = 2 })
		u := e.signUp(t, "saver")
		first := e.openFree(t, u)
		e.openFree(t, u)
		open := req{method: "POST", path: "/v1/accounts", token: u.Token, body: `{"product":"free"}`}
		p := e.rejects(t, open, http.StatusConflict, "conflict", u)
		if !strings.Contains(p.Detail, "at most 2 savings accounts") {
			t.Errorf("detail %q does not name the cap", p.Detail)
		}
		e.closeSavings(t, u, first)
		e.openFree(t, u)
		e.rejects(t, open, http.StatusConflict, "conflict", u)
	})
}

// GET /v1/accounts stays bounded: every open account but only the newest
// closed ones; ?status=closed pages through all of them.
func TestAccountListBounded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.signUp(t, "churner")
		var closed []int64
		for range 22 {
			id := e.openFree(t, u)
			e.closeSavings(t, u, id)
			closed = append(closed, id)
		}
		kept := e.openFree(t, u)
		as := e.accounts(t, u)
		if len(as) != 22 || as[0].ID != u.Main || as[1].ID != closed[2] || as[21].ID != kept {
			t.Fatalf("GET /v1/accounts = %v; want main, the 20 newest closed and the open one", as)
		}
		var page []int64
		next := e.closedPage(t, u, "limit=15", &page)
		next = e.closedPage(t, u, "limit=15&cursor="+url.QueryEscape(*next), &page)
		if next != nil || len(page) != 22 || page[0] != closed[21] || page[21] != closed[0] {
			t.Fatalf("closed pages = %v (next %v); want all 22 closed, newest first", page, next)
		}
		e.rejects(t, req{method: "GET", path: "/v1/accounts?status=frozen", token: u.Token}, http.StatusBadRequest, "invalid")
	})
}

func (e *env) openFree(t *testing.T, u *user) int64 {
	t.Helper()
	var a accountJSON
	e.ok(t, req{method: "POST", path: "/v1/accounts", token: u.Token, body: `{"product":"free"}`}, http.StatusCreated, &a)
	return a.ID
}

func (e *env) closeSavings(t *testing.T, u *user, id int64) {
	t.Helper()
	e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", id), token: u.Token}, http.StatusOK, nil)
}

// closedPage gets one page of u's closed accounts, appends their ids to
// ids, and returns the next cursor.
func (e *env) closedPage(t *testing.T, u *user, query string, ids *[]int64) *string {
	t.Helper()
	var out struct {
		Accounts   []accountJSON `json:"accounts"`
		NextCursor *string       `json:"next_cursor"`
	}
	e.ok(t, req{method: "GET", path: "/v1/accounts?status=closed&" + query, token: u.Token}, http.StatusOK, &out)
	for _, a := range out.Accounts {
		if a.Status != "closed" {
			t.Fatalf("?status=closed listed %v", a)
		}
		*ids = append(*ids, a.ID)
	}
	return out.NextCursor
}

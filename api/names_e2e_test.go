package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"minipay/api"
	"minipay/app"
	"minipay/client"
	"minipay/errs"
	"minipay/store"
	"minipay/store/dbtest"
)

// signUpNamed signs a user up with a real name of their own.
func (e *env) signUpNamed(t *testing.T, username, name string) *user {
	t.Helper()
	u := &user{Username: username, Name: name, Password: "pw-" + username + "-secret"}
	var uj userJSON
	e.ok(t, req{method: "POST", path: "/v1/users", body: map[string]string{"username": username, "password": u.Password, "name": name}},
		http.StatusCreated, &uj)
	u.ID, u.Main = uj.ID, uj.MainAccountID
	u.Token = e.logIn(t, u)
	return u
}

// No response shows a user another user's whole real name: not the
// receiver of a transfer (completed, pending, cancelled), not its sender,
// not a settlement's requester or participants, not a history, inbox or
// look-up. Each sees the other's masked real name instead.
func TestNoOneSeesAnothersRealName(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		kim := e.signUpNamed(t, "kim", "김철수영")
		lee := e.signUpNamed(t, "lee", "Robert Lee")
		park := e.signUpNamed(t, "park", "박지")
		e.charge(t, kim, 100_000)
		e.charge(t, lee, 100_000)
		e.transfer(t, kim, "", map[string]any{"to": "lee", "amount": 1_000})
		pending := e.transfer(t, kim, "", map[string]any{"to": "lee", "amount": 1_000, "require_acceptance": true})
		e.resolve(t, lee, pending.ID, "accept")
		cancelled := e.transfer(t, lee, "", map[string]any{"to": "kim", "amount": 1_000, "require_acceptance": true})
		e.resolve(t, lee, cancelled.ID, "cancel")
		e.transfer(t, lee, "", map[string]any{"to": "kim", "amount": 1_000, "require_acceptance": true}) // left pending
		st := e.ssCreate(t, kim, 30_000, "equal", "kim", "lee", "park")
		e.ssAct(t, lee, st.ID, st.Shares[1].ID, "pay")
		e.ssAct(t, park, st.ID, st.Shares[2].ID, "decline")

		masked := map[*user]string{kim: "김**영", lee: "R***** L**", park: "박*"}
		for _, viewer := range []*user{kim, lee, park} {
			var seen strings.Builder
			for _, path := range []string{"/v1/transfers", "/v1/notifications", "/v1/settlements?role=requester",
				"/v1/settlements?role=participant", fmt.Sprintf("/v1/settlements/%d", st.ID), fmt.Sprintf("/v1/accounts/%d/history", viewer.Main),
				fmt.Sprintf("/v1/transfers/%d", pending.ID), "/v1/recipients/kim", "/v1/recipients/lee", "/v1/recipients/park"} {
				res := e.do(t, req{method: "GET", path: path, token: viewer.Token})
				if res.status != http.StatusOK && res.status != http.StatusForbidden {
					t.Fatalf("%s GET %s: %v", viewer.Username, path, res)
				}
				seen.Write(res.body)
			}
			for other, m := range masked {
				switch {
				case other == viewer:
				case strings.Contains(seen.String(), other.Name):
					t.Errorf("%s is shown %s's real name %q", viewer.Username, other.Username, other.Name)
				case !strings.Contains(seen.String(), m):
					t.Errorf("%s is never shown %s's masked name %q", viewer.Username, other.Username, m)
				}
			}
		}
	})
}

// The look-up the wallet makes before paying someone: the username and
// masked real name, not_found for an unknown one, and limited per user.
func TestRecipientLookUp(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, func(cfg *app.Config) { cfg.Limits = api.Limits{LookupsPerUser: 3, LookupWindow: time.Minute} })
		alice, other := e.signUp(t, "alice"), e.signUp(t, "other")
		e.signUpNamed(t, "minsu", "김민수")
		var p client.Payee
		e.ok(t, req{method: "GET", path: "/v1/recipients/minsu", token: alice.Token}, http.StatusOK, &p)
		if p != (client.Payee{Username: "minsu", MaskedName: "김*수"}) {
			t.Errorf("look-up answered %+v", p)
		}
		e.rejects(t, req{method: "GET", path: "/v1/recipients/nobody", token: alice.Token}, http.StatusNotFound, "not_found")
		e.rejects(t, req{method: "GET", path: "/v1/recipients/minsu"}, http.StatusUnauthorized, "unauthorized")
		e.ok(t, req{method: "GET", path: "/v1/recipients/other", token: alice.Token}, http.StatusOK, nil)
		limited(t, "a 4th look-up", e.do(t, req{method: "GET", path: "/v1/recipients/minsu", token: alice.Token}), 20*time.Second)
		e.ok(t, req{method: "GET", path: "/v1/recipients/minsu", token: other.Token}, http.StatusOK, nil)
	})
}

// Names that read as minipay or an official sender are refused where
// others would see them, naming the field, and nothing is written.
func TestImpersonatingNamesRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice := e.signUp(t, "alice")
		e.signUp(t, "bob")
		e.charge(t, alice, 10_000)
		for _, tt := range []struct{ field, username, name string }{
			{"username", "minipay_support", "Kim"},
			{"username", "admin-kim", "Kim"},
			{"name", "kim1", "미니페이 고객센터"},
			{"name", "kim2", "ＭＩＮＩＰＡＹ"},
			{"name", "kim3", "KAKAOBANK 보안팀"},
		} {
			p := e.rejects(t, req{method: "POST", path: "/v1/users", body: map[string]string{
				"username": tt.username, "password": "long enough", "name": tt.name}}, http.StatusBadRequest, "invalid")
			if !strings.HasPrefix(p.Detail, tt.field+" ") {
				t.Errorf("sign-up %q/%q: detail %q does not name %s", tt.username, tt.name, p.Detail, tt.field)
			}
			if _, _, err := db.UserByUsername(context.Background(), tt.username); errs.CodeOf(err) != errs.NotFound {
				t.Errorf("the refused sign-up of %s was stored: %v", tt.username, err)
			}
		}
		before := e.books(t, alice)
		for _, name := range []string{"Kakao Bank Security", "mini\u200dpay", "Ｏｆｆｉｃｉａｌ", "SySteM NoTiCe", "신한카드 고객상담"} {
			p := e.rejects(t, req{method: "POST", path: "/v1/transfers", token: alice.Token,
				body: map[string]any{"to": "bob", "amount": 1_000, "display_name": name}}, http.StatusBadRequest, "invalid")
			if !strings.HasPrefix(p.Detail, "display_name ") {
				t.Errorf("display name %q: detail %q does not name display_name", name, p.Detail)
			}
		}
		e.unchanged(t, "refused display names", before, alice)
		e.transfer(t, alice, "", map[string]any{"to": "bob", "amount": 1_000, "display_name": "엄마"})
	})
}

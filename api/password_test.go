package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"minipay/api"
	"minipay/store"
	"minipay/store/dbtest"
)

// bcrypt reads only the first 72 bytes of a password: sign-up refuses a
// longer one, and at login a longer one is a wrong password, counted by
// the failed-login limit, even when its first 72 bytes are right.
func TestPasswordOver72Bytes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newLimitedEnv(t, db, api.Limits{LoginFailuresPerUser: 2, LoginFailuresPerAddress: 100, LoginWindow: time.Minute})
		long := strings.Repeat("p", 72)
		p := e.rejects(t, req{method: "POST", path: "/v1/users", body: map[string]string{"username": "lena", "password": long + "p", "name": "Lena"}},
			http.StatusBadRequest, "invalid")
		if !strings.Contains(p.Detail, "72 bytes") {
			t.Errorf("detail %q does not say 72 bytes", p.Detail)
		}
		e.ok(t, req{method: "POST", path: "/v1/users", body: map[string]string{"username": "lena", "password": long, "name": "Lena"}}, http.StatusCreated, nil)
		lena := &user{Username: "lena", Password: long}
		e.logIn(t, lena)
		for _, suffix := range []string{"p", "anything"} {
			res := e.logInFrom(t, "", "lena", long+suffix)
			checkProblem(t, "72 right bytes and a suffix", res, http.StatusUnauthorized, "unauthorized")
		}
		limited(t, "the right password after two failures", e.logInFrom(t, "", "lena", long), time.Minute)
	})
}

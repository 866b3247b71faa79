package api_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"minipay/store"
	"minipay/store/dbtest"
)

// goTypeName matches what a Go type looks like in an error detail.
var goTypeName = regexp.MustCompile(`api\.|int64|\*|\[\]|\bbool\b|struct`)

// Repeated keys, keys that differ from another or from a field only in
// case, and values of the wrong JSON type are refused with invalid, the
// detail naming the key or the JSON type expected (never a Go type), and
// nothing moves.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		sam, bob := e.signUp(t, "sam"), e.signUp(t, "bob")
		e.charge(t, sam, 10_000)
		cases := []struct {
			name, method, path, body, detail string
		}{
			{"duplicate key", "POST", "/v1/charges", `{"amount":5,"amount":6}`, `"amount"`},
			{"upper-case key", "POST", "/v1/charges", `{"AMOUNT":6}`, `"AMOUNT"`},
			{"keys differing in case", "POST", "/v1/transfers", `{"to":"bob","amount":5,"Amount":6}`, `"Amount"`},
			{"a key folding to a field", "POST", "/v1/transfers", `{"to":"bob","amount":5,"di` + "\u017f" + `play_name":"x"}`, "\u017f"},
			{"duplicate nested key", "POST", "/v1/transfers", `{"to":"bob","amount":5,"memo":"a","memo":"b"}`, `"memo"`},
			{"duplicate in an unknown object", "POST", "/v1/charges", `{"amount":5,"x":{"k":1,"k":2}}`, `"k"`},
			{"number as a string", "POST", "/v1/charges", `{"amount":"5"}`, "a whole number"},
			{"fraction", "POST", "/v1/charges", `{"amount":1.5}`, "a whole number"},
			{"over int64", "POST", "/v1/charges", `{"amount":9223372036854775808}`, "a whole number"},
			{"string as a number", "POST", "/v1/transfers", `{"to":"bob","amount":5,"memo":5}`, "a string"},
			{"bool as a string", "PATCH", "/v1/me/settings", `{"transfers_require_acceptance":"yes"}`, "true or false"},
			{"array as a string", "POST", "/v1/settlements", `{"total":10,"mode":"equal","participants":"bob"}`, "an array"},
			{"array body", "POST", "/v1/charges", `[]`, "a JSON object"},
			{"number body", "POST", "/v1/charges", `5`, "a JSON object"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := e.rejects(t, req{method: c.method, path: c.path, token: sam.Token, body: c.body}, http.StatusBadRequest, "invalid", sam, bob)
				if !strings.Contains(p.Detail, c.detail) || goTypeName.MatchString(p.Detail) {
					t.Errorf("detail %q: want it to name %s and no Go type", p.Detail, c.detail)
				}
			})
		}
		// The same bodies, spelled right, go through.
		e.ok(t, req{method: "POST", path: "/v1/charges", token: sam.Token, body: `{"amount":6}`}, http.StatusCreated, nil)
		e.ok(t, req{method: "POST", path: "/v1/transfers", token: sam.Token, body: `{"to":"bob","amount":5,"memo":"b"}`}, http.StatusCreated, nil)
	})
}

// A request body that is not application/json is refused with 415
// unsupported_media_type before anything is read or moved; parameters are
// fine, and a request without a body needs no Content-Type.
func TestContentType(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		sam := e.signUp(t, "sam")
		e.charge(t, sam, 10_000)
		charge := func(contentType string) req {
			return req{method: "POST", path: "/v1/charges", token: sam.Token, body: `{"amount":5}`,
				header: map[string]string{"Content-Type": contentType}}
		}
		before := e.books(t, sam)
		bare, err := http.NewRequest("POST", e.url+"/v1/charges", strings.NewReader(`{"amount":5}`))
		if err != nil {
			t.Fatal(err)
		}
		bare.Header.Set("Authorization", "Bearer "+sam.Token)
		res, err := e.http.Do(bare)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		checkProblem(t, "a body without Content-Type", response{status: res.StatusCode, header: res.Header, body: body},
			http.StatusUnsupportedMediaType, "unsupported_media_type")
		e.unchanged(t, "a body without Content-Type", before, sam)
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/jsonx", "text/json", "application/json;;"} {
			t.Run(fmt.Sprintf("charge as %q", ct), func(t *testing.T) {
				e.rejects(t, charge(ct), http.StatusUnsupportedMediaType, "unsupported_media_type", sam)
			})
		}
		signUp := req{method: "POST", path: "/v1/users", body: `{"username":"dora","password":"long enough","name":"Dora"}`,
			header: map[string]string{"Content-Type": "text/plain"}}
		e.rejects(t, signUp, http.StatusUnsupportedMediaType, "unsupported_media_type")
		e.rejects(t, req{method: "POST", path: "/v1/sessions", body: `{"username":"dora","password":"long enough"}`}, http.StatusUnauthorized, "unauthorized")

		for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON"} {
			e.ok(t, charge(ct), http.StatusCreated, nil)
		}
		var acc accountJSON
		e.ok(t, req{method: "POST", path: "/v1/accounts", token: sam.Token, body: `{"product":"free"}`}, http.StatusCreated, &acc)
		e.ok(t, req{method: "POST", path: fmt.Sprintf("/v1/accounts/%d/close", acc.ID), token: sam.Token}, http.StatusOK, nil)
	})
}

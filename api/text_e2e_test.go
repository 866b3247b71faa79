package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"minipay/store"
	"minipay/store/dbtest"
)

// unreadable are text values every name, display name, memo and username
// must refuse: control characters (NUL reached PostgreSQL and failed the
// writer's whole batch), separators, bidi controls, and text with nothing
// visible.
var unreadable = map[string]string{
	"NUL":                "bob\x00",
	"only NUL":           "\x00",
	"tab":                "a\tb",
	"newline":            "a\nb",
	"line separator":     "a\u2028b",
	"bidi override":      "evil\u202Egnp",
	"bidi isolate":       "a\u2066b\u2069",
	"right-to-left mark": "a\u200Fb",
	"spaces only":        "   ",
	"zero-width only":    "\u200B\u200D\uFEFF",
}

// TestUnreadableTextRefused sends each unreadable value in each text field
// of each request: every one is refused as invalid naming the field, and
// nothing is written.
func TestUnreadableTextRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice := e.signUp(t, "alice")
		bob := e.signUp(t, "bob")
		e.charge(t, alice, 50_000)
		both := []*user{alice, bob}
		type field struct {
			name string
			r    func(v string) req
		}
		fields := []field{
			{"name", func(v string) req {
				return req{method: "POST", path: "/v1/users", body: map[string]string{"username": "newbie", "password": "long enough", "name": v}}
			}},
			{"username", func(v string) req {
				return req{method: "POST", path: "/v1/users", body: map[string]string{"username": v, "password": "long enough", "name": "Newbie"}}
			}},
			{"username", func(v string) req {
				return req{method: "POST", path: "/v1/sessions", body: map[string]string{"username": v, "password": "long enough"}}
			}},
			{"display_name", transferWith(alice, "display_name")},
			{"memo", transferWith(alice, "memo")},
			{"to", func(v string) req {
				return req{method: "POST", path: "/v1/transfers", token: alice.Token, body: map[string]any{"to": v, "amount": 1_000}}
			}},
			{"username", func(v string) req {
				return req{method: "POST", path: "/v1/friends", token: alice.Token, body: map[string]string{"username": v}}
			}},
			{"username", func(v string) req {
				return req{method: "DELETE", path: "/v1/friends/" + url.PathEscape(v), token: alice.Token}
			}},
			{"participants", func(v string) req {
				return req{method: "POST", path: "/v1/settlements", token: alice.Token,
					body: map[string]any{"total": 10_000, "mode": "equal", "participants": []string{"bob", v}}}
			}},
		}
		for _, f := range fields {
			for name, v := range unreadable {
				r := f.r(v)
				t.Run(r.path+" "+f.name+" "+name, func(t *testing.T) {
					p := e.rejects(t, r, http.StatusBadRequest, "invalid", both...)
					if !strings.HasPrefix(p.Detail, f.name+" ") {
						t.Errorf("detail %q does not name %s", p.Detail, f.name)
					}
				})
			}
		}
		if l := e.ssList(t, alice, "requester"); len(l) != 0 {
			t.Errorf("refused settlements were stored: %+v", l)
		}
		if f := e.frList(t, alice, "", 20); len(f) != 0 {
			t.Errorf("refused friends were added: %v", f)
		}
		e.signUp(t, "newbie") // no refused sign-up created it
	})
}

// transferWith is a transfer from u to bob with field set to v.
func transferWith(u *user, field string) func(v string) req {
	return func(v string) req {
		return req{method: "POST", path: "/v1/transfers", token: u.Token, body: map[string]any{"to": "bob", "amount": 1_000, field: v}}
	}
}

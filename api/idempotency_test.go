package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFingerprint: the same request hashes the same whatever its key order
// and whitespace; another method, path or value is another request.
func TestFingerprint(t *testing.T) {
	base := fingerprint("POST", "/v1/transfers", []byte(`{"to":"bob","amount":15000,"memo":"lunch"}`))
	same := map[string]string{
		"reordered keys":    `{"amount":15000,"memo":"lunch","to":"bob"}`,
		"whitespace":        " {\n\t\"to\" : \"bob\",  \"amount\": 15000 ,\"memo\":\"lunch\"}\n",
		"escaped character": `{"to":"\u0062ob","amount":15000,"memo":"lunch"}`,
	}
	for name, body := range same {
		if got := fingerprint("POST", "/v1/transfers", []byte(body)); got != base {
			t.Errorf("%s: fingerprint differs from the same request's", name)
		}
	}
	other := map[string][3]string{
		"method":       {"PUT", "/v1/transfers", `{"to":"bob","amount":15000,"memo":"lunch"}`},
		"path":         {"POST", "/v1/charges", `{"to":"bob","amount":15000,"memo":"lunch"}`},
		"amount":       {"POST", "/v1/transfers", `{"to":"bob","amount":15001,"memo":"lunch"}`},
		"number text":  {"POST", "/v1/transfers", `{"to":"bob","amount":15000.0,"memo":"lunch"}`},
		"string value": {"POST", "/v1/transfers", `{"to":"bob","amount":15000,"memo":"dinner"}`},
		"extra field":  {"POST", "/v1/transfers", `{"to":"bob","amount":15000,"memo":"lunch","display_name":"x"}`},
		"empty body":   {"POST", "/v1/transfers", ``},
	}
	for name, r := range other {
		if fingerprint(r[0], r[1], []byte(r[2])) == base {
			t.Errorf("another %s hashes like the original request", name)
		}
	}
}

// TestCanonicalJSON: numbers are kept exactly as sent (no float rounding),
// and a body that is not one JSON value is hashed as sent.
func TestCanonicalJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":[1, {"d":2,"c":3}],"a":9007199254740993}`: `{"a":9007199254740993,"b":[1,{"c":3,"d":2}]}`,
		``:           ``,
		`not json`:   `not json`,
		`{"a":1} {}`: `{"a":1} {}`,
	} {
		if got := string(canonicalJSON([]byte(in))); got != want {
			t.Errorf("canonicalJSON(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestIdempotencyReadsTheWholeBody: the fingerprint covers what the
// handler decoded and what it left unread.
func TestIdempotencyReadsTheWholeBody(t *testing.T) {
	var got string
	h := keepBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadFull(r.Body, make([]byte, 5)) // a handler reads part of it
		idem, err := idempotency(r)
		if err != nil || idem.Key != "k" {
			t.Fatalf("idempotency: %+v %v", idem, err)
		}
		got = idem.Fingerprint
	}))
	r := httptest.NewRequest("POST", "/v1/charges", strings.NewReader(`{"amount": 1}`))
	r.Header.Set("Idempotency-Key", "k")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if want := fingerprint("POST", "/v1/charges", []byte(`{"amount":1}`)); got != want {
		t.Fatalf("fingerprint %s, want %s", got, want)
	}
}

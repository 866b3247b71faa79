package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"minipay/errs"
)

// FuzzDecode feeds arbitrary bodies to the strict JSON decoder with the
// request shapes the money endpoints use. A body is either refused with
// invalid, or decoded into values that encode back to an equivalent
// object: no panic, no other code, no silently dropped field.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"amount":100}`, `{"amount":0}`, `{"amount":-1}`, `{"amount":9223372036854775807}`,
		`{"amount":9223372036854775808}`, `{"amount":1e3}`, `{"amount":"100"}`, `{"amount":1.5}`,
		`{"to":"bob","amount":5,"memo":"x"}`, `{"to":12,"amount":5,"require_acceptance":true}`,
		`{"amount":1}{"amount":2}`, `{"amount":1,"amount":2}`, `[]`, `null`, ``, `{`, `{"amout":1}`,
		"{\"memo\":\"\xff\"}", `{"to":null}`, `{"display_name":"` + strings.Repeat("가", 60) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req struct {
			To                json.RawMessage `json:"to"`
			Amount            *int64          `json:"amount"`
			DisplayName       string          `json:"display_name"`
			Memo              string          `json:"memo"`
			RequireAcceptance *bool           `json:"require_acceptance"`
		}
		err := decode(httptest.NewRequest("POST", "/v1/transfers", bytes.NewReader(body)), &req)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("body %q: error %v is not invalid", body, err)
			}
			return
		}
		// Accepted: the body was one JSON object whose known fields fit.
		var generic map[string]json.RawMessage
		if json.Unmarshal(body, &generic) != nil {
			t.Fatalf("decode accepted %q, which is not a JSON object", body)
		}
		for k := range generic {
			switch k {
			case "to", "amount", "display_name", "memo", "require_acceptance":
			default:
				t.Fatalf("decode accepted unknown field %q in %q", k, body)
			}
		}
		if raw, ok := generic["amount"]; ok && string(raw) != "null" {
			var n json.Number
			if json.Unmarshal(raw, &n) != nil || req.Amount == nil || n.String() != strings.TrimSpace(string(raw)) {
				t.Fatalf("amount %s decoded as %v", raw, req.Amount)
			}
		}
	})
}

// FuzzCursor: any string is either refused with invalid or a cursor that
// encodes back to itself.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(42))
	f.Add("")
	f.Add("aWQ6LTE")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, c string) {
		id, err := decodeCursor(c)
		switch {
		case err != nil:
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("cursor %q: %v", c, err)
			}
		case c == "":
			if id != 0 {
				t.Fatalf("empty cursor gave %d", id)
			}
		case id <= 0 || encodeCursor(id) != c:
			t.Fatalf("cursor %q decoded to %d, which encodes to %q", c, id, encodeCursor(id))
		}
	})
}

// FuzzIdempotencyKey: a key is accepted only if it is 1–255 printable
// ASCII characters (or absent).
func FuzzIdempotencyKey(f *testing.F) {
	f.Add("k-1", true)
	f.Add("", true)
	f.Add("", false)
	f.Add("a b", true)
	f.Add(strings.Repeat("x", 256), true)
	f.Fuzz(func(t *testing.T, key string, present bool) {
		r := httptest.NewRequest("POST", "/v1/charges", nil)
		if present {
			r.Header["Idempotency-Key"] = []string{key}
		}
		got, err := idempotencyKey(r)
		printable := len(key) >= 1 && len(key) <= 255 && !strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e })
		switch {
		case !present:
			if err != nil || got != "" {
				t.Fatalf("absent key: %q %v", got, err)
			}
		case printable != (err == nil):
			t.Fatalf("key %q: accepted=%v, want %v", key, err == nil, printable)
		case err == nil && got != key:
			t.Fatalf("key %q read as %q", key, got)
		}
	})
}

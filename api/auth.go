package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"minipay/errs"
)

// TokenTTL is how long a login token is valid.
const TokenTTL = 24 * time.Hour

// principal is the authenticated caller. The token carries the main
// account id so money-moving requests need no database read before the
// writer.
type principal struct {
	user, main int64
}

// tokens issues and checks bearer tokens: "v1.<user>.<main>.<expiry>.<mac>",
// HMAC-SHA256 signed with a secret shared by all servers through the
// database. Checking one costs no database round trip.
type tokens struct {
	secret []byte
}

func (t tokens) mac(payload string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (t tokens) issue(p principal, expires time.Time) string {
	payload := fmt.Sprintf("v1.%d.%d.%d", p.user, p.main, expires.Unix())
	return payload + "." + t.mac(payload)
}

func (t tokens) check(token string, now time.Time) (principal, error) {
	bad := errs.E(errs.Unauthorized, "the bearer token is invalid")
	i := strings.LastIndexByte(token, '.')
	if i < 0 || !hmac.Equal([]byte(token[i+1:]), []byte(t.mac(token[:i]))) {
		return principal{}, bad
	}
	parts := strings.Split(token[:i], ".")
	if len(parts) != 4 || parts[0] != "v1" {
		return principal{}, bad
	}
	var nums [3]int64
	for k, s := range parts[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return principal{}, bad
		}
		nums[k] = n
	}
	if !now.Before(time.Unix(nums[2], 0)) {
		return principal{}, errs.E(errs.Unauthorized, "the bearer token has expired; log in again")
	}
	return principal{user: nums[0], main: nums[1]}, nil
}

// authed wraps a handler that needs a logged-in caller.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The scheme name is case-insensitive (RFC 9110 §11.1).
		scheme, h2, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || h2 == "" {
			writeError(w, r, errs.E(errs.Unauthorized, "send Authorization: Bearer <token> (POST /v1/sessions gives one)"))
			return
		}
		p, err := s.tokens.check(h2, s.clock.Now())
		if err != nil {
			writeError(w, r, err)
			return
		}
		infoOf(r.Context()).user = p.user
		h(w, r, p)
	}
}

package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"minipay/errs"
)

// Bearer tokens are JWTs (RFC 7519), HS256, with the signing key's id in
// the kid header. HMAC rather than EdDSA: only minipay's own servers sign
// and check them, and every one of them needs to sign anyway, so a public
// key would buy nothing and cost a slower check per request.

// SigningKey is one token signing key. The keys come from configuration,
// never from the database: whoever holds one can mint tokens for anyone.
type SigningKey struct {
	ID     string // the token's kid
	Secret []byte // at least MinKeyBytes
}

// String names the key without its secret, so logging a key by mistake
// does not leak it.
func (k SigningKey) String() string { return "signing key " + strconv.Quote(k.ID) }

// MinKeyBytes is the shortest secret a signing key may have (HS256 wants
// at least the hash's 256 bits).
const MinKeyBytes = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// NewSigningKey returns a random key named id.
func NewSigningKey(id string) SigningKey {
	b := make([]byte, MinKeyBytes)
	rand.Read(b)
	return SigningKey{ID: id, Secret: b}
}

// KeyLine formats k as a line of a key file (see ParseSigningKeys).
func KeyLine(k SigningKey) string {
	return k.ID + " " + base64.StdEncoding.EncodeToString(k.Secret)
}

// ParseSigningKeys reads keys from text, one "kid secret" per line; blank
// lines and lines starting with # are skipped. A secret is hex or base64
// (standard or URL alphabet, padding optional) of at least MinKeyBytes.
// Errors name the line, never the secret.
func ParseSigningKeys(text string) ([]SigningKey, error) {
	var keys []SigningKey
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 || !keyIDPattern.MatchString(fields[0]) {
			return nil, fmt.Errorf("line %d: want \"KEY-ID SECRET\", the id of 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-'", n+1)
		}
		secret, ok := decodeSecret(fields[1])
		if !ok || len(secret) < MinKeyBytes {
			return nil, fmt.Errorf("line %d (key %q): the secret must be hex or base64 of at least %d bytes", n+1, fields[0], MinKeyBytes)
		}
		keys = append(keys, SigningKey{ID: fields[0], Secret: secret})
	}
	return keys, nil
}

// decodeSecret decodes hex, else base64. A random base64 secret of 32
// bytes (44 characters) is all hex digits with odds of 1 in 10^20, so
// trying hex first does not mistake one in practice.
func decodeSecret(s string) ([]byte, bool) {
	if b, err := hex.DecodeString(s); err == nil {
		return b, true
	}
	s = strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// tokenIssuer is every token's iss; a token of another issuer is refused.
const tokenIssuer = "minipay"

// claims are a token's payload: the user (sub), their main account, so
// money routes need no database read before the writer, and the session.
type claims struct {
	jwt.RegisteredClaims
	Main    int64  `json:"main"`
	Session string `json:"sid"`
}

// keyring signs tokens with its first key and checks them with any of its
// keys, chosen by kid. Rotating a key: list the new key first (it signs
// from then on), wait one token lifetime, then drop the old one.
type keyring struct {
	signer SigningKey
	byID   map[string][]byte
	parser *jwt.Parser
	// checked are tokens verified before, until their expiry: a token in
	// use costs a map read, not a signature and JSON decoding, per
	// request. The keys never change while the server runs, so a token
	// once verified stays so until it expires.
	checked *bounded[string, checkedToken]
	now     func() time.Time
}

type checkedToken struct {
	p       principal
	expires time.Time
}

// maxCheckedTokens bounds keyring.checked (about 400 bytes an entry).
const maxCheckedTokens = 50_000

// newKeyring checks tokens against now. It does not refuse an iat in the
// future: a server whose clock runs a little behind the issuer's would
// refuse fresh tokens, and exp already bounds a token's life.
func newKeyring(keys []SigningKey, now func() time.Time) (*keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("no token signing keys")
	}
	k := &keyring{signer: keys[0], byID: make(map[string][]byte, len(keys)),
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(), jwt.WithIssuer(tokenIssuer), jwt.WithTimeFunc(now)),
		checked: newBounded[string, checkedToken](maxCheckedTokens), now: now}
	for _, key := range keys {
		if _, dup := k.byID[key.ID]; dup {
			return nil, fmt.Errorf("two token signing keys have the id %q", key.ID)
		}
		if len(key.Secret) < MinKeyBytes {
			return nil, fmt.Errorf("token signing key %q is shorter than %d bytes", key.ID, MinKeyBytes)
		}
		k.byID[key.ID] = key.Secret
	}
	return k, nil
}

// issue signs a token for p, issued at now and valid until expires.
func (k *keyring) issue(p principal, now, expires time.Time) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: tokenIssuer, Subject: strconv.FormatInt(p.user, 10),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(expires)},
		Main: p.main, Session: p.session})
	t.Header["kid"] = k.signer.ID
	return t.SignedString(k.signer.Secret)
}

// check verifies token's signature (HS256 only, by a listed kid), issuer
// and expiry, and returns whom it names. It does not look at the session.
func (k *keyring) check(token string) (principal, error) {
	if e, ok := k.checked.get(token); ok && k.now().Before(e.expires) {
		return e.p, nil
	}
	var c claims
	_, err := k.parser.ParseWithClaims(token, &c, k.key)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return principal{}, errs.E(errs.Unauthorized, "the bearer token has expired; log in again")
	}
	bad := errs.E(errs.Unauthorized, "the bearer token is invalid")
	if err != nil {
		return principal{}, bad
	}
	user, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || user <= 0 || c.Main <= 0 || c.Session == "" {
		return principal{}, bad
	}
	p := principal{user: user, main: c.Main, session: c.Session}
	k.checked.put(token, checkedToken{p: p, expires: c.ExpiresAt.Time})
	return p, nil
}

// key is the jwt.Keyfunc: the secret of the token's kid.
func (k *keyring) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	secret, ok := k.byID[kid]
	if !ok {
		return nil, errors.New("unknown kid")
	}
	return secret, nil
}

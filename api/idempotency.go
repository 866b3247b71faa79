package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"minipay/errs"
	"minipay/store"
)

// Idempotency follows Stripe: a client may send an Idempotency-Key with a
// request that moves money; a retry with the same key and the same request
// is answered with the first response and moves nothing, while the same
// key with another request is refused. "The same request" is judged by a
// fingerprint of the request as the client sent it (method, path,
// canonical body), never of the engine command it became, so renaming a
// rule's field cannot turn retries in flight into mismatches.

// idempotencyKey reads the optional Idempotency-Key header. A header that
// is present but empty is refused rather than ignored: it is usually an
// unset variable in the client, whose retries would then move money twice.
func idempotencyKey(r *http.Request) (string, error) {
	_, present := r.Header["Idempotency-Key"]
	k := r.Header.Get("Idempotency-Key")
	if (present && k == "") || len(k) > 255 || strings.ContainsFunc(k, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return "", errs.E(errs.Invalid, "Idempotency-Key must be 1 to 255 printable ASCII characters")
	}
	return k, nil
}

// idempotency reads the request's key and, if there is one, fingerprints
// the request. Handlers have decoded the body by then: keepBody kept it.
func idempotency(r *http.Request) (store.Idempotency, error) {
	key, err := idempotencyKey(r)
	if err != nil || key == "" {
		return store.Idempotency{}, err
	}
	kept, ok := r.Body.(*keptBody)
	if !ok {
		return store.Idempotency{}, errors.New("idempotency: the request body was not kept (route not wrapped by keepBody)")
	}
	// Read what the handler left unread (all of it on routes that take no
	// body), so the fingerprint covers the whole body as sent.
	if _, err := io.Copy(io.Discard, io.LimitReader(kept, maxBody+1)); err != nil {
		return store.Idempotency{}, errs.E(errs.Invalid, "the request body could not be read: %v", err)
	}
	return store.Idempotency{Key: key, Fingerprint: fingerprint(r.Method, r.URL.Path, kept.seen.Bytes())}, nil
}

// fingerprint hashes a request: its method, path and canonical body.
func fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	io.WriteString(h, method+" "+path+"\n")
	h.Write(canonicalJSON(body))
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON re-encodes a JSON body so that key order and whitespace do
// not matter: object keys sorted, no spaces, numbers exactly as written. A
// body that is not one JSON value (an empty body, say) is returned as is.
func canonicalJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// keepBody keeps a copy of what is read from the body of a request with an
// Idempotency-Key, so the fingerprint can hash the body a handler has
// already decoded. Bodies are bounded by decode's limit.
func keepBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Idempotency-Key"]; ok {
			r.Body = &keptBody{ReadCloser: r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

// keptBody is a request body that remembers the bytes read from it.
type keptBody struct {
	io.ReadCloser
	seen bytes.Buffer
}

func (b *keptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.seen.Write(p[:n])
	return n, err
}

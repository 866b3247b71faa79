// Package client is a small typed Go client for minipay's HTTP API (see
// API.md and /openapi.json). It carries a base URL and a bearer token,
// sends an Idempotency-Key on the money-moving calls that are given one,
// retries transport errors and 5xx answers of requests that are safe to
// repeat (GETs, logins and keyed POSTs, always with the same key), and
// turns application/problem+json answers into *Error, which carries the
// HTTP status and minipay's stable error code.
//
// A Client is immutable and safe for concurrent use; WithToken and the other
// With methods return copies that share the underlying *http.Client.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewHTTPClient returns an *http.Client whose transport keeps up to
// maxConnsPerHost idle connections per host, so that many concurrent
// callers reuse connections instead of opening (and leaving in TIME_WAIT)
// a new one per request. Each request is bounded by timeout.
func NewHTTPClient(maxConnsPerHost int, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * maxConnsPerHost
	t.MaxIdleConnsPerHost = maxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t, Timeout: timeout}
}

// Shared is the *http.Client a Client uses unless given another: sized for
// a load test (hundreds of concurrent requests to one host).
var Shared = NewHTTPClient(1024, 60*time.Second)

// Retry says how often and how patiently a retryable request is repeated.
type Retry struct {
	Attempts int           // tries in all, including the first; 1 means no retry
	Base     time.Duration // backoff before the first retry, doubled after each
	Max      time.Duration // backoff cap
}

// DefaultRetry tries a request up to 6 times over about 1.5 s (with jitter),
// long enough to ride out a restarting server.
var DefaultRetry = Retry{Attempts: 6, Base: 50 * time.Millisecond, Max: 2 * time.Second}

func (r Retry) backoff(attempt int) time.Duration {
	d := r.Base << attempt
	if d > r.Max || d <= 0 {
		d = r.Max
	}
	// Equal jitter: half fixed, half random, so retries of a burst spread out.
	return d/2 + rand.N(d/2+1)
}

// RetryInfo describes one retry, for Client.WithRetryHook.
type RetryInfo struct {
	Method, Path string
	Attempt      int   // the attempt that failed, from 1
	Status       int   // the 5xx status, or 0 for a transport error
	Err          error // what went wrong
}

// Client calls one minipay server.
type Client struct {
	base    string
	token   string
	http    *http.Client
	retry   Retry
	onRetry func(RetryInfo)
}

// New returns a client for the server at baseURL (e.g.
// "http://127.0.0.1:8080"), without a token, using Shared and DefaultRetry.
func New(baseURL string) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), http: Shared, retry: DefaultRetry}
}

// BaseURL returns the server's base URL.
func (c *Client) BaseURL() string { return c.base }

// Token returns the bearer token the client sends ("" for none).
func (c *Client) Token() string { return c.token }

// WithToken returns a copy of c that sends token as its bearer token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// WithHTTPClient returns a copy of c that uses hc.
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	cp := *c
	cp.http = hc
	return &cp
}

// WithRetry returns a copy of c with the retry policy r.
func (c *Client) WithRetry(r Retry) *Client {
	cp := *c
	if r.Attempts < 1 {
		r.Attempts = 1
	}
	cp.retry = r
	return &cp
}

// WithRetryHook returns a copy of c that calls fn before every retry.
func (c *Client) WithRetryHook(fn func(RetryInfo)) *Client {
	cp := *c
	cp.onRetry = fn
	return &cp
}

// Error is an answer other than 2xx. For minipay's problem+json answers
// Code is the stable error code (invalid, unauthorized, forbidden,
// not_found, conflict, insufficient_funds, charge_limit_exceeded, expired,
// idempotency_mismatch, rate_limited, unavailable, internal); for anything
// else it is empty.
type Error struct {
	Method, Path string
	Status       int
	Code         string
	Type, Title  string
	Detail       string
	// RequestID is the server's X-Request-Id for the request, to find its
	// log lines.
	RequestID string
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// CodeOf classifies err in one word: "" for nil, the problem code for an
// *Error ("http_<status>" if the answer carried none), "canceled" for a
// cancelled or expired context, and "transport" for anything else (the
// request got no HTTP answer).
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		return fmt.Sprintf("http_%d", e.Status)
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return "transport"
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	key          string // Idempotency-Key, "" for none
	body         any    // sent as JSON unless nil
	out          any    // the 2xx body is decoded into it unless nil
	// retry marks a request that is safe to repeat after a transport error
	// or a 5xx: GETs, logins and POSTs that carry an Idempotency-Key.
	retry bool
}

// do performs r, retrying as r and c.retry allow, and returns the
// response headers of the final answer.
func (c *Client) do(ctx context.Context, r request) (http.Header, error) {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return nil, err
		}
	}
	if r.method == http.MethodGet || r.key != "" {
		r.retry = true
	}
	attempts := max(c.retry.Attempts, 1)
	for attempt := 1; ; attempt++ {
		h, status, err := c.once(ctx, r, body)
		if err == nil || !r.retry || attempt >= attempts || ctx.Err() != nil {
			return h, err
		}
		var e *Error
		if errors.As(err, &e) && e.Status < 500 {
			return h, err // an answer: retrying would get the same one
		}
		if c.onRetry != nil {
			c.onRetry(RetryInfo{Method: r.method, Path: r.path, Attempt: attempt, Status: status, Err: err})
		}
		t := time.NewTimer(c.retry.backoff(attempt - 1))
		select {
		case <-ctx.Done():
			t.Stop()
			return h, err
		case <-t.C:
		}
	}
}

// once performs r a single time. It returns the status (0 without an
// answer) and an *Error for any answer that is not 2xx.
func (c *Client) once(ctx context.Context, r request, body []byte) (http.Header, int, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if r.key != "" {
		req.Header.Set("Idempotency-Key", r.key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		// Drain what is left so the connection goes back to the pool.
		io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
		res.Body.Close()
	}()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		e := &Error{Method: r.method, Path: r.path, Status: res.StatusCode, RequestID: res.Header.Get("X-Request-Id")}
		b, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		var p struct {
			Type, Title, Detail, Code string
		}
		if json.Unmarshal(b, &p) == nil {
			e.Code, e.Type, e.Title, e.Detail = p.Code, p.Type, p.Title, p.Detail
		} else {
			e.Detail = strings.TrimSpace(string(b))
		}
		return res.Header, res.StatusCode, e
	}
	if r.out != nil {
		if err := json.NewDecoder(res.Body).Decode(r.out); err != nil {
			return res.Header, res.StatusCode, fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
		}
	}
	return res.Header, res.StatusCode, nil
}

// replayed reports whether the answer was a replay of an earlier request
// with the same Idempotency-Key.
func replayed(h http.Header) bool { return h.Get("Idempotent-Replayed") == "true" }

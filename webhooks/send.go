package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"minipay/api"
	"minipay/egress"
	"minipay/store"
)

// Limits of one attempt.
const (
	// Timeout bounds an attempt: connecting, sending, the answer's
	// headers and reading its body.
	Timeout = 10 * time.Second
	// maxResponse is how much of an answer is read; the rest is dropped
	// (the connection with it).
	maxResponse = 64 << 10
	// keptResponse is how much of it the attempt records.
	keptResponse = 1 << 10
)

// newClient is the HTTP client of deliveries: every connection goes
// through policy's check of the address actually dialled, no proxy (one
// would connect on the worker's behalf, unchecked), no redirects.
func newClient(policy egress.Policy) *http.Client {
	dialer := &net.Dialer{Timeout: Timeout, Control: policy.Control}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: Timeout,
			ResponseHeaderTimeout: Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute},
		// A redirect is answered as it came, and fails the attempt: the
		// receiver registered the URL it wants.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send makes one attempt at delivering event to e at now and returns it.
// A canceled ctx (the worker stopping) is not the receiver's failure: ok
// is false and nothing is to be recorded.
func (w *Worker) send(ctx context.Context, e store.WebhookEndpoint, d store.WebhookDelivery, event store.Event,
	now time.Time) (a store.WebhookAttempt, ok bool) {
	a = store.WebhookAttempt{DeliveryID: d.ID, EndpointID: e.ID, EventID: d.EventID, At: now}
	body, err := api.EventJSON(event)
	if err != nil {
		a.Error = err.Error()
		return a, true
	}
	id, ts := strconv.FormatInt(event.ID, 10), now.Unix()
	sig, err := signature(e.SigningSecrets(now), id, ts, body)
	if err != nil {
		a.Error = err.Error()
		return a, true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a, true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "minipay-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now() // the duration is measured, not scheduled: the real clock
	resp, err := w.client.Do(req)
	if err == nil {
		var got []byte
		got, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		resp.Body.Close()
		a.StatusCode, a.Response = resp.StatusCode, printable(got)
	}
	a.Duration = time.Since(start)
	switch {
	case ctx.Err() != nil:
		return a, false
	case err != nil:
		a.Error = err.Error()
	case a.StatusCode >= 300 && a.StatusCode < 400:
		a.Error = fmt.Sprintf("redirected to %q; redirects are not followed", resp.Header.Get("Location"))
	case a.StatusCode >= 200 && a.StatusCode < 300:
		a.Succeeded = true
	default:
		a.Error = "answered " + resp.Status
	}
	return a, true
}

// printable is the start of a response as text the database can keep
// (valid UTF-8, no NUL).
func printable(b []byte) string {
	if len(b) > keptResponse {
		b = b[:keptResponse]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), string(utf8.RuneError)), "\x00", "")
}

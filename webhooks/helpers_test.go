package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/client"
	"minipay/clock"
	"minipay/egress"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/webhooks"
)

// verify checks a delivery as a receiver following the Standard Webhooks
// specification does, with its own code: the timestamp within five
// minutes of now, and among the space-separated signatures one "v1,"
// signature that is the base64 HMAC-SHA256, under the secret's key (the
// base64 after "whsec_"), of "webhook-id.webhook-timestamp.body".
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sent, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return fmt.Errorf("webhook-id %q, webhook-timestamp %q", id, ts)
	}
	if d := now.Unix() - sent; d > 300 || d < -300 {
		return fmt.Errorf("timestamp %d is %d s from now", sent, d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return fmt.Errorf("secret %q is not whsec_ and base64", secret)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no signature verifies: " + h.Get("webhook-signature"))
}

// request is one delivery a receiver got.
type request struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is a webhook receiver on loopback that answers each request
// with the next of its statuses (the last one again once they run out).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []request
	statuses []int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, request{req.URL.Path, req.Header.Clone(), body})
		status := r.statuses[min(len(r.got), len(r.statuses))-1]
		r.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "status %d", status)
	}))
	t.Cleanup(r.Close)
	return r
}

// requests is what the receiver got so far.
func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// waitFor waits until the receiver got n requests, and returns them.
func (r *receiver) waitFor(t *testing.T, n int) []request {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d requests", n), func() bool { return len(r.requests()) >= n })
	return r.requests()
}

// waitUntil waits, a minute at most, until ok.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// server is one minipay server on the test's database, on a test clock.
type server struct {
	app *app.App
	c   *client.Client
}

// loopback lets endpoints be on loopback, as the receivers are.
var loopback = webhooks.Config{Egress: egress.Policy{AllowPrivate: true}}

// serve starts a server on db at clk with the webhook worker cfg, polling
// every 10 ms.
func serve(t *testing.T, db *store.DB, clk clock.Clock, cfg webhooks.Config) server {
	t.Helper()
	cfg.Poll = 10 * time.Millisecond
	// Logins outlast the days a test clock moves through retries.
	a, hs := apptest.Serve(t, app.Config{DB: db, Clock: clk, PasswordCost: bcrypt.MinCost, Webhooks: cfg, TokenTTL: 30 * 24 * time.Hour})
	return server{a, client.New(hs.URL)}
}

// run runs the server's webhook worker until the returned stop is called
// (or the test ends); stop waits for it to end.
func (s server) run(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.app.Webhooks.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// user signs up and logs in username; its client acts as them.
func (s server) user(t *testing.T, username string) *client.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := s.c.SignUp(ctx, username, "password-"+username, "Name "+username); err != nil {
		t.Fatal(err)
	}
	return s.login(t, username)
}

// login logs username in; its client acts as them.
func (s server) login(t *testing.T, username string) *client.Client {
	t.Helper()
	sess, err := s.c.Login(context.Background(), username, "password-"+username)
	if err != nil {
		t.Fatal(err)
	}
	return s.c.WithToken(sess.Token)
}

// events is every event of the user, oldest first. (Read newest first,
// which does not wait for the read fence: on a PostgreSQL shared with
// other tests the fence may take longer than a request waits.)
func events(t *testing.T, c *client.Client) []client.Event {
	t.Helper()
	var out []client.Event
	for cursor := ""; ; {
		p := dbtest.Must(c.ListEvents(context.Background(), client.EventQuery{Cursor: cursor, Limit: 100}))(t)
		out = append(out, p.Events...)
		if cursor = p.NextCursor; cursor == "" {
			slices.Reverse(out)
			return out
		}
	}
}

package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/api"
	"minipay/app"
	"minipay/client"
	"minipay/clock"
	"minipay/store"
	"minipay/store/dbtest"
)

// frame is one thing a stream sent: an event (id, type, data) or a
// comment (a heartbeat).
type frame struct {
	id          int64
	event, data string
	comment     string
	retry       string
	ev          client.Event
	at          time.Time // when it arrived
}

// sseStream is a Server-Sent Events client reading one stream.
type sseStream struct {
	res    *http.Response
	frames chan frame // closed when the stream ends
	cancel context.CancelFunc
}

// openStream opens GET /v1/events/stream with token, resuming after
// lastID if it is not "", and reads it until the test ends.
func openStream(t testing.TB, url, token, lastID string) *sseStream {
	t.Helper()
	res, cancel, err := dialStream(url, token, lastID)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		res.Body.Close()
		cancel()
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{res: res, frames: make(chan frame, 10_000), cancel: cancel}
	t.Cleanup(s.close)
	go s.read()
	return s
}

func dialStream(url, token, lastID string) (*http.Response, context.CancelFunc, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := http.NewRequestWithContext(ctx, "GET", url+"/v1/events/stream", nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		r.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return res, cancel, nil
}

func (s *sseStream) close() {
	s.cancel()
	s.res.Body.Close()
}

// read parses the stream into frames (the subset of the SSE format the
// server writes: one data line an event).
func (s *sseStream) read() {
	defer close(s.frames)
	sc := bufio.NewScanner(s.res.Body)
	var f frame
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ": ")
		switch {
		case line == "":
			if f.event != "" {
				f.at = time.Now()
				s.frames <- f
			}
			f = frame{}
		case strings.HasPrefix(line, ":"):
			s.frames <- frame{comment: strings.TrimPrefix(line, ": ")}
		case field == "id":
			f.id, _ = strconv.ParseInt(value, 10, 64)
		case field == "event":
			f.event = value
		case field == "data":
			f.data = value
			json.Unmarshal([]byte(value), &f.ev)
		case strings.HasPrefix(line, "retry:"):
			s.frames <- frame{retry: strings.TrimSpace(strings.TrimPrefix(line, "retry:"))}
		}
	}
}

// events reads until the stream has sent n events and returns them; it
// fails the test if the stream ends or stalls first.
func (s *sseStream) events(t *testing.T, n int) []frame {
	t.Helper()
	var out []frame
	deadline := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case f, ok := <-s.frames:
			if !ok {
				t.Fatalf("stream ended after %d of %d events", len(out), n)
			}
			if f.event != "" {
				out = append(out, f)
			}
		case <-deadline:
			t.Fatalf("stream sent %d of %d events in 20 s", len(out), n)
		}
	}
	return out
}

// quiet checks the stream sends no further event for a while (a few poll
// intervals): nothing twice, nothing extra.
func (s *sseStream) quiet(t *testing.T) {
	t.Helper()
	deadline := time.After(time.Second)
	for {
		select {
		case f, ok := <-s.frames:
			if ok && f.event != "" {
				t.Fatalf("unexpected event %d %s", f.id, f.event)
			}
			if !ok {
				return
			}
		case <-deadline:
			return
		}
	}
}

// ends waits for the stream to end, and fails the test if it does not
// within 10 s.
func (s *sseStream) ends(t *testing.T, what string) []frame {
	t.Helper()
	var seen []frame
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return seen
			}
			seen = append(seen, f)
		case <-deadline:
			t.Fatalf("%s: the stream is still open after 10 s", what)
		}
	}
}

// allEvents is every event of u as GET /v1/events?after=0 lists them.
func (e *env) allEvents(t *testing.T, u *user) []client.Event {
	t.Helper()
	var out []client.Event
	var after int64
	for {
		page, err := client.New(e.url).WithToken(u.Token).ListEvents(context.Background(), client.EventQuery{Forward: true, After: after, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			return out
		}
		out = append(out, page.Events...)
		after = page.Events[len(page.Events)-1].ID
	}
}

// sameEvents checks the stream sent exactly want, in order, each with the
// JSON GET /v1/events gives.
func sameEvents(t *testing.T, who string, got []frame, want []client.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events streamed, want %d", who, len(got), len(want))
	}
	for i, f := range got {
		if f.id != want[i].ID || f.event != want[i].Type || f.ev != want[i] {
			t.Fatalf("%s: event %d is %d %s %+v, want %+v", who, i, f.id, f.event, f.ev, want[i])
		}
	}
}

// moveMoney runs a scenario of charges and transfers between a and b,
// alternating between the servers given, and waits for each answer.
func moveMoney(t *testing.T, envs []*env, a, b *user, rounds int) {
	t.Helper()
	for i := range rounds {
		e := envs[i%len(envs)]
		e.charge(t, a, 10_000)
		e.ok(t, req{method: "POST", path: "/v1/transfers", token: a.Token,
			body: map[string]any{"to": b.Username, "amount": 1_000 + i}}, http.StatusCreated, nil)
		e.ok(t, req{method: "POST", path: "/v1/transfers", token: b.Token,
			body: map[string]any{"to": a.Username, "amount": 500}}, http.StatusCreated, nil)
	}
}

// streamConfig sets the stream's tuning for a test.
func streamConfig(sc api.StreamConfig) func(*app.Config) {
	return func(c *app.Config) { c.Stream = sc }
}

// TestStreamScenarioAndResume: a client sees every event of a scenario in
// order; one that reconnects with Last-Event-ID gets exactly the events
// it missed; one without starts from now.
func TestStreamScenarioAndResume(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		alice, bob := e.signUp(t, "alice"), e.signUp(t, "bob")
		live := openStream(t, e.url, alice.Token, "")
		first := openStream(t, e.url, alice.Token, "0")
		moveMoney(t, []*env{e}, alice, bob, 5)
		want := e.allEvents(t, alice)
		if want[0].Type != store.EventSessionCreated {
			t.Fatalf("alice's first event %+v, want her login", want[0])
		}
		// The live stream began after her login; the one after 0 has it.
		sameEvents(t, "live", live.events(t, len(want)-1), want[1:])
		live.quiet(t)

		// The second client leaves after 4 events and comes back.
		got := first.events(t, 4)
		first.close()
		moveMoney(t, []*env{e}, alice, bob, 3)
		want = e.allEvents(t, alice)
		again := openStream(t, e.url, alice.Token, strconv.FormatInt(got[3].id, 10))
		sameEvents(t, "resumed", again.events(t, len(want)-4), want[4:])
		again.quiet(t)

		res, err := e.send(req{method: "GET", path: "/v1/events/stream?after=x", token: alice.Token})
		if err != nil || res.status != http.StatusBadRequest {
			t.Fatalf("?after=x: %v %v", res, err)
		}
	})
}

// TestStreamTwoServers: two servers on one database, a client of alice on
// one and of bob on the other, money moving through both: each client
// sees all of its user's events, in order, none twice — also after a
// reconnect with Last-Event-ID to the other server.
func TestStreamTwoServers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		keys := []api.SigningKey{api.NewSigningKey("shared")}
		clk := clock.NewManual(start)
		one := serveOn(t, db, clk, keys, nil)
		two := serveOn(t, db, clk, keys, nil)
		alice, bob := one.signUp(t, "alice"), one.signUp(t, "bob")
		onOne := openStream(t, one.url, alice.Token, "0")
		onTwo := openStream(t, two.url, bob.Token, "0")
		moveMoney(t, []*env{one, two}, alice, bob, 10)
		wantA, wantB := one.allEvents(t, alice), two.allEvents(t, bob)
		gotA := onOne.events(t, len(wantA))
		sameEvents(t, "alice on one", gotA, wantA)
		sameEvents(t, "bob on two", onTwo.events(t, len(wantB)), wantB)
		onTwo.quiet(t)

		// alice moves to the other server halfway through her events.
		onOne.close()
		half := gotA[len(gotA)/2].id
		moveMoney(t, []*env{two, one}, alice, bob, 4)
		wantA = one.allEvents(t, alice)
		i := slices.IndexFunc(wantA, func(ev client.Event) bool { return ev.ID == half })
		back := openStream(t, two.url, alice.Token, strconv.FormatInt(half, 10))
		sameEvents(t, "alice back on two", back.events(t, len(wantA)-i-1), wantA[i+1:])
		back.quiet(t)
	})
}

// TestStreamEnds: a stream sends heartbeats when idle, ends at its
// lifetime and when its session is revoked, and a user may hold only so
// many at once.
func TestStreamEnds(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e := wire(t, db, streamConfig(api.StreamConfig{Heartbeat: 50 * time.Millisecond, MaxLifetime: 2 * time.Second, MaxPerUser: 2}))
		alice := e.signUp(t, "alice")
		s := openStream(t, e.url, alice.Token, "")
		if f := <-s.frames; f.retry == "" {
			t.Fatalf("first frame %+v, want retry:", f)
		}
		begun := time.Now()
		frames := s.ends(t, "lifetime")
		if !slices.ContainsFunc(frames, func(f frame) bool { return f.comment == "ping" }) {
			t.Fatalf("no heartbeat in %+v", frames)
		}
		if time.Since(begun) < time.Second {
			t.Fatalf("the stream ended after %v, before its lifetime", time.Since(begun))
		}

		// A third stream of one user is refused.
		openStream(t, e.url, alice.Token, "")
		doomed := e.logIn(t, alice)
		revoked := openStream(t, e.url, doomed, "")
		res, cancel, err := dialStream(e.url, alice.Token, "")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		cancel()
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("third stream: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
		}

		e.noContent(t, req{method: "DELETE", path: "/v1/sessions/current", token: doomed})
		frames = revoked.ends(t, "revoked session")
		if !slices.ContainsFunc(frames, func(f frame) bool { return f.comment == "session ended" }) {
			t.Fatalf("revoked stream said %+v", frames)
		}
	})
}

// TestStreamOutlivesEdgeTimeoutsAndShutdown: behind the http.Server that
// `minipay serve` uses, a stream lives past the read and write timeouts,
// and Shutdown ends it instead of waiting for it.
func TestStreamOutlivesEdgeTimeoutsAndShutdown(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) { outliveAndShutdown(t, db) })
}

func outliveAndShutdown(t *testing.T, db *store.DB) {
	a, err := app.New(context.Background(), app.Config{DB: db, Clock: clock.NewManual(start), PasswordCost: bcrypt.MinCost,
		TokenKeys: []api.SigningKey{api.NewSigningKey("k")}, Stream: api.StreamConfig{Heartbeat: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	edge := app.DefaultEdge()
	edge.ReadTimeout, edge.WriteTimeout = time.Second, time.Second
	ln, err := app.Listen("127.0.0.1:0", edge)
	if err != nil {
		t.Fatal(err)
	}
	hs := a.HTTPServer(edge)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	e := &env{db: db, url: "http://" + ln.Addr().String(), http: http.DefaultClient}
	alice := e.signUp(t, "alice")
	s := openStream(t, e.url, alice.Token, "")
	past := time.After(2500 * time.Millisecond) // well past both timeouts
	for alive := true; alive; {
		select {
		case _, ok := <-s.frames:
			if !ok {
				t.Fatal("the stream ended within the server's timeouts")
			}
		case <-past:
			alive = false
		}
	}
	e.charge(t, alice, 1_000)
	if got := s.events(t, 1); got[0].event != store.EventChargeSucceeded {
		t.Fatalf("after the timeouts the stream sent %+v", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a stream open: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
	s.ends(t, "shutdown")
}

// unpolledStream is a server whose streams neither poll nor ping within a
// test, a new user of it, and that user's stream, open and read once:
// only a commit's wake-up brings it an event.
func unpolledStream(t *testing.T, db *store.DB, name string) (*env, *user, *sseStream) {
	t.Helper()
	e := wire(t, db, streamConfig(api.StreamConfig{Poll: time.Hour, Heartbeat: time.Hour}))
	u := e.signUp(t, name)
	s := openStream(t, e.url, u.Token, "")
	<-s.frames // retry: the stream is open and has read once
	return e, u, s
}

// TestStreamWokenByCommit: with poll and heartbeat intervals far longer
// than the test, a commit of this server's writer still reaches the
// stream: the commit's signal wakes it.
func TestStreamWokenByCommit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		e, alice, s := unpolledStream(t, db, "alice")
		for i := range 3 {
			m := e.charge(t, alice, 1_000)
			if got := s.events(t, 1); got[0].ev.Data.TransactionID != m.TransactionID {
				t.Fatalf("charge %d: streamed %+v, want transaction %d", i, got[0].ev, m.TransactionID)
			}
		}
	})
}

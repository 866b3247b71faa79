package feed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// The tests run against a real NATS server with JetStream, as CI runs
// one: 127.0.0.1:4222 or MINIPAY_TEST_NATS_URL. Unreachable, they fail.
func natsURL() string {
	if u := os.Getenv("MINIPAY_TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// broker is a stream of the test's own, deleted when the test ends.
type broker struct {
	js             jetstream.JetStream
	stream, prefix string
}

func newBroker(t *testing.T) broker {
	t.Helper()
	nc, err := nats.Connect(natsURL())
	if err != nil {
		t.Fatalf("NATS at %s (start it: see .ci/run): %v", natsURL(), err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	id := hex.EncodeToString(b)
	br := broker{js: js, stream: "TEST_" + id, prefix: "test" + id + ".events"}
	t.Cleanup(func() {
		if err := js.DeleteStream(context.Background(), br.stream); err != nil && err != jetstream.ErrStreamNotFound {
			t.Error(err)
		}
	})
	return br
}

// config is a feed of db to the broker's stream, with a short lease.
func (br broker) config(db *store.DB, owner string) Config {
	return Config{DB: db, URL: natsURL(), Stream: br.stream, Prefix: br.prefix, Owner: owner,
		Poll: 10 * time.Millisecond, Batch: 4, Lease: time.Second}
}

// count is how many messages the stream holds; 0 before it exists.
func (br broker) count(t *testing.T) int {
	t.Helper()
	s, err := br.js.Stream(context.Background(), br.stream)
	if err == jetstream.ErrStreamNotFound {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Msgs)
}

// waitFor waits until the stream holds n messages.
func (br broker) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); br.count(t) < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stream %s holds %d messages, want %d", br.stream, br.count(t), n)
		}
	}
}

// check fails unless the stream holds exactly the events, once each, in
// id order, each on its type's subject with its id as Nats-Msg-Id.
func (br broker) check(t *testing.T, want [][]store.UserEvent) {
	t.Helper()
	if got := br.count(t); got != len(want) {
		t.Fatalf("stream holds %d messages, want %d", got, len(want))
	}
	s, err := br.js.Stream(context.Background(), br.stream)
	if err != nil {
		t.Fatal(err)
	}
	for i, copies := range want {
		e := copies[0]
		m, err := s.GetMsg(context.Background(), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if id := m.Header.Get(jetstream.MsgIDHeader); id != strconv.FormatInt(e.ID, 10) || m.Subject != br.prefix+"."+e.Type {
			t.Fatalf("message %d: %s id %s, want %s id %d", i+1, m.Subject, id, br.prefix+"."+e.Type, e.ID)
		}
		var body Message
		if err := json.Unmarshal(m.Data, &body); err != nil {
			t.Fatal(err)
		}
		if body.Version != Version || body.ID != e.ID || len(body.Users) != len(copies) || body.Users[0].UserID != e.User {
			t.Fatalf("message %d: %s", i+1, m.Data)
		}
		var data struct{ Amount int64 }
		if err := json.Unmarshal(body.Users[0].Data, &data); err != nil || data.Amount != e.Data.Amount {
			t.Fatalf("message %d data: %s (%v), want amount %d", i+1, body.Users[0].Data, err, e.Data.Amount)
		}
	}
}

// moves makes n charges and n transfers among three users: 2n events, the
// transfers' concerning two users each.
func moves(t *testing.T, env *dbtest.Env, users []store.User, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		a, b := users[i%len(users)], users[(i+1)%len(users)]
		if _, err := env.W.Do(ctx, a.ID, store.Idempotency{}, ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: int64(10_000 * (i + 1))}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.W.Do(ctx, a.ID, store.Idempotency{}, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: int64(1000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// allEvents reads every event of db.
func allEvents(t *testing.T, db *store.DB) [][]store.UserEvent {
	t.Helper()
	fence, ok, err := db.EventFence(context.Background())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	events, err := db.AllEvents(context.Background(), 0, fence, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// start runs a feed until the returned stop is called (a restart); stop
// waits for it to end.
func start(cfg Config) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		New(cfg).Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// TestFeedDeliversEachEventOnceAcrossRestarts: a feed crashes between
// publishing and saving its position, another takes over once the lease
// runs out and re-sends, that one is stopped (a restart) and a third goes
// on; the stream holds every event once, in order.
func TestFeedDeliversEachEventOnceAcrossRestarts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		br := newBroker(t)
		env := dbtest.NewEnv(t, db)
		users := []store.User{env.User(t, "ana"), env.User(t, "bo"), env.User(t, "cy")}
		moves(t, env, users, 5)
		first := allEvents(t, db)
		if len(first) != 10 || len(first[1]) != 2 {
			t.Fatalf("scenario: %d events, the second for %d users", len(first), len(first[1]))
		}

		// Batches of 4: the position is saved after the 4th event; the
		// 6th is published and the feed dies before saving again.
		crashing := br.config(db, "crashes")
		crashing.crashAfterPublish = first[5][0].ID
		New(crashing).Run(context.Background()) // returns once the hook made it stop
		if got := br.count(t); got != 6 {
			t.Fatalf("before the crash %d events were published, want 6", got)
		}

		stop := start(br.config(db, "takes-over")) // after the lease: re-sends the 5th and 6th
		moves(t, env, users, 5)
		br.waitFor(t, 20)
		stop()
		moves(t, env, users, 3)
		stop = start(br.config(db, "restarted"))
		br.waitFor(t, 26)
		stop()
		br.check(t, allEvents(t, db))
	})
}

// TestTwoFeedsOnOneDatabase: two servers run the feed of one name at once;
// only the lease holder publishes (each to a stream of its own here, so
// broker deduplication cannot hide a second publisher), and once it stops
// the other takes over from its position.
func TestTwoFeedsOnOneDatabase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		env := dbtest.NewEnv(t, db)
		users := []store.User{env.User(t, "di"), env.User(t, "ed")}
		b1, b2 := newBroker(t), newBroker(t)
		c1, c2 := b1.config(db, "one"), b2.config(db, "two")
		c1.Name, c2.Name = "shared", "shared"
		c1.Lease, c2.Lease = time.Minute, time.Minute // no takeover but by release

		moves(t, env, users, 4)
		stop1 := start(c1)
		b1.waitFor(t, 8) // one holds the lease before the second starts
		stop2 := start(c2)
		moves(t, env, users, 4)
		b1.waitFor(t, 16)
		if n := b2.count(t); n != 0 {
			t.Fatalf("the feed without the lease published %d events", n)
		}
		all := allEvents(t, db)
		stop1()
		b1.check(t, all)

		moves(t, env, users, 2)
		b2.waitFor(t, 4)
		stop2()
		if n := b1.count(t); n != 16 {
			t.Fatalf("the stopped feed's stream holds %d events, want 16", n)
		}
		b2.check(t, allEvents(t, db)[16:])
	})
}

// TestFeedWaitsOutABrokerOutage: while NATS cannot be reached the feed
// logs one warning and retries; once it can, the feed logs its recovery
// and publishes every event once.
func TestFeedWaitsOutABrokerOutage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		br := newBroker(t)
		env := dbtest.NewEnv(t, db)
		moves(t, env, []store.User{env.User(t, "fu"), env.User(t, "gi")}, 3)

		// The feed reaches NATS through a port that refuses connections
		// until a proxy to the real server listens on it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		var logs logBuffer
		cfg := br.config(db, "outage")
		cfg.URL, cfg.Log = "nats://"+addr, logs.Logger()
		before := failures(t)
		stop := start(cfg)
		defer stop()
		for failures(t) < before+3 {
			time.Sleep(10 * time.Millisecond)
		}
		if n := br.count(t); n != 0 {
			t.Fatalf("%d events published while NATS was down", n)
		}

		proxy(t, addr, strings.TrimPrefix(natsURL(), "nats://"))
		br.waitFor(t, 6)
		stop()
		if w, r := logs.count(`level=WARN msg="events feed failing`), logs.count(`level=INFO msg="events feed recovered"`); w != 1 || r != 1 {
			t.Fatalf("%d failure warnings and %d recoveries logged, want 1 and 1", w, r)
		}
		br.check(t, allEvents(t, db))
	})
}

// proxy forwards connections to addr to the server at to until the test
// ends.
func proxy(t *testing.T, addr, to string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			t.Cleanup(func() { c.Close(); s.Close() })
			go io.Copy(s, c)
			go io.Copy(c, s)
		}
	}()
}

// logBuffer collects a feed's log lines; safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// count is how many times s was logged.
func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// failures reads the feeds' failure counter.
func failures(t *testing.T) float64 {
	var m dto.Metric
	if err := metricFailures.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

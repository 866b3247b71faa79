// Package feed publishes every event of the outbox to NATS JetStream, for
// operators' pipelines: one message per event on subject PREFIX.TYPE with
// the event id as Nats-Msg-Id, so the stream's duplicate window drops a
// message sent twice. Its position (the last event id the broker
// acknowledged) lives in the database and is a lease: of several servers
// on one database one publishes at a time, and a restarted one resumes
// after the last acknowledged event. Delivery is at least once; with the
// broker's deduplication, effectively once.
package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"minipay/api"
	"minipay/clock"
	"minipay/loop"
	"minipay/store"
)

// Defaults of Config.
const (
	DefaultStream = "MINIPAY_EVENTS"
	DefaultPrefix = "minipay.events"
	DefaultPoll   = 200 * time.Millisecond
	DefaultBatch  = 500
	DefaultLease  = 30 * time.Second
)

// Config is a feed. Zero values take the defaults.
type Config struct {
	DB  *store.DB
	URL string // the NATS server, nats://host:4222
	// Stream is the JetStream stream, created with subjects Prefix.> if
	// it does not exist (an existing one is left as the operator made it).
	Stream, Prefix string
	// Name is the feed's position row (default: Stream).
	Name string
	// Poll is how often an idle feed looks for new events.
	Poll time.Duration
	// Batch bounds the event ids one pass reads (so the events it
	// publishes) before it saves its position.
	Batch int
	// Lease is how long the position is this server's after a renewal: a
	// server that died without releasing it is replaced after this long.
	Lease time.Duration
	// Owner names this server in the lease (default host, pid, random).
	Owner string
	Clock clock.Clock
	Log   *slog.Logger

	// crashAfterPublish, a test hook, makes the feed stop as a crash
	// would (no position saved, no lease released) once it has published
	// the event with this id.
	crashAfterPublish int64
}

// Feed is one running feed.
type Feed struct {
	cfg   Config
	nc    *nats.Conn
	js    jetstream.JetStream
	lease store.FeedLease // the position
}

// New makes a feed; Run runs it.
func New(cfg Config) *Feed {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Stream
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Owner == "" {
		cfg.Owner = loop.Owner()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Feed{cfg: cfg, lease: store.FeedLease{DB: cfg.DB, Name: cfg.Name, Owner: cfg.Owner, Lease: cfg.Lease}}
}

// errCrash is the test hook's simulated crash: it stops the feed.
var errCrash = fmt.Errorf("feed: simulated crash: %w", loop.ErrStop)

// Run publishes until ctx ends, then releases the lease and closes the
// connection. A failure (NATS or the database) is logged once per streak
// and retried with backoff; nothing is lost, since the position moves only
// after the broker acknowledged.
func (f *Feed) Run(ctx context.Context) {
	defer f.close()
	loop.Loop{Name: "events feed", Attrs: []any{"feed", f.cfg.Name}, Poll: f.cfg.Poll, Log: f.cfg.Log,
		Failures: metricFailures}.Run(ctx, f.pass)
}

// pass publishes the events of the next window of ids if this server
// holds the lease; more says events past the window are waiting.
func (f *Feed) pass(ctx context.Context) (more bool, err error) {
	if err := f.connect(ctx); err != nil {
		return false, err
	}
	upto, fence, err := f.lease.Window(ctx, f.cfg.Clock.Now(), f.cfg.Batch)
	if err != nil || fence == 0 {
		return false, err
	}
	pos := f.lease.Pos
	metricLag.Set(float64(fence - pos))
	if upto <= pos {
		return false, nil
	}
	events, err := f.cfg.DB.AllEvents(ctx, pos, upto, f.cfg.Batch)
	if err != nil {
		return false, err
	}
	for _, e := range events {
		if err := f.publish(ctx, e); err != nil {
			f.disconnect() // the next pass connects again and makes sure of the stream
			return false, err
		}
		if e[0].ID == f.cfg.crashAfterPublish {
			f.lease.Drop() // a crash releases nothing
			return false, errCrash
		}
	}
	if ok, err := f.lease.Save(ctx, upto, f.cfg.Clock.Now()); err != nil || !ok {
		return false, err // lost the lease: the next pass claims again, from the saved position
	}
	if len(events) > 0 {
		metricLastID.Set(float64(events[len(events)-1][0].ID))
	}
	metricLag.Set(float64(fence - upto))
	return upto < fence, nil
}

// publishTimeout bounds the wait for the broker's acknowledgement.
const publishTimeout = 5 * time.Second

// publish sends one event and waits for the stream to acknowledge it.
func (f *Feed) publish(ctx context.Context, copies []store.UserEvent) error {
	body, err := message(copies)
	if err != nil {
		return err
	}
	e := copies[0]
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	ack, err := f.js.Publish(ctx, f.cfg.Prefix+"."+e.Type, body, jetstream.WithMsgID(strconv.FormatInt(e.ID, 10)))
	if err != nil {
		return fmt.Errorf("publish event %d: %w", e.ID, err)
	}
	if !ack.Duplicate {
		metricPublished.Inc()
	}
	return nil
}

// connect connects to NATS and makes sure the stream exists, once.
func (f *Feed) connect(ctx context.Context) error {
	if f.js != nil {
		return nil
	}
	nc, err := nats.Connect(f.cfg.URL, nats.Name("minipay events feed"), nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err == nil {
		_, err = js.Stream(ctx, f.cfg.Stream)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: f.cfg.Stream, Subjects: []string{f.cfg.Prefix + ".>"}})
		}
	}
	if err != nil {
		nc.Close()
		return err
	}
	f.nc, f.js = nc, js
	return nil
}

func (f *Feed) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if err := f.lease.Release(ctx); err != nil {
		f.cfg.Log.Warn("events feed: releasing the lease", "feed", f.cfg.Name, "err", err)
	}
	cancel()
	f.disconnect()
}

func (f *Feed) disconnect() {
	if f.nc != nil {
		f.nc.Close()
	}
	f.nc, f.js = nil, nil
}

// Version is the version of the message body: a change that could break
// a reader bumps it.
const Version = 1

// Message is the body of one event's message: the event, and for each user
// it concerns what that user reads (the data of GET /v1/events).
type Message struct {
	Version   int       `json:"version"`
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Users     []User    `json:"users"`
}

// User is one user an event concerns and its data as they read it.
type User struct {
	UserID int64           `json:"user_id"`
	Data   json.RawMessage `json:"data"`
}

func message(copies []store.UserEvent) ([]byte, error) {
	e := copies[0]
	m := Message{Version: Version, ID: e.ID, Type: e.Type, CreatedAt: e.OccurredAt, Users: make([]User, len(copies))}
	for i, c := range copies {
		data, err := api.EventData(c.Event)
		if err != nil {
			return nil, err
		}
		m.Users[i] = User{UserID: c.User, Data: data}
	}
	return json.Marshal(m)
}

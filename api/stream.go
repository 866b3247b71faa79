package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"minipay/errs"
	"minipay/store"
)

// GET /v1/events/stream: the caller's events as Server-Sent Events, live.
// A stream reads the outbox itself — after its last id, up to the read
// fence, as GET /v1/events?after= does — so it sees the events every
// server on the database commits. A commit of events on this server (its
// writer's or a login's) wakes it at once (store.DB.EventsCommitted);
// otherwise it polls, so an event committed by another server arrives
// within a poll interval.

// StreamConfig tunes event streams. Zero values take the defaults.
type StreamConfig struct {
	// Heartbeat is how often an idle stream sends a comment, so proxies
	// keep it open (default 15 s).
	Heartbeat time.Duration
	// MaxLifetime ends a stream cleanly after this long; the client
	// reconnects with Last-Event-ID. It bounds a leaked connection
	// (default 30 min).
	MaxLifetime time.Duration
	// Poll is how often a stream reads the outbox when no commit of this
	// server woke it (default 250 ms).
	Poll time.Duration
	// MaxPerUser and MaxTotal bound the streams open at once, per user and
	// on this server (defaults 5 and 1000).
	MaxPerUser, MaxTotal int
}

// DefaultStreamConfig is the stream's tuning unless configured otherwise.
func DefaultStreamConfig() StreamConfig { return StreamConfig{}.withDefaults() }

func (c StreamConfig) withDefaults() StreamConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Heartbeat, 15*time.Second)
	def(&c.MaxLifetime, 30*time.Minute)
	def(&c.Poll, 250*time.Millisecond)
	if c.MaxPerUser <= 0 {
		c.MaxPerUser = 5
	}
	if c.MaxTotal <= 0 {
		c.MaxTotal = 1000
	}
	return c
}

const (
	// streamRetry is the reconnection delay the stream suggests (retry:).
	streamRetry = 2 * time.Second
	// streamPage bounds the events one read takes; a stream that is
	// behind reads page after page without waiting.
	streamPage = 500
	// streamWriteTimeout bounds each write to the client: one that reads
	// nothing for that long loses its stream.
	streamWriteTimeout = 10 * time.Second
)

// streams counts the open streams and ends them all at shutdown.
type streams struct {
	cfg     StreamConfig
	mu      sync.Mutex
	perUser map[int64]int
	total   int
	end     chan struct{} // closed by EndStreams
	once    sync.Once
	fences  fences
}

func newStreams(db *store.DB, cfg StreamConfig) *streams {
	return &streams{cfg: cfg.withDefaults(), perUser: map[int64]int{}, end: make(chan struct{}), fences: fences{db: db}}
}

// acquire counts a new stream of user, or says which bound it hit.
func (st *streams) acquire(user int64) (release func(), full string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.perUser[user] >= st.cfg.MaxPerUser:
		return nil, "event streams open for this user"
	case st.total >= st.cfg.MaxTotal:
		return nil, "event streams open on this server"
	}
	st.perUser[user]++
	st.total++
	return func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.total--
		if st.perUser[user]--; st.perUser[user] == 0 {
			delete(st.perUser, user)
		}
	}, ""
}

// EndStreams ends every open event stream and refuses new ones: call it
// when the HTTP server shuts down (http.Server.RegisterOnShutdown), whose
// Shutdown would otherwise wait for the streams to end by themselves.
func (s *Server) EndStreams() { s.streams.once.Do(func() { close(s.streams.end) }) }

// eventStream authenticates under the request timeout, then streams under
// the stream's own deadlines (the route is ownDeadline).
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) { s.authedStream(w, r, s.authed) }

// authedStream authenticates r with auth under the request timeout, then
// streams under the stream's own deadlines.
func (s *Server) authedStream(w http.ResponseWriter, r *http.Request, auth func(func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc) {
	long := r.Context()
	ctx, cancel := context.WithTimeout(long, s.requestTimeout)
	defer cancel()
	auth(func(w http.ResponseWriter, r *http.Request, p principal) {
		cancel()
		s.stream(w, r.WithContext(long), p)
	})(w, r.WithContext(ctx))
}

// streamStart is where a stream begins: after the Last-Event-ID header
// (a reconnecting EventSource), else after ?after=, else at the current
// fence (from now on, fromNow).
func streamStart(r *http.Request) (after int64, fromNow bool, err error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v == "" {
		return 0, true, nil
	}
	if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
		return 0, false, errs.E(errs.Invalid, "Last-Event-ID (or after) must be an event id")
	}
	return after, false, nil
}

// stream serves one stream until its lifetime ends, the client leaves,
// its session ends, a write fails or the server shuts down.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, p principal) {
	after, fromNow, err := streamStart(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	select {
	case <-s.streams.end:
		writeError(w, r, errs.E(errs.Unavailable, "the server is shutting down; reconnect"))
		return
	default:
	}
	release, full := s.streams.acquire(p.user)
	if release == nil {
		writeError(w, r, errTooMany(streamRetry, full))
		return
	}
	defer release()
	cfg := s.streams.cfg
	ctx, cancel := context.WithTimeout(r.Context(), cfg.MaxLifetime)
	defer cancel()
	go func() { // ends the stream at shutdown
		select {
		case <-s.streams.end:
			cancel()
		case <-ctx.Done():
		}
	}()
	if fromNow {
		var ok bool
		if after, ok, err = s.fence(ctx); err == nil && !ok {
			err = errs.E(errs.Unavailable, "the database is busy; retry later")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
	}
	out := &sseWriter{w: w, rc: http.NewResponseController(w)}
	// The server's ReadTimeout would end a stream that outlives it.
	out.rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	out.printf("retry: %d\n\n", streamRetry.Milliseconds())
	out.flush()
	s.pump(ctx, out, p, after)
}

// pump sends the events after after as they commit, and a heartbeat when
// idle, until ctx ends or the session or the connection fails.
func (s *Server) pump(ctx context.Context, out *sseWriter, p principal, after int64) {
	cfg := s.streams.cfg
	heartbeat := time.NewTicker(cfg.Heartbeat)
	defer heartbeat.Stop()
	for out.err == nil {
		committed := s.db.EventsCommitted() // taken before the read, so no commit slips by
		var err error
		if after, err = s.sendEvents(ctx, out, p.user, after); err != nil {
			return
		}
		if err := s.checkSession(ctx, p); err != nil {
			out.printf(": session ended\n\n")
			out.flush()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-committed:
		case <-time.After(cfg.Poll):
		case <-heartbeat.C:
			out.printf(": ping\n\n")
			out.flush()
		}
	}
}

// sendEvents writes every event of user after after up to the fence, and
// returns the last id written.
func (s *Server) sendEvents(ctx context.Context, out *sseWriter, user, after int64) (int64, error) {
	fence, ok, err := s.fence(ctx)
	for err == nil && ok && fence > after {
		var page []store.Event
		rctx, cancel := context.WithTimeout(ctx, s.requestTimeout)
		page, err = s.db.Events(rctx, user, store.EventFilter{Forward: true, After: after, Fence: fence, Limit: streamPage})
		cancel()
		for _, e := range page {
			b, jerr := json.Marshal(toEventJSON(e))
			if jerr != nil {
				return after, jerr
			}
			out.printf("id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, b)
			after = e.ID
		}
		if out.flush(); out.err != nil {
			return after, out.err
		}
		if len(page) < streamPage {
			break
		}
	}
	return after, err
}

// fence is the read fence (shared, fences); ok is false if it could not
// be had within fenceWait (a write in flight that long), and the caller
// tries again.
func (s *Server) fence(ctx context.Context) (fence int64, ok bool, err error) {
	return s.streams.fences.get(ctx)
}

// checkSession fails once p's session is revoked or expired (as this
// server's session cache sees it).
func (s *Server) checkSession(ctx context.Context, p principal) error {
	cctx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	return s.sessions.check(cctx, p, s.clock.Now())
}

// sseWriter writes stream frames, each write within its own deadline (not
// the server's WriteTimeout, which a stream outlives), and keeps the first
// error. Frames are buffered until flush.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

func (o *sseWriter) printf(format string, args ...any) {
	if o.err != nil {
		return
	}
	o.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_, o.err = fmt.Fprintf(o.w, format, args...)
}

func (o *sseWriter) flush() {
	if o.err == nil {
		o.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		o.err = o.rc.Flush()
	}
}

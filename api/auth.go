package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"minipay/errs"
	"minipay/store"
)

// DefaultTokenTTL is how long a login (its session and token) lasts unless
// configured otherwise.
const DefaultTokenTTL = 24 * time.Hour

// DefaultSessionCacheTTL is how long a server trusts what it last read of
// a session: a revocation made on another server takes effect here within
// it. NoSessionCache makes every request read its session.
const (
	DefaultSessionCacheTTL = 5 * time.Second
	NoSessionCache         = time.Duration(-1)
)

// principal is the authenticated caller. The token carries the main
// account id so money-moving requests need no database read before the
// writer, and the session, so it can be revoked.
type principal struct {
	user, main int64
	session    string
}

// authed wraps a handler that needs a logged-in caller: a valid token
// (keyring.check) whose session is live (sessionCache.check).
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The scheme name is case-insensitive (RFC 9110 §11.1).
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			writeError(w, r, errs.E(errs.Unauthorized, "send Authorization: Bearer <token> (POST /v1/sessions gives one)"))
			return
		}
		p, err := s.principal(r.Context(), token)
		if err != nil {
			// RFC 6750 §3.1: a token was sent and is bad (forged, garbled
			// or expired), so a client knows to log in again.
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeError(w, r, err)
			return
		}
		infoOf(r.Context()).user = p.user
		h(w, r, p)
	}
}

// principal is who token names, if it is valid (keyring.check) and its
// session live (sessionCache.check).
func (s *Server) principal(ctx context.Context, token string) (principal, error) {
	p, err := s.keys.check(token)
	if err == nil {
		err = s.sessions.check(ctx, p, s.clock.Now())
	}
	return p, err
}

// touchEvery is how stale a session's last_used_at may get: a session in
// use is recorded as used that often, not on every request. The record is
// written in the background with others (refresh), never in a request:
// sessions logged in together fall due together, and a minute later a
// thousand of them cost a thousand commits in one second, each in a
// request (the open-loop benchmark's p99 jumped with them).
const touchEvery = time.Minute

// maxCachedSessions bounds the cache (about 150 bytes an entry).
const maxCachedSessions = 100_000

// sessionCache is one server's view of session state: what it read of a
// session is trusted for ttl, so a busy session costs a database read per
// ttl, not per request. A session used in the second half of its ttl is
// re-read in the background with others (refresh), so a busy session's
// requests never wait for that read and many sessions cost one query; a
// session idle longer is read by its next request. (With the last quarter
// instead, a session used once a second missed its window 29 % of the
// time: 1,000 users at 1,000 requests/s paid about 60 reads a second in
// their requests, all at once, as sessions read together expire
// together.) Revocations made through this server take effect here at
// once (forget); made through another, within ttl.
type sessionCache struct {
	db  *store.DB
	ttl time.Duration // <= 0: no caching
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedSession
	// gen counts revocations seen here. A read of the database that
	// started before one may be stale, so it is not cached.
	gen uint64
	// due are the sessions refresh is to re-read; refreshing, whether its
	// goroutine runs.
	due        []string
	refreshing bool
	// touches are the uses refresh is to record: a session and the time
	// of the use that fell due.
	touches  map[string]time.Time
	flushing sync.Mutex
}

type cachedSession struct {
	user     int64
	live     bool
	expires  time.Time
	read     time.Time // when it was read from the database
	lastUsed time.Time // last_used_at as stored, or as queued (touch)
	// due: queued for a background re-read (at most once).
	due bool
}

func cached(s store.Session, now time.Time) cachedSession {
	return cachedSession{user: s.UserID, live: s.RevokedAt.IsZero(), expires: s.ExpiresAt, read: now, lastUsed: s.LastUsedAt}
}

// refreshTimeout bounds a background re-read, which no request waits
// for; refreshBatch, the sessions one read covers.
const (
	refreshTimeout = 5 * time.Second
	refreshBatch   = 500
)

func newSessionCache(db *store.DB, ttl time.Duration, now func() time.Time) *sessionCache {
	return &sessionCache{db: db, ttl: ttl, now: now, m: map[string]cachedSession{}}
}

// check lets p in if its session is live at now, and records the use at
// most every touchEvery.
func (c *sessionCache) check(ctx context.Context, p principal, now time.Time) error {
	c.mu.Lock()
	e, ok := c.m[p.session]
	gen := c.gen
	changed := !ok || now.Sub(e.read) >= c.ttl
	if !changed && !e.due && now.Sub(e.read) >= c.ttl/2 {
		e.due = true
		c.m[p.session] = e
		c.due = append(c.due, p.session)
		if !c.refreshing {
			c.refreshing = true
			go c.refresh()
		}
	}
	c.mu.Unlock()
	if changed {
		var err error
		if e, err = c.load(ctx, p.session, now); err != nil {
			return err
		}
	}
	if !e.live || e.user != p.user || !now.Before(e.expires) {
		if changed {
			c.store(p.session, e, gen) // a revoked token retried costs no read either
		}
		return errs.E(errs.Unauthorized, "this session has ended (logged out or revoked); log in again")
	}
	if now.Sub(e.lastUsed) >= touchEvery {
		c.touch(p.session, now)
		e.lastUsed, changed = now, true
	}
	if changed {
		c.store(p.session, e, gen)
	}
	return nil
}

// load reads a session; one that is gone counts as revoked.
func (c *sessionCache) load(ctx context.Context, id string, now time.Time) (cachedSession, error) {
	s, err := c.db.Session(ctx, id)
	if errs.CodeOf(err) == errs.NotFound {
		return cachedSession{read: now}, nil
	}
	if err != nil {
		return cachedSession{}, err
	}
	return cached(s, now), nil
}

// touch queues a use of session at now for refresh to record.
func (c *sessionCache) touch(session string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.touches == nil {
		c.touches = map[string]time.Time{}
	}
	if _, queued := c.touches[session]; !queued {
		c.touches[session] = now
	}
	if !c.refreshing {
		c.refreshing = true
		go c.refresh()
	}
}

// refresh records the uses queued and re-reads the sessions due, after
// letting an eighth of ttl's worth gather, until none are left; then its
// goroutine ends.
func (c *sessionCache) refresh() {
	for {
		time.Sleep(c.ttl / 8)
		c.mu.Lock()
		ids, gen := c.due, c.gen
		c.due = nil
		c.refreshing = len(ids) > 0 || len(c.touches) > 0
		more := c.refreshing
		c.mu.Unlock()
		if !more {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		c.flush(ctx) // on an error the uses are lost: last_used_at lags until the next, a touchEvery later
		cancel()
		now := c.now()
		for batch := range slices.Chunk(ids, refreshBatch) {
			c.reread(batch, gen, now)
		}
	}
}

// flush records the uses queued: for refresh, and for a reader of
// last_used_at (the list of sessions) that must see its own server's,
// waiting for a flush in flight.
func (c *sessionCache) flush(ctx context.Context) error {
	c.flushing.Lock()
	defer c.flushing.Unlock()
	c.mu.Lock()
	touches := c.touches
	c.touches = nil
	c.mu.Unlock()
	return c.db.TouchSessions(ctx, touches)
}

// reread reads ids in one query and caches what it read as check caches
// its own reads: a session gone counts as revoked. On an error nothing is
// cached; each session's next request after its ttl reads it.
func (c *sessionCache) reread(ids []string, gen uint64, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	found, err := c.db.SessionsByID(ctx, ids)
	if err != nil {
		return
	}
	read := make(map[string]cachedSession, len(ids))
	for _, id := range ids {
		read[id] = cachedSession{read: now}
	}
	for _, s := range found {
		read[s.ID] = cached(s, now)
	}
	for id, e := range read {
		c.store(id, e, gen)
	}
}

// store caches e unless caching is off or a revocation happened since gen
// was read. A full cache first drops what is stale, else anything.
func (c *sessionCache) store(id string, e cachedSession, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= maxCachedSessions {
		for k, v := range c.m {
			if e.read.Sub(v.read) >= c.ttl {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < maxCachedSessions {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[id] = e
}

// remember caches a session just created, sparing its first use a read.
func (c *sessionCache) remember(s store.Session, now time.Time) {
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	c.store(s.ID, cached(s, now), gen)
}

// forget drops a session this server just revoked (after the database
// recorded it), so its token is refused here from now on.
func (c *sessionCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, id)
}

// forgetOthers drops every cached session of user but keep, after the
// database revoked them (a password change). It walks the whole cache,
// which is rare enough.
func (c *sessionCache) forgetOthers(user int64, keep string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for id, e := range c.m {
		if e.user == user && id != keep {
			delete(c.m, id)
		}
	}
}

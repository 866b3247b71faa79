package ratelimit

import (
	"sync"
	"time"
)

// Backoff allows N attempts per Window for a key; the attempt after those
// locks the key out: for Window the first time and twice as long each
// time again, up to Max. A key quiet for Max after its last lockout
// starts over. Attempts are taken before the work they guard (a password
// check), so concurrent attempts cannot slip past the count together.
type Backoff struct {
	N      int
	Window time.Duration
	Max    time.Duration
}

// Lockout is one key's state under a Backoff; the zero value is a key
// never seen. It is plain data, so the state of a key that must hold
// across servers can live in a database row.
type Lockout struct {
	Attempts    int       // taken in the window that began at WindowStart
	WindowStart time.Time // zero: no window yet
	Lockouts    int       // lockouts in a row
	LockedUntil time.Time
}

// Attempt takes one attempt for a key in state s at now. It returns the
// new state and how long the key must wait (0: the attempt may go ahead).
// changed is false when a locked key is refused: that costs no write.
func (b Backoff) Attempt(s Lockout, now time.Time) (next Lockout, wait time.Duration, changed bool) {
	if now.Before(s.LockedUntil) {
		return s, s.LockedUntil.Sub(now), false
	}
	if s.Lockouts > 0 && !now.Before(s.LockedUntil.Add(b.Max)) {
		s.Lockouts = 0
	}
	if !now.Before(s.WindowStart.Add(b.Window)) {
		s.Attempts, s.WindowStart = 0, now
	}
	if s.Attempts < b.N {
		s.Attempts++
		return s, 0, true
	}
	s.Lockouts++
	s.LockedUntil = now.Add(b.lockout(s.Lockouts))
	// The next window begins when the lockout ends.
	s.Attempts, s.WindowStart = 0, s.LockedUntil
	return s, s.LockedUntil.Sub(now), true
}

// lockout is how long the nth lockout in a row lasts.
func (b Backoff) lockout(n int) time.Duration {
	d := b.Window
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Expires is when a key in state s becomes the same as a key never seen,
// so its state may be forgotten.
func (b Backoff) Expires(s Lockout) time.Time {
	t := s.WindowStart.Add(b.Window)
	if s.Lockouts > 0 && s.LockedUntil.Add(b.Max).After(t) {
		t = s.LockedUntil.Add(b.Max)
	}
	return t
}

// Lockouts keeps a Backoff's state per key in bounded memory, for keys
// whose count may differ from server to server (client addresses).
type Lockouts struct {
	b       Backoff
	maxKeys int

	mu   sync.Mutex
	keys map[string]Lockout
}

// NewLockouts returns per-key state under b for at most maxKeys keys.
func NewLockouts(b Backoff, maxKeys int) *Lockouts {
	return &Lockouts{b: b, maxKeys: maxKeys, keys: map[string]Lockout{}}
}

// Wait is how long key must wait from now (0: go ahead). It takes no
// attempt, but a key with none left is locked out from now on. With
// Fail, this counts failures only: successes, which need no brake, are
// free, at the price that concurrent attempts all pass the check.
func (l *Lockouts) Wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.keys[key]
	if !ok {
		return 0
	}
	next, wait, _ := l.b.Attempt(s, now)
	if wait > 0 {
		l.keys[key] = next
	}
	return wait
}

// Fail takes one attempt for key at now: a failure.
func (l *Lockouts) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.keys[key]
	if !ok {
		l.makeRoom(now)
	}
	l.keys[key], _, _ = l.b.Attempt(s, now)
}

// makeRoom keeps the map under maxKeys: expired keys go first, then
// arbitrary ones until a quarter is free (as Keyed.makeRoom).
func (l *Lockouts) makeRoom(now time.Time) {
	if len(l.keys) < l.maxKeys {
		return
	}
	for key, s := range l.keys {
		if !now.Before(l.b.Expires(s)) {
			delete(l.keys, key)
		}
	}
	for key := range l.keys {
		if len(l.keys) <= l.maxKeys*3/4 {
			return
		}
		delete(l.keys, key)
	}
}

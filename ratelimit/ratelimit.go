// Package ratelimit keeps one token bucket (golang.org/x/time/rate) per
// key, such as a username or a client address, in bounded memory. Every
// call takes the time explicitly, so a manual clock drives it in tests.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed allows n events per window for each key; a spent count refills
// steadily over the window.
type Keyed struct {
	limit   rate.Limit
	n       int
	window  time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time // of the last event taken
}

// New returns a limiter of n events per window per key that remembers at
// most maxKeys keys.
func New(n int, window time.Duration, maxKeys int) *Keyed {
	return &Keyed{limit: rate.Limit(float64(n) / window.Seconds()), n: n, window: window,
		maxKeys: maxKeys, keys: map[string]*bucket{}}
}

// Wait is how long from now until key may have one more event (0: now).
// It takes nothing.
func (k *Keyed) Wait(key string, now time.Time) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.keys[key]
	if !ok {
		return 0
	}
	missing := 1 - b.lim.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(missing / float64(k.limit) * float64(time.Second)))
}

// Take records one event for key at now, if key has one left, and says
// whether it had.
func (k *Keyed) Take(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.keys[key]
	if !ok {
		k.makeRoom(now)
		b = &bucket{lim: rate.NewLimiter(k.limit, k.n)}
		k.keys[key] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}

// makeRoom keeps the map under maxKeys. A key idle for a whole window has
// refilled and is no different from a new one, so those go first; if that
// is not enough, arbitrary keys go until a quarter is free, so a flood of
// new keys costs one sweep per maxKeys/4 of them. A forgotten key starts
// over with a full count: memory stays bounded at that price.
func (k *Keyed) makeRoom(now time.Time) {
	if len(k.keys) < k.maxKeys {
		return
	}
	for key, b := range k.keys {
		if now.Sub(b.last) >= k.window {
			delete(k.keys, key)
		}
	}
	for key := range k.keys {
		if len(k.keys) <= k.maxKeys*3/4 {
			return
		}
		delete(k.keys, key)
	}
}

// Len is how many keys the limiter remembers.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// Package clock is the only source of time in minipay's business code, so
// tests and the test clock can move time without sleeping.
package clock

import (
	"sync"
	"time"
	_ "time/tzdata" // business days are Asia/Seoul even on hosts without zoneinfo
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the real wall clock.
type System struct{}

func (System) Now() time.Time { return time.Now() }

// Manual is a clock that moves only when told to: tests use it, and the
// server's test-clock mode exposes it over the API.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a manual clock set to t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new time.
func (m *Manual) Advance(d time.Duration) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
	return m.now
}

// Seoul is minipay's default business zone (Asia/Seoul, KST; no DST).
// Loaded once from the embedded tzdata, so it cannot fail at run time.
var Seoul = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		panic(err)
	}
	return loc
}()

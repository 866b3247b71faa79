package store

import "sync"

// EventsCommitted returns a channel closed when a transaction of this
// process that recorded events next commits: a writer batch, or one of
// the transactions outside the writer that record events (a login, a
// password change, a settlement request...). It is a cheap wake-up for
// readers of the outbox (the event stream), which still read the database
// up to the fence, so a commit made by another server reaches them too,
// only later (they poll).
func (db *DB) EventsCommitted() <-chan struct{} { return db.events.wait() }

// signal is a broadcast: wait returns a channel that fire closes.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

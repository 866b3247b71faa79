package api

import (
	"context"
	"sync"

	"minipay/store"
)

// fences shares the read fence (store.DB.EventFence) among this server's
// streams: on PostgreSQL a fence reads pg_stat_activity, too dear to ask
// for once per stream per commit. At most one reading runs at a time; a
// stream that asks while one runs joins the next, which starts when it
// ends, so every stream still gets a fence read after it asked (one that
// covers the commit that woke it).
type fences struct {
	db      *store.DB
	mu      sync.Mutex
	running bool
	next    *fenceRead // the reading the askers of now will get
}

type fenceRead struct {
	done  chan struct{}
	fence int64
	ok    bool
	err   error
}

// get returns a fence read after it was called, as EventFence does.
func (f *fences) get(ctx context.Context) (int64, bool, error) {
	f.mu.Lock()
	if f.next == nil {
		f.next = &fenceRead{done: make(chan struct{})}
	}
	r := f.next
	if !f.running {
		f.running, f.next = true, nil
		go f.run(r)
	}
	f.mu.Unlock()
	select {
	case <-r.done:
		return r.fence, r.ok, r.err
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
}

// run does r, then the reading askers joined meanwhile, until none did.
func (f *fences) run(r *fenceRead) {
	for r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), fenceWait)
		r.fence, r.ok, r.err = f.db.EventFence(ctx)
		cancel()
		close(r.done)
		f.mu.Lock()
		if r, f.next = f.next, nil; r == nil {
			f.running = false
		}
		f.mu.Unlock()
	}
}

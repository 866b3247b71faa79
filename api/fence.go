package api

import (
	"context"
	"sync"
	"time"

	"minipay/store"
)

// fences shares the read fence (store/fence.go) among this server's
// streams: on PostgreSQL a fence reads pg_locks, too dear to ask for once
// per stream per commit. One goroutine, while anyone waits, takes a
// snapshot for the streams that asked since the last one (so each gets a
// snapshot taken after it asked: one that covers the commit that woke
// it), and polls the holders of event ids for all snapshots at once,
// answering each snapshot's streams as soon as its own holders have
// ended. A stream so waits for the event writers in flight when it asked,
// not for a reading begun before it asked and then a whole new one.
type fences struct {
	db      *store.DB
	mu      sync.Mutex
	running bool
	asked   []*fenceRead // asked since the last snapshot
}

type fenceRead struct {
	done  chan struct{}
	fence int64
	ok    bool
	err   error
}

func (r *fenceRead) answer(fence int64, ok bool, err error) {
	r.fence, r.ok, r.err = fence, ok, err
	close(r.done)
}

// get returns a fence read after it was called, as EventFence does: ok
// is false if it could not be had within fenceWait.
func (f *fences) get(ctx context.Context) (int64, bool, error) {
	r := &fenceRead{done: make(chan struct{})}
	f.mu.Lock()
	f.asked = append(f.asked, r)
	if !f.running {
		f.running = true
		go f.run()
	}
	f.mu.Unlock()
	select {
	case <-r.done:
		return r.fence, r.ok, r.err
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
}

// waiting is a snapshot and the streams it answers, until its deadline.
type waiting struct {
	snap     store.FenceSnapshot
	askers   []*fenceRead
	deadline time.Time
}

// run serves the askers until none is left.
func (f *fences) run() {
	var pending []waiting
	for {
		f.mu.Lock()
		asked := f.asked
		f.asked = nil
		if len(asked) == 0 && len(pending) == 0 {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		if len(asked) > 0 {
			pending = append(pending, f.snapshot(asked))
		} else {
			time.Sleep(time.Millisecond) // between polls of the same holders
		}
		pending = f.settle(pending)
	}
}

// snapshot takes a snapshot for asked; one that fails answers them.
func (f *fences) snapshot(asked []*fenceRead) waiting {
	ctx, cancel := context.WithTimeout(context.Background(), fenceWait)
	defer cancel()
	s, err := f.db.TakeFenceSnapshot(ctx)
	w := waiting{snap: s, askers: asked, deadline: time.Now().Add(fenceWait)}
	if err != nil {
		w.answer(0, false, err)
	}
	return w
}

// settle answers the snapshots whose holders have ended (a snapshot with
// none at once) or whose deadline passed, and returns the others.
func (f *fences) settle(pending []waiting) []waiting {
	holding, err := f.holding(pending)
	left := pending[:0]
	now := time.Now()
	for _, w := range pending {
		switch {
		case w.askers == nil: // answered by snapshot
		case err != nil:
			w.answer(0, false, err)
		case w.snap.Settled(holding):
			w.answer(w.snap.Last, true, nil)
		case now.After(w.deadline):
			w.answer(0, false, nil)
		default:
			left = append(left, w)
		}
	}
	return left
}

// holding reads the holders of event ids now, if a snapshot waits for any.
func (f *fences) holding(pending []waiting) ([]string, error) {
	for _, w := range pending {
		if w.askers != nil && len(w.snap.Holders) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), fenceWait)
			defer cancel()
			return f.db.EventIDHolders(ctx)
		}
	}
	return nil, nil
}

// answer answers w's askers once; a later answer does nothing.
func (w *waiting) answer(fence int64, ok bool, err error) {
	for _, r := range w.askers {
		r.answer(fence, ok, err)
	}
	w.askers = nil
}

package store

import "minipay/ledger"

// The dispatcher forms the writer's batches so that the batches in flight
// touch disjoint accounts. Two batches that shared an account used to
// overlap only on paper: the second waited in the database for the
// first's row lock until its commit, and neither grew. Now an op whose
// accounts an in-flight batch holds waits here, in Go, for a later batch;
// the ops queued meanwhile join it, so a hot account becomes one large
// batch at a time while the other workers take the disjoint rest.
//
// Order: an op never overtakes an earlier op that shares an account with
// it — an op left waiting holds its accounts against every later op — so
// each account's commands are applied in arrival order.

// claim is what an op holds while its batch is in flight: the user
// accounts its command touches (system accounts are never locked), or
// every account when its command names a transfer or settlement share,
// whose row tells the batch which accounts to lock only once it is locked.
// An expiry names the one account it changes, the sender's (the sweep
// read it with the transfer), and holds only that: the transfer's row is
// locked by no other command that can be in flight beside it (the others
// on a transfer hold every account, and a second expiry of it the same
// sender's), so expiries of different senders overlap.
type claim struct {
	accounts []int64
	all      bool
}

func claimOf(cmd ledger.Command) claim {
	switch cmd.(type) {
	case ledger.Expire:
	case ledger.TransferCommand, ledger.ShareCommand:
		return claim{all: true}
	}
	var c claim
	for _, id := range cmd.Touches() {
		if !ledger.IsSystem(id) {
			c.accounts = append(c.accounts, id)
		}
	}
	return c
}

// dispatcher is the state of the writer's dispatch goroutine (writer.go):
// the ops not yet in a batch and the claims of the batches in flight.
type dispatcher struct {
	pending  []*op // in arrival order
	held     map[int64]bool
	heldAll  bool // a batch in flight claims every account
	inFlight int
	// checked ops at the head of pending were left waiting by the last
	// next, on the accounts in waiting (every account if waitingAll).
	// They stay waiting until a batch is done, so next checks only the
	// ops that arrived since: under a hot account's load, the queue of
	// waiting ops is not scanned again for every arrival.
	checked    int
	waiting    map[int64]bool
	waitingAll bool
}

func newDispatcher() *dispatcher {
	d := &dispatcher{held: map[int64]bool{}}
	d.recheck()
	return d
}

// next takes from pending, in order, up to max ops that are free: none of
// their accounts held by a batch in flight or by an earlier op left
// waiting. An op claiming every account is free only with no batch in
// flight and no op waiting before it. Ops whose caller gave up are
// answered and dropped. next returns nil if no op is free; the batch it
// returns is in flight until done.
func (d *dispatcher) next(max int) []*op {
	if d.heldAll {
		return nil
	}
	var batch []*op
	rest := d.pending[:d.checked]
	for _, o := range d.pending[d.checked:] {
		if abandoned(o) {
			continue
		}
		if len(batch) < max && d.free(o) {
			batch = append(batch, o)
			continue
		}
		rest = append(rest, o)
		d.waitingAll = d.waitingAll || o.claim.all
		for _, id := range o.claim.accounts {
			d.waiting[id] = true
		}
	}
	clear(d.pending[len(rest):]) // let the dispatched ops go
	d.pending, d.checked = rest, len(rest)
	if len(batch) == max {
		d.recheck() // the ops after a full batch may be free for the next
	}
	if len(batch) > 0 {
		d.hold(batch)
	}
	return batch
}

// recheck makes the next call of next check every pending op again.
func (d *dispatcher) recheck() {
	d.checked, d.waiting, d.waitingAll = 0, map[int64]bool{}, false
}

// free reports whether o may join the batch being formed. The batch's
// own accounts are free to it (they are held once it is formed): its ops
// apply in order within it.
func (d *dispatcher) free(o *op) bool {
	if d.waitingAll {
		return false
	}
	if o.claim.all {
		return d.inFlight == 0 && len(d.waiting) == 0
	}
	for _, id := range o.claim.accounts {
		if d.held[id] || d.waiting[id] {
			return false
		}
	}
	return true
}

// hold puts batch in flight, holding its claims. A batch claiming every
// account is the only one in flight (free).
func (d *dispatcher) hold(batch []*op) {
	d.inFlight++
	for _, o := range batch {
		d.heldAll = d.heldAll || o.claim.all
		for _, id := range o.claim.accounts {
			d.held[id] = true
		}
	}
}

// done releases the claims of a batch that is no longer in flight: the
// ops waiting may be free now.
func (d *dispatcher) done(batch []*op) {
	d.recheck()
	d.inFlight--
	for _, o := range batch {
		for _, id := range o.claim.accounts {
			delete(d.held, id)
		}
	}
	if d.inFlight == 0 {
		d.heldAll = false
	}
}

// abandoned answers o with its caller's error if the caller gave up while
// it was queued: nothing waits for its outcome, and a database that
// stalled does not then replay a backlog nobody wants.
func abandoned(o *op) bool {
	err := o.ctx.Err()
	if err == nil {
		return false
	}
	metricCommands.WithLabelValues("abandoned").Inc()
	o.out <- outcome{err: err}
	return true
}

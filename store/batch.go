package store

import (
	"context"
	"time"

	"minipay/ledger"
)

// batch is one database transaction of the writer. Its steps, in order:
// lock what its commands act on (lock.go), apply them through the ledger
// in arrival order (apply, below), write back what they did and commit
// (writeback.go). It talks to the database in exchanges (session.go): on
// PostgreSQL a round trip to lock and load, one to write and commit.
// Rejections are outcomes, not errors; an error means nothing was
// written.
type batch struct {
	ops     []*op
	s       session
	dialect dialect
	now     time.Time
	// book holds the locked accounts, transfers and shares the ledger
	// works on; records the batch's idempotency keys, stored or new.
	book    *ledger.Book
	records map[string]*idemRecord
	// expired are the batch's keys found stored but past the window, to
	// delete before the batch stores them anew. ids are the ids it holds
	// for what it records (writeback.go).
	expired []string
	ids     *newIDs
	// tallies are the shares of the settlements the batch acts on.
	tallies map[int64]tally
	// applied are the commands the ledger accepted; outs every op's
	// outcome, by position.
	applied []applied
	outs    []outcome
}

// idemRecord is a stored idempotency key: the request's fingerprint and
// the result it produced.
type idemRecord struct {
	hash   string
	result Result
	fresh  bool // written by this batch
}

// applied is one command's effect in a batch: its transactions and events
// (outbox.go). Its result and events get ids when the batch writes back.
type applied struct {
	op     int
	txns   []ledger.Txn
	events []NewEvent
	result *Result
}

// apply runs one batch in one transaction and returns each op's outcome.
func (w *Writer) apply(ctx context.Context, ops []*op) ([]outcome, error) {
	b := &batch{ops: ops, dialect: w.db.dialect, now: w.clock.Now(), outs: make([]outcome, len(ops)), ids: &newIDs{}}
	err := w.db.dialect.session(ctx, w.db.writes, func(s session) error {
		b.s = s
		if err := b.lock(ctx, w.loc); err != nil {
			return err
		}
		for i := range ops {
			b.apply(i)
		}
		return b.writeBack(ctx)
	})
	if err != nil {
		return nil, err
	}
	committed := time.Now()
	if len(b.applied) > 0 {
		w.db.events.fire()
	}
	return b.outcomes(committed), nil
}

// apply runs op i through the ledger, unless its idempotency key was used
// before: then it is a replay (same fingerprint) or a mismatch.
func (b *batch) apply(i int) {
	o := b.ops[i]
	if rec, ok := b.records[o.key]; ok && o.key != "" {
		if rec.hash != o.hash {
			b.outs[i].err = keyMismatch()
		} else {
			b.outs[i].result.Replayed = true // filled in by outcomes, once ids are known
		}
		return
	}
	receipt, txns, err := b.book.Apply(o.cmd)
	if err != nil {
		b.outs[i].err = err
		return
	}
	b.applied = append(b.applied, applied{op: i, txns: txns, events: b.eventsOf(o.cmd, receipt, txns), result: &Result{Receipt: receipt}})
	if o.key != "" {
		b.records[o.key] = &idemRecord{hash: o.hash, fresh: true}
	}
}

// outcomes are the ops' outcomes once the batch is committed: replays
// answer their key's first result, which may be from this very batch.
func (b *batch) outcomes(committed time.Time) []outcome {
	for _, a := range b.applied {
		b.outs[a.op].result = *a.result
		b.outs[a.op].result.CommittedAt = committed
	}
	for i, o := range b.ops {
		if b.outs[i].result.Replayed {
			b.outs[i].result = b.records[o.key].result
			b.outs[i].result.Replayed = true
		}
	}
	return b.outs
}

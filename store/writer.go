package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
)

// Writer is the engine's group commit: it is the only code that writes
// balances. Callers hand it ledger commands; it gathers whatever commands
// are waiting into a batch and applies the whole batch in one database
// transaction — load and lock the touched accounts in id order, run each
// command through the ledger in arrival order, write back with a few
// set-based statements. A hot account then costs one row write per batch,
// not one per transfer.
//
// Read on in order: this file (queue, batching, retries), batch.go (one
// batch's steps), lock.go, writeback.go, sqlwrite.go.
type Writer struct {
	db       *DB
	clock    clock.Clock
	loc      *time.Location
	maxBatch int
	log      *slog.Logger

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *op
	done   sync.WaitGroup
}

// WriterConfig tunes a Writer. Zero values take defaults.
type WriterConfig struct {
	// MaxBatch caps the commands in one database transaction.
	MaxBatch int
	// Workers is how many batches may be in flight at once. Batches that
	// touch the same account serialise on its row lock; disjoint ones
	// overlap their round trips. SQLite always uses one.
	Workers int
	Logger  *slog.Logger
}

// Idempotency makes a command safe to retry. Key is the client's
// Idempotency-Key ("" for none), scoped to the user; Fingerprint
// identifies the request it came with, so a key reused for another
// request can be told apart from a retry.
type Idempotency struct {
	Key, Fingerprint string
}

// Result is a command's outcome: the ledger's receipt and the ids the
// store assigned to what it recorded.
type Result struct {
	Receipt ledger.Receipt
	// TransactionID is the command's own transaction, ChargeID the
	// automatic charge it made first, if any; TransferID the transfer it
	// created or acted on, if any.
	TransactionID, ChargeID, TransferID int64
	// Replayed is true when the key had been used for this request
	// before: the result is the first one, and nothing moved now.
	Replayed bool
}

// op is one submitted command waiting for its outcome.
type op struct {
	cmd  ledger.Command
	user int64
	key  string // scoped idempotency key, "" if none
	hash string // request fingerprint compared on replay
	out  chan outcome
}

type outcome struct {
	result Result
	err    error
}

// NewWriter starts a writer over db. Close it to drain it.
func NewWriter(db *DB, clk clock.Clock, loc *time.Location, cfg WriterConfig) *Writer {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if m := db.dialect.maxWriters(); m > 0 {
		cfg.Workers = min(cfg.Workers, m)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Writer{db: db, clock: clk, loc: loc, maxBatch: cfg.MaxBatch, log: cfg.Logger,
		queue: make(chan *op, 4*cfg.MaxBatch)}
	for range cfg.Workers {
		w.done.Add(1)
		go w.loop()
	}
	return w
}

// ErrClosed is returned for commands submitted after Close.
var ErrClosed = errors.New("writer is closed")

// Do applies cmd on behalf of user. With an idempotency key, a command
// already applied under the same key returns its first result (Replayed)
// and moves nothing; the same key with another fingerprint fails with
// idempotency_mismatch. The key is checked in the same database
// transaction that moves the money.
func (w *Writer) Do(ctx context.Context, user int64, idem Idempotency, cmd ledger.Command) (Result, error) {
	o := &op{cmd: cmd, user: user, out: make(chan outcome, 1)}
	if idem.Key != "" {
		o.key = fmt.Sprintf("%d:%s", user, idem.Key)
		o.hash = idem.Fingerprint
	}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return Result{}, ErrClosed
	}
	w.queue <- o
	w.mu.RUnlock()
	select {
	case r := <-o.out:
		return r.result, r.err
	case <-ctx.Done():
		// The command may still be applied; a retry with the same
		// idempotency key will tell.
		return Result{}, ctx.Err()
	}
}

// Close stops taking commands, applies those already queued, and waits.
func (w *Writer) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	w.done.Wait()
}

// loop takes whatever is queued, up to maxBatch commands, as one batch.
func (w *Writer) loop() {
	defer w.done.Done()
	for first := range w.queue {
		ops := []*op{first}
	gather:
		for len(ops) < w.maxBatch {
			select {
			case o, ok := <-w.queue:
				if !ok {
					break gather
				}
				ops = append(ops, o)
			default:
				break gather
			}
		}
		w.run(ops)
	}
}

// run applies a batch, retrying it whole on retryable errors and falling
// back to one command per transaction if it keeps failing, so one bad
// command cannot sink its neighbours.
func (w *Writer) run(ops []*op) {
	start := time.Now()
	outs, err := w.applyWithRetry(ops)
	if err != nil && len(ops) > 1 {
		w.log.Warn("batch failed, applying its commands one by one", "commands", len(ops), "err", err)
		for _, o := range ops {
			w.run([]*op{o})
		}
		return
	}
	metricBatchSize.Observe(float64(len(ops)))
	metricBatchSeconds.Observe(time.Since(start).Seconds())
	for i, o := range ops {
		out := outcome{err: err}
		if err != nil {
			w.log.Error("command failed", "err", err)
			out.err = errs.E(errs.Internal, "the command could not be applied; retry with the same Idempotency-Key")
		} else {
			out = outs[i]
		}
		metricCommands.WithLabelValues(outcomeLabel(out)).Inc()
		o.out <- out
	}
}

func (w *Writer) applyWithRetry(ops []*op) ([]outcome, error) {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			metricRetries.Inc()
			time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
		}
		var outs []outcome
		outs, err = w.apply(ops)
		if err == nil {
			return outs, nil
		}
		if w.db.dialect.missingPartition(err) {
			// The first write of a month no maintenance run prepared:
			// create the month's partitions and try again.
			now := w.clock.Now()
			if perr := w.db.EnsurePartitions(context.Background(), now, now, w.loc); perr != nil {
				return nil, errors.Join(err, perr)
			}
			continue
		}
		if !w.db.dialect.retryable(err) {
			return nil, err
		}
	}
	return nil, err
}

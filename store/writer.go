package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
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
// batch's steps), lock.go, writeback.go, sqlwrite.go, session.go (how a
// batch talks to the database: pipelined exchanges over pgx on PostgreSQL,
// pgsession.go).
type Writer struct {
	db       *DB
	clock    clock.Clock
	loc      *time.Location
	maxBatch int
	timeout  time.Duration // of one batch, retries included
	log      *slog.Logger
	// inflight holds the start of each batch being applied, keyed by its
	// first op, for Ready; outage counts the batches failed for want of a
	// database since the last line logged about it at lastOutageLog.
	inflight      sync.Map
	outage        atomic.Int64
	lastOutageLog atomic.Int64
	// lateMonths counts the months a batch found without partitions: none
	// when the writer's start and the history job prepared them.
	lateMonths atomic.Int64

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *op
	// batches go from the dispatcher to the workers, and come back on
	// finished once applied (dispatch).
	batches, finished chan []*op
	done              sync.WaitGroup
}

// WriterConfig tunes a Writer. Zero values take defaults.
type WriterConfig struct {
	// MaxBatch caps the commands in one database transaction.
	MaxBatch int
	// Workers is how many batches may be in flight at once, overlapping
	// their round trips; the batches in flight touch disjoint accounts
	// (dispatch.go). SQLite always uses one.
	Workers int
	// BatchTimeout bounds one batch, retries included: a database that
	// stalls fails the batch's commands as unavailable instead of holding
	// them (default DefaultBatchTimeout).
	BatchTimeout time.Duration
	Logger       *slog.Logger
}

// DefaultBatchTimeout is a batch's deadline unless WriterConfig says
// otherwise: a healthy batch takes milliseconds.
const DefaultBatchTimeout = 3 * time.Second

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
	// CommittedAt is when the batch's commit returned, on this process's
	// clock (time.Now, not the injected clock: it measures latency, such
	// as commit to a stream's client); zero for a replay.
	CommittedAt time.Time
}

// op is one submitted command waiting for its outcome; ctx is its
// caller's, which may give up before the op is applied.
type op struct {
	ctx   context.Context
	cmd   ledger.Command
	claim claim // the accounts it holds in flight (dispatch.go)
	user  int64
	key   string // scoped idempotency key, "" if none
	hash  string // request fingerprint compared on replay
	out   chan outcome
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
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = DefaultBatchTimeout
	}
	w := &Writer{db: db, clock: clk, loc: loc, maxBatch: cfg.MaxBatch, timeout: cfg.BatchTimeout, log: cfg.Logger,
		queue: make(chan *op, 4*cfg.MaxBatch), batches: make(chan []*op, cfg.Workers), finished: make(chan []*op, cfg.Workers)}
	w.preparePartitions()
	w.done.Add(1 + cfg.Workers)
	go func() {
		defer w.done.Done()
		w.dispatch(cfg.Workers)
	}()
	for range cfg.Workers {
		go w.work()
	}
	return w
}

// preparePartitions creates this and the next PartitionsAhead months'
// history partitions before the first batch, so batches do not create
// them on their path: servers starting at once on a fresh database queue
// in EnsurePartitions, not race. Failing, it leaves it to the batches.
func (w *Writer) preparePartitions() {
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	now := w.clock.Now()
	if err := w.db.EnsurePartitions(ctx, now, now.AddDate(0, PartitionsAhead, 0), w.loc); err != nil {
		w.log.Error("preparing history partitions failed; the first batch of a month will create them", "err", err)
	}
}

// ErrClosed is returned for commands submitted after Close.
var ErrClosed = errors.New("writer is closed")

// Do applies cmd on behalf of user. With an idempotency key, a command
// already applied under the same key returns its first result (Replayed)
// and moves nothing; the same key with another fingerprint fails with
// idempotency_mismatch. The key is checked in the same database
// transaction that moves the money. Do returns ctx's error as soon as ctx
// ends; the command is then applied or not, and a retry with the same key
// tells which.
func (w *Writer) Do(ctx context.Context, user int64, idem Idempotency, cmd ledger.Command) (Result, error) {
	o := &op{ctx: ctx, cmd: cmd, claim: claimOf(cmd), user: user, out: make(chan outcome, 1)}
	if idem.Key != "" {
		o.key = userKey(user, idem.Key)
		o.hash = idem.Fingerprint
	}
	if err := w.enqueue(o); err != nil {
		return Result{}, err
	}
	return o.wait()
}

// DoAll applies the commands of a scheduled job (no user, no idempotency
// key) as Do would, each on its own, and returns each one's error. It
// queues them all before it waits for any: a chunk of a job needs no
// goroutine per command, whose stacks the garbage collector would scan.
func (w *Writer) DoAll(ctx context.Context, cmds []ledger.Command) []error {
	ops := make([]*op, 0, len(cmds))
	out := make([]error, len(cmds))
	for i, cmd := range cmds {
		o := &op{ctx: ctx, cmd: cmd, claim: claimOf(cmd), out: make(chan outcome, 1)}
		if err := w.enqueue(o); err != nil {
			for j := i; j < len(cmds); j++ {
				out[j] = err // not queued, so not applied
			}
			break
		}
		ops = append(ops, o)
	}
	for i, o := range ops {
		_, out[i] = o.wait()
	}
	return out
}

// enqueue hands o to the dispatcher, unless the writer is closed or o's
// context ends first.
func (w *Writer) enqueue(o *op) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.queue <- o:
		return nil
	case <-o.ctx.Done():
		return o.ctx.Err()
	}
}

// wait returns o's outcome, or its context's error as soon as that ends.
func (o *op) wait() (Result, error) {
	select {
	case r := <-o.out:
		return r.result, r.err
	case <-o.ctx.Done():
		return Result{}, o.ctx.Err()
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

// dispatch forms batches from the queue (dispatch.go) and hands each to
// an idle worker, as soon as one is idle: a batch holds whatever was
// queued while the workers were busy, so batches grow with the load. It
// stops reading the queue while maxPending ops wait for their accounts,
// so callers feel the backlog. Once the queue is closed and every op is
// applied, it stops the workers.
func (w *Writer) dispatch(workers int) {
	defer close(w.batches)
	d := newDispatcher()
	queue, idle := w.queue, workers
	for queue != nil || len(d.pending) > 0 || idle < workers {
		for idle > 0 {
			ops := d.next(w.maxBatch)
			if ops == nil {
				break
			}
			idle--
			w.batches <- ops // buffered for every worker: never blocks
		}
		in := queue
		if len(d.pending) >= w.maxPending() {
			in = nil
		}
		select {
		case o, ok := <-in:
			if !ok {
				queue = nil
				continue
			}
			d.pending = append(d.pending, o)
			queue = w.gather(d, queue)
		case ops := <-w.finished:
			d.done(ops)
			idle++
		}
	}
}

// gather adds to d whatever else is queued, without waiting, and returns
// queue, or nil once it is closed.
func (w *Writer) gather(d *dispatcher, queue chan *op) chan *op {
	for len(d.pending) < w.maxPending() {
		select {
		case o, ok := <-queue:
			if !ok {
				return nil
			}
			d.pending = append(d.pending, o)
		default:
			return queue
		}
	}
	return queue
}

// maxPending is how many ops the dispatcher holds before it stops
// reading the queue: as many as the queue itself.
func (w *Writer) maxPending() int { return cap(w.queue) }

// work applies the batches the dispatcher hands it, one at a time.
func (w *Writer) work() {
	defer w.done.Done()
	for ops := range w.batches {
		w.run(ops)
		w.finished <- ops
	}
}

// Ready reports an error if the writer takes no commands: closed, or a
// batch still running past its deadline (a database call that ignores its
// context).
func (w *Writer) Ready() error {
	w.mu.RLock()
	closed := w.closed
	w.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	var err error
	w.inflight.Range(func(_, v any) bool {
		if since := time.Since(v.(time.Time)); since > w.timeout+time.Second {
			err = fmt.Errorf("the writer is stuck on a batch for %v", since.Round(time.Millisecond))
		}
		return err == nil
	})
	return err
}

// run applies a batch under its deadline, retrying it whole on retryable
// errors. If it still fails for a reason of its own, it falls back to one
// command per transaction, so one bad command cannot sink its neighbours;
// if the database did not answer, every command fails as unavailable,
// with one log line a second at most.
func (w *Writer) run(ops []*op) {
	start := time.Now()
	w.inflight.Store(ops[0], start)
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	outs, err := w.applyWithRetry(ctx, ops)
	unavailable := err != nil && (ctx.Err() != nil || Unavailable(err))
	cancel()
	w.inflight.Delete(ops[0])
	if unavailable {
		w.logOutage(len(ops), err)
		w.fail(ops, errs.E(errs.Unavailable, "the database did not answer in time; retry with the same Idempotency-Key"))
		return
	}
	if err != nil && len(ops) > 1 {
		w.log.Warn("batch failed, applying its commands one by one", "commands", len(ops), "err", err)
		for _, o := range ops {
			w.run([]*op{o})
		}
		return
	}
	metricBatchSize.Observe(float64(len(ops)))
	metricBatchSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		w.log.Error("command failed", "err", err)
		w.fail(ops, errs.E(errs.Internal, "the command could not be applied; retry with the same Idempotency-Key"))
		return
	}
	for i, o := range ops {
		metricCommands.WithLabelValues(outcomeLabel(outs[i])).Inc()
		o.out <- outs[i]
	}
}

// fail answers every op with err.
func (w *Writer) fail(ops []*op, err error) {
	metricCommands.WithLabelValues(string(errs.CodeOf(err))).Add(float64(len(ops)))
	for _, o := range ops {
		o.out <- outcome{err: err}
	}
}

// logOutage logs a batch that failed for want of a database, at most one
// line a second: an outage under load fails hundreds of batches.
func (w *Writer) logOutage(commands int, err error) {
	w.outage.Add(1)
	now, last := time.Now().UnixNano(), w.lastOutageLog.Load()
	if now-last < int64(time.Second) || !w.lastOutageLog.CompareAndSwap(last, now) {
		return
	}
	w.log.Error("database unavailable: writer batches failed", "batches", w.outage.Swap(0), "commands", commands, "err", err)
}

func (w *Writer) applyWithRetry(ctx context.Context, ops []*op) ([]outcome, error) {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			metricRetries.Inc()
			time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
		}
		var outs []outcome
		outs, err = w.apply(ctx, ops)
		if err == nil || ctx.Err() != nil {
			return outs, err
		}
		if w.db.dialect.missingPartition(err) {
			// The first write of a month neither the writer's start
			// nor the history job prepared (a clock moved past them):
			// create the month's partitions and try again.
			w.lateMonths.Add(1)
			w.log.Warn("a batch found no history partition for its month and creates it")
			now := w.clock.Now()
			if perr := w.db.EnsurePartitions(ctx, now, now, w.loc); perr != nil {
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

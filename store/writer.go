package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

var (
	metricBatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "minipay_writer_batch_commands",
		Help:    "Commands per writer batch (one database transaction).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11),
	})
	metricBatchSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "minipay_writer_batch_seconds",
		Help:    "Time to apply and commit one writer batch.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	metricCommands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minipay_writer_commands_total",
		Help: "Commands applied by the writer, by outcome code (ok, replayed or an error code).",
	}, []string{"outcome"})
	metricRetries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minipay_writer_batch_retries_total",
		Help: "Batches retried after a retryable database error.",
	})
)

// Collectors are the writer's Prometheus metrics, for the server to register.
var Collectors = []prometheus.Collector{metricBatchSize, metricBatchSeconds, metricCommands, metricRetries}

// NewWriter starts a writer over db. Close it to drain it.
func NewWriter(db *DB, clk clock.Clock, loc *time.Location, cfg WriterConfig) *Writer {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1000
	}
	if cfg.Workers <= 0 || db.d.name() == "sqlite" {
		cfg.Workers = 1
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

func (w *Writer) loop() {
	defer w.done.Done()
	for first := range w.queue {
		batch := []*op{first}
	gather:
		for len(batch) < w.maxBatch {
			select {
			case o, ok := <-w.queue:
				if !ok {
					break gather
				}
				batch = append(batch, o)
			default:
				break gather
			}
		}
		w.run(batch)
	}
}

// run applies a batch, retrying it whole on retryable errors and falling
// back to one command per transaction if it keeps failing, so one bad
// command cannot sink its neighbours.
func (w *Writer) run(batch []*op) {
	start := time.Now()
	outs, err := w.applyWithRetry(batch)
	if err != nil && len(batch) > 1 {
		w.log.Warn("batch failed, applying its commands one by one", "commands", len(batch), "err", err)
		for _, o := range batch {
			w.run([]*op{o})
		}
		return
	}
	metricBatchSize.Observe(float64(len(batch)))
	metricBatchSeconds.Observe(time.Since(start).Seconds())
	for i, o := range batch {
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

func outcomeLabel(o outcome) string {
	switch {
	case o.err != nil:
		return string(errs.CodeOf(o.err))
	case o.result.Replayed:
		return "replayed"
	}
	return "ok"
}

func (w *Writer) applyWithRetry(batch []*op) ([]outcome, error) {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			metricRetries.Inc()
			time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
		}
		var outs []outcome
		outs, err = w.apply(batch)
		if err == nil {
			return outs, nil
		}
		if missingPartition(err) {
			// The first write of a month no maintenance run prepared:
			// create the month's partitions and try again.
			now := w.clock.Now()
			if perr := w.db.EnsurePartitions(context.Background(), now, now, w.loc); perr != nil {
				return nil, errors.Join(err, perr)
			}
			continue
		}
		if !w.db.d.retryable(err) {
			return nil, err
		}
	}
	return nil, err
}

// idemRecord is a stored idempotency key: the request's fingerprint and
// the result it produced.
type idemRecord struct {
	hash   string
	result Result
	fresh  bool // written by this batch
}

// applied is one command's effect in a batch; its result gets ids once
// they are allocated.
type applied struct {
	op     int
	txns   []ledger.Txn
	result *Result
}

// apply runs one batch in one transaction and returns each op's outcome.
// Rejections are outcomes, not errors; an error means nothing was written.
func (w *Writer) apply(batch []*op) ([]outcome, error) {
	ctx := context.Background()
	now := w.clock.Now()
	tx, err := w.db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	// Every batch locks settlement shares first, then transfers, then
	// accounts, each in id order, so concurrent batches and servers cannot
	// deadlock.
	var shareIDs, transferIDs, ids []int64
	var keys []string
	for _, o := range batch {
		if sc, ok := o.cmd.(ledger.ShareCommand); ok {
			shareIDs = append(shareIDs, sc.ShareRef())
		}
		if tc, ok := o.cmd.(ledger.TransferCommand); ok {
			transferIDs = append(transferIDs, tc.TransferRef())
		}
		for _, id := range o.cmd.Touches() {
			if !ledger.IsSystem(id) {
				ids = append(ids, id)
			}
		}
		if o.key != "" {
			keys = append(keys, o.key)
		}
	}
	slices.Sort(shareIDs)
	shares, err := lockShares(ctx, tx, w.db.d, slices.Compact(shareIDs))
	if err != nil {
		return nil, err
	}
	for _, sh := range shares {
		ids = append(ids, sh.RequesterAccount)
	}
	slices.Sort(transferIDs)
	transfers, err := lockTransfers(ctx, tx, w.db.d, slices.Compact(transferIDs))
	if err != nil {
		return nil, err
	}
	for _, t := range transfers {
		ids = append(ids, t.FromAccount, t.ToAccount)
	}
	slices.Sort(ids)
	accounts, err := lockAccounts(ctx, tx, w.db.d, slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	records, err := loadIdempotency(ctx, tx, w.db.d, keys)
	if err != nil {
		return nil, err
	}

	book := ledger.NewBook(accounts, now, w.loc)
	book.Transfers, book.Shares = transfers, shares
	outs := make([]outcome, len(batch))
	var done []applied
	for i, o := range batch {
		if rec, ok := records[o.key]; ok && o.key != "" {
			if rec.hash != o.hash {
				outs[i].err = errs.E(errs.IdempotencyMismatch, "this Idempotency-Key was used for a different request")
			} else {
				outs[i].result.Replayed = true // result copied below, once ids are known
			}
			continue
		}
		receipt, txns, err := book.Apply(o.cmd)
		if err != nil {
			outs[i].err = err
			continue
		}
		done = append(done, applied{op: i, txns: txns, result: &Result{Receipt: receipt}})
		if o.key != "" {
			records[o.key] = &idemRecord{hash: o.hash, fresh: true}
		}
	}

	if err := w.write(ctx, tx, batch, book, done, records, now); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, a := range done {
		outs[a.op].result = *a.result
	}
	for i, o := range batch {
		if outs[i].result.Replayed {
			outs[i].result = records[o.key].result
			outs[i].result.Replayed = true
		}
	}
	return outs, nil
}

// write records a batch's transactions, entries, balances and idempotency
// keys with a fixed handful of statements, whatever the batch size.
func (w *Writer) write(ctx context.Context, tx *sql.Tx, batch []*op, book *ledger.Book, done []applied, records map[string]*idemRecord, now time.Time) error {
	var nTxns, nTransfers int
	for _, a := range done {
		nTxns += len(a.txns)
		for _, t := range a.txns {
			if t.Transfer != nil {
				nTransfers++
			}
		}
	}
	var txnIDs, transferIDs []int64
	if nTxns > 0 { // a transfer always comes with its transaction
		var err error
		if txnIDs, transferIDs, err = w.allocIDs(ctx, tx, nTxns, nTransfers); err != nil {
			return err
		}
	}
	at := micros(now)
	var txnRows, entryRows, transferRows, noticeRows [][]any
	for _, a := range done {
		for _, t := range a.txns {
			id := txnIDs[0]
			txnIDs = txnIDs[1:]
			transferID := t.TransferID
			if r := t.Transfer; r != nil {
				transferID = transferIDs[0]
				transferIDs = transferIDs[1:]
				transferRows = append(transferRows, []any{transferID, r.FromUser, r.FromAccount, r.ToUser, r.ToAccount,
					r.Amount, r.Charged, r.Status, r.SenderName, r.DisplayName, r.Memo, at, nullMicros(r.ExpiresAt), nullID(r.Share)})
			}
			if transferID != 0 {
				a.result.TransferID = transferID
			}
			txnRows = append(txnRows, []any{id, string(t.Kind), nullID(batch[a.op].user), nullID(transferID), at})
			for _, e := range t.Entries {
				var after any
				if !ledger.IsSystem(e.Account) {
					after = e.BalanceAfter
				}
				entryRows = append(entryRows, []any{id, e.Account, e.Amount, after, at})
			}
			for _, n := range t.Notices {
				if n.TransferID == 0 {
					n.TransferID = transferID
				}
				row, err := noticeRow(n, at)
				if err != nil {
					return err
				}
				noticeRows = append(noticeRows, row)
			}
			// A command's own transaction is its last; earlier ones are
			// the automatic charge it needed.
			if t.Kind == ledger.TxnCharge && len(a.txns) > 1 {
				a.result.ChargeID = id
			} else {
				a.result.TransactionID = id
			}
		}
		if key := batch[a.op].key; key != "" {
			records[key].result = *a.result
		}
	}
	for _, n := range book.Notices {
		row, err := noticeRow(n, at)
		if err != nil {
			return err
		}
		noticeRows = append(noticeRows, row)
	}
	var accountRows, transferUpdates, shareUpdates, installmentRows, keyRows [][]any
	for id := range book.Dirty {
		a := book.Accounts[id]
		accountRows = append(accountRows, []any{id, a.Balance, a.Status, a.ChargeDay, a.Charged,
			a.Principal, a.InterestDay, a.InterestCarry, a.InterestPaid, a.InstallmentDay, a.MissedInstallments})
	}
	for id := range book.DirtyTransfers {
		transferUpdates = append(transferUpdates, []any{id, book.Transfers[id].Status, at})
	}
	for id := range book.DirtyShares {
		shareUpdates = append(shareUpdates, []any{id, book.Shares[id].Status, at})
	}
	for _, r := range book.Installments {
		installmentRows = append(installmentRows, []any{r.Account, r.Day, r.Status, r.Amount, r.Charged, at})
	}
	for key, rec := range records {
		if rec.fresh {
			body, err := encodeResult(rec.result)
			if err != nil {
				return err
			}
			keyRows = append(keyRows, []any{key, rec.hash, body, at})
		}
	}
	// A fixed handful of set-based statements (one round trip on
	// PostgreSQL). The idempotency keys are a plain INSERT: if another
	// server stored the same key since this batch looked, the unique
	// violation rolls the batch back and its retry sees the key and
	// replays it.
	return execWrites(ctx, tx, w.db.d,
		write{table: "transfers", cols: newTransferColumns, rows: transferRows},
		write{table: "transactions", cols: []column{{"id", "bigint"}, {"kind", "text"}, {"user_id", "bigint"}, {"transfer_id", "bigint"}, {"created_at", "bigint"}}, rows: txnRows},
		write{table: "entries", cols: []column{{"transaction_id", "bigint"}, {"account_id", "bigint"}, {"amount", "bigint"}, {"balance_after", "bigint"}, {"created_at", "bigint"}}, rows: entryRows},
		write{table: "accounts", update: true, rows: accountRows, cols: []column{{"id", "bigint"}, {"balance", "bigint"}, {"status", "text"}, {"charge_day", "text"}, {"charged", "bigint"},
			{"principal", "bigint"}, {"interest_day", "text"}, {"interest_carry", "bigint"}, {"interest_paid", "bigint"},
			{"installment_day", "text"}, {"missed_installments", "bigint"}}},
		write{table: "transfers", cols: settledColumns, rows: transferUpdates, update: true},
		write{table: "settlement_shares", cols: settledColumns, rows: shareUpdates, update: true},
		write{table: "notifications", cols: noticeColumns, rows: noticeRows},
		write{table: "installments", cols: []column{{"account_id", "bigint"}, {"day", "text"}, {"status", "text"}, {"amount", "bigint"}, {"charged", "bigint"}, {"created_at", "bigint"}}, rows: installmentRows},
		write{table: "idempotency_keys", cols: []column{{"key", "text"}, {"request_hash", "text"}, {"receipt", "text"}, {"created_at", "bigint"}}, rows: keyRows},
	)
}

// Columns the writer writes in more than one place.
var (
	newTransferColumns = []column{{"id", "bigint"}, {"from_user", "bigint"}, {"from_account", "bigint"},
		{"to_user", "bigint"}, {"to_account", "bigint"}, {"amount", "bigint"}, {"charged", "bigint"}, {"status", "text"},
		{"sender_name", "text"}, {"display_name", "text"}, {"memo", "text"}, {"created_at", "bigint"}, {"expires_at", "bigint"}, {"share_id", "bigint"}}
	settledColumns = []column{{"id", "bigint"}, {"status", "text"}, {"settled_at", "bigint"}}
)

// allocIDs reserves nTxns transaction ids and nTransfers transfer ids in
// one round trip.
func (w *Writer) allocIDs(ctx context.Context, tx *sql.Tx, nTxns, nTransfers int) (txnIDs, transferIDs []int64, err error) {
	if w.db.d.name() == "sqlite" {
		// The writer's transaction is exclusive, so MAX+1 is ours alone.
		var maxTxn, maxTransfer int64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(id), 0) FROM transactions), (SELECT COALESCE(MAX(id), 0) FROM transfers)`).
			Scan(&maxTxn, &maxTransfer); err != nil {
			return nil, nil, err
		}
		for i := range nTxns {
			txnIDs = append(txnIDs, maxTxn+1+int64(i))
		}
		for i := range nTransfers {
			transferIDs = append(transferIDs, maxTransfer+1+int64(i))
		}
		return txnIDs, transferIDs, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT FALSE, nextval('transactions_id_seq') FROM generate_series(1, $1)
		UNION ALL SELECT TRUE, nextval('transfers_id_seq') FROM generate_series(1, $2)`, nTxns, nTransfers)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var transfer bool
		var id int64
		if err := rows.Scan(&transfer, &id); err != nil {
			return nil, nil, err
		}
		if transfer {
			transferIDs = append(transferIDs, id)
		} else {
			txnIDs = append(txnIDs, id)
		}
	}
	return txnIDs, transferIDs, rows.Err()
}

const accountColumns = `id, user_id, kind, COALESCE(product, ''), daily_amount, status, balance, charge_day, charged,
	COALESCE((SELECT name FROM users WHERE users.id = accounts.user_id), ''),
	COALESCE((SELECT transfers_require_acceptance FROM users WHERE users.id = accounts.user_id), FALSE),
	principal, interest_day, interest_carry, interest_paid, installment_day, missed_installments`

func scanAccount(s interface{ Scan(...any) error }) (*ledger.Account, error) {
	var a ledger.Account
	var user sql.NullInt64
	if err := s.Scan(&a.ID, &user, &a.Kind, &a.Product, &a.DailyAmount, &a.Status, &a.Balance, &a.ChargeDay, &a.Charged, &a.OwnerName, &a.RequireAcceptance,
		&a.Principal, &a.InterestDay, &a.InterestCarry, &a.InterestPaid, &a.InstallmentDay, &a.MissedInstallments); err != nil {
		return nil, err
	}
	a.UserID = user.Int64
	return &a, nil
}

// lockAccounts loads the given accounts, locking them in id order so that
// concurrent batches (and servers) cannot deadlock.
func lockAccounts(ctx context.Context, tx *sql.Tx, d dialect, ids []int64) (map[int64]*ledger.Account, error) {
	accounts := make(map[int64]*ledger.Account, len(ids))
	if len(ids) == 0 {
		return accounts, nil
	}
	set, arg := d.list(1, "bigint", ids)
	rows, err := tx.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id IN `+set+` ORDER BY id`+d.forUpdate(), arg)
	if err != nil {
		return nil, fmt.Errorf("lock accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		accounts[a.ID] = a
	}
	return accounts, rows.Err()
}

// lockTransfers loads and locks the existing transfers a batch acts on.
func lockTransfers(ctx context.Context, tx *sql.Tx, d dialect, ids []int64) (map[int64]*ledger.PendingTransfer, error) {
	transfers := make(map[int64]*ledger.PendingTransfer, len(ids))
	if len(ids) == 0 {
		return transfers, nil
	}
	set, arg := d.list(1, "bigint", ids)
	rows, err := tx.QueryContext(ctx, `SELECT id, from_user, from_account, to_user, to_account, amount, status, display_name, COALESCE(expires_at, 0)
		FROM transfers WHERE id IN `+set+` ORDER BY id`+d.forUpdate(), arg)
	if err != nil {
		return nil, fmt.Errorf("lock transfers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t ledger.PendingTransfer
		var expires int64
		if err := rows.Scan(&t.ID, &t.FromUser, &t.FromAccount, &t.ToUser, &t.ToAccount, &t.Amount, &t.Status, &t.DisplayName, &expires); err != nil {
			return nil, err
		}
		t.ExpiresAt = fromMicros(expires)
		transfers[t.ID] = &t
	}
	return transfers, rows.Err()
}

// lockShares loads and locks the settlement shares a batch acts on.
func lockShares(ctx context.Context, tx *sql.Tx, d dialect, ids []int64) (map[int64]*ledger.Share, error) {
	shares := make(map[int64]*ledger.Share, len(ids))
	if len(ids) == 0 {
		return shares, nil
	}
	set, arg := d.list(1, "bigint", ids)
	rows, err := tx.QueryContext(ctx, `SELECT id, settlement_id, user_id, requester_id, requester_account, amount, status
		FROM settlement_shares WHERE id IN `+set+` ORDER BY id`+d.forUpdate(), arg)
	if err != nil {
		return nil, fmt.Errorf("lock shares: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sh ledger.Share
		if err := rows.Scan(&sh.ID, &sh.Settlement, &sh.User, &sh.Requester, &sh.RequesterAccount, &sh.Amount, &sh.Status); err != nil {
			return nil, err
		}
		shares[sh.ID] = &sh
	}
	return shares, rows.Err()
}

func loadIdempotency(ctx context.Context, tx *sql.Tx, d dialect, keys []string) (map[string]*idemRecord, error) {
	records := map[string]*idemRecord{}
	if len(keys) == 0 {
		return records, nil
	}
	set, arg := d.list(1, "text", keys)
	rows, err := tx.QueryContext(ctx, `SELECT key, request_hash, receipt FROM idempotency_keys WHERE key IN `+set, arg)
	if err != nil {
		return nil, fmt.Errorf("load idempotency keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, body string
		rec := &idemRecord{}
		if err := rows.Scan(&key, &rec.hash, &body); err != nil {
			return nil, err
		}
		if rec.result, err = decodeResult(body); err != nil {
			return nil, err
		}
		records[key] = rec
	}
	return records, rows.Err()
}

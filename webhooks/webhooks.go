// Package webhooks delivers users' events to their webhook endpoints as
// the Standard Webhooks specification says: a POST of the event's JSON
// (as GET /v1/events/{id} gives it) with headers webhook-id (the event
// id, the same on every retry), webhook-timestamp and webhook-signature,
// retried with backoff for three days (schedule.go).
//
// Every server runs a Worker; the database coordinates them
// (store/webhookwork.go). One at a time, by a lease, fans the outbox out
// into delivery rows; each claims endpoints with due deliveries (a lease
// on the endpoint) and sends their deliveries in event order, so two
// servers do not send the same delivery in the normal case, and one that
// dies mid-delivery leaves it pending for another to send once its lease
// runs out. Delivery is at least once: receivers dedupe by webhook-id.
package webhooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"minipay/clock"
	"minipay/egress"
	"minipay/errs"
	"minipay/loop"
	"minipay/store"
)

// Defaults of Config.
const (
	DefaultPoll      = time.Second
	DefaultLease     = time.Minute
	DefaultBatch     = 500
	DefaultEndpoints = 8
	DefaultPerPass   = 20
)

// fanOutName names the fan-out's position and lease in feed_positions.
const fanOutName = "webhooks"

// Config is a worker. Zero values take the defaults.
type Config struct {
	DB *store.DB
	// Egress is where deliveries may go; the worker checks each address
	// it dials against it.
	Egress egress.Policy
	// Poll is how often an idle worker looks for new events and due
	// deliveries.
	Poll time.Duration
	// Lease is how long a claimed endpoint (or the fan-out) is this
	// worker's: a worker that died is replaced after this long.
	Lease time.Duration
	// Batch bounds the event ids one fan-out reads.
	Batch int
	// Endpoints is how many endpoints a worker delivers to at once;
	// PerPass, how many deliveries to one endpoint before it looks again.
	Endpoints, PerPass int
	// Owner names this worker in leases (default host, pid, random).
	Owner string
	Clock clock.Clock
	Log   *slog.Logger
}

// Worker fans events out and delivers them.
type Worker struct {
	cfg    Config
	client *http.Client
	fanOut store.FeedLease // the fan-out's position
}

// New makes a worker; Run runs it.
func New(cfg Config) *Worker {
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Endpoints <= 0 {
		cfg.Endpoints = DefaultEndpoints
	}
	if cfg.PerPass <= 0 {
		cfg.PerPass = DefaultPerPass
	}
	if cfg.Owner == "" {
		cfg.Owner = loop.Owner()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Worker{cfg: cfg, client: newClient(cfg.Egress),
		fanOut: store.FeedLease{DB: cfg.DB, Name: fanOutName, Owner: cfg.Owner, Lease: cfg.Lease}}
}

// Run delivers until ctx ends, then releases its leases. A failing
// database is logged once per streak and retried with backoff; a failing
// receiver is the delivery's business (schedule.go), not the worker's.
func (w *Worker) Run(ctx context.Context) {
	defer w.release()
	loop.Loop{Name: "webhooks", Poll: w.cfg.Poll, Log: w.cfg.Log, Failures: metricFailures}.Run(ctx, w.pass)
}

// pass fans out what it can and delivers what is due; more says work is
// left that the next pass should not wait for.
func (w *Worker) pass(ctx context.Context) (more bool, err error) {
	more, err = w.fanOutNext(ctx)
	if err != nil {
		return false, err
	}
	now := w.cfg.Clock.Now()
	endpoints, err := w.cfg.DB.ClaimWebhookEndpoints(ctx, w.cfg.Owner, now, w.cfg.Lease, w.cfg.Endpoints)
	if err != nil {
		return false, err
	}
	type result struct {
		full bool
		err  error
	}
	results := make(chan result, len(endpoints))
	var wg sync.WaitGroup
	for _, e := range endpoints {
		wg.Go(func() {
			full, err := w.deliver(ctx, e, now.Add(w.cfg.Lease))
			results <- result{full, err}
		})
	}
	wg.Wait()
	close(results)
	for r := range results {
		more, err = more || r.full, errors.Join(err, r.err)
	}
	return more, errors.Join(err, w.measureQueue(ctx))
}

// fanOutNext turns the next window of events into deliveries, if this
// worker holds the fan-out's lease; more says events past the window wait.
func (w *Worker) fanOutNext(ctx context.Context) (more bool, err error) {
	now := w.cfg.Clock.Now()
	upto, fence, err := w.fanOut.Window(ctx, now, w.cfg.Batch)
	if err != nil || fence == 0 {
		return false, err
	}
	pos := w.fanOut.Pos
	metricFanOutLag.Set(float64(fence - pos))
	if upto <= pos {
		return false, nil
	}
	if _, err := w.cfg.DB.FanOutWebhooks(ctx, pos, upto, now); err != nil {
		return false, err
	}
	if ok, err := w.fanOut.Save(ctx, upto, now); err != nil || !ok {
		return false, err // lost the lease: the next pass claims again, from the saved position
	}
	metricFanOutLag.Set(float64(fence - upto))
	return upto < fence, nil
}

// deliver sends e's due deliveries in event order, up to PerPass and as
// long as its lease (until) leaves time for one more attempt; full says
// it stopped with more possibly due.
func (w *Worker) deliver(ctx context.Context, e store.WebhookEndpoint, until time.Time) (full bool, err error) {
	now := w.cfg.Clock.Now()
	due, err := w.cfg.DB.DueWebhookDeliveries(ctx, e.ID, now, w.cfg.PerPass)
	if err != nil {
		return false, err
	}
	for _, d := range due {
		now = w.cfg.Clock.Now()
		if until.Sub(now) < Timeout+time.Second {
			return true, nil // claim again first: the lease might run out mid-attempt
		}
		event, err := w.cfg.DB.Event(ctx, e.UserID, d.EventID)
		a, out := store.WebhookAttempt{DeliveryID: d.ID, EndpointID: e.ID, EventID: d.EventID, At: now}, store.AttemptOutcome{}
		switch {
		case errs.CodeOf(err) == errs.NotFound: // retention took it (an old delivery resent): nothing to send
			a.Error = "the event is no longer kept"
		case err != nil:
			return false, err
		default:
			var ok bool
			if a, ok = w.send(ctx, e, d, event, now); !ok {
				return false, nil // stopping: the delivery stays pending
			}
			out = outcome(&e, d, a)
		}
		if err := w.cfg.DB.RecordWebhookAttempt(ctx, a, out); err != nil {
			return false, err
		}
		count(a, out)
		if out.Disable != nil {
			w.cfg.Log.Warn("webhook endpoint disabled: its deliveries failed for days", "endpoint", e.ID, "user", e.UserID)
			return false, nil
		}
	}
	return len(due) == w.cfg.PerPass, nil
}

// outcome is what attempt a at d leads to, and keeps e's failure streak:
// on failure the next try per the schedule; once that is past, the
// delivery is given up, and if every attempt at e failed since this
// delivery's first (three days), e is disabled and its owner told.
func outcome(e *store.WebhookEndpoint, d store.WebhookDelivery, a store.WebhookAttempt) store.AttemptOutcome {
	switch {
	case a.Succeeded:
		e.FailingSince = time.Time{}
		return store.AttemptOutcome{}
	case e.FailingSince.IsZero():
		e.FailingSince = a.At
	}
	first := d.FirstAttemptAt
	if first.IsZero() {
		first = a.At
	}
	next := nextAttempt(first, a.At, d.Attempts+1)
	if !next.IsZero() || e.FailingSince.After(first) {
		return store.AttemptOutcome{Next: next}
	}
	return store.AttemptOutcome{Disable: &store.NewEvent{Type: store.EventWebhookEndpointDisabled,
		For: []store.EventUser{{User: e.UserID, Data: store.EventData{Endpoint: e.ID,
			Reason: "every delivery attempt failed for three days"}}}}}
}

// release ends this worker's leases, so others take over at once.
func (w *Worker) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := errors.Join(w.cfg.DB.ReleaseWebhookEndpoints(ctx, w.cfg.Owner), w.fanOut.Release(ctx)); err != nil {
		w.cfg.Log.Warn("webhooks: releasing the leases", "err", err)
	}
}

// measureQueue sets the queue's gauges.
func (w *Worker) measureQueue(ctx context.Context) error {
	now := w.cfg.Clock.Now()
	due, oldest, err := w.cfg.DB.WebhookQueue(ctx, now)
	if err != nil {
		return err
	}
	metricDue.Set(float64(due))
	lag := 0.0
	if !oldest.IsZero() {
		lag = now.Sub(oldest).Seconds()
	}
	metricQueueLag.Set(lag)
	return nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
)

// The webhook worker's side (package webhooks). A fan-out, one server at
// a time (a feed_positions lease), turns each window of event ids into
// delivery rows, one per event and endpoint that takes it. Every server
// then claims endpoints with due deliveries (a lease on the endpoint row)
// and sends each endpoint's deliveries in event order, recording every
// attempt beside the delivery's next step in one transaction. A server
// that dies mid-delivery left its delivery pending: once its lease runs
// out another server claims the endpoint and sends it again.

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed" // every attempt of its round failed; given up
)

// WebhookDelivery is one event to send to one endpoint.
type WebhookDelivery struct {
	ID, EndpointID, EventID int64
	Status                  string
	// Attempts and FirstAttemptAt count the current round (a resend
	// starts a new one); NextAttemptAt is zero unless pending.
	Attempts                      int
	FirstAttemptAt, NextAttemptAt time.Time
}

// FanOutWebhooks makes a pending delivery, due at now, for each event with
// an id in (after, upto] and each enabled endpoint of its user that takes
// its type and existed when it happened. Doing a window again adds
// nothing. upto must be at most the read fence.
func (db *DB) FanOutWebhooks(ctx context.Context, after, upto int64, now time.Time) (int64, error) {
	res, err := db.writes.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, created_at, status, next_attempt_at)
		SELECT w.id, e.id, $3, 'pending', $3 FROM events e JOIN webhook_endpoints w ON w.user_id = e.user_id
		WHERE e.id > $1 AND e.id <= $2 AND w.disabled_at IS NULL AND e.occurred_at >= w.created_at AND `+endpointTakes+`
		ORDER BY e.id, w.id
		ON CONFLICT (endpoint_id, event_id) DO NOTHING`, after, upto, micros(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ClaimWebhookEndpoints takes or renews owner's lease, until now+lease, on
// up to limit enabled endpoints with deliveries due at now that no other
// owner's lease holds.
func (db *DB) ClaimWebhookEndpoints(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]WebhookEndpoint, error) {
	rows, err := db.writes.QueryContext(ctx, `UPDATE webhook_endpoints SET owner = $1, lease_until = $2
		WHERE disabled_at IS NULL AND (owner = $1 OR lease_until < $3) AND id IN (SELECT d.endpoint_id
			FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
			WHERE d.next_attempt_at <= $3 AND w.disabled_at IS NULL AND (w.owner = $1 OR w.lease_until < $3)
			GROUP BY d.endpoint_id ORDER BY MIN(d.next_attempt_at) LIMIT $4)
		RETURNING id, user_id, url, secret, previous_secret, previous_until, created_at,
			COALESCE(disabled_at, 0), COALESCE(failing_since, 0)`, owner, micros(now.Add(lease)), micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReleaseWebhookEndpoints ends owner's leases, so other servers take its
// endpoints over at once.
func (db *DB) ReleaseWebhookEndpoints(ctx context.Context, owner string) error {
	_, err := db.writes.ExecContext(ctx, `UPDATE webhook_endpoints SET lease_until = 0 WHERE owner = $1`, owner)
	return err
}

const deliverySelect = `SELECT id, endpoint_id, event_id, status, attempts, COALESCE(first_attempt_at, 0),
	COALESCE(next_attempt_at, 0) FROM webhook_deliveries`

func scanDelivery(s scanner) (WebhookDelivery, error) {
	var d WebhookDelivery
	var first, next int64
	err := s.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.Status, &d.Attempts, &first, &next)
	d.FirstAttemptAt, d.NextAttemptAt = zeroOrTime(first), zeroOrTime(next)
	return d, err
}

// DueWebhookDeliveries returns up to limit of endpoint's deliveries due at
// now, in event order.
func (db *DB) DueWebhookDeliveries(ctx context.Context, endpoint int64, now time.Time, limit int) ([]WebhookDelivery, error) {
	rows, err := db.reads.QueryContext(ctx, deliverySelect+` WHERE endpoint_id = $1 AND next_attempt_at IS NOT NULL
		AND next_attempt_at <= $2 ORDER BY event_id LIMIT $3`, endpoint, micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// WebhookAttempt is one try at a delivery.
type WebhookAttempt struct {
	ID, DeliveryID, EndpointID, EventID int64
	At                                  time.Time
	Duration                            time.Duration
	Succeeded                           bool
	StatusCode                          int    // 0: no response
	Error                               string // why it failed, if it did
	Response                            string // the start of the response body
	// Of the delivery, when listed: its event's type and status now.
	EventType, DeliveryStatus string
}

// AttemptOutcome is what an attempt leads to: Next, when the delivery is
// tried again (zero: it is done, succeeded or given up); Disable, that its
// endpoint has failed for long enough to stop, with this event about it.
type AttemptOutcome struct {
	Next    time.Time
	Disable *NewEvent
}

// RecordWebhookAttempt records a, moves its delivery on as out says and
// keeps the endpoint's failure streak, in one transaction. A delivery no
// longer pending (its endpoint deleted, or resent meanwhile) is left
// alone.
func (db *DB) RecordWebhookAttempt(ctx context.Context, a WebhookAttempt, out AttemptOutcome) error {
	status := DeliverySucceeded
	if !a.Succeeded {
		status = DeliveryFailed
	}
	if !out.Next.IsZero() {
		status = DeliveryPending
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1,
			first_attempt_at = COALESCE(first_attempt_at, $3), next_attempt_at = $4 WHERE id = $1 AND status = 'pending'`,
			a.DeliveryID, status, micros(a.At), nullMicros(out.Next))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, endpoint_id, attempted_at, duration_us,
			succeeded, status_code, error, response) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			a.DeliveryID, a.EndpointID, micros(a.At), a.Duration.Microseconds(), a.Succeeded, nullID(int64(a.StatusCode)),
			a.Error, a.Response); err != nil {
			return err
		}
		// The failure streak: ended by a success, begun by a failure.
		streak := `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1`
		args := []any{a.EndpointID}
		if !a.Succeeded {
			streak = `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1`
			args = append(args, micros(a.At))
		}
		if _, err := tx.ExecContext(ctx, streak, args...); err != nil {
			return err
		}
		if out.Disable == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = $2 WHERE id = $1`, a.EndpointID, micros(a.At)); err != nil {
			return err
		}
		return db.InsertEvents(ctx, tx, a.At, []NewEvent{*out.Disable})
	})
}

// WebhookAttempts returns a page of the attempts at one of user's
// endpoints, newest first below id before (0: from the newest).
func (db *DB) WebhookAttempts(ctx context.Context, user, endpoint, before int64, limit int) ([]WebhookAttempt, error) {
	if _, err := db.WebhookEndpoint(ctx, user, endpoint); err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.reads.QueryContext(ctx, `SELECT a.id, a.delivery_id, a.endpoint_id, d.event_id, a.attempted_at, a.duration_us,
		a.succeeded, COALESCE(a.status_code, 0), a.error, a.response, COALESCE(e.type, ''), d.status
		FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
		LEFT JOIN events e ON e.user_id = $1 AND e.id = d.event_id
		WHERE a.endpoint_id = $2 AND a.id < $3 ORDER BY a.id DESC LIMIT $4`, user, endpoint, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookAttempt
	for rows.Next() {
		var a WebhookAttempt
		var at, us int64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.EndpointID, &a.EventID, &at, &us, &a.Succeeded, &a.StatusCode,
			&a.Error, &a.Response, &a.EventType, &a.DeliveryStatus); err != nil {
			return nil, err
		}
		a.At, a.Duration = fromMicros(at), time.Duration(us)*time.Microsecond
		out = append(out, a)
	}
	return out, rows.Err()
}

// ResendWebhookDelivery makes one of the deliveries of one of user's
// endpoints pending again, due at now, as a new round of attempts;
// conflict if the endpoint is disabled.
func (db *DB) ResendWebhookDelivery(ctx context.Context, user, endpoint, delivery int64, now time.Time) (WebhookDelivery, error) {
	e, err := db.WebhookEndpoint(ctx, user, endpoint)
	if err != nil {
		return WebhookDelivery{}, err
	}
	if !e.DisabledAt.IsZero() {
		return WebhookDelivery{}, errs.E(errs.Conflict, "webhook endpoint %d is disabled", endpoint)
	}
	d, err := scanDelivery(db.writes.QueryRowContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
		first_attempt_at = NULL, next_attempt_at = $3 WHERE id = $1 AND endpoint_id = $2
		RETURNING id, endpoint_id, event_id, status, attempts, 0, next_attempt_at`, delivery, endpoint, micros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.E(errs.NotFound, "delivery %d of webhook endpoint %d not found", delivery, endpoint)
	}
	return d, err
}

// WebhookQueue is the deliveries due at now: how many, and since when the
// oldest has waited (zero if none).
func (db *DB) WebhookQueue(ctx context.Context, now time.Time) (due int64, oldest time.Time, err error) {
	var min int64
	err = db.reads.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(next_attempt_at), 0) FROM webhook_deliveries
		WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1`, micros(now)).Scan(&due, &min)
	return due, zeroOrTime(min), err
}

// ExpireWebhookDeliveries deletes the deliveries, with their attempts,
// made more than EventRetention before now: their events are gone.
func (db *DB) ExpireWebhookDeliveries(ctx context.Context, now time.Time) (int64, error) {
	return db.deleteChunks(ctx, `DELETE FROM webhook_deliveries WHERE id IN
		(SELECT id FROM webhook_deliveries WHERE created_at < $1 LIMIT $2)`, micros(now.Add(-EventRetention)))
}

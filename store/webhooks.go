package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"minipay/errs"
)

// Webhook endpoints are where a user's events are POSTed (package
// webhooks sends them). The endpoints and their owners' requests are here;
// the worker's side (fan-out, claims, attempts) is webhookwork.go.

// WebhookEndpoint is one registered URL and how its deliveries go.
type WebhookEndpoint struct {
	ID, UserID int64
	URL        string
	EventTypes []string // none: every type
	// Secret signs every delivery; PreviousSecret, the one a rotation
	// replaced, also signs until PreviousUntil.
	Secret, PreviousSecret string
	PreviousUntil          time.Time
	CreatedAt              time.Time
	// DisabledAt is when deliveries stopped for failing (zero: enabled);
	// FailingSince is the first failed attempt since the last success.
	DisabledAt, FailingSince time.Time
}

// Signing secrets are the endpoint's secret and, until it runs out, the
// one it replaced.
func (e WebhookEndpoint) SigningSecrets(now time.Time) []string {
	if e.PreviousSecret != "" && now.Before(e.PreviousUntil) {
		return []string{e.Secret, e.PreviousSecret}
	}
	return []string{e.Secret}
}

const endpointSelect = `SELECT id, user_id, url, secret, previous_secret, previous_until, created_at,
	COALESCE(disabled_at, 0), COALESCE(failing_since, 0) FROM webhook_endpoints`

func scanEndpoint(s scanner) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	var prev, created, disabled, failing int64
	err := s.Scan(&e.ID, &e.UserID, &e.URL, &e.Secret, &e.PreviousSecret, &prev, &created, &disabled, &failing)
	e.PreviousUntil, e.CreatedAt = fromMicros(prev), fromMicros(created)
	e.DisabledAt, e.FailingSince = zeroOrTime(disabled), zeroOrTime(failing)
	return e, err
}

func zeroOrTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

// CreateWebhookEndpoint registers url for user's events of types (none:
// all), signed with secret; conflict once user has max endpoints.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, user int64, url string, types []string, secret string,
	now time.Time, max int) (WebhookEndpoint, error) {
	e, _, err := db.CreateWebhookEndpointOnce(ctx, Idempotency{}, user, url, types, secret, now, max)
	return e, err
}

// CreateWebhookEndpointOnce is CreateWebhookEndpoint under user's
// idempotency key idem (createOnce): a retry registers nothing and
// answers the endpoint the key registered, as it stands now.
func (db *DB) CreateWebhookEndpointOnce(ctx context.Context, idem Idempotency, user int64, url string, types []string, secret string,
	now time.Time, max int) (WebhookEndpoint, bool, error) {
	id, replayed, err := db.createOnce(ctx, idem, user, now, func(tx *sql.Tx) (id int64, err error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE user_id = $1`, user).Scan(&n); err != nil {
			return 0, err
		}
		if n >= max {
			return 0, errs.E(errs.Conflict, "at most %d webhook endpoints; delete one to add another", max)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (user_id, url, secret, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, user, url, secret, micros(now)).Scan(&id); err != nil {
			return 0, err
		}
		for _, t := range types {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoint_types (endpoint_id, type) VALUES ($1, $2)`, id, t); err != nil {
				return 0, err
			}
		}
		return id, nil
	})
	if err != nil {
		return WebhookEndpoint{}, false, err
	}
	e, err := db.WebhookEndpoint(ctx, user, id)
	return e, replayed, err
}

// WebhookEndpoints lists user's endpoints, oldest first.
func (db *DB) WebhookEndpoints(ctx context.Context, user int64) ([]WebhookEndpoint, error) {
	rows, err := db.reads.QueryContext(ctx, endpointSelect+` WHERE user_id = $1 ORDER BY id`, user)
	if err != nil {
		return nil, err
	}
	var out []WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].EventTypes, err = db.endpointTypes(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WebhookEndpoint returns one of user's endpoints; another user's is not
// found.
func (db *DB) WebhookEndpoint(ctx context.Context, user, id int64) (WebhookEndpoint, error) {
	e, err := scanEndpoint(db.reads.QueryRowContext(ctx, endpointSelect+` WHERE id = $1 AND user_id = $2`, id, user))
	if errors.Is(err, sql.ErrNoRows) {
		return e, errs.E(errs.NotFound, "webhook endpoint %d not found", id)
	}
	if err != nil {
		return e, err
	}
	e.EventTypes, err = db.endpointTypes(ctx, id)
	return e, err
}

func (db *DB) endpointTypes(ctx context.Context, id int64) ([]string, error) {
	rows, err := db.reads.QueryContext(ctx, `SELECT type FROM webhook_endpoint_types WHERE endpoint_id = $1 ORDER BY type`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteWebhookEndpoint deletes one of user's endpoints with its
// deliveries and their attempts.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, user, id int64) error {
	return changeEndpoint(ctx, db.writes, `DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2`, id, user)
}

// EnableWebhookEndpoint enables one of user's endpoints again, its
// failure streak forgotten, and answers how many events it missed.
//
// The fan-out skips a disabled endpoint, so the events that happened
// while it was disabled never reached it: missed counts them (those of
// the last EventRetention, which is as far back as events are kept). With
// deliverMissed they are queued now, due at now, in the same transaction
// as the enabling; each endpoint's deliveries go in event order, so the
// missed ones go before anything newer still pending. Without it they stay
// missed, and a later call with deliverMissed still finds them: missed is
// "no delivery", not a window of time.
func (db *DB) EnableWebhookEndpoint(ctx context.Context, user, id int64, deliverMissed bool, now time.Time) (e WebhookEndpoint, missed int64, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := changeEndpoint(ctx, tx, `UPDATE webhook_endpoints SET disabled_at = NULL, failing_since = NULL
			WHERE id = $1 AND user_id = $2`, id, user); err != nil {
			return err
		}
		if !deliverMissed {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) `+missedEvents, id, user).Scan(&missed)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, created_at, status, next_attempt_at)
			SELECT w.id, e.id, $3, 'pending', $3 `+missedEvents+` ORDER BY e.id
			ON CONFLICT (endpoint_id, event_id) DO NOTHING`, id, user, micros(now))
		if err == nil {
			missed, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return WebhookEndpoint{}, 0, err
	}
	e, err = db.WebhookEndpoint(ctx, user, id)
	return e, missed, err
}

// missedEvents selects the events of user ($2) that their endpoint $1
// takes but has no delivery of. Events past the fan-out's position get
// one from it soon after (ON CONFLICT makes the two agree), so the few of
// them just committed may be counted too.
const missedEvents = `FROM events e JOIN webhook_endpoints w ON w.user_id = e.user_id
	WHERE w.id = $1 AND w.user_id = $2 AND e.occurred_at >= w.created_at AND ` + endpointTakes + `
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.event_id = e.id)`

// endpointTakes holds when endpoint w takes event e's type: it lists no
// types (all), or e's.
const endpointTakes = `(NOT EXISTS (SELECT 1 FROM webhook_endpoint_types t WHERE t.endpoint_id = w.id)
	OR EXISTS (SELECT 1 FROM webhook_endpoint_types t WHERE t.endpoint_id = w.id AND t.type = e.type))`

// RotateWebhookSecret gives one of user's endpoints a new secret; the old
// one keeps signing beside it for overlap. Under user's idempotency key
// idem (once) a retry rotates nothing and answers the endpoint as it
// stands with the secret the key's rotation installed, so the caller who
// lost the first answer still learns it. That secret is kept with the
// key, for the key's window, as the endpoint keeps its own.
func (db *DB) RotateWebhookSecret(ctx context.Context, idem Idempotency, user, id int64, secret string, now time.Time,
	overlap time.Duration) (WebhookEndpoint, bool, error) {
	out, replayed, err := db.once(ctx, idem, user, now, func(tx *sql.Tx) (keyed, error) {
		return keyed{ID: id, Secret: secret}, changeEndpoint(ctx, tx, `UPDATE webhook_endpoints
			SET previous_secret = secret, previous_until = $3, secret = $4 WHERE id = $1 AND user_id = $2`,
			id, user, micros(now.Add(overlap)), secret)
	})
	if err != nil {
		return WebhookEndpoint{}, false, err
	}
	e, err := db.WebhookEndpoint(ctx, user, out.ID)
	e.Secret = out.Secret
	return e, replayed, err
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// changeEndpoint runs q on x (the database or a transaction), which
// changes the endpoint id of user ($1, $2); not found if it changed no
// row.
func changeEndpoint(ctx context.Context, x execer, q string, id, user int64, args ...any) error {
	res, err := x.ExecContext(ctx, q, append([]any{id, user}, args...)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errs.E(errs.NotFound, "webhook endpoint %d not found", id)
	}
	return nil
}

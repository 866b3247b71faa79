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
	return db.changeEndpoint(ctx, `DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2`, id, user)
}

// EnableWebhookEndpoint enables one of user's endpoints again, its
// failure streak forgotten. Events that happened while it was disabled
// are not delivered to it.
func (db *DB) EnableWebhookEndpoint(ctx context.Context, user, id int64) (WebhookEndpoint, error) {
	if err := db.changeEndpoint(ctx, `UPDATE webhook_endpoints SET disabled_at = NULL, failing_since = NULL
		WHERE id = $1 AND user_id = $2`, id, user); err != nil {
		return WebhookEndpoint{}, err
	}
	return db.WebhookEndpoint(ctx, user, id)
}

// RotateWebhookSecret gives one of user's endpoints a new secret; the old
// one keeps signing beside it for overlap.
func (db *DB) RotateWebhookSecret(ctx context.Context, user, id int64, secret string, now time.Time, overlap time.Duration) (WebhookEndpoint, error) {
	if err := db.changeEndpoint(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $3, secret = $4
		WHERE id = $1 AND user_id = $2`, id, user, micros(now.Add(overlap)), secret); err != nil {
		return WebhookEndpoint{}, err
	}
	return db.WebhookEndpoint(ctx, user, id)
}

// changeEndpoint runs q, which changes the endpoint id of user ($1, $2);
// not found if it changed no row.
func (db *DB) changeEndpoint(ctx context.Context, q string, id, user int64, args ...any) error {
	res, err := db.writes.ExecContext(ctx, q, append([]any{id, user}, args...)...)
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

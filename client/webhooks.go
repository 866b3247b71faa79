package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookEndpoint is a URL the user's events are POSTed to (README,
// "Webhooks"). Secret is set only in the answers that make one: creating
// the endpoint and rotating its secret.
type WebhookEndpoint struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	EventTypes   []string   `json:"event_types"`
	Status       string     `json:"status"`
	CreatedAt    time.Time  `json:"created_at"`
	DisabledAt   *time.Time `json:"disabled_at"`
	FailingSince *time.Time `json:"failing_since"`
	Secret       string     `json:"secret,omitempty"`
	// Replayed is true when CreateWebhookEndpoint or RotateWebhookSecret
	// was answered as a retry of the first request with its
	// Idempotency-Key.
	Replayed bool `json:"-"`
}

// CreateWebhookEndpoint registers url for the user's events of types
// (none: every type), under the Idempotency-Key key ("" sends none, and
// then the call is not retried: a retry after a lost answer would
// register a second endpoint).
func (c *Client) CreateWebhookEndpoint(ctx context.Context, url string, types []string, key string) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	body := map[string]any{"url": url}
	if len(types) > 0 {
		body["event_types"] = types
	}
	h, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/webhook-endpoints", key: key, body: body, out: &e})
	e.Replayed = replayed(h)
	return e, err
}

// WebhookEndpoints lists the user's endpoints.
func (c *Client) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var out struct {
		Endpoints []WebhookEndpoint `json:"webhook_endpoints"`
	}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/webhook-endpoints", out: &out})
	return out.Endpoints, err
}

// WebhookEndpoint reads one of the user's endpoints.
func (c *Client) WebhookEndpoint(ctx context.Context, id int64) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	_, err := c.do(ctx, request{method: http.MethodGet, path: endpointPath(id), out: &e})
	return e, err
}

// DeleteWebhookEndpoint deletes one of the user's endpoints.
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: endpointPath(id), retry: true})
	return err
}

// RotateWebhookSecret gives an endpoint a new secret (in the answer); the
// old one signs beside it for a day. Under the Idempotency-Key key a
// retry answers the same new secret ("" sends none, and then the call is
// not retried: a retry after a lost answer would rotate twice and lose
// the secret).
func (c *Client) RotateWebhookSecret(ctx context.Context, id int64, key string) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	h, err := c.do(ctx, request{method: http.MethodPost, path: endpointPath(id) + "/rotate-secret", key: key, out: &e})
	e.Replayed = replayed(h)
	return e, err
}

// EnableWebhookEndpoint enables a disabled endpoint again; with
// deliverMissed the events it missed while disabled are queued for it.
func (c *Client) EnableWebhookEndpoint(ctx context.Context, id int64, deliverMissed bool) (EnabledWebhookEndpoint, error) {
	var e EnabledWebhookEndpoint
	_, err := c.do(ctx, request{method: http.MethodPost, path: endpointPath(id) + "/enable", retry: true,
		body: map[string]bool{"deliver_missed": deliverMissed}, out: &e})
	return e, err
}

// EnabledWebhookEndpoint is an endpoint enabled again and the events it
// missed while disabled: queued now if asked to deliver them, else still
// missed.
type EnabledWebhookEndpoint struct {
	WebhookEndpoint
	MissedEvents int64 `json:"missed_events"`
}

// WebhookAttempt is one attempt at delivering an event to an endpoint.
type WebhookAttempt struct {
	ID             int64     `json:"id"`
	DeliveryID     int64     `json:"delivery_id"`
	EventID        int64     `json:"event_id"`
	EventType      string    `json:"event_type,omitempty"`
	AttemptedAt    time.Time `json:"attempted_at"`
	DurationMS     int64     `json:"duration_ms"`
	Result         string    `json:"result"`
	StatusCode     *int      `json:"status_code"`
	Error          string    `json:"error,omitempty"`
	Response       string    `json:"response,omitempty"`
	DeliveryStatus string    `json:"delivery_status"`
}

// WebhookAttemptPage is one page of attempts, newest first; NextCursor is
// "" on the last.
type WebhookAttemptPage struct {
	Attempts   []WebhookAttempt `json:"attempts"`
	NextCursor string           `json:"next_cursor"`
}

// WebhookAttempts reads one page of the attempts at an endpoint.
func (c *Client) WebhookAttempts(ctx context.Context, id int64, cursor string, limit int) (WebhookAttemptPage, error) {
	v := url.Values{}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var p WebhookAttemptPage
	_, err := c.do(ctx, request{method: http.MethodGet, path: endpointPath(id) + "/deliveries", query: v, out: &p})
	return p, err
}

// Resent is a delivery made pending again.
type Resent struct {
	DeliveryID    int64     `json:"delivery_id"`
	EventID       int64     `json:"event_id"`
	Status        string    `json:"status"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
}

// ResendWebhookDelivery sends a delivery to an endpoint again.
func (c *Client) ResendWebhookDelivery(ctx context.Context, id, delivery int64) (Resent, error) {
	var r Resent
	_, err := c.do(ctx, request{method: http.MethodPost, path: endpointPath(id) + "/deliveries/" + strconv.FormatInt(delivery, 10) + "/resend",
		retry: true, out: &r})
	return r, err
}

func endpointPath(id int64) string { return "/v1/webhook-endpoints/" + strconv.FormatInt(id, 10) }

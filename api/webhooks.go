package api

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"time"

	"minipay/egress"
	"minipay/errs"
	"minipay/store"
)

// Webhook endpoints (store/webhooks.go): a user's URLs that their events
// are POSTed to, signed as the Standard Webhooks specification says
// (package webhooks sends them). The secret is shown once, when made.

// WebhookConfig is what the webhook routes allow.
type WebhookConfig struct {
	// Egress is where endpoints may point (by default public addresses
	// only).
	Egress egress.Policy
	// MaxPerUser caps a user's endpoints (0: DefaultMaxWebhookEndpoints).
	MaxPerUser int
}

// DefaultMaxWebhookEndpoints is how many endpoints a user may have.
const DefaultMaxWebhookEndpoints = 10

// secretOverlap is how long a rotated-out secret keeps signing beside the
// new one, so receivers can switch without missing a delivery.
const secretOverlap = 24 * time.Hour

type webhookEndpointJSON struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	EventTypes   []string   `json:"event_types"`
	Status       string     `json:"status"`
	CreatedAt    time.Time  `json:"created_at"`
	DisabledAt   *time.Time `json:"disabled_at"`
	FailingSince *time.Time `json:"failing_since"`
	// Secret only in the answer that made it.
	Secret string `json:"secret,omitempty"`
}

func toWebhookEndpointJSON(e store.WebhookEndpoint) webhookEndpointJSON {
	status := "enabled"
	if !e.DisabledAt.IsZero() {
		status = "disabled"
	}
	return webhookEndpointJSON{ID: e.ID, URL: e.URL, EventTypes: e.EventTypes, Status: status, CreatedAt: e.CreatedAt,
		DisabledAt: optionalTime(e.DisabledAt), FailingSince: optionalTime(e.FailingSince)}
}

// createWebhookRequest is the body of POST /v1/webhook-endpoints.
type createWebhookRequest struct {
	URL        *string  `json:"url"`
	EventTypes []string `json:"event_types"`
}

func (q *createWebhookRequest) Validate() error {
	if q.URL == nil || *q.URL == "" {
		return missing("url")
	}
	if err := checkText("url", *q.URL, egress.MaxURL); err != nil {
		return err
	}
	for i, t := range q.EventTypes {
		if !slices.Contains(store.EventTypes, t) {
			return errs.E(errs.Invalid, "event_types: %q is not an event type", t)
		}
		if slices.Contains(q.EventTypes[:i], t) {
			return errs.E(errs.Invalid, "event_types: %q is listed twice", t)
		}
	}
	return nil
}

// newWebhookSecret is a Standard Webhooks secret: whsec_ and 32 random
// bytes in base64.
func newWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func (s *Server) createWebhookEndpoint(w http.ResponseWriter, r *http.Request, p principal) {
	var req createWebhookRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.webhooks.Egress.CheckURL(r.Context(), *req.URL)
	if err != nil {
		writeError(w, r, err)
		return
	}
	types := append([]string{}, req.EventTypes...) // [] rather than null on the wire
	slices.Sort(types)
	idem, err := idempotency(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	e, replayed, err := s.db.CreateWebhookEndpointOnce(r.Context(), idem, p.user, u.String(), types, newWebhookSecret(), s.clock.Now(), s.webhooks.MaxPerUser)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if replayed {
		// The owner sees the secret again: no more than a rotation would
		// show them, and the retry that lost the first answer needs it.
		w.Header().Set("Idempotent-Replayed", "true")
	}
	out := toWebhookEndpointJSON(e)
	out.Secret = e.Secret
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listWebhookEndpoints(w http.ResponseWriter, r *http.Request, p principal) {
	es, err := s.db.WebhookEndpoints(r.Context(), p.user)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]webhookEndpointJSON, len(es))
	for i, e := range es {
		out[i] = toWebhookEndpointJSON(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook_endpoints": out})
}

func (s *Server) getWebhookEndpoint(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.db.WebhookEndpoint(r.Context(), p.user, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toWebhookEndpointJSON(e))
}

func (s *Server) deleteWebhookEndpoint(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.db.DeleteWebhookEndpoint(r.Context(), p.user, id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// enableWebhookEndpoint enables a disabled endpoint again and answers how
// many events it missed, queued for delivery if the body asks.
func (s *Server) enableWebhookEndpoint(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req enableWebhookRequest
	if r.ContentLength != 0 { // the body is optional
		err = readRequest(r, &req)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	e, missed, err := s.db.EnableWebhookEndpoint(r.Context(), p.user, id, req.DeliverMissed, s.clock.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		webhookEndpointJSON
		MissedEvents int64 `json:"missed_events"`
	}{toWebhookEndpointJSON(e), missed})
}

// enableWebhookRequest is the optional body of POST
// /v1/webhook-endpoints/{id}/enable. As Stripe does, enabling replays
// nothing unless asked: a receiver back from an outage may want the
// missed events, or may have caught up from GET /v1/events already.
type enableWebhookRequest struct {
	DeliverMissed bool `json:"deliver_missed"`
}

func (q *enableWebhookRequest) Validate() error { return nil }

// rotateWebhookSecret answers the endpoint with its new secret; the old
// one signs beside it for secretOverlap. A retry under the same
// Idempotency-Key rotates nothing and shows the same new secret.
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	idem, err := idempotency(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	e, replayed, err := s.db.RotateWebhookSecret(r.Context(), idem, p.user, id, newWebhookSecret(), s.clock.Now(), secretOverlap)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	out := toWebhookEndpointJSON(e)
	out.Secret = e.Secret
	writeJSON(w, http.StatusOK, out)
}

// webhookAttemptJSON is one attempt at a delivery.
type webhookAttemptJSON struct {
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

func toWebhookAttemptJSON(a store.WebhookAttempt) webhookAttemptJSON {
	out := webhookAttemptJSON{ID: a.ID, DeliveryID: a.DeliveryID, EventID: a.EventID, EventType: a.EventType,
		AttemptedAt: a.At, DurationMS: a.Duration.Milliseconds(), Result: "failed", Error: a.Error, Response: a.Response,
		DeliveryStatus: a.DeliveryStatus}
	if a.Succeeded {
		out.Result = "succeeded"
	}
	if a.StatusCode != 0 {
		out.StatusCode = &a.StatusCode
	}
	return out
}

// listWebhookAttempts pages the attempts at one of the caller's
// endpoints, newest first.
func (s *Server) listWebhookAttempts(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit, before, err := readPage(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	rows, err := s.db.WebhookAttempts(r.Context(), p.user, id, before, limit+1)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, next := pageOf(rows, limit, func(a store.WebhookAttempt) int64 { return a.ID })
	out := make([]webhookAttemptJSON, len(page))
	for i, a := range page {
		out[i] = toWebhookAttemptJSON(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": out, "next_cursor": next})
}

// resendWebhookDelivery sends a delivery again, whatever became of it, as
// a new round of attempts; 202: the worker sends it shortly.
func (s *Server) resendWebhookDelivery(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	delivery, err := pathID(r, "delivery_id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	d, err := s.db.ResendWebhookDelivery(r.Context(), p.user, id, delivery, s.clock.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"delivery_id": d.ID, "event_id": d.EventID, "status": d.Status,
		"next_attempt_at": d.NextAttemptAt})
}

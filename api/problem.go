package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"minipay/errs"
	"minipay/store"
)

// problemKind is how one error code reads over HTTP.
type problemKind struct {
	status int
	title  string
}

// problems is the one place codes meet HTTP. A code missing here is a bug,
// answered as internal (500) rather than with no status at all.
var problems = map[errs.Code]problemKind{
	errs.Invalid:              {http.StatusBadRequest, "The request is invalid"},
	errs.Unauthorized:         {http.StatusUnauthorized, "Authentication is required"},
	errs.Forbidden:            {http.StatusForbidden, "Not yours"},
	errs.NotFound:             {http.StatusNotFound, "Not found"},
	errs.MethodNotAllowed:     {http.StatusMethodNotAllowed, "Method not allowed"},
	errs.Conflict:             {http.StatusConflict, "Conflicts with the current state"},
	errs.InsufficientFunds:    {http.StatusUnprocessableEntity, "Insufficient funds"},
	errs.ChargeLimitExceeded:  {http.StatusUnprocessableEntity, "Daily charge limit exceeded"},
	errs.Expired:              {http.StatusConflict, "Expired"},
	errs.IdempotencyMismatch:  {http.StatusUnprocessableEntity, "Idempotency-Key reused for a different request"},
	errs.RateLimited:          {http.StatusTooManyRequests, "Too many requests"},
	errs.URLRefused:           {http.StatusBadRequest, "The URL's address is not allowed"},
	errs.UnsupportedMediaType: {http.StatusUnsupportedMediaType, "Unsupported media type"},
	errs.Unavailable:          {http.StatusServiceUnavailable, "Service unavailable"},
	errs.Internal:             {http.StatusInternalServerError, "Internal error"},
}

// Problem is an RFC 9457 problem details body with minipay's stable code.
type Problem struct {
	Type   string    `json:"type"`
	Title  string    `json:"title"`
	Status int       `json:"status"`
	Detail string    `json:"detail"`
	Code   errs.Code `json:"code"`
	// RequestID is the request's X-Request-Id, to quote to support and to
	// find the request's log lines.
	RequestID string `json:"request_id,omitempty"`
}

// unavailableRetry is the Retry-After of a 503: long enough for a locked
// table or a failover to clear, short enough not to lose the client.
const unavailableRetry = "1"

// writeError answers with err as application/problem+json. A request
// whose deadline passed, or a database that did not answer, is
// unavailable (503 with Retry-After). Other errors minipay did not
// classify, or whose code has no row in problems, are reported as
// internal without details; the observe middleware logs them through the
// server's logger.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *errs.Error
	kind, known := problemKind{}, false
	if errors.As(err, &e) {
		kind, known = problems[e.Code]
	}
	if !known && (r.Context().Err() != nil || store.Unavailable(err)) {
		e, kind, known = errs.E(errs.Unavailable, "the database did not answer in time; retry later"), problems[errs.Unavailable], true
	}
	info := infoOf(r.Context())
	if !known {
		info.failure = err
		e, kind = errs.E(errs.Internal, "something went wrong on our side"), problems[errs.Internal]
	}
	p := Problem{
		Type:      "https://minipay.example/problems/" + string(e.Code),
		Title:     kind.title,
		Status:    kind.status,
		Detail:    e.Detail,
		Code:      e.Code,
		RequestID: info.id,
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", unavailableRetry)
	}
	if p.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", "Bearer") // RFC 9110 §11.6.1: every 401 names its scheme
	}
	if tm := (tooManyError{}); errors.As(err, &tm) {
		w.Header().Set("Retry-After", strconv.FormatInt(tm.secs, 10))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"minipay/errs"
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
	errs.Conflict:             {http.StatusConflict, "Conflicts with the current state"},
	errs.InsufficientFunds:    {http.StatusUnprocessableEntity, "Insufficient funds"},
	errs.ChargeLimitExceeded:  {http.StatusUnprocessableEntity, "Daily charge limit exceeded"},
	errs.Expired:              {http.StatusConflict, "Expired"},
	errs.IdempotencyMismatch:  {http.StatusUnprocessableEntity, "Idempotency-Key reused for a different request"},
	errs.RateLimited:          {http.StatusTooManyRequests, "Too many requests"},
	errs.UnsupportedMediaType: {http.StatusUnsupportedMediaType, "Unsupported media type"},
	errs.Internal:             {http.StatusInternalServerError, "Internal error"},
}

// Problem is an RFC 9457 problem details body with minipay's stable code.
type Problem struct {
	Type   string    `json:"type"`
	Title  string    `json:"title"`
	Status int       `json:"status"`
	Detail string    `json:"detail"`
	Code   errs.Code `json:"code"`
}

// writeError answers with err as application/problem+json. Errors minipay
// did not classify, or whose code has no row in problems, are reported as
// internal without details; the observe middleware logs them through the
// server's logger.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *errs.Error
	kind, known := problemKind{}, false
	if errors.As(err, &e) {
		kind, known = problems[e.Code]
	}
	if !known {
		if slot, ok := r.Context().Value(failureKey{}).(*error); ok {
			*slot = err
		}
		e, kind = errs.E(errs.Internal, "something went wrong on our side"), problems[errs.Internal]
	}
	p := Problem{
		Type:   "https://minipay.example/problems/" + string(e.Code),
		Title:  kind.title,
		Status: kind.status,
		Detail: e.Detail,
		Code:   e.Code,
	}
	if tm := (tooManyError{}); errors.As(err, &tm) {
		w.Header().Set("Retry-After", strconv.FormatInt(tm.secs, 10))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

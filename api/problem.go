package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"minipay/errs"
)

// statusOf maps each error code to its HTTP status: the one place codes
// meet HTTP.
var statusOf = map[errs.Code]int{
	errs.Invalid:             http.StatusBadRequest,
	errs.Unauthorized:        http.StatusUnauthorized,
	errs.Forbidden:           http.StatusForbidden,
	errs.NotFound:            http.StatusNotFound,
	errs.Conflict:            http.StatusConflict,
	errs.InsufficientFunds:   http.StatusUnprocessableEntity,
	errs.ChargeLimitExceeded: http.StatusUnprocessableEntity,
	errs.Expired:             http.StatusConflict,
	errs.IdempotencyMismatch: http.StatusUnprocessableEntity,
	errs.Internal:            http.StatusInternalServerError,
}

var titleOf = map[errs.Code]string{
	errs.Invalid:             "The request is invalid",
	errs.Unauthorized:        "Authentication is required",
	errs.Forbidden:           "Not yours",
	errs.NotFound:            "Not found",
	errs.Conflict:            "Conflicts with the current state",
	errs.InsufficientFunds:   "Insufficient funds",
	errs.ChargeLimitExceeded: "Daily charge limit exceeded",
	errs.Expired:             "Expired",
	errs.IdempotencyMismatch: "Idempotency-Key reused for a different request",
	errs.Internal:            "Internal error",
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
// did not classify are logged and reported as internal, without details.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		slog.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = errs.E(errs.Internal, "something went wrong on our side")
	}
	p := Problem{
		Type:   "https://minipay.example/problems/" + string(e.Code),
		Title:  titleOf[e.Code],
		Status: statusOf[e.Code],
		Detail: e.Detail,
		Code:   e.Code,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

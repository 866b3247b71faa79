// Package errs holds the error codes minipay reports. Every layer returns
// *Error for failures a client can act on; the API maps codes to HTTP
// statuses in one place (api/problem.go).
package errs

import (
	"errors"
	"fmt"
)

// Code is a stable, documented error code (see API.md).
type Code string

const (
	Invalid             Code = "invalid"
	Unauthorized        Code = "unauthorized"
	Forbidden           Code = "forbidden"
	NotFound            Code = "not_found"
	Conflict            Code = "conflict"
	InsufficientFunds   Code = "insufficient_funds"
	ChargeLimitExceeded Code = "charge_limit_exceeded"
	Expired             Code = "expired"
	IdempotencyMismatch Code = "idempotency_mismatch"
	RateLimited         Code = "rate_limited"
	// URLRefused: a URL minipay would call (a webhook endpoint) names an
	// address it does not call: private, loopback, link-local.
	URLRefused Code = "url_refused"
	// MethodNotAllowed: a path that exists, with a method it does not take.
	MethodNotAllowed Code = "method_not_allowed"
	// UnsupportedMediaType: a request body that is not application/json.
	UnsupportedMediaType Code = "unsupported_media_type"
	// Unavailable: the database did not answer in time (down, stalled or
	// locked); the request may be retried, money-moving ones with the
	// same Idempotency-Key.
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
)

// Error is a failure with a code and a human-readable detail.
type Error struct {
	Code   Code
	Detail string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Detail }

// E builds an *Error with a formatted detail.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err: "" for nil, Internal for errors minipay
// did not classify.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

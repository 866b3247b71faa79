package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"minipay/errs"
)

// maxBody bounds request bodies; no minipay request comes close.
const maxBody = 64 << 10

// validator is a request body that checks itself once decoded; every
// failure is invalid, and the first one found is the one answered.
type validator interface {
	Validate() error
}

// readRequest decodes the body into req and validates it.
func readRequest(r *http.Request, req validator) error {
	if err := decode(r, req); err != nil {
		return err
	}
	return req.Validate()
}

// decode reads a JSON body strictly: one object, no unknown fields, no
// trailing data, numbers that fit their fields. Every failure is invalid.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var maxErr *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "the request body is empty; send a JSON object")
		case errors.As(err, &typeErr):
			return errs.E(errs.Invalid, "field %q must be %s (amounts are whole won within int64)", typeErr.Field, typeErr.Type)
		case errors.As(err, &maxErr):
			return errs.E(errs.Invalid, "the request body is larger than %d bytes", maxBody)
		}
		return errs.E(errs.Invalid, "malformed JSON body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "the request body must hold exactly one JSON object")
	}
	return nil
}

// missing is the error for a required field left out (or null).
func missing(field string) error {
	return errs.E(errs.Invalid, "field %q is required", field)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

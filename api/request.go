package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"

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

// decode reads a JSON body strictly: application/json, one object, no
// unknown, repeated or case-variant keys, no trailing data, numbers that
// fit their fields. Every failure but the media type is invalid.
func decode(r *http.Request, v any) error {
	if err := checkMediaType(r); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return errs.E(errs.Invalid, "the request body is larger than %d bytes", maxBody)
	case err != nil:
		return errs.E(errs.Invalid, "malformed JSON body: %v", err)
	}
	if err := checkKeys(body, knownKeys(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "the request body is empty; send a JSON object")
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return errs.E(errs.Invalid, "the request body must be a JSON object")
		case errors.As(err, &typeErr):
			return errs.E(errs.Invalid, "field %q must be %s", typeErr.Field, jsonKind(typeErr.Type))
		}
		return errs.E(errs.Invalid, "malformed JSON body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "the request body must hold exactly one JSON object")
	}
	return nil
}

// keyScan walks a body's bytes before it is decoded, refusing what
// encoding/json would let through: a repeated key (the last would win) and
// a key that differs from another, or from a field, only in case (it would
// fill that field). It reads bytes rather than json.Decoder tokens, which
// cost allocations each and were most of a transfer's decoding, and takes
// the body for JSON: checkKeys has json.Valid confirm it before refusing.
type keyScan struct {
	b       []byte
	i       int
	known   map[string]string // folded field name -> field name
	refused error             // the first key refused
}

// maxDepth bounds nesting as encoding/json does, so a body of brackets
// cannot recurse deep.
const maxDepth = 10_000

// checkKeys scans body's first value for repeated and case-variant keys,
// at every level, known mapping folded field names to field names.
// Syntax errors are left for the decoder to report: a refusal stands only
// if the value scanned is valid JSON.
func checkKeys(body []byte, known map[string]string) error {
	s := keyScan{b: body, known: known}
	s.value(0)
	if s.refused != nil && json.Valid(body[:min(s.i, len(body))]) {
		return s.refused
	}
	return nil
}

// value skips one value, scanning the objects in it. On what is not JSON
// it may stop anywhere, but always moves on and never reads past the end.
func (s *keyScan) value(depth int) {
	s.space()
	if s.i >= len(s.b) || depth > maxDepth {
		s.i = len(s.b)
		return
	}
	switch s.b[s.i] {
	case '{':
		s.i++
		s.members(depth+1, '}')
	case '[':
		s.i++
		s.members(depth+1, ']')
	case '"':
		s.str()
	default: // a number or a literal runs to the next delimiter
		for s.i < len(s.b) && !strings.ContainsRune(",:]} \t\r\n", rune(s.b[s.i])) {
			s.i++
		}
	}
}

// members reads an object's members or an array's elements up to end.
func (s *keyScan) members(depth int, end byte) {
	var seen map[string]string // folded key -> key
	if end == '}' {
		seen = map[string]string{}
	}
	for s.space(); s.i < len(s.b) && s.b[s.i] != end; s.space() {
		if end == '}' {
			s.member(seen)
		}
		s.value(depth)
		switch s.space(); {
		case s.i < len(s.b) && s.b[s.i] == ',':
			s.i++
		case s.i < len(s.b) && s.b[s.i] != end:
			s.i = len(s.b) // not JSON: the decoder says why
		}
	}
	s.i++
}

// member reads a key and its colon, checking the key against the
// object's others (seen) and the fields.
func (s *keyScan) member(seen map[string]string) {
	key := s.key()
	if s.space(); s.i < len(s.b) && s.b[s.i] == ':' {
		s.i++
	}
	folded := fold(key)
	prev, dup := seen[folded]
	seen[folded] = key
	field, isField := s.known[folded]
	switch {
	case s.refused != nil:
	case dup && prev == key:
		s.refused = errs.E(errs.Invalid, "key %q appears more than once", key)
	case dup:
		s.refused = errs.E(errs.Invalid, "keys %q and %q differ only in case", prev, key)
	case isField && field != key:
		s.refused = errs.E(errs.Invalid, "key %q is not a field; did you mean %q? (keys are case-sensitive)", key, field)
	}
}

// key reads a string as a key; one with escapes is unquoted by
// encoding/json, so that "\u0061mount" is the key amount, as for it.
func (s *keyScan) key() string {
	start := s.i
	escaped := s.str()
	raw := s.b[start:min(s.i, len(s.b))]
	if !escaped {
		return string(bytes.Trim(raw, `"`))
	}
	var key string
	json.Unmarshal(raw, &key)
	return key
}

// str skips a string from its opening quote past its closing one and
// reports whether it holds escapes.
func (s *keyScan) str() (escaped bool) {
	for s.i++; s.i < len(s.b) && s.b[s.i] != '"'; s.i++ {
		if s.b[s.i] == '\\' {
			escaped = true
			s.i++
		}
	}
	s.i++
	return escaped
}

func (s *keyScan) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\r' || s.b[s.i] == '\n') {
		s.i++
	}
}

// fold is how encoding/json matches keys to fields: two keys with the same
// fold fill the same field.
func fold(key string) string {
	return strings.ToUpper(strings.ToLower(key))
}

// knownByType holds knownKeys' answers: a request type's fields are the
// same for every request, so they are reflected on once, not per request.
var knownByType sync.Map // reflect.Type -> map[string]string

// knownKeys maps the folded JSON keys of the struct v points to to the
// keys themselves. The map is shared: never modify it.
func knownKeys(v any) map[string]string {
	t := reflect.TypeOf(v)
	if known, ok := knownByType.Load(t); ok {
		return known.(map[string]string)
	}
	known := map[string]string{}
	for _, f := range fieldNames(v) {
		known[fold(f)] = f
	}
	knownByType.Store(t, known)
	return known
}

// fieldNames are the JSON keys of the struct v points to.
func fieldNames(v any) []string {
	var names []string
	for f := range reflect.TypeOf(v).Elem().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// checkMediaType refuses a body that does not say it is JSON. An empty
// body needs no media type: it is answered as empty, or, on routes that
// read none, not read at all.
func checkMediaType(r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || media != "application/json" {
		return errs.E(errs.UnsupportedMediaType, "send the request body as Content-Type: application/json")
	}
	return nil
}

// jsonKind names the JSON a Go type decodes from, so that an error detail
// speaks JSON rather than Go.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number (amounts are whole won, at most 9223372036854775807)"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a different JSON value"
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

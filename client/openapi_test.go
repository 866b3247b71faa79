package client_test

// Walking api/openapi.json with encoding/json, as much of OpenAPI 3.1 as
// the document uses: $ref, allOf, oneOf, type (one or a list), enum,
// properties, required and items.

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// openAPI is the parsed document.
type openAPI map[string]any

// schema is one schema object of the document.
type schema = map[string]any

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	b, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// get follows a path of keys from v; nil where one is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// resolve follows s's local $ref, if it has one.
func (d openAPI) resolve(s schema) schema {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		keys := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		s, _ = get(map[string]any(d), keys...).(schema)
	}
}

// object returns the properties and required names of an object schema,
// merging the parts of an allOf.
func (d openAPI) object(s schema) (props map[string]schema, required []string) {
	s = d.resolve(s)
	props = map[string]schema{}
	own, _ := s["properties"].(map[string]any)
	for name, p := range own {
		props[name] = p.(schema)
	}
	for _, r := range list(s["required"]) {
		required = append(required, r.(string))
	}
	for _, part := range list(s["allOf"]) {
		p, r := d.object(part.(schema))
		for name, ps := range p {
			props[name] = ps
		}
		required = append(required, r...)
	}
	return props, required
}

// types returns the JSON types s admits: its type or types, or those of
// its oneOf branches and allOf parts.
func (d openAPI) types(s schema) []string {
	s = d.resolve(s)
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, e.(string))
		}
		return out
	}
	var out []string
	for _, branch := range append(list(s["oneOf"]), list(s["allOf"])...) {
		out = append(out, d.types(branch.(schema))...)
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// sample builds a value that s admits, with every property filled in, so
// that decoding it exercises every field of a client type.
func (d openAPI) sample(s schema) any {
	s = d.resolve(s)
	if enum := list(s["enum"]); len(enum) > 0 {
		return enum[0]
	}
	if branches := list(s["oneOf"]); len(branches) > 0 {
		return d.sample(branches[0].(schema))
	}
	switch t := d.types(s); {
	case slices.Contains(t, "object"):
		props, _ := d.object(s)
		out := map[string]any{}
		for name, p := range props {
			out[name] = d.sample(p)
		}
		return out
	case slices.Contains(t, "array"):
		return []any{d.sample(s["items"].(schema))}
	case slices.Contains(t, "integer"):
		if m, ok := s["minimum"].(float64); ok {
			return m
		}
		return 1
	case slices.Contains(t, "boolean"):
		return true
	case s["format"] == "date-time":
		return "2025-01-02T03:04:05Z"
	case s["format"] == "date":
		return "2025-01-02"
	default:
		return "x"
	}
}

// checkValue lists how v, a decoded request body, breaks s.
func (d openAPI) checkValue(s schema, v any, at string) []string {
	s = d.resolve(s)
	if branches := list(s["oneOf"]); len(branches) > 0 {
		for _, b := range branches {
			if len(d.checkValue(b.(schema), v, at)) == 0 {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s: %v matches no oneOf branch", at, v)}
	}
	if enum := list(s["enum"]); len(enum) > 0 && !slices.Contains(enum, v) {
		return []string{fmt.Sprintf("%s: %v is not one of %v", at, v, enum)}
	}
	if t := jsonType(v); !slices.Contains(d.types(s), t) && !(t == "integer" && slices.Contains(d.types(s), "number")) {
		return []string{fmt.Sprintf("%s: a %s, the document says %v", at, t, d.types(s))}
	}
	var errs []string
	switch v := v.(type) {
	case map[string]any:
		props, required := d.object(s)
		for name, e := range v {
			if p, ok := props[name]; ok {
				errs = append(errs, d.checkValue(p, e, at+"."+name)...)
			} else {
				errs = append(errs, fmt.Sprintf("%s: %q is not a property", at, name))
			}
		}
		for _, name := range required {
			if _, ok := v[name]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required %q is missing", at, name))
			}
		}
	case []any:
		for i, e := range v {
			errs = append(errs, d.checkValue(s["items"].(schema), e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return errs
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if v == math.Trunc(v) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}

var timeType = reflect.TypeFor[time.Time]()

// checkType lists how the Go type t, which a client call decodes an answer
// into, disagrees with s: a JSON field that is not a property, a required
// property with no field, or a field whose kind s does not admit.
func (d openAPI) checkType(t reflect.Type, s schema, at string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	want := map[reflect.Kind]string{reflect.Struct: "object", reflect.Slice: "array", reflect.String: "string",
		reflect.Int: "integer", reflect.Int64: "integer", reflect.Bool: "boolean"}[t.Kind()]
	if t == timeType {
		want = "string"
	}
	if types := d.types(s); !slices.Contains(types, want) {
		return []string{fmt.Sprintf("%s: Go %s, the document says %v", at, t, types)}
	}
	switch {
	case t == timeType:
		return nil
	case t.Kind() == reflect.Slice:
		return d.checkType(t.Elem(), d.resolve(s)["items"].(schema), at+"[]")
	case t.Kind() != reflect.Struct:
		return nil
	}
	props, required := d.object(s)
	fields := jsonFields(t)
	var errs []string
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		p, ok := props[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: field %q is not a property", at, name))
			continue
		}
		errs = append(errs, d.checkType(fields[name], p, at+"."+name)...)
	}
	for _, name := range required {
		if _, ok := fields[name]; !ok {
			errs = append(errs, fmt.Sprintf("%s: required %q has no field", at, name))
		}
	}
	return errs
}

// jsonFields maps the JSON names encoding/json uses for t's fields to their
// types, embedded structs flattened.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case !f.IsExported() || tag == "-" || f.Anonymous && tag == "":
		case name != "":
			out[name] = f.Type
		default:
			out[f.Name] = f.Type
		}
	}
	return out
}

// operation finds the operation serving method and a concrete path. A
// literal path wins over a template that also matches (/v1/recipients/recent
// over /v1/recipients/{username}), as in the server's mux.
func (d openAPI) operation(method, path string) (op schema, template string) {
	for tmpl, item := range get(map[string]any(d), "paths").(map[string]any) {
		if o, ok := get(item, strings.ToLower(method)).(schema); ok && pathMatches(tmpl, path) {
			if tmpl == path {
				return o, tmpl
			}
			op, template = o, tmpl
		}
	}
	return op, template
}

// pathMatches reports whether path fills in the template, each {param}
// standing for one segment.
func pathMatches(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, t := range ts {
		if t != ps[i] && !(strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") && ps[i] != "") {
			return false
		}
	}
	return true
}

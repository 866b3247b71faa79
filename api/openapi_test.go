package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipay/clock"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// openAPIMethods are the path item keys that are operations.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIPathItemFields are the other keys a path item may have.
var openAPIPathItemFields = []string{"$ref", "summary", "description", "servers", "parameters"}

// openAPITestServer is a server with every route, the test-clock one
// included. routes() only builds handlers, so it needs no database.
func openAPITestServer() *Server {
	clk := clock.NewManual(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	return mustNew(nil, Config{Clock: clk, TestClock: clk, Location: time.UTC, Logger: slog.New(slog.DiscardHandler)})
}

// openAPIDoc parses the embedded document.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openAPI))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("openapi.json has data after its JSON object")
	}
	return doc
}

// openAPIObject returns m[key] as an object, failing the test otherwise.
func openAPIObject(t *testing.T, m map[string]any, key, where string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("%s: %q is missing or not an object", where, key)
	}
	return v
}

func TestOpenAPIVersion(t *testing.T) {
	doc := openAPIDoc(t)
	if v := doc["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	info := openAPIObject(t, doc, "info", "document")
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}
}

// What `redocly lint` asks of the document as a whole, checked here too so
// that it holds without node: a license, a server, and a description for
// every tag.
func TestOpenAPILintBasics(t *testing.T) {
	doc := openAPIDoc(t)
	license := openAPIObject(t, openAPIObject(t, doc, "info", "document"), "license", "info")
	if license["name"] == nil || license["url"] == nil && license["identifier"] == nil {
		t.Errorf("info.license = %v, want a name and a url or identifier", license)
	}
	if servers := openAPIList(doc["servers"]); len(servers) == 0 || servers[0]["url"] == nil {
		t.Errorf("servers = %v, want at least one with a url", doc["servers"])
	}
	for _, tag := range openAPIList(doc["tags"]) {
		if s, _ := tag["description"].(string); s == "" {
			t.Errorf("tag %v has no description", tag["name"])
		}
	}
}

// TestOpenAPIMatchesRoutes fails when a route is added, removed or changed
// without the document following, and the other way round.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := openAPIDoc(t)
	paths := openAPIObject(t, doc, "paths", "document")

	inRoutes := map[string]bool{}
	for _, rt := range openAPITestServer().routes() {
		k := rt.method + " " + rt.path
		if inRoutes[k] {
			t.Errorf("routes() has %s %s twice", rt.method, rt.path)
		}
		inRoutes[k] = true
	}
	inDoc := map[string]bool{}
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		for key := range item {
			switch {
			case slices.Contains(openAPIMethods, key):
				inDoc[strings.ToUpper(key)+" "+path] = true
			case !slices.Contains(openAPIPathItemFields, key):
				t.Errorf("paths[%q] has unknown key %q (methods are lower case)", path, key)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(inRoutes)) {
		if !inDoc[k] {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(inDoc)) {
		if !inRoutes[k] {
			t.Errorf("openapi.json documents %s, which routes() does not serve", k)
		}
	}
}

// The test-clock route exists only with the test clock; every other route
// is there either way.
func TestOpenAPITestClockRouteIsConditional(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	plain := mustNew(t, Config{Clock: clk, Location: time.UTC}).routes()
	full := openAPITestServer().routes()
	if len(full) != len(plain)+1 {
		t.Fatalf("with the test clock there are %d routes, without %d; want exactly one more", len(full), len(plain))
	}
	for _, rt := range plain {
		if rt.path == "/v1/test-clock/advance" {
			t.Errorf("the test-clock route is served without the test clock")
		}
	}
}

var openAPIPathParam = regexp.MustCompile(`\{([^{}]+)\}`)

func TestOpenAPIOperations(t *testing.T) {
	doc := openAPIDoc(t)
	paths := openAPIObject(t, doc, "paths", "document")
	ids := map[string]string{}
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for _, method := range openAPIMethods {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			where := method + " " + path
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", where)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("%s and %s share operationId %q", prev, where, id)
			} else {
				ids[id] = where
			}
			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s has no responses", where)
			}
			for code := range responses {
				if n, err := strconv.Atoi(code); (err != nil || n < 100 || n > 599) && code != "default" {
					t.Errorf("%s has response key %q, not a status code", where, code)
				}
			}
			// Every {name} in the path needs a required path parameter.
			params := map[string]bool{}
			for _, p := range append(openAPIList(item["parameters"]), openAPIList(op["parameters"])...) {
				p = openAPIResolve(t, doc, p)
				if p["in"] == "path" && p["required"] == true {
					name, _ := p["name"].(string)
					params[name] = true
				}
			}
			for _, m := range openAPIPathParam.FindAllStringSubmatch(path, -1) {
				if !params[m[1]] {
					t.Errorf("%s has no required path parameter %q", where, m[1])
				}
			}
		}
	}
}

func openAPIList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// openAPIResolve follows v's $ref, if it has one.
func openAPIResolve(t *testing.T, doc, v map[string]any) map[string]any {
	t.Helper()
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	target, err := openAPIPointer(doc, ref)
	if err != nil {
		t.Fatalf("$ref %q: %v", ref, err)
	}
	m, ok := target.(map[string]any)
	if !ok {
		t.Fatalf("$ref %q is not an object", ref)
	}
	return m
}

// openAPIPointer resolves a local reference "#/a/b" in doc.
func openAPIPointer(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, openAPIRefError("not a local reference")
	}
	var cur any = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, openAPIRefError("no " + tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, openAPIRefError("no " + tok)
		}
	}
	return cur, nil
}

type openAPIRefError string

func (e openAPIRefError) Error() string { return string(e) }

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := openAPIDoc(t)
	n := 0
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"]; ok {
				n++
				s, _ := ref.(string)
				if !strings.HasPrefix(s, "#/components/") {
					t.Errorf("%s: $ref %v does not point into #/components/", at, ref)
				} else if _, err := openAPIPointer(doc, s); err != nil {
					t.Errorf("%s: $ref %q does not resolve: %v", at, s, err)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
	if n == 0 {
		t.Errorf("the document uses no $ref; shared parts belong in components")
	}
}

// The Problem schema is one plain object that generators turn into one
// type: code an enum of exactly the codes problem.go uses, status a plain
// integer (no allOf, no const).
func TestOpenAPIProblemSchema(t *testing.T) {
	doc := openAPIDoc(t)
	problem, err := openAPIPointer(doc, "#/components/schemas/Problem")
	if err != nil {
		t.Fatalf("no Problem schema: %v", err)
	}
	props := openAPIObject(t, problem.(map[string]any), "properties", "Problem")
	for _, k := range []string{"type", "title", "status", "detail", "code"} {
		if _, ok := props[k]; !ok {
			t.Errorf("Problem has no %q property", k)
		}
	}
	code := openAPIResolve(t, doc, openAPIObject(t, props, "code", "Problem.properties"))
	var gotCodes []string
	for _, c := range openAPIValues(code["enum"]) {
		gotCodes = append(gotCodes, c.(string))
	}
	slices.Sort(gotCodes)
	if want := problemCodes(); code["type"] != "string" || !slices.Equal(gotCodes, want) {
		t.Errorf("Problem code = %v of type %v, want a string enum of the codes of problems %v", gotCodes, code["type"], want)
	}
	if status := openAPIObject(t, props, "status", "Problem.properties"); status["type"] != "integer" {
		t.Errorf("Problem status has type %v, want integer", status["type"])
	}
}

// The enums the document gives the filters are the values the handlers
// accept (anything else is invalid, naming them).
func TestOpenAPIFilterEnums(t *testing.T) {
	doc := openAPIDoc(t)
	for schema, want := range map[string][]string{"HistoryKind": store.HistoryKinds, "TransferStatus": ledger.TransferStatuses} {
		s, err := openAPIPointer(doc, "#/components/schemas/"+schema)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range openAPIValues(s.(map[string]any)["enum"]) {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s enum %v, want the values the API accepts %v", schema, got, want)
		}
	}
}

// problemCodes are the codes problems maps, sorted.
func problemCodes() []string {
	var codes []string
	for c := range problems {
		codes = append(codes, string(c))
	}
	slices.Sort(codes)
	return codes
}

// Each shared error response is a Problem with one example per code it
// carries; each example is exactly what writeError answers for that code,
// and together they show every code.
func TestOpenAPIProblemExamples(t *testing.T) {
	doc := openAPIDoc(t)
	var shown []string
	for name, examples := range openAPIProblemResponses(t, doc) {
		for code, body := range examples {
			shown = append(shown, code)
			want := problemBody(t, errs.Code(code), body["detail"])
			if !reflect.DeepEqual(body, want) {
				t.Errorf("response %s, example %s = %v; writeError answers %v", name, code, body, want)
			}
		}
	}
	slices.Sort(shown)
	if want := problemCodes(); !slices.Equal(shown, want) {
		t.Errorf("the error responses show the codes %v, want each of %v once", shown, want)
	}
}

// Where an operation answers status N with a shared error response, each
// code that response carries has status N.
func TestOpenAPIProblemStatuses(t *testing.T) {
	doc := openAPIDoc(t)
	shared := openAPIProblemResponses(t, doc)
	paths := openAPIObject(t, doc, "paths", "document")
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for _, method := range openAPIMethods {
			op, _ := item[method].(map[string]any)
			responses, _ := op["responses"].(map[string]any)
			for key, r := range responses {
				ref, _ := r.(map[string]any)["$ref"].(string)
				for code := range shared[strings.TrimPrefix(ref, "#/components/responses/")] {
					if want := problems[errs.Code(code)].status; strconv.Itoa(want) != key {
						t.Errorf("%s %s answers %s with code %s, whose status is %d", method, path, key, code, want)
					}
				}
			}
		}
	}
}

// openAPIProblemResponses returns the examples of each shared
// application/problem+json response, by response name and code, and
// checks that each response's schema is the Problem schema itself.
func openAPIProblemResponses(t *testing.T, doc map[string]any) map[string]map[string]map[string]any {
	t.Helper()
	responses := openAPIObject(t, openAPIObject(t, doc, "components", "document"), "responses", "components")
	out := map[string]map[string]map[string]any{}
	for name, r := range responses {
		content, _ := r.(map[string]any)["content"].(map[string]any)
		media, ok := content["application/problem+json"].(map[string]any)
		if !ok {
			continue
		}
		if schema, _ := media["schema"].(map[string]any); len(schema) != 1 || schema["$ref"] != "#/components/schemas/Problem" {
			t.Errorf("response %s: schema %v, want only a $ref to Problem (generators type it as Problem)", name, schema)
		}
		out[name] = map[string]map[string]any{}
		for key, ex := range openAPIObject(t, media, "examples", "response "+name) {
			value, _ := ex.(map[string]any)["value"].(map[string]any)
			if value["code"] != key {
				t.Errorf("response %s: example %q shows code %v", name, key, value["code"])
			}
			out[name][key] = value
		}
	}
	return out
}

// problemBody is the body writeError answers for code and detail, decoded
// as openAPIDoc decodes the document.
func problemBody(t *testing.T, code errs.Code, detail any) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	d, _ := detail.(string)
	writeError(rec, httptest.NewRequest(http.MethodGet, "/", nil), errs.E(code, "%s", d))
	var body map[string]any
	dec := json.NewDecoder(rec.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("writeError answered %q: %v", rec.Body, err)
	}
	return body
}

func openAPIValues(v any) []any {
	l, _ := v.([]any)
	return l
}

// The server serves the embedded document as it is.
func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	openAPITestServer().Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), openAPI) {
		t.Errorf("GET /openapi.json does not serve the embedded document")
	}
}

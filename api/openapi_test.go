package api

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipay/clock"
	"minipay/errs"
)

// openAPIMethods are the path item keys that are operations.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIPathItemFields are the other keys a path item may have.
var openAPIPathItemFields = []string{"$ref", "summary", "description", "servers", "parameters"}

// openAPITestServer is a server with every route, the test-clock one
// included. routes() only builds handlers, so it needs no database.
func openAPITestServer() *Server {
	clk := clock.NewManual(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	return New(Config{Clock: clk, TestClock: clk, Location: time.UTC, Secret: []byte("openapi test")})
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
	plain := New(Config{Clock: clk, Location: time.UTC, Secret: []byte("x")}).routes()
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

// The Problem schema lists exactly the codes and statuses problem.go uses.
func TestOpenAPIProblemCodes(t *testing.T) {
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
	var gotCodes, wantCodes []string
	for _, c := range openAPIList2(code["enum"]) {
		gotCodes = append(gotCodes, c.(string))
	}
	for c := range statusOf {
		wantCodes = append(wantCodes, string(c))
	}
	slices.Sort(gotCodes)
	slices.Sort(wantCodes)
	if !slices.Equal(gotCodes, wantCodes) {
		t.Errorf("Problem code enum = %v, want the codes of statusOf %v", gotCodes, wantCodes)
	}

	status := openAPIObject(t, props, "status", "Problem.properties")
	var gotStatus, wantStatus []int
	for _, s := range openAPIList2(status["enum"]) {
		n, _ := s.(json.Number).Int64()
		gotStatus = append(gotStatus, int(n))
	}
	for _, s := range statusOf {
		if !slices.Contains(wantStatus, s) {
			wantStatus = append(wantStatus, s)
		}
	}
	slices.Sort(gotStatus)
	slices.Sort(wantStatus)
	if !slices.Equal(gotStatus, wantStatus) {
		t.Errorf("Problem status enum = %v, want the statuses of statusOf %v", gotStatus, wantStatus)
	}

	// Each shared error response pins status and codes; they must agree
	// with statusOf.
	responses := openAPIObject(t, openAPIObject(t, doc, "components", "document"), "responses", "components")
	for name, r := range responses {
		content, _ := r.(map[string]any)["content"].(map[string]any)
		media, ok := content["application/problem+json"].(map[string]any)
		if !ok {
			continue
		}
		schema, _ := media["schema"].(map[string]any)
		for _, part := range openAPIList(schema["allOf"]) {
			p, _ := part["properties"].(map[string]any)
			st, _ := p["status"].(map[string]any)
			cd, _ := p["code"].(map[string]any)
			if st == nil || cd == nil {
				continue
			}
			n, _ := st["const"].(json.Number).Int64()
			codes := openAPIList2(cd["enum"])
			if c, ok := cd["const"]; ok {
				codes = append(codes, c)
			}
			for _, c := range codes {
				s, _ := c.(string)
				if want := statusOf[errs.Code(s)]; want != int(n) {
					t.Errorf("response %s pairs status %d with code %q, whose status is %d", name, n, s, want)
				}
			}
		}
	}
}

func openAPIList2(v any) []any {
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

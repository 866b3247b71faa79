package api

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"minipay/errs"
)

// errsCodes lists the Code constants declared in package errs, read from
// its source so that a code added there cannot be missed here.
func errsCodes(t *testing.T) []errs.Code {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../errs/errs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []errs.Code
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || spec.Type == nil || identName(spec.Type) != "Code" {
			return true
		}
		for _, v := range spec.Values {
			if lit, ok := v.(*ast.BasicLit); ok {
				s, _ := strconv.Unquote(lit.Value)
				codes = append(codes, errs.Code(s))
			}
		}
		return true
	})
	if len(codes) == 0 {
		t.Fatal("found no Code constants in errs/errs.go")
	}
	return codes
}

func identName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// Every code has a row in the problem table, and every row is a code.
func TestEveryCodeHasAProblem(t *testing.T) {
	codes := errsCodes(t)
	for _, c := range codes {
		if k, ok := problems[c]; !ok || k.status < 400 || k.title == "" {
			t.Errorf("code %q has no problem row (or a bad one: %+v)", c, k)
		}
	}
	if len(problems) != len(codes) {
		t.Errorf("the problem table has %d rows for %d codes", len(problems), len(codes))
	}
}

// A code with no row answers 500 internal, without its detail, and the
// error is logged through the server's logger.
func TestUnmappedCodeIsInternal(t *testing.T) {
	var logged bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logged, nil))}
	h := s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errs.E("no_such_code", "secret detail"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 500 || p.Status != 500 || p.Code != errs.Internal || strings.Contains(p.Detail, "secret") {
		t.Errorf("unmapped code answered %d %+v", rec.Code, p)
	}
	if !strings.Contains(logged.String(), "no_such_code") || !strings.Contains(logged.String(), "level=ERROR") {
		t.Errorf("the server's logger got %q; want the error at level ERROR", logged.String())
	}
}

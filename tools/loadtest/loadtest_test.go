package loadtest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/store"
	"minipay/store/dbtest"
	"minipay/tools/loadtest"
)

// serve runs a real minipay server (writer, API, HTTP) over db, wired as
// cmd/minipay does, on the system clock.
func serve(t *testing.T, db *store.DB) string {
	t.Helper()
	_, hs := apptest.Serve(t, app.Config{DB: db})
	return hs.URL
}

// TestShortLoad is the short load test CI runs on every backend: a few
// seconds of every scenario, the hot burst included, then the audit.
func TestShortLoad(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		html := filepath.Join(t.TempDir(), "report.html")
		var progress bytes.Buffer
		rep, err := loadtest.Run(context.Background(), loadtest.Config{
			URL:         serve(t, db),
			FastSetup:   true, // ten bcrypt sign-ups would take seconds under -race; the sign-up scenario still makes some
			Users:       10,
			Duration:    3 * time.Second,
			Concurrency: 4,
			Seed:        1,
			HTML:        html,
			DB:          db,
			Progress:    &progress,
		})
		if err != nil {
			t.Fatal(err)
		}
		var text bytes.Buffer
		rep.WriteText(&text)
		t.Log(text.String())

		for _, name := range loadtest.Scenarios {
			if s := rep.Scenario(name); s.Runs == 0 {
				t.Errorf("scenario %s never ran", name)
			}
		}
		if h := rep.Step("hot_transfer"); h.Requests < 100 {
			t.Errorf("hot burst: %d requests, want at least one burst of 100", h.Requests)
		} else if h.OK < 100 {
			t.Errorf("hot burst: only %d of %d transfers succeeded (%s)", h.OK, h.Requests, h.ErrorList())
		}
		for _, s := range append(rep.Steps, rep.Setup...) {
			for _, code := range []string{"transport", "internal", "unexpected", "canceled"} {
				if n := s.Errors[code]; n > 0 {
					t.Errorf("step %s: %d %s errors", s.Name, n, code)
				}
			}
		}
		if rep.Total.Requests == 0 || rep.Total.OK == 0 || len(rep.Timeline) == 0 {
			t.Errorf("nothing measured: %+v", rep.Total)
		}
		if !rep.Passed() {
			t.Errorf("audit did not pass: %s %+v", rep.AuditErr, rep.Audit)
		}
		if !strings.Contains(progress.String(), "req/s") {
			t.Errorf("no progress line: %q", progress.String())
		}
		b, err := os.ReadFile(html)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, want := range []string{"<svg", "<polyline", "Latency by step", "hot_transfer", "The books balance"} {
			if !strings.Contains(page, want) {
				t.Errorf("HTML report lacks %q", want)
			}
		}
		for _, banned := range []string{"<script", "http://", "https://"} {
			if strings.Contains(strings.ReplaceAll(page, rep.URL, ""), banned) {
				t.Errorf("HTML report is not self-contained: it has %q", banned)
			}
		}
	})
}

// TestAuditRequired: a run that cannot audit the server's database does
// not pass.
func TestAuditRequired(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, "sqlite")
	url := serve(t, db)
	cfg := loadtest.Config{URL: url, Users: 2, Duration: 200 * time.Millisecond, Concurrency: 1,
		Weights: map[string]int{loadtest.Charge: 1}}

	// Without a database it does not start.
	if rep, err := loadtest.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("a run without a database: %v, %+v", err, rep)
	}
	cfg.DatabaseURL = "sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir.db")
	if _, err := loadtest.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "cannot open") {
		t.Errorf("a run with an unusable database: %v", err)
	}

	// With a database other than the server's it fails the audit.
	cfg.DatabaseURL, cfg.DB = "", dbtest.Open(t, "sqlite")
	rep, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed() || !strings.Contains(rep.AuditErr, "not the server's") {
		t.Errorf("a run audited on another database passed: %q", rep.AuditErr)
	}
}

func TestParseWeights(t *testing.T) {
	w, err := loadtest.ParseWeights("hot=0, transfer=3")
	if err != nil {
		t.Fatal(err)
	}
	if w["hot"] != 0 || w["transfer"] != 3 || w["history"] != loadtest.DefaultWeights["history"] {
		t.Errorf("got %v", w)
	}
	for _, bad := range []string{"hot", "nope=1", "hot=-1", "hot=x"} {
		if _, err := loadtest.ParseWeights(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

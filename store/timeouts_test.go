package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWithRuntimeParams(t *testing.T) {
	ms := map[string]time.Duration{"lock_timeout": 3 * time.Second, "statement_timeout": 0}
	for in, want := range map[string]string{
		"postgres://u@h/db":                                "postgres://u@h/db?lock_timeout=3000",
		"postgres://u:p%40ss@a:5432,b:5433/db?x=1":         "postgres://u:p%40ss@a:5432,b:5433/db?x=1&lock_timeout=3000",
		"postgres://u@h/db?lock_timeout=10s":               "postgres://u@h/db?lock_timeout=10s",
		"postgres://u@h/db?options=-c%20lock_timeout%3D1s": "postgres://u@h/db?options=-c%20lock_timeout%3D1s",
	} {
		got, err := withRuntimeParams(in, ms)
		if err != nil || got != want {
			t.Errorf("withRuntimeParams(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestSessionTimeouts: sessions opened with Options have them, on SQLite
// always and on PostgreSQL when MINIPAY_TEST_POSTGRES_URL (dbtest's
// variable; dbtest imports this package) is set.
func TestSessionTimeouts(t *testing.T) {
	opts := Options{LockTimeout: 300 * time.Millisecond, StatementTimeout: 2 * time.Second}
	check := func(url string, want map[string]string) {
		db, err := connect(url, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, conns := range []*sql.DB{db.reads, db.writes} {
			for q, w := range want {
				var got string
				if err := conns.QueryRowContext(context.Background(), q).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != w {
					t.Errorf("%s: %s = %s, want %s", db.Dialect(), q, got, w)
				}
			}
		}
	}
	check("sqlite:"+filepath.Join(t.TempDir(), "t.db"), map[string]string{"PRAGMA busy_timeout": "300", "PRAGMA temp_store": "2"})
	if url := os.Getenv("MINIPAY_TEST_POSTGRES_URL"); url != "" {
		check(url, map[string]string{"SHOW lock_timeout": "300ms", "SHOW statement_timeout": "2s"})
	}
}

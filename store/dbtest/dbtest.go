// Package dbtest runs a test against every database minipay supports: a
// fresh SQLite file always, and a fresh PostgreSQL schema when
// MINIPAY_TEST_POSTGRES_URL is set. If it is set and the server cannot be
// reached the test fails: a skipped backend must never look green.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"minipay/store"
)

// EnvPostgres names the environment variable with the PostgreSQL URL.
const EnvPostgres = "MINIPAY_TEST_POSTGRES_URL"

// Each runs fn with an open, migrated, empty database of every backend,
// as parallel subtests named "sqlite" or "postgres". fn must not call
// t.Parallel again (it panics).
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	EachURL(t, func(t *testing.T, url string) { fn(t, OpenURL(t, url)) })
}

// EachURL runs fn with the URL of a fresh, empty database of every
// backend, as parallel subtests named "sqlite" or "postgres": for tests
// that open the database themselves (restarts, two servers at once).
func EachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, name := range Backends() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, URL(t, name))
		})
	}
}

// Backends lists the backends this run tests.
func Backends() []string {
	if os.Getenv(EnvPostgres) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// URL returns the URL of a fresh, empty database of the named backend,
// removed when the test ends.
func URL(t testing.TB, backend string) string {
	t.Helper()
	if backend == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "minipay.db")
	}
	base := os.Getenv(EnvPostgres)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("postgres at %s is unreachable or unusable (tests must not skip it): %v", base, err)
	}
	t.Cleanup(func() { admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a fresh database of the named backend, closed when the test ends.
func Open(t testing.TB, backend string) *store.DB {
	t.Helper()
	return OpenURL(t, URL(t, backend))
}

// OpenURL opens and migrates the database at url, closed when the test ends.
func OpenURL(t testing.TB, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

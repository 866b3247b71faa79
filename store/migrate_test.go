package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"minipay/store"
	"minipay/store/dbtest"
)

// TestConcurrentMigrations starts four migrations of one fresh database at
// once, as four servers of a rolling deploy would. Without the migration
// lock PostgreSQL failed some of them (duplicate key in pg_type: two
// sessions creating one table) and SQLite applied a migration twice.
func TestConcurrentMigrations(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errc := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				db, err := store.Open(ctx, url)
				if err == nil {
					err = db.Close()
				}
				errc <- err
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Error(err)
			}
		}
		db, err := store.OpenWith(ctx, url, store.Options{NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("after the concurrent migrations the schema is not complete: %v", err)
		}
		versions, err := store.ColumnForTest(db, `SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, v := range versions {
			if seen[v] {
				t.Errorf("migration %s applied twice: %s", v, strings.Join(versions, ","))
			}
			seen[v] = true
		}
	})
}

// TestCheckSchema: opened without migrating, a database whose schema is
// behind fails the check, saying what to run, and passes it once migrated.
func TestCheckSchema(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := store.OpenWith(ctx, url, store.Options{NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "minipay migrate") {
			t.Fatalf("the schema check of a fresh database: %v, want a refusal naming `minipay migrate`", err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:***@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=secret&x=1":         "postgres://u@h/db?password=***&x=1",
		"postgresql://u:p%40ss@h/db":                    "postgresql://u:***@h/db",
		"sqlite:minipay.db":                             "sqlite:minipay.db",
		// A multi-host URL, as a failover pair takes.
		"postgres://u:secret@a:6001,b:6002/db?target_session_attrs=read-write": "postgres://u:***@a:6001,b:6002/db?target_session_attrs=read-write",
		"postgres://u@a:6001,b:6002/db?password=secret":                        "postgres://u@a:6001,b:6002/db?password=***",
	} {
		if got := store.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

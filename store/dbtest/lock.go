package dbtest

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
)

// Lock stalls every writer of table from a connection of its own, as a
// stuck migration or a forgotten session would: PostgreSQL takes table's
// ACCESS EXCLUSIVE lock in an open transaction (readers of table wait
// too); SQLite, which locks the whole database, takes its write lock
// (BEGIN IMMEDIATE; readers go on). The returned release, also run when
// the test ends, lets go.
func Lock(t testing.TB, url, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	driver, dsn, stmts := "pgx", url, []string{"BEGIN", "LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE"}
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn, stmts = "sqlite", "file:"+path, []string{"BEGIN IMMEDIATE"}
	}
	pool, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	release = sync.OnceFunc(func() {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error("release the lock:", err)
		}
		conn.Close()
		pool.Close()
	})
	t.Cleanup(release)
	return release
}

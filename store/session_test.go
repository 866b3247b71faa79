package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestStmtCache: a statement SQLite's writer session ran unprepared is
// prepared once its transaction is over, and the next session runs it
// prepared, with the same effect.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	db, err := connect("sqlite:"+filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.writes.ExecContext(ctx, `CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	d := db.dialect.(sqlite)
	insert := step{what: "insert", sql: `INSERT INTO t (n) VALUES ($1)`}
	var sum int64
	count := step{what: "sum", sql: `SELECT COALESCE(SUM(n), 0) FROM t`, row: func(s scanner) error { return s.Scan(&sum) }}
	for i := range 3 {
		insert.args = []any{i + 1}
		if err := d.session(ctx, db.writes, func(s session) error { return s.exchange(ctx, []step{insert, count}, true) }); err != nil {
			t.Fatal(err)
		}
		if want := int64((i + 1) * (i + 2) / 2); sum != want {
			t.Errorf("session %d: sum %d, want %d", i, sum, want)
		}
		if got := len(d.stmts.stmts); got != 2 || d.stmts.prepared(insert.sql) == nil {
			t.Errorf("session %d: %d statements prepared, want the two it ran", i, got)
		}
	}
}

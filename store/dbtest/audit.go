package dbtest

import (
	"context"
	"testing"

	"minipay/store"
)

// Audit fails the test unless the books balance, and returns the report.
func Audit(t testing.TB, db *store.DB) store.AuditReport {
	t.Helper()
	r, err := db.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error("audit:", p)
	}
	return r
}

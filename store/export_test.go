package store

import "context"

// TamperForTest runs raw SQL so tests can prove the audit notices
// corrupted books.
func TamperForTest(db *DB, query string) error {
	_, err := db.w.ExecContext(context.Background(), query)
	return err
}

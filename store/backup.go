package store

import (
	"context"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to the file to while it
// is in use: SQLite only (PostgreSQL has pg_dump and pg_basebackup). It
// never overwrites: an existing file is an error.
func (db *DB) Backup(ctx context.Context, to string) error {
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file (a backup never overwrites)", to)
	}
	if err := db.dialect.backup(ctx, db.reads, to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

//go:build !unix

package store

import (
	"context"
	"database/sql"
)

// fileLocker locks nothing where there is no flock(2): there, migrate a
// SQLite file from one process at a time.
type fileLocker struct{ path string }

func (*fileLocker) SessionLock(context.Context, *sql.Conn) error   { return nil }
func (*fileLocker) SessionUnlock(context.Context, *sql.Conn) error { return nil }

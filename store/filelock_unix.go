//go:build unix

package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"syscall"
	"time"
)

// fileLocker is a goose session locker over an exclusive flock(2) on a
// file of its own: never on the database file, whose descriptors SQLite
// must be the only one to open and close (closing any descriptor of a file
// drops the process's POSIX locks on it). The kernel releases the lock if
// the process dies.
type fileLocker struct {
	path string
	f    *os.File
}

func (l *fileLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			l.f = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// SessionUnlock closes the file, which releases the lock.
func (l *fileLocker) SessionUnlock(context.Context, *sql.Conn) error {
	return l.f.Close()
}

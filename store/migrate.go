package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// Migrate brings the schema to the latest version. It holds a lock on the
// database while it does (dialect.migrationLocker), so any number of
// servers or `minipay migrate` may start at once on a fresh database: one
// migrates, the others wait and then find nothing to do.
func (db *DB) Migrate(ctx context.Context) error {
	locker, err := db.dialect.migrationLocker(ctx, db.writes)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := db.migrations(goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// CheckSchema fails unless every migration has been applied: what a server
// that does not migrate itself checks before it starts.
func (db *DB) CheckSchema(ctx context.Context) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if current < target {
		return fmt.Errorf("the database schema is at version %d, this build needs %d: run `minipay migrate` first (or serve with --migrate)", current, target)
	}
	return nil
}

func (db *DB) migrations(opts ...goose.ProviderOption) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+db.dialect.name())
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(db.dialect.gooseDialect(), db.writes, sub, opts...)
}

// lockWait is how long a migration waits for another one to finish, in
// one-second probes (goose's smallest period).
const lockWait = 10 * 60

// Package store is minipay's storage: one SQL package over database/sql for
// PostgreSQL (pgx) and SQLite (modernc, pure Go), the writer that applies
// ledger commands in batches, and the reads the API serves.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	neturl "net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// DefaultURL is the database minipay uses when none is configured: a SQLite
// file in the working directory, so `minipay serve` needs no setup.
const DefaultURL = "sqlite:minipay.db"

// DB is an open minipay database.
type DB struct {
	// writes takes every write. On SQLite it is a single connection
	// (SQLite has one writer anyway; queuing in Go beats SQLITE_BUSY
	// retries), on PostgreSQL it is the same pool as reads.
	writes, reads *sql.DB
	dialect       dialect // where PostgreSQL and SQLite differ (dialect.go)
	// events wakes the readers of the outbox on a commit that recorded
	// events (EventsCommitted); eventTxs are the open transactions of
	// inTx that did (InsertEvents).
	events   signal
	eventTxs sync.Map
}

// DefaultMaxConns is PostgreSQL's pool size unless Options say otherwise;
// SQLite reads through sqliteReaders connections by default.
const (
	DefaultMaxConns = 32
	sqliteReaders   = 8
)

// Options tune Open; the zero value opens with the defaults and migrates,
// and leaves the database's own timeouts (SQLite waits 10 s for a lock,
// PostgreSQL has no timeouts of its own).
type Options struct {
	// MaxConns caps the connections: PostgreSQL's pool, which reads and
	// writes share, or SQLite's readers beside its one writer (0: the
	// defaults above).
	MaxConns int
	// NoMigrate leaves the schema as it is: for a server whose deployment
	// migrates in a separate step (it should CheckSchema), and for a backup,
	// which must copy the database as it is.
	NoMigrate bool
	// LockTimeout bounds a wait for a lock: PostgreSQL's lock_timeout,
	// SQLite's busy_timeout.
	LockTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout: a backstop for
	// statements run without a deadline of their own.
	StatementTimeout time.Duration
}

// Open connects to the database named by url ("sqlite:path" or
// "postgres://…") and migrates it to the latest schema.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith is Open with options. On PostgreSQL a timeout the URL already
// sets (lock_timeout=…, statement_timeout=…) is the user's and kept.
func OpenWith(ctx context.Context, url string, o Options) (*DB, error) {
	db, err := connect(url, o)
	if err != nil {
		return nil, err
	}
	if err := db.reads.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", Redact(url), err)
	}
	if !o.NoMigrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func connect(url string, o Options) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		url, err := withRuntimeParams(url, map[string]time.Duration{"lock_timeout": o.LockTimeout, "statement_timeout": o.StatementTimeout})
		if err != nil {
			return nil, err
		}
		pool, err := sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		maxConns := cmp.Or(o.MaxConns, DefaultMaxConns)
		pool.SetMaxOpenConns(maxConns)
		pool.SetMaxIdleConns(maxConns)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		return &DB{writes: pool, reads: pool, dialect: postgres{}}, nil
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("sqlite URL names no file")
		}
		// A new database file is its owner's alone: it holds password
		// hashes (SQLite gives the -wal and -shm files the same mode).
		if !strings.HasPrefix(path, ":memory:") {
			if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
				f.Close()
			}
		}
		// WAL lets readers run beside the writer; synchronous=FULL makes a
		// committed batch survive power loss, not only a process crash.
		// temp_store=MEMORY keeps statement journals in memory: a batch's
		// multi-row statements journal the pages they change, and past
		// 64 KiB SQLite spilled that to a temporary file, written and
		// never synced (an eighth of the writer's CPU in a profile).
		busy := cmp.Or(o.LockTimeout, 10*time.Second)
		pragmas := fmt.Sprintf("_pragma=journal_mode(WAL)&_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)", busy.Milliseconds())
		w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
		if err != nil {
			w.Close()
			return nil, err
		}
		maxConns := cmp.Or(o.MaxConns, sqliteReaders)
		r.SetMaxOpenConns(maxConns)
		return &DB{writes: w, reads: r, dialect: sqlite{path: path}}, nil
	}
	return nil, fmt.Errorf("unsupported database URL %q: use sqlite:PATH or postgres://…", Redact(url))
}

// withRuntimeParams adds each nonzero timeout to a PostgreSQL URL as a
// session parameter in milliseconds (pgx sends unknown query parameters
// to the server), unless the URL sets it already. The rest of the URL is
// left as written.
func withRuntimeParams(raw string, params map[string]time.Duration) (string, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("malformed database URL %s", Redact(raw))
	}
	q := u.Query()
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if d := params[name]; d > 0 && !q.Has(name) && !strings.Contains(q.Get("options"), name) {
			sep := "&"
			if !strings.Contains(raw, "?") {
				sep = "?"
			}
			raw += sep + name + "=" + strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
	return raw, nil
}

// Redact hides a password in a URL, as user:password@ or as a password=
// parameter, for messages, logs and help texts.
func Redact(url string) string {
	url = passwordParam.ReplaceAllString(url, "${1}***")
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":***" + url[at:]
	}
	return url
}

var passwordParam = regexp.MustCompile(`(?i)([?&]password=)[^&#]*`)

// Dialect names the database kind: "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect.name() }

// Close closes the connections.
func (db *DB) Close() error {
	err := db.reads.Close()
	if db.writes != db.reads {
		err = errors.Join(err, db.writes.Close())
	}
	return err
}

// micros is how times are stored: microseconds since the Unix epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores the zero time as NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// nullID stores id 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullText stores "" as NULL.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// inTx runs fn in a write transaction and commits it, waking the readers
// of the outbox if fn recorded events.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.writes.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	err = fn(tx)
	if err != nil {
		tx.Rollback()
	} else {
		err = tx.Commit()
	}
	if _, recorded := db.eventTxs.LoadAndDelete(tx); recorded && err == nil {
		db.events.fire()
	}
	return err
}

// Ping checks the database is reachable.
func (db *DB) Ping(ctx context.Context) error { return db.reads.PingContext(ctx) }

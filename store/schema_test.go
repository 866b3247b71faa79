package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"minipay/store/dbtest"
)

// TestSchemaParity migrates a fresh SQLite file and a fresh PostgreSQL
// schema and compares what the twin migrations built: tables, columns
// (normalised type, NOT NULL), primary keys, foreign keys and indexes
// (columns, uniqueness, partial or not). The two migration folders are
// written by hand side by side; this is what stops them drifting apart.
func TestSchemaParity(t *testing.T) {
	t.Parallel()
	if os.Getenv(dbtest.EnvPostgres) == "" {
		t.Skipf("%s is not set: the schema parity needs both databases", dbtest.EnvPostgres)
	}
	lite := describeSQLite(t, rawDB(t, "sqlite"))
	pg := describePostgres(t, rawDB(t, "postgres"))
	if len(lite) < 10 {
		t.Fatalf("SQLite schema has only %d facts; the introspection is broken", len(lite))
	}
	if got := missing(lite, pg); !slices.Equal(got, onlySQLite) {
		t.Errorf("only in SQLite:\n  %s\nwant only the partitioning differences:\n  %s",
			strings.Join(got, "\n  "), strings.Join(onlySQLite, "\n  "))
	}
	if got := missing(pg, lite); !slices.Equal(got, onlyPostgres) {
		t.Errorf("only in PostgreSQL:\n  %s\nwant only the partitioning differences:\n  %s",
			strings.Join(got, "\n  "), strings.Join(onlyPostgres, "\n  "))
	}
}

// The differences by design. On PostgreSQL history (transactions and
// entries) is partitioned by month so a year-old month is dropped whole; a
// partitioned table's primary key must hold the partition key, and a
// foreign key into it would have to name created_at too, so entries keep
// their transaction by the writer's single statement instead. SQLite
// counts event ids in a table; PostgreSQL has a sequence. SQLite keeps the
// foreign keys of the writer's inserts that PostgreSQL dropped for their
// cost (migrations 00022 and 00032): on SQLite they cost next to nothing. And an
// SQLite entry's primary key is its rowid, no index, so it keeps
// entries_transaction, which PostgreSQL's primary key replaced (00023).
var (
	onlySQLite = []string{
		"column event_ids.last int not-null=true",
		"foreign-key entries (account_id) -> accounts (id)",
		"foreign-key entries (transaction_id) -> transactions (id)",
		"foreign-key installments (account_id) -> accounts (id)",
		"foreign-key notifications (user_id) -> users (id)",
		"foreign-key transfers (from_account) -> accounts (id)",
		"foreign-key transfers (from_user) -> users (id)",
		"foreign-key transfers (to_account) -> accounts (id)",
		"foreign-key transfers (to_user) -> users (id)",
		"index entries (transaction_id) unique=false partial=false",
		"primary-key entries (id)",
		"primary-key transactions (id)",
	}
	onlyPostgres = []string{
		"primary-key entries (transaction_id, created_at, id)",
		"primary-key transactions (id, created_at)",
	}
)

// rawDB migrates a fresh database of backend and opens a plain connection
// to it for the catalog queries.
func rawDB(t *testing.T, backend string) *sql.DB {
	url := dbtest.URL(t, backend)
	dbtest.OpenURL(t, url) // migrates
	driver, dsn := "pgx", url
	if rest, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn = "sqlite", rest
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func missing(have, other []string) []string {
	var out []string
	for _, f := range have {
		if _, found := slices.BinarySearch(other, f); !found {
			out = append(out, f)
		}
	}
	return out
}

// normType folds the declared types both databases accept into one word.
func normType(t string) string {
	switch t = strings.ToLower(t); t {
	case "integer", "bigint", "int", "smallint":
		return "int"
	case "boolean", "bool":
		return "bool"
	case "text", "character varying":
		return "text"
	}
	return t
}

// query runs q and returns each row's columns joined, one fact a row.
func query(t *testing.T, db *sql.DB, format, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		out = append(out, fmt.Sprintf(format, vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The describe functions return sorted facts of the forms
//
//	column users.name text not-null=true
//	primary-key users (id)
//	foreign-key entries (account_id) -> accounts (id)
//	index entries (account_id, id) unique=false partial=false
//
// The goose version table is the migration tool's, not minipay's.

func describeSQLite(t *testing.T, db *sql.DB) []string {
	tables := query(t, db, "%v", `SELECT name FROM sqlite_schema WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version' ORDER BY name`)
	var facts []string
	for _, tbl := range tables {
		for _, c := range query(t, db, "%v\t%v\t%v\t%v", `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, tbl) {
			f := strings.Split(c, "\t")
			// A primary key column is NOT NULL in PostgreSQL whatever it says.
			facts = append(facts, fmt.Sprintf("column %s.%s %s not-null=%v", tbl, f[0], normType(f[1]), f[2] == "1" || f[3] != "0"))
		}
		pk := query(t, db, "%v", `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, tbl)
		if len(pk) > 0 {
			facts = append(facts, fmt.Sprintf("primary-key %s (%s)", tbl, strings.Join(pk, ", ")))
		}
		facts = append(facts, query(t, db, "foreign-key "+tbl+" (%v) -> %v (%v)",
			`SELECT "from", "table", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, tbl)...)
		// Indexes that back the primary key are the primary-key fact.
		for _, ix := range query(t, db, "%v\t%v\t%v", `SELECT name, "unique", partial FROM pragma_index_list(?) WHERE origin <> 'pk'`, tbl) {
			f := strings.Split(ix, "\t")
			cols := query(t, db, "%v", `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, f[0])
			facts = append(facts, fmt.Sprintf("index %s (%s) unique=%v partial=%v", tbl, strings.Join(cols, ", "), f[1] == "1", f[2] == "1"))
		}
	}
	slices.Sort(facts)
	return facts
}

func describePostgres(t *testing.T, db *sql.DB) []string {
	// Partitions of a partitioned table are storage, not schema.
	const tables = `SELECT c.oid FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
		AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'goose_db_version'`
	facts := query(t, db, "column %v.%v %v not-null=%v", `SELECT c.relname, a.attname, format_type(a.atttypid, NULL), a.attnotnull
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.oid IN (`+tables+`) AND a.attnum > 0 AND NOT a.attisdropped`)
	for i, f := range facts {
		// format_type gives "bigint", "text", "boolean", …
		parts := strings.Split(f, " ")
		parts[2] = normType(parts[2])
		facts[i] = strings.Join(parts, " ")
	}
	facts = append(facts, query(t, db, "primary-key %v (%v)", `SELECT c.relname,
		(SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)
		FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
		WHERE con.contype = 'p' AND c.oid IN (`+tables+`)`)...)
	facts = append(facts, query(t, db, "foreign-key %v (%v) -> %v (%v)", `SELECT c.relname,
		(SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),
		f.relname,
		(SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = f.oid AND a.attnum = k.attnum)
		FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class f ON f.oid = con.confrelid
		WHERE con.contype = 'f' AND c.oid IN (`+tables+`)`)...)
	facts = append(facts, query(t, db, "index %v (%v) unique=%v partial=%v", `SELECT c.relname,
		(SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),
		i.indisunique, i.indpred IS NOT NULL
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE NOT i.indisprimary AND c.oid IN (`+tables+`)`)...)
	slices.Sort(facts)
	return facts
}

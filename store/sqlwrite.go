package store

import (
	"context"
	"database/sql"
	"strings"
)

// The writer and the seeding helpers write rows as a few set-based
// statements whose text does not depend on the number of rows: the rows
// travel as parameters (arrays on PostgreSQL, one JSON document on
// SQLite; see the dialect's table), so each statement has one prepared
// plan. The dialect's writeSteps decides how many statements carry them.

// write is one set-based statement over rows given as a derived table:
// an INSERT … SELECT, an UPDATE … FROM by id (the first column), or a
// DELETE of the rows whose columns cols (a key) match a row's. Its text
// is the same for any number of rows.
type write struct {
	table          string
	cols           []column
	rows           [][]any
	update, delete bool
}

// sql renders the statement with parameters numbered from $n.
func (wr write) sql(d dialect, n int) (string, []any) {
	src, args := d.table(n, wr.cols, wr.rows)
	names := make([]string, len(wr.cols))
	for i, c := range wr.cols {
		names[i] = c.name
	}
	list := strings.Join(names, ", ")
	switch {
	case wr.delete:
		return `DELETE FROM ` + wr.table + ` WHERE (` + list + `) IN (SELECT ` + list + ` FROM ` + src + `)`, args
	case !wr.update:
		return `INSERT INTO ` + wr.table + ` (` + list + `) SELECT ` + list + ` FROM ` + src, args
	}
	sets := make([]string, len(names)-1)
	for i, name := range names[1:] {
		sets[i] = name + " = v." + name
	}
	return `UPDATE ` + wr.table + ` SET ` + strings.Join(sets, ", ") + ` FROM ` + src + ` WHERE ` + wr.table + `.id = v.id`, args
}

// insertRows inserts rows into table with one statement.
func insertRows(ctx context.Context, tx *sql.Tx, d dialect, table string, cols []column, rows [][]any) error {
	return runSteps(ctx, tx, d.writeSteps([]write{{table: table, cols: cols, rows: rows}}))
}

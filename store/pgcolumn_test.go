package store

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestPGColumn: a bigint column of int64s or a text column of strings
// becomes a typed array pgx encodes without reflection, NULLs kept as
// invalid values of the column's type; anything else stays as it was. The writer's tests on PostgreSQL check the values
// round-trip; this checks the types.
func TestPGColumn(t *testing.T) {
	rows := [][]any{
		{int64(1), int64(7), "a", "x", int64(1), true, nil},
		{int64(2), nil, "b", nil, "mixed", false, nil},
	}
	types := []string{"bigint", "bigint", "text", "text", "bigint", "boolean", "text"}
	want := []any{
		[]int64{1, 2},
		pgtype.FlatArray[pgtype.Int8]{{Int64: 7, Valid: true}, {}},
		[]string{"a", "b"},
		pgtype.FlatArray[pgtype.Text]{{String: "x", Valid: true}, {}},
		[]any{int64(1), "mixed"},
		[]any{true, false},
		pgtype.FlatArray[pgtype.Text]{{}, {}},
	}
	for c, w := range want {
		if got := pgColumn(rows, c, types[c]); !reflect.DeepEqual(got, w) {
			t.Errorf("column %d: %#v, want %#v", c, got, w)
		}
	}
}

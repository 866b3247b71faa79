package dbtest

import (
	"testing"
	"time"

	"minipay/clock"
	"minipay/store"
)

// Start is the moment test clocks start at: a Tuesday afternoon in Seoul.
var Start = time.Date(2026, 11, 24, 15, 0, 0, 0, clock.Seoul)

// Writer starts a writer on db with four workers in Seoul time, closed
// when the test ends.
func Writer(t testing.TB, db *store.DB, clk clock.Clock) *store.Writer {
	w := store.NewWriter(db, clk, clock.Seoul, store.WriterConfig{Workers: 4})
	t.Cleanup(w.Close)
	return w
}

package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// BenchmarkExpireIdempotencyKeys deletes a day's worth of expired
// idempotency keys — 1,000,000 rows unless MINIPAY_BENCH_N says otherwise —
// while a user keeps sending transfers with keys of their own
// (expiryUnderLoad). Run it on SQLite, and on PostgreSQL with
// MINIPAY_TEST_POSTGRES_URL set:
//
//	go test ./store -run '^$' -bench ExpireIdempotencyKeys -benchtime 1x
func BenchmarkExpireIdempotencyKeys(b *testing.B) {
	db, e, n := benchEnv(b)
	created := e.Clock.Now().Add(-2 * store.IdempotencyWindow).UnixMicro()
	seed(b, db, n, `INSERT INTO idempotency_keys (key, request_hash, receipt, created_at) SELECT '0:bench-' || n, 'h', '{}', %d + n FROM g`, created)
	expiryUnderLoad(b, e, n, func() (store.Expired, error) { return db.ExpireIdempotencyKeys(context.Background(), e.Clock.Now()) })
}

// BenchmarkExpireTransfers deletes a month's worth of finished transfers
// older than the retention boundary — 1,000,000 unless MINIPAY_BENCH_N says
// otherwise — the way the monthly retention does, while a user keeps
// sending transfers (expiryUnderLoad):
//
//	go test ./store -run '^$' -bench ExpireTransfers -benchtime 1x
func BenchmarkExpireTransfers(b *testing.B) {
	db, e, n := benchEnv(b)
	a, c := e.User(b, "old-a"), e.User(b, "old-c")
	boundary := e.Clock.Now().AddDate(0, -1, 0).UnixMicro()
	// Negative ids: PostgreSQL's sequence and SQLite's MAX+1 hand out the
	// positive ones to the transfers sent meanwhile.
	seed(b, db, n, `INSERT INTO transfers (id, from_user, from_account, to_user, to_account, amount, status, sender_name, display_name, created_at)
		SELECT -n, %d, %d, %d, %d, 1, 'completed', 'A', 'A', %d - n FROM g`, a.ID, a.MainAccount, c.ID, c.MainAccount, boundary)
	// Rows a year old have long been vacuumed: without it the first batch
	// would set the hint bits of a million freshly loaded rows.
	if db.Dialect() == "postgres" {
		if err := store.TamperForTest(db, `VACUUM ANALYZE transfers`); err != nil {
			b.Fatal(err)
		}
	}
	expiryUnderLoad(b, e, n, func() (store.Expired, error) { return store.ExpireTransfersForTest(db, boundary) })
}

// benchEnv opens the database the benchmarks measure and reads how many
// rows to seed.
func benchEnv(b *testing.B) (*store.DB, *dbtest.Env, int) {
	backend := "sqlite"
	if os.Getenv(dbtest.EnvPostgres) != "" {
		backend = "postgres"
	}
	n := 1_000_000
	fmt.Sscan(os.Getenv("MINIPAY_BENCH_N"), &n)
	db := dbtest.Open(b, backend)
	return db, dbtest.NewEnv(b, db), n
}

// seed runs insert (a format for args) over g(n), the numbers 1 to n.
func seed(b *testing.B, db *store.DB, n int, insert string, args ...any) {
	q := fmt.Sprintf(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %d) `, n) + fmt.Sprintf(insert, args...)
	if err := store.TamperForTest(db, q); err != nil {
		b.Fatal(err)
	}
}

// expiryUnderLoad runs expire, which must delete n rows, while a user
// sends transfers one at a time, and reports the deletion's rows/s, its
// batches, the longest batch (the longest it held locks at once), and the
// transfers' pace and slowest transfer meanwhile against a second
// without it.
func expiryUnderLoad(b *testing.B, e *dbtest.Env, n int, expire func() (store.Expired, error)) {
	ctx := context.Background()
	a, c := e.User(b, "a"), e.User(b, "c")
	if _, err := e.W.Do(ctx, a.ID, store.Idempotency{}, ledger.Charge{User: a.ID, Account: a.MainAccount, Amount: 3_000_000}); err != nil {
		b.Fatal(err)
	}
	// sender sends transfers, one at a time, until stop is closed, and
	// reports how many it sent and the slowest.
	next := 0
	sender := func(stop <-chan struct{}, out chan<- [2]int64) {
		var sent, slowest int64
		defer func() { out <- [2]int64{sent, slowest} }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			next++
			idem := store.Idempotency{Key: fmt.Sprintf("t%d", next), Fingerprint: "f"}
			if _, err := e.W.Do(ctx, a.ID, idem, ledger.Transfer{User: a.ID, From: a.MainAccount, To: c.MainAccount, Amount: 1}); err != nil {
				b.Error(err)
				return
			}
			sent, slowest = sent+1, max(slowest, int64(time.Since(start)))
		}
	}
	during := func(fn func()) (took time.Duration, perSecond float64, slowest time.Duration) {
		stop, out := make(chan struct{}), make(chan [2]int64)
		go sender(stop, out)
		start := time.Now()
		fn()
		took = time.Since(start)
		close(stop)
		r := <-out
		return took, float64(r[0]) / took.Seconds(), time.Duration(r[1])
	}
	// The transfers' pace without a deletion, for comparison.
	_, baseRate, baseSlowest := during(func() { time.Sleep(time.Second) })
	for b.Loop() {
		var got store.Expired
		var err error
		took, rate, slowest := during(func() { got, err = expire() })
		if err != nil {
			b.Fatal(err)
		}
		if got.Rows != int64(n) {
			b.Fatalf("deleted %d rows, want %d (run with -benchtime 1x)", got.Rows, n)
		}
		b.ReportMetric(float64(got.Rows)/took.Seconds(), "rows/s")
		b.ReportMetric(float64(got.Batches), "batches")
		b.ReportMetric(float64(took.Milliseconds())/float64(got.Batches), "ms/batch")
		b.ReportMetric(float64(got.Longest.Milliseconds()), "ms/longest-batch")
		b.ReportMetric(baseRate, "transfers/s-alone")
		b.ReportMetric(float64(baseSlowest.Milliseconds()), "ms/slowest-transfer-alone")
		b.ReportMetric(rate, "transfers/s-meanwhile")
		b.ReportMetric(float64(slowest.Milliseconds()), "ms/slowest-transfer-meanwhile")
	}
}

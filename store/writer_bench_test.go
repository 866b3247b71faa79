package store_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// BenchmarkWriterWAL sends transfers through the writer from 100
// goroutines, spread over 1,000 accounts and to one hot account, and
// reports transfers/s, the CPU time of this process per transfer (goCPU)
// and, on PostgreSQL, the WAL written per transfer
// (pg_current_wal_insert_lsn before and after: the whole server's WAL, so
// other work on it counts too). It logs the WAL range of each run, so on a
// shared server the database's own share can be read with pg_waldump
// (records naming relations 1663/<the database's oid>/…). With the server
// on this machine it also reports the CPU time its client backends
// connected to the benchmark's database spent per transfer (dbtest.BackendCPU), so
// give the benchmark a database of its own; with pg_stat_statements
// installed there it also reports that database's own WAL (ownWAL).
// PostgreSQL only (set MINIPAY_TEST_POSTGRES_URL):
//
//	go test ./store -run '^$' -bench WriterWAL -benchtime 20000x
func BenchmarkWriterWAL(b *testing.B) {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		b.Skip("PostgreSQL only: set " + dbtest.EnvPostgres)
	}
	db := dbtest.Open(b, "postgres")
	benchTransfers(b, db, func(b *testing.B, run func()) {
		ctx := context.Background()
		start, cpu0, own0 := walLSN(b, db), dbtest.BackendCPU(b, db), ownWAL(b, db)
		run()
		end, cpu1, own1 := walLSN(b, db), dbtest.BackendCPU(b, db), ownWAL(b, db)
		var wal int64
		if err := db.SQL().QueryRowContext(ctx, `SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint`, end, start).Scan(&wal); err != nil {
			b.Fatal(err)
		}
		b.Logf("%d transfers, WAL %s to %s", b.N, start, end)
		b.ReportMetric(float64(wal)/float64(b.N), "WAL-bytes/transfer")
		if own0 >= 0 && own1 >= 0 {
			b.ReportMetric(float64(own1-own0)/float64(b.N), "own-WAL-bytes/transfer")
		}
		if spent, ok := dbtest.CPUSpent(cpu0, cpu1); ok {
			b.ReportMetric(float64(spent.Microseconds())/float64(b.N), "PG-CPU-µs/transfer")
		}
	})
}

// BenchmarkWriterSQLite is BenchmarkWriterWAL's load on SQLite, where the
// database runs in this process: Go-CPU-µs/transfer is SQLite's work too.
//
//	go test ./store -run '^$' -bench WriterSQLite -benchtime 20000x
func BenchmarkWriterSQLite(b *testing.B) {
	benchTransfers(b, dbtest.Open(b, "sqlite"), func(_ *testing.B, run func()) { run() })
}

// benchTransfers funds 1,000 users on db, then for the spread and the hot
// scenario has measure call run, which sends b.N transfers through the
// writer from 100 goroutines, and reports transfers/s and this process's
// CPU time per transfer (the writer and the 100 callers: the Go side).
func benchTransfers(b *testing.B, db *store.DB, measure func(b *testing.B, run func())) {
	e := dbtest.NewEnv(b, db)
	ctx := context.Background()
	users := make([]store.User, 1000)
	for i := range users {
		users[i] = e.User(b, fmt.Sprintf("u%d", i))
		if _, err := e.W.Do(ctx, users[i].ID, store.Idempotency{}, ledger.Charge{User: users[i].ID, Account: users[i].MainAccount, Amount: 1_000_000}); err != nil {
			b.Fatal(err)
		}
	}
	// A server's tables have statistics; a fresh database's say accounts
	// holds its three system rows (counted when migration 00024 built an
	// index), and the writer's plans then scan and sort every account to
	// lock a batch's few (EXPLAIN; README, "PostgreSQL's CPU per
	// transfer"). Measure the steady state, as autovacuum leaves it.
	if err := store.TamperForTest(db, `ANALYZE accounts, users`); err != nil {
		b.Fatal(err)
	}
	for _, sc := range []struct {
		name string
		to   func(i int) store.User
	}{
		{"spread", func(i int) store.User { return users[(i*7919+1)%len(users)] }},
		{"hot", func(int) store.User { return users[0] }},
	} {
		b.Run(sc.name, func(b *testing.B) {
			measure(b, func() {
				t0 := time.Now()
				goCPU0, goOK := dbtest.ProcCPU("self")
				var wg sync.WaitGroup
				for g := range 100 {
					wg.Go(func() {
						for i := g; i < b.N; i += 100 {
							from, to := users[1+i%(len(users)-1)], sc.to(i)
							if from.ID == to.ID {
								to = users[(i+2)%len(users)]
							}
							if _, err := e.W.Do(ctx, from.ID, store.Idempotency{}, ledger.Transfer{User: from.ID, From: from.MainAccount, To: to.MainAccount, Amount: 1}); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "transfers/s")
				if goCPU1, goOK1 := dbtest.ProcCPU("self"); goOK && goOK1 {
					b.ReportMetric(float64((goCPU1-goCPU0).Microseconds())/float64(b.N), "Go-CPU-µs/transfer")
				}
			})
		})
	}
	dbtest.Audit(b, db)
}

// walLSN is the server's current WAL insert position.
func walLSN(b *testing.B, db *store.DB) string {
	var lsn string
	if err := db.SQL().QueryRowContext(context.Background(), `SELECT pg_current_wal_insert_lsn()::text`).Scan(&lsn); err != nil {
		b.Fatal(err)
	}
	return lsn
}

// ownWAL is the WAL the statements run in db's database have written so
// far, as pg_stat_statements counts it (commit records are not counted):
// on a shared server, this database's part of the WAL. -1 unless the
// extension is installed in the database's public schema.
func ownWAL(b *testing.B, db *store.DB) int64 {
	ctx := context.Background()
	var installed bool
	if err := db.SQL().QueryRowContext(ctx, `SELECT to_regclass('public.pg_stat_statements') IS NOT NULL`).Scan(&installed); err != nil {
		b.Fatal(err)
	}
	if !installed {
		return -1
	}
	var wal int64
	if err := db.SQL().QueryRowContext(ctx, `SELECT COALESCE(SUM(wal_bytes), 0)::bigint FROM public.pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&wal); err != nil {
		b.Fatal(err)
	}
	return wal
}

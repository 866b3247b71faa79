package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"minipay/clock"
	"minipay/jobs"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// Run the job benchmarks with, for PostgreSQL:
//
//	MINIPAY_TEST_POSTGRES_URL=postgres://… go test ./jobs -run '^$' -bench . -benchtime 1x
//
// They seed MINIPAY_BENCH_N due items (10,000 unless set; the README's
// numbers are for 1,000,000) with a few set-based statements and time one
// run of the job that has them all due, on a scheduler and writer set up
// as the server sets them up (default chunk, two writer workers).

func benchBackend() string {
	if os.Getenv(dbtest.EnvPostgres) != "" {
		return "postgres"
	}
	return "sqlite"
}

func benchN() int {
	n := 10_000
	fmt.Sscan(os.Getenv("MINIPAY_BENCH_N"), &n)
	return n
}

// benchServer is a server over a fresh database of the benchmarked
// backend, on a manual clock at t0, with the server's writer and chunk.
func benchServer(b *testing.B) (*store.DB, *clock.Manual, *server) {
	db := dbtest.Open(b, benchBackend())
	clk := clock.NewManual(t0)
	w := store.NewWriter(db, clk, seoul, store.WriterConfig{Workers: 2, BatchTimeout: dbtest.SlowMachine})
	b.Cleanup(w.Close)
	return db, clk, &server{db: db, w: w, sched: &jobs.Scheduler{DB: db, Writer: w, Clock: clk, Location: seoul, Log: slog.New(slog.DiscardHandler)}}
}

// seedSQL runs each statement with g(n) the numbers 1 to count: generate_series on PostgreSQL,
// a recursive CTE on SQLite. The seeded money is as if its history had
// been folded by retention: balances are retained_balances rows, which
// sum to zero over all accounts, so the audit holds.
func seedSQL(b *testing.B, db *store.DB, count int, statements ...string) {
	g := fmt.Sprintf(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %d) `, count)
	if db.Dialect() == "postgres" {
		g = fmt.Sprintf(`WITH g(n) AS (SELECT generate_series(1, %d)) `, count)
	}
	for _, q := range statements {
		if _, err := db.SQL().ExecContext(context.Background(), g+q); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
	// Statistics as a database of that size would have them (and on
	// PostgreSQL the hint bits set, as on rows long committed).
	analyze := `ANALYZE`
	if db.Dialect() == "postgres" {
		analyze = `VACUUM ANALYZE`
	}
	if _, err := db.SQL().ExecContext(context.Background(), analyze); err != nil {
		b.Fatal(err)
	}
}

// hotUpdates logs how many of table's row updates were HOT (no new index
// entries) on PostgreSQL.
func hotUpdates(b *testing.B, db *store.DB, table string) {
	if db.Dialect() != "postgres" {
		return
	}
	time.Sleep(time.Second) // the statistics arrive a moment after the commit
	var upd, hot int64
	db.SQL().QueryRow(`SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1 AND schemaname = current_schema()`, table).Scan(&upd, &hot)
	b.Logf("%s: %d row updates, %d HOT", table, upd, hot)
}

// timeRun runs the due jobs once, the only part the benchmark times, and
// logs the CPU time of this process and of the database for it, per item,
// and on PostgreSQL the WAL range it wrote in (for pg_waldump: other
// databases' writes fall in it too).
func timeRun(b *testing.B, s *server, items int) time.Duration {
	perItem := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(items) }
	if self, ok := dbtest.ProcCPU("self"); ok {
		defer func() {
			if after, ok := dbtest.ProcCPU("self"); ok {
				b.Logf("Go CPU %.1f s, %.1f µs per item", (after - self).Seconds(), perItem(after-self))
			}
		}()
	}
	if s.db.Dialect() == "postgres" {
		before := dbtest.BackendCPU(b, s.db)
		var from string
		s.db.SQL().QueryRow(`SELECT pg_current_wal_lsn()`).Scan(&from)
		defer func() {
			var to string
			s.db.SQL().QueryRow(`SELECT pg_current_wal_lsn()`).Scan(&to)
			if spent, ok := dbtest.CPUSpent(before, dbtest.BackendCPU(b, s.db)); ok {
				b.Logf("postgres backends' CPU %.1f s, %.1f µs per item; WAL %s to %s", spent.Seconds(), perItem(spent), from, to)
			}
		}()
	}
	b.StartTimer()
	began := time.Now()
	if err := s.sched.RunDue(context.Background()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(began)
	b.StopTimer()
	return took
}

// benchUsers inserts the users u1 … un, created at at (micros).
func benchUsers(at int64) string {
	return fmt.Sprintf(`INSERT INTO users (username, name, password_hash, created_at) SELECT 'u' || n, 'Bench', 'x', %d FROM g`, at)
}

// retainBalances records the seeded balances as retained (the money's
// history folded), the external bank's as their opposite, so the books
// balance.
var retainBalances = fmt.Sprintf(`INSERT INTO retained_balances (account_id, amount)
	SELECT id, balance FROM accounts WHERE balance <> 0 UNION ALL SELECT %d, -SUM(balance) FROM accounts`, ledger.ExternalBank)

// BenchmarkInterestJob pays a day's interest on n savings accounts of
// 1,000,000 won each.
func BenchmarkInterestJob(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db, clk, s := benchServer(b)
		n := benchN()
		at, day := t0.UnixMicro(), ledger.BusinessDay(t0, seoul)
		seedSQL(b, db, n,
			benchUsers(at),
			`INSERT INTO accounts (user_id, kind, created_at) SELECT id, 'main', created_at FROM users`,
			fmt.Sprintf(`INSERT INTO accounts (user_id, kind, product, balance, principal, interest_day, installment_day, created_at)
				SELECT id, 'savings', 'free', 1000000, 1000000, '%s', '%s', created_at FROM users`, ledger.AddDays(day, -1), day),
			retainBalances)
		clk.Set(dayAt(1, 4)) // interest for day 0 is due
		took := timeRun(b, s, n)
		left, _, _ := db.DueInterest(context.Background(), day, store.Cursor{}, 10)
		if len(left) != 0 {
			b.Fatalf("%d accounts not paid", len(left))
		}
		hotUpdates(b, db, "accounts")
		b.ReportMetric(float64(n)/took.Seconds(), "accounts/s")
		b.Logf("%s: interest for %d savings accounts in %v (%.0f accounts/s, chunks of %d)", benchBackend(), n, took, float64(n)/took.Seconds(), jobs.DefaultChunk)
		dbtest.Audit(b, db)
	}
}

// BenchmarkExpirySweep expires n pending transfers of 10 won, sent by
// n/100 senders to one receiver, all due.
func BenchmarkExpirySweep(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db, clk, s := benchServer(b)
		n := benchN()
		senders := n/100 + 1
		at, expires := t0.UnixMicro(), t0.Add(ledger.PendingLifetime).UnixMicro()
		id := "n"
		if db.Dialect() == "postgres" {
			id = "nextval('transfers_id_seq')"
		}
		seedSQL(b, db, n,
			fmt.Sprintf(`INSERT INTO users (username, name, password_hash, created_at) SELECT 's' || (n - 1), 'Bench', 'x', %d FROM g WHERE n <= %d`, at, senders+1),
			`INSERT INTO accounts (user_id, kind, balance, created_at) SELECT id, 'main', 1000000, created_at FROM users`,
			`INSERT INTO retained_balances (account_id, amount) SELECT id, balance FROM accounts WHERE kind = 'main'`,
			// s0 receives; the others send, transfer n coming from s(1 + n mod senders).
			fmt.Sprintf(`INSERT INTO transfers (id, from_user, from_account, to_user, to_account, amount, status, sender_name, display_name, created_at, expires_at)
				SELECT %s, f.user_id, f.id, t.user_id, t.id, 10, 'pending', 'Bench', 'Bench', %d, %d
				FROM g JOIN users fu ON fu.username = 's' || (1 + n %% %d) JOIN accounts f ON f.user_id = fu.id AND f.kind = 'main',
					users tu JOIN accounts t ON t.user_id = tu.id AND t.kind = 'main' WHERE tu.username = 's0'`, id, at, expires, senders),
			`INSERT INTO pending_due (expires_at, transfer_id, from_account) SELECT expires_at, id, from_account FROM transfers`,
			fmt.Sprintf(`INSERT INTO retained_balances (account_id, amount) VALUES (%d, %d), (%d, %d)`,
				ledger.PendingHold, 10*n, ledger.ExternalBank, -10*n-1_000_000*(senders+1)))
		clk.Set(t0.Add(ledger.PendingLifetime)) // all due; the 48 h reminders are past too
		took := timeRun(b, s, n)
		if left, _, _ := db.DuePending(context.Background(), clk.Now(), store.Cursor{}, 10); len(left) != 0 {
			b.Fatalf("%d transfers not expired", len(left))
		}
		hotUpdates(b, db, "transfers")
		b.ReportMetric(float64(n)/took.Seconds(), "transfers/s")
		b.Logf("%s: expired %d pending transfers in %v (%.0f/s, chunks of %d)", benchBackend(), n, took, float64(n)/took.Seconds(), jobs.DefaultChunk)
		dbtest.Audit(b, db)
	}
}

// BenchmarkInstallmentsJob takes a day's installment of 10,000 won from
// n fixed savings accounts at 08:00, the day's interest already paid, as
// the real job meets them: most owners' main accounts hold the money,
// one in a hundred is short and is charged 10,000 won first, and one in a
// hundred is short with the day's charge limit spent, so the installment
// is missed (recorded, and the owner notified).
func BenchmarkInstallmentsJob(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db, clk, s := benchServer(b)
		n := benchN()
		yesterday, today := ledger.BusinessDay(t0, seoul), ledger.BusinessDay(dayAt(1, 8), seoul)
		seedSQL(b, db, n,
			benchUsers(t0.UnixMicro()),
			// u…00 is short, u…01 short with the limit spent.
			fmt.Sprintf(`INSERT INTO accounts (user_id, kind, balance, charge_day, charged, created_at)
				SELECT id, 'main', CASE WHEN id %% 100 IN (0, 1) THEN 3000 ELSE 1000000 END,
					CASE WHEN id %% 100 = 1 THEN '%s' ELSE '' END, CASE WHEN id %% 100 = 1 THEN %d ELSE 0 END, created_at FROM users`,
				today, ledger.DailyChargeLimit),
			fmt.Sprintf(`INSERT INTO accounts (user_id, kind, product, daily_amount, balance, principal, interest_day, installment_day, created_at)
				SELECT id, 'savings', 'fixed', 10000, 100000, 100000, '%[1]s', '%[1]s', created_at FROM users`, yesterday),
			retainBalances,
			// Yesterday's runs finished, as on a server that runs every day.
			fmt.Sprintf(`INSERT INTO job_runs (job, period, claimed_by, claimed_at, finished_at)
				SELECT job, '%s', 'bench', 0, 0 FROM (SELECT 'interest' AS job UNION ALL SELECT 'installments') j`, yesterday))
		clk.Set(dayAt(1, 8)) // today's installments are due
		took := timeRun(b, s, n)
		if left, _, _ := db.DueInstallments(context.Background(), today, ledger.InstallmentProducts(), store.Cursor{}, 10); len(left) != 0 {
			b.Fatalf("%d installments not taken", len(left))
		}
		var paid, missed, charged int
		db.SQL().QueryRow(`SELECT COUNT(*) FILTER (WHERE status = 'paid'), COUNT(*) FILTER (WHERE status = 'missed'),
			COUNT(*) FILTER (WHERE charged > 0) FROM installments WHERE day = $1`, today).Scan(&paid, &missed, &charged)
		if paid+missed != n || missed == 0 || charged == 0 {
			b.Fatalf("installments of %s: %d paid (%d charged first), %d missed, of %d", today, paid, charged, missed, n)
		}
		hotUpdates(b, db, "accounts")
		b.ReportMetric(float64(n)/took.Seconds(), "accounts/s")
		b.Logf("%s: %d installments (%d charged first, %d missed) in %v (%.0f accounts/s, chunks of %d)",
			benchBackend(), n, charged, missed, took, float64(n)/took.Seconds(), jobs.DefaultChunk)
		dbtest.Audit(b, db)
	}
}

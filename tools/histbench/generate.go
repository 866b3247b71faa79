package histbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"minipay/store"
)

// Data describes a generated history.
type Data struct {
	Entries, Accounts int64
	Months            int
	Busy              []int64 // account ids of the busy accounts
	Start, End        time.Time
	Generated         time.Time
	GenerationTime    time.Duration
}

const (
	// busyAccounts each take busyShare of all entries.
	busyAccounts = 5
	busyShare    = 0.01
	// funding is what every account is charged first, so no balance
	// ever goes below zero whatever it sends.
	funding = 1_000_000_000
)

// meta remembers what was generated, for --reuse.
const metaTable = `CREATE TABLE IF NOT EXISTS histbench_meta (
	entries BIGINT NOT NULL, accounts BIGINT NOT NULL, months INT NOT NULL, busy BIGINT[] NOT NULL,
	start_at BIGINT NOT NULL, end_at BIGINT NOT NULL, generated_at BIGINT NOT NULL, generation_seconds DOUBLE PRECISION NOT NULL)`

func loadMeta(ctx context.Context, pool *sql.DB) (*Data, error) {
	if _, err := pool.ExecContext(ctx, metaTable); err != nil {
		return nil, err
	}
	var d Data
	var busy string
	var start, end, gen int64
	var secs float64
	err := pool.QueryRowContext(ctx, `SELECT entries, accounts, months, array_to_string(busy, ','), start_at, end_at, generated_at, generation_seconds FROM histbench_meta`).
		Scan(&d.Entries, &d.Accounts, &d.Months, &busy, &start, &end, &gen, &secs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, f := range strings.Split(busy, ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("histbench_meta: busy accounts %q: %w", busy, err)
		}
		d.Busy = append(d.Busy, id)
	}
	d.Start, d.End, d.Generated = time.UnixMicro(start), time.UnixMicro(end), time.UnixMicro(gen)
	d.GenerationTime = time.Duration(secs * float64(time.Second))
	return &d, nil
}

// generate fills an empty minipay database with cfg.Entries entries over
// cfg.Accounts accounts and cfg.Months months ending now, entirely inside
// PostgreSQL (generate_series, INSERT … SELECT a month at a time).
//
// It bypasses the engine on purpose: this is a read benchmark, and the
// engine would take hours to write 10 million entries. The books it
// writes are still sound (the audit passes): every account is first
// funded by a charge from the external bank; then every transaction is a
// transfer between two accounts, a debit and a credit entry summing to
// zero, with balance_after carried per account; ids grow with time; and
// accounts.balance is the sum of the account's entries.
func generate(ctx context.Context, db *store.DB, pool *sql.DB, cfg Config, loc *time.Location) (*Data, error) {
	began := time.Now()
	out := cfg.Out
	accounts := int64(cfg.Accounts)
	transfers := (int64(cfg.Entries) - 2*accounts) / 2
	if accounts < 2*busyAccounts || transfers < 1 {
		return nil, fmt.Errorf("need at least %d accounts and more entries (%d) than two per account", 2*busyAccounts, cfg.Entries)
	}
	var users int64
	if err := pool.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&users); err != nil {
		return nil, err
	}
	if users > 0 {
		return nil, errors.New("the database already has users: bench-history needs a dedicated, empty database (e.g. CREATE DATABASE histbench)")
	}
	now := time.Now().In(loc)
	first := monthStart(now, loc).AddDate(0, -(cfg.Months - 1), 0)
	if err := db.EnsurePartitions(ctx, first, now.AddDate(0, 1, 0), loc); err != nil {
		return nil, err
	}
	start, end := first.UnixMicro(), now.UnixMicro()
	step := (end - start) / (transfers + 1) // transfer k happens at start + k·step
	if step < 1 {
		return nil, errors.New("too many entries for the time span")
	}
	busy := make([]int64, busyAccounts)
	for i := range busy {
		busy[i] = int64(i + 1)
	}

	conn, err := pool.Conn(ctx) // one session: temp tables and settings
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	exec := func(what, query string, args ...any) error {
		if _, err := conn.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	// Speed only: losing this session's last commits in a crash is fine.
	if err := exec("settings", `SET synchronous_commit = off`); err != nil {
		return nil, err
	}
	if err := exec("settings", `SET work_mem = '256MB'`); err != nil {
		return nil, err
	}
	if err := exec("seed", `SELECT setseed(0.42)`); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "generating %d entries: %d accounts (busy: %v, ~%.0f%% of entries each), %d transfers over %d months from %s\n",
		2*accounts+2*transfers, accounts, busy, busyShare*100, transfers, cfg.Months, first.Format("2006-01-02"))

	// Users and their main accounts, ids 1..accounts, each funded by a
	// charge (transaction ids 1..accounts) at the very start.
	t0 := time.Now()
	steps := []struct{ what, query string }{
		{"users", `INSERT INTO users (id, username, name, password_hash, created_at)
			SELECT g, 'hb' || g, 'Histbench User ' || g, 'x', $1 FROM generate_series(1, $2::bigint) g`},
		{"accounts", `INSERT INTO accounts (id, user_id, kind, created_at) SELECT g, g, 'main', $1 FROM generate_series(1, $2::bigint) g`},
		{"funding transactions", `INSERT INTO transactions (id, kind, user_id, created_at) SELECT g, 'charge', g, $1 FROM generate_series(1, $2::bigint) g`},
		{"funding entries", `INSERT INTO entries (id, transaction_id, account_id, amount, balance_after, created_at, kind, other_account)
			SELECT 2*g - 1 + s, g, CASE WHEN s = 0 THEN -1 ELSE g END, CASE WHEN s = 0 THEN -$3::bigint ELSE $3::bigint END,
				CASE WHEN s = 0 THEN NULL ELSE $3::bigint END, $1, 'charge', CASE WHEN s = 0 THEN g ELSE -1 END
			FROM generate_series(1, $2::bigint) g, (VALUES (0), (1)) AS side(s) ORDER BY 1`},
	}
	for _, s := range steps {
		args := []any{start, accounts}
		if s.what == "funding entries" {
			args = append(args, int64(funding))
		}
		if err := exec(s.what, s.query, args...); err != nil {
			return nil, err
		}
	}
	if err := exec("balances", `CREATE TEMP TABLE hb_balance (account_id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)`); err != nil {
		return nil, err
	}
	if err := exec("balances", `INSERT INTO hb_balance SELECT g, $2::bigint FROM generate_series(1, $1::bigint) g`, accounts, int64(funding)); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "  %d users, accounts and funding charges in %v\n", accounts, time.Since(t0).Round(time.Millisecond))

	// Transfers a month at a time. Each side of a transfer is a busy
	// account with probability busyAccounts·busyShare, else any account.
	pBusy := busyAccounts * busyShare
	for m := 0; m < cfg.Months; m++ {
		t0 := time.Now()
		lo, hi := first.AddDate(0, m, 0).UnixMicro(), first.AddDate(0, m+1, 0).UnixMicro()
		k0, k1 := max(ceilDiv(lo-start, step), 1), min(ceilDiv(hi-start, step)-1, transfers)
		if k0 > k1 {
			continue
		}
		monthSteps := []struct {
			what, query string
			args        []any
		}{
			{"chunk", `DROP TABLE IF EXISTS hb_chunk`, nil},
			{"chunk", `CREATE TEMP TABLE hb_chunk AS
				SELECT k, $3::bigint + k AS txn, $4::bigint + k * $5::bigint AS at, f AS from_acct,
					CASE WHEN t = f THEN t % $6::bigint + 1 ELSE t END AS to_acct, amount
				FROM (SELECT k,
					CASE WHEN random() < $7 THEN 1 + floor(random() * $8)::bigint ELSE 1 + floor(random() * $6::bigint)::bigint END AS f,
					CASE WHEN random() < $7 THEN 1 + floor(random() * $8)::bigint ELSE 1 + floor(random() * $6::bigint)::bigint END AS t,
					1 + floor(random() * 10000)::bigint AS amount
					FROM generate_series($1::bigint, $2::bigint) k) s`,
				[]any{k0, k1, accounts, start, step, accounts, pBusy, float64(busyAccounts)}},
			{"transfers", `INSERT INTO transfers (id, from_user, from_account, to_user, to_account, amount, status, sender_name, display_name, memo, created_at)
				SELECT k, from_acct, from_acct, to_acct, to_acct, amount, 'completed', 'Histbench User ' || from_acct,
					CASE WHEN k % 10 = 0 THEN 'a friend' ELSE 'Histbench User ' || from_acct END, CASE WHEN k % 3 = 0 THEN 'memo ' || k ELSE '' END, at
				FROM hb_chunk ORDER BY k`, nil},
			{"transactions", `INSERT INTO transactions (id, kind, user_id, transfer_id, created_at)
				SELECT txn, 'transfer', from_acct, k, at FROM hb_chunk ORDER BY txn`, nil},
			{"entries", `INSERT INTO entries (id, transaction_id, account_id, amount, balance_after, created_at, kind, other_account, transfer_id)
				SELECT x.id, x.txn, x.acct, x.amount, b.balance + SUM(x.amount) OVER (PARTITION BY x.acct ORDER BY x.id), x.at, 'transfer', x.other, x.k
				FROM (SELECT 2 * txn - 1 AS id, txn, from_acct AS acct, -amount AS amount, at, to_acct AS other, k FROM hb_chunk
					UNION ALL SELECT 2 * txn, txn, to_acct, amount, at, from_acct, k FROM hb_chunk) x
				JOIN hb_balance b ON b.account_id = x.acct
				ORDER BY x.id`, nil},
			{"balances", `UPDATE hb_balance b SET balance = b.balance + s.total
				FROM (SELECT acct, SUM(amount) AS total FROM (SELECT from_acct AS acct, -amount AS amount FROM hb_chunk
					UNION ALL SELECT to_acct, amount FROM hb_chunk) x GROUP BY acct) s
				WHERE b.account_id = s.acct`, nil},
		}
		for _, s := range monthSteps {
			if err := exec(s.what, s.query, s.args...); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(out, "  month %s: %d transfers, %d entries in %v (total %v)\n", first.AddDate(0, m, 0).Format("2006-01"),
			k1-k0+1, 2*(k1-k0+1), time.Since(t0).Round(time.Millisecond), time.Since(began).Round(time.Second))
	}

	t0 = time.Now()
	finish := []struct {
		what, query string
		args        []any
	}{
		{"balances", `UPDATE accounts a SET balance = b.balance FROM hb_balance b WHERE a.id = b.account_id`, nil},
		{"sequences", `SELECT setval(pg_get_serial_sequence('users', 'id'), $1), setval(pg_get_serial_sequence('accounts', 'id'), $1),
			setval('transactions_id_seq', $1 + $2), setval('entries_id_seq', 2 * ($1 + $2)), setval('transfers_id_seq', $2)`,
			[]any{accounts, transfers}},
		// The generated history bypasses the engine and so has no events:
		// the audit treats it like history from before the outbox.
		{"event coverage", `UPDATE event_coverage SET after_transaction = $1::bigint + $2::bigint`, []any{accounts, transfers}},
	}
	for _, s := range finish {
		if err := exec(s.what, s.query, s.args...); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(out, "  balances and sequences in %v\n", time.Since(t0).Round(time.Millisecond))
	// VACUUM sets hint bits and the visibility map, as autovacuum would
	// on a long-lived table, so the measurements do not pay for them.
	t0 = time.Now()
	for _, table := range []string{"users", "accounts", "transfers", "transactions", "entries"} {
		if err := exec("vacuum", `VACUUM (ANALYZE) `+table); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(out, "  VACUUM (ANALYZE) in %v\n", time.Since(t0).Round(time.Millisecond))

	d := &Data{Entries: 2*accounts + 2*transfers, Accounts: accounts, Months: cfg.Months, Busy: busy,
		Start: first, End: now, Generated: time.Now(), GenerationTime: time.Since(began)}
	if _, err := pool.ExecContext(ctx, `INSERT INTO histbench_meta VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.Entries, d.Accounts, d.Months, d.Busy, start, end, d.Generated.UnixMicro(), d.GenerationTime.Seconds()); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "generated %d entries in %v\n", d.Entries, d.GenerationTime.Round(time.Second))

	t0 = time.Now()
	r, err := db.Audit(ctx)
	if err != nil {
		return nil, err
	}
	if len(r.Problems) > 0 {
		return nil, fmt.Errorf("audit of the generated data failed: %v", r.Problems)
	}
	fmt.Fprintf(out, "audit passed (%d transactions, %d entries) in %v\n", r.Transactions, r.Entries, time.Since(t0).Round(time.Second))
	return d, nil
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// monthStart is the first instant of t's month in loc.
func monthStart(t time.Time, loc *time.Location) time.Time {
	y, m, _ := t.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, loc)
}

// Package bench measures transfer throughput and latency of the engine
// (group commit) against a naive baseline (one database transaction per
// transfer) in one run, on spread-out and hot-account load, directly and
// through HTTP. `minipay bench` prints its report.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/api"
	"minipay/clock"
	"minipay/ledger"
	"minipay/store"
	"minipay/tools/baseline"
	"minipay/tools/latency"
)

// Config says what to measure.
type Config struct {
	DatabaseURL string
	Accounts    int           // accounts for spread-out load (U)
	Concurrency int           // concurrent senders in every scenario
	Duration    time.Duration // per scenario
	Workers     int           // writer batches in flight
	HTTP        bool          // also measure through HTTP
	Out         io.Writer     // progress lines
}

// Result is one scenario's measurement.
type Result struct {
	Scenario, Mode string
	Transfers      int
	Errors         int
	Elapsed        time.Duration
	P50, P99       time.Duration
}

// PerSecond is the scenario's throughput.
func (r Result) PerSecond() float64 { return float64(r.Transfers) / r.Elapsed.Seconds() }

const password = "bench-password"

// Run seeds fresh users in the database and measures every scenario.
func Run(ctx context.Context, cfg Config) ([]Result, store.AuditReport, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, store.AuditReport{}, err
	}
	defer db.Close()
	loc := clock.Seoul
	clk := clock.System{}
	// The bench measures throughput: a deadline would turn a slow machine
	// into errors instead of a lower number.
	w := store.NewWriter(db, clk, loc, store.WriterConfig{Workers: cfg.Workers, BatchTimeout: time.Hour})
	defer w.Close()

	fmt.Fprintf(cfg.Out, "seeding %d users on %s…\n", cfg.Accounts, db.Dialect())
	users, err := seed(ctx, db, w, cfg.Accounts)
	if err != nil {
		return nil, store.AuditReport{}, err
	}
	hot := users[0]
	senders := users[1:min(len(users), cfg.Concurrency+1)]

	s := runner{cfg: cfg}
	spreadEngine := func(rng *rand.Rand, _ int) error {
		a, b := pair(rng, users)
		return apply(ctx, w, a.ID, ledger.Transfer{User: a.ID, From: a.MainAccount, To: b.MainAccount, Amount: 1 + rng.Int64N(100)})
	}
	spreadNaive := func(rng *rand.Rand, _ int) error {
		a, b := pair(rng, users)
		return baseline.Transfer(ctx, db, a.ID, a.MainAccount, b.MainAccount, 1+rng.Int64N(100), clk.Now())
	}
	hotEngine := func(rng *rand.Rand, g int) error {
		a := senders[g%len(senders)]
		return apply(ctx, w, a.ID, ledger.Transfer{User: a.ID, From: a.MainAccount, To: hot.MainAccount, Amount: 1 + rng.Int64N(100)})
	}
	hotNaive := func(rng *rand.Rand, g int) error {
		a := senders[g%len(senders)]
		return baseline.Transfer(ctx, db, a.ID, a.MainAccount, hot.MainAccount, 1+rng.Int64N(100), clk.Now())
	}
	results := []Result{
		s.run("U spread", "engine", spreadEngine),
		s.run("U spread", "naive", spreadNaive),
		s.run("H hot 1 receiver", "engine", hotEngine),
		s.run("H hot 1 receiver", "naive", hotNaive),
	}
	if cfg.HTTP {
		rs, err := s.viaHTTP(ctx, db, w, clk, loc, users, senders, hot)
		if err != nil {
			return nil, store.AuditReport{}, err
		}
		results = append(results, rs...)
	}
	report, err := db.Audit(ctx)
	return results, report, err
}

// apply runs cmd for user through the engine, without an idempotency
// key: the one place the benchmark calls the writer.
func apply(ctx context.Context, w *store.Writer, user int64, cmd ledger.Command) error {
	_, err := w.Do(ctx, user, store.Idempotency{}, cmd)
	return err
}

// seed creates n users with a cheap password hash (so the HTTP scenarios
// can log in quickly) and funds each with 1,000,000 through the engine.
func seed(ctx context.Context, db *store.DB, w *store.Writer, n int) ([]store.User, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("b%d_", time.Now().UnixNano()%1e9)
	var users []store.User
	for len(users) < n {
		chunk := make([]store.NewUser, min(2000, n-len(users)))
		for i := range chunk {
			chunk[i] = store.NewUser{Username: fmt.Sprintf("%s%d", prefix, len(users)+i), Name: "Bench User", PasswordHash: string(hash)}
		}
		us, err := db.CreateUsers(ctx, chunk, time.Now())
		if err != nil {
			return nil, err
		}
		users = append(users, us...)
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	next := atomic.Int64{}
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(users)); i = next.Add(1) - 1 {
				u := users[i]
				if err := apply(ctx, w, u.ID, ledger.Charge{User: u.ID, Account: u.MainAccount, Amount: 1_000_000}); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return nil, err
	}
	return users, nil
}

// pair picks two different users.
func pair(rng *rand.Rand, users []store.User) (store.User, store.User) {
	a := rng.IntN(len(users))
	b := (a + 1 + rng.IntN(len(users)-1)) % len(users)
	return users[a], users[b]
}

type runner struct{ cfg Config }

// run drives fn from Concurrency goroutines for Duration and measures it.
func (s runner) run(scenario, mode string, fn func(rng *rand.Rand, g int) error) Result {
	var mu sync.Mutex
	var lat latency.Histogram
	var errCount atomic.Int64
	start := time.Now()
	deadline := start.Add(s.cfg.Duration)
	var wg sync.WaitGroup
	for g := range s.cfg.Concurrency {
		wg.Go(func() {
			asGenerator()
			rng := rand.New(rand.NewPCG(uint64(g), uint64(start.UnixNano())))
			var mine latency.Histogram
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := fn(rng, g); err != nil {
					if errCount.Add(1) == 1 {
						fmt.Fprintf(s.cfg.Out, "  %s/%s: first error: %v\n", scenario, mode, err)
					}
					continue
				}
				mine.Record(time.Since(t0))
			}
			mu.Lock()
			lat.Merge(mine)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := Result{Scenario: scenario, Mode: mode, Transfers: lat.Count(), Errors: int(errCount.Load()), Elapsed: time.Since(start),
		P50: lat.Quantile(.5), P99: lat.Quantile(.99)}
	fmt.Fprintf(s.cfg.Out, "  %-18s %-7s %9.0f transfers/s  p50 %-9v p99 %v\n", scenario, mode, r.PerSecond(), r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
	return r
}

// viaHTTP serves the API on a loopback port and measures POST
// /v1/transfers with bearer tokens, spread-out and hot.
func (s runner) viaHTTP(ctx context.Context, db *store.DB, w *store.Writer, clk clock.Clock, loc *time.Location, users, senders []store.User, hot store.User) ([]Result, error) {
	a, err := startAPI(db, w, clk, loc, users, len(senders))
	if err != nil {
		return nil, err
	}
	defer a.close()
	spread := func(rng *rand.Rand, _ int) error {
		i := 1 + rng.IntN(len(a.tokens)-1) // a.logins[0] is the hot receiver
		to := users[rng.IntN(len(users))]
		if to.ID == a.logins[i].ID {
			to = users[0]
		}
		return a.transfer(i, accountJSON(to), 1+rng.Int64N(100))
	}
	hotFn := func(rng *rand.Rand, g int) error {
		return a.transfer(1+g%len(senders), accountJSON(hot), 1+rng.Int64N(100))
	}
	return []Result{s.run("U spread", "http", spread), s.run("H hot 1 receiver", "http", hotFn)}, nil
}

// liveAPI is the API served on a loopback port, with logged-in users.
type liveAPI struct {
	raw    *rawClient   // sends the transfers
	logins []store.User // logins[0] is users[0], the hot receiver
	tokens []string     // tokens[i] is logins[i]'s
	close  func()
	// heads[i] is the head of a transfer request with tokens[i], made
	// once: the generator runs on the server's cores, so its own cost
	// counts.
	heads [][]byte
}

// startAPI serves the API over db and w on a loopback port and logs in
// httpLogins(users, senders).
func startAPI(db *store.DB, w *store.Writer, clk clock.Clock, loc *time.Location, users []store.User, senders int) (*liveAPI, error) {
	// No access log (a line per request would measure the log), and no
	// request deadline, as for the writer.
	srv, err := api.New(api.Config{DB: db, Writer: w, Clock: clk, Location: loc,
		TokenKeys: []api.SigningKey{api.NewSigningKey("bench")}, Logger: slog.New(slog.DiscardHandler), RequestTimeout: time.Hour})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	addr := ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}} // logins only
	defer client.CloseIdleConnections()
	a := &liveAPI{raw: &rawClient{addr: addr}, logins: httpLogins(users, senders)}
	a.close = func() {
		hs.Close()
		a.raw.closeIdle()
	}
	if a.tokens, err = logIn(client, "http://"+addr, a.logins); err != nil {
		hs.Close()
		return nil, err
	}
	for _, t := range a.tokens {
		a.heads = append(a.heads, []byte("POST /v1/transfers HTTP/1.1\r\nHost: "+addr+
			"\r\nContent-Type: application/json\r\nAuthorization: Bearer "+t+"\r\nContent-Length: "))
	}
	return a, nil
}

// transfer posts a transfer of amount to to (JSON: a username string or
// an account number) with the i-th token, the body put together by hand.
func (a *liveAPI) transfer(i int, to []byte, amount int64) error {
	var buf [96]byte
	b := append(append(append(buf[:0], `{"to":`...), to...), `,"amount":`...)
	b = append(strconv.AppendInt(b, amount, 10), '}')
	return a.raw.post(a.heads[i], b, http.StatusCreated)
}

// accountJSON and usernameJSON are the two ways to name a recipient.
func accountJSON(u store.User) []byte  { return strconv.AppendInt(nil, u.MainAccount, 10) }
func usernameJSON(u store.User) []byte { return strconv.AppendQuote(nil, u.Username) }

// httpLogins is who the HTTP scenarios log in: the hot receiver
// (users[0]), every hot sender (users[1:senders+1], one per goroutine)
// and at least 1,000 users for the spread scenario.
func httpLogins(users []store.User, senders int) []store.User {
	return users[:max(min(len(users), 1000), senders+1)]
}

// logIn opens a session for each user, 64 at a time, and returns their
// tokens in order.
func logIn(client *http.Client, base string, users []store.User) ([]string, error) {
	tokens := make([]string, len(users))
	var wg sync.WaitGroup
	var failed atomic.Value
	for i, u := range users {
		wg.Go(func() {
			var out struct{ Token string }
			if err := post(client, base+"/v1/sessions", "", map[string]string{"username": u.Username, "password": password}, &out); err != nil {
				failed.Store(err)
			}
			tokens[i] = out.Token
		})
		if i%64 == 63 {
			wg.Wait()
		}
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return nil, err
	}
	return tokens, nil
}

func post(c *http.Client, url, token string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Package loadtest is minipay's scenario load test (SPEC §7): against a
// running server it signs up and funds N users, then lets virtual users
// (VUs) run a weighted mix of user scenarios for a fixed time — sign-up and
// login, charge, spread-out transfers, the hot-account burst (100 senders
// released at one instant towards one receiver), a pending transfer and its
// acceptance, a settlement and its payments, history page reads, savings
// deposits — records every HTTP step, and reports requests, errors by code,
// throughput and latency percentiles per step, as text and as a
// self-contained HTML page with charts. It ends with the audit: the books
// must still balance.
//
// The VUs are our own goroutines over minipay/client rather than a
// rate-driven attacker such as vegeta, because the scenarios are multi-step
// and stateful: the receiver of a pending transfer accepts the id the
// sender's answer returned, settlement participants pay the shares the
// request created, a history read follows next_cursor, a user's savings
// account is opened once and then reused, and the hot burst needs 100
// requests held at a barrier and released together. A target list of
// independent requests cannot express that.
//
// Every money-moving POST carries an Idempotency-Key, and the client
// retries transport errors and 5xx answers with the same key, so a server
// that dies and comes back mid-run moves each request's money exactly once.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/client"
	"minipay/store"
)

// Scenario names, as used in Config.Weights and the report.
const (
	SignUp     = "signup"     // a new user signs up and logs in
	Charge     = "charge"     // top up from the bank
	Transfer   = "transfer"   // a transfer between two random users
	Hot        = "hot"        // HotSenders transfers released at once to one receiver
	Pending    = "pending"    // a transfer that needs acceptance, then accepted
	Settlement = "settlement" // a bill split among 2-3 participants, each pays
	History    = "history"    // first history page, then the next one if any
	Savings    = "savings"    // list accounts, open a free savings account if none, deposit
)

// Scenarios lists every scenario in report order.
var Scenarios = []string{SignUp, Charge, Transfer, Hot, Pending, Settlement, History, Savings}

// DefaultWeights is the default mix. One hot run is HotSenders requests,
// so its small weight still makes it a large share of the traffic.
var DefaultWeights = map[string]int{
	SignUp: 2, Charge: 6, Transfer: 20, Hot: 1, Pending: 6, Settlement: 4, History: 12, Savings: 4,
}

// ParseWeights reads "transfer=20,hot=1,…" on top of DefaultWeights: named
// scenarios get the given weight (0 turns one off), others keep theirs.
func ParseWeights(s string) (map[string]int, error) {
	w := map[string]int{}
	for k, v := range DefaultWeights {
		w[k] = v
	}
	if strings.TrimSpace(s) == "" {
		return w, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(strings.TrimSpace(val))
		name = strings.TrimSpace(name)
		if _, known := DefaultWeights[name]; !ok || err != nil || n < 0 || !known {
			return nil, fmt.Errorf("weights: %q is not NAME=N with N >= 0 and NAME one of %s", part, strings.Join(Scenarios, ", "))
		}
		w[name] = n
	}
	return w, nil
}

// Config says what to run.
type Config struct {
	URL         string        // the server, e.g. http://127.0.0.1:8080
	Users       int           // users signed up and funded before the run
	Duration    time.Duration // how long VUs start new scenarios
	Concurrency int           // virtual users
	// Rate, if positive, caps scenario starts per second across all VUs
	// (0: each VU starts its next scenario as soon as the last one ends).
	Rate    float64
	Weights map[string]int // nil: DefaultWeights
	Seed    uint64         // seeds each VU's choices (0: from the clock)
	// HotSenders is how many transfers one hot run releases at once
	// (default 100, the assignment's case).
	HotSenders int
	// SetupParallelism bounds concurrent sign-ups while setting up (each
	// costs a bcrypt hash on the server; default 4).
	SetupParallelism int
	// InitialCharge is what each set-up user charges (default 300,000 won).
	InitialCharge int64
	// FastSetup creates the set-up users directly in the database (DB or
	// DatabaseURL) with a cheap password hash, as the benchmark does,
	// instead of signing each up through the API at the cost of a full
	// bcrypt hash; they still log in and charge through the API. The
	// sign-up scenario always goes through the API.
	FastSetup bool
	HTML      string // write the HTML report here ("" for none)
	// The database the server uses, for the audit at the end: DB if set,
	// else DatabaseURL is opened. With neither the run does not start: it
	// could not pass.
	DB          *store.DB
	DatabaseURL string
	Progress    io.Writer    // the live line (nil: none)
	HTTP        *http.Client // nil: client.Shared
}

func (cfg *Config) defaults() error {
	if cfg.URL == "" {
		return errors.New("loadtest: no server URL")
	}
	if cfg.Users < 2 {
		return errors.New("loadtest: at least 2 users are needed")
	}
	if cfg.Duration <= 0 {
		return errors.New("loadtest: the duration must be positive")
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Weights == nil {
		cfg.Weights = DefaultWeights
	}
	total := 0
	for name, w := range cfg.Weights {
		if !slices.Contains(Scenarios, name) || w < 0 {
			return fmt.Errorf("loadtest: bad weight %s=%d", name, w)
		}
		total += w
	}
	if total == 0 {
		return errors.New("loadtest: every scenario weight is 0")
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	if cfg.HotSenders <= 0 {
		cfg.HotSenders = 100
	}
	if cfg.SetupParallelism <= 0 {
		cfg.SetupParallelism = 4
	}
	if cfg.InitialCharge <= 0 {
		cfg.InitialCharge = 300_000
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	return nil
}

// user is a logged-in user of the run.
type user struct {
	name string
	main int64
	c    *client.Client // carries the user's token

	mu sync.Mutex // held through a savings scenario
}

// pool is the run's users; sign-up scenarios add to it.
type pool struct {
	mu     sync.RWMutex
	users  []*user
	byName map[string]*user
}

func (p *pool) add(u *user) {
	p.mu.Lock()
	p.users = append(p.users, u)
	p.byName[u.name] = u
	p.mu.Unlock()
}

func (p *pool) get(name string) *user {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.byName[name]
}

func (p *pool) size() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.users)
}

// pick returns n distinct random users (fewer if the pool is smaller).
func (p *pool) pick(rng *rand.Rand, n int) []*user {
	p.mu.RLock()
	defer p.mu.RUnlock()
	n = min(n, len(p.users))
	out := make([]*user, 0, n)
	for len(out) < n {
		u := p.users[rng.IntN(len(p.users))]
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// unexpected is an answer that was 2xx but not what the scenario needs.
type unexpected string

func (e unexpected) Error() string { return string(e) }

// outcome classifies a step's error for the report: "" for success.
func outcome(err error) string {
	var u unexpected
	if errors.As(err, &u) {
		return "unexpected"
	}
	return client.CodeOf(err)
}

// runner is one load test run.
type runner struct {
	cfg     Config
	runID   string
	base    *client.Client // no token
	pool    *pool
	rec     *recorder // the measured run
	setup   *recorder // setting up
	keys    atomic.Int64
	retries atomic.Int64
	picks   atomic.Int64
	enabled []string // scenarios with weight > 0, in report order
	total   int      // sum of weights
}

// key returns a fresh Idempotency-Key.
func (r *runner) key() string {
	return "lt-" + r.runID + "-" + strconv.FormatInt(r.keys.Add(1), 10)
}

// step performs one HTTP call and records it.
func (r *runner) step(rec *recorder, name string, fn func() error) error {
	t0 := time.Now()
	err := fn()
	rec.add(name, t0, time.Since(t0), outcome(err))
	return err
}

// Run runs the load test and returns its report. The error is for a run
// that could not happen or was cut short (bad config, no database to
// audit, setup failed, interrupted, report not written); whether the books
// balance is Report.Passed.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, runID: strconv.FormatInt(rand.Int64N(36*36*36*36*36*36), 36),
		pool: &pool{byName: map[string]*user{}}}
	r.base = client.New(cfg.URL).WithRetryHook(func(client.RetryInfo) { r.retries.Add(1) })
	if cfg.HTTP != nil {
		r.base = r.base.WithHTTPClient(cfg.HTTP)
	}
	for _, s := range Scenarios {
		if w := cfg.Weights[s]; w > 0 {
			r.enabled = append(r.enabled, s)
			r.total += w
		}
	}
	rep := &Report{URL: cfg.URL, RunID: r.runID, Users: cfg.Users, Concurrency: cfg.Concurrency, Rate: cfg.Rate,
		Duration: cfg.Duration, Seed: cfg.Seed, HotSenders: cfg.HotSenders, Weights: cfg.Weights}

	// The database, for the audit (and a fast setup). Without it the run
	// cannot pass, so it does not start.
	if r.cfg.DB == nil {
		if r.cfg.DatabaseURL == "" {
			return nil, errors.New("loadtest: no database to audit: give the server's database (--database or MINIPAY_DATABASE_URL)")
		}
		db, err := store.Open(ctx, r.cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("loadtest: cannot open the database to audit: %w", err)
		}
		defer db.Close()
		r.cfg.DB = db
	}

	// Set up: sign up, log in and fund the users.
	setupStart := time.Now()
	r.setup = newRecorder(setupStart)
	if err := r.setUp(ctx); err != nil {
		return nil, err
	}
	rep.SetupElapsed = time.Since(setupStart)
	rep.Setup = r.setup.steps(rep.SetupElapsed)

	// The measured run.
	rep.Started = time.Now()
	r.rec = newRecorder(rep.Started)
	scen := r.runVUs(ctx)
	rep.Elapsed = time.Since(rep.Started)
	rep.Steps = r.rec.steps(rep.Elapsed)
	rep.Total = r.rec.total(rep.Elapsed)
	rep.Timeline = r.rec.timeline(rep.Elapsed)
	rep.Scenarios = scen
	rep.Retries = r.retries.Load()
	rep.FinalUsers = r.pool.size()

	// The audit, even after a cancelled run.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	r.audit(actx, rep)

	if cfg.HTML != "" {
		f, err := os.Create(cfg.HTML)
		if err != nil {
			return rep, err
		}
		if err := rep.WriteHTML(f); err != nil {
			f.Close()
			return rep, err
		}
		if err := f.Close(); err != nil {
			return rep, err
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("the load test was interrupted: %w", err)
	}
	return rep, nil
}

// setUp signs up, logs in and charges cfg.Users users, SetupParallelism at
// a time.
func (r *runner) setUp(ctx context.Context) error {
	var done atomic.Int64
	stop := r.progress(func(el time.Duration) string {
		return fmt.Sprintf("setting up: %d/%d users  %s", done.Load(), r.cfg.Users, el.Round(time.Second))
	})
	defer stop()
	var seeded []store.User
	if r.cfg.FastSetup {
		if r.cfg.DB == nil {
			return errors.New("a fast setup needs the server's database")
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			return err
		}
		nu := make([]store.NewUser, r.cfg.Users)
		for i := range nu {
			name := r.username(i)
			nu[i] = store.NewUser{Username: name, Name: "Load " + name, PasswordHash: string(hash)}
		}
		t0 := time.Now()
		seeded, err = r.cfg.DB.CreateUsers(ctx, nu, time.Now())
		r.setup.add("setup_create_users_db", t0, time.Since(t0), outcome(err))
		if err != nil {
			return fmt.Errorf("creating users in the database: %w", err)
		}
	}
	jobs := make(chan int)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range r.cfg.SetupParallelism {
		wg.Go(func() {
			for i := range jobs {
				var u *user
				var err error
				if seeded != nil {
					u, err = r.logIn(ctx, r.setup, "setup_", seeded[i].Username, seeded[i].MainAccount)
				} else {
					u, err = r.newUser(ctx, r.setup, "setup_", r.username(i))
				}
				if err == nil {
					err = r.step(r.setup, "setup_charge", func() error {
						_, err := u.c.Charge(ctx, r.cfg.InitialCharge, r.key())
						return err
					})
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("setting up user %d: %w", i, err)
					}
					mu.Unlock()
					continue
				}
				r.pool.add(u)
				done.Add(1)
			}
		})
	}
	for i := range r.cfg.Users {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// username names the i-th user of the setup.
func (r *runner) username(i int) string { return fmt.Sprintf("lt%s-%d", r.runID, i) }

// password is every load test user's.
const password = "loadtest-password"

// newUser signs up and logs in a user named name, recording the steps
// with the given prefix.
func (r *runner) newUser(ctx context.Context, rec *recorder, prefix, name string) (*user, error) {
	var created client.User
	err := r.step(rec, prefix+"sign_up", func() (err error) {
		created, err = r.base.SignUp(ctx, name, password, "Load "+name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r.logIn(ctx, rec, prefix, name, created.MainAccountID)
}

// logIn logs in the user named name, whose main account is main.
func (r *runner) logIn(ctx context.Context, rec *recorder, prefix, name string, main int64) (*user, error) {
	var s client.Session
	err := r.step(rec, prefix+"login", func() (err error) {
		s, err = r.base.Login(ctx, name, password)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &user{name: name, main: main, c: r.base.WithToken(s.Token)}, nil
}

// runVUs runs the VUs until the duration is over, every scenario has
// started once, and every scenario that started has finished.
func (r *runner) runVUs(ctx context.Context) []ScenarioStats {
	deadline := r.rec.start.Add(r.cfg.Duration)
	stop := r.progress(func(el time.Duration) string {
		n, e, t := r.rec.requests.Load(), r.rec.errors.Load(), r.rec.transport.Load()
		return fmt.Sprintf("%5s / %s  requests %s  %s req/s  errors %s  transport %d  retries %d",
			el.Round(time.Second), r.cfg.Duration, thousands(n), thousands(int64(float64(n)/el.Seconds())),
			thousands(e), t, r.retries.Load())
	})
	defer stop()

	var tokens chan struct{}
	if r.cfg.Rate > 0 {
		tokens = make(chan struct{})
		tctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		go func() {
			t := time.NewTicker(time.Duration(float64(time.Second) / r.cfg.Rate))
			defer t.Stop()
			for {
				select {
				case <-tctx.Done():
					return
				case <-t.C:
					select {
					case tokens <- struct{}{}:
					default: // every VU is busy: the tick is dropped
					}
				}
			}
		}()
	}

	var mu sync.Mutex
	stats := map[string]*ScenarioStats{}
	for _, s := range Scenarios {
		stats[s] = &ScenarioStats{Name: s, Weight: r.cfg.Weights[s]}
	}
	var wg sync.WaitGroup
	for vu := range r.cfg.Concurrency {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(vu)))
			for ctx.Err() == nil && (time.Now().Before(deadline) || !r.covered()) {
				if tokens != nil {
					wait := time.NewTimer(time.Until(deadline))
					select {
					case <-tokens:
						wait.Stop()
					case <-wait.C:
						return
					case <-ctx.Done():
						wait.Stop()
						return
					}
				}
				name := r.next(rng)
				t0 := time.Now()
				err := r.scenario(ctx, rng, name)
				d := time.Since(t0)
				mu.Lock()
				s := stats[name]
				s.Runs++
				s.Time += d
				if err == nil {
					s.OK++
				} else {
					s.Failed++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	out := make([]ScenarioStats, 0, len(Scenarios))
	for _, s := range Scenarios {
		out = append(out, *stats[s])
	}
	return out
}

// covered reports whether every enabled scenario has been picked once: a
// run on a slow machine goes on past its duration until it has, so even a
// short run reports on every scenario.
func (r *runner) covered() bool { return r.picks.Load() >= int64(len(r.enabled)) }

// next picks the next scenario. The first picks of the run go once through
// every enabled scenario, so that even a run of a few seconds covers them
// all; after that the choice is weighted at random.
func (r *runner) next(rng *rand.Rand) string {
	if i := r.picks.Add(1) - 1; i < int64(len(r.enabled)) {
		return r.enabled[i]
	}
	n := rng.IntN(r.total)
	for _, s := range r.enabled {
		if n -= r.cfg.Weights[s]; n < 0 {
			return s
		}
	}
	return r.enabled[len(r.enabled)-1]
}

func (r *runner) scenario(ctx context.Context, rng *rand.Rand, name string) error {
	switch name {
	case SignUp:
		return r.signUp(ctx)
	case Charge:
		return r.charge(ctx, rng)
	case Transfer:
		return r.transfer(ctx, rng)
	case Hot:
		return r.hot(ctx, rng)
	case Pending:
		return r.pending(ctx, rng)
	case Settlement:
		return r.settlement(ctx, rng)
	case History:
		return r.history(ctx, rng)
	case Savings:
		return r.savings(ctx, rng)
	}
	return fmt.Errorf("unknown scenario %q", name)
}

// progress redraws line(elapsed) on cfg.Progress about once a second
// until the returned stop is called, which draws it a last time and ends
// the line.
func (r *runner) progress(line func(time.Duration) string) (stop func()) {
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	last := 0
	draw := func() {
		s := line(time.Since(start))
		pad := max(last-len(s), 0)
		last = len(s)
		fmt.Fprintf(r.cfg.Progress, "\r%s%s", s, strings.Repeat(" ", pad))
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				draw()
				fmt.Fprintln(r.cfg.Progress)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// audit runs the audit on the server's database and records it in rep.
func (r *runner) audit(ctx context.Context, rep *Report) {
	db := r.cfg.DB
	// An audit of some other (say, a fresh empty) database would pass and
	// prove nothing: the run's users must be there.
	if u := r.pool.pick(rand.New(rand.NewPCG(1, 2)), 1); len(u) == 1 {
		if _, _, err := db.UserByUsername(ctx, u[0].name); err != nil {
			rep.AuditErr = fmt.Sprintf("the database to audit is not the server's: user %s of this run: %v", u[0].name, err)
			return
		}
	}
	t0 := time.Now()
	a, err := db.Audit(ctx)
	if err != nil {
		rep.AuditErr = "audit: " + err.Error()
		return
	}
	rep.AuditElapsed = time.Since(t0)
	rep.Audit = &a
}

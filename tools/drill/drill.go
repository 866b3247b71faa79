// Package drill is the failure drill: it drives a real minipay server
// process with money-moving requests, kills it with SIGKILL in the middle
// (and, optionally, breaks its database under it: a PostgreSQL restart, a
// failover), restarts it, lets every client retry with its Idempotency-Key
// until it gets an answer, and then proves from the database that each
// request took effect exactly once:
// every user's balance equals what the answers they got say it should be,
// and the audit passes — including its outbox checks: every committed
// movement has exactly one event and every event that reports a movement
// a committed one (security events such as the clients' logins report
// none: they are outside that count).
package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"minipay/api"
	"minipay/store"
)

// Config says how to run the drill.
type Config struct {
	Binary      string        // the minipay binary to run as the server
	DatabaseURL string        // the server's database
	Users       int           // users moving money
	Workers     int           // concurrent clients
	Duration    time.Duration // how long the clients send
	Kills       int           // SIGKILL the server this many times, evenly spaced
	// Faults break the database once each while the server keeps running,
	// spaced evenly with the kills (kills first).
	Faults []Fault
	Out    io.Writer
}

// Fault is a failure of the database under the running server: restarting
// PostgreSQL, killing its primary. Do returns once the failure is done
// (and, if it waits for it, repaired); the clients keep sending throughout.
type Fault struct {
	Name string
	Do   func(ctx context.Context) error
}

// Result is what the drill saw.
type Result struct {
	Requests, Applied, Retried, Rejected int64
	// AutoCharged counts applied transfers that charged the sender first:
	// each is two transactions, the charge and the transfer.
	AutoCharged int64
	// Unavailable counts 503 answers with a Retry-After: what a client is
	// promised while the database is away. ServerErrors counts every other
	// 5xx: an outage that leaked out as an internal error.
	Unavailable, ServerErrors int64
	Kills                     int
	Faults                    []FaultResult
	// JobsResumed: after the last fault the server's scheduled jobs ran
	// again (their claims live in the database that failed).
	JobsResumed bool
	Mismatches  []string
	Audit       store.AuditReport
}

// FaultResult is one fault as the clients saw it.
type FaultResult struct {
	Name string
	// Recovery is the time from the fault's start to the first 201 answer
	// to a request sent after it: the first successful write. Zero if no
	// write succeeded after it.
	Recovery time.Duration
}

// OK reports whether the books balance and every request had one effect.
func (r Result) OK() bool { return len(r.Mismatches) == 0 && len(r.Audit.Problems) == 0 }

// server is the minipay process under test.
type server struct {
	cfg  Config
	addr string
	cmd  *exec.Cmd
	log  *os.File
	keys string // MINIPAY_TOKEN_KEYS of the server
}

func (s *server) start(ctx context.Context) error {
	// Every drill user signs up from loopback, and each moves money as fast
	// as the server answers, billing users it never paid: lift the
	// per-address, per-user and stranger limits.
	s.cmd = exec.Command(s.cfg.Binary, "serve", "--addr", s.addr, "--database", s.cfg.DatabaseURL, "--log-level", "warn",
		"--signups-per-address", "1000000", "--moves-per-user", "1000000", "--settlements-per-user", "1000000",
		"--strangers-per-day", "1000000", "--stranger-requests-per-day", "1000000")
	// One key for every restart, so tokens survive them, and no key file
	// left beside a PostgreSQL drill's working directory.
	s.cmd.Env = append(os.Environ(), "MINIPAY_TOKEN_KEYS="+s.keys)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("server did not become healthy in 30 s")
}

func (s *server) kill() {
	s.cmd.Process.Signal(os.Kill) // SIGKILL: no shutdown, no draining
	s.cmd.Wait()
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// user is one account holder and what the answers they got add up to.
type user struct {
	name, token string
	main        int64
	mu          sync.Mutex
	expected    int64 // balance implied by every 2xx answer
}

func (u *user) add(n int64) {
	u.mu.Lock()
	u.expected += n
	u.mu.Unlock()
}

// Run performs the drill.
func Run(ctx context.Context, cfg Config) (Result, error) {
	var res Result
	ctx, cancel := context.WithCancel(ctx) // a failed step stops the clients
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.CreateTemp("", "minipay-drill-*.log")
	if err != nil {
		return res, err
	}
	defer logf.Close()
	srv := &server{cfg: cfg, addr: addr, log: logf, keys: api.KeyLine(api.NewSigningKey("drill"))}
	if err := srv.start(ctx); err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Out, "server on %s (log %s)\n", addr, logf.Name())
	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Workers}}

	users, err := setUp(ctx, client, base, cfg.Users)
	if err != nil {
		srv.stop()
		return res, err
	}

	// Clients send until the duration is over, each request retried with
	// its key until it gets an answer that is not a transport error or 5xx.
	stop := time.Now().Add(cfg.Duration)
	var rec recovery
	observe := func(sent time.Time, resp *http.Response) {
		switch {
		case resp.StatusCode == http.StatusCreated:
			rec.written(sent)
		case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
			atomic.AddInt64(&res.Unavailable, 1)
		case resp.StatusCode >= 500:
			atomic.AddInt64(&res.ServerErrors, 1)
		}
	}
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for k := 0; time.Now().Before(stop); k++ {
				key := fmt.Sprintf("drill-%d-%d", w, k)
				from := users[rng.IntN(len(users))]
				var retried bool
				var out map[string]any
				var code int
				if rng.IntN(4) == 0 {
					amount := int64(1 + rng.IntN(1000))
					code, out, retried = send(ctx, client, base+"/v1/charges", from.token, key, map[string]any{"amount": amount}, observe)
					if code == http.StatusCreated {
						from.add(amount)
					}
				} else {
					to := users[rng.IntN(len(users))]
					if to == from {
						continue
					}
					amount := int64(1 + rng.IntN(5000))
					code, out, retried = send(ctx, client, base+"/v1/transfers", from.token, key, map[string]any{"to": to.main, "amount": amount}, observe)
					if code == http.StatusCreated {
						charged, _ := out["charged"].(float64)
						from.add(int64(charged) - amount)
						to.add(amount)
						if charged > 0 {
							atomic.AddInt64(&res.AutoCharged, 1)
						}
					}
				}
				atomic.AddInt64(&res.Requests, 1)
				switch {
				case code == http.StatusCreated:
					atomic.AddInt64(&res.Applied, 1)
				default:
					atomic.AddInt64(&res.Rejected, 1)
				}
				if retried {
					atomic.AddInt64(&res.Retried, 1)
				}
			}
		})
	}

	// The failures, spread over the run: the kills, then the faults, each
	// fault's recovery read when the next failure starts or the run ends.
	steps := cfg.Kills + len(cfg.Faults)
	for i := range steps {
		time.Sleep(cfg.Duration / time.Duration(steps+1))
		if i < cfg.Kills {
			fmt.Fprintf(cfg.Out, "SIGKILL the server (%d requests so far)\n", atomic.LoadInt64(&res.Requests))
			srv.kill()
			res.Kills++
			if err := srv.start(ctx); err != nil {
				return res, fmt.Errorf("restart after kill: %w", err)
			}
			fmt.Fprintln(cfg.Out, "server restarted")
			continue
		}
		f := cfg.Faults[i-cfg.Kills]
		if i > cfg.Kills {
			res.Faults[len(res.Faults)-1].Recovery = rec.took()
		}
		fmt.Fprintf(cfg.Out, "%s under load (%d requests so far)\n", f.Name, atomic.LoadInt64(&res.Requests))
		res.Faults = append(res.Faults, FaultResult{Name: f.Name})
		rec.begin(time.Now())
		if err := f.Do(ctx); err != nil {
			cancel()
			wg.Wait()
			srv.stop()
			return res, fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	wg.Wait()
	if len(res.Faults) > 0 {
		res.Faults[len(res.Faults)-1].Recovery = rec.took()
		res.JobsResumed = jobsRanSince(ctx, client, base, rec.since, 2*time.Minute)
	}
	srv.stop()

	// Verify from the database.
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return res, err
	}
	defer db.Close()
	for _, u := range users {
		ids, err := db.UsersByUsername(ctx, []string{u.name})
		if err != nil {
			return res, err
		}
		a, err := db.Account(ctx, ids[0].ID, u.main)
		if err != nil {
			return res, err
		}
		if a.Balance != u.expected {
			res.Mismatches = append(res.Mismatches, fmt.Sprintf("%s: balance %d, but the answers add up to %d", u.name, a.Balance, u.expected))
		}
	}
	res.Audit, err = db.Audit(ctx)
	return res, err
}

// jobsRanSince waits up to limit for the server's expiry sweep, which runs
// on every pass of the scheduler, to succeed after t, as its metric
// minipay_job_last_success_timestamp_seconds tells.
func jobsRanSince(ctx context.Context, client *http.Client, base string, t time.Time, limit time.Duration) bool {
	const metric = `minipay_job_last_success_timestamp_seconds{job="expiry"} `
	for deadline := time.Now().Add(limit); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(time.Second) {
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, metric); ok {
				if secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && secs > float64(t.UnixNano())/1e9 {
					return true
				}
			}
		}
	}
	return false
}

// setUp signs up and logs in n users.
func setUp(ctx context.Context, client *http.Client, base string, n int) ([]*user, error) {
	prefix := fmt.Sprintf("d%d", time.Now().UnixNano()%1e9)
	users := make([]*user, n)
	for i := range users {
		u := &user{name: fmt.Sprintf("%s_%d", prefix, i)}
		var created struct {
			MainAccountID int64 `json:"main_account_id"`
		}
		if err := call(ctx, client, base+"/v1/users", "", map[string]any{"username": u.name, "password": "drill-password", "name": "Drill"}, &created); err != nil {
			return nil, err
		}
		var session struct{ Token string }
		if err := call(ctx, client, base+"/v1/sessions", "", map[string]any{"username": u.name, "password": "drill-password"}, &session); err != nil {
			return nil, err
		}
		u.main, u.token = created.MainAccountID, session.Token
		users[i] = u
	}
	return users, nil
}

func call(ctx context.Context, client *http.Client, url, token string, body, out any) error {
	code, m, _ := send(ctx, client, url, token, "", body, nil)
	if code != http.StatusCreated {
		return fmt.Errorf("POST %s: %d %v", url, code, m)
	}
	b, _ := json.Marshal(m)
	return json.Unmarshal(b, out)
}

// send POSTs body until it gets an answer that is not a transport error
// or a 5xx, reusing key on every retry; observe, if set, sees every answer
// and when its attempt was sent. It returns the status, the body and
// whether it had to retry.
func send(ctx context.Context, client *http.Client, url, token, key string, body any, observe func(time.Time, *http.Response)) (int, map[string]any, bool) {
	b, _ := json.Marshal(body)
	for attempt := 0; ; attempt++ {
		sent := time.Now()
		req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := client.Do(req)
		if err == nil && observe != nil {
			observe(sent, resp)
		}
		if err == nil {
			var out map[string]any
			json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return resp.StatusCode, out, attempt > 0
			}
		}
		if ctx.Err() != nil {
			return 0, nil, attempt > 0
		}
		time.Sleep(time.Duration(min(attempt+1, 20)) * 50 * time.Millisecond)
	}
}

// recovery times a fault: from its start to the first request sent after
// it that was answered 201, the first write the database took again.
type recovery struct {
	mu           sync.Mutex
	since, first time.Time
}

func (r *recovery) begin(t time.Time) {
	r.mu.Lock()
	r.since, r.first = t, time.Time{}
	r.mu.Unlock()
}

// written notes a 201 to a request sent at sent.
func (r *recovery) written(sent time.Time) {
	r.mu.Lock()
	if !r.since.IsZero() && r.first.IsZero() && sent.After(r.since) {
		r.first = time.Now()
	}
	r.mu.Unlock()
}

// took is the recovery time, zero if no write succeeded since begin.
func (r *recovery) took() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first.IsZero() {
		return 0
	}
	return r.first.Sub(r.since)
}

package api_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/api"
	"minipay/app"
	"minipay/app/apptest"
	"minipay/client"
	"minipay/ledger"
	"minipay/store"
	"minipay/store/dbtest"
)

// streamUsers is how many users the latency benchmark spreads its charges
// over, each with one stream open.
const streamUsers = 20

// BenchmarkStreamLatency measures how long an event takes from its commit
// to a client's stream: b.N charges of 1 won, submitted at about 1,000 a
// second over streamUsers users, each user's events read by one stream.
// An event's latency (p50-ms, p99-ms, max-ms) runs from the moment its
// batch's commit returned (store.Result.CommittedAt) to the moment its
// frame arrived at the client: the stream's part alone. submit-p99-ms runs
// from the charge's submission to the arrival (the writer's time too),
// commit-p99-ms is the writer's own submit→commit. It runs on PostgreSQL
// when MINIPAY_TEST_POSTGRES_URL is set, else on SQLite. Run it with a
// fixed count, e.g. -bench StreamLatency -benchtime 10000x.
func BenchmarkStreamLatency(b *testing.B) {
	backend := "sqlite"
	if os.Getenv(dbtest.EnvPostgres) != "" {
		backend = "postgres"
	}
	db := dbtest.Open(b, backend)
	a, hs := apptest.Serve(b, app.Config{DB: db, PasswordCost: bcrypt.MinCost, WriterWorkers: 4, Limits: api.Limits{SignUpsPerAddress: streamUsers}})
	ctx := context.Background()
	users := make([]client.User, streamUsers)
	streams := make([]*sseStream, streamUsers)
	for i := range users {
		name := fmt.Sprintf("user%02d", i)
		c := client.New(hs.URL)
		u, err := c.SignUp(ctx, name, "pw-"+name+"-secret", name)
		if err != nil {
			b.Fatal(err)
		}
		s, err := c.Login(ctx, name, "pw-"+name+"-secret")
		if err != nil {
			b.Fatal(err)
		}
		users[i], streams[i] = u, openStream(b, hs.URL, s.Token, "")
	}
	for _, s := range streams {
		<-s.frames // retry: the stream is open
	}
	b.ResetTimer()
	arrivals := make(chan []frame, streamUsers)
	for i, s := range streams {
		go func() { arrivals <- s.arrivals(b.N/streamUsers + boolInt(i < b.N%streamUsers)) }()
	}
	began := time.Now()
	commits, sent := charge(b, a.Writer, users, b.N)
	rate := float64(b.N) / time.Since(began).Seconds()
	var afterCommit, afterSubmit []time.Duration
	for range streams {
		for _, f := range <-arrivals {
			c, _ := sent.Load(f.ev.Data.TransactionID)
			afterCommit = append(afterCommit, f.at.Sub(c.(submitted).committed))
			afterSubmit = append(afterSubmit, f.at.Sub(c.(submitted).at))
		}
	}
	b.StopTimer()
	if len(afterCommit) != b.N {
		b.Fatalf("%d of %d events arrived within the deadline", len(afterCommit), b.N)
	}
	b.ReportMetric(percentile(afterCommit, 0.5), "p50-ms")
	b.ReportMetric(percentile(afterCommit, 0.99), "p99-ms")
	b.ReportMetric(percentile(afterCommit, 1), "max-ms")
	b.ReportMetric(percentile(afterSubmit, 0.99), "submit-p99-ms")
	b.ReportMetric(percentile(commits, 0.99), "commit-p99-ms")
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(0, "ns/op")
}

// percentile is the p-th of ds in milliseconds; it sorts ds.
func percentile(ds []time.Duration, p float64) float64 {
	slices.Sort(ds)
	return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// submitted is when a charge was submitted and when its batch committed.
type submitted struct{ at, committed time.Time }

// charge submits n charges of 1 won at 1,000 a second (catching up on a
// late tick), round the users, each in its own goroutine so a slow batch
// does not slow the pace, and returns how long each took to commit (the
// part of submit→client that is not the stream's) and, by transaction,
// when it was submitted and committed.
func charge(b *testing.B, w *store.Writer, users []client.User, n int) ([]time.Duration, *sync.Map) {
	var wg sync.WaitGroup
	var sent sync.Map
	took := make([]time.Duration, n)
	began := time.Now()
	for next := 0; next < n; time.Sleep(time.Millisecond) {
		for due := min(n, int(time.Since(began)/time.Millisecond)+1); next < due; next++ {
			u, i := users[next%len(users)], next
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				res, err := w.Do(context.Background(), u.ID, store.Idempotency{}, ledger.Charge{User: u.ID, Account: u.MainAccountID, Amount: 1})
				if err != nil {
					b.Error(err)
					return
				}
				took[i] = res.CommittedAt.Sub(t0)
				sent.Store(res.TransactionID, submitted{at: t0, committed: res.CommittedAt})
			}()
		}
	}
	wg.Wait()
	return took, &sent
}

// arrivals reads n events; fewer if the stream stalls for 20 s.
func (s *sseStream) arrivals(n int) []frame {
	out := make([]frame, 0, n)
	for len(out) < n {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return out
			}
			if f.event != "" {
				out = append(out, f)
			}
		case <-time.After(20 * time.Second):
			return out
		}
	}
	return out
}

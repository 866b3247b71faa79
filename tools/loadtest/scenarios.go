package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"minipay/client"
)

// Step names, in report order. A scenario's error is its first failed
// step; a step's outcome is "" (ok), an API error code, "transport",
// "canceled" or "unexpected" (a 2xx answer the scenario cannot use).
var stepOrder = []string{
	"sign_up", "login", "charge", "transfer", "hot_transfer", "pending_transfer", "accept",
	"settlement_create", "settlement_pay", "history", "history_next", "accounts", "savings_open", "savings_deposit",
	"setup_create_users_db", "setup_sign_up", "setup_login", "setup_charge",
}

// won returns a random amount between lo and hi won in steps of 1,000.
func won(rng *rand.Rand, lo, hi int64) int64 {
	return lo + 1000*rng.Int64N((hi-lo)/1000+1)
}

// signUp: a new user signs up and logs in, then joins the pool.
func (r *runner) signUp(ctx context.Context) error {
	u, err := r.newUser(ctx, r.rec, "", "lt"+r.runID+"-n"+strconv.FormatInt(r.keys.Add(1), 10))
	if err != nil {
		return err
	}
	r.pool.add(u)
	return nil
}

// charge: a user tops up.
func (r *runner) charge(ctx context.Context, rng *rand.Rand) error {
	u := r.pool.pick(rng, 1)[0]
	return r.step(r.rec, "charge", func() error {
		_, err := u.c.Charge(ctx, won(rng, 10_000, 50_000), r.key())
		return err
	})
}

// transfer: one user sends to another, by main account id.
func (r *runner) transfer(ctx context.Context, rng *rand.Rand) error {
	p := r.pool.pick(rng, 2)
	from, to := p[0], p[1]
	return r.step(r.rec, "transfer", func() error {
		_, err := from.c.Transfer(ctx, client.TransferRequest{To: client.ToAccount(to.main), Amount: won(rng, 1_000, 30_000),
			Memo: "load test"}, r.key())
		return err
	})
}

// hot: HotSenders transfers to one receiver, held at a barrier and
// released at the same moment. Senders are distinct users while the pool
// has enough of them.
func (r *runner) hot(ctx context.Context, rng *rand.Rand) error {
	n := r.cfg.HotSenders
	p := r.pool.pick(rng, n+1)
	to := p[0]
	others := p[1:]
	type send struct {
		from   *user
		amount int64
		key    string
	}
	sends := make([]send, n)
	for i := range sends {
		sends[i] = send{from: others[i%len(others)], amount: won(rng, 1_000, 5_000), key: r.key()}
	}
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	errs := make([]error, n)
	for i, s := range sends {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-release
			errs[i] = r.step(r.rec, "hot_transfer", func() error {
				_, err := s.from.c.Transfer(ctx, client.TransferRequest{To: client.ToAccount(to.main), Amount: s.amount,
					Memo: "hot burst"}, s.key)
				return err
			})
		})
	}
	ready.Wait()
	close(release)
	done.Wait()
	return errors.Join(errs...)
}

// pending: a transfer that needs acceptance; the receiver accepts it.
func (r *runner) pending(ctx context.Context, rng *rand.Rand) error {
	p := r.pool.pick(rng, 2)
	from, to := p[0], p[1]
	yes := true
	var t client.TransferResult
	err := r.step(r.rec, "pending_transfer", func() (err error) {
		t, err = from.c.Transfer(ctx, client.TransferRequest{To: client.ToAccount(to.main), Amount: won(rng, 5_000, 20_000),
			Memo: "please accept", RequireAcceptance: &yes}, r.key())
		if err == nil && t.Status != "pending" {
			err = unexpected(fmt.Sprintf("a transfer with require_acceptance is %q, not pending", t.Status))
		}
		return err
	})
	if err != nil {
		return err
	}
	return r.step(r.rec, "accept", func() error {
		a, err := to.c.AcceptTransfer(ctx, t.ID, r.key())
		if err == nil && a.Status != "accepted" {
			err = unexpected(fmt.Sprintf("an accepted transfer is %q", a.Status))
		}
		return err
	})
}

// settlement: a requester splits a bill equally among 2-3 others, who each
// pay their share.
func (r *runner) settlement(ctx context.Context, rng *rand.Rand) error {
	p := r.pool.pick(rng, 1+2+rng.IntN(2)) // the requester and 2-3 others
	req, parts := p[0], p[1:]
	names := make([]string, len(parts))
	for i, u := range parts {
		names[i] = u.name
	}
	var s client.Settlement
	err := r.step(r.rec, "settlement_create", func() (err error) {
		s, err = req.c.CreateSettlement(ctx, won(rng, 10_000, 90_000), "equal", names, "")
		if err == nil && len(s.Shares) != len(names) {
			err = unexpected(fmt.Sprintf("a settlement among %d has %d shares", len(names), len(s.Shares)))
		}
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, sh := range s.Shares {
		payer := r.pool.get(sh.Username)
		if payer == nil {
			errs = append(errs, fmt.Errorf("share of unknown user %q", sh.Username))
			continue
		}
		errs = append(errs, r.step(r.rec, "settlement_pay", func() error {
			res, err := payer.c.PaySettlementShare(ctx, s.ID, sh.ID, r.key())
			if err == nil && res.Status != "paid" {
				err = unexpected(fmt.Sprintf("a paid share is %q", res.Status))
			}
			return err
		}))
	}
	return errors.Join(errs...)
}

// history: the first page of a user's main account history, then the
// second when there is one.
func (r *runner) history(ctx context.Context, rng *rand.Rand) error {
	u := r.pool.pick(rng, 1)[0]
	var page client.HistoryPage
	err := r.step(r.rec, "history", func() (err error) {
		page, err = u.c.History(ctx, u.main, client.HistoryQuery{})
		return err
	})
	if err != nil || page.NextCursor == "" {
		return err
	}
	return r.step(r.rec, "history_next", func() error {
		_, err := u.c.History(ctx, u.main, client.HistoryQuery{Cursor: page.NextCursor})
		return err
	})
}

// savings: a user looks at their accounts, opens a free savings account
// if they have none, and deposits into it at most what main holds (a
// user with an empty main account tries anyway, and is refused).
func (r *runner) savings(ctx context.Context, rng *rand.Rand) error {
	u := r.pool.pick(rng, 1)[0]
	// One savings flow per user at a time, so two VUs do not both open one.
	u.mu.Lock()
	defer u.mu.Unlock()
	var accounts []client.Account
	err := r.step(r.rec, "accounts", func() (err error) {
		accounts, err = u.c.Accounts(ctx)
		if err == nil && (len(accounts) == 0 || accounts[0].Kind != "main") {
			err = unexpected("the first account listed is not main")
		}
		return err
	})
	if err != nil {
		return err
	}
	var id int64
	for _, a := range accounts {
		if a.Kind == "savings" && a.Product == "free" && a.Status == "open" {
			id = a.ID
		}
	}
	if id == 0 {
		err := r.step(r.rec, "savings_open", func() error {
			a, err := u.c.OpenSavings(ctx, "free", 0, "")
			id = a.ID
			return err
		})
		if err != nil {
			return err
		}
	}
	amount := won(rng, 5_000, 30_000)
	if main := accounts[0].Balance; main > 0 {
		amount = min(amount, main)
	}
	return r.step(r.rec, "savings_deposit", func() error {
		_, err := u.c.Deposit(ctx, id, amount, r.key())
		return err
	})
}

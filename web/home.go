package web

import (
	"net/http"
	"strconv"
	"time"

	"minipay/api"
	"minipay/ledger"
	"minipay/store"
)

// maxCounted is how many pending transfers or unread notifications the
// home page counts; past it, it says "99+".
const maxCounted = 99

type homeData struct {
	Main                  int64
	Savings               []*ledger.Account
	Limit                 store.ChargeLimit
	PendingIn, PendingOut string
	Now                   time.Time
}

func (w *Wallet) home(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	p, err := w.userPage(r, c, "home.title")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d, err := w.homeData(r, c)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Data = d
	p.Notice = w.takeFlash(rw, r, p)
	w.render(rw, r, http.StatusOK, "home", p)
}

func (w *Wallet) homeData(r *http.Request, c api.Caller) (homeData, error) {
	ctx, db, now := r.Context(), w.cfg.DB, w.now()
	d := homeData{Now: now}
	accounts, err := db.Accounts(ctx, c.User, 0)
	if err != nil {
		return d, err
	}
	for _, a := range accounts {
		switch {
		case a.ID == c.Main:
			d.Main = a.Balance
		case a.Kind == ledger.Savings && a.Status == "open":
			d.Savings = append(d.Savings, a)
		}
	}
	if d.Limit, err = db.ChargeLimit(ctx, c.User, now, w.cfg.Location); err != nil {
		return d, err
	}
	pending := func(dir string) (string, error) {
		ts, err := db.Transfers(ctx, c.User, store.TransferFilter{Direction: dir, Status: ledger.TransferPending, Limit: maxCounted + 1})
		return count(len(ts)), err
	}
	if d.PendingIn, err = pending("in"); err != nil {
		return d, err
	}
	d.PendingOut, err = pending("out")
	return d, err
}

// unread counts c's unread notifications, up to "99+".
func (w *Wallet) unread(r *http.Request, c api.Caller) (string, error) {
	ns, err := w.cfg.DB.Notifications(r.Context(), c.User, true, 0, maxCounted+1)
	return count(len(ns)), err
}

func count(n int) string {
	if n > maxCounted {
		return strconv.Itoa(maxCounted) + "+"
	}
	return strconv.Itoa(n)
}

// userPage is a page for c's user, who the header names, with the
// count of unread notifications the navigation shows and the id of the
// user's newest event for its live parts (events.go).
func (w *Wallet) userPage(r *http.Request, c api.Caller, title string) (*page, error) {
	u, err := w.cfg.DB.User(r.Context(), c.User)
	if err != nil {
		return nil, err
	}
	p := w.newPage(r, title)
	p.User = &u
	if p.Unread, err = w.unread(r, c); err != nil {
		return nil, err
	}
	p.After, err = w.newestEvent(r, c)
	return p, err
}

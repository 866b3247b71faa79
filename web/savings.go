package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"minipay/api"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// Savings: open a free or fixed account, deposit into and withdraw from
// a free one, close either. Deposits, withdrawals and closes are engine
// commands under each form's idempotency key (money.go); opening is the
// API's store call (api.OpenSavings) under its form's key too.

// savingsAccount is one open savings account as the screen shows it,
// with a fresh key for each of its forms.
type savingsAccount struct {
	*ledger.Account
	Rate            string // "연 3.00%" / "3.00% a year"
	Next            time.Time
	Moves           []amountForm // deposit and withdraw, as the product allows
	CloseKey, Error string
}

// amountForm is a form moving an amount: its action, key and amount.
type amountForm struct{ Action, Key, Amount string }

type savingsData struct {
	Main     int64
	Accounts []savingsAccount
	OpenKey  string
	Product  string
	Daily    string
}

// savingsFailure is a form that failed: shown again with its key and
// amount, and its error next to it.
type savingsFailure struct {
	account     int64
	action      string // deposit, withdraw or close
	key, amount string
	errKey      string
}

func (w *Wallet) savings(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.showSavings(rw, r, c, http.StatusOK, savingsData{Product: "free"}, nil)
}

func (w *Wallet) showSavings(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, d savingsData, failed *savingsFailure) {
	p, err := w.userPage(r, c, "savings.title")
	var accounts []*ledger.Account
	if err == nil {
		accounts, err = w.cfg.DB.Accounts(r.Context(), c.User, 0)
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d.OpenKey = newKey()
	for _, a := range accounts {
		if a.ID == c.Main {
			d.Main = a.Balance
		}
		if a.Kind != ledger.Savings || a.Status != ledger.Open {
			continue
		}
		prod := ledger.Products[a.Product]
		s := savingsAccount{Account: a, Rate: p.T("savings.rate", fmt.Sprintf("%d.%02d", prod.AnnualRateBP/100, prod.AnnualRateBP%100)),
			CloseKey: newKey()}
		s.Next, _ = w.cfg.API.NextInstallment(a)
		if prod.ManualDeposits {
			s.Moves = append(s.Moves, amountForm{Action: "deposit", Key: newKey()})
		}
		if prod.Withdrawals {
			s.Moves = append(s.Moves, amountForm{Action: "withdraw", Key: newKey()})
		}
		if failed != nil && failed.account == a.ID {
			s.Error = failed.sentence(p, d.Main, a.Balance)
			if failed.action == "close" {
				s.CloseKey = failed.key
			}
			for i := range s.Moves {
				if s.Moves[i].Action == failed.action {
					s.Moves[i].Key, s.Moves[i].Amount = failed.key, failed.amount
				}
			}
		}
		d.Accounts = append(d.Accounts, s)
	}
	if failed != nil && failed.account == 0 {
		// The open form shown again keeps its key: a failed opening
		// stored none, and a second click on it must not open two.
		p.Error = p.T(failed.errKey)
		if failed.key != "" {
			d.OpenKey = failed.key
		}
	}
	p.Data = d
	p.Notice = w.takeFlash(rw, r, p)
	w.render(rw, r, status, "savings", p)
}

// openSavings opens the product the form names, once per form key: a
// fixed account takes its daily amount from main, so a double click, a
// reload or the back button must not open two.
func (w *Wallet) openSavings(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	d := savingsData{Product: r.PostFormValue("product"), Daily: r.PostFormValue("daily")}
	f := &savingsFailure{key: r.PostFormValue("key")}
	var daily int64
	if d.Product == "fixed" {
		var ok bool
		if daily, ok = parseAmount(d.Daily); !ok {
			f.errKey = "error.amount"
			w.showSavings(rw, r, c, http.StatusUnprocessableEntity, d, f)
			return
		}
	}
	idem, err := formIdempotency(r, url.Values{"product": {d.Product}, "daily": {strconv.FormatInt(daily, 10)}})
	var a *ledger.Account
	if err == nil {
		a, err = w.cfg.API.OpenSavings(r.Context(), c, idem, d.Product, daily)
	}
	if err != nil {
		w.savingsError(rw, r, c, d, f, err)
		return
	}
	http.Redirect(rw, r, "/savings#savings-"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
}

// savingsMove is a deposit, a withdrawal or a close of the account in the
// path, as its form asks.
func (w *Wallet) savingsMove(action string) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(rw http.ResponseWriter, r *http.Request, c api.Caller) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		f := &savingsFailure{account: id, action: action, key: r.PostFormValue("key"), amount: r.PostFormValue("amount")}
		var amount int64
		if action != "close" {
			var ok bool
			if amount, ok = parseAmount(f.amount); !ok {
				f.errKey = "error.amount"
				w.showSavings(rw, r, c, http.StatusUnprocessableEntity, savingsData{Product: "free"}, f)
				return
			}
		}
		var cmd ledger.Command = ledger.Close{User: c.User, Main: c.Main, Savings: id}
		switch action {
		case "deposit":
			cmd = ledger.Deposit{User: c.User, Main: c.Main, Savings: id, Amount: amount}
		case "withdraw":
			cmd = ledger.Withdraw{User: c.User, Main: c.Main, Savings: id, Amount: amount}
		}
		idem, err := formIdempotency(r, url.Values{"amount": {strconv.FormatInt(amount, 10)}})
		var res store.Result
		if err == nil {
			res, err = w.cfg.API.Move(r.Context(), c, idem, cmd)
		}
		if err != nil {
			w.savingsError(rw, r, c, savingsData{Product: "free"}, f, err)
			return
		}
		w.flashTo(rw, r, "/savings", action, res.Receipt.Amount)
	}
}

// savingsError shows the savings page again with err next to the form
// that failed, in the words of savings: conflict is too many accounts
// open, or an account no longer open.
func (w *Wallet) savingsError(rw http.ResponseWriter, r *http.Request, c api.Caller, d savingsData, f *savingsFailure, err error) {
	key, status, ok := refusal(err)
	if !ok {
		w.fail(rw, r, err)
		return
	}
	switch errs.CodeOf(err) {
	case errs.Conflict:
		key = "error.savingsMax"
		if f.account != 0 {
			key = "error.done"
		}
	case errs.Invalid, errs.NotFound:
		key = "error.savings"
	case errs.InsufficientFunds:
		key = "savings.short." + f.action // deposit or withdraw
	}
	f.errKey = key
	w.showSavings(rw, r, c, status, d, f)
}

// sentence is the failure in words; a balance too short names it: main
// for a deposit (which never tops up), the account's for a withdrawal.
func (f *savingsFailure) sentence(p *page, main, balance int64) string {
	switch f.errKey {
	case "savings.short.deposit":
		return p.T(f.errKey, p.Won(main))
	case "savings.short.withdraw":
		return p.T(f.errKey, p.Won(balance))
	}
	return p.T(f.errKey)
}

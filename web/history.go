package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"minipay/api"
	"minipay/ledger"
	"minipay/store"
)

// History of one account, newest first, as GET /v1/accounts/{id}/history
// pages it: a filter by kind and by month (in Asia/Seoul), and "more"
// following the keyset cursor (the last id shown). The filter is a GET
// form, so every page of it is a link.

// historyPage is how many entries a page shows.
const historyPage = 10

// closedListed is how many closed savings accounts the account choice
// offers, as home lists them.
const closedListed = 10

type historyData struct {
	Accounts    []*ledger.Account
	Kinds       []string
	Account     int64
	Kind, Month string
	Entries     []store.HistoryEntry
	More        string // the next page's URL; "" on the last page
	BadMonth    bool
}

func (w *Wallet) history(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	p, err := w.userPage(r, c, "history.title")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	q := r.URL.Query()
	d := historyData{Kinds: store.HistoryKinds, Account: c.Main, Kind: q.Get("kind"), Month: q.Get("month")}
	if d.Accounts, err = w.cfg.DB.Accounts(r.Context(), c.User, closedListed); err != nil {
		w.fail(rw, r, err)
		return
	}
	if id, err := strconv.ParseInt(q.Get("account"), 10, 64); err == nil {
		d.Account = id
	}
	f, ok := historyFilter(q, d, w.cfg.Location)
	owned := slices.ContainsFunc(d.Accounts, func(a *ledger.Account) bool { return a.ID == d.Account })
	status := http.StatusOK
	switch {
	case !owned:
		p.Error, status = p.T("history.noAccount"), http.StatusNotFound
	case !ok:
		p.Error, status = p.T("history.badFilter"), http.StatusUnprocessableEntity
	default:
		err = w.historyEntries(r, &d, f)
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Data = d
	w.render(rw, r, status, "history", p)
}

// historyFilter reads the filter of d and the cursor; ok is false for a
// kind or month the form does not offer.
func historyFilter(q url.Values, d historyData, zone *time.Location) (store.HistoryFilter, bool) {
	f := store.HistoryFilter{Kind: d.Kind, Limit: historyPage + 1}
	if d.Kind != "" && !slices.Contains(store.HistoryKinds, d.Kind) {
		return f, false
	}
	if d.Month != "" {
		start, err := time.ParseInLocation("2006-01", d.Month, zone)
		if err != nil {
			return f, false
		}
		f.From, f.To = start, start.AddDate(0, 1, 0)
	}
	// The next page's link names the last entry's id and time (?before=,
	// ?at= in microseconds); a link of an id alone, from before pages were
	// ordered by time, still reads on from that entry.
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return f, false
		}
		f.Before.ID = n
		if a := q.Get("at"); a != "" {
			us, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return f, false
			}
			f.Before.At = time.UnixMicro(us)
		}
	}
	return f, true
}

// historyEntries reads a page into d, and the link to the next one if
// there is more.
func (w *Wallet) historyEntries(r *http.Request, d *historyData, f store.HistoryFilter) error {
	rows, err := w.cfg.DB.History(r.Context(), d.Account, f)
	if err != nil {
		return err
	}
	if len(rows) > historyPage {
		rows = rows[:historyPage]
		last := rows[len(rows)-1]
		next := url.Values{"account": {strconv.FormatInt(d.Account, 10)}, "before": {strconv.FormatInt(last.ID, 10)},
			"at": {strconv.FormatInt(last.At.UnixMicro(), 10)}}
		if d.Kind != "" {
			next.Set("kind", d.Kind)
		}
		if d.Month != "" {
			next.Set("month", d.Month)
		}
		d.More = "/history?" + next.Encode()
	}
	d.Entries = rows
	return nil
}

// Party names who an entry's money came from or went to, in the page's
// language. A transfer's other side is a person, named as the store names
// them. Any other entry's is one of the system's accounts or the user's
// own other account, which the API names in English ("external bank",
// "savings account"): those names are keys here, not words to show on a
// Korean page. Only entries without a transfer are looked up, so a sender
// who chose "external bank" as their display name is shown as they wrote it.
func (p *page) Party(e store.HistoryEntry) string {
	if e.TransferID == 0 {
		if _, ok := messages["party."+e.Counterparty.Name]; ok {
			return p.T("party." + e.Counterparty.Name)
		}
	}
	return e.Counterparty.Name
}

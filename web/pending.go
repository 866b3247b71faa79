package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"minipay/api"
	"minipay/errs"
	"minipay/ledger"
	"minipay/names"
	"minipay/store"
)

// Pending transfers: those waiting for the user to accept or reject, with
// the time left before they return to the sender, and those the user
// sent, which they may cancel. Each row's forms carry one idempotency key
// (a reload or a double click resolves the transfer once; accepting then
// rejecting the same row is refused as another use of the key).

// maxPending is how many pending transfers each direction lists: more
// than a person keeps waiting, since each expires within days.
const maxPending = 50

type pendingRow struct {
	store.Transfer
	Key, Left string
	ToMasked  string // the receiver's masked real name, for the sender
}

type pendingData struct{ In, Out []pendingRow }

// pendingWords explains the refusals of accept, reject and cancel.
var pendingWords = map[errs.Code]string{
	errs.Conflict: "pending.gone",
	errs.NotFound: "pending.gone",
	errs.Expired:  "pending.expired",
}

func (w *Wallet) pendingScreen() screen {
	return screen{name: "pending", words: pendingWords, data: func(r *http.Request, c api.Caller, p *page) (any, error) {
		var d pendingData
		var err error
		if d.In, err = w.pendingRows(r, c, p, "in"); err == nil {
			d.Out, err = w.pendingRows(r, c, p, "out")
		}
		return d, err
	}}
}

func (w *Wallet) pending(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.show(rw, r, c, w.pendingScreen(), http.StatusOK, "")
}

func (w *Wallet) pendingRows(r *http.Request, c api.Caller, p *page, dir string) ([]pendingRow, error) {
	ts, err := w.cfg.DB.Transfers(r.Context(), c.User, store.TransferFilter{Direction: dir, Status: ledger.TransferPending, Limit: maxPending})
	rows := make([]pendingRow, len(ts))
	for i, t := range ts {
		rows[i] = pendingRow{Transfer: t, Key: newKey(), Left: timeLeft(p, t.ExpiresAt.Sub(w.now())), ToMasked: names.Mask(t.ToName)}
	}
	return rows, err
}

// timeLeft says how long until a pending transfer returns, to the
// minute (to the hour past two days).
func timeLeft(p *page, d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return p.T("pending.leftSoon")
	case d < time.Hour:
		return p.T("pending.leftMinutes", int(d/time.Minute))
	case d < 2*day:
		return p.T("pending.leftHours", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return p.T("pending.leftDays", int(d/day), int(d%day/time.Hour))
}

// resolve accepts, rejects or cancels a pending transfer
// (POST /pending/{id}/{action}) through the engine.
func (w *Wallet) resolve(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.show(rw, r, c, w.pendingScreen(), http.StatusNotFound, "pending.gone")
		return
	}
	var cmd ledger.Command
	switch r.PathValue("action") {
	case "accept":
		cmd = ledger.Accept{User: c.User, Transfer: id}
	case "reject":
		cmd = ledger.Reject{User: c.User, Transfer: id}
	case "cancel":
		cmd = ledger.Cancel{User: c.User, Transfer: id}
	default:
		w.render(rw, r, http.StatusNotFound, "error", w.newPage(r, "error.notFound"))
		return
	}
	idem, err := formIdempotency(r, url.Values{})
	var res store.Result
	if err == nil {
		res, err = w.cfg.API.Move(r.Context(), c, idem, cmd)
	}
	w.done(rw, r, c, w.pendingScreen(), err, r.PathValue("action"), res.Receipt.Amount)
}

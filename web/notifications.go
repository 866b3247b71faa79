package web

import (
	"net/http"
	"net/url"
	"strconv"

	"minipay/api"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// Notifications, newest first, each a sentence in the user's language;
// an unread one has a button that marks it read, as POST
// /v1/notifications/{id}/read does. The navigation counts the unread.

const notificationsPage = 20

type noticeRow struct {
	store.Notification
	Text string
}

type notificationsData struct {
	Rows []noticeRow
	More string // the next page's URL; "" on the last page
}

var noticeWords = map[errs.Code]string{
	errs.NotFound:  "notifications.gone",
	errs.Forbidden: "notifications.gone",
}

func (w *Wallet) notifications(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.showNotifications(rw, r, c, http.StatusOK, "")
}

func (w *Wallet) showNotifications(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, errKey string) {
	p, err := w.userPage(r, c, "notifications.title")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	ns, err := w.cfg.DB.Notifications(r.Context(), c.User, false, before, notificationsPage+1)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	var d notificationsData
	if len(ns) > notificationsPage {
		ns = ns[:notificationsPage]
		d.More = "/notifications?" + url.Values{"before": {strconv.FormatInt(ns[len(ns)-1].ID, 10)}}.Encode()
	}
	for _, n := range ns {
		d.Rows = append(d.Rows, noticeRow{Notification: n, Text: noticeText(p, n)})
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Notice, p.Data = takeFlash(rw, r, p), d
	w.render(rw, r, status, "notifications", p)
}

// noticeText is n as a sentence. Every notice message takes the same
// arguments and picks its own by index (%[2]s), so the two languages may
// order them differently: who, the amount, the deadline, the savings
// account and the day of a missed installment.
func noticeText(p *page, n store.Notification) string {
	who := n.Counterparty
	if who == "" {
		who = n.CounterpartyMasked
	}
	key := "notice." + n.Kind
	if n.Kind == ledger.NoticePendingReturned {
		key += "." + n.Reason // rejected or expired
	}
	if _, ok := messages[key]; !ok {
		return p.T("notice.other")
	}
	return p.T(key, who, p.Won(n.Amount), p.When(n.ExpiresAt), n.Account, n.Day)
}

// readNotification marks one read (POST /notifications/{id}/read).
func (w *Wallet) readNotification(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = w.cfg.API.ReadNotification(r.Context(), c, id)
	} else {
		err = errs.E(errs.NotFound, "no notification %q", r.PathValue("id"))
	}
	if err != nil {
		key, status, ok := screenRefusal(err, noticeWords)
		if !ok {
			w.fail(rw, r, err)
			return
		}
		w.showNotifications(rw, r, c, status, key)
		return
	}
	doneAt(rw, r, "/notifications", "read", 0)
}

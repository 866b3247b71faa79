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
	// Link is where the notice's matter is acted on or seen (accept a
	// transfer, pay a share, end a session), LinkKey its words; "" for
	// none.
	Link, LinkKey string
}

type notificationsData struct {
	Rows []noticeRow
	More string // the next page's URL; "" on the last page
}

var noticeWords = map[errs.Code]string{
	errs.NotFound:  "notifications.gone",
	errs.Forbidden: "notifications.gone",
}

func (w *Wallet) notificationsScreen() screen {
	return screen{name: "notifications", words: noticeWords, data: w.notificationsPage}
}

func (w *Wallet) notifications(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.show(rw, r, c, w.notificationsScreen(), http.StatusOK, "")
}

// notificationsPage reads the page from ?before= (a notification id).
func (w *Wallet) notificationsPage(r *http.Request, c api.Caller, p *page) (any, error) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	ns, err := w.cfg.DB.Notifications(r.Context(), c.User, false, before, notificationsPage+1)
	var d notificationsData
	if len(ns) > notificationsPage {
		ns = ns[:notificationsPage]
		d.More = "/notifications?" + url.Values{"before": {strconv.FormatInt(ns[len(ns)-1].ID, 10)}}.Encode()
	}
	for _, n := range ns {
		link, key := noticeLink(n)
		d.Rows = append(d.Rows, noticeRow{Notification: n, Text: noticeText(p, n), Link: link, LinkKey: key})
	}
	return d, err
}

// noticeText is n as a sentence. Every notice message takes the same
// arguments and picks its own by index (%[2]s), so the two languages may
// order them differently: who, the amount, the deadline, the savings
// account and the day of a missed installment, and the device of a new
// login.
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
	device := api.Device(n.UserAgent)
	if device == "" {
		device = p.T("notice.unknownDevice")
	}
	return p.T(key, who, p.Won(n.Amount), p.When(n.ExpiresAt), n.Account, n.Day, device)
}

// readNotification marks one read (POST /notifications/{id}/read).
func (w *Wallet) readNotification(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = w.cfg.API.ReadNotification(r.Context(), c, id)
	} else {
		err = errs.E(errs.NotFound, "no notification %q", r.PathValue("id"))
	}
	w.done(rw, r, c, w.notificationsScreen(), err, "read", 0)
}

// noticeLink is the page where n's matter is: a tap on a phone, not a
// hunt through the navigation.
func noticeLink(n store.Notification) (href, key string) {
	switch n.Kind {
	case ledger.NoticePendingReceived, ledger.NoticePendingReminder:
		return "/pending", "notifications.toPending"
	case ledger.NoticeSettlementRequested, ledger.NoticeSharePaid, ledger.NoticeShareDeclined:
		if n.Settlement > 0 {
			return "/settlements/" + strconv.FormatInt(n.Settlement, 10), "notifications.toSettlement"
		}
	case ledger.NoticeInstallmentMissed:
		return "/savings", "notifications.toSavings"
	case ledger.NoticeTransferReceived:
		return "/history", "notifications.toHistory"
	case store.NoticeFriendAdded:
		return "/friends", "notifications.toFriends"
	case store.NoticeNewLogin:
		return "/settings#sessions-h", "notifications.sessions"
	}
	return "", ""
}

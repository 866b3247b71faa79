package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipay/api"
	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// Charge and send. Every money-moving form is rendered with a fresh
// idempotency key in a hidden field and submits it as the engine's key,
// so the same form posted twice (a double click, a reload, the back
// button) moves money once: the second post is a replay of the first.
// A failed command records no key, so the form shown again with its
// error keeps its key. Money moves only through api.Server.Move, the
// engine call of the JSON API.

// newKey is a form's idempotency key: 128 random bits.
func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// formIdempotency is a posted form's key and the fingerprint of what it
// asks (the form's path and fields), so the same key with other values
// is refused (idempotency_mismatch) rather than replayed.
func formIdempotency(r *http.Request, fields url.Values) (store.Idempotency, error) {
	key := r.PostFormValue("key")
	if b, err := base64.RawURLEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return store.Idempotency{}, errs.E(errs.Invalid, "the form has no valid key")
	}
	sum := sha256.Sum256([]byte("web " + r.URL.Path + "\n" + fields.Encode()))
	return store.Idempotency{Key: "web:" + key, Fingerprint: hex.EncodeToString(sum[:])}, nil
}

// parseAmount reads an amount of won as people type it: "20000",
// "20,000" or "20,000원".
func parseAmount(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", " ", "", "원", "").Replace(s)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

type chargeData struct {
	Key, Amount string
	Remaining   int64
}

func (w *Wallet) chargeForm(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.showCharge(rw, r, c, http.StatusOK, chargeData{Key: newKey()}, "")
}

func (w *Wallet) charge(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	d := chargeData{Key: r.PostFormValue("key"), Amount: r.PostFormValue("amount")}
	amount, ok := parseAmount(d.Amount)
	if !ok {
		w.showCharge(rw, r, c, http.StatusUnprocessableEntity, d, "error.amount")
		return
	}
	idem, err := formIdempotency(r, url.Values{"amount": {strconv.FormatInt(amount, 10)}})
	var res store.Result
	if err == nil {
		res, err = w.cfg.API.Move(r.Context(), c, idem, ledger.Charge{User: c.User, Account: c.Main, Amount: amount})
	}
	if err != nil {
		key, status, ok := refusal(err)
		if !ok {
			w.fail(rw, r, err)
			return
		}
		w.showCharge(rw, r, c, status, d, key)
		return
	}
	w.doneTo(rw, r, "charged", res.Receipt.Amount)
}

// showCharge renders the charge form with today's remaining limit and
// the error of message key errKey, if any.
func (w *Wallet) showCharge(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, d chargeData, errKey string) {
	p, err := w.userPage(r, c, "charge.title")
	if err == nil {
		var l store.ChargeLimit
		l, err = w.cfg.DB.ChargeLimit(r.Context(), c.User, w.now(), w.cfg.Location)
		d.Remaining = l.Remaining
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Data = d
	w.render(rw, r, status, "charge", p)
}

// sendData is the send form's fields; the confirmation adds what the
// transfer will do.
type sendData struct {
	Key, To, Amount, Display, Memo string
	AmountWon, Balance, TopUp      int64
	MaskedName                     string // the receiver's real name, masked (김*수)
	// LimitLeft is today's charge limit left, when a top-up is needed.
	LimitLeft int64
	// Acceptance makes the transfer pending until the receiver accepts
	// it; the form always says, so the user's setting is only its default.
	Acceptance bool
	Contacts   []store.Contact // friends first, then recent recipients
	// Query is the search of friends (?q=), Found what it found, More
	// whether more matched than are listed.
	Query string
	Found []store.Contact
	More  bool
	fresh bool // a new form: Acceptance from the setting
}

// sendForm is a new form, to ?to= if given (the friends page's "send to").
func (w *Wallet) sendForm(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	d := sendData{Key: newKey(), To: strings.TrimSpace(r.URL.Query().Get("to")), fresh: true}
	w.showSend(rw, r, c, http.StatusOK, "send", d, "")
}

// sendPreview checks the form and shows what sending will do, including
// the automatic top-up the engine will make (ledger.AutoCharge on the
// balance now; the engine decides again when it runs). It moves nothing.
func (w *Wallet) sendPreview(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	d := sendForm(r)
	if r.URL.Query().Get("edit") != "" {
		w.showSend(rw, r, c, http.StatusOK, "send", d, "")
		return
	}
	if _, errKey, err := w.checkSend(r, c, &d); errKey != "" || err != nil {
		w.sendError(rw, r, c, d, errKey, err)
		return
	}
	main, err := w.cfg.DB.Account(r.Context(), c.User, c.Main)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d.Balance, d.TopUp = main.Balance, ledger.AutoCharge(main.Balance, d.AmountWon)
	status := http.StatusOK
	if d.TopUp > 0 {
		l, err := w.cfg.DB.ChargeLimit(r.Context(), c.User, w.now(), w.cfg.Location)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		if d.LimitLeft = l.Remaining; d.OverLimit() {
			status = http.StatusUnprocessableEntity
		}
	}
	w.showSend(rw, r, c, status, "confirm", d, "")
}

// OverLimit says the top-up the transfer needs is more than today's
// charge limit allows: the confirmation says so, and what can be sent,
// instead of promising a top-up the engine will refuse.
func (d sendData) OverLimit() bool { return d.TopUp > d.LimitLeft }

// MaxSend is the most that can be sent now: the balance and the top-ups
// (whole ChargeUnits) today's limit still allows.
func (d sendData) MaxSend() int64 {
	return d.Balance + d.LimitLeft/ledger.ChargeUnit*ledger.ChargeUnit
}

// send moves the money the confirmation showed.
func (w *Wallet) send(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	d := sendForm(r)
	to, errKey, err := w.checkSend(r, c, &d)
	if errKey != "" || err != nil {
		w.sendError(rw, r, c, d, errKey, err)
		return
	}
	idem, err := formIdempotency(r, url.Values{"to": {strconv.FormatInt(to, 10)}, "amount": {strconv.FormatInt(d.AmountWon, 10)},
		"display": {d.Display}, "memo": {d.Memo}, "acceptance": {strconv.FormatBool(d.Acceptance)}})
	var res store.Result
	if err == nil {
		res, err = w.cfg.API.Move(r.Context(), c, idem, ledger.Transfer{User: c.User, From: c.Main, To: to, Amount: d.AmountWon,
			DisplayName: d.Display, Memo: d.Memo, RequireAcceptance: &d.Acceptance})
	}
	if err != nil {
		w.sendError(rw, r, c, d, "", err)
		return
	}
	done := "sent"
	if res.Receipt.Status == ledger.TransferPending {
		done = "sentPending"
	}
	w.doneTo(rw, r, done, res.Receipt.Amount)
}

// sendForm reads a posted send form. "acceptance" comes as a hidden 0
// and, when the box is ticked, a 1.
func sendForm(r *http.Request) sendData {
	_ = r.ParseForm() // a body that does not parse leaves the fields empty, which checkSend refuses
	return sendData{Key: r.PostFormValue("key"), To: strings.TrimSpace(r.PostFormValue("to")), Amount: r.PostFormValue("amount"),
		Display: strings.TrimSpace(r.PostFormValue("display")), Memo: r.PostFormValue("memo"),
		Acceptance: slices.Contains(r.PostForm["acceptance"], "1")}
}

// checkSend validates the form into d.AmountWon and finds the receiver's
// main account and masked name. A mistake of the person's is a message key; err is any
// other failure (or a code errorKeys explains).
func (w *Wallet) checkSend(r *http.Request, c api.Caller, d *sendData) (to int64, errKey string, err error) {
	amount, ok := parseAmount(d.Amount)
	if !ok {
		return 0, "error.amount", nil
	}
	d.AmountWon = amount
	if err := api.CheckTransferText(d.Display, d.Memo); err != nil {
		return 0, "", err
	}
	if d.To == "" {
		return 0, "error.recipient", nil
	}
	payee, err := w.cfg.API.Payee(r.Context(), c, d.To)
	if err != nil {
		return 0, "", err
	}
	to, d.MaskedName = payee.MainAccount, payee.MaskedName
	if to == c.Main {
		return 0, "error.self", nil
	}
	return to, "", nil
}

// sendError shows the send form again with the error: errKey, else the
// sentence for err's code.
func (w *Wallet) sendError(rw http.ResponseWriter, r *http.Request, c api.Caller, d sendData, errKey string, err error) {
	status := http.StatusUnprocessableEntity
	if errKey == "" {
		var ok bool
		if errKey, status, ok = refusal(err); !ok {
			w.fail(rw, r, err)
			return
		}
	}
	w.showSend(rw, r, c, status, "send", d, errKey)
}

func (w *Wallet) showSend(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, name string, d sendData, errKey string) {
	title := "send.title"
	if name == "confirm" {
		title = "send.confirmTitle"
	}
	p, err := w.userPage(r, c, title)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if d.fresh {
		d.Acceptance = p.User.TransfersRequireAcceptance
	}
	if name == "send" {
		d.Query = strings.TrimSpace(r.URL.Query().Get("q"))
		d.Contacts, err = w.contacts(r, c)
		if err == nil && d.Query != "" {
			d.Found, d.More, err = w.friendSearch(r, c, d.Query)
		}
		if err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Data = d
	w.render(rw, r, status, name, p)
}

// PendingHours is how long a transfer needing acceptance waits for it.
func (sendData) PendingHours() int { return int(ledger.PendingLifetime / time.Hour) }

// Shown is the contacts shown as links while not searching.
func (d sendData) Shown() []store.Contact { return d.Contacts[:min(len(d.Contacts), contactsShown)] }

package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"minipay/api"
	"minipay/errs"
	"minipay/ledger"
	"minipay/names"
	"minipay/store"
)

// Settlements: request one (a total split equally or at random among
// participants picked from friends first), preview its shares, confirm
// it; pay or decline a share asked of you; see who has paid. The form's
// key is made when the request form is shown and carried through the
// preview to the confirmation, whose post requests the settlement once
// (store.CreateSettlementOnce). Paying and declining are engine commands
// under their forms' keys.

// settlementsShown is how many settlements of each kind the list shows.
const settlementsShown = 20

type settlementsData struct {
	Requested, Asked []settlementRow
}

type settlementRow struct {
	store.Settlement
	Paid, Of int
	Mine     *store.SettlementShare // the viewer's share of one asked of them
}

func (w *Wallet) settlements(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	p, err := w.userPage(r, c, "settlements.title")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	var d settlementsData
	for _, role := range []string{"requester", "participant"} {
		list, err := w.cfg.DB.Settlements(r.Context(), c.User, role, 0, settlementsShown)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		for _, st := range list {
			row := settlementRowOf(st, c.User)
			if role == "requester" {
				d.Requested = append(d.Requested, row)
			} else {
				d.Asked = append(d.Asked, row)
			}
		}
	}
	p.Data = d
	w.render(rw, r, http.StatusOK, "settlements", p)
}

func settlementRowOf(st store.Settlement, viewer int64) settlementRow {
	row := settlementRow{Settlement: st, Of: len(st.Shares)}
	for i, sh := range st.Shares {
		if sh.Status == ledger.SharePaid {
			row.Paid++
		}
		if sh.User == viewer && st.Requester != viewer {
			row.Mine = &st.Shares[i]
		}
	}
	return row
}

// settlementForm is the request form's fields; the preview adds the
// shares.
type settlementForm struct {
	Key, Total, Mode string
	Friends          []store.Friend
	Chosen           map[string]bool // friends ticked
	Others           string          // other usernames, comma or space separated
	Me               bool            // the requester takes a share too
	TotalWon         int64
	Shares           []api.PlannedShare
}

func (w *Wallet) settlementNew(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.showSettlementForm(rw, r, c, http.StatusOK, "settlement_new", &settlementForm{Key: newKey(), Mode: "equal", Me: true}, "")
}

// readSettlementForm reads the request form and lists its participants:
// the requester (if ticked), the friends ticked, then the others.
func readSettlementForm(r *http.Request, self string) (*settlementForm, []string) {
	f := &settlementForm{Key: r.PostFormValue("key"), Total: r.PostFormValue("total"), Mode: r.PostFormValue("mode"),
		Others: r.PostFormValue("others"), Me: r.PostFormValue("me") != "", Chosen: map[string]bool{}}
	var who []string
	if f.Me {
		who = append(who, self)
	}
	for _, u := range r.PostForm["friend"] {
		f.Chosen[u] = true
		who = append(who, u)
	}
	who = append(who, strings.FieldsFunc(f.Others, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })...)
	var out []string
	for _, u := range who {
		if u = strings.TrimPrefix(strings.TrimSpace(u), "@"); u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return f, out
}

// settlementPreview shows the shares the form asks for; it requests
// nothing. ?edit shows the form again with its values.
func (w *Wallet) settlementPreview(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	me, err := w.cfg.DB.User(r.Context(), c.User)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	f, who := readSettlementForm(r, me.Username)
	if r.URL.Query().Get("edit") != "" {
		w.showSettlementForm(rw, r, c, http.StatusOK, "settlement_new", f, "")
		return
	}
	total, ok := parseAmount(f.Total)
	if !ok {
		w.showSettlementForm(rw, r, c, http.StatusUnprocessableEntity, "settlement_new", f, "error.amount")
		return
	}
	f.TotalWon = total
	if len(who) == 0 || (len(who) == 1 && who[0] == me.Username) {
		w.showSettlementForm(rw, r, c, http.StatusUnprocessableEntity, "settlement_new", f, "error.participants")
		return
	}
	if f.Shares, err = w.cfg.API.PlanSettlement(r.Context(), c, total, f.Mode, who); err != nil {
		w.settlementError(rw, r, c, f, err)
		return
	}
	w.showSettlementForm(rw, r, c, http.StatusOK, "settlement_preview", f, "")
}

// requestSettlement requests the settlement the preview showed, once per
// form key, and shows it.
func (w *Wallet) requestSettlement(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	f := &settlementForm{Key: r.PostFormValue("key"), Total: r.PostFormValue("total"), Mode: r.PostFormValue("mode"), Chosen: map[string]bool{}}
	users, amounts := r.PostForm["share_user"], r.PostForm["share_amount"]
	total, ok := parseAmount(f.Total)
	if !ok || len(users) != len(amounts) {
		w.showSettlementForm(rw, r, c, http.StatusUnprocessableEntity, "settlement_new", f, "error.invalid")
		return
	}
	f.TotalWon = total
	for i, u := range users {
		n, _ := strconv.ParseInt(amounts[i], 10, 64)
		f.Shares = append(f.Shares, api.PlannedShare{Username: u, Amount: n})
		f.Others += u + " "
	}
	idem, err := formIdempotency(r, url.Values{"total": {strconv.FormatInt(total, 10)}, "mode": {f.Mode}, "user": users, "amount": amounts})
	var id int64
	if err == nil {
		id, err = w.cfg.API.RequestSettlement(r.Context(), c, idem, total, f.Mode, f.Shares)
	}
	if err != nil {
		w.settlementError(rw, r, c, f, err)
		return
	}
	w.flashTo(rw, r, "/settlements/"+strconv.FormatInt(id, 10), "requested", total)
}

// settlementError shows the request form again with err as a sentence:
// a participant not found, too many requests of strangers, or the
// sentence of err's code.
func (w *Wallet) settlementError(rw http.ResponseWriter, r *http.Request, c api.Caller, f *settlementForm, err error) {
	key, status, ok := refusal(err)
	if !ok {
		w.fail(rw, r, err)
		return
	}
	switch errs.CodeOf(err) {
	case errs.NotFound:
		key = "error.participant"
	case errs.Invalid:
		key = "error.settlement"
	}
	w.showSettlementForm(rw, r, c, status, "settlement_new", f, key)
}

func (w *Wallet) showSettlementForm(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, name string, f *settlementForm, errKey string) {
	title := "settlements.newTitle"
	if name == "settlement_preview" {
		title = "settlements.previewTitle"
	}
	p, err := w.userPage(r, c, title)
	if err == nil && name == "settlement_new" {
		f.Friends, err = w.cfg.DB.Friends(r.Context(), c.User, store.FriendCursor{}, store.MaxFriends)
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if name == "settlement_new" {
		f.Others = othersOf(f, p.User.Username)
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Data = f
	w.render(rw, r, status, name, p)
}

// othersOf is the form's other usernames without those its checkboxes
// show: the friends ticked and the requester.
func othersOf(f *settlementForm, self string) string {
	var out []string
	for _, u := range strings.Fields(strings.ReplaceAll(f.Others, ",", " ")) {
		friend := slices.ContainsFunc(f.Friends, func(fr store.Friend) bool { return fr.Username == u })
		switch {
		case u == self:
			f.Me = true
		case friend:
			f.Chosen[u] = true
		default:
			out = append(out, u)
		}
	}
	return strings.Join(out, ", ")
}

// settlementDetail is one settlement as its viewer sees it, with forms
// to pay or decline the viewer's pending share.
type settlementDetail struct {
	settlementRow
	RequesterMasked    string
	Masked             map[int64]string // share id → participant's masked name
	PayKey, DeclineKey string
	TopUp, Balance     int64
}

func (w *Wallet) settlement(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.showSettlement(rw, r, c, http.StatusOK, "")
}

func (w *Wallet) showSettlement(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, errKey string) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.render(rw, r, http.StatusNotFound, "error", w.newPage(r, "error.notFound"))
		return
	}
	st, err := w.cfg.DB.Settlement(ctx, c.User, id)
	if errs.CodeOf(err) == errs.NotFound {
		w.render(rw, r, http.StatusNotFound, "error", w.newPage(r, "error.notFound"))
		return
	}
	p, perr := w.userPage(r, c, "settlements.detailTitle")
	if err == nil {
		err = perr
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := settlementDetail{settlementRow: settlementRowOf(st, c.User), RequesterMasked: names.Mask(st.RequesterName),
		Masked: map[int64]string{}, PayKey: newKey(), DeclineKey: newKey()}
	for _, sh := range st.Shares {
		d.Masked[sh.ID] = names.Mask(sh.Name)
	}
	if d.Mine != nil && d.Mine.Status == ledger.SharePending {
		main, err := w.cfg.DB.Account(ctx, c.User, c.Main)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		d.Balance, d.TopUp = main.Balance, ledger.AutoCharge(main.Balance, d.Mine.Amount)
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Data = d
	p.Notice = w.takeFlash(rw, r, p)
	w.render(rw, r, status, "settlement", p)
}

// actOnShare pays or declines the viewer's share in the path.
func (w *Wallet) actOnShare(paid bool) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(rw http.ResponseWriter, r *http.Request, c api.Caller) {
		id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
		share, err2 := strconv.ParseInt(r.PathValue("share"), 10, 64)
		if err1 != nil || err2 != nil {
			w.render(rw, r, http.StatusNotFound, "error", w.newPage(r, "error.notFound"))
			return
		}
		var cmd ledger.Command = ledger.DeclineShare{User: c.User, Settlement: id, Share: share}
		what := "declined"
		if paid {
			cmd, what = ledger.PayShare{User: c.User, Main: c.Main, Settlement: id, Share: share}, "paid"
		}
		idem, err := formIdempotency(r, nil)
		var res store.Result
		if err == nil {
			res, err = w.cfg.API.Move(r.Context(), c, idem, cmd)
		}
		if err != nil {
			key, status, ok := refusal(err)
			if !ok {
				w.fail(rw, r, err)
				return
			}
			if errs.CodeOf(err) == errs.Conflict {
				key = "error.done"
			}
			w.showSettlement(rw, r, c, status, key)
			return
		}
		w.flashTo(rw, r, "/settlements/"+strconv.FormatInt(id, 10), what, res.Receipt.Amount)
	}
}

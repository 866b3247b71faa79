package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"minipay/errs"
	"minipay/ledger"
	"minipay/names"
	"minipay/store"
)

// Limits on free text a sender attaches to a transfer.
const (
	maxDisplayName = 50
	maxMemo        = 200
)

// transferRequest is the body of POST /v1/transfers.
type transferRequest struct {
	To          json.RawMessage `json:"to"`
	Amount      *int64          `json:"amount"`
	DisplayName string          `json:"display_name"`
	Memo        string          `json:"memo"`
	// RequireAcceptance overrides the sender's setting when present.
	RequireAcceptance *bool `json:"require_acceptance"`
}

func (q *transferRequest) Validate() error {
	if q.Amount == nil {
		return missing("amount")
	}
	if err := CheckTransferText(q.DisplayName, q.Memo); err != nil {
		return err
	}
	_, _, err := q.recipient()
	return err
}

// recipient reads "to": a JSON string is a username, a JSON number a main
// account id. Keeping the two apart means a username made of digits is
// never mistaken for an account id. The decoder has checked "to" is JSON;
// a plain string (no escapes, valid UTF-8) is taken as it is, sparing
// every transfer a reflective decoding.
func (q *transferRequest) recipient() (username string, account int64, err error) {
	to := q.To
	switch {
	case len(to) == 0 || string(to) == "null":
		return "", 0, errs.E(errs.Invalid, `field "to" is required: a username (string) or a main account id (number)`)
	case to[0] == '"' && bytes.IndexByte(to, '\\') < 0 && utf8.Valid(to):
		username = string(to[1 : len(to)-1])
		return username, 0, readable("to", username)
	case to[0] == '"':
		json.Unmarshal(to, &username)
		return username, 0, readable("to", username)
	}
	// As encoding/json reads an int64: the literal, base 10.
	if account, err = strconv.ParseInt(string(to), 10, 64); err != nil || account <= 0 {
		return "", 0, errs.E(errs.Invalid, `field "to" must be a username (string) or a main account id (positive integer)`)
	}
	return "", account, nil
}

// toAccount is the main account the transfer goes to. A username's main
// account never changes (neither is ever renamed or reassigned), so it
// is read once and kept (mainAccounts); an unknown username is not kept,
// as it may sign up later.
func (s *Server) toAccount(r *http.Request, q *transferRequest) (int64, error) {
	username, account, err := q.recipient()
	if err != nil || username == "" {
		return account, err
	}
	if id, ok := s.mainAccounts.get(username); ok {
		return id, nil
	}
	id, err := s.db.MainAccountOf(r.Context(), username)
	if err == nil {
		s.mainAccounts.put(username, id)
	}
	return id, err
}

// transferCreated answers POST /v1/transfers. A struct, not a map: it
// encodes without sorting keys or boxing values; its fields are in the
// map's order (alphabetical), so the bytes are the same.
type transferCreated struct {
	Amount        int64      `json:"amount"`
	Charged       int64      `json:"charged"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	ID            int64      `json:"id"`
	MainBalance   int64      `json:"main_balance"`
	Status        string     `json:"status"`
	TransactionID int64      `json:"transaction_id"`
}

func (s *Server) createTransfer(w http.ResponseWriter, r *http.Request, p principal) {
	var req transferRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	to, err := s.toAccount(r, &req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	cmd := ledger.Transfer{User: p.user, From: p.main, To: to, Amount: *req.Amount,
		DisplayName: strings.TrimSpace(req.DisplayName), Memo: req.Memo, RequireAcceptance: req.RequireAcceptance}
	s.move(w, r, p, http.StatusCreated, cmd, func(res store.Result) (any, error) {
		rc := res.Receipt
		return transferCreated{Amount: rc.Amount, Charged: rc.Charged, ExpiresAt: optionalTime(rc.ExpiresAt.UTC()), ID: res.TransferID,
			MainBalance: rc.MainBalance, Status: rc.Status, TransactionID: res.TransactionID}, nil
	})
}

// resolveTransfer handles accept, reject and cancel: one engine command
// deciding a pending transfer's outcome, answered with the transfer as it
// now stands.
func (s *Server) resolveTransfer(build func(user, transfer int64) ledger.Command) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.move(w, r, p, http.StatusOK, build(p.user, id), func(store.Result) (any, error) {
			t, err := s.db.Transfer(r.Context(), p.user, id)
			if err != nil {
				return nil, err
			}
			return toTransferJSON(t, p.user), nil
		})
	}
}

// partyJSON is one side of a transfer. The viewer's own side carries
// their real name; the other side, the name they are shown as and
// masked_name, their masked real name.
type partyJSON struct {
	AccountID  int64  `json:"account_id,omitempty"`
	Username   string `json:"username,omitempty"`
	Name       string `json:"name"`
	MaskedName string `json:"masked_name,omitempty"`
}

type transferJSON struct {
	ID          int64      `json:"id"`
	Direction   string     `json:"direction"`
	Status      string     `json:"status"`
	Amount      int64      `json:"amount"`
	Charged     *int64     `json:"charged,omitempty"`
	From        partyJSON  `json:"from"`
	To          partyJSON  `json:"to"`
	DisplayName string     `json:"display_name"`
	Memo        string     `json:"memo"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	SettledAt   *time.Time `json:"settled_at,omitempty"`
}

// toTransferJSON shows a transfer to one of its parties. The receiver sees
// the name the sender chose and the sender's masked real name; the sender
// sees the receiver's username, account and masked real name, and what
// was auto-charged.
func toTransferJSON(t store.Transfer, viewer int64) transferJSON {
	j := transferJSON{ID: t.ID, Status: t.Status, Amount: t.Amount, DisplayName: t.ReceiverSees(), Memo: t.Memo,
		CreatedAt: t.CreatedAt, ExpiresAt: optionalTime(t.ExpiresAt), SettledAt: optionalTime(t.ResolvedAt)}
	if viewer == t.FromUser {
		j.Direction = "out"
		j.Charged = &t.Charged
		j.From = partyJSON{AccountID: t.FromAccount, Username: t.FromUsername, Name: t.SenderName}
		masked := names.Mask(t.ToName)
		j.To = partyJSON{AccountID: t.ToAccount, Username: t.ToUsername, Name: masked, MaskedName: masked}
	} else {
		j.Direction = "in"
		j.From = partyJSON{Name: t.ReceiverSees(), MaskedName: names.Mask(t.SenderName)}
		j.To = partyJSON{AccountID: t.ToAccount, Username: t.ToUsername, Name: t.ToName}
	}
	return j
}

func (s *Server) getTransfer(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.db.Transfer(r.Context(), p.user, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTransferJSON(t, p.user))
}

func (s *Server) listTransfers(w http.ResponseWriter, r *http.Request, p principal) {
	f, err := transferFilter(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit := f.Limit
	f.Limit++
	rows, err := s.db.Transfers(r.Context(), p.user, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, next := pageOf(rows, limit, func(t store.Transfer) int64 { return t.ID })
	out := make([]transferJSON, len(page))
	for i, t := range page {
		out[i] = toTransferJSON(t, p.user)
	}
	writeJSON(w, http.StatusOK, map[string]any{"transfers": out, "next_cursor": next})
}

// transferFilter reads ?direction=, ?status=, ?limit= and ?cursor=.
func transferFilter(q url.Values) (store.TransferFilter, error) {
	var f store.TransferFilter
	var err error
	if f.Direction, err = enumParam(q, "direction", "in", "out"); err != nil {
		return f, err
	}
	if f.Status, err = enumParam(q, "status", ledger.TransferStatuses...); err != nil {
		return f, err
	}
	f.Limit, f.Before, err = readPage(q)
	return f, err
}

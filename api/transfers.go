package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"minipay/errs"
	"minipay/ledger"
	"minipay/store"
)

// Limits on free text a sender attaches to a transfer.
const (
	maxDisplayName = 50
	maxMemo        = 200
)

func (s *Server) createTransfer(w http.ResponseWriter, r *http.Request, p principal) {
	var req struct {
		To          json.RawMessage `json:"to"`
		Amount      *int64          `json:"amount"`
		DisplayName string          `json:"display_name"`
		Memo        string          `json:"memo"`
		// RequireAcceptance overrides the sender's setting when present.
		RequireAcceptance *bool `json:"require_acceptance"`
	}
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	amount, err := required("amount", req.Amount)
	if err == nil {
		err = checkText("display_name", req.DisplayName, maxDisplayName)
	}
	if err == nil {
		err = checkText("memo", req.Memo, maxMemo)
	}
	var to int64
	if err == nil {
		to, err = s.recipient(r, req.To)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	cmd := ledger.Transfer{User: p.user, From: p.main, To: to, Amount: amount,
		DisplayName: strings.TrimSpace(req.DisplayName), Memo: req.Memo, RequireAcceptance: req.RequireAcceptance}
	s.move(w, r, p, http.StatusCreated, cmd, func(res store.Result) (any, error) {
		rc := res.Receipt
		body := map[string]any{
			"id": res.TransferID, "status": rc.Status, "amount": rc.Amount, "charged": rc.Charged,
			"main_balance": rc.MainBalance, "transaction_id": res.TransactionID,
		}
		if !rc.ExpiresAt.IsZero() {
			body["expires_at"] = rc.ExpiresAt.UTC()
		}
		return body, nil
	})
}

// settleTransfer handles accept, reject and cancel: one engine command on
// a pending transfer, answered with the transfer as it now stands.
func (s *Server) settleTransfer(build func(user, transfer int64) ledger.Command) func(http.ResponseWriter, *http.Request, principal) {
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

// recipient resolves "to": a JSON number is a main account id, a JSON
// string a username. Keeping the two apart means a username made of digits
// is never mistaken for an account id.
func (s *Server) recipient(r *http.Request, raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, errs.E(errs.Invalid, `field "to" is required: a username (string) or a main account id (number)`)
	}
	var username string
	if err := json.Unmarshal(raw, &username); err == nil {
		return s.db.MainAccountOf(r.Context(), username)
	}
	var id int64
	if err := json.Unmarshal(raw, &id); err != nil || id <= 0 {
		return 0, errs.E(errs.Invalid, `field "to" must be a username (string) or a main account id (positive integer)`)
	}
	return id, nil
}

func checkText(field, v string, max int) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return errs.E(errs.Invalid, "%s must be valid text of at most %d characters", field, max)
	}
	return nil
}

type partyJSON struct {
	AccountID int64  `json:"account_id,omitempty"`
	Username  string `json:"username,omitempty"`
	Name      string `json:"name"`
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
// only the name the sender chose; the sender sees real names and what
// was auto-charged.
func toTransferJSON(t store.Transfer, viewer int64) transferJSON {
	j := transferJSON{ID: t.ID, Status: t.Status, Amount: t.Amount, DisplayName: t.DisplayName, Memo: t.Memo,
		CreatedAt: t.CreatedAt, To: partyJSON{AccountID: t.ToAccount, Username: t.ToUsername, Name: t.ToName},
		ExpiresAt: optionalTime(t.ExpiresAt), SettledAt: optionalTime(t.SettledAt)}
	if viewer == t.FromUser {
		j.Direction = "out"
		j.Charged = &t.Charged
		j.From = partyJSON{AccountID: t.FromAccount, Username: t.FromUsername, Name: t.SenderName}
	} else {
		j.Direction = "in"
		j.From = partyJSON{Name: t.DisplayName}
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
	q := r.URL.Query()
	f := store.TransferFilter{Direction: q.Get("direction"), Status: q.Get("status")}
	if f.Direction != "" && f.Direction != "in" && f.Direction != "out" {
		writeError(w, r, errs.E(errs.Invalid, "direction must be in or out"))
		return
	}
	var err error
	if f.Limit, err = pageLimit(q.Get("limit")); err == nil {
		f.Before, err = decodeCursor(q.Get("cursor"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.db.Transfers(r.Context(), p.user, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]transferJSON, len(page))
	for i, t := range page {
		out[i] = toTransferJSON(t, p.user)
	}
	var next *string
	if len(page) == f.Limit {
		c := encodeCursor(page[len(page)-1].ID)
		next = &c
	}
	writeJSON(w, http.StatusOK, map[string]any{"transfers": out, "next_cursor": next})
}

// Page sizes for list endpoints.
const (
	defaultPage = 20
	maxPage     = 100
)

func pageLimit(v string) (int, error) {
	if v == "" {
		return defaultPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, errs.E(errs.Invalid, "limit must be between 1 and %d", maxPage)
	}
	return n, nil
}

// Cursors are opaque to clients: the last id of the previous page, encoded
// so clients do not build them by hand.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err == nil {
		if v, ok := strings.CutPrefix(string(b), "id:"); ok {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
				return id, nil
			}
		}
	}
	return 0, errs.E(errs.Invalid, "cursor is not one this API issued")
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

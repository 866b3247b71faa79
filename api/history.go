package api

import (
	"net/http"
	"net/url"
	"time"

	"minipay/errs"
	"minipay/store"
)

// An account's history: its entries, newest first.

type historyEntryJSON struct {
	ID           int64            `json:"id"`
	At           time.Time        `json:"at"`
	Kind         string           `json:"kind"`
	Amount       int64            `json:"amount"`
	BalanceAfter int64            `json:"balance_after"`
	Counterparty counterpartyJSON `json:"counterparty"`
	Memo         string           `json:"memo"`
	TransferID   *int64           `json:"transfer_id,omitempty"`
	SettlementID *int64           `json:"settlement_id,omitempty"`
}

// counterpartyJSON is the other side of an entry. Another user appears
// by the name they are shown as and their masked real name, never their
// whole real name.
type counterpartyJSON struct {
	Name       string `json:"name"`
	Username   string `json:"username,omitempty"`
	AccountID  int64  `json:"account_id,omitempty"`
	MaskedName string `json:"masked_name,omitempty"`
}

func toHistoryEntryJSON(h store.HistoryEntry) historyEntryJSON {
	return historyEntryJSON{ID: h.ID, At: h.At, Kind: h.Kind, Amount: h.Amount, BalanceAfter: h.BalanceAfter, Memo: h.Memo,
		Counterparty: counterpartyJSON(h.Counterparty), TransferID: optionalID(h.TransferID), SettlementID: optionalID(h.SettlementID)}
}

// historyFilter reads ?from=&to= (RFC 3339, [from, to)), ?kind=, ?limit=
// and ?cursor=.
func historyFilter(q url.Values) (store.HistoryFilter, error) {
	kind, err := enumParam(q, "kind", store.HistoryKinds...)
	if err != nil {
		return store.HistoryFilter{}, err
	}
	f := store.HistoryFilter{Kind: kind}
	for _, bound := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(bound.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, errs.E(errs.Invalid, "%s must be an RFC 3339 time", bound.name)
			}
			*bound.dst = t
		}
	}
	if f.Limit, err = pageLimit(q.Get("limit")); err != nil {
		return f, err
	}
	f.Before, err = decodeHistoryCursor(q.Get("cursor"))
	return f, err
}

// History pages by time, then id (store.HistoryCursor): its cursor names
// both. A cursor of an id alone, as this API handed out before
// (migration 00030), still reads on from its entry.
func decodeHistoryCursor(c string) (store.HistoryCursor, error) {
	if at, id, err := decodeTimeCursor(c); err == nil {
		return store.HistoryCursor{At: at, ID: id}, nil
	}
	id, err := decodeCursor(c)
	return store.HistoryCursor{ID: id}, err
}

// history pages an account's entries newest first.
func (s *Server) history(w http.ResponseWriter, r *http.Request, p principal) {
	page, next, err := s.historyPage(r, p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]historyEntryJSON, len(page))
	for i, h := range page {
		out[i] = toHistoryEntryJSON(h)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out, "next_cursor": next})
}

// historyPage reads the page the request asks for, of an account the
// caller owns, and the cursor of the next page.
func (s *Server) historyPage(r *http.Request, p principal) ([]store.HistoryEntry, *string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	f, err := historyFilter(r.URL.Query())
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.db.Account(r.Context(), p.user, id); err != nil { // not_found or forbidden
		return nil, nil, err
	}
	limit := f.Limit
	f.Limit++
	rows, err := s.db.History(r.Context(), id, f)
	if err != nil {
		return nil, nil, err
	}
	page, next := pageWith(rows, limit, func(h store.HistoryEntry) string { return encodeTimeCursor(h.At, h.ID) })
	return page, next, nil
}

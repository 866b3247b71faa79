package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"minipay/errs"
	"minipay/store"
)

// Events (the outbox) as their users read them, Stripe-style: an id, a
// type, when, and the type's data.

// eventVersion is the version of the event wire shape (data.version): a
// change that could break a reader bumps it.
const eventVersion = 1

type eventJSON struct {
	ID        int64         `json:"id"`
	Type      string        `json:"type"`
	CreatedAt time.Time     `json:"created_at"`
	Data      eventDataJSON `json:"data"`
}

// eventDataJSON is what an event says; which fields it has depends on the
// type (README, "Events"). It never holds a balance.
type eventDataJSON struct {
	Version       int        `json:"version"`
	Amount        int64      `json:"amount"`
	TransactionID *int64     `json:"transaction_id,omitempty"`
	TransferID    *int64     `json:"transfer_id,omitempty"`
	SettlementID  *int64     `json:"settlement_id,omitempty"`
	ShareID       *int64     `json:"share_id,omitempty"`
	AccountID     *int64     `json:"account_id,omitempty"`
	ToAccountID   *int64     `json:"to_account_id,omitempty"`
	Status        string     `json:"status,omitempty"`
	DisplayName   string     `json:"display_name,omitempty"`
	Memo          string     `json:"memo,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	Mode          string     `json:"mode,omitempty"`
	Product       string     `json:"product,omitempty"`
	Day           string     `json:"day,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	SessionID     string     `json:"session_id,omitempty"`
	UserAgent     string     `json:"user_agent,omitempty"`
	EndpointID    *int64     `json:"webhook_endpoint_id,omitempty"`
}

func toEventJSON(e store.Event) eventJSON {
	d := e.Data
	return eventJSON{ID: e.ID, Type: e.Type, CreatedAt: e.OccurredAt, Data: eventDataJSON{Version: eventVersion, Amount: d.Amount,
		TransactionID: optionalID(e.TransactionID), TransferID: optionalID(e.TransferID), SettlementID: optionalID(e.SettlementID),
		ShareID: optionalID(d.ShareID), AccountID: optionalID(e.AccountID), ToAccountID: optionalID(d.ToAccount),
		Status: d.Status, DisplayName: d.DisplayName, Memo: d.Memo, ExpiresAt: optionalTime(d.ExpiresAt),
		Mode: d.Mode, Product: d.Product, Day: d.Day, Reason: d.Reason, SessionID: d.SessionID, UserAgent: d.UserAgent,
		EndpointID: optionalID(d.Endpoint)}}
}

// EventData renders what e says to the user it concerns (the data of
// GET /v1/events, with its version), for sinks of events outside the API:
// the broker feed.
func EventData(e store.Event) ([]byte, error) { return json.Marshal(toEventJSON(e).Data) }

// EventJSON renders e whole as the user it concerns reads it from
// GET /v1/events/{id}: the body of a webhook delivery.
func EventJSON(e store.Event) ([]byte, error) { return json.Marshal(toEventJSON(e)) }

// fenceWait bounds how long a request waits for the read fence; past it
// the page is empty and the client asks again.
const fenceWait = 2 * time.Second

// listEvents pages the caller's events: newest first (?cursor=), or
// oldest first after an event id (?after=), each with ?type= and ?limit=.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p principal) {
	f, err := eventFilter(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if f.Forward {
		ctx, cancel := context.WithTimeout(r.Context(), fenceWait)
		fence, ok, err := s.db.EventFence(ctx)
		cancel()
		if err != nil {
			writeError(w, r, err)
			return
		}
		if !ok {
			fence = f.After // nothing is safe to read yet
		}
		f.Fence = fence
	}
	limit := f.Limit
	if !f.Forward {
		f.Limit++ // the extra row says whether a next page exists
	}
	rows, err := s.db.Events(r.Context(), p.user, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// After ?after=, the next request names the last id itself.
	page, next := pageOf(rows, limit, func(e store.Event) int64 { return e.ID })
	if f.Forward {
		next = nil
	}
	out := make([]eventJSON, len(page))
	for i, e := range page {
		out[i] = toEventJSON(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next_cursor": next})
}

// eventFilter reads ?type=, ?limit= and either ?cursor= or ?after=.
func eventFilter(q url.Values) (store.EventFilter, error) {
	f := store.EventFilter{Forward: q.Has("after")}
	var err error
	if f.Type, err = enumParam(q, "type", store.EventTypes...); err != nil {
		return f, err
	}
	if f.Limit, f.Before, err = readPage(q); err != nil {
		return f, err
	}
	if f.Forward {
		if f.Before != 0 {
			return f, errs.E(errs.Invalid, "give either cursor or after, not both")
		}
		if f.After, err = strconv.ParseInt(q.Get("after"), 10, 64); err != nil || f.After < 0 {
			return f, errs.E(errs.Invalid, "after must be an event id (0 for the first)")
		}
	}
	return f, nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.db.Event(r.Context(), p.user, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toEventJSON(e))
}

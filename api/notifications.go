package api

import (
	"net/http"
	"time"

	"minipay/store"
)

// notificationJSON is one inbox entry on the wire. Which of the optional
// fields a notification has depends on its kind.
type notificationJSON struct {
	ID           int64      `json:"id"`
	CreatedAt    time.Time  `json:"created_at"`
	ReadAt       *time.Time `json:"read_at"`
	Kind         string     `json:"kind"`
	TransferID   int64      `json:"transfer_id,omitempty"`
	Amount       int64      `json:"amount"`
	Counterparty string     `json:"counterparty,omitempty"`
	// CounterpartyMasked is the other user's masked real name.
	CounterpartyMasked string    `json:"counterparty_masked_name,omitempty"`
	Reason             string    `json:"reason,omitempty"`
	ExpiresAt          time.Time `json:"expires_at,omitzero"`
	AccountID          int64     `json:"account_id,omitempty"`
	Day                string    `json:"day,omitempty"`
	SettlementID       int64     `json:"settlement_id,omitempty"`
	// A new_login's session (revocable by DELETE /v1/sessions/{id}), its
	// client as sent, and that client named for people (Device).
	SessionID string  `json:"session_id,omitempty"`
	UserAgent *string `json:"user_agent,omitempty"`
	Device    *string `json:"device,omitempty"`
}

func toNotificationJSON(n store.Notification) notificationJSON {
	j := notificationJSON{ID: n.ID, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt, Kind: n.Kind, TransferID: n.TransferID,
		Amount: n.Amount, Counterparty: n.Counterparty, CounterpartyMasked: n.CounterpartyMasked, Reason: n.Reason, ExpiresAt: n.ExpiresAt,
		AccountID: n.Account, Day: n.Day, SettlementID: n.Settlement, SessionID: n.SessionID}
	if n.Kind == store.NoticeNewLogin {
		// Present, if empty, on every new_login: a client that sent no
		// User-Agent is worth saying so.
		device := Device(n.UserAgent)
		j.UserAgent, j.Device = &n.UserAgent, &device
	}
	return j
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	unread, err := enumParam(q, "unread", "true", "false")
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit, before, err := readPage(q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rows, err := s.db.Notifications(r.Context(), p.user, unread == "true", before, limit+1)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, next := pageOf(rows, limit, func(n store.Notification) int64 { return n.ID })
	out := make([]notificationJSON, len(page))
	for i, n := range page {
		out[i] = toNotificationJSON(n)
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": out, "next_cursor": next})
}

func (s *Server) readNotification(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.db.MarkNotificationRead(r.Context(), p.user, id, s.clock.Now()); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

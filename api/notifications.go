package api

import (
	"net/http"
	"time"

	"minipay/errs"
	"minipay/ledger"
)

type notificationJSON struct {
	ID        int64      `json:"id"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
	ledger.Notice
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	unread := q.Get("unread")
	if unread != "" && unread != "true" && unread != "false" {
		writeError(w, r, errs.E(errs.Invalid, "unread must be true or false"))
		return
	}
	limit, err := pageLimit(q.Get("limit"))
	var before int64
	if err == nil {
		before, err = decodeCursor(q.Get("cursor"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.db.Notifications(r.Context(), p.user, unread == "true", before, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]notificationJSON, len(page))
	for i, n := range page {
		out[i] = notificationJSON{ID: n.ID, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt, Notice: n.Notice}
	}
	var next *string
	if len(page) == limit {
		c := encodeCursor(page[len(page)-1].ID)
		next = &c
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

package api

import (
	"net/http"
)

// The caller's own user and settings.

func (s *Server) me(w http.ResponseWriter, r *http.Request, p principal) {
	u, err := s.db.User(r.Context(), p.user)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

// settingsRequest is the body of PATCH /v1/me/settings.
type settingsRequest struct {
	TransfersRequireAcceptance *bool `json:"transfers_require_acceptance"`
}

func (q *settingsRequest) Validate() error {
	if q.TransfersRequireAcceptance == nil {
		return missing("transfers_require_acceptance")
	}
	return nil
}

func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request, p principal) {
	var req settingsRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.db.SetTransfersRequireAcceptance(r.Context(), p.user, *req.TransfersRequireAcceptance)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u).Settings)
}

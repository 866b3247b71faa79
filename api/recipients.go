package api

import (
	"net/http"

	"minipay/names"
)

// recipient answers GET /v1/recipients/{username}: whom a username
// belongs to, as the wallet shows it before sending money or a bill —
// the username and the masked real name, never the whole of it. Look-ups
// are limited per user (Limits.LookupsPerUser), so this cannot map
// usernames to names at scale.
func (s *Server) recipient(w http.ResponseWriter, r *http.Request, p principal) {
	if err := takeForUser(s.limits.lookups, p, s.clock.Now(), "recipient look-ups"); err != nil {
		writeError(w, r, err)
		return
	}
	username := r.PathValue("username")
	if err := readable("username", username); err != nil {
		writeError(w, r, err)
		return
	}
	users, err := s.db.UsersByUsername(r.Context(), []string{username})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, payeeJSON{Username: users[0].Username, MaskedName: names.Mask(users[0].Name)})
}

// payeeJSON is a user as anyone may look them up.
type payeeJSON struct {
	Username   string `json:"username"`
	MaskedName string `json:"masked_name"`
}

package api

import (
	"context"
	"net/http"

	"minipay/names"
	"minipay/store"
)

// recipient answers GET /v1/recipients/{username}: whom a username
// belongs to, as the wallet shows it before sending money or a bill —
// the username and the masked real name, never the whole of it. Look-ups
// are limited per user (Limits.LookupsPerUser), so this cannot map
// usernames to names at scale.
func (s *Server) recipient(w http.ResponseWriter, r *http.Request, p principal) {
	u, err := s.payee(r.Context(), p, r.PathValue("username"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, payeeJSON{Username: u.Username, MaskedName: names.Mask(u.Name)})
}

// payee looks username up for p, within p's limit on look-ups.
func (s *Server) payee(ctx context.Context, p principal, username string) (store.User, error) {
	if err := takeForUser(s.limits.lookups, p, s.clock.Now(), "recipient look-ups"); err != nil {
		return store.User{}, err
	}
	if err := readable("username", username); err != nil {
		return store.User{}, err
	}
	users, err := s.db.UsersByUsername(ctx, []string{username})
	if err != nil {
		return store.User{}, err
	}
	return users[0], nil
}

// payeeJSON is a user as anyone may look them up.
type payeeJSON struct {
	Username   string `json:"username"`
	MaskedName string `json:"masked_name"`
}

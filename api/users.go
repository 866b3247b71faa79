package api

import (
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"minipay/errs"
	"minipay/store"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,31}$`)

type userJSON struct {
	ID            int64        `json:"id"`
	Username      string       `json:"username"`
	Name          string       `json:"name"`
	MainAccountID int64        `json:"main_account_id"`
	Settings      settingsJSON `json:"settings"`
}

type settingsJSON struct {
	TransfersRequireAcceptance bool `json:"transfers_require_acceptance"`
}

func toUserJSON(u store.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, Name: u.Name, MainAccountID: u.MainAccount,
		Settings: settingsJSON{TransfersRequireAcceptance: u.TransfersRequireAcceptance}}
}

func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
		Name     *string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	username, err := required("username", req.Username)
	if err == nil && !usernamePattern.MatchString(username) {
		err = errs.E(errs.Invalid, "username must be 3 to 32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit")
	}
	var password, name string
	if err == nil {
		password, err = required("password", req.Password)
	}
	if err == nil && (len(password) < 8 || len(password) > 72) {
		err = errs.E(errs.Invalid, "password must be 8 to 72 bytes")
	}
	if err == nil {
		name, err = required("name", req.Name)
	}
	if err == nil && (name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name)) {
		err = errs.E(errs.Invalid, "name must be 1 to 100 characters")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.db.CreateUser(r.Context(), username, name, string(hash), s.clock.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

func (s *Server) logIn(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	}
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.Username == nil || req.Password == nil {
		writeError(w, r, errs.E(errs.Invalid, "fields \"username\" and \"password\" are required"))
		return
	}
	u, hash, err := s.db.UserByUsername(r.Context(), *req.Username)
	if errs.CodeOf(err) == errs.NotFound {
		// Spend the same time as a wrong password, so response time does
		// not reveal which usernames exist.
		bcrypt.CompareHashAndPassword(dummyHash, []byte(*req.Password))
		writeError(w, r, errs.E(errs.Unauthorized, "wrong username or password"))
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(*req.Password)) != nil {
		writeError(w, r, errs.E(errs.Unauthorized, "wrong username or password"))
		return
	}
	expires := s.clock.Now().Add(TokenTTL).Truncate(time.Second)
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":      s.tokens.issue(principal{user: u.ID, main: u.MainAccount}, expires),
		"expires_at": expires.UTC(),
	})
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

func (s *Server) me(w http.ResponseWriter, r *http.Request, p principal) {
	u, err := s.db.User(r.Context(), p.user)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request, p principal) {
	var req struct {
		TransfersRequireAcceptance *bool `json:"transfers_require_acceptance"`
	}
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := required("transfers_require_acceptance", req.TransfersRequireAcceptance)
	if err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.db.SetTransfersRequireAcceptance(r.Context(), p.user, v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u).Settings)
}

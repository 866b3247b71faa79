package api

import (
	"net/http"
	"regexp"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"minipay/errs"
	"minipay/store"
)

// Users: sign up, and the password rules (sessions.go logs in).

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

// signUpRequest is the body of POST /v1/users.
type signUpRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	Name     *string `json:"name"`
}

func (q *signUpRequest) Validate() error {
	switch {
	case q.Username == nil:
		return missing("username")
	case !usernamePattern.MatchString(*q.Username):
		return errs.E(errs.Invalid, "username must be 3 to 32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit")
	case q.Password == nil:
		return missing("password")
	}
	if err := checkPassword("password", *q.Password); err != nil {
		return err
	}
	switch {
	case q.Name == nil:
		return missing("name")
	case *q.Name == "" || utf8.RuneCountInString(*q.Name) > 100 || !utf8.ValidString(*q.Name):
		return errs.E(errs.Invalid, "name must be 1 to 100 characters")
	}
	if err := checkText("name", *q.Name, 100); err != nil {
		return err
	}
	if err := unofficial("username", *q.Username); err != nil {
		return err
	}
	return unofficial("name", *q.Name)
}

// checkPassword applies the rules of a new password (sign-up, password
// change) to field's value.
func checkPassword(field, pw string) error {
	if len(pw) < 8 || len(pw) > maxPassword {
		return errs.E(errs.Invalid, "%s must be 8 to %d bytes", field, maxPassword)
	}
	return nil
}

func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	var req signUpRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.createUser(r, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

// createUser signs up a validated request, within the sign-up limit of
// r's address: the one sign-up of the API and the web wallet.
func (s *Server) createUser(r *http.Request, req signUpRequest) (store.User, error) {
	if addr, now := s.limits.clientAddr(r), s.clock.Now(); !s.limits.signUps.Take(addr, now) {
		return store.User{}, errTooMany(s.limits.signUps.Wait(addr, now), "sign-ups from your address")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(*req.Password), s.passwordCost)
	if err != nil {
		return store.User{}, err
	}
	return s.db.CreateUser(r.Context(), *req.Username, *req.Name, string(hash), s.clock.Now())
}

// maxPassword is as much of a password as bcrypt reads: sign-up refuses
// longer ones, and at login a longer one is wrong, not cut to its first
// 72 bytes.
const maxPassword = 72

// passwordMatches checks password against the hash of a known user. For
// an unknown username it spends the same time against dummyHash, so
// response time does not reveal which usernames exist.
func (s *Server) passwordMatches(known bool, hash, password string) bool {
	if !known {
		hash = string(s.dummyHash)
	}
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	return ok && known && len(password) <= maxPassword
}

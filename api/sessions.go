package api

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/errs"
	"minipay/store"
)

// Sessions: log in, list and revoke logins, log out, change the password.
// A login is a session row (store/sessions.go) named by its token.

// errWrongPassword answers a failed login and a password change with the
// wrong current password alike.
func errWrongPassword() error { return errs.E(errs.Unauthorized, "wrong username or password") }

// logInRequest is the body of POST /v1/sessions.
type logInRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

func (q *logInRequest) Validate() error {
	if q.Username == nil || q.Password == nil {
		return errs.E(errs.Invalid, "fields \"username\" and \"password\" are required")
	}
	return readable("username", *q.Username)
}

func (s *Server) logIn(w http.ResponseWriter, r *http.Request) {
	var req logInRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.startSession(r, *req.Username, *req.Password)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":      l.Token,
		"expires_at": l.Expires.UTC(),
		"session_id": l.Session,
	})
}

// Login is a session just created by a right password: its id, the token
// that names it, and when both end.
type Login struct {
	Session, Token string
	Expires        time.Time
}

// startSession checks username's password and creates a session with its
// token: the one login of the API and the web wallet.
func (s *Server) startSession(r *http.Request, username, password string) (Login, error) {
	// Over the limit, the password is not even checked: a guessing flood
	// then costs no bcrypt time either.
	now := s.clock.Now()
	if err := s.loginThrottled(r, username, now); err != nil {
		return Login{}, err
	}
	u, hash, err := s.db.UserByUsername(r.Context(), username)
	known := err == nil
	if !known && errs.CodeOf(err) != errs.NotFound {
		return Login{}, err
	}
	if !s.passwordMatches(known, hash, password) {
		s.loginFailed(r, now)
		return Login{}, errWrongPassword()
	}
	if err := s.loginSucceeded(r, username); err != nil {
		return Login{}, err
	}
	// Tokens carry whole seconds: the session ends when its token does.
	expires := now.Add(s.tokenTTL).Truncate(time.Second)
	sess, err := s.db.CreateSession(r.Context(), u.ID, userAgent(r), now, expires)
	if err != nil {
		return Login{}, err
	}
	token, err := s.keys.issue(principal{user: u.ID, main: u.MainAccount, session: sess.ID}, now, expires)
	if err != nil {
		return Login{}, err
	}
	s.sessions.remember(sess, now)
	return Login{Session: sess.ID, Token: token, Expires: expires}, nil
}

// loginThrottled takes a login attempt for username (attemptLogin) and
// refuses (rate_limited, or the error) if the password must not be
// checked.
func (s *Server) loginThrottled(r *http.Request, username string, now time.Time) error {
	wait, err := s.attemptLogin(r, username, now)
	if err == nil && wait > 0 {
		err = errTooMany(wait, "failed logins for this username or from your address")
	}
	return err
}

// maxUserAgent is how much of a User-Agent a session keeps, in characters.
const maxUserAgent = 200

// userAgent is r's User-Agent as a session records it: its first
// maxUserAgent characters, or "" if they are not readable text.
func userAgent(r *http.Request) string {
	ua, n := r.UserAgent(), 0
	for i := range ua {
		if n == maxUserAgent {
			ua = ua[:i]
			break
		}
		n++
	}
	if checkText("user_agent", ua, maxUserAgent) != nil {
		return ""
	}
	return ua
}

type sessionJSON struct {
	ID         string    `json:"id"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Current marks the session of the token that asked.
	Current bool `json:"current"`
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, p principal) {
	err := s.sessions.flush(r.Context())
	var list []store.Session
	if err == nil {
		list, err = s.db.Sessions(r.Context(), p.user, s.clock.Now())
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]sessionJSON, len(list))
	for i, ss := range list {
		out[i] = sessionJSON{ID: ss.ID, UserAgent: ss.UserAgent, CreatedAt: ss.CreatedAt, LastUsedAt: ss.LastUsedAt,
			ExpiresAt: ss.ExpiresAt, Current: ss.ID == p.session}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// logOut revokes the caller's own session.
func (s *Server) logOut(w http.ResponseWriter, r *http.Request, p principal) {
	s.revoke(w, r, p, p.session)
}

// revokeSession revokes one of the caller's sessions (possibly the
// current one); another user's is not_found, as a made-up id is.
func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request, p principal) {
	s.revoke(w, r, p, r.PathValue("id"))
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, p principal, id string) {
	if err := s.endSession(r.Context(), p.user, id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// endSession revokes user's session id, here at once and on other servers
// within their session cache's TTL.
func (s *Server) endSession(ctx context.Context, user int64, id string) error {
	if err := s.db.RevokeSession(ctx, user, id, s.clock.Now()); err != nil {
		return err
	}
	s.sessions.forget(id)
	return nil
}

// passwordRequest is the body of POST /v1/me/password.
type passwordRequest struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

func (q *passwordRequest) Validate() error {
	switch {
	case q.CurrentPassword == nil:
		return missing("current_password")
	case q.NewPassword == nil:
		return missing("new_password")
	}
	return checkPassword("new_password", *q.NewPassword)
}

// changePassword sets a new password given the current one, and revokes
// every other session of the user: whoever else held a token (or the old
// password) is out.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p principal) {
	var req passwordRequest
	if err := readRequest(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.setPassword(r, p, *req.CurrentPassword, *req.NewPassword); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setPassword is a password change of the API and the web wallet alike. A
// wrong current password counts as a failed login for the user's name
// and the client's address.
func (s *Server) setPassword(r *http.Request, p principal, current, next string) error {
	u, hash, err := s.db.UserWithPassword(r.Context(), p.user)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if err := s.loginThrottled(r, u.Username, now); err != nil {
		return err
	}
	if !s.passwordMatches(true, hash, current) {
		s.loginFailed(r, now)
		return errWrongPassword()
	}
	if err := s.loginSucceeded(r, u.Username); err != nil {
		return err
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte(next), s.passwordCost)
	if err != nil {
		return err
	}
	if err := s.db.ChangePassword(r.Context(), p.user, string(newHash), p.session, now); err != nil {
		return err
	}
	s.sessions.forgetOthers(p.user, p.session)
	return nil
}

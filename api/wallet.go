package api

import (
	"context"
	"net/http"

	"minipay/ledger"
	"minipay/names"
	"minipay/store"
)

// The web wallet (package web) is another front end of this server. It
// calls the functions below, never the API over HTTP, so a login, a
// sign-up and every movement of money go through the same checks, limits
// and engine call as the JSON routes.

// Caller is a logged-in user as the wallet holds one: what a checked
// token names.
type Caller struct {
	User, Main int64
	Session    string
}

// LogIn checks a password under the login limits and starts a session.
func (s *Server) LogIn(r *http.Request, username, password string) (Login, error) {
	req := logInRequest{Username: &username, Password: &password}
	if err := req.Validate(); err != nil {
		return Login{}, err
	}
	return s.startSession(r, username, password)
}

// SignUp creates a user under the sign-up limit, with the API's rules.
func (s *Server) SignUp(r *http.Request, username, password, name string) (store.User, error) {
	req := signUpRequest{Username: &username, Password: &password, Name: &name}
	if err := req.Validate(); err != nil {
		return store.User{}, err
	}
	return s.createUser(r, req)
}

// Authenticate returns the caller a token names while its session lives;
// a revoked or expired session is unauthorized.
func (s *Server) Authenticate(ctx context.Context, token string) (Caller, error) {
	p, err := s.principal(ctx, token)
	return Caller{User: p.user, Main: p.main, Session: p.session}, err
}

// LogOut revokes c's session.
func (s *Server) LogOut(ctx context.Context, c Caller) error {
	return s.endSession(ctx, c.User, c.Session)
}

// Move submits cmd for c under c's limit on money-moving requests.
func (s *Server) Move(ctx context.Context, c Caller, idem store.Idempotency, cmd ledger.Command) (store.Result, error) {
	return s.submit(ctx, c.principal(), idem, cmd)
}

// Payee is whom a username belongs to, as a sender may see it before
// paying: the main account and the masked real name (김*수).
type Payee struct {
	Username, MaskedName string
	MainAccount          int64
}

// Payee looks username up for c within c's limit on look-ups, as GET
// /v1/recipients/{username} does.
func (s *Server) Payee(ctx context.Context, c Caller, username string) (Payee, error) {
	u, err := s.payee(ctx, c.principal(), username)
	return Payee{Username: u.Username, MaskedName: names.Mask(u.Name), MainAccount: u.MainAccount}, err
}

// CheckTransferText applies the API's rules for a transfer's display name
// and memo.
func CheckTransferText(displayName, memo string) error {
	if err := checkText("display_name", displayName, maxDisplayName); err != nil {
		return err
	}
	if err := unofficial("display_name", displayName); err != nil {
		return err
	}
	return checkText("memo", memo, maxMemo)
}

// ValidUsername says whether a sign-up may use username.
func ValidUsername(username string) bool { return usernamePattern.MatchString(username) }

// Wrap serves h, another front end at the same root, through the API's
// request handling: a request id, the access log and metrics, and the
// request deadline on every database call.
func (s *Server) Wrap(h http.Handler) http.Handler { return s.observe(s.withDeadline(h)) }

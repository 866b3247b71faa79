package api

import (
	"context"
	"net/http"
	"slices"

	"minipay/errs"
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
// request deadline on every database call, except on the paths of
// streams, which set their own (EventStream).
func (s *Server) Wrap(h http.Handler, streams ...string) http.Handler {
	bounded := s.withDeadline(h)
	return s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(streams, r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		bounded.ServeHTTP(w, r)
	}))
}

// Settlements, savings and the event stream, for the wallet's screens of
// them (web/settlements.go, web/savings.go, web/events.go).

// PlannedShare is one participant's part of a settlement not yet
// requested, as its preview shows it.
type PlannedShare struct {
	Username, MaskedName string
	Amount               int64
}

// PlanSettlement checks a settlement as POST /v1/settlements does and
// splits total among participants: the shares to preview. In random mode
// each plan is a new draw; RequestSettlement requests the one previewed.
// A plan shows who the usernames are (masked), so it counts against c's
// limit on look-ups, as GET /v1/recipients/{username} does.
func (s *Server) PlanSettlement(ctx context.Context, c Caller, total int64, mode string, participants []string) ([]PlannedShare, error) {
	req := settlementRequest{Total: &total, Mode: &mode, Participants: participants}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	p := c.principal()
	if err := takeForUser(s.limits.lookups, p, s.clock.Now(), "recipient look-ups"); err != nil {
		return nil, err
	}
	amounts, err := req.amounts()
	if err != nil {
		return nil, err
	}
	users, err := s.participants(ctx, p, participants)
	if err != nil {
		return nil, err
	}
	plan := make([]PlannedShare, len(users))
	for i, u := range users {
		plan[i] = PlannedShare{Username: u.Username, MaskedName: names.Mask(u.Name), Amount: amounts[i]}
	}
	return plan, nil
}

// RequestSettlement requests a planned settlement (its participants and
// amounts in order) under the API's limits on settlement requests and on
// strangers, once per idem key. The amounts must be a split mode could
// make: exactly split.Equal's in equal mode, any of at least 1 won each
// in random mode (each of which split.Random can draw).
func (s *Server) RequestSettlement(ctx context.Context, c Caller, idem store.Idempotency, total int64, mode string, plan []PlannedShare) (int64, error) {
	req := settlementRequest{Total: &total, Mode: &mode}
	amounts := make([]int64, len(plan))
	for i, sh := range plan {
		req.Participants, amounts[i] = append(req.Participants, sh.Username), sh.Amount
	}
	if err := req.Validate(); err != nil {
		return 0, err
	}
	if err := checkSplit(&req, amounts); err != nil {
		return 0, err
	}
	p := c.principal()
	if err := takeForUser(s.limits.settlements, p, s.clock.Now(), "settlements"); err != nil {
		return 0, err
	}
	id, _, err := s.storeSettlement(ctx, p, &req, amounts, idem)
	return id, err
}

// checkSplit refuses amounts that req's mode could not have made.
func checkSplit(req *settlementRequest, amounts []int64) error {
	if *req.Mode == "equal" {
		want, err := req.amounts()
		if err == nil && !slices.Equal(amounts, want) {
			err = errs.E(errs.Invalid, "equal shares of %d won are %v", *req.Total, want)
		}
		return err
	}
	var sum int64
	for _, a := range amounts {
		if a < 1 || a > *req.Total {
			return errs.E(errs.Invalid, "each share must be 1 to %d won", *req.Total)
		}
		sum += a
	}
	if sum != *req.Total {
		return errs.E(errs.Invalid, "the shares add up to %d won, not %d", sum, *req.Total)
	}
	return nil
}

// OpenSavings opens a savings account for c as POST /v1/accounts does,
// once per idem key: a replay answers the account the key opened.
func (s *Server) OpenSavings(ctx context.Context, c Caller, idem store.Idempotency, product string, dailyAmount int64) (*ledger.Account, error) {
	a, _, err := s.openSavings(ctx, c.principal(), idem, product, dailyAmount)
	return a, err
}

// EventStream serves the events of the session token names as GET
// /v1/events/stream does, for a front end that keeps the token elsewhere
// than in an Authorization header (the wallet's cookie). Mount it on a
// path Wrap leaves to its own deadlines.
func (s *Server) EventStream(w http.ResponseWriter, r *http.Request, token string) {
	s.authedStream(w, r, func(h func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			p, err := s.principal(r.Context(), token)
			if err != nil {
				writeError(w, r, err)
				return
			}
			infoOf(r.Context()).user = p.user
			h(w, r, p)
		}
	})
}

// principal is c as the API's handlers take a caller.
func (c Caller) principal() principal {
	return principal{user: c.User, main: c.Main, session: c.Session}
}

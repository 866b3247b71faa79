package api

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"minipay/errs"
	"minipay/ratelimit"
	"minipay/store"
)

// Limits bound failed logins and sign-ups, the requests an attacker
// repeats to guess passwords or mass-create users, and each user's
// money-moving requests and settlements, so one script cannot hog the
// writer or spam others with bills. Zero fields take the defaults of
// DefaultLimits, except ClientIPHeader.
type Limits struct {
	// LoginFailuresPerUser are the login attempts allowed per username
	// in LoginWindow (a right password starts the username over), and
	// LoginFailuresPerAddress the wrong passwords per client address. The
	// next attempt locks the username or address out: for LoginWindow the
	// first time, twice as long each time again in a row, up to
	// LoginLockoutMax (see ratelimit.Backoff). While locked out, a login
	// is refused without checking the password. The username's count is
	// kept in the database, so it holds across servers; the address's
	// in each server's memory.
	LoginFailuresPerUser    int
	LoginFailuresPerAddress int
	LoginWindow             time.Duration
	LoginLockoutMax         time.Duration
	// SignUpsPerAddress are the sign-ups allowed per client address in
	// SignUpWindow.
	SignUpsPerAddress int
	SignUpWindow      time.Duration
	// MovesPerUser are the money-moving requests (charges, transfers,
	// payments and the like) allowed per user in MoveWindow.
	MovesPerUser int
	MoveWindow   time.Duration
	// LookupsPerUser are the recipient look-ups (GET /v1/recipients/…)
	// allowed per user in LookupWindow: enough to check whom one pays,
	// too few to map usernames to names.
	LookupsPerUser int
	LookupWindow   time.Duration
	// SettlementsPerUser are the settlements a user may create in
	// SettlementWindow.
	SettlementsPerUser int
	SettlementWindow   time.Duration
	// StrangersPerDay is how many strangers (people they have never
	// dealt with; see store.StrangerLimits) a user may ask to pay in settlements
	// per business day; StrangerRequestsPerDay is how many such requests
	// from strangers one user may receive per business day. Both are
	// counted in the database.
	StrangersPerDay        int
	StrangerRequestsPerDay int
	// ClientIPHeader names the header (e.g. X-Forwarded-For) whose last
	// address is the client's, set by a trusted proxy in front; empty, the
	// client is the socket's peer. Never set it without such a proxy: any
	// client could then claim any address.
	ClientIPHeader string
}

// DefaultLimits are the limits of a server whose Config leaves them zero.
func DefaultLimits() Limits {
	return Limits{LoginFailuresPerUser: 5, LoginFailuresPerAddress: 20, LoginWindow: time.Minute, LoginLockoutMax: time.Hour,
		SignUpsPerAddress: 10, SignUpWindow: time.Hour,
		// 50 a second with a burst of 100: more than a person clicks, a
		// bound for a script.
		MovesPerUser: 100, MoveWindow: 2 * time.Second,
		LookupsPerUser: 30, LookupWindow: 10 * time.Minute,
		SettlementsPerUser: 30, SettlementWindow: time.Hour,
		StrangersPerDay: 10, StrangerRequestsPerDay: 20}
}

// limiterKeys caps the keys each limiter remembers (about 200 bytes each).
const limiterKeys = 50_000

// limiters hold the counts of Limits kept in memory, and the policies of
// those kept in the database.
type limiters struct {
	ipHeader       string
	loginUser      ratelimit.Backoff // state in the database
	loginAddr      *ratelimit.Lockouts
	signUps        *ratelimit.Keyed
	moves, lookups *ratelimit.Keyed // per user id
	settlements    *ratelimit.Keyed // per user id
	strangers      store.StrangerLimits
}

func newLimiters(l Limits) limiters {
	d := DefaultLimits()
	window, lockoutMax := orDefault(l.LoginWindow, d.LoginWindow), orDefault(l.LoginLockoutMax, d.LoginLockoutMax)
	return limiters{ipHeader: l.ClientIPHeader,
		loginUser: ratelimit.Backoff{N: orDefault(l.LoginFailuresPerUser, d.LoginFailuresPerUser), Window: window, Max: lockoutMax},
		loginAddr: ratelimit.NewLockouts(ratelimit.Backoff{N: orDefault(l.LoginFailuresPerAddress, d.LoginFailuresPerAddress),
			Window: window, Max: lockoutMax}, limiterKeys),
		signUps: ratelimit.New(orDefault(l.SignUpsPerAddress, d.SignUpsPerAddress),
			orDefault(l.SignUpWindow, d.SignUpWindow), limiterKeys),
		moves: ratelimit.New(orDefault(l.MovesPerUser, d.MovesPerUser),
			orDefault(l.MoveWindow, d.MoveWindow), limiterKeys),
		lookups: ratelimit.New(orDefault(l.LookupsPerUser, d.LookupsPerUser),
			orDefault(l.LookupWindow, d.LookupWindow), limiterKeys),
		settlements: ratelimit.New(orDefault(l.SettlementsPerUser, d.SettlementsPerUser),
			orDefault(l.SettlementWindow, d.SettlementWindow), limiterKeys),
		strangers: store.StrangerLimits{Asked: orDefault(l.StrangersPerDay, d.StrangersPerDay),
			Received: orDefault(l.StrangerRequestsPerDay, d.StrangerRequestsPerDay)},
	}
}

func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// clientAddr is the key of r's client: the socket's peer, or the last
// address of the trusted proxy's header (the one that proxy appended). An
// IPv6 client is keyed by its /64, which one subscriber usually holds
// whole.
func (l limiters) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if l.ipHeader != "" {
		if v := r.Header.Values(l.ipHeader); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			host = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if ip = ip.Unmap(); ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// attemptLogin checks r's address and takes one attempt for username,
// before the password is checked, and returns how long the login must
// wait instead (0: go ahead). The username's attempt is taken in the
// database before bcrypt, so concurrent guesses at one account cannot
// slip past its count together; a right password starts it over
// (loginSucceeded). Addresses count failures only (loginFailed): many
// people behind one address logging in at once are no reason to stop
// them.
func (s *Server) attemptLogin(r *http.Request, username string, now time.Time) (time.Duration, error) {
	if wait := s.limits.loginAddr.Wait(s.limits.clientAddr(r), now); wait > 0 || !usernamePattern.MatchString(username) {
		return wait, nil // no user has a malformed name: keep it out of the database
	}
	return s.db.AttemptLogin(r.Context(), username, now, s.limits.loginUser)
}

// loginFailed counts a wrong password against r's address.
func (s *Server) loginFailed(r *http.Request, now time.Time) {
	s.limits.loginAddr.Fail(s.limits.clientAddr(r), now)
}

// loginSucceeded starts the username over: only its owner knows the
// password.
func (s *Server) loginSucceeded(r *http.Request, username string) error {
	return s.db.LoginSucceeded(r.Context(), username)
}

// takeForUser takes one event of k for p's user, or refuses
// (rate_limited).
func takeForUser(k *ratelimit.Keyed, p principal, now time.Time, what string) error {
	key := strconv.FormatInt(p.user, 10)
	if k.Take(key, now) {
		return nil
	}
	return errTooMany(k.Wait(key, now), what)
}

// tooManyError is a rate_limited refusal and the whole seconds (at least
// 1) to wait, which writeError sends as Retry-After so a client never
// retries before the count allows.
type tooManyError struct {
	err  *errs.Error
	secs int64
}

func (e tooManyError) Error() string { return e.err.Error() }
func (e tooManyError) Unwrap() error { return e.err }

func errTooMany(wait time.Duration, what string) error {
	secs := retrySeconds(wait)
	return tooManyError{errs.E(errs.RateLimited, "too many %s; retry after %d seconds", what, secs), secs}
}

// retryAfter sets Retry-After to wait in whole seconds (at least 1), so a
// client never retries before the count allows, and returns them.
func retryAfter(w http.ResponseWriter, wait time.Duration) int64 {
	secs := retrySeconds(wait)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return secs
}

// retrySeconds is wait in whole seconds, at least 1.
func retrySeconds(wait time.Duration) int64 { return max(1, int64(math.Ceil(wait.Seconds()))) }

// untilTomorrow is how long from now until the next business day in loc
// begins, when the daily counts start over.
func untilTomorrow(now time.Time, loc *time.Location) time.Duration {
	return dayStart(now, loc).AddDate(0, 0, 1).Sub(now)
}

// dayStart is when now's business day in loc began.
func dayStart(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

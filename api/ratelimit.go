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
)

// Limits bound failed logins and sign-ups, the requests an attacker
// repeats to guess passwords or mass-create users, and each user's
// money-moving requests and settlements, so one script cannot hog the
// writer or spam others with bills. Zero fields take the defaults of
// DefaultLimits, except ClientIPHeader.
type Limits struct {
	// LoginFailuresPerUser and LoginFailuresPerAddress are the wrong
	// passwords allowed per username and per client address in
	// LoginWindow; the count refills steadily over the window. Over
	// either, a login is refused without checking the password.
	LoginFailuresPerUser    int
	LoginFailuresPerAddress int
	LoginWindow             time.Duration
	// SignUpsPerAddress are the sign-ups allowed per client address in
	// SignUpWindow.
	SignUpsPerAddress int
	SignUpWindow      time.Duration
	// MovesPerUser are the money-moving requests (charges, transfers,
	// payments and the like) allowed per user in MoveWindow.
	MovesPerUser int
	MoveWindow   time.Duration
	// SettlementsPerUser are the settlements a user may create in
	// SettlementWindow.
	SettlementsPerUser int
	SettlementWindow   time.Duration
	// ClientIPHeader names the header (e.g. X-Forwarded-For) whose last
	// address is the client's, set by a trusted proxy in front; empty, the
	// client is the socket's peer. Never set it without such a proxy: any
	// client could then claim any address.
	ClientIPHeader string
}

// DefaultLimits are the limits of a server whose Config leaves them zero.
func DefaultLimits() Limits {
	return Limits{LoginFailuresPerUser: 5, LoginFailuresPerAddress: 20, LoginWindow: time.Minute,
		SignUpsPerAddress: 10, SignUpWindow: time.Hour,
		// 50 a second with a burst of 100: more than a person clicks, a
		// bound for a script.
		MovesPerUser: 100, MoveWindow: 2 * time.Second,
		SettlementsPerUser: 30, SettlementWindow: time.Hour}
}

// limiterKeys caps the keys each limiter remembers (about 200 bytes each).
const limiterKeys = 50_000

// limiters hold the counts of Limits.
type limiters struct {
	ipHeader                      string
	loginUser, loginAddr, signUps *ratelimit.Keyed
	moves, settlements            *ratelimit.Keyed // per user id
}

func newLimiters(l Limits) limiters {
	d := DefaultLimits()
	loginWindow := orDefault(l.LoginWindow, d.LoginWindow)
	return limiters{ipHeader: l.ClientIPHeader,
		loginUser: ratelimit.New(orDefault(l.LoginFailuresPerUser, d.LoginFailuresPerUser), loginWindow, limiterKeys),
		loginAddr: ratelimit.New(orDefault(l.LoginFailuresPerAddress, d.LoginFailuresPerAddress), loginWindow, limiterKeys),
		signUps: ratelimit.New(orDefault(l.SignUpsPerAddress, d.SignUpsPerAddress),
			orDefault(l.SignUpWindow, d.SignUpWindow), limiterKeys),
		moves: ratelimit.New(orDefault(l.MovesPerUser, d.MovesPerUser),
			orDefault(l.MoveWindow, d.MoveWindow), limiterKeys),
		settlements: ratelimit.New(orDefault(l.SettlementsPerUser, d.SettlementsPerUser),
			orDefault(l.SettlementWindow, d.SettlementWindow), limiterKeys),
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

// loginWait is how long a login for username from r must wait: the longer
// of the username's and the address's wait for a failure left.
func (l limiters) loginWait(r *http.Request, username string, now time.Time) time.Duration {
	return max(l.loginUser.Wait(username, now), l.loginAddr.Wait(l.clientAddr(r), now))
}

// loginFailed counts a wrong password against the username and the
// address.
func (l limiters) loginFailed(r *http.Request, username string, now time.Time) {
	l.loginUser.Take(username, now)
	l.loginAddr.Take(l.clientAddr(r), now)
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
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	return tooManyError{errs.E(errs.RateLimited, "too many %s; retry after %d seconds", what, secs), secs}
}

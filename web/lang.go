package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"minipay/errs"
	"minipay/store"
)

// Korean is the default; a browser that prefers English
// (Accept-Language) gets English, and the switch in the header (?lang=en,
// or ?lang=ko back) chooses either, which a cookie then remembers for a
// year.

const langCookie = "lang"

// language is the request's: ?lang= if given, else the remembered one,
// else the browser's preference, else Korean.
func language(r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q == "ko" || q == "en" {
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "ko" || c.Value == "en") {
		return c.Value
	}
	return preferred(r.Header.Get("Accept-Language"))
}

// preferred is the language of ours an Accept-Language header ranks
// highest (RFC 9110 §12.5.4: by q, then in order), Korean if it names
// neither.
func preferred(header string) string {
	best, bestQ := "ko", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if base != "ko" && base != "en" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// rememberLanguage keeps a ?lang= choice in a cookie, whatever page it was
// made on.
func (w *Wallet) rememberLanguage(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query().Get("lang"); q == "ko" || q == "en" {
			http.SetCookie(rw, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: w.secure(r), SameSite: http.SameSiteLaxMode})
		}
		h.ServeHTTP(rw, r)
	})
}

// page is what every template gets: the language and its messages, the
// user if logged in, an error or a notice to show, and the screen's data.
type page struct {
	Lang   string
	Path   string // the current path, for the language switch
	Title  string
	User   *store.User
	Unread string // the user's unread notifications, for the navigation
	Error  string
	Notice string
	Data   any
	After  int64 // the user's newest event when the page was read (events.go)
	// Live: the page may refresh its live parts by reading its own URL
	// again, which only a GET page can (a form's answer is at its POST
	// URL, which GET does not serve).
	Live bool
	zone *time.Location
}

func (w *Wallet) newPage(r *http.Request, title string) *page {
	p := &page{Lang: language(r), Path: r.URL.Path, Live: r.Method == http.MethodGet, zone: w.cfg.Location}
	p.Title = p.T(title)
	return p
}

// T is the message key in the page's language, formatted with args. A
// missing key shows itself, which a test catches.
func (p *page) T(key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m.ko
	if p.Lang == "en" {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Won formats an amount as people read it: 12,345원 in Korean, ₩12,345
// in English.
func (p *page) Won(n int64) string {
	if p.Lang == "en" {
		if n < 0 {
			return "-₩" + won(-n)
		}
		return "₩" + won(n)
	}
	return won(n) + "원"
}

// When formats a time in the business zone (Asia/Seoul).
func (p *page) When(t time.Time) string { return t.In(p.zone).Format("2006-01-02 15:04") }

// won groups an amount's digits by thousands.
func won(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// refusal is how a form shows err: the message key of its code and the
// status to answer with; ok is false for an error no sentence explains
// (a failure of ours).
func refusal(err error) (key string, status int, ok bool) {
	key, ok = errorKeys[errs.CodeOf(err)]
	switch errs.CodeOf(err) {
	case errs.Unauthorized:
		status = http.StatusUnauthorized
	case errs.RateLimited:
		status = http.StatusTooManyRequests
	case errs.Conflict, errs.Expired:
		status = http.StatusConflict
	case errs.Unavailable:
		status = http.StatusServiceUnavailable
	default:
		status = http.StatusUnprocessableEntity
	}
	return key, status, ok
}

var errorKeys = map[errs.Code]string{
	errs.Invalid:             "error.invalid",
	errs.Unauthorized:        "error.unauthorized",
	errs.Forbidden:           "error.forbidden",
	errs.NotFound:            "error.recipient",
	errs.Conflict:            "error.conflict",
	errs.InsufficientFunds:   "error.funds",
	errs.ChargeLimitExceeded: "error.limit",
	errs.Expired:             "error.expired",
	errs.IdempotencyMismatch: "error.mismatch",
	errs.RateLimited:         "error.rateLimited",
	errs.Unavailable:         "error.unavailable",
}

// screenRefusal is refusal with some codes in a screen's own words (a
// conflict on the pending screen is not a username taken).
func screenRefusal(err error, own map[errs.Code]string) (key string, status int, ok bool) {
	key, status, ok = refusal(err)
	if k, found := own[errs.CodeOf(err)]; found {
		key, ok = k, true
	}
	return key, status, ok
}

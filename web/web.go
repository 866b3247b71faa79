// Package web is the wallet: server-rendered pages for people, mounted at
// / by the same binary as the API. Pages call the API server's shared
// functions (api/wallet.go) and read the store directly; they never call
// the API over HTTP. Forms work without JavaScript; static/wallet.js only
// improves them.
//
// Read in order: web.go (routes, headers, rendering), session.go (the
// cookie), lang.go (messages, amounts, times), then one file per screen:
// account.go (sign up, log in, log out), home.go, money.go (charge, send),
// pending.go, history.go, friends.go, notifications.go, settings.go,
// settlements.go, savings.go, events.go (live updates).
package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"minipay/api"
	"minipay/clock"
	"minipay/store"
)

//go:embed templates static
var files embed.FS

// Config is what the wallet needs: the API server whose logins and engine
// call it shares, and the store it reads pages from.
type Config struct {
	API      *api.Server
	DB       *store.DB
	Clock    clock.Clock
	Location *time.Location
	Logger   *slog.Logger
	// SecureCookies makes every cookie Secure, the session's named
	// __Host-, even on a request that came without TLS: for a server
	// behind a proxy that terminates TLS (see secure).
	SecureCookies bool
}

// Wallet serves the pages.
type Wallet struct {
	cfg   Config
	pages map[string]*template.Template
}

// New parses the templates; it fails only on a broken template.
func New(cfg Config) (*Wallet, error) {
	w := &Wallet{cfg: cfg, pages: map[string]*template.Template{}}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == "templates/layout.html" {
			continue
		}
		t, err := template.ParseFS(files, "templates/layout.html", name)
		if err != nil {
			return nil, err
		}
		w.pages[name[len("templates/"):len(name)-len(".html")]] = t
	}
	return w, nil
}

// Handler returns the wallet's routes behind its security headers and
// the cross-origin check every form relies on.
func (w *Wallet) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /signup", w.signUpForm)
	mux.HandleFunc("POST /signup", w.signUp)
	mux.HandleFunc("GET /login", w.logInForm)
	mux.HandleFunc("POST /login", w.logIn)
	mux.HandleFunc("POST /logout", w.authed(w.logOut))
	mux.HandleFunc("GET /{$}", w.authed(w.home))
	mux.HandleFunc("GET /charge", w.authed(w.chargeForm))
	mux.HandleFunc("POST /charge", w.authed(w.charge))
	mux.HandleFunc("GET /send", w.authed(w.sendForm))
	mux.HandleFunc("POST /send", w.authed(w.sendPreview))
	mux.HandleFunc("POST /send/confirm", w.authed(w.send))
	// Pending transfers, history, friends, notifications, settings.
	mux.HandleFunc("GET /pending", w.authed(w.pending))
	mux.HandleFunc("POST /pending/{id}/{action}", w.authed(w.resolve))
	mux.HandleFunc("GET /history", w.authed(w.history))
	mux.HandleFunc("GET /friends", w.authed(w.friends))
	mux.HandleFunc("POST /friends", w.authed(w.addFriend))
	mux.HandleFunc("POST /friends/{username}/remove", w.authed(w.removeFriend))
	mux.HandleFunc("GET /notifications", w.authed(w.notifications))
	mux.HandleFunc("POST /notifications/{id}/read", w.authed(w.readNotification))
	mux.HandleFunc("GET /settings", w.authed(w.settings))
	mux.HandleFunc("POST /settings/acceptance", w.authed(w.saveAcceptance))
	mux.HandleFunc("POST /settings/password", w.authed(w.changePassword))
	mux.HandleFunc("POST /settings/sessions/{id}/revoke", w.authed(w.revokeSession))
	// Settlements, savings, live updates.
	mux.HandleFunc("GET /settlements", w.authed(w.settlements))
	mux.HandleFunc("GET /settlements/new", w.authed(w.settlementNew))
	mux.HandleFunc("POST /settlements/new", w.authed(w.settlementPreview))
	mux.HandleFunc("POST /settlements", w.authed(w.requestSettlement))
	mux.HandleFunc("GET /settlements/{id}", w.authed(w.settlement))
	mux.HandleFunc("POST /settlements/{id}/shares/{share}/pay", w.authed(w.actOnShare(true)))
	mux.HandleFunc("POST /settlements/{id}/shares/{share}/decline", w.authed(w.actOnShare(false)))
	mux.HandleFunc("GET /savings", w.authed(w.savings))
	mux.HandleFunc("POST /savings", w.authed(w.openSavings))
	mux.HandleFunc("POST /savings/{id}/deposit", w.authed(w.savingsMove("deposit")))
	mux.HandleFunc("POST /savings/{id}/withdraw", w.authed(w.savingsMove("withdraw")))
	mux.HandleFunc("POST /savings/{id}/close", w.authed(w.savingsMove("close")))
	mux.HandleFunc("GET "+EventsPath, w.events)
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		w.render(rw, r, http.StatusNotFound, "error", w.newPage(r, "error.notFound"))
	})
	// Browsers mark cross-site requests (Sec-Fetch-Site, Origin); this
	// refuses unsafe ones, so no form needs a token of its own.
	cop := http.NewCrossOriginProtection()
	return securityHeaders(cop.Handler(w.rememberLanguage(routed(mux))))
}

// routed names each request's route for the access log and the metrics
// (api.NameRoute); the catch-all "/" is left unnamed, so unknown paths
// share the API's "unmatched".
func routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "/" {
			api.NameRoute(r, pattern)
		}
		mux.ServeHTTP(rw, r)
	})
}

// csp allows only the wallet's own files: no inline script or style, no
// other origin, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hd := rw.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(rw, r)
	})
}

// render writes page name. Pages show balances, so no cache keeps them.
func (w *Wallet) render(rw http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := w.pages[name]
	if !ok {
		panic("web: no page " + name) // a programming error
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	if err := t.ExecuteTemplate(rw, "layout", p); err != nil {
		w.logger().ErrorContext(r.Context(), "web: render", "page", name, "err", err)
	}
}

// fail answers an error no form can explain: a page in the user's
// language, the cause logged.
func (w *Wallet) fail(rw http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, r.Context().Err()) {
		w.logger().ErrorContext(r.Context(), "web", "path", r.URL.Path, "err", err)
	}
	w.render(rw, r, http.StatusInternalServerError, "error", w.newPage(r, "error.internal"))
}

func (w *Wallet) logger() *slog.Logger {
	if w.cfg.Logger == nil {
		return slog.Default()
	}
	return w.cfg.Logger
}

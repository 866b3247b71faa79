package web

import (
	"net/http"
	"time"

	"minipay/api"
	"minipay/errs"
)

// A browser's login is a cookie holding the API's token for a session
// (api.Login): the same session row, the same expiry and the same
// revocation as a token held by a script. Logging out revokes it, and a
// session revoked anywhere (another device, a password change) makes the
// next page send the browser to the login page.

// cookieName is the session cookie over plain HTTP (a loopback server);
// served securely the __Host- prefix makes the browser insist on Secure,
// Path=/ and no Domain, so no other host or path can set or shadow it.
const (
	cookieName       = "minipay_session"
	secureCookieName = "__Host-minipay_session"
)

// secure is whether the browser reached the wallet over HTTPS, so every
// cookie of ours is Secure: either this server terminated TLS, or the
// operator said so (Config.SecureCookies) because a proxy in front of it
// does. A client's X-Forwarded-Proto is not believed: anyone can send it.
func (w *Wallet) secure(r *http.Request) bool {
	return w.cfg.SecureCookies || r.TLS != nil
}

func (w *Wallet) sessionCookieName(r *http.Request) string {
	if w.secure(r) {
		return secureCookieName
	}
	return cookieName
}

// setSession gives the browser the login's cookie. Lax: a link from
// elsewhere lands logged in, but another site's form posts carry no
// cookie (and CrossOriginProtection refuses them anyway).
func (w *Wallet) setSession(rw http.ResponseWriter, r *http.Request, l api.Login) {
	http.SetCookie(rw, &http.Cookie{Name: w.sessionCookieName(r), Value: l.Token, Path: "/", Expires: l.Expires,
		HttpOnly: true, Secure: w.secure(r), SameSite: http.SameSiteLaxMode})
}

func (w *Wallet) clearSession(rw http.ResponseWriter, r *http.Request) {
	http.SetCookie(rw, &http.Cookie{Name: w.sessionCookieName(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: w.secure(r), SameSite: http.SameSiteLaxMode})
}

// authed wraps a page for a logged-in user; without a live session the
// browser goes to the login page.
func (w *Wallet) authed(h func(http.ResponseWriter, *http.Request, api.Caller)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(w.sessionCookieName(r))
		if err != nil {
			http.Redirect(rw, r, "/login", http.StatusSeeOther)
			return
		}
		caller, err := w.cfg.API.Authenticate(r.Context(), c.Value)
		if errs.CodeOf(err) == errs.Unauthorized {
			w.clearSession(rw, r)
			http.Redirect(rw, r, "/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		h(rw, r, caller)
	}
}

// now is the wallet's clock reading.
func (w *Wallet) now() time.Time { return w.cfg.Clock.Now() }

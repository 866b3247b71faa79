package web

import (
	"net/http"
	"strconv"
	"strings"
)

// A flash is the notice the home page shows once after a form moved
// money ("25,000원을 보냈습니다"). It travels in a short-lived cookie that
// only this server sets, not in the URL, so a link from elsewhere cannot
// make the wallet claim a transfer that never happened.

const flashCookie = "flash"

// doneTo redirects to home, which then says what was done (a message of
// home.* taking the amount).
func (w *Wallet) doneTo(rw http.ResponseWriter, r *http.Request, what string, amount int64) {
	w.flashTo(rw, r, "/", what, amount)
}

// flashTo redirects to path, whose page then says what was done: a
// message of home.* or done.*, given the amount if the message has a
// place for it.
func (w *Wallet) flashTo(rw http.ResponseWriter, r *http.Request, path, what string, amount int64) {
	http.SetCookie(rw, &http.Cookie{Name: flashCookie, Value: what + "." + strconv.FormatInt(amount, 10), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: w.secure(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(rw, r, path, http.StatusSeeOther)
}

// takeFlash reads and clears the flash: the notice for p, or "".
func (w *Wallet) takeFlash(rw http.ResponseWriter, r *http.Request, p *page) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(rw, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: w.secure(r),
		SameSite: http.SameSiteStrictMode})
	what, n, _ := strings.Cut(c.Value, ".")
	amount, err := strconv.ParseInt(n, 10, 64)
	switch {
	case err != nil:
		return ""
	case what == "charged", what == "sent", what == "sentPending":
		return p.T("home."+what, p.Won(amount))
	case messages["done."+what].ko == "":
		return ""
	case strings.Contains(messages["done."+what].ko, "%"): // a message taking the amount
		return p.T("done."+what, p.Won(amount))
	default:
		return p.T("done." + what)
	}
}

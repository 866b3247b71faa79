package web

import (
	"net/http"

	"minipay/api"
	"minipay/errs"
)

// A screen is a page of lists with forms on it (pending transfers,
// friends, notifications, settings): each form posts, then comes back to
// the screen saying what was done (a flash), or shows the screen again
// with the refusal as a sentence.
type screen struct {
	name  string               // the template, the path (/name) and the title (name.title)
	words map[errs.Code]string // refusals in the screen's own words, before refusal's
	data  func(r *http.Request, c api.Caller, p *page) (any, error)
}

// show renders s, with the error of message key errKey if any.
func (w *Wallet) show(rw http.ResponseWriter, r *http.Request, c api.Caller, s screen, status int, errKey string) {
	p, err := w.userPage(r, c, s.name+".title")
	var d any
	if err == nil {
		d, err = s.data(r, c, p)
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Notice, p.Data = w.takeFlash(rw, r, p), d
	w.render(rw, r, status, s.name, p)
}

// done answers a form of s that did what (a flash taking amount) or
// failed with err: a refusal is shown on s, any other error is a failure
// of ours.
func (w *Wallet) done(rw http.ResponseWriter, r *http.Request, c api.Caller, s screen, err error, what string, amount int64) {
	if err == nil {
		w.flashTo(rw, r, "/"+s.name, what, amount)
		return
	}
	key, status, ok := screenRefusal(err, s.words)
	if !ok {
		w.fail(rw, r, err)
		return
	}
	w.show(rw, r, c, s, status, key)
}

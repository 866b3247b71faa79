package web

import (
	"net/http"
	"slices"

	"minipay/api"
	"minipay/errs"
	"minipay/store"
)

// Settings: whether transfers the user sends need acceptance (the send
// form's default), the password (the current one needed; the change logs
// out every other session), and the sessions, each revocable.

type settingsData struct {
	Acceptance bool
	Sessions   []store.Session
	Current    string // the session of this browser
}

var passwordWords = map[errs.Code]string{
	errs.Unauthorized: "settings.wrongPassword",
	errs.Invalid:      "error.password",
}

var sessionWords = map[errs.Code]string{
	errs.NotFound: "settings.sessionGone",
}

func (w *Wallet) settings(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.showSettings(rw, r, c, http.StatusOK, "")
}

func (w *Wallet) showSettings(rw http.ResponseWriter, r *http.Request, c api.Caller, status int, errKey string) {
	p, err := w.userPage(r, c, "settings.title")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := settingsData{Acceptance: p.User.TransfersRequireAcceptance, Current: c.Session}
	if d.Sessions, err = w.cfg.DB.Sessions(r.Context(), c.User, w.now()); err != nil {
		w.fail(rw, r, err)
		return
	}
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	p.Notice, p.Data = takeFlash(rw, r, p), d
	w.render(rw, r, status, "settings", p)
}

// saveAcceptance sets the setting: the form posts a hidden 0 and, when
// the box is ticked, a 1.
func (w *Wallet) saveAcceptance(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	r.ParseForm()
	on := slices.Contains(r.PostForm["acceptance"], "1")
	w.settingDone(rw, r, c, "settings", w.cfg.API.SetTransfersRequireAcceptance(r.Context(), c, on), nil)
}

func (w *Wallet) changePassword(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	next := r.PostFormValue("new")
	if next != r.PostFormValue("repeat") {
		w.showSettings(rw, r, c, http.StatusUnprocessableEntity, "settings.repeatDiffers")
		return
	}
	err := w.cfg.API.ChangePassword(r, c, r.PostFormValue("current"), next)
	w.settingDone(rw, r, c, "password", err, passwordWords)
}

// revokeSession ends one session; ending this browser's own logs it out.
func (w *Wallet) revokeSession(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	id := r.PathValue("id")
	err := w.cfg.API.RevokeSession(r.Context(), c, id)
	if err == nil && id == c.Session {
		clearSession(rw, r)
		http.Redirect(rw, r, "/login", http.StatusSeeOther)
		return
	}
	w.settingDone(rw, r, c, "revoked", err, sessionWords)
}

// settingDone answers a settings form: back to the page saying what was
// done, or why not.
func (w *Wallet) settingDone(rw http.ResponseWriter, r *http.Request, c api.Caller, what string, err error, own map[errs.Code]string) {
	if err == nil {
		doneAt(rw, r, "/settings", what, 0)
		return
	}
	key, status, ok := screenRefusal(err, own)
	if !ok {
		w.fail(rw, r, err)
		return
	}
	w.showSettings(rw, r, c, status, key)
}

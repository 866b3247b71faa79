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
	Sessions   []sessionRow
	Current    string // the session of this browser
}

// sessionRow is a session as the list shows it: by the device its
// User-Agent names, as the new_login notice does ("Chrome, macOS"; ""
// when it names none); the raw User-Agent opens beneath the name (a
// <details>, so a tap or Enter shows it, not a hover).
type sessionRow struct {
	store.Session
	Device string
}

// settingsWords explains the refusals of the password form (a wrong
// current password, a new one too short or long) and of revoking a
// session.
var settingsWords = map[errs.Code]string{
	errs.Unauthorized: "settings.wrongPassword",
	errs.Invalid:      "error.password",
	errs.NotFound:     "settings.sessionGone",
}

func (w *Wallet) settingsScreen() screen {
	return screen{name: "settings", words: settingsWords, data: func(r *http.Request, c api.Caller, p *page) (any, error) {
		d := settingsData{Acceptance: p.User.TransfersRequireAcceptance, Current: c.Session}
		ss, err := w.cfg.DB.Sessions(r.Context(), c.User, w.now())
		for _, s := range ss {
			d.Sessions = append(d.Sessions, sessionRow{Session: s, Device: api.Device(s.UserAgent)})
		}
		return d, err
	}}
}

func (w *Wallet) settings(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	w.show(rw, r, c, w.settingsScreen(), http.StatusOK, "")
}

// saveAcceptance sets the setting: the form posts a hidden 0 and, when
// the box is ticked, a 1.
func (w *Wallet) saveAcceptance(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	_ = r.ParseForm() // a body that does not parse saves "off"
	on := slices.Contains(r.PostForm["acceptance"], "1")
	w.done(rw, r, c, w.settingsScreen(), w.cfg.API.SetTransfersRequireAcceptance(r.Context(), c, on), "settings", 0)
}

func (w *Wallet) changePassword(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	next := r.PostFormValue("new")
	if next != r.PostFormValue("repeat") {
		w.show(rw, r, c, w.settingsScreen(), http.StatusUnprocessableEntity, "settings.repeatDiffers")
		return
	}
	err := w.cfg.API.ChangePassword(r, c, r.PostFormValue("current"), next)
	w.done(rw, r, c, w.settingsScreen(), err, "password", 0)
}

// revokeSession ends one session; ending this browser's own logs it out.
func (w *Wallet) revokeSession(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	id := r.PathValue("id")
	err := w.cfg.API.RevokeSession(r.Context(), c, id)
	if err == nil && id == c.Session {
		w.clearSession(rw, r)
		http.Redirect(rw, r, "/login", http.StatusSeeOther)
		return
	}
	w.done(rw, r, c, w.settingsScreen(), err, "revoked", 0)
}

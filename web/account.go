package web

import (
	"net/http"

	"minipay/api"
	"minipay/errs"
)

// Sign up, log in and log out. A sign-up logs the new user in at once.

type accountForm struct{ Username, Name string }

func (w *Wallet) signUpForm(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(r, "signup.title")
	p.Data = accountForm{}
	w.render(rw, r, http.StatusOK, "signup", p)
}

func (w *Wallet) signUp(rw http.ResponseWriter, r *http.Request) {
	f := accountForm{Username: r.PostFormValue("username"), Name: r.PostFormValue("name")}
	password := r.PostFormValue("password")
	_, err := w.cfg.API.SignUp(r, f.Username, password, f.Name)
	if err == nil {
		err = w.startSession(rw, r, f.Username, password)
	}
	if err != nil {
		w.formError(rw, r, "signup", "signup.title", f, signUpErrorKey(f.Username, password, err), err)
		return
	}
	http.Redirect(rw, r, "/", http.StatusSeeOther)
}

// signUpErrorKey names the field an invalid sign-up got wrong, which the
// API's one invalid code does not.
func signUpErrorKey(username, password string, err error) string {
	if errs.CodeOf(err) != errs.Invalid {
		return ""
	}
	switch {
	case !api.ValidUsername(username):
		return "error.username"
	case len(password) < 8 || len(password) > 72:
		return "error.password"
	}
	return ""
}

func (w *Wallet) logInForm(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(r, "login.title")
	p.Data = accountForm{}
	w.render(rw, r, http.StatusOK, "login", p)
}

func (w *Wallet) logIn(rw http.ResponseWriter, r *http.Request) {
	f := accountForm{Username: r.PostFormValue("username")}
	if err := w.startSession(rw, r, f.Username, r.PostFormValue("password")); err != nil {
		w.formError(rw, r, "login", "login.title", f, "", err)
		return
	}
	http.Redirect(rw, r, "/", http.StatusSeeOther)
}

func (w *Wallet) startSession(rw http.ResponseWriter, r *http.Request, username, password string) error {
	l, err := w.cfg.API.LogIn(r, username, password)
	if err != nil {
		return err
	}
	w.setSession(rw, r, l)
	return nil
}

func (w *Wallet) logOut(rw http.ResponseWriter, r *http.Request, c api.Caller) {
	if err := w.cfg.API.LogOut(r.Context(), c); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.clearSession(rw, r)
	http.Redirect(rw, r, "/login", http.StatusSeeOther)
}

// formError shows a form again with err as a sentence: the message key
// if given, else the one for err's code. An error no sentence explains
// is a failure of ours.
func (w *Wallet) formError(rw http.ResponseWriter, r *http.Request, name, title string, data any, key string, err error) {
	status := http.StatusUnprocessableEntity
	if key == "" {
		var ok bool
		if key, status, ok = refusal(err); !ok {
			w.fail(rw, r, err)
			return
		}
	}
	p := w.newPage(r, title)
	p.Data, p.Error = data, p.T(key)
	w.render(rw, r, status, name, p)
}

package handlers

import (
	"errors"
	"net/http"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/views"
)

// showLoginPage serves the sign-in form; a signed-in user goes on to the dashboard.
func (h *Dashboard) showLoginPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.user(w, r); err == nil {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return nil
	}
	h.renderLogin(w, r, http.StatusOK, views.LoginModel{})
	return nil
}

// signIn checks an e-mail and password. A wrong password and an unknown e-mail get the same
// answer; five failures lock the account and the address for 15 minutes (checkout.SignIn).
func (h *Dashboard) signIn(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return invalidParam("invalid_form", "the form could not be read", "")
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	u, err := h.svc.SignIn(r.Context(), email, password, h.shop.proxies.Client(r))
	if errors.Is(err, checkout.ErrLoginLocked) {
		h.renderLogin(w, r, http.StatusTooManyRequests, views.LoginModel{Email: email, Error: "dash.login.locked"})
		return nil
	}
	if err == nil {
		err = h.startSession(w, r, u)
	}
	if errors.Is(err, checkout.ErrBadLogin) { // also: the password changed since it was checked
		h.renderLogin(w, r, http.StatusUnauthorized, views.LoginModel{Email: email, Error: "dash.login.wrong"})
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

// signOut ends the session, for every copy of its cookie on every instance, and goes back to
// the sign-in form. When the database cannot end it, the user is told so rather than shown a
// sign-out that did not happen.
func (h *Dashboard) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := h.endSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
	return nil
}

func (h *Dashboard) renderLogin(w http.ResponseWriter, r *http.Request, status int, m views.LoginModel) {
	ctx, lang := h.pageContext(w, r)
	m.Action = "/dashboard/login"
	m.LangURL = langURL(r, lang)
	h.shop.render(w, r, ctx, status, views.DashLogin(m))
}

package dashboard

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/views"
)

// ShowLoginPage serves the sign-in form; a signed-in user goes on to the dashboard.
func (h *Handler) ShowLoginPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.user(w, r); err == nil {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return nil
	}
	h.renderLogin(w, r, http.StatusOK, views.LoginModel{})
	return nil
}

// SignIn checks an e-mail and password. A wrong password and an unknown e-mail get the same
// answer; failures are throttled per account and per address (accounts.Users.SignIn), and a
// throttled attempt is told how long to wait. A password that opens several shops' accounts
// leads to the choice between them.
func (h *Handler) SignIn(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return web.Invalid("invalid_form", "the form could not be read", "")
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	res, err := h.users.SignIn(r.Context(), email, password, h.proxies.Client(r))
	var locked *accounts.LoginLockedError
	if errors.As(err, &locked) {
		w.Header().Set("Retry-After", strconv.Itoa(int((locked.Wait+time.Second-1)/time.Second)))
		h.renderLogin(w, r, http.StatusTooManyRequests, views.LoginModel{Email: email, Error: "dash.login.locked", Wait: locked.Wait})
		return nil
	}
	if err == nil && res.User == nil {
		h.renderChoice(w, r, res.Choices)
		return nil
	}
	if err == nil {
		err = h.startSession(w, r, res.User)
	}
	if errors.Is(err, accounts.ErrBadLogin) { // also: the password changed since it was checked
		h.renderLogin(w, r, http.StatusUnauthorized, views.LoginModel{Email: email, Error: "dash.login.wrong"})
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

// ChooseShop serves POST /dashboard/login/choose: the shop picked on the choice a sign-in
// offered. A choice that is no longer valid (changed, too old, its password changed since)
// leads back to the sign-in form.
func (h *Handler) ChooseShop(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return web.Invalid("invalid_form", "the form could not be read", "")
	}
	u, err := h.users.ChooseSignIn(r.Context(), r.PostForm.Get("choice"))
	if err == nil {
		err = h.startSession(w, r, u)
	}
	if errors.Is(err, accounts.ErrChoiceExpired) || errors.Is(err, accounts.ErrBadLogin) {
		h.renderLogin(w, r, http.StatusBadRequest, views.LoginModel{Error: "dash.login.choice_expired"})
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

// renderChoice asks which of the shops a sign-in opens to open.
func (h *Handler) renderChoice(w http.ResponseWriter, r *http.Request, choices []accounts.SignInChoice) {
	ctx, lang := h.pageContext(w, r)
	m := views.ChooseShopModel{Action: "/dashboard/login/choose", LangURL: web.LangURL(r, lang)}
	for _, c := range choices {
		m.Shops = append(m.Shops, views.ShopChoice{Name: c.Merchant, Token: c.Token})
	}
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashChooseShop(m))
}

// SignOut ends the session, for every copy of its cookie on every instance, and goes back to
// the sign-in form. When the database cannot end it, the user is told so rather than shown a
// sign-out that did not happen.
func (h *Handler) SignOut(w http.ResponseWriter, r *http.Request) error {
	if err := h.endSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
	return nil
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, m views.LoginModel) {
	ctx, lang := h.pageContext(w, r)
	m.Action = "/dashboard/login"
	m.LangURL = web.LangURL(r, lang)
	h.pages.Render(w, r, ctx, status, views.DashLogin(m))
}

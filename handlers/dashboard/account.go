package dashboard

import (
	"errors"
	"net/http"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/views"
)

// ShowAccount serves GET /dashboard/account: the user's e-mail and role and the password form.
func (h *Handler) ShowAccount(w http.ResponseWriter, r *http.Request, u *User) error {
	h.renderAccount(w, r, u, http.StatusOK, views.DashAccountModel{Changed: r.URL.Query().Get("changed") == "1"})
	return nil
}

// ChangePassword serves POST /dashboard/account/password. A wrong current password counts
// against the sign-in throttle of the user's e-mail and address, as a failed sign-in does. The
// change ends every session of the user, and every copy of their cookies; this browser gets a
// fresh one, so it stays signed in.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request, u *User) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	current, next := r.PostForm.Get("current_password"), r.PostForm.Get("new_password")
	refuse := func(status int, field, msg string) error {
		h.renderAccount(w, r, u, status, views.DashAccountModel{Errors: map[string]string{field: msg}})
		return nil
	}
	if next != r.PostForm.Get("new_password_again") {
		return refuse(http.StatusBadRequest, "new_password_again", "dash.account.mismatch")
	}
	// The current password is checked as a sign-in is, against the same throttle: a stolen
	// session cannot guess it faster than the sign-in form could.
	err := h.users.CheckPassword(r.Context(), u.User, current, h.proxies.Client(r))
	var locked *accounts.LoginLockedError
	switch {
	case errors.As(err, &locked):
		h.renderAccount(w, r, u, http.StatusTooManyRequests, views.DashAccountModel{Wait: locked.Wait,
			Errors: map[string]string{"current_password": "dash.account.locked"}})
		return nil
	case errors.Is(err, accounts.ErrBadLogin):
		return refuse(http.StatusBadRequest, "current_password", "dash.account.wrong_current")
	case err != nil:
		return err
	}
	changed, err := h.users.ChangePassword(r.Context(), u.ID, current, next)
	var ce *domain.Error
	if errors.As(err, &ce) && ce.Code == "wrong_password" { // changed in between
		return refuse(http.StatusBadRequest, "current_password", "dash.account.wrong_current")
	}
	if ce != nil && ce.Param == "new_password" {
		return refuse(http.StatusBadRequest, "new_password", "dash.account.too_short")
	}
	if err != nil {
		return err
	}
	err = h.startSession(w, r, changed)
	if errors.Is(err, accounts.ErrBadLogin) { // changed again since: this session ended with the first change
		h.dropCookie(w, r, h.session(r))
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/account?changed=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, u *User, status int, m views.DashAccountModel) {
	m.Nav = h.nav(w, r, u, "account")
	m.Email, m.Role, m.MinLen = u.Email, u.Role, accounts.MinPasswordLen
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, status, views.DashAccount(m))
}

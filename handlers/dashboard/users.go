package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/views"
)

// usersNotices are the notices the users page shows after a change, by its done parameter.
var usersNotices = map[string]string{"role": "dash.users.role_changed", "removed": "dash.users.removed"}

// ListUsers serves GET /dashboard/users: the merchant's users and the form that adds one.
func (h *Handler) ListUsers(w http.ResponseWriter, r *http.Request, u *User) error {
	return h.renderUsers(w, r, u, http.StatusOK, views.DashAddUser{Role: accounts.RoleStaff}, usersNotices[r.URL.Query().Get("done")])
}

// AddUser serves POST /dashboard/users: a new user of the merchant, whose generated password the
// answer shows once (never in a URL; the page is not stored). The e-mail is unique among the
// merchant's users, so a resent form adds no second user: it is refused with "already exists"
// beside the e-mail. Whether other merchants have the e-mail is never told: it is added all the
// same, as an account of its own with its own password.
func (h *Handler) AddUser(w http.ResponseWriter, r *http.Request, u *User) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	form := views.DashAddUser{Email: strings.TrimSpace(r.PostForm.Get("email")), Role: r.PostForm.Get("role")}
	if form.Role != accounts.RoleOwner && form.Role != accounts.RoleStaff { // an empty role would make an owner
		form.Field, form.Error = "role", "dash.users.invalid_role"
		return h.renderUsers(w, r, u, http.StatusBadRequest, form, "")
	}
	cu, err := h.users.Create(r.Context(), accounts.UserParams{MerchantID: u.Merchant.ID, Email: form.Email, Role: form.Role})
	var ce *domain.Error
	if errors.As(err, &ce) && (ce.Code == "invalid_email" || ce.Code == "email_taken" || ce.Code == "email_unavailable") {
		form.Field, form.Error = "email", "dash.users."+ce.Code
		return h.renderUsers(w, r, u, http.StatusBadRequest, form, "")
	}
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashUserAdded(views.DashUserAddedModel{Nav: h.nav(w, r, u, "users"),
		Email: cu.User.Email, Role: cu.User.Role, Password: cu.Password}))
	return nil
}

// SetUserRole serves POST /dashboard/users/{userID}/role. Setting the role a user has is a
// no-op, so a resent form changes nothing more; the last owner cannot become staff.
func (h *Handler) SetUserRole(w http.ResponseWriter, r *http.Request, u *User) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	changed, err := h.users.SetRole(r.Context(), u.Merchant, r.PathValue("userID"), r.PostForm.Get("role"))
	if err != nil {
		return userError(err)
	}
	if changed.ID == u.ID && changed.Role != accounts.RoleOwner { // the users page is for owners
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/dashboard/users?done=role", http.StatusSeeOther)
	return nil
}

// ConfirmRemoveUser serves GET /dashboard/users/{userID}/remove: it asks before removing.
func (h *Handler) ConfirmRemoveUser(w http.ResponseWriter, r *http.Request, u *User) error {
	target, err := h.users.User(r.Context(), u.Merchant, r.PathValue("userID"))
	if err != nil {
		return userError(err)
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashUserRemove(views.DashUserRemoveModel{Nav: h.nav(w, r, u, "users"),
		ID: target.ID, Email: target.Email, Role: target.Role, Self: target.ID == u.ID}))
	return nil
}

// RemoveUser serves POST /dashboard/users/{userID}/remove, the confirmed removal. The user's
// sessions end with it, on every instance. A resent form finds the
// user gone (404); the last owner cannot be removed.
func (h *Handler) RemoveUser(w http.ResponseWriter, r *http.Request, u *User) error {
	id := r.PathValue("userID")
	if err := h.users.Remove(r.Context(), u.Merchant, id); err != nil {
		return userError(err)
	}
	if id == u.ID {
		h.dropCookie(w, r, h.session(r)) // its session went with the user
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/dashboard/users?done=removed", http.StatusSeeOther)
	return nil
}

// userError says that a user is not found in words that fit a user already removed (a resent
// removal) as well as one that is not the merchant's.
func userError(err error) error {
	var ce *domain.Error
	if errors.As(err, &ce) && ce.Kind == domain.KindNotFound {
		return web.NotFound("user_missing", "no such user")
	}
	return err
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, u *User, status int, add views.DashAddUser, notice string) error {
	list, err := h.users.Users(r.Context(), u.Merchant)
	if err != nil {
		return err
	}
	m := views.DashUsersModel{Nav: h.nav(w, r, u, "users"), Notice: notice, Add: add}
	for _, x := range list {
		m.Rows = append(m.Rows, views.DashUserRow{ID: x.ID, Email: x.Email, Role: x.Role, CreatedAt: x.CreatedAt, Self: x.ID == u.ID})
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, status, views.DashUsers(m))
	return nil
}

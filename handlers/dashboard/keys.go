package dashboard

import (
	"crypto/rand"
	"net/http"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// ListKeys serves GET /dashboard/keys: the merchant's API keys, with a form that makes another
// carrying a one-time token, so that a resent form makes one key.
func (h *Handler) ListKeys(w http.ResponseWriter, r *http.Request, u *User) error {
	keys, err := h.merchants.APIKeys(r.Context(), u.Merchant)
	if err != nil {
		return err
	}
	p := views.DashKeysModel{Nav: h.nav(w, r, u, "keys"), Token: rand.Text()}
	for _, k := range keys {
		p.Keys = append(p.Keys, dashKey(k))
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashKeys(p))
	return nil
}

// CreateKey serves POST /dashboard/keys: it makes a key and shows its secret in this answer
// only (never in a URL, and render sends no-store). The form's token makes a resend show that
// the key was made, without its secret, instead of making a second one.
func (h *Handler) CreateKey(w http.ResponseWriter, r *http.Request, u *User) error {
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	token := r.PostForm.Get("token")
	if len(token) < 16 || len(token) > 64 {
		return web.Invalid("parameter_invalid", "the form is missing its token: open the keys page and create the key again", "token")
	}
	ck, err := h.merchants.CreateAPIKey(r.Context(), u.Merchant, accounts.APIKeyParams{Label: r.PostForm.Get("label"), Token: token})
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashKeyCreated(views.DashKeyCreatedModel{Nav: h.nav(w, r, u, "keys"),
		Key: dashKey(ck.Key), Secret: ck.Secret}))
	return nil
}

// ConfirmRevokeKey serves GET /dashboard/keys/{keyID}/revoke: it asks before a key stops
// working, and warns when it is the last active one.
func (h *Handler) ConfirmRevokeKey(w http.ResponseWriter, r *http.Request, u *User) error {
	k, err := h.merchants.APIKey(r.Context(), u.Merchant, r.PathValue("keyID"))
	if err != nil {
		return err
	}
	keys, err := h.merchants.APIKeys(r.Context(), u.Merchant)
	if err != nil {
		return err
	}
	last := k.RevokedAt.IsZero()
	for _, o := range keys {
		if o.ID != k.ID && o.RevokedAt.IsZero() {
			last = false
		}
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashKeyRevoke(views.DashKeyRevokeModel{Nav: h.nav(w, r, u, "keys"),
		Key: dashKey(k), LastActive: last}))
	return nil
}

// RevokeKey serves POST /dashboard/keys/{keyID}/revoke: the key stops working at once. A
// revoked key stays revoked, so a resent form does nothing more.
func (h *Handler) RevokeKey(w http.ResponseWriter, r *http.Request, u *User) error {
	if _, err := h.merchants.RevokeAPIKey(r.Context(), u.Merchant, r.PathValue("keyID")); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/keys", http.StatusSeeOther)
	return nil
}

// dashKey is a key as the dashboard shows it: its mode and last four characters, never more.
func dashKey(k *store.APIKey) views.DashKey {
	return views.DashKey{ID: k.ID, Label: k.Label, Masked: maskKey(k), CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// maskKey writes a key as "sk_test_…abcd"; a key from before keys had rows of their own has
// no known last four, shown as dots.
func maskKey(k *store.APIKey) string {
	last := k.Last4
	if last == "" {
		last = "····"
	}
	return k.Prefix[:min(len(k.Prefix), len("sk_test_"))] + "…" + last
}

package dashboard

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/views"
)

// ShowSettings serves GET /dashboard/settings (owners): the merchant's display name, amount
// limits and embed origins; ?saved=1 after a save.
func (h *Handler) ShowSettings(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	h.renderSettings(w, r, u, http.StatusOK, views.DashSettingsModel{Saved: r.URL.Query().Get("saved") == "1", Name: m.Name,
		MinAmount: views.Number(m.MinAmount), MaxAmount: views.Number(m.MaxAmount),
		EmbedOrigins: strings.Join(m.EmbedOrigins, "\n")})
	return nil
}

// renderSettings shows the settings form f in status.
func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, u *User, status int, f views.DashSettingsModel) {
	f.Nav, f.Ceiling = h.nav(w, r, u, "settings"), accounts.MaxAmountCeiling
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, status, views.DashSettings(f))
}

// settingsFields are the form fields an UpdateSettings error's param is about.
var settingsFields = map[string]string{"name": "name", "min_amount": "min_amount", "max_amount": "max_amount",
	"embed_origins": "embed_origins"}

// SaveSettings serves POST /dashboard/settings (owners). Saving the same values again changes
// nothing; refused input shows the form again, as typed, with the message beside its field.
func (h *Handler) SaveSettings(w http.ResponseWriter, r *http.Request, u *User) error {
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	f := views.DashSettingsModel{Name: strings.TrimSpace(r.PostForm.Get("name")), MinAmount: strings.TrimSpace(r.PostForm.Get("min_amount")),
		MaxAmount: strings.TrimSpace(r.PostForm.Get("max_amount")), EmbedOrigins: r.PostForm.Get("embed_origins")}
	var origins []string
	for line := range strings.Lines(f.EmbedOrigins) {
		if o := strings.TrimSpace(line); o != "" {
			origins = append(origins, o)
		}
	}
	p := accounts.SettingsParams{Name: f.Name, EmbedOrigins: origins}
	var ok bool
	if p.MinAmount, ok = parseFormInt(f.MinAmount); !ok {
		return h.refuseSettings(w, r, u, f, &formFieldError{field: "min_amount", code: "min_amount_invalid"})
	}
	if p.MaxAmount, ok = parseFormInt(f.MaxAmount); !ok {
		return h.refuseSettings(w, r, u, f, &formFieldError{field: "max_amount", code: "max_amount_invalid"})
	}
	if _, err := h.merchants.UpdateSettings(r.Context(), u.Merchant, p); err != nil {
		fe := refusedField(err, settingsFields, u.Merchant)
		if fe == nil {
			return err
		}
		if i, ok := originIndex(err); ok && i < len(origins) {
			fe.field, fe.data["Origin"] = "embed_origins", origins[i]
		}
		return h.refuseSettings(w, r, u, f, fe)
	}
	http.Redirect(w, r, "/dashboard/settings?saved=1", http.StatusSeeOther)
	return nil
}

// originIndex is the line of the embed origin a refusal is about (param embed_origins[i]).
func originIndex(err error) (int, bool) {
	var ce *domain.Error
	if !errors.As(err, &ce) {
		return 0, false
	}
	rest, ok := strings.CutPrefix(ce.Param, "embed_origins[")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return i, err == nil
}

// refuseSettings shows the settings form again, as typed, with fe's message beside its field.
func (h *Handler) refuseSettings(w http.ResponseWriter, r *http.Request, u *User, f views.DashSettingsModel, fe *formFieldError) error {
	if fe.data == nil {
		fe.data = map[string]any{}
	}
	fe.data["Ceiling"] = int64(accounts.MaxAmountCeiling)
	ctx, _ := h.pageContext(w, r)
	f.Errors = refusedFieldMessage(ctx, "settings", fe)
	h.renderSettings(w, r, u, http.StatusBadRequest, f)
	return nil
}

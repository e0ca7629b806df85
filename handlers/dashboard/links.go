package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// dashLinksLimit is how many links the list shows, newest first.
const dashLinksLimit = 100

// dashLinkCheckouts is how many of a link's latest checkouts its page shows.
const dashLinkCheckouts = 10

// ListLinks serves GET /dashboard/links: the merchant's payment links, newest first.
func (h *Links) ListLinks(w http.ResponseWriter, r *http.Request, u *User) error {
	list, more, err := h.links.Links(r.Context(), u.Merchant, links.ListParams{Limit: dashLinksLimit})
	if err != nil {
		return err
	}
	p := views.DashLinksModel{Nav: h.nav(w, r, u, "links"), More: more, Limit: dashLinksLimit}
	for _, l := range list {
		row, err := h.linkRow(r.Context(), l)
		if err != nil {
			return err
		}
		p.Rows = append(p.Rows, row)
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashLinks(p))
	return nil
}

// linkRow is a link as the dashboard shows it: its public URL, paid count and state.
func (h *Handler) linkRow(ctx context.Context, l *store.Link) (views.DashLinkRow, error) {
	paid, err := h.links.PaidCount(ctx, l)
	if err != nil {
		return views.DashLinkRow{}, err
	}
	items := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		items = append(items, it.Name+" × "+strconv.FormatInt(it.Quantity, 10))
	}
	return views.DashLinkRow{ID: l.ID, URL: h.baseURL + web.LinkURL(l.Slug, ""), Description: l.Description,
		Items: strings.Join(items, ", "), Amount: l.Amount, Reusable: l.Reusable, MaxUses: l.MaxUses, Paid: paid,
		State: string(h.links.State(l, paid)), ExpiresAt: l.ExpiresAt, CreatedAt: l.CreatedAt}, nil
}

// ShowLink serves GET /dashboard/links/{linkID}: a link with its latest checkouts.
func (h *Links) ShowLink(w http.ResponseWriter, r *http.Request, u *User) error {
	l, err := h.links.Link(r.Context(), u.Merchant, r.PathValue("linkID"))
	if err != nil {
		return err
	}
	row, err := h.linkRow(r.Context(), l)
	if err != nil {
		return err
	}
	// A link's checkouts carry its id as their reference, which the checkouts search finds by
	// prefix; the store has no index on link_id but for paid ones, so this is that search.
	list, _, err := h.checkouts.Checkouts(r.Context(), u.Merchant, store.ListCheckouts{Search: l.ID, Limit: dashLinkCheckouts})
	if err != nil {
		return err
	}
	p := views.DashLinkModel{Nav: h.nav(w, r, u, "links"), Link: row, Created: r.URL.Query().Get("created") == "1",
		CheckoutsURL: dashURL("/dashboard/checkouts", url.Values{"q": {l.ID}}),
		QRURL:        web.LinkURL(l.Slug, "/qr.png"), PosterURL: web.LinkURL(l.Slug, "/poster")}
	ctx, _ := h.pageContext(w, r)
	for _, st := range list {
		if st.Checkout.LinkID != l.ID {
			continue
		}
		row, err := h.orderRow(r, views.L(ctx), st)
		if err != nil {
			return err
		}
		p.Checkouts = append(p.Checkouts, row)
	}
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashLink(p))
	return nil
}

// ShowNewLinkPage serves GET /dashboard/links/new: the form that makes a link, with a fresh
// one-time token.
func (h *Links) ShowNewLinkPage(w http.ResponseWriter, r *http.Request, u *User) error {
	h.renderLinkForm(w, r, u, http.StatusOK, views.DashLinkFormModel{Token: rand.Text(), Reusable: true, ItemQuantity: "1"})
	return nil
}

// renderLinkForm shows the link form f (what was typed, and its errors) in status.
func (h *Handler) renderLinkForm(w http.ResponseWriter, r *http.Request, u *User, status int, f views.DashLinkFormModel) {
	f.Nav = h.nav(w, r, u, "links")
	f.MinAmount, f.MaxAmount = u.Merchant.MinAmount, u.Merchant.MaxAmount
	f.Today = h.clock.Now().In(h.seoul).Format(time.DateOnly)
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, status, views.DashLinkForm(f))
}

// linkForm reads the link form as typed.
func linkForm(r *http.Request) views.DashLinkFormModel {
	v := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	return views.DashLinkFormModel{Token: r.PostForm.Get("token"), Amount: v("amount"), Description: v("description"),
		ItemName: v("item_name"), ItemQuantity: v("item_quantity"), ItemPrice: v("item_price"), Reusable: r.PostForm.Get("reusable") != "",
		MaxUses: v("max_uses"), ExpiresOn: v("expires_on"), SuccessURL: v("success_url"), FailureURL: v("failure_url")}
}

// formFieldError is a form field refused, with the message id's code and its data.
type formFieldError struct {
	field, code string
	data        map[string]any
}

// parseFormInt reads a whole number typed in a form; thousands separators are allowed.
func parseFormInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), " ", ""), 10, 64)
	return n, err == nil
}

// linkParams turns the form into the service's parameters: an amount, or one item whose price
// and quantity make it; the day it expires is a day in Korea, the link working until its end.
func (h *Handler) linkParams(f views.DashLinkFormModel) (links.LinkParams, *formFieldError) {
	p := links.LinkParams{Description: f.Description, SuccessURL: f.SuccessURL, FailureURL: f.FailureURL, Reusable: &f.Reusable}
	if f.ItemName != "" || f.ItemPrice != "" {
		qty, ok := parseFormInt(f.ItemQuantity)
		if !ok || qty < 1 || qty > 10000 {
			return p, &formFieldError{field: "item_quantity", code: "item_quantity_invalid"}
		}
		price, ok := parseFormInt(f.ItemPrice)
		if !ok || price < 0 || price > accounts.MaxAmountCeiling {
			return p, &formFieldError{field: "item_price", code: "item_price_invalid"}
		}
		p.Items = []store.Item{{Name: f.ItemName, Quantity: qty, UnitPrice: price}}
		p.Amount = qty * price // both bounded: no overflow
	}
	if f.Amount != "" || len(p.Items) == 0 {
		n, ok := parseFormInt(f.Amount)
		if !ok {
			return p, &formFieldError{field: "amount", code: "amount_invalid"}
		}
		p.Amount = n
	}
	if f.MaxUses != "" {
		n, err := strconv.Atoi(f.MaxUses)
		if err != nil || n < 0 {
			return p, &formFieldError{field: "max_uses", code: "max_uses_invalid"}
		}
		p.MaxUses = n
	}
	if f.ExpiresOn != "" {
		day, err := time.ParseInLocation(time.DateOnly, f.ExpiresOn, h.seoul)
		if err != nil {
			return p, &formFieldError{field: "expires_on", code: "expires_at_invalid"}
		}
		p.ExpiresAt = day.AddDate(0, 0, 1)
	}
	return p, nil
}

// linkFields are the form fields a CreateLink error's param is about.
var linkFields = map[string]string{"amount": "amount", "description": "description", "success_url": "success_url",
	"failure_url": "failure_url", "max_uses": "max_uses", "expires_at": "expires_on", "items": "item_price",
	"items[0].name": "item_name", "items[0].quantity": "item_quantity", "items[0].unit_price": "item_price"}

// refusedField is the field a refused service call is about, or nil when err is no refusal.
func refusedField(err error, fields map[string]string, m *store.Merchant) *formFieldError {
	var ce *domain.Error
	if !errors.As(err, &ce) || ce.Kind != domain.KindInvalid {
		return nil
	}
	field := fields[ce.Param]
	if field == "" {
		field = "form"
	}
	return &formFieldError{field: field, code: ce.Code, data: map[string]any{"Min": m.MinAmount, "Max": m.MaxAmount}}
}

// refusedFieldMessage words a refused field: dash.<area>.error.<code>, else dash.error.<code>,
// else the default. Amounts in data are written in won.
func refusedFieldMessage(ctx context.Context, area string, fe *formFieldError) map[string]string {
	l := views.L(ctx)
	data := map[string]any{}
	for k, v := range fe.data {
		if n, ok := v.(int64); ok {
			v = l.Won(n)
		}
		data[k] = v
	}
	id := "dash.error.default"
	for _, try := range []string{"dash." + area + ".error." + fe.code, "dash.error." + fe.code} {
		if l.Has(try) {
			id = try
			break
		}
	}
	return map[string]string{fe.field: l.T(id, data)}
}

// errLinkFormResent answers a create form sent again after it was changed, or while its first
// sending still runs.
var errLinkFormResent = web.Conflict("link_form_resent", "this form was already sent")

// CreateLink serves POST /dashboard/links. The form's one-time token is an Idempotency-Key, so
// a double click or a resent form makes one link; refused input shows the form again, as typed,
// with the message beside its field.
func (h *Links) CreateLink(w http.ResponseWriter, r *http.Request, u *User) error {
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	f := linkForm(r)
	if len(f.Token) < 16 || len(f.Token) > 64 {
		return web.Invalid("parameter_invalid", "the form's token is missing: open the form again", "token")
	}
	p, fe := h.linkParams(f)
	if fe != nil {
		return h.refuseLinkForm(w, r, u, f, fe)
	}
	m := u.Merchant
	form := url.Values{}
	for k, v := range r.PostForm {
		if k != "token" {
			form[k] = v
		}
	}
	sum := sha256.Sum256([]byte(form.Encode()))
	held, prev, err := h.keys.Reserve(r.Context(), m.ID, "dashboard-link-"+f.Token, hex.EncodeToString(sum[:]), 15*time.Second)
	switch {
	case errors.Is(err, domain.ErrKeyReused), errors.Is(err, domain.ErrKeyBusy):
		return errLinkFormResent
	case err != nil:
		return err
	case prev != nil: // the same form again: show the link it made
		http.Redirect(w, r, "/dashboard/links/"+url.PathEscape(string(prev.Body))+"?created=1", http.StatusSeeOther)
		return nil
	}
	l, err := h.links.Create(r.Context(), m, p)
	if err != nil {
		if rerr := h.keys.Release(r.Context(), held); rerr != nil {
			h.log.ErrorContext(r.Context(), "releasing a dashboard link's key", "err", rerr)
		}
		if fe := refusedField(err, linkFields, m); fe != nil {
			return h.refuseLinkForm(w, r, u, f, fe)
		}
		return err
	}
	if err := h.keys.Complete(r.Context(), held, http.StatusSeeOther, []byte(l.ID)); err != nil {
		h.log.ErrorContext(r.Context(), "completing a dashboard link's key", "err", err)
	}
	http.Redirect(w, r, "/dashboard/links/"+l.ID+"?created=1", http.StatusSeeOther)
	return nil
}

// refuseLinkForm shows the link form again, as typed, with fe's message beside its field.
func (h *Handler) refuseLinkForm(w http.ResponseWriter, r *http.Request, u *User, f views.DashLinkFormModel, fe *formFieldError) error {
	if fe.data == nil {
		fe.data = map[string]any{"Min": u.Merchant.MinAmount, "Max": u.Merchant.MaxAmount}
	}
	ctx, _ := h.pageContext(w, r)
	f.Errors = refusedFieldMessage(ctx, "links", fe)
	h.renderLinkForm(w, r, u, http.StatusBadRequest, f)
	return nil
}

// ConfirmDeactivateLink serves GET /dashboard/links/{linkID}/deactivate: it asks before the link
// stops; a link already stopped goes back to its page.
func (h *Links) ConfirmDeactivateLink(w http.ResponseWriter, r *http.Request, u *User) error {
	l, err := h.links.Link(r.Context(), u.Merchant, r.PathValue("linkID"))
	if err != nil {
		return err
	}
	if !l.Active {
		http.Redirect(w, r, "/dashboard/links/"+l.ID, http.StatusSeeOther)
		return nil
	}
	row, err := h.linkRow(r.Context(), l)
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashLinkDeactivate(views.DashLinkDeactivateModel{Nav: h.nav(w, r, u, "links"), Link: row}))
	return nil
}

// DeactivateLink serves POST /dashboard/links/{linkID}/deactivate: the link's URL opens no more
// checkouts (those opened stay payable). A second time changes nothing.
func (h *Links) DeactivateLink(w http.ResponseWriter, r *http.Request, u *User) error {
	l, err := h.links.Deactivate(r.Context(), u.Merchant, r.PathValue("linkID"), nil)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/links/"+l.ID, http.StatusSeeOther)
	return nil
}

package api

import (
	"net/http"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/store"
)

// linkJSON is the payment link object of the API.
type linkJSON struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	URL         string            `json:"url"`
	Active      bool              `json:"active"`
	Reusable    bool              `json:"reusable"`
	MaxUses     *int              `json:"max_uses"`
	PaidCount   int               `json:"paid_count"`
	Amount      int64             `json:"amount"`
	Currency    string            `json:"currency"`
	Items       []itemJSON        `json:"items"`
	Description string            `json:"description"`
	SuccessURL  string            `json:"success_url"`
	FailureURL  string            `json:"failure_url"`
	ExpiresAt   *time.Time        `json:"expires_at"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   time.Time         `json:"created_at"`
}

func (a *Handler) linkObject(l *store.Link, paid int) linkJSON {
	out := linkJSON{ID: l.ID, Object: "link", URL: a.baseURL + web.LinkURL(l.Slug, ""), Active: l.Active, Reusable: l.Reusable,
		PaidCount: paid, Amount: l.Amount, Currency: "KRW", Items: make([]itemJSON, 0, len(l.Items)), Description: l.Description,
		SuccessURL: l.SuccessURL, FailureURL: l.FailureURL, Metadata: l.Metadata, CreatedAt: l.CreatedAt}
	for _, it := range l.Items {
		out.Items = append(out.Items, itemJSON(it))
	}
	if l.MaxUses > 0 {
		out.MaxUses = &l.MaxUses
	}
	if !l.ExpiresAt.IsZero() {
		at := jsonTime(l.ExpiresAt)
		out.ExpiresAt = &at
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	return out
}

// createLinkRequest is the body of POST /v1/links.
type createLinkRequest struct {
	Amount      *int64            `json:"amount"`
	Items       []itemJSON        `json:"items"`
	Description string            `json:"description"`
	SuccessURL  string            `json:"success_url"`
	FailureURL  string            `json:"failure_url"`
	Reusable    *bool             `json:"reusable"`
	MaxUses     int               `json:"max_uses"`
	ExpiresAt   *time.Time        `json:"expires_at"`
	Metadata    map[string]string `json:"metadata"`
}

// CreateLink serves POST /v1/links.
func (a *Handler) CreateLink(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req createLinkRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return web.Invalid("parameter_missing", "amount is required", "amount")
	}
	p := links.LinkParams{Amount: *req.Amount, Description: req.Description, SuccessURL: req.SuccessURL,
		FailureURL: req.FailureURL, Reusable: req.Reusable, MaxUses: req.MaxUses, Metadata: req.Metadata, Key: idempotencyKey(r)}
	for _, it := range req.Items {
		p.Items = append(p.Items, store.Item(it))
	}
	if req.ExpiresAt != nil {
		p.ExpiresAt = *req.ExpiresAt
	}
	l, err := a.links.Create(r.Context(), m, p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/links/"+l.ID)
	web.WriteJSON(w, http.StatusCreated, a.linkObject(l, 0))
	return nil
}

// ListLinks serves GET /v1/links?limit=.
func (a *Handler) ListLinks(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	limit, err := listLimit(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	list, more, err := a.links.Links(r.Context(), m, links.ListParams{Limit: limit})
	if err != nil {
		return err
	}
	data := make([]linkJSON, 0, len(list))
	for _, l := range list {
		paid, err := a.links.PaidCount(r.Context(), l)
		if err != nil {
			return err
		}
		data = append(data, a.linkObject(l, paid))
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "has_more": more})
	return nil
}

// GetLink serves GET /v1/links/{id}.
func (a *Handler) GetLink(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	l, err := a.links.Link(r.Context(), m, r.PathValue("id"))
	if err != nil {
		return err
	}
	return a.answerLink(w, r, l, http.StatusOK)
}

// DeactivateLink serves POST /v1/links/{id}/deactivate.
func (a *Handler) DeactivateLink(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	l, err := a.links.Deactivate(r.Context(), m, r.PathValue("id"), idempotencyKey(r))
	if err != nil {
		return err
	}
	return a.answerLink(w, r, l, http.StatusOK)
}

func (a *Handler) answerLink(w http.ResponseWriter, r *http.Request, l *store.Link, status int) error {
	paid, err := a.links.PaidCount(r.Context(), l)
	if err != nil {
		return err
	}
	web.WriteJSON(w, status, a.linkObject(l, paid))
	return nil
}

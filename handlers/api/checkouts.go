package api

import (
	"net/http"
	"strconv"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// createCheckoutRequest is the body of POST /v1/checkouts.
type createCheckoutRequest struct {
	Amount        *int64            `json:"amount"`
	Currency      string            `json:"currency"`
	Reference     string            `json:"reference"`
	Description   string            `json:"description"`
	Items         []itemJSON        `json:"items"`
	Customer      *customerJSON     `json:"customer"`
	SuccessURL    string            `json:"success_url"`
	FailureURL    string            `json:"failure_url"`
	Mode          string            `json:"mode"`
	Locale        string            `json:"locale"`
	ExpiresIn     int64             `json:"expires_in"`
	TaxFreeAmount int64             `json:"tax_free_amount"`
	Metadata      map[string]string `json:"metadata"`
}

// itemJSON is one line of a checkout's order in a request.
type itemJSON = objects.Item

type customerJSON = objects.Customer

// checkoutObject is the checkout of st as the API answers it.
func (a *Handler) checkoutObject(st *checkout.State) objects.Checkout {
	agreement := ""
	if st.Agreement != nil {
		agreement = st.Agreement.ID
	}
	return objects.NewCheckout(st.Checkout, st.Merchant.Livemode, a.baseURL+web.CheckoutURL(st.Checkout.ID, ""), st.Payment, agreement)
}

// CreateCheckout serves POST /v1/checkouts.
func (a *Handler) CreateCheckout(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req createCheckoutRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return web.Invalid("parameter_missing", "amount is required", "amount")
	}
	p := checkout.CreateParams{
		Amount: *req.Amount, TaxFreeAmount: req.TaxFreeAmount, Currency: req.Currency, Reference: req.Reference,
		Description: req.Description, SuccessURL: req.SuccessURL, FailureURL: req.FailureURL,
		Mode: req.Mode, Locale: req.Locale, ExpiresIn: req.ExpiresIn, Metadata: req.Metadata, Key: idempotencyKey(r),
	}
	for _, it := range req.Items {
		p.Items = append(p.Items, store.Item(it))
	}
	if req.Customer != nil {
		p.CustomerName, p.CustomerEmail = req.Customer.Name, req.Customer.Email
	}
	c, err := a.checkouts.Create(r.Context(), m, p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/checkouts/"+c.ID)
	web.WriteJSON(w, http.StatusCreated, a.checkoutObject(&checkout.State{Checkout: c, Merchant: m}))
	return nil
}

// GetCheckout serves GET /v1/checkouts/{id}.
func (a *Handler) GetCheckout(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return getByID(w, r, m, a.checkouts.Checkout, a.checkoutObject)
}

// ExpireCheckout serves POST /v1/checkouts/{id}/expire.
func (a *Handler) ExpireCheckout(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	st, err := a.checkouts.Expire(r.Context(), m, r.PathValue("id"), idempotencyKey(r))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a.checkoutObject(st))
	return nil
}

// ListCheckouts serves GET /v1/checkouts?status=&limit=&starting_after=.
func (a *Handler) ListCheckouts(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	q := r.URL.Query()
	limit, err := listLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	status := q.Get("status")
	if _, ok := checkout.ParseCheckoutStatus(status); status != "" && !ok {
		return web.Invalid("parameter_invalid", "status must be open, paid, expired or canceled", "status")
	}
	after, err := web.StartingAfter(r, m, "checkouts", a.checkouts.Checkout)
	if err != nil {
		return err
	}
	list, more, err := a.checkouts.Checkouts(r.Context(), m, store.ListCheckouts{Status: status, StartingAfter: after, Limit: limit})
	if err != nil {
		return err
	}
	writeList(w, list, more, a.checkoutObject)
	return nil
}

// listLimit reads ?limit= (1..100, default 10).
func listLimit(v string) (int, error) {
	if v == "" {
		return 10, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, web.Invalid("parameter_invalid", "limit must be a whole number from 1 to 100", "limit")
	}
	return n, nil
}

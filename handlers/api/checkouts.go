package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
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

// itemJSON is one line of a checkout's order in the API.
type itemJSON struct {
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

type customerJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// checkoutJSON is the checkout object of the API.
type checkoutJSON struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	URL           string            `json:"url"`
	Status        string            `json:"status"`
	Mode          string            `json:"mode"`
	Livemode      bool              `json:"livemode"`
	Amount        int64             `json:"amount"`
	TaxFreeAmount int64             `json:"tax_free_amount"`
	Currency      string            `json:"currency"`
	Reference     string            `json:"reference"`
	Description   string            `json:"description"`
	Items         []itemJSON        `json:"items"`
	Customer      *customerJSON     `json:"customer"`
	SuccessURL    string            `json:"success_url"`
	FailureURL    string            `json:"failure_url"`
	Locale        *string           `json:"locale"`
	Metadata      map[string]string `json:"metadata"`
	ExpiresAt     time.Time         `json:"expires_at"`
	CreatedAt     time.Time         `json:"created_at"`
	Payment       *paymentJSON      `json:"payment"`
	Agreement     *string           `json:"agreement"`
	Link          *string           `json:"link"`
}

// paymentJSON is the payment object of the API.
type paymentJSON struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Checkout       string    `json:"checkout"`
	Amount         int64     `json:"amount"`
	RefundedAmount int64     `json:"refunded_amount"`
	Currency       string    `json:"currency"`
	Method         string    `json:"method"`
	TID            string    `json:"tid"`
	ApprovedAt     time.Time `json:"approved_at"`
}

func (a *Handler) checkoutObject(st *checkout.State) checkoutJSON {
	c := st.Checkout
	out := checkoutJSON{
		ID: c.ID, Object: "checkout", URL: a.baseURL + web.CheckoutURL(c.ID, ""), Status: c.Status, Mode: c.Mode,
		Livemode: st.Merchant.Livemode, Amount: c.Amount, TaxFreeAmount: c.TaxFreeAmount, Currency: c.Currency,
		Reference: c.Reference, Description: c.Description, Items: make([]itemJSON, 0, len(c.Items)), SuccessURL: c.SuccessURL,
		FailureURL: c.FailureURL, Metadata: c.Metadata, ExpiresAt: c.ExpiresAt, CreatedAt: c.CreatedAt,
	}
	for _, it := range c.Items {
		out.Items = append(out.Items, itemJSON(it))
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if c.CustomerName != "" || c.CustomerEmail != "" {
		out.Customer = &customerJSON{Name: c.CustomerName, Email: c.CustomerEmail}
	}
	if c.Locale != "" {
		out.Locale = &c.Locale
	}
	if st.Agreement != nil {
		out.Agreement = &st.Agreement.ID
	}
	if c.LinkID != "" {
		out.Link = &c.LinkID
	}
	if p := st.Payment; p != nil {
		out.Payment = &paymentJSON{ID: p.ID, Object: "payment", Checkout: c.ID, Amount: p.Amount,
			RefundedAmount: p.RefundedAmount, Currency: c.Currency, Method: p.Method, TID: p.TID, ApprovedAt: p.ApprovedAt}
	}
	return out
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
	after := q.Get("starting_after")
	if after != "" {
		if _, err := a.checkouts.Checkout(r.Context(), m, after); err != nil {
			return web.Invalid("parameter_invalid", "starting_after is not one of your checkouts", "starting_after")
		}
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

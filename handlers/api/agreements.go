package api

import (
	"net/http"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

// agreementObject is the agreement object of the API.
func agreementObject(a *store.Agreement) map[string]any {
	return map[string]any{"id": a.ID, "object": "agreement", "checkout": a.CheckoutID, "status": a.Status,
		"created_at": a.CreatedAt, "updated_at": a.UpdatedAt}
}

// chargeJSON is the charge object of the API.
type chargeJSON struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Agreement      string    `json:"agreement"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	Reference      string    `json:"reference"`
	Status         string    `json:"status"`
	Payment        *string   `json:"payment"`
	FailureCode    *string   `json:"failure_code"`
	FailureMessage *string   `json:"failure_message"`
	CreatedAt      time.Time `json:"created_at"`
}

func chargeObject(c *store.Charge) chargeJSON {
	out := chargeJSON{ID: c.ID, Object: "charge", Agreement: c.AgreementID, Amount: c.Amount, Currency: "KRW",
		Reference: c.Reference, Status: c.Status, Payment: nullString(c.PaymentID), CreatedAt: c.CreatedAt}
	if c.FailureCode != "" {
		out.FailureCode, out.FailureMessage = &c.FailureCode, &c.FailureMessage
	}
	return out
}

// GetAgreement serves GET /v1/agreements/{id}.
func (a *Handler) GetAgreement(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return getByID(w, r, m, a.payments.Agreement, agreementObject)
}

// CreateCharge serves POST /v1/agreements/{id}/charges {amount, reference}.
func (a *Handler) CreateCharge(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return web.Invalid("parameter_missing", "amount is required", "amount")
	}
	ch, err := a.payments.CreateCharge(r.Context(), m, r.PathValue("id"),
		payments.ChargeParams{Amount: *req.Amount, Reference: req.Reference, Key: idempotencyKey(r)})
	return answerMade(w, ch, err, checkout.ChargeOpen, chargeObject)
}

// ListCharges serves GET /v1/charges?status=&agreement=&limit=&starting_after=.
func (a *Handler) ListCharges(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	q := r.URL.Query()
	limit, err := listLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	list, more, err := a.payments.Charges(r.Context(), m, store.ListCharges{Status: q.Get("status"),
		AgreementID: q.Get("agreement"), StartingAfter: q.Get("starting_after"), Limit: limit})
	if err != nil {
		return err
	}
	writeList(w, list, more, chargeObject)
	return nil
}

// GetCharge serves GET /v1/charges/{id}.
func (a *Handler) GetCharge(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return getByID(w, r, m, a.payments.Charge, chargeObject)
}

// DeactivateAgreement serves POST /v1/agreements/{id}/deactivate.
func (a *Handler) DeactivateAgreement(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	ag, err := a.payments.Deactivate(r.Context(), m, r.PathValue("id"), idempotencyKey(r))
	return answer(w, ag, err, agreementObject)
}

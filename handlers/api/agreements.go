package api

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

// GetAgreement serves GET /v1/agreements/{id}.
func (a *Handler) GetAgreement(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return getByID(w, r, m, a.payments.Agreement, objects.NewAgreement)
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
	return answerMade(w, ch, err, checkout.ChargeOpen, objects.NewCharge)
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
	writeList(w, list, more, objects.NewCharge)
	return nil
}

// GetCharge serves GET /v1/charges/{id}.
func (a *Handler) GetCharge(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return getByID(w, r, m, a.payments.Charge, objects.NewCharge)
}

// DeactivateAgreement serves POST /v1/agreements/{id}/deactivate.
func (a *Handler) DeactivateAgreement(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	ag, err := a.payments.Deactivate(r.Context(), m, r.PathValue("id"), idempotencyKey(r))
	return answer(w, ag, err, objects.NewAgreement)
}

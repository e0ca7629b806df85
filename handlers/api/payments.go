package api

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

// GetPayment serves GET /v1/payments/{id}.
func (a *Handler) GetPayment(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	p, refunds, err := a.payments.Payment(r.Context(), m, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, objects.NewPayment(p, refunds))
	return nil
}

// CreateRefund serves POST /v1/payments/{id}/refunds {amount, reason}.
func (a *Handler) CreateRefund(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req struct {
		Amount *int64 `json:"amount"`
		Reason string `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	ref, err := a.payments.CreateRefund(r.Context(), m, r.PathValue("id"),
		payments.RefundParams{Amount: req.Amount, Reason: req.Reason, Key: idempotencyKey(r)})
	return a.answerRefund(w, r, m, ref, err)
}

// answerRefund answers a refund request: 201 when KakaoPay refunded, 202 while its outcome is
// settled from the order API, or the error.
func (a *Handler) answerRefund(w http.ResponseWriter, r *http.Request, m *store.Merchant, ref *store.Refund, err error) error {
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if checkout.RefundOpen(ref) {
		status = http.StatusAccepted // KakaoPay's answer was lost; the reconciler settles it
	}
	return a.writeRefund(w, r, m, status, ref)
}

// GetRefund serves GET /v1/refunds/{id}.
func (a *Handler) GetRefund(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	ref, err := a.payments.Refund(r.Context(), m, r.PathValue("id"))
	if err != nil {
		return err
	}
	return a.writeRefund(w, r, m, http.StatusOK, ref)
}

// writeRefund answers refund ref's object, with its payment's checkout.
func (a *Handler) writeRefund(w http.ResponseWriter, r *http.Request, m *store.Merchant, status int, ref *store.Refund) error {
	p, _, err := a.payments.Payment(r.Context(), m, ref.PaymentID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, status, objects.NewRefund(ref, p.CheckoutID))
	return nil
}

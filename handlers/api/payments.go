package api

import (
	"net/http"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

// refundJSON is the refund object of the API.
type refundJSON struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Payment        string    `json:"payment"`
	Amount         int64     `json:"amount"`
	TaxFreeAmount  int64     `json:"tax_free_amount"`
	Currency       string    `json:"currency"`
	Reason         string    `json:"reason"`
	Status         string    `json:"status"`
	FailureCode    *string   `json:"failure_code"`
	FailureMessage *string   `json:"failure_message"`
	CreatedAt      time.Time `json:"created_at"`
}

func refundObject(r *store.Refund) refundJSON {
	out := refundJSON{ID: r.ID, Object: "refund", Payment: r.PaymentID, Amount: r.Amount, TaxFreeAmount: r.TaxFreeAmount,
		Currency: "KRW", Reason: r.Reason, Status: r.Status, CreatedAt: r.CreatedAt}
	if r.FailureCode != "" {
		out.FailureCode, out.FailureMessage = &r.FailureCode, &r.FailureMessage
	}
	return out
}

// paymentObject is the payment object with its refunds.
func paymentObject(p *store.Payment, refunds []*store.Refund) map[string]any {
	list := make([]refundJSON, 0, len(refunds))
	for _, r := range refunds {
		list = append(list, refundObject(r))
	}
	return map[string]any{
		"id": p.ID, "object": "payment", "checkout": nullString(p.CheckoutID), "agreement": nullString(p.AgreementID),
		"amount": p.Amount, "tax_free_amount": p.TaxFreeAmount, "refunded_amount": p.RefundedAmount, "currency": "KRW",
		"method": p.Method, "tid": p.TID, "approved_at": p.ApprovedAt, "refunds": list,
	}
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GetPayment serves GET /v1/payments/{id}.
func (a *Handler) GetPayment(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	p, refunds, err := a.payments.Payment(r.Context(), m, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, paymentObject(p, refunds))
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
	return answerMade(w, ref, err, checkout.RefundOpen, refundObject)
}

// GetRefund serves GET /v1/refunds/{id}.
func (a *Handler) GetRefund(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return getByID(w, r, m, a.payments.Refund, refundObject)
}

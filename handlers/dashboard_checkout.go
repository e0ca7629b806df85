package handlers

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// showCheckout serves /dashboard/checkouts/{checkoutID}: one of the user's merchant's checkouts,
// with its payment and refunds; another merchant's is not found.
func (h *Dashboard) showCheckout(w http.ResponseWriter, r *http.Request, u *store.User) error {
	m, err := h.svc.MerchantByID(r.Context(), u.MerchantID)
	if err != nil {
		return err
	}
	st, err := h.svc.MerchantState(r.Context(), m, r.PathValue("checkoutID"))
	if err != nil {
		return err
	}
	nav, err := h.nav(w, r, u, "checkouts")
	if err != nil {
		return err
	}
	c := st.Checkout
	p := views.DashCheckoutModel{Nav: nav, ID: c.ID, Status: c.Status, Reference: c.Reference, Description: c.Description,
		Amount: c.Amount, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, Attempts: len(st.Attempts)}
	if st.Payment != nil {
		pay, refunds, err := h.svc.Payment(r.Context(), m, st.Payment.ID)
		if err != nil {
			return err
		}
		p.Payment = &views.DashPayment{ID: pay.ID, Method: pay.Method, ApprovedAt: pay.ApprovedAt, Refunded: pay.RefundedAmount}
		for _, rf := range refunds {
			p.Payment.Refunds = append(p.Payment.Refunds, views.DashRefund{ID: rf.ID, Amount: rf.Amount, Status: rf.Status, Reason: rf.Reason, CreatedAt: rf.CreatedAt})
		}
	}
	ctx, _ := h.pageContext(w, r)
	h.shop.render(w, r, ctx, http.StatusOK, views.DashCheckout(p))
	return nil
}

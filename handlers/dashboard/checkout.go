package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// ShowCheckout serves /dashboard/checkouts/{checkoutID}: one of the user's merchant's checkouts,
// with its payment and refunds, and the agreement a subscription checkout set up with its
// charges; another merchant's is not found. Owners may expire it while open, and charge or end
// its agreement.
func (h *Handler) ShowCheckout(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	st, err := h.svc.MerchantState(r.Context(), m, r.PathValue("checkoutID"))
	if err != nil {
		return err
	}
	nav := h.nav(w, r, u, "checkouts")
	c := st.Checkout
	p := views.DashCheckoutModel{Nav: nav, ID: c.ID, Status: c.Status, Reference: c.Reference, Description: c.Description,
		Amount: c.Amount, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, Attempts: len(st.Attempts), CanExpire: u.Owner() && st.Open()}
	if st.Payment != nil {
		pay, refunds, err := h.svc.Payment(r.Context(), m, st.Payment.ID)
		if err != nil {
			return err
		}
		p.Payment = &views.DashPayment{ID: pay.ID, Method: pay.Method, ApprovedAt: pay.ApprovedAt, Refunded: pay.RefundedAmount,
			Left: pay.Amount - pay.RefundedAmount}
		for _, rf := range refunds {
			p.Payment.Refunds = append(p.Payment.Refunds, views.DashRefund{ID: rf.ID, Amount: rf.Amount, Status: rf.Status, Reason: rf.Reason, CreatedAt: rf.CreatedAt})
		}
	}
	if st.Agreement != nil {
		if p.Agreement, err = h.agreementSection(r, u, st.Agreement); err != nil {
			return err
		}
	}
	for _, a := range st.Attempts {
		row := views.DashAttempt{ID: a.ID, Device: a.Device, Status: a.Status, CreatedAt: a.CreatedAt}
		switch a.VoidStatus { // an approval that was not the checkout's payment, canceled at KakaoPay
		case checkout.VoidPending:
			row.Status = "voiding"
		case checkout.VoidDone:
			row.Status = "voided"
		}
		if a.FailureCode != "" {
			row.Failure = strings.TrimSpace(a.FailureCode + " " + a.FailureMessage)
		}
		p.AttemptRows = append(p.AttemptRows, row)
	}
	events, _, err := h.svc.Events(r.Context(), store.ListEvents{MerchantID: m.ID, CheckoutID: c.ID, Limit: 100})
	if err != nil {
		return err
	}
	for i := len(events) - 1; i >= 0; i-- { // oldest first
		got, err := h.svc.Event(r.Context(), m, events[i].ID)
		if err != nil {
			return err
		}
		ev := views.DashEvent{ID: got.Event.ID, Type: got.Event.Type, CreatedAt: got.Event.CreatedAt}
		for _, d := range got.Deliveries {
			summary := d.Status
			if n := len(d.Attempts); n > 0 && d.Attempts[n-1].StatusCode != 0 {
				summary += " " + strconv.Itoa(d.Attempts[n-1].StatusCode)
			}
			ev.Deliveries = append(ev.Deliveries, summary)
		}
		p.Timeline = append(p.Timeline, ev)
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashCheckout(p))
	return nil
}

// agreementCharges is how many of an agreement's charges, newest first, its checkout's page lists.
const agreementCharges = 50

// agreementSection is a subscription checkout's agreement as its page shows it.
func (h *Handler) agreementSection(r *http.Request, u *User, ag *store.Agreement) (*views.DashAgreement, error) {
	m := u.Merchant
	charges, err := h.svc.ListCharges(r.Context(), store.ListCharges{MerchantID: m.ID, AgreementID: ag.ID, Limit: agreementCharges + 1})
	if err != nil {
		return nil, err
	}
	active := ag.Status == checkout.AgreementActive
	a := &views.DashAgreement{ID: ag.ID, Status: ag.Status, Deactivating: active && !checkout.Chargeable(ag), CreatedAt: ag.CreatedAt,
		MoreCharges: len(charges) > agreementCharges, CanCharge: u.Owner() && checkout.Chargeable(ag), CanDeactivate: u.Owner() && active,
		MinAmount: m.MinAmount, MaxAmount: m.MaxAmount}
	for _, c := range charges[:min(len(charges), agreementCharges)] {
		a.Charges = append(a.Charges, chargeRow(c))
	}
	return a, nil
}

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
// as an order (its number, what was bought and by whom), with its payment and refunds, and the
// agreement a subscription checkout set up with its charges; another merchant's is not found.
// Owners may expire it while open, and charge or end its agreement. ?refund= names the refund
// the page's form just made: the page says it was made.
func (h *Handler) ShowCheckout(w http.ResponseWriter, r *http.Request, u *User) error {
	return h.renderCheckout(w, r, u, r.PathValue("checkoutID"), http.StatusOK, nil)
}

// renderCheckout answers checkout id's page with status; refused, when not nil, is the refund
// form as typed with why it was refused.
func (h *Handler) renderCheckout(w http.ResponseWriter, r *http.Request, u *User, id string, status int, refused *refundRefusal) error {
	m := u.Merchant
	st, err := h.checkouts.Checkout(r.Context(), m, id)
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	l := views.L(ctx)
	c := st.Checkout
	p := views.DashCheckoutModel{Nav: h.nav(w, r, u, "checkouts"), ID: c.ID, Status: c.Status, Reference: c.Reference, Title: orderTitle(l, c),
		LinkID: c.LinkID, Description: c.Description, Customer: customerOf(c), Amount: c.Amount, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt,
		Attempts: len(st.Attempts), LastTryFailed: lastTryFailed(st), CanExpire: u.Owner() && st.Open()}
	if c.LinkID != "" {
		p.Reference = "" // the link's id, not an order number
	}
	for _, it := range c.Items {
		p.Items = append(p.Items, views.Item{Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice, Total: it.Quantity * it.UnitPrice})
	}
	if st.Payment != nil {
		if p.Payment, p.Notice, err = h.paymentSection(r, l, m, st.Payment.ID, refused); err != nil {
			return err
		}
	}
	if st.Agreement != nil {
		if p.Agreement, err = h.agreementSection(r, u, st.Agreement); err != nil {
			return err
		}
	}
	for _, a := range st.Attempts {
		p.AttemptRows = append(p.AttemptRows, attemptRow(a))
	}
	if p.Timeline, err = h.timeline(r, m, c.ID); err != nil {
		return err
	}
	h.pages.Render(w, r, ctx, status, views.DashCheckout(p))
	return nil
}

// paymentSection is a payment with its refunds as its page shows it, and what the page says of
// the refund named by ?refund= (the one its form just made), if any.
func (h *Handler) paymentSection(r *http.Request, l *views.Localizer, m *store.Merchant, id string, refused *refundRefusal) (*views.DashPayment, string, error) {
	pay, refunds, err := h.payments.Payment(r.Context(), m, id)
	if err != nil {
		return nil, "", err
	}
	p := &views.DashPayment{ID: pay.ID, Method: pay.Method, ApprovedAt: pay.ApprovedAt, Refunded: pay.RefundedAmount,
		Left: pay.Amount - pay.RefundedAmount}
	if refused != nil {
		p.FormAmount, p.FormReason, p.FormError = refused.amount, refused.reason, refused.message
	}
	notice := ""
	for _, rf := range refunds {
		p.Refunds = append(p.Refunds, views.DashRefund{ID: rf.ID, Amount: rf.Amount, Status: rf.Status, Reason: rf.Reason, CreatedAt: rf.CreatedAt})
		if rf.ID == r.URL.Query().Get("refund") {
			notice = refundNotice(l, rf)
		}
	}
	return p, notice, nil
}

// refundNotice says what the refund form just did: refunded, or asked KakaoPay, whose answer is
// still awaited.
func refundNotice(l *views.Localizer, rf *store.Refund) string {
	amount := map[string]any{"Amount": l.Won(rf.Amount)}
	switch {
	case checkout.Refunded(rf):
		return l.T("dash.refund.done", amount)
	case checkout.RefundOpen(rf):
		return l.T("dash.refund.done_pending", amount)
	}
	return ""
}

// attemptRow is a payment try as the checkout's page lists it.
func attemptRow(a *store.Attempt) views.DashAttempt {
	row := views.DashAttempt{ID: a.ID, Device: a.Device, Status: a.Status, CreatedAt: a.CreatedAt}
	switch { // an approval that was not the checkout's payment, canceled at KakaoPay
	case checkout.Voiding(a):
		row.Status = "voiding"
	case checkout.Voided(a):
		row.Status = "voided"
	}
	if a.FailureCode != "" {
		row.Failure = strings.TrimSpace(a.FailureCode + " " + a.FailureMessage)
	}
	return row
}

// timeline is a checkout's events, oldest first, each with its webhook deliveries' status and
// last answer ("succeeded 204").
func (h *Handler) timeline(r *http.Request, m *store.Merchant, checkoutID string) ([]views.DashEvent, error) {
	events, _, err := h.events.Events(r.Context(), m, store.ListEvents{CheckoutID: checkoutID, Limit: 100})
	if err != nil {
		return nil, err
	}
	var out []views.DashEvent
	for i := len(events) - 1; i >= 0; i-- { // oldest first
		got, err := h.events.Event(r.Context(), m, events[i].ID)
		if err != nil {
			return nil, err
		}
		ev := views.DashEvent{ID: got.Event.ID, Type: got.Event.Type, CreatedAt: got.Event.CreatedAt}
		for _, d := range got.Deliveries {
			summary := d.Status
			if n := len(d.Attempts); n > 0 && d.Attempts[n-1].StatusCode != 0 {
				summary += " " + strconv.Itoa(d.Attempts[n-1].StatusCode)
			}
			ev.Deliveries = append(ev.Deliveries, summary)
		}
		out = append(out, ev)
	}
	return out, nil
}

// agreementCharges is how many of an agreement's charges, newest first, its checkout's page lists.
const agreementCharges = 50

// agreementSection is a subscription checkout's agreement as its page shows it.
func (h *Handler) agreementSection(r *http.Request, u *User, ag *store.Agreement) (*views.DashAgreement, error) {
	m := u.Merchant
	charges, more, err := h.payments.Charges(r.Context(), m, store.ListCharges{AgreementID: ag.ID, Limit: agreementCharges})
	if err != nil {
		return nil, err
	}
	a := &views.DashAgreement{ID: ag.ID, Status: ag.Status, Deactivating: checkout.Deactivating(ag), CreatedAt: ag.CreatedAt,
		MoreCharges: more, CanCharge: u.Owner() && checkout.Chargeable(ag), CanDeactivate: u.Owner() && !checkout.AgreementEnded(ag),
		MinAmount: m.MinAmount, MaxAmount: m.MaxAmount}
	for _, c := range charges {
		a.Charges = append(a.Charges, chargeRow(c))
	}
	return a, nil
}

package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// refundForm reads a dashboard refund form: the amount (whole won; empty refunds all that is
// left) and the reason.
func refundForm(r *http.Request) (amount *int64, reason string, err error) {
	if err := r.ParseForm(); err != nil {
		return nil, "", web.UnreadableBody(err)
	}
	reason = strings.TrimSpace(r.PostForm.Get("reason"))
	if v := strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("amount")), ",", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, "", web.Invalid("amount_invalid", "amount must be a positive whole number of won", "amount")
		}
		amount = &n
	}
	return amount, reason, nil
}

// ConfirmRefund serves POST /dashboard/payments/{paymentID}/refund/confirm: it shows what will be
// refunded, with a one-time token that makes the refund happen once however often it is sent.
func (h *Handler) ConfirmRefund(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	pay, _, err := h.payments.Payment(r.Context(), m, r.PathValue("paymentID"))
	if err != nil {
		return err
	}
	amount, reason, err := refundForm(r)
	left := pay.Amount - pay.RefundedAmount
	if left <= 0 {
		return web.Conflict("payment_refunded", "this payment is already fully refunded")
	}
	if amount == nil && err == nil {
		amount = &left
	}
	if err == nil && *amount > left {
		err = web.Invalid("amount_exceeds_remaining", "amount is more than is left to refund", "amount")
	}
	if err != nil {
		return h.refuseRefund(w, r, u, pay, err)
	}
	nav := h.nav(w, r, u, "checkouts")
	back, err := h.paymentPage(r, pay)
	if err != nil {
		return err
	}
	reference := ""
	if pay.CheckoutID != "" {
		st, err := h.checkouts.Checkout(r.Context(), m, pay.CheckoutID)
		if err != nil {
			return err
		}
		if st.Checkout.LinkID == "" {
			reference = st.Checkout.Reference
		}
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashRefundConfirm(views.DashRefundConfirmModel{Nav: nav, PaymentID: pay.ID,
		BackURL: back, Reference: reference, Amount: *amount, Left: left, Reason: reason, Token: rand.Text()}))
	return nil
}

// refuseRefund answers a refund form whose amount was refused with the payment's page again
// (its checkout's, or its charge's): the form keeps what was typed and says beside the field why
// (what is left, when it asked for more).
func (h *Handler) refuseRefund(w http.ResponseWriter, r *http.Request, u *User, pay *store.Payment, err error) error {
	var fe *web.Error
	if !errors.As(err, &fe) {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	l := views.L(ctx)
	message := l.T("dash.error.amount_invalid", nil)
	if fe.Code() == "amount_exceeds_remaining" {
		message = l.T("dash.refund.too_much", map[string]any{"Left": l.Won(pay.Amount - pay.RefundedAmount)})
	}
	refused := &refundRefusal{amount: strings.TrimSpace(r.PostForm.Get("amount")), reason: strings.TrimSpace(r.PostForm.Get("reason")), message: message}
	if pay.CheckoutID != "" {
		return h.renderCheckout(w, r, u, pay.CheckoutID, fe.Status(), refused)
	}
	ch, cerr := h.payments.ChargeOf(r.Context(), pay.ID)
	if cerr != nil || ch == nil {
		return err
	}
	return h.renderCharge(w, r, u, ch.ID, fe.Status(), refused)
}

// Refund serves POST /dashboard/payments/{paymentID}/refund: the confirmed refund. The form's
// token is an Idempotency-Key bound to the refund before KakaoPay is called, so a double click
// or a resent form refunds once.
func (h *Handler) Refund(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	amount, reason, err := refundForm(r)
	if err != nil {
		return err
	}
	token, err := confirmationToken(r)
	if err != nil {
		return err
	}
	paymentID := r.PathValue("paymentID")
	pay, _, err := h.payments.Payment(r.Context(), m, paymentID)
	if err != nil {
		return err
	}
	back, err := h.paymentPage(r, pay)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(paymentID + "\n" + r.PostForm.Get("amount") + "\n" + reason))
	held, done, err := h.reserve(r, m, "dashboard-refund-"+token, sum[:], "refund_in_progress")
	if err != nil || done { // done: the same confirmation again, its refund done or under way
		return h.redirectUnless(w, r, back, err)
	}
	rf, err := h.payments.CreateRefund(r.Context(), m, paymentID, payments.RefundParams{Amount: amount, Reason: reason, Key: held})
	h.settleKey(r, held, err)
	if err == nil {
		back += "?" + url.Values{"refund": {rf.ID}}.Encode() // the page says the refund was made
	}
	return h.redirectUnless(w, r, back, err)
}

// paymentPage is the dashboard page that shows a payment: its checkout's, or for a recurring
// charge's payment (which has no checkout), the charge's.
func (h *Handler) paymentPage(r *http.Request, pay *store.Payment) (string, error) {
	if pay.CheckoutID != "" {
		return "/dashboard/checkouts/" + pay.CheckoutID, nil
	}
	ch, err := h.payments.ChargeOf(r.Context(), pay.ID)
	if err != nil {
		return "", err
	}
	if ch == nil {
		return "", store.ErrNotFound
	}
	return "/dashboard/charges/" + ch.ID, nil
}

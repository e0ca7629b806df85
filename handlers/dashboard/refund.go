package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
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
	pay, _, err := h.svc.Payment(r.Context(), m, r.PathValue("paymentID"))
	if err != nil {
		return err
	}
	amount, reason, err := refundForm(r)
	if err != nil {
		return err
	}
	left := pay.Amount - pay.RefundedAmount
	if left <= 0 {
		return web.Conflict("payment_refunded", "this payment is already fully refunded")
	}
	if amount == nil {
		amount = &left
	}
	if *amount > left {
		return web.Invalid("amount_exceeds_remaining", "amount is more than is left to refund", "amount")
	}
	nav := h.nav(w, r, u, "checkouts")
	back, err := h.paymentPage(r, pay)
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashRefundConfirm(views.DashRefundConfirmModel{Nav: nav, PaymentID: pay.ID,
		BackURL: back, Amount: *amount, Left: left, Reason: reason, Token: rand.Text()}))
	return nil
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
	pay, _, err := h.svc.Payment(r.Context(), m, paymentID)
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
	_, err = h.svc.Refund(r.Context(), m, paymentID, checkout.RefundParams{Amount: amount, Reason: reason, Key: held})
	h.settleKey(r, held, err)
	return h.redirectUnless(w, r, back, err)
}

// paymentPage is the dashboard page that shows a payment: its checkout's, or for a recurring
// charge's payment (which has no checkout), the charge's.
func (h *Handler) paymentPage(r *http.Request, pay *store.Payment) (string, error) {
	if pay.CheckoutID != "" {
		return "/dashboard/checkouts/" + pay.CheckoutID, nil
	}
	ch, err := h.svc.ChargeOf(r.Context(), pay.ID)
	if err != nil {
		return "", err
	}
	if ch == nil {
		return "", store.ErrNotFound
	}
	return "/dashboard/charges/" + ch.ID, nil
}

package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// checkoutPage is the dashboard page of a checkout.
func checkoutPage(id string) string { return "/dashboard/checkouts/" + id }

// errNotOpen refuses to expire a checkout that is no longer open, saying what it is.
func errNotOpen(st *checkout.State) error {
	return web.StateConflict("checkout_"+st.Checkout.Status, "only an open checkout can be expired; this one is "+st.Checkout.Status)
}

// ShowExpireConfirm serves GET /dashboard/checkouts/{checkoutID}/expire: it asks an owner once
// more before ending an open checkout. A checkout that has expired already shows its page.
func (h *Handler) ShowExpireConfirm(w http.ResponseWriter, r *http.Request, u *User) error {
	st, err := h.checkouts.Checkout(r.Context(), u.Merchant, r.PathValue("checkoutID"))
	if err != nil {
		return err
	}
	c := st.Checkout
	switch {
	case st.Expired():
		http.Redirect(w, r, checkoutPage(c.ID), http.StatusSeeOther)
		return nil
	case !st.Open():
		return errNotOpen(st)
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashExpireConfirm(views.DashExpireConfirmModel{Nav: h.nav(w, r, u, "checkouts"),
		CheckoutID: c.ID, Reference: c.Reference, Amount: c.Amount}))
	return nil
}

// ExpireCheckout serves POST /dashboard/checkouts/{checkoutID}/expire: the confirmed expiry.
// Expiring is a move the state machine makes once, so a resent confirmation needs no token:
// it finds the checkout expired and shows its page. A paid or canceled checkout, or one whose
// shopper's approval is being confirmed, is refused with the reason.
func (h *Handler) ExpireCheckout(w http.ResponseWriter, r *http.Request, u *User) error {
	id := r.PathValue("checkoutID")
	if _, err := h.checkouts.Expire(r.Context(), u.Merchant, id, nil); err != nil {
		if st, rerr := h.checkouts.Checkout(r.Context(), u.Merchant, id); rerr != nil || !st.Expired() {
			return err
		}
	}
	http.Redirect(w, r, checkoutPage(id), http.StatusSeeOther)
	return nil
}

// chargeForm reads a dashboard charge form: the amount in whole won (thousands commas allowed)
// and the reference, checked against the merchant's limits.
func chargeForm(r *http.Request, m *store.Merchant) (payments.ChargeParams, error) {
	if err := r.ParseForm(); err != nil {
		return payments.ChargeParams{}, web.UnreadableBody(err)
	}
	p := payments.ChargeParams{Reference: strings.TrimSpace(r.PostForm.Get("reference"))}
	n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("amount")), ",", ""), 10, 64)
	if err != nil || n <= 0 {
		return p, web.Invalid("amount_invalid", "amount must be a positive whole number of won", "amount")
	}
	p.Amount = n
	return p, payments.CheckCharge(m, p)
}

// chargeableAgreement reads one of the merchant's agreements that may be charged now.
func (h *Handler) chargeableAgreement(r *http.Request, m *store.Merchant) (*store.Agreement, error) {
	ag, err := h.payments.Agreement(r.Context(), m, r.PathValue("agreementID"))
	switch {
	case err != nil:
		return nil, err
	case checkout.AgreementEnded(ag):
		return nil, web.StateConflict("agreement_inactive", "this agreement is inactive and cannot be charged")
	case checkout.Deactivating(ag):
		return nil, web.StateConflict("agreement_deactivating", "this agreement is being deactivated and cannot be charged")
	}
	return ag, nil
}

// ConfirmCharge serves POST /dashboard/agreements/{agreementID}/charge/confirm: it shows what
// will be charged, with a one-time token that makes the charge happen once however often it is
// sent. Bad amounts never reach this step.
func (h *Handler) ConfirmCharge(w http.ResponseWriter, r *http.Request, u *User) error {
	ag, err := h.chargeableAgreement(r, u.Merchant)
	if err != nil {
		return err
	}
	p, err := chargeForm(r, u.Merchant)
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashChargeConfirm(views.DashChargeConfirmModel{Nav: h.nav(w, r, u, "checkouts"),
		AgreementID: ag.ID, CheckoutID: ag.CheckoutID, Amount: p.Amount, Reference: p.Reference, Token: rand.Text()}))
	return nil
}

// Charge serves POST /dashboard/agreements/{agreementID}/charge: the confirmed charge. As with a
// refund, the form's token is an Idempotency-Key bound to the charge before KakaoPay is called,
// so a double click or a resent form charges once.
func (h *Handler) Charge(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	ag, err := h.payments.Agreement(r.Context(), m, r.PathValue("agreementID"))
	if err != nil {
		return err
	}
	p, err := chargeForm(r, m)
	if err != nil {
		return err
	}
	token, err := confirmationToken(r)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(ag.ID + "\n" + strconv.FormatInt(p.Amount, 10) + "\n" + p.Reference))
	held, done, err := h.reserve(r, m, "dashboard-charge-"+token, sum[:], "charge_in_progress")
	if err != nil || done {
		return h.redirectUnless(w, r, checkoutPage(ag.CheckoutID), err)
	}
	p.Key = held
	_, err = h.payments.CreateCharge(r.Context(), m, ag.ID, p)
	h.settleKey(r, held, err)
	return h.redirectUnless(w, r, checkoutPage(ag.CheckoutID), err)
}

// ShowDeactivateConfirm serves GET /dashboard/agreements/{agreementID}/deactivate: it asks an
// owner once more before ending an agreement. An inactive agreement shows its checkout's page.
func (h *Handler) ShowDeactivateConfirm(w http.ResponseWriter, r *http.Request, u *User) error {
	ag, err := h.payments.Agreement(r.Context(), u.Merchant, r.PathValue("agreementID"))
	if err != nil {
		return err
	}
	if checkout.AgreementEnded(ag) {
		http.Redirect(w, r, checkoutPage(ag.CheckoutID), http.StatusSeeOther)
		return nil
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashDeactivateConfirm(views.DashDeactivateConfirmModel{Nav: h.nav(w, r, u, "checkouts"),
		AgreementID: ag.ID, CheckoutID: ag.CheckoutID, Token: rand.Text()}))
	return nil
}

// DeactivateAgreement serves POST /dashboard/agreements/{agreementID}/deactivate: the confirmed
// deactivation, its token an Idempotency-Key bound to the agreement before KakaoPay is asked.
// Ending what has ended already is no error: the checkout's page shows it inactive.
func (h *Handler) DeactivateAgreement(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	ag, err := h.payments.Agreement(r.Context(), m, r.PathValue("agreementID"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	token, err := confirmationToken(r)
	if err != nil {
		return err
	}
	back := checkoutPage(ag.CheckoutID)
	if checkout.AgreementEnded(ag) {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	sum := sha256.Sum256([]byte(ag.ID))
	held, done, err := h.reserve(r, m, "dashboard-deactivate-"+token, sum[:], "deactivate_in_progress")
	if err != nil || done {
		return h.redirectUnless(w, r, back, err)
	}
	_, err = h.payments.Deactivate(r.Context(), m, ag.ID, held)
	h.settleKey(r, held, err)
	if err != nil { // ended meanwhile by another confirmation: what was asked is done
		if now, rerr := h.payments.Agreement(r.Context(), m, ag.ID); rerr == nil && checkout.AgreementEnded(now) {
			err = nil
		}
	}
	return h.redirectUnless(w, r, back, err)
}

// ShowCharge serves GET /dashboard/charges/{chargeID}: one of the merchant's charges, with the
// payment it made and a link to the checkout that set its agreement up.
func (h *Handler) ShowCharge(w http.ResponseWriter, r *http.Request, u *User) error {
	return h.renderCharge(w, r, u, r.PathValue("chargeID"), http.StatusOK, nil)
}

// renderCharge answers charge id's page with status; refused, when not nil, is its payment's
// refund form as typed with why it was refused.
func (h *Handler) renderCharge(w http.ResponseWriter, r *http.Request, u *User, id string, status int, refused *refundRefusal) error {
	m := u.Merchant
	ch, err := h.payments.Charge(r.Context(), m, id)
	if err != nil {
		return err
	}
	ag, err := h.payments.Agreement(r.Context(), m, ch.AgreementID)
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	p := views.DashChargeModel{Nav: h.nav(w, r, u, "checkouts"), Charge: chargeRow(ch), AgreementID: ag.ID, CheckoutID: ag.CheckoutID,
		Unknown: checkout.ChargeHeld(ch)}
	if ch.PaymentID != "" {
		if p.Payment, p.Notice, err = h.paymentSection(r, views.L(ctx), m, ch.PaymentID, refused); err != nil {
			return err
		}
	}
	h.pages.Render(w, r, ctx, status, views.DashCharge(p))
	return nil
}

// chargeRow is a charge as the dashboard lists it.
func chargeRow(c *store.Charge) views.DashChargeRow {
	row := views.DashChargeRow{ID: c.ID, Amount: c.Amount, Reference: c.Reference, Status: c.Status, PaymentID: c.PaymentID, CreatedAt: c.CreatedAt}
	if c.FailureCode != "" {
		row.Failure = strings.TrimSpace(c.FailureCode + " " + c.FailureMessage)
	}
	return row
}

package payments_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

// subscribe pays a subscription checkout of amount won and returns it with its agreement.
func subscribe(h *apptest.Harness, amount int64) (*store.Checkout, *store.Agreement) {
	h.T.Helper()
	c := h.CreateWith(checkout.CreateParams{Amount: amount, Mode: checkout.ModeSubscription, Reference: "SUB-1", Description: "월간 원두 구독"})
	h.Pay(c)
	ag := h.State(c.ID).Agreement
	if ag == nil {
		h.T.Fatalf("subscription %s has no agreement", c.ID)
	}
	return c, ag
}

func TestFirstSubscriptionPaymentCreatesAnAgreement(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, ag := subscribe(h, 9900)
	if ag.Status != string(checkout.AgreementActive) || !strings.HasPrefix(ag.ID, "agr_") || ag.CheckoutID != c.ID || ag.CID != kakaopay.TestSubscriptionCID {
		t.Fatalf("agreement %+v", ag)
	}
	st := h.State(c.ID)
	if st.Payment.AgreementID != ag.ID || st.Payment.CID != kakaopay.TestSubscriptionCID || st.Payment.Amount != 9900 {
		t.Errorf("first payment %+v", st.Payment)
	}
	if info := h.TID(st.Payment.TID); info.SID == "" || info.SID != ag.SID || info.CID != kakaopay.TestSubscriptionCID {
		t.Errorf("KakaoPay has %+v for agreement sid %q", info, ag.SID)
	}
	if got, err := h.Payments.AgreementOf(h.Ctx, c.ID); err != nil || got == nil || got.ID != ag.ID {
		t.Errorf("AgreementOf: %v %+v", err, got)
	}
	h.WantEvents(c.ID, "agreement.activated", 1)
	// A one-time payment sets up no agreement.
	one := h.Create(0)
	h.Pay(one)
	if got, err := h.Payments.AgreementOf(h.Ctx, one.ID); err != nil || got != nil || h.State(one.ID).Agreement != nil {
		t.Errorf("a one-time payment has agreement %+v (%v)", got, err)
	}
}

func TestChargeWithoutTheShopper(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, ag := subscribe(h, 9900)
	approves := h.Calls("approve")
	ch, err := h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: 9900, Reference: "SUB-1-2026-12"})
	if err != nil || ch.Status != string(checkout.ChargeSucceeded) || ch.PaymentID == "" || ch.Amount != 9900 || !strings.HasPrefix(ch.ID, "ch_") {
		t.Fatalf("charge: %v %+v", err, ch)
	}
	h.WantCalls("subscription", 1)
	h.WantCalls("approve", approves) // a charge never calls approve
	p, _ := h.Payment(ch.PaymentID)
	if p.AgreementID != ag.ID || p.CheckoutID != "" || p.Amount != 9900 {
		t.Errorf("charge payment %+v", p)
	}
	if got, err := h.Payments.ChargeOf(h.Ctx, p.ID); err != nil || got == nil || got.ID != ch.ID {
		t.Errorf("ChargeOf: %v %+v", err, got)
	}
	if got, err := h.Payments.Charge(h.Ctx, h.M, ch.ID); err != nil || got.Reference != "SUB-1-2026-12" {
		t.Errorf("Charge: %v %+v", err, got)
	}
	// A charge's payment is refunded like any other.
	if r, err := h.Payments.CreateRefund(h.Ctx, h.M, p.ID, payments.RefundParams{Amount: apptest.Won(4900)}); err != nil || r.Status != string(checkout.RefundSucceeded) {
		t.Fatalf("refund of a charge: %v %+v", err, r)
	}
	if p, _ := h.Payment(ch.PaymentID); p.RefundedAmount != 4900 {
		t.Errorf("charge payment refunded %d", p.RefundedAmount)
	}

	// KakaoPay declines 4,444 won: a failed charge that says why.
	_, err = h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: 4444})
	failed, _, lerr := h.Payments.Charges(h.Ctx, h.M, store.ListCharges{Status: string(checkout.ChargeFailed), Limit: 10})
	if lerr != nil || len(failed) != 1 || failed[0].PaymentID != "" {
		t.Fatalf("failed charges: %v %+v", lerr, failed)
	}
	e := apptest.WantUpstream(t, err, "kakaopay_refused", failed[0].ID)
	if !strings.Contains(e.Message, "잔액") {
		t.Errorf("the refusal does not say why: %q", e.Message)
	}
	for _, tc := range []struct {
		amount int64
		code   string
	}{{0, "amount_invalid"}, {50, "amount_too_small"}, {2_000_001, "amount_too_large"}} {
		_, err = h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: tc.amount})
		apptest.WantInvalid(t, err, tc.code, "amount")
	}
	h.WantCalls("subscription", 2) // invalid charges never reach KakaoPay
	_, _, err = h.Payments.Charges(h.Ctx, h.M, store.ListCharges{Status: "lost"})
	apptest.WantInvalid(t, err, "status_invalid", "status")
	for typ, n := range map[string]int{"charge.created": 2, "charge.succeeded": 1, "charge.failed": 1} {
		if got := h.Count(c.ID, typ); got != n {
			t.Errorf("%d %s events, want %d", got, typ, n)
		}
	}
}

func TestDeactivatedAgreementCannotBeCharged(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, ag := subscribe(h, 9900)
	got, err := h.Payments.Deactivate(h.Ctx, h.M, ag.ID, nil)
	if err != nil || got.Status != string(checkout.AgreementInactive) {
		t.Fatalf("deactivate: %v %+v", err, got)
	}
	h.WantCalls("inactive", 1)
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: h.SandboxURL, SecretKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := kp.SubscriptionStatus(h.Ctx, kakaopay.SIDRequest{CID: ag.CID, SID: ag.SID}); err != nil || st.Status != kakaopay.SubscriptionInactive {
		t.Errorf("KakaoPay still has the agreement: %+v %v", st, err)
	}
	_, err = h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: 9900})
	apptest.WantConflict(t, err, "agreement_inactive")
	h.WantCalls("subscription", 0) // on an inactive agreement
	_, err = h.Payments.Deactivate(h.Ctx, h.M, ag.ID, nil)
	apptest.WantConflict(t, err, "agreement_inactive")
	h.CheckOnce(c.ID, "inactive", "agreement.deactivated")

	other := h.Merchant("다른 상점")
	_, err = h.Payments.Agreement(h.Ctx, other, ag.ID)
	apptest.WantNotFound(t, err)
	_, err = h.Payments.CreateCharge(h.Ctx, other, ag.ID, payments.ChargeParams{Amount: 9900})
	apptest.WantNotFound(t, err)
}

// TestChargeWhoseCallTimesOutIsUnknown: KakaoPay charges, and its answer does not come before
// our call's deadline. The charge is recorded as unknown (the API's 202), not lost to the
// expired deadline as an error; nothing is asked of KakaoPay again.
func TestChargeWhoseCallTimesOutIsUnknown(t *testing.T) {
	t.Parallel()
	h := apptest.NewWith(t, apptest.Options{ApproveTimeout: 300 * time.Millisecond})
	c, ag := subscribe(h, 9900)
	h.Faults.Set("subscription", "hang", 1)
	ch, err := h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: 9900, Reference: "SUB-1-SLOW"})
	if err != nil || ch.Status != string(checkout.ChargeUnknown) {
		t.Fatalf("a charge whose answer timed out: %v %+v", err, ch)
	}
	h.CheckOnce(c.ID, "subscription", "charge.unknown")
}

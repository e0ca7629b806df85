package payments_test

import (
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestRefundWhoseAnswerIsLostIsSettledOnceAndRetriesAnswerIt(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	pay := h.Pay(c)
	refundWithKey := func(key string, amount int64) (*store.Refund, error) {
		t.Helper()
		held, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, key, key, time.Second)
		switch {
		case err != nil:
			t.Fatal(err)
		case prev != nil: // a retry: the refund its key is bound to, as it is now
			if prev.ObjectType != "refund" {
				t.Fatalf("key %s bound to %+v", key, prev)
			}
			return h.Payments.RefundOutcome(h.Ctx, prev.ObjectID)
		}
		return h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(amount), Key: held})
	}

	// KakaoPay refunds, and its answer is lost.
	h.Faults.Set("cancel", "drop", 1)
	r, err := refundWithKey("refund-1", 1000)
	if err != nil || r.Status != string(checkout.RefundPending) {
		t.Fatalf("refund with a lost answer: %v %+v", err, r)
	}
	if again, err := refundWithKey("refund-1", 1000); err != nil || again.ID != r.ID || again.Status != string(checkout.RefundPending) {
		t.Errorf("retry while pending: %v %+v", err, again)
	}
	h.Reconcile() // too young to settle: it may still be under way elsewhere
	if got, _ := h.Payments.Refund(h.Ctx, h.M, r.ID); got.Status != string(checkout.RefundPending) {
		t.Errorf("settled %s before SettleAfter", got.Status)
	}
	h.Clock.Add(31 * time.Second)
	h.Reconcile()
	h.Reconcile()
	if again, err := refundWithKey("refund-1", 1000); err != nil || again.ID != r.ID || again.Status != string(checkout.RefundSucceeded) {
		t.Errorf("retry once settled: %v %+v", err, again)
	}
	h.WantEvents(c.ID, "refund.succeeded", 1)

	// KakaoPay answered 500 without acting: settled as not made; the same key answers that
	// outcome, a new key refunds.
	h.Faults.Set("cancel", "fail", 1)
	r2, err := refundWithKey("refund-2", 2000)
	if err != nil || r2.Status != string(checkout.RefundPending) {
		t.Fatalf("refund answered 500: %v %+v", err, r2)
	}
	h.Clock.Add(31 * time.Second)
	h.Reconcile()
	_, err = refundWithKey("refund-2", 2000)
	apptest.WantUpstream(t, err, "kakaopay_refused", r2.ID)
	if r3, err := refundWithKey("refund-3", 2000); err != nil || r3.Status != string(checkout.RefundSucceeded) {
		t.Errorf("new refund: %v %+v", err, r3)
	}

	// A lost answer nobody reconciles is settled by the payment's next refund before it starts.
	h.Faults.Set("cancel", "drop", 1)
	r4, err := refundWithKey("refund-4", 500)
	if err != nil || r4.Status != string(checkout.RefundPending) {
		t.Fatalf("refund with a lost answer: %v %+v", err, r4)
	}
	h.Clock.Add(31 * time.Second)
	if r5, err := refundWithKey("refund-5", 500); err != nil || r5.Status != string(checkout.RefundSucceeded) {
		t.Fatalf("the next refund: %v %+v", err, r5)
	}
	if got, _ := h.Payments.Refund(h.Ctx, h.M, r4.ID); got.Status != string(checkout.RefundSucceeded) {
		t.Errorf("the lost refund is %s", got.Status)
	}

	p, _ := h.Payment(pay.ID)
	if info := h.TID(pay.TID); p.RefundedAmount != 4000 || info.CanceledAmount != 4000 {
		t.Errorf("refunded %d here and %d at KakaoPay, want 4000", p.RefundedAmount, info.CanceledAmount)
	}
	h.WantCalls("cancel", 4) // one per refund KakaoPay made
	h.WantEvents(c.ID, "refund.failed", 1)
}

func TestChargeWhoseAnswerIsLostIsUnknownAndNeverRepeated(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, ag := subscribe(h, 9900)
	for _, kind := range []string{"drop", "fail", "cut"} {
		before := h.Calls("subscription")
		h.Faults.Set("subscription", kind, 1)
		key := "charge-" + kind
		ch, err := h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: 9900, Reference: "M-" + kind, Key: h.Hold(key, key)})
		if err != nil || ch.Status != string(checkout.ChargeUnknown) || ch.PaymentID != "" {
			t.Fatalf("%s: charge %v %+v", kind, err, ch)
		}
		for range 2 { // the merchant's server retries: the same charge, never a second call
			_, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, key, key, time.Second)
			if err != nil || prev == nil || prev.ObjectType != "charge" || prev.ObjectID != ch.ID {
				t.Fatalf("%s: retry %v %+v", kind, err, prev)
			}
			if again, err := h.Payments.ChargeOutcome(h.Ctx, prev.ObjectID); err != nil || again.Status != string(checkout.ChargeUnknown) {
				t.Errorf("%s: retry answered %v %+v", kind, err, again)
			}
		}
		h.Clock.Add(time.Minute)
		h.Reconcile()
		if got := h.Calls("subscription") - before; got > 1 {
			t.Errorf("%s: %d subscription calls at KakaoPay for one key", kind, got)
		}
	}
	unknown, _, err := h.Payments.Charges(h.Ctx, h.M, store.ListCharges{Status: string(checkout.ChargeUnknown), Limit: 10})
	if err != nil || len(unknown) != 3 {
		t.Fatalf("unknown charges: %v %d", err, len(unknown))
	}
	h.WantEvents(c.ID, "charge.unknown", 3)
}

func TestDeactivateWhoseAnswerIsLost(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, ag := subscribe(h, 9900)
	// KakaoPay ends the sid, then both its answer and the status look-up are lost.
	h.Faults.Set("manage/subscription/inactive", "drop", 1)
	h.Faults.Set("manage/subscription/status", "fail", 1)
	_, err := h.Payments.Deactivate(h.Ctx, h.M, ag.ID, nil)
	apptest.WantUpstream(t, err, "kakaopay_unavailable", "")
	_, err = h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: 9900})
	apptest.WantConflict(t, err, "agreement_deactivating")
	if got, err := h.Payments.Deactivate(h.Ctx, h.M, ag.ID, nil); err != nil || got.Status != string(checkout.AgreementInactive) {
		t.Fatalf("retried deactivate: %v %+v", err, got)
	}
	h.Clock.Add(time.Minute)
	h.Reconcile()
	h.CheckOnce(c.ID, "inactive", "agreement.deactivated")

	// The reconciler finishes a deactivation nobody retries.
	_, ag2 := subscribe(h, 9900)
	h.Faults.Set("manage/subscription/inactive", "cut", 1)
	h.Faults.Set("manage/subscription/status", "fail", 1)
	_, err = h.Payments.Deactivate(h.Ctx, h.M, ag2.ID, nil)
	apptest.WantUpstream(t, err, "kakaopay_unavailable", "")
	h.Clock.Add(time.Minute)
	h.Reconcile()
	if got, err := h.Payments.Agreement(h.Ctx, h.M, ag2.ID); err != nil || got.Status != string(checkout.AgreementInactive) {
		t.Errorf("after reconciling: %v %+v", err, got)
	}
	h.WantCalls("inactive", 2) // one per agreement
}

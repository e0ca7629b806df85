package checkout

import (
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestEveryOrderStatusMovesALiveAttempt(t *testing.T) {
	for st, want := range map[kakaopay.OrderStatus]orderMove{
		kakaopay.StatusReady:             {},
		kakaopay.StatusSendTMS:           {to: AttemptAuthenticating},
		kakaopay.StatusOpenPayment:       {to: AttemptAuthenticating},
		kakaopay.StatusSelectMethod:      {to: AttemptAuthenticating},
		kakaopay.StatusARSWaiting:        {to: AttemptAuthenticating},
		kakaopay.StatusAuthPassword:      {to: AttemptAuthenticating},
		kakaopay.StatusSuccessPayment:    {to: AttemptApproved, paid: true},
		kakaopay.StatusPartCancelPayment: {to: AttemptApproved, paid: true},
		kakaopay.StatusCancelPayment:     {to: AttemptApproved, paid: true},
		kakaopay.StatusQuitPayment:       {to: AttemptCanceled, ending: true},
		kakaopay.StatusFailPayment:       {to: AttemptFailed, ending: true},
		kakaopay.StatusFailAuthPassword:  {to: AttemptFailed, ending: true},
		kakaopay.StatusIssuedSID:         {to: AttemptFailed, ending: true},
	} {
		if got := orderMoveOf(st); got != want {
			t.Errorf("%s: %+v, want %+v", st, got, want)
		}
		settled := want.to != "" && want.to != AttemptAuthenticating
		if orderSettled(st) != settled {
			t.Errorf("%s: settled %v, want %v", st, orderSettled(st), settled)
		}
		if want.to == "" {
			continue
		}
		for _, from := range []AttemptStatus{AttemptReady, AttemptAuthenticating} {
			a := &store.Attempt{Status: string(from)}
			if err := moveAttempt(a, want.to, time.Now()); err != nil && !(from == AttemptAuthenticating && want.to == AttemptAuthenticating) {
				t.Errorf("%s from %s: %v", st, from, err)
			}
		}
	}
}

func TestFinalStatusesDoNotMove(t *testing.T) {
	for _, from := range []AttemptStatus{AttemptApproved, AttemptFailed, AttemptCanceled, AttemptExpired} {
		a := &store.Attempt{Status: string(from)}
		if Live(a) {
			t.Errorf("%s is live", from)
		}
		for _, to := range []AttemptStatus{AttemptReady, AttemptAuthenticating, AttemptApproved, AttemptFailed, AttemptCanceled, AttemptExpired} {
			if err := moveAttempt(a, to, time.Now()); err == nil || a.Status != string(from) {
				t.Errorf("attempt %s → %s was allowed", from, to)
			}
		}
	}
	for _, from := range []CheckoutStatus{StatusPaid, StatusExpired, StatusCanceled} {
		c := &store.Checkout{Status: string(from)}
		if err := moveCheckout(c, StatusOpen, time.Now()); err == nil {
			t.Errorf("checkout %s → open was allowed", from)
		}
		if _, ok := ParseCheckoutStatus(string(from)); !ok {
			t.Errorf("%s does not parse", from)
		}
	}
	if _, ok := ParseCheckoutStatus("opened"); ok {
		t.Error(`"opened" parses`)
	}
}

func TestWhatFollowsAPaymentMovesOnce(t *testing.T) {
	now := time.Now()
	r := &store.Refund{Status: string(RefundPending)}
	if !RefundOpen(r) || MoveRefund(r, RefundSucceeded, now) != nil || !Refunded(r) || RefundOpen(r) {
		t.Fatalf("pending refund → succeeded: %+v", r)
	}
	if MoveRefund(r, RefundFailed, now) == nil {
		t.Error("a succeeded refund failed afterwards")
	}
	// A charge whose answer was lost is held, not final: KakaoPay's late answer still counts,
	// a second "lost" does not.
	c := &store.Charge{Status: string(ChargePending)}
	for _, step := range []struct {
		to   ChargeStatus
		want bool
	}{{ChargeUnknown, true}, {ChargeUnknown, false}, {ChargeSucceeded, true}, {ChargeFailed, false}} {
		if got := ChargeSettles(c, step.to); got != step.want {
			t.Fatalf("charge %s → %s settles: %v", c.Status, step.to, got)
		}
		if step.want && MoveCharge(c, step.to, now) != nil {
			t.Fatalf("charge → %s refused", step.to)
		}
	}
	if ChargeOpen(c) || ChargeHeld(c) || ChargeRefused(c) {
		t.Errorf("succeeded charge: open %v held %v refused %v", ChargeOpen(c), ChargeHeld(c), ChargeRefused(c))
	}
	a := &store.Agreement{Status: string(AgreementActive), DeactivateRequestedAt: now}
	if !Deactivating(a) || Chargeable(a) || AgreementEnded(a) {
		t.Errorf("an agreement being deactivated: deactivating %v chargeable %v ended %v", Deactivating(a), Chargeable(a), AgreementEnded(a))
	}
	if MoveAgreement(a, AgreementInactive, now) != nil || !AgreementEnded(a) || Deactivating(a) || MoveAgreement(a, AgreementActive, now) == nil {
		t.Errorf("an agreement ends once: %+v", a)
	}
	for _, s := range []string{"active", "inactive"} {
		if _, ok := ParseAgreementStatus(s); !ok {
			t.Errorf("agreement status %q does not parse", s)
		}
	}
	for _, s := range []string{"pending", "succeeded", "failed", "unknown"} {
		if _, ok := ParseChargeStatus(s); !ok {
			t.Errorf("charge status %q does not parse", s)
		}
	}
	if _, ok := ParseChargeStatus("lost"); ok {
		t.Error(`"lost" parses as a charge status`)
	}
}

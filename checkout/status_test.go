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

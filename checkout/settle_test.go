package checkout_test

import (
	"sync"
	"testing"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
)

func TestApproveReturnPaysTheCheckout(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, a, token := h.ApprovedInWallet(0)
	out, err := h.ReturnApprove(c, a, token)
	if err != nil {
		t.Fatal(err)
	}
	st := out.State
	if st.Checkout.Status != string(checkout.StatusPaid) || out.Attempt.Status != string(checkout.AttemptApproved) || out.Pending {
		t.Fatalf("after the approve return: checkout %s, attempt %s, pending %v", st.Checkout.Status, out.Attempt.Status, out.Pending)
	}
	p := st.Payment
	if p == nil || p.Amount != 11000 || p.RefundedAmount != 0 || p.AttemptID != a.ID || p.TID != a.TID || p.AID == "" || p.Method == "" {
		t.Fatalf("payment %+v", p)
	}
	if info := h.TID(a.TID); info.Status != "SUCCESS_PAYMENT" || info.TotalAmount != 11000 || info.PartnerOrderID != c.ID {
		t.Errorf("KakaoPay has %+v", info)
	}
	// The shopper reloads the return page: the same outcome, and KakaoPay is not asked again.
	again, err := h.ReturnApprove(c, a, token)
	if err != nil || again.State.Checkout.Status != string(checkout.StatusPaid) || again.State.Payment.ID != p.ID {
		t.Fatalf("repeated return: %v %+v", err, again)
	}
	wantSettledPaid(t, h, c)
	// A paid checkout takes no new attempt.
	_, err = h.Checkouts.Pay(h.Ctx, c.ID, checkout.DeviceDesktop)
	apptest.WantConflict(t, err, "checkout_paid")
}

func TestConcurrentApproveReturnsPayOnce(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, a, token := h.ApprovedInWallet(0)
	var wg sync.WaitGroup
	outs := make([]*checkout.Outcome, 20)
	errs := make([]error, len(outs))
	for i := range outs {
		wg.Go(func() {
			outs[i], errs[i] = h.ReturnApprove(c, a, token)
		})
	}
	wg.Wait()
	for i, out := range outs {
		if errs[i] != nil {
			t.Errorf("return %d: %v", i, errs[i])
			continue
		}
		// Each return's state is one snapshot: never the approved attempt of a checkout still open
		// (seen about once in 60 returns while the checkout and its attempts were read apart).
		if !checkout.Approved(out.Attempt) || !out.State.Paid() || out.Pending {
			t.Errorf("return %d saw checkout %s, attempt %s, pending %v", i, out.State.Checkout.Status, out.Attempt.Status, out.Pending)
		}
	}
	wantSettledPaid(t, h, c)
}

func TestForgedPGTokenChangesNothing(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	a := h.Start(c.ID)

	// Before the shopper approved in the wallet: KakaoPay is not asked to approve.
	_, err := h.ReturnApprove(c, a, "forgedtoken000000000")
	apptest.WantConflict(t, err, "not_approved")
	h.WantCalls("approve", 0) // for a token the wallet never gave
	_, err = h.ReturnApprove(c, a, "")
	apptest.WantInvalid(t, err, "pg_token_missing", "pg_token")

	// After the shopper approved: KakaoPay refuses the forged token and the attempt stays payable.
	token := h.ApproveInWallet(a)
	_, err = h.ReturnApprove(c, a, "forgedtoken000000000")
	apptest.WantConflict(t, err, "pg_token_invalid")
	st := h.State(c.ID)
	if st.Checkout.Status != string(checkout.StatusOpen) || st.Latest().Status == string(checkout.AttemptFailed) || st.Payment != nil {
		t.Fatalf("after a forged token: checkout %s, attempt %s", st.Checkout.Status, st.Latest().Status)
	}
	h.WantEvents(c.ID, "checkout.paid", 0) // after a forged token

	// The shopper's own token still pays, once.
	out, err := h.ReturnApprove(c, a, token)
	if err != nil || out.State.Checkout.Status != string(checkout.StatusPaid) {
		t.Fatalf("the real token: %v %+v", err, out)
	}
	// A forged token against the paid checkout is refused without asking KakaoPay.
	approves := h.Calls("approve")
	_, err = h.ReturnApprove(c, a, "forgedtoken000000000")
	apptest.WantConflict(t, err, "pg_token_mismatch")
	h.WantCalls("approve", approves) // after the forged return
	if p := h.State(c.ID).Payment; p == nil || p.Amount != 11000 {
		t.Errorf("payment %+v", p)
	}
}

func TestApproveRefusedByKakaoPayLeavesTheCheckoutPayable(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(4444) // the sandbox's wallet cannot pay 4,444 won
	a := h.Start(c.ID)
	out, err := h.ReturnApprove(c, a, h.ApproveInWallet(a))
	if err != nil {
		t.Fatal(err)
	}
	if out.Attempt.Status != string(checkout.AttemptFailed) || out.Attempt.FailureCode != "INSUFFICIENT_BALANCE" || out.Attempt.FailureMessage != "잔액이 부족합니다." {
		t.Errorf("attempt %s %s %q", out.Attempt.Status, out.Attempt.FailureCode, out.Attempt.FailureMessage)
	}
	if st := out.State; st.Checkout.Status != string(checkout.StatusOpen) || st.Payment != nil {
		t.Fatalf("checkout %s, payment %+v", st.Checkout.Status, st.Payment)
	}
	h.CheckOnce(c.ID, "approve", "attempt.failed")
	// The shopper can try again: a fresh attempt.
	next := h.Start(c.ID)
	if next.ID == a.ID || next.Status != string(checkout.AttemptReady) || next.TID == a.TID {
		t.Errorf("retry attempt %+v", next)
	}
}

func TestWalletCancelAndFailEndTheAttemptOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		action string
		status checkout.AttemptStatus
		code   string
	}{
		{"cancel", checkout.AttemptCanceled, "QUIT_PAYMENT"},
		{"fail", checkout.AttemptFailed, "FAIL_PAYMENT"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			h := apptest.New(t)
			c := h.Create(0)
			a := h.Start(c.ID)
			h.Wallet(a, tc.action)
			out, err := h.Checkouts.HandleReturn(h.Ctx, checkout.Return{CheckoutID: c.ID, AttemptID: a.ID, Kind: tc.action})
			if err != nil {
				t.Fatal(err)
			}
			if checkout.StatusOf(out.Attempt) != tc.status || out.Attempt.FailureCode != tc.code || out.State.Checkout.Status != string(checkout.StatusOpen) {
				t.Fatalf("attempt %s %s, checkout %s", out.Attempt.Status, out.Attempt.FailureCode, out.State.Checkout.Status)
			}
			h.WantEvents(c.ID, "attempt."+string(tc.status), 1)
			// The checkout is still payable, and pays.
			p := h.Pay(c)
			if p.Amount != 11000 || p.AttemptID == a.ID {
				t.Errorf("payment %+v", p)
			}
			h.WantCalls("approve", 1)
		})
	}
}

func TestReturnOfAnUnknownAttemptIsNotFound(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	h.Start(c.ID)
	_, err := h.Checkouts.HandleReturn(h.Ctx, checkout.Return{CheckoutID: c.ID, AttemptID: "att_nope", Kind: "approve", PGToken: "x"})
	apptest.WantNotFound(t, err)
	_, err = h.Checkouts.HandleReturn(h.Ctx, checkout.Return{CheckoutID: "cs_nope", AttemptID: "att_nope", Kind: "approve", PGToken: "x"})
	apptest.WantNotFound(t, err)
}

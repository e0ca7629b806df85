package checkout_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// waitFor polls cond in real time, for what the sandbox does on its own (a delayed approve).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantSettledPaid checks that a checkout ended paid by one approve call and one checkout.paid
// event, however often the reconciler ran.
func wantSettledPaid(t *testing.T, h *harness, c *store.Checkout) {
	t.Helper()
	st := h.state(c.ID)
	if st.Checkout.Status != string(checkout.StatusPaid) || st.Payment == nil || st.Payment.Amount != c.Amount || st.Latest().Status != string(checkout.AttemptApproved) {
		t.Fatalf("after reconciling: checkout %s, attempt %s, payment %+v", st.Checkout.Status, st.Latest().Status, st.Payment)
	}
	if n := h.calls("approve"); n != 1 {
		t.Errorf("%d approve calls, want 1", n)
	}
	if n := h.count(c.ID, "checkout.paid"); n != 1 {
		t.Errorf("%d checkout.paid events, want 1", n)
	}
}

func TestApproveWhoseAnswerIsLostIsSettledOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	a := h.start(c.ID)
	token := h.approveInWallet(a)
	h.faults.Set("approve", "drop", 1) // KakaoPay approves; its answer never reaches us
	out, err := h.returnApprove(c, a, token)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Pending || out.State.Checkout.Status != string(checkout.StatusOpen) || !checkout.Confirming(out.Attempt) {
		t.Fatalf("a lost approve answer: pending %v, checkout %s, attempt %s", out.Pending, out.State.Checkout.Status, out.Attempt.Status)
	}
	if info := h.tid(a.TID); info.Status != "SUCCESS_PAYMENT" {
		t.Fatalf("KakaoPay has %s", info.Status)
	}
	h.clock.Add(6 * time.Second)
	h.reconcile()
	h.reconcile() // the second pass changes nothing
	wantSettledPaid(t, h, c)
	// The shopper's reload after settlement answers the payment without asking KakaoPay again.
	if again, err := h.returnApprove(c, a, token); err != nil || again.State.Checkout.Status != string(checkout.StatusPaid) || again.Pending {
		t.Errorf("return after settlement: %v %+v", err, again)
	}
	wantSettledPaid(t, h, c)
}

func TestApproveTimeoutIsSettledOnce(t *testing.T) {
	t.Parallel()
	// Amount 5555: the sandbox answers approve only after a delay longer than our timeout.
	h := newHarnessWith(t, harnessOptions{approveDelay: 1500 * time.Millisecond, approveTimeout: 300 * time.Millisecond})
	c := h.create(5555)
	a := h.start(c.ID)
	out, err := h.returnApprove(c, a, h.approveInWallet(a))
	if err != nil || !out.Pending || out.State.Checkout.Status != string(checkout.StatusOpen) {
		t.Fatalf("a timed-out approve: %v %+v", err, out)
	}
	waitFor(t, "the sandbox approving", func() bool { return h.tid(a.TID).Status == "SUCCESS_PAYMENT" })
	h.clock.Add(6 * time.Second)
	h.reconcile()
	h.reconcile()
	wantSettledPaid(t, h, c)
}

func TestLostSubscriptionApprovalKeepsItsAgreement(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.createWith(checkout.CreateParams{Amount: 9900, Mode: checkout.ModeSubscription, Reference: "SUB-LOST"})
	a := h.start(c.ID)
	token := h.approveInWallet(a)
	h.faults.Set("approve", "drop", 1) // the answer with the sid is lost: the order API has it too
	if _, err := h.returnApprove(c, a, token); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(6 * time.Second)
	h.reconcile()
	h.reconcile()
	wantSettledPaid(t, h, c)
	ag := h.state(c.ID).Agreement
	if ag == nil || ag.Status != checkout.AgreementActive || ag.SID != h.tid(a.TID).SID {
		t.Fatalf("agreement %+v", ag)
	}
	if n := h.count(c.ID, "agreement.activated"); n != 1 {
		t.Errorf("%d agreement.activated events", n)
	}
	if ch, err := h.svc.Charge(h.ctx, h.m, ag.ID, checkout.ChargeParams{Amount: 5000}); err != nil || ch.Status != checkout.ChargeSucceeded {
		t.Errorf("charging the agreement: %v %+v", err, ch)
	}
}

func TestApproveReturnWhileTheOrderAPIIsDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	a := h.start(c.ID)
	token := h.approveInWallet(a)
	h.faults.Set("order", "fail", -1)
	out, err := h.returnApprove(c, a, token)
	if err != nil || !out.Pending || !checkout.Confirming(out.Attempt) {
		t.Fatalf("while KakaoPay cannot be asked: %v %+v", err, out)
	}
	if n := h.calls("approve"); n != 0 {
		t.Fatalf("%d approve calls before KakaoPay confirmed the wallet's approval", n)
	}
	h.clock.Add(6 * time.Second)
	h.reconcile()
	if st := h.state(c.ID); st.Checkout.Status != string(checkout.StatusOpen) {
		t.Fatalf("paid before KakaoPay confirmed: %s", st.Checkout.Status)
	}
	h.faults.Clear("order")
	h.reconcile()
	h.reconcile()
	wantSettledPaid(t, h, c)
}

func TestUnconfirmableApprovalEndsAfterTheGrace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	a := h.start(c.ID)
	token := h.approveInWallet(a)
	h.faults.Set("approve", "cut", 1) // our approve never reaches KakaoPay; we cannot know that
	if _, err := h.returnApprove(c, a, token); err != nil {
		t.Fatal(err)
	}
	h.faults.Set("order", "fail", -1) // and KakaoPay's order API stays down
	h.clock.Add(16 * time.Minute)
	h.reconcile()
	_, err := h.svc.Expire(h.ctx, h.m, c.ID, nil)
	wantError(t, err, checkout.KindConflict, "payment_in_progress", "")
	h.clock.Add(time.Hour)
	h.reconcile()
	st := h.state(c.ID)
	if a := st.Latest(); a.Status != string(checkout.AttemptFailed) || a.FailureCode != "APPROVE_UNCONFIRMED" {
		t.Errorf("attempt %s %s", a.Status, a.FailureCode)
	}
	if st.Checkout.Status != string(checkout.StatusExpired) || st.Payment != nil {
		t.Errorf("checkout %s, want expired", st.Checkout.Status)
	}
	if n := h.calls("approve"); n != 0 {
		t.Errorf("%d approve calls reached KakaoPay", n)
	}
}

func TestReconcilerEndsAbandonedAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	quit, idle := h.create(0), h.create(0)
	h.wallet(h.start(quit.ID), "cancel") // the shopper quits, but the return never reaches us
	h.start(idle.ID)
	h.clock.Add(6 * time.Second)
	h.reconcile()
	if a := h.state(quit.ID).Latest(); a.Status != string(checkout.AttemptCanceled) || a.FailureCode != "QUIT_PAYMENT" {
		t.Errorf("quit attempt is %s %s", a.Status, a.FailureCode)
	}
	if a := h.state(idle.ID).Latest(); a.Status != string(checkout.AttemptReady) {
		t.Errorf("idle attempt is %s before its tid dies", a.Status)
	}
	h.clock.Add(15 * time.Minute)
	h.reconcile()
	st := h.state(idle.ID)
	if st.Latest().Status != string(checkout.AttemptExpired) || st.Checkout.Status != string(checkout.StatusOpen) {
		t.Errorf("after 15 minutes: attempt %s, checkout %s (the checkout itself stays open)", st.Latest().Status, st.Checkout.Status)
	}
	if h.count(quit.ID, "attempt.canceled") != 1 || h.count(idle.ID, "attempt.expired") != 1 {
		t.Errorf("events %v and %v", h.events(quit.ID), h.events(idle.ID))
	}
}

func TestRefundWhoseAnswerIsLostIsSettledOnceAndRetriesAnswerIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	pay := h.pay(c)
	refundWithKey := func(key string, amount int64) (*store.Refund, error) {
		t.Helper()
		held, prev, err := h.svc.ReserveIdempotencyKey(h.ctx, h.m.ID, key, key, time.Second)
		switch {
		case err != nil:
			t.Fatal(err)
		case prev != nil: // a retry: the refund its key is bound to, as it is now
			if prev.ObjectType != "refund" {
				t.Fatalf("key %s bound to %+v", key, prev)
			}
			return h.svc.RefundOutcome(h.ctx, prev.ObjectID)
		}
		return h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(amount), Key: held})
	}

	// KakaoPay refunds, and its answer is lost.
	h.faults.Set("cancel", "drop", 1)
	r, err := refundWithKey("refund-1", 1000)
	if err != nil || r.Status != checkout.RefundPending {
		t.Fatalf("refund with a lost answer: %v %+v", err, r)
	}
	if again, err := refundWithKey("refund-1", 1000); err != nil || again.ID != r.ID || again.Status != checkout.RefundPending {
		t.Errorf("retry while pending: %v %+v", err, again)
	}
	h.reconcile() // too young to settle: it may still be under way elsewhere
	if got, _ := h.svc.RefundByID(h.ctx, h.m, r.ID); got.Status != checkout.RefundPending {
		t.Errorf("settled %s before SettleAfter", got.Status)
	}
	h.clock.Add(31 * time.Second)
	h.reconcile()
	h.reconcile()
	if again, err := refundWithKey("refund-1", 1000); err != nil || again.ID != r.ID || again.Status != checkout.RefundSucceeded {
		t.Errorf("retry once settled: %v %+v", err, again)
	}
	if n := h.count(c.ID, "refund.succeeded"); n != 1 {
		t.Errorf("%d refund.succeeded events", n)
	}

	// KakaoPay answered 500 without acting: settled as not made; the same key answers that
	// outcome, a new key refunds.
	h.faults.Set("cancel", "fail", 1)
	r2, err := refundWithKey("refund-2", 2000)
	if err != nil || r2.Status != checkout.RefundPending {
		t.Fatalf("refund answered 500: %v %+v", err, r2)
	}
	h.clock.Add(31 * time.Second)
	h.reconcile()
	_, err = refundWithKey("refund-2", 2000)
	wantError(t, err, checkout.KindUpstream, "kakaopay_refused", r2.ID)
	if r3, err := refundWithKey("refund-3", 2000); err != nil || r3.Status != checkout.RefundSucceeded {
		t.Errorf("new refund: %v %+v", err, r3)
	}

	// A lost answer nobody reconciles is settled by the payment's next refund before it starts.
	h.faults.Set("cancel", "drop", 1)
	r4, err := refundWithKey("refund-4", 500)
	if err != nil || r4.Status != checkout.RefundPending {
		t.Fatalf("refund with a lost answer: %v %+v", err, r4)
	}
	h.clock.Add(31 * time.Second)
	if r5, err := refundWithKey("refund-5", 500); err != nil || r5.Status != checkout.RefundSucceeded {
		t.Fatalf("the next refund: %v %+v", err, r5)
	}
	if got, _ := h.svc.RefundByID(h.ctx, h.m, r4.ID); got.Status != checkout.RefundSucceeded {
		t.Errorf("the lost refund is %s", got.Status)
	}

	p, _ := h.payment(pay.ID)
	if info := h.tid(pay.TID); p.RefundedAmount != 4000 || info.CanceledAmount != 4000 {
		t.Errorf("refunded %d here and %d at KakaoPay, want 4000", p.RefundedAmount, info.CanceledAmount)
	}
	if n := h.calls("cancel"); n != 4 {
		t.Errorf("%d cancel calls reached KakaoPay, want 4 (one per refund KakaoPay made)", n)
	}
	if n := h.count(c.ID, "refund.failed"); n != 1 {
		t.Errorf("%d refund.failed events", n)
	}
}

func TestChargeWhoseAnswerIsLostIsUnknownAndNeverRepeated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c, ag := h.subscribe(9900)
	for _, kind := range []string{"drop", "fail", "cut"} {
		before := h.calls("subscription")
		h.faults.Set("subscription", kind, 1)
		key := "charge-" + kind
		held, _, err := h.svc.ReserveIdempotencyKey(h.ctx, h.m.ID, key, key, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := h.svc.Charge(h.ctx, h.m, ag.ID, checkout.ChargeParams{Amount: 9900, Reference: "M-" + kind, Key: held})
		if err != nil || ch.Status != checkout.ChargeUnknown || ch.PaymentID != "" {
			t.Fatalf("%s: charge %v %+v", kind, err, ch)
		}
		for range 2 { // the merchant's server retries: the same charge, never a second call
			_, prev, err := h.svc.ReserveIdempotencyKey(h.ctx, h.m.ID, key, key, time.Second)
			if err != nil || prev == nil || prev.ObjectType != "charge" || prev.ObjectID != ch.ID {
				t.Fatalf("%s: retry %v %+v", kind, err, prev)
			}
			if again, err := h.svc.ChargeOutcome(h.ctx, prev.ObjectID); err != nil || again.Status != checkout.ChargeUnknown {
				t.Errorf("%s: retry answered %v %+v", kind, err, again)
			}
		}
		h.clock.Add(time.Minute)
		h.reconcile()
		if got := h.calls("subscription") - before; got > 1 {
			t.Errorf("%s: %d subscription calls at KakaoPay for one key", kind, got)
		}
	}
	unknown, err := h.svc.ListCharges(h.ctx, store.ListCharges{MerchantID: h.m.ID, Status: checkout.ChargeUnknown, Limit: 10})
	if err != nil || len(unknown) != 3 {
		t.Fatalf("unknown charges: %v %d", err, len(unknown))
	}
	if n := h.count(c.ID, "charge.unknown"); n != 3 {
		t.Errorf("%d charge.unknown events", n)
	}
}

func TestDeactivateWhoseAnswerIsLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c, ag := h.subscribe(9900)
	// KakaoPay ends the sid, then both its answer and the status look-up are lost.
	h.faults.Set("manage/subscription/inactive", "drop", 1)
	h.faults.Set("manage/subscription/status", "fail", 1)
	_, err := h.svc.Deactivate(h.ctx, h.m, ag.ID, nil)
	wantError(t, err, checkout.KindUpstream, "kakaopay_unavailable", "")
	_, err = h.svc.Charge(h.ctx, h.m, ag.ID, checkout.ChargeParams{Amount: 9900})
	wantError(t, err, checkout.KindConflict, "agreement_deactivating", "")
	if got, err := h.svc.Deactivate(h.ctx, h.m, ag.ID, nil); err != nil || got.Status != checkout.AgreementInactive {
		t.Fatalf("retried deactivate: %v %+v", err, got)
	}
	h.clock.Add(time.Minute)
	h.reconcile()
	if n := h.calls("inactive"); n != 1 {
		t.Errorf("%d inactive calls at KakaoPay, want 1", n)
	}
	if n := h.count(c.ID, "agreement.deactivated"); n != 1 {
		t.Errorf("%d agreement.deactivated events", n)
	}

	// The reconciler finishes a deactivation nobody retries.
	_, ag2 := h.subscribe(9900)
	h.faults.Set("manage/subscription/inactive", "cut", 1)
	h.faults.Set("manage/subscription/status", "fail", 1)
	_, err = h.svc.Deactivate(h.ctx, h.m, ag2.ID, nil)
	wantError(t, err, checkout.KindUpstream, "kakaopay_unavailable", "")
	h.clock.Add(time.Minute)
	h.reconcile()
	if got, err := h.svc.AgreementByID(h.ctx, h.m, ag2.ID); err != nil || got.Status != checkout.AgreementInactive {
		t.Errorf("after reconciling: %v %+v", err, got)
	}
	if n := h.calls("inactive"); n != 2 {
		t.Errorf("%d inactive calls reached KakaoPay, want 2 (one per agreement)", n)
	}
}

// TestReconcilerFollowsEveryWalletStep walks an attempt through the wallet's steps as KakaoPay
// reports them (OPEN_PAYMENT, SELECT_METHOD, ARS_WAITING, then a wrong password): the steps keep
// the attempt live and "in the wallet", the wrong password fails it, and nothing is approved.
func TestReconcilerFollowsEveryWalletStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	a := h.start(c.ID)
	walletBase := a.MobileURL[:strings.LastIndex(a.MobileURL, "/")]
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	step := func(method, path string, form url.Values, wantKakaoPay string) {
		t.Helper()
		var res *http.Response
		var err error
		if method == http.MethodGet {
			res, err = noRedirect.Get(walletBase + path)
		} else {
			res, err = noRedirect.PostForm(walletBase+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 400 {
			t.Fatalf("wallet %s %s: %d", method, path, res.StatusCode)
		}
		if got := h.tid(a.TID).Status; got != wantKakaoPay {
			t.Fatalf("after %s %s KakaoPay says %s, want %s", method, path, got, wantKakaoPay)
		}
		h.clock.Add(6 * time.Second)
		h.reconcile()
	}
	step(http.MethodGet, "/mInfo", nil, "OPEN_PAYMENT")
	if got := h.state(c.ID).Latest(); !checkout.WalletOpened(got) {
		t.Fatalf("after OPEN_PAYMENT the attempt is %s", got.Status)
	}
	step(http.MethodPost, "/method", url.Values{"method": {"MONEY"}}, "SELECT_METHOD")
	step(http.MethodPost, "/ars", url.Values{}, "ARS_WAITING")
	st := h.state(c.ID)
	if got := st.Latest(); !checkout.WalletOpened(got) || !checkout.Live(got) || !st.Open() {
		t.Fatalf("in the wallet the attempt is %s, the checkout %s", got.Status, st.Checkout.Status)
	}
	if n := h.count(c.ID, "attempt.authenticating"); n != 1 {
		t.Errorf("%d attempt.authenticating events for one stay in the wallet", n)
	}
	step(http.MethodPost, "/wrong-password", url.Values{}, "FAIL_AUTH_PASSWORD")
	st = h.state(c.ID)
	if got := st.Latest(); checkout.StatusOf(got) != checkout.AttemptFailed || got.FailureCode != "FAIL_AUTH_PASSWORD" || !st.Open() {
		t.Errorf("after a wrong password: attempt %s %s, checkout %s", got.Status, got.FailureCode, st.Checkout.Status)
	}
	if _, err := h.returnApprove(c, a, "forged-token"); err == nil {
		t.Error("an approve return for the failed attempt was accepted")
	}
	if n := h.calls("approve"); n != 0 {
		t.Errorf("%d approve calls reached KakaoPay", n)
	}
	h.pay(c) // the checkout is still payable with a new attempt
}

// TestClaimOfADeadInstanceIsApprovedByAnother: an instance claims an approved attempt and dies
// before it calls KakaoPay's approve. Its approve lease holds while its call could be under way;
// once it lapses, the reconciler (of any instance) approves with the kept pg_token, once.
func TestClaimOfADeadInstanceIsApprovedByAnother(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	a := h.start(c.ID)
	token := h.approveInWallet(a)
	now := h.clock.Now().UTC().Truncate(time.Millisecond)
	err := h.db.Transact(h.ctx, func(tx store.Tx) error { // the dead instance's claim, as claim writes it
		cur, err := tx.Attempt(h.ctx, a.ID)
		if err != nil {
			return err
		}
		cur.PGToken, cur.UpdatedAt = token, now
		if _, err := tx.TakeLease(h.ctx, &store.Lease{Name: "approve:" + a.ID, Holder: "inst_dead", ExpiresAt: now.Add(25 * time.Second)}, now); err != nil {
			return err
		}
		return tx.UpdateAttempt(h.ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Add(6 * time.Second)
	h.reconcile()
	if n := h.calls("approve"); n != 0 {
		t.Fatalf("%d approve calls while the claimer's lease holds", n)
	}
	h.clock.Add(20 * time.Second) // past the lease: 20 s approve timeout + 5 s
	h.reconcile()
	h.reconcile()
	wantSettledPaid(t, h, c)
}

// slowHarness is a service whose approve gives up after 300 ms, over a sandbox that takes an
// hour to approve amount 5555 unless the test finishes its approvals (FinishApprovals): KakaoPay
// works on the approval while the order API still says AUTH_PASSWORD.
func slowHarness(t *testing.T) *harness {
	return newHarnessWith(t, harnessOptions{approveDelay: time.Hour, approveTimeout: 300 * time.Millisecond})
}

// approvals counts the tids of attempts that KakaoPay approved (and did not cancel since).
func (h *harness) approvals(attempts ...*store.Attempt) int {
	h.t.Helper()
	n := 0
	for _, a := range attempts {
		if a != nil && h.tid(a.TID).Status == "SUCCESS_PAYMENT" {
			n++
		}
	}
	return n
}

// TestSlowApproveThenASecondAttemptApprovesOnce: KakaoPay takes longer to approve than our
// approve call waits. While its outcome is unknown the reconciler must not approve the tid again
// (KakaoPay refuses that, and the refusal is no answer), and the shopper cannot start and
// approve another attempt: KakaoPay approves one payment for the checkout.
func TestSlowApproveThenASecondAttemptApprovesOnce(t *testing.T) {
	t.Parallel()
	h := slowHarness(t)
	c := h.create(5555)
	first := h.start(c.ID)
	out, err := h.returnApprove(c, first, h.approveInWallet(first))
	if err != nil || !out.Pending {
		t.Fatalf("a slow approve: %v %+v", err, out)
	}
	h.clock.Add(time.Minute) // our call gave up long ago, and its lease lapsed
	h.reconcile()
	if n := h.calls("approve"); n != 1 {
		t.Errorf("%d approve calls for one tid while KakaoPay works on the first", n)
	}
	var second *store.Attempt
	if a, err := h.svc.Pay(h.ctx, c.ID, checkout.DeviceDesktop); err == nil { // the shopper tries again
		second = a
		if _, err := h.returnApprove(c, a, h.approveInWallet(a)); err == nil {
			h.sb.FinishApprovals()
		}
	} else {
		wantError(t, err, checkout.KindConflict, "payment_in_progress", "")
	}
	h.sb.FinishApprovals() // KakaoPay finishes the slow approvals
	h.clock.Add(time.Minute)
	h.reconcile()
	h.reconcile()
	if n := h.approvals(first, second); n != 1 {
		t.Errorf("KakaoPay approved %d payments for one checkout", n)
	}
	wantSettledPaid(t, h, c)
	if n := h.count(c.ID, "attempt.approved_after_paid"); n != 0 {
		t.Errorf("%d attempt.approved_after_paid events", n)
	}
}

// TestSlowApproveAtExpiryEndsPaid: a slow approve made 15 s before the checkout's expiry holds
// the checkout open past expires_at until KakaoPay's order API answers, then pays it.
func TestSlowApproveAtExpiryEndsPaid(t *testing.T) {
	t.Parallel()
	h := slowHarness(t)
	c := h.createWith(checkout.CreateParams{Amount: 5555, ExpiresIn: checkout.MinExpiresIn})
	h.clock.Add(c.ExpiresAt.Sub(h.clock.Now()) - 15*time.Second)
	a := h.start(c.ID)
	if out, err := h.returnApprove(c, a, h.approveInWallet(a)); err != nil || !out.Pending {
		t.Fatalf("a slow approve: %v %+v", err, out)
	}
	h.clock.Add(time.Minute) // past expires_at; KakaoPay still works on the approval
	for range 2 {
		h.reconcile()
		if _, err := h.svc.ExpireDue(h.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st := h.state(c.ID); st.Checkout.Status != string(checkout.StatusOpen) || !checkout.Confirming(st.Latest()) {
		t.Fatalf("while KakaoPay approves: checkout %s, attempt %s %s", st.Checkout.Status, st.Latest().Status, st.Latest().FailureCode)
	}
	h.sb.FinishApprovals()
	h.clock.Add(time.Minute)
	h.reconcile()
	wantSettledPaid(t, h, c)
	if n := h.count(c.ID, "checkout.expired"); n != 0 {
		t.Errorf("%d checkout.expired events for a paid checkout", n)
	}
}

// TestApprovalAfterTheGraceIsCanceledAtKakaoPay: KakaoPay's order API says AUTH_PASSWORD for
// longer than the tid's life and the grace, so the attempt ends and the checkout expires; when
// KakaoPay approves after all, the reconciler (which still looks such attempts up) cancels the
// payment at KakaoPay, once, and says so in events: the shopper's money comes back.
func TestApprovalAfterTheGraceIsCanceledAtKakaoPay(t *testing.T) {
	t.Parallel()
	h := slowHarness(t)
	c := h.create(5555)
	a := h.start(c.ID)
	if _, err := h.returnApprove(c, a, h.approveInWallet(a)); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(16 * time.Minute)
	h.reconcile()
	if st := h.state(c.ID); st.Checkout.Status != string(checkout.StatusOpen) {
		t.Fatalf("checkout %s while its approval is unknown", st.Checkout.Status)
	}
	h.clock.Add(time.Hour)
	h.reconcile()
	if st := h.state(c.ID); st.Checkout.Status != string(checkout.StatusExpired) || st.Latest().FailureCode != "APPROVE_UNCONFIRMED" {
		t.Fatalf("after the grace: checkout %s, attempt %s %s", st.Checkout.Status, st.Latest().Status, st.Latest().FailureCode)
	}
	h.sb.FinishApprovals() // KakaoPay approves after all
	h.clock.Add(time.Minute)
	h.reconcile()
	h.clock.Add(time.Minute)
	h.reconcile()
	if info := h.tid(a.TID); info.Status != "CANCEL_PAYMENT" || info.CanceledAmount != 5555 {
		t.Errorf("KakaoPay has %s, %d won canceled", info.Status, info.CanceledAmount)
	}
	if n := h.calls("cancel"); n != 1 {
		t.Errorf("%d cancel calls", n)
	}
	for _, typ := range []string{"attempt.approved_after_expiry", "attempt.voided"} {
		if n := h.count(c.ID, typ); n != 1 {
			t.Errorf("%d %s events: %v", n, typ, h.events(c.ID))
		}
	}
	if st := h.state(c.ID); st.Checkout.Status != string(checkout.StatusExpired) || st.Payment != nil {
		t.Errorf("checkout %s, payment %+v", st.Checkout.Status, st.Payment)
	}
}

// TestSecondApprovalOfAPaidCheckoutIsCanceledAtKakaoPay: should KakaoPay approve a second tid
// of a paid checkout anyway (here an approve call from elsewhere), the reconciler records it,
// cancels it at KakaoPay once and tells the merchant; the checkout's payment stays as it was.
func TestSecondApprovalOfAPaidCheckoutIsCanceledAtKakaoPay(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	phone, desk := h.start(c.ID), mustPay(t, h, c.ID, checkout.DeviceDesktop)
	deskToken := h.approveInWallet(desk)
	pay := h.pay(c) // pays with a new token of the phone's attempt
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: h.sbURL, SecretKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kp.Approve(h.ctx, kakaopay.ApproveRequest{CID: h.m.CID, TID: desk.TID, PartnerOrderID: c.ID, PartnerUserID: c.ID, PGToken: deskToken, TotalAmount: c.Amount}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(6 * time.Second)
	h.reconcile()
	h.clock.Add(time.Minute)
	h.reconcile()
	if info := h.tid(desk.TID); info.Status != "CANCEL_PAYMENT" || info.CanceledAmount != c.Amount {
		t.Errorf("KakaoPay has %s, %d won canceled, for the second tid", info.Status, info.CanceledAmount)
	}
	if info := h.tid(phone.TID); info.Status != "SUCCESS_PAYMENT" {
		t.Errorf("the paid tid is %s", info.Status)
	}
	if n := h.calls("cancel"); n != 1 {
		t.Errorf("%d cancel calls", n)
	}
	for _, typ := range []string{"attempt.approved_after_paid", "attempt.voided"} {
		if n := h.count(c.ID, typ); n != 1 {
			t.Errorf("%d %s events: %v", n, typ, h.events(c.ID))
		}
	}
	if p, refunds := h.payment(pay.ID); p.RefundedAmount != 0 || len(refunds) != 0 || p.AttemptID != phone.ID {
		t.Errorf("the checkout's payment changed: %+v %v", p, refunds)
	}
}

func mustPay(t *testing.T, h *harness, checkoutID, device string) *store.Attempt {
	t.Helper()
	a, err := h.svc.Pay(h.ctx, checkoutID, device)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

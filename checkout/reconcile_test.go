package checkout_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

// wantReconciledPaid runs the reconciler twice, as the server's sweeps do (the second pass
// changes nothing), and checks that the checkout ended paid, once.
func wantReconciledPaid(t *testing.T, h *apptest.Harness, c *store.Checkout) {
	t.Helper()
	h.Reconcile()
	h.Reconcile()
	wantSettledPaid(t, h, c)
}

// wantSettledPaid checks that a checkout ended paid by one approve call and one checkout.paid
// event, however often the shopper's returns or the reconciler came.
func wantSettledPaid(t *testing.T, h *apptest.Harness, c *store.Checkout) {
	t.Helper()
	st := h.State(c.ID)
	if st.Checkout.Status != string(checkout.StatusPaid) || st.Payment == nil || st.Payment.Amount != c.Amount || st.Latest().Status != string(checkout.AttemptApproved) {
		t.Fatalf("want paid: checkout %s, attempt %s, payment %+v", st.Checkout.Status, st.Latest().Status, st.Payment)
	}
	h.CheckOnce(c.ID, "approve", "checkout.paid")
}

func TestApproveWhoseAnswerIsLostIsSettledOnce(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, a, token := h.ApprovedInWallet(0)
	h.Faults.Set("approve", "drop", 1) // KakaoPay approves; its answer never reaches us
	out, err := h.ReturnApprove(c, a, token)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Pending || out.State.Checkout.Status != string(checkout.StatusOpen) || !checkout.Confirming(out.Attempt) {
		t.Fatalf("a lost approve answer: pending %v, checkout %s, attempt %s", out.Pending, out.State.Checkout.Status, out.Attempt.Status)
	}
	if info := h.TID(a.TID); info.Status != "SUCCESS_PAYMENT" {
		t.Fatalf("KakaoPay has %s", info.Status)
	}
	h.Clock.Add(6 * time.Second)
	wantReconciledPaid(t, h, c)
	// The shopper's reload after settlement answers the payment without asking KakaoPay again.
	if again, err := h.ReturnApprove(c, a, token); err != nil || again.State.Checkout.Status != string(checkout.StatusPaid) || again.Pending {
		t.Errorf("return after settlement: %v %+v", err, again)
	}
	wantSettledPaid(t, h, c)
}

func TestApproveTimeoutIsSettledOnce(t *testing.T) {
	t.Parallel()
	// Amount 5555: the sandbox answers approve only after a delay longer than our timeout.
	h := apptest.NewWith(t, apptest.Options{ApproveDelay: 1500 * time.Millisecond, ApproveTimeout: 300 * time.Millisecond})
	c, a, token := h.ApprovedInWallet(5555)
	out, err := h.ReturnApprove(c, a, token)
	if err != nil || !out.Pending || out.State.Checkout.Status != string(checkout.StatusOpen) {
		t.Fatalf("a timed-out approve: %v %+v", err, out)
	}
	checkout.WaitFor(t, "the sandbox approving", func() bool { return h.TID(a.TID).Status == "SUCCESS_PAYMENT" })
	h.Clock.Add(6 * time.Second)
	wantReconciledPaid(t, h, c)
}

func TestLostSubscriptionApprovalKeepsItsAgreement(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.CreateWith(checkout.CreateParams{Amount: 9900, Mode: checkout.ModeSubscription, Reference: "SUB-LOST"})
	a := h.Start(c.ID)
	token := h.ApproveInWallet(a)
	h.Faults.Set("approve", "drop", 1) // the answer with the sid is lost: the order API has it too
	if _, err := h.ReturnApprove(c, a, token); err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(6 * time.Second)
	wantReconciledPaid(t, h, c)
	ag := h.State(c.ID).Agreement
	if ag == nil || ag.Status != string(checkout.AgreementActive) || ag.SID != h.TID(a.TID).SID {
		t.Fatalf("agreement %+v", ag)
	}
	h.WantEvents(c.ID, "agreement.activated", 1)
	if ch, err := h.Payments.CreateCharge(h.Ctx, h.M, ag.ID, payments.ChargeParams{Amount: 5000}); err != nil || ch.Status != string(checkout.ChargeSucceeded) {
		t.Errorf("charging the agreement: %v %+v", err, ch)
	}
}

func TestApproveReturnWhileTheOrderAPIIsDown(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, a, token := h.ApprovedInWallet(0)
	h.Faults.Set("order", "fail", -1)
	out, err := h.ReturnApprove(c, a, token)
	if err != nil || !out.Pending || !checkout.Confirming(out.Attempt) {
		t.Fatalf("while KakaoPay cannot be asked: %v %+v", err, out)
	}
	if n := h.Calls("approve"); n != 0 {
		t.Fatalf("%d approve calls before KakaoPay confirmed the wallet's approval", n)
	}
	h.Clock.Add(6 * time.Second)
	h.Reconcile()
	if st := h.State(c.ID); st.Checkout.Status != string(checkout.StatusOpen) {
		t.Fatalf("paid before KakaoPay confirmed: %s", st.Checkout.Status)
	}
	h.Faults.Clear("order")
	wantReconciledPaid(t, h, c)
}

func TestUnconfirmableApprovalEndsAfterTheGrace(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, a, token := h.ApprovedInWallet(0)
	h.Faults.Set("approve", "cut", 1) // our approve never reaches KakaoPay; we cannot know that
	if _, err := h.ReturnApprove(c, a, token); err != nil {
		t.Fatal(err)
	}
	h.Faults.Set("order", "fail", -1) // and KakaoPay's order API stays down
	h.Clock.Add(16 * time.Minute)
	h.Reconcile()
	_, err := h.Checkouts.Expire(h.Ctx, h.M, c.ID, nil)
	apptest.WantConflict(t, err, "payment_in_progress")
	h.Clock.Add(time.Hour)
	h.Reconcile()
	st := h.State(c.ID)
	if a := st.Latest(); a.Status != string(checkout.AttemptFailed) || a.FailureCode != "APPROVE_UNCONFIRMED" {
		t.Errorf("attempt %s %s", a.Status, a.FailureCode)
	}
	if st.Checkout.Status != string(checkout.StatusExpired) || st.Payment != nil {
		t.Errorf("checkout %s, want expired", st.Checkout.Status)
	}
	h.WantCalls("approve", 0)
}

func TestReconcilerEndsAbandonedAttempts(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	quit, idle := h.Create(0), h.Create(0)
	h.Wallet(h.Start(quit.ID), "cancel") // the shopper quits, but the return never reaches us
	h.Start(idle.ID)
	h.Clock.Add(6 * time.Second)
	h.Reconcile()
	if a := h.State(quit.ID).Latest(); a.Status != string(checkout.AttemptCanceled) || a.FailureCode != "QUIT_PAYMENT" {
		t.Errorf("quit attempt is %s %s", a.Status, a.FailureCode)
	}
	if a := h.State(idle.ID).Latest(); a.Status != string(checkout.AttemptReady) {
		t.Errorf("idle attempt is %s before its tid dies", a.Status)
	}
	h.Clock.Add(15 * time.Minute)
	h.Reconcile()
	st := h.State(idle.ID)
	if st.Latest().Status != string(checkout.AttemptExpired) || st.Checkout.Status != string(checkout.StatusOpen) {
		t.Errorf("after 15 minutes: attempt %s, checkout %s (the checkout itself stays open)", st.Latest().Status, st.Checkout.Status)
	}
	if h.Count(quit.ID, "attempt.canceled") != 1 || h.Count(idle.ID, "attempt.expired") != 1 {
		t.Errorf("events %v and %v", h.EventTypes(quit.ID), h.EventTypes(idle.ID))
	}
}

// TestReconcilerFollowsEveryWalletStep walks an attempt through the wallet's steps as KakaoPay
// reports them (OPEN_PAYMENT, SELECT_METHOD, ARS_WAITING, then a wrong password): the steps keep
// the attempt live and "in the wallet", the wrong password fails it, and nothing is approved.
func TestReconcilerFollowsEveryWalletStep(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	a := h.Start(c.ID)
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
		if got := h.TID(a.TID).Status; got != wantKakaoPay {
			t.Fatalf("after %s %s KakaoPay says %s, want %s", method, path, got, wantKakaoPay)
		}
		h.Clock.Add(6 * time.Second)
		h.Reconcile()
	}
	step(http.MethodGet, "/mInfo", nil, "OPEN_PAYMENT")
	if got := h.State(c.ID).Latest(); !checkout.WalletOpened(got) {
		t.Fatalf("after OPEN_PAYMENT the attempt is %s", got.Status)
	}
	step(http.MethodPost, "/method", url.Values{"method": {"MONEY"}}, "SELECT_METHOD")
	step(http.MethodPost, "/ars", url.Values{}, "ARS_WAITING")
	st := h.State(c.ID)
	if got := st.Latest(); !checkout.WalletOpened(got) || !checkout.Live(got) || !st.Open() {
		t.Fatalf("in the wallet the attempt is %s, the checkout %s", got.Status, st.Checkout.Status)
	}
	h.WantEvents(c.ID, "attempt.authenticating", 1) // for one stay in the wallet
	step(http.MethodPost, "/wrong-password", url.Values{}, "FAIL_AUTH_PASSWORD")
	st = h.State(c.ID)
	if got := st.Latest(); checkout.StatusOf(got) != checkout.AttemptFailed || got.FailureCode != "FAIL_AUTH_PASSWORD" || !st.Open() {
		t.Errorf("after a wrong password: attempt %s %s, checkout %s", got.Status, got.FailureCode, st.Checkout.Status)
	}
	if _, err := h.ReturnApprove(c, a, "forged-token"); err == nil {
		t.Error("an approve return for the failed attempt was accepted")
	}
	h.WantCalls("approve", 0)
	h.Pay(c) // the checkout is still payable with a new attempt
}

// TestClaimOfADeadInstanceIsApprovedByAnother: an instance claims an approved attempt and dies
// before it calls KakaoPay's approve. Its approve lease holds while its call could be under way;
// once it lapses, the reconciler (of any instance) approves with the kept pg_token, once.
func TestClaimOfADeadInstanceIsApprovedByAnother(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c, a, token := h.ApprovedInWallet(0)
	now := h.Clock.Now().UTC().Truncate(time.Millisecond)
	err := h.DB.Transact(h.Ctx, func(tx store.Tx) error { // the dead instance's claim, as claim writes it
		cur, err := tx.Attempt(h.Ctx, a.ID)
		if err != nil {
			return err
		}
		cur.PGToken, cur.UpdatedAt = token, now
		if _, err := tx.TakeLease(h.Ctx, &store.Lease{Name: "approve:" + a.ID, Holder: "inst_dead", ExpiresAt: now.Add(25 * time.Second)}, now); err != nil {
			return err
		}
		return tx.UpdateAttempt(h.Ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(6 * time.Second)
	h.Reconcile()
	if n := h.Calls("approve"); n != 0 {
		t.Fatalf("%d approve calls while the claimer's lease holds", n)
	}
	h.Clock.Add(20 * time.Second) // past the lease: 20 s approve timeout + 5 s
	wantReconciledPaid(t, h, c)
}

// slowHarness is a service whose approve gives up after 300 ms, over a sandbox that takes an
// hour to approve amount 5555 unless the test finishes its approvals (FinishApprovals): KakaoPay
// works on the approval while the order API still says AUTH_PASSWORD.
func slowHarness(t *testing.T) *apptest.Harness {
	return apptest.NewWith(t, apptest.Options{ApproveDelay: time.Hour, ApproveTimeout: 300 * time.Millisecond})
}

// approvals counts the tids of attempts that KakaoPay approved (and did not cancel since).
// slowApprove has the shopper approve attempt a in the wallet and return while KakaoPay still
// works on the approval: the return answers that the payment is pending.
func slowApprove(h *apptest.Harness, c *store.Checkout, a *store.Attempt) {
	h.T.Helper()
	if out, err := h.ReturnApprove(c, a, h.ApproveInWallet(a)); err != nil || !out.Pending {
		h.T.Fatalf("a slow approve: %v %+v", err, out)
	}
}

func approvals(h *apptest.Harness, attempts ...*store.Attempt) int {
	h.T.Helper()
	n := 0
	for _, a := range attempts {
		if a != nil && h.TID(a.TID).Status == "SUCCESS_PAYMENT" {
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
	c := h.Create(5555)
	first := h.Start(c.ID)
	slowApprove(h, c, first)
	h.Clock.Add(time.Minute) // our call gave up long ago, and its lease lapsed
	h.Reconcile()
	h.WantCalls("approve", 1) // for one tid while KakaoPay works on the first
	var second *store.Attempt
	if a, err := h.Checkouts.Pay(h.Ctx, c.ID, checkout.DeviceDesktop); err == nil { // the shopper tries again
		second = a
		if _, err := h.ReturnApprove(c, a, h.ApproveInWallet(a)); err == nil {
			h.Sandbox.FinishApprovals()
		}
	} else {
		apptest.WantConflict(t, err, "payment_in_progress")
	}
	h.Sandbox.FinishApprovals() // KakaoPay finishes the slow approvals
	h.Clock.Add(time.Minute)
	h.Reconcile()
	h.Reconcile()
	if n := approvals(h, first, second); n != 1 {
		t.Errorf("KakaoPay approved %d payments for one checkout", n)
	}
	wantSettledPaid(t, h, c)
	h.WantEvents(c.ID, "attempt.approved_after_paid", 0)
}

// TestSlowApproveAtExpiryEndsPaid: a slow approve made 15 s before the checkout's expiry holds
// the checkout open past expires_at until KakaoPay's order API answers, then pays it.
func TestSlowApproveAtExpiryEndsPaid(t *testing.T) {
	t.Parallel()
	h := slowHarness(t)
	c := h.CreateWith(checkout.CreateParams{Amount: 5555, ExpiresIn: checkout.MinExpiresIn})
	h.Clock.Add(c.ExpiresAt.Sub(h.Clock.Now()) - 15*time.Second)
	slowApprove(h, c, h.Start(c.ID))
	h.Clock.Add(time.Minute) // past expires_at; KakaoPay still works on the approval
	for range 2 {
		h.Reconcile()
		if _, err := h.Checkouts.ExpireDue(h.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st := h.State(c.ID); st.Checkout.Status != string(checkout.StatusOpen) || !checkout.Confirming(st.Latest()) {
		t.Fatalf("while KakaoPay approves: checkout %s, attempt %s %s", st.Checkout.Status, st.Latest().Status, st.Latest().FailureCode)
	}
	h.Sandbox.FinishApprovals()
	h.Clock.Add(time.Minute)
	h.Reconcile()
	wantSettledPaid(t, h, c)
	h.WantEvents(c.ID, "checkout.expired", 0) // for a paid checkout
}

// TestApprovalAfterTheGraceIsCanceledAtKakaoPay: KakaoPay's order API says AUTH_PASSWORD for
// longer than the tid's life and the grace, so the attempt ends and the checkout expires; when
// KakaoPay approves after all, the reconciler (which still looks such attempts up) cancels the
// payment at KakaoPay, once, and says so in events: the shopper's money comes back.
func TestApprovalAfterTheGraceIsCanceledAtKakaoPay(t *testing.T) {
	t.Parallel()
	h := slowHarness(t)
	c, a, token := h.ApprovedInWallet(5555)
	if _, err := h.ReturnApprove(c, a, token); err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(16 * time.Minute)
	h.Reconcile()
	if st := h.State(c.ID); st.Checkout.Status != string(checkout.StatusOpen) {
		t.Fatalf("checkout %s while its approval is unknown", st.Checkout.Status)
	}
	h.Clock.Add(time.Hour)
	h.Reconcile()
	if st := h.State(c.ID); st.Checkout.Status != string(checkout.StatusExpired) || st.Latest().FailureCode != "APPROVE_UNCONFIRMED" {
		t.Fatalf("after the grace: checkout %s, attempt %s %s", st.Checkout.Status, st.Latest().Status, st.Latest().FailureCode)
	}
	h.Sandbox.FinishApprovals() // KakaoPay approves after all
	h.Clock.Add(time.Minute)
	h.Reconcile()
	h.Clock.Add(time.Minute)
	h.Reconcile()
	if info := h.TID(a.TID); info.Status != "CANCEL_PAYMENT" || info.CanceledAmount != 5555 {
		t.Errorf("KakaoPay has %s, %d won canceled", info.Status, info.CanceledAmount)
	}
	h.WantCalls("cancel", 1)
	for _, typ := range []string{"attempt.approved_after_expiry", "attempt.voided"} {
		h.WantEvents(c.ID, typ, 1)
	}
	if st := h.State(c.ID); st.Checkout.Status != string(checkout.StatusExpired) || st.Payment != nil {
		t.Errorf("checkout %s, payment %+v", st.Checkout.Status, st.Payment)
	}
}

// TestSecondApprovalOfAPaidCheckoutIsCanceledAtKakaoPay: should KakaoPay approve a second tid
// of a paid checkout anyway (here an approve call from elsewhere), the reconciler records it,
// cancels it at KakaoPay once and tells the merchant; the checkout's payment stays as it was.
func TestSecondApprovalOfAPaidCheckoutIsCanceledAtKakaoPay(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	phone, desk := h.Start(c.ID), mustPay(t, h, c.ID, checkout.DeviceDesktop)
	deskToken := h.ApproveInWallet(desk)
	pay := h.Pay(c) // pays with a new token of the phone's attempt
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: h.SandboxURL, SecretKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kp.Approve(h.Ctx, kakaopay.ApproveRequest{CID: h.M.CID, TID: desk.TID, PartnerOrderID: c.ID, PartnerUserID: c.ID, PGToken: deskToken, TotalAmount: c.Amount}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(6 * time.Second)
	h.Reconcile()
	h.Clock.Add(time.Minute)
	h.Reconcile()
	if info := h.TID(desk.TID); info.Status != "CANCEL_PAYMENT" || info.CanceledAmount != c.Amount {
		t.Errorf("KakaoPay has %s, %d won canceled, for the second tid", info.Status, info.CanceledAmount)
	}
	if info := h.TID(phone.TID); info.Status != "SUCCESS_PAYMENT" {
		t.Errorf("the paid tid is %s", info.Status)
	}
	h.WantCalls("cancel", 1)
	for _, typ := range []string{"attempt.approved_after_paid", "attempt.voided"} {
		h.WantEvents(c.ID, typ, 1)
	}
	if p, refunds := h.Payment(pay.ID); p.RefundedAmount != 0 || len(refunds) != 0 || p.AttemptID != phone.ID {
		t.Errorf("the checkout's payment changed: %+v %v", p, refunds)
	}
}

func mustPay(t *testing.T, h *apptest.Harness, checkoutID, device string) *store.Attempt {
	t.Helper()
	a, err := h.Checkouts.Pay(h.Ctx, checkoutID, device)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

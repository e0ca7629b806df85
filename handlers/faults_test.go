package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestTaxFreeShareLeavesTheLastWonRefundable(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(`{"amount":10000,"tax_free_amount":9999,"reference":"TF","success_url":"` + e.Shop.URL + `/ok","failure_url":"` + e.Shop.URL + `/no"}`)
	pay := e.PayByPhone(c.ID)
	var taxFree int64
	for i, body := range []string{`{"amount":1}`, `{"amount":1}`, `{"amount":3333}`, `{}`} {
		code, r, ae := e.Refund(pay, body)
		if code != http.StatusCreated || r.Status != "succeeded" {
			t.Fatalf("refund %d %s: %d %+v %+v", i, body, code, r, ae)
		}
		if r.TaxFreeAmount > r.Amount || r.TaxFreeAmount < 0 {
			t.Errorf("refund %d: tax-free %d of %d", i, r.TaxFreeAmount, r.Amount)
		}
		taxFree += r.TaxFreeAmount
	}
	if taxFree != 9999 {
		t.Errorf("refunded %d won tax-free, want 9999", taxFree)
	}
	if info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.CanceledAmount != 10000 {
		t.Errorf("KakaoPay canceled %d", info.CanceledAmount)
	}
}

func TestSubscriptionSettledByTheReconcilerKeepsItsAgreement(t *testing.T) {
	// Amount 5555: KakaoPay answers approve only after our timeout; the order API tells the rest.
	e := handlerstest.NewWith(t, handlerstest.Options{ApproveDelay: 1500 * time.Millisecond, HTTPTimeout: 300 * time.Millisecond})
	c := e.CreateCheckout(`{"amount":5555,"mode":"subscription","reference":"SUB-5555","success_url":"` + e.Shop.URL + `/ok","failure_url":"` + e.Shop.URL + `/no"}`)
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	deadline := time.Now().Add(5 * time.Second)
	for info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.Status != "SUCCESS_PAYMENT"; info, _ = e.Sandbox.Payment(e.AttemptTID(c.ID)) {
		if time.Now().After(deadline) {
			t.Fatal("the sandbox never approved")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.Clock.Add(6 * time.Second)
	e.Reconcile()
	e.Reconcile()
	var obj struct {
		Status    string  `json:"status"`
		Agreement *string `json:"agreement"`
	}
	e.API("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Status != "paid" || obj.Agreement == nil {
		t.Fatalf("after reconciling: %+v", obj)
	}
	if n := handlerstest.Count(e.Events(c.ID), "agreement.activated"); n != 1 {
		t.Errorf("%d agreement.activated events", n)
	}
	var ch handlerstest.ChargeObject
	if res := e.API("POST", "/v1/agreements/"+*obj.Agreement+"/charges", `{"amount":5000}`, &ch); res.StatusCode != 201 || ch.Status != "succeeded" {
		t.Errorf("charging the agreement: %d %+v", res.StatusCode, ch)
	}
	if n := e.Sandbox.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls", n)
	}
}

func TestChargeWhoseAnswerIsLostIsUnknownAndNeverRepeated(t *testing.T) {
	f := handlerstest.NewFaults()
	e := handlerstest.NewWith(t, handlerstest.Options{Faults: f})
	checkoutID, agr := e.Subscribe("9900")
	for _, kind := range []string{"drop", "fail", "cut"} {
		before := e.Sandbox.Calls("subscription")
		f.Set("subscription", kind, 1)
		var ch handlerstest.ChargeObject
		res := e.APIIdempotent("charge-"+kind, "POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900,"reference":"M-`+kind+`"}`, &ch)
		if res.StatusCode != http.StatusAccepted || ch.Status != "unknown" || !strings.HasPrefix(ch.ID, "ch_") {
			t.Fatalf("%s: charge answered %d %+v", kind, res.StatusCode, ch)
		}
		for range 2 { // the merchant's server retries: the same charge, never a second call
			var again handlerstest.ChargeObject
			res := e.APIIdempotent("charge-"+kind, "POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900,"reference":"M-`+kind+`"}`, &again)
			if res.StatusCode != http.StatusAccepted || again.ID != ch.ID || res.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("%s: retry answered %d %+v", kind, res.StatusCode, again)
			}
		}
		e.Clock.Add(time.Minute)
		e.Reconcile()
		if got := e.Sandbox.Calls("subscription") - before; got > 1 {
			t.Errorf("%s: %d subscription calls at KakaoPay for one key", kind, got)
		}
	}
	var list struct {
		Data []handlerstest.ChargeObject `json:"data"`
	}
	if res := e.API("GET", "/v1/charges?status=unknown", "", &list); res.StatusCode != 200 || len(list.Data) != 3 {
		t.Fatalf("unknown charges: %d %+v", res.StatusCode, list)
	}
	if n := handlerstest.Count(e.Events(checkoutID), "charge.unknown"); n != 3 {
		t.Errorf("%d charge.unknown events", n)
	}
	var ae handlerstest.APIError
	if res := e.API("GET", "/v1/charges?status=lost", "", &ae); res.StatusCode != 422 || ae.Error.Param == nil || *ae.Error.Param != "status" {
		t.Errorf("bad status filter: %d %+v", res.StatusCode, ae)
	}
}

func TestRefundWhoseAnswerIsLostIsSettledOnceAndRetriesAnswerIt(t *testing.T) {
	f := handlerstest.NewFaults()
	e := handlerstest.NewWith(t, handlerstest.Options{Faults: f})
	c := e.CreateCheckout("")
	pay := e.PayByPhone(c.ID)
	f.Set("cancel", "drop", 1)
	var r handlerstest.RefundObject
	res := e.APIIdempotent("refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &r)
	if res.StatusCode != http.StatusAccepted || r.Status != "pending" {
		t.Fatalf("refund with a lost answer: %d %+v", res.StatusCode, r)
	}
	var again handlerstest.RefundObject
	if res := e.APIIdempotent("refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &again); res.StatusCode != http.StatusAccepted || again.ID != r.ID {
		t.Errorf("retry while pending: %d %+v", res.StatusCode, again)
	}
	e.Clock.Add(31 * time.Second)
	e.Reconcile()
	if res := e.APIIdempotent("refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &again); res.StatusCode != http.StatusCreated || again.ID != r.ID || again.Status != "succeeded" {
		t.Errorf("retry once settled: %d %+v", res.StatusCode, again)
	}
	// KakaoPay answered 500 without acting: the refund is settled as not made, and a retry with
	// the same key answers that outcome; a new key refunds.
	f.Set("cancel", "fail", 1)
	if res := e.APIIdempotent("refund-2", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &r); res.StatusCode != http.StatusAccepted {
		t.Fatalf("refund answered 500: %d %+v", res.StatusCode, r)
	}
	e.Clock.Add(31 * time.Second)
	e.Reconcile()
	var ae handlerstest.APIError
	if res := e.APIIdempotent("refund-2", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &ae); res.StatusCode != http.StatusBadGateway || ae.Error.Param == nil || *ae.Error.Param != r.ID {
		t.Errorf("retry of a refund KakaoPay never made: %d %+v", res.StatusCode, ae)
	}
	if res := e.APIIdempotent("refund-3", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &r); res.StatusCode != http.StatusCreated {
		t.Errorf("new refund: %d %+v", res.StatusCode, r)
	}
	var p handlerstest.PaymentObject
	e.API("GET", "/v1/payments/"+pay, "", &p)
	if p.RefundedAmount != 3000 {
		t.Errorf("refunded %d, want 3000", p.RefundedAmount)
	}
	if info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.CanceledAmount != 3000 {
		t.Errorf("KakaoPay canceled %d, want 3000", info.CanceledAmount)
	}
	if n := e.Sandbox.Calls("cancel"); n != 2 {
		t.Errorf("%d cancel calls reached KakaoPay, want 2", n)
	}
}

func TestDeactivateWhoseAnswerIsLost(t *testing.T) {
	f := handlerstest.NewFaults()
	e := handlerstest.NewWith(t, handlerstest.Options{Faults: f})
	checkoutID, agr := e.Subscribe("9900")
	// KakaoPay ends the sid, then both its answer and the status look-up are lost.
	f.Set("manage/subscription/inactive", "drop", 1)
	f.Set("manage/subscription/status", "fail", 1)
	var ae handlerstest.APIError
	if res := e.API("POST", "/v1/agreements/"+agr+"/deactivate", "", &ae); res.StatusCode != http.StatusBadGateway || ae.Error.Code != "kakaopay_unavailable" {
		t.Fatalf("deactivate with a lost answer: %d %+v", res.StatusCode, ae)
	}
	if res := e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900}`, &ae); res.StatusCode != http.StatusConflict || ae.Error.Code != "agreement_deactivating" {
		t.Errorf("charging while deactivating: %d %+v", res.StatusCode, ae)
	}
	var ag handlerstest.AgreementObject
	if res := e.API("POST", "/v1/agreements/"+agr+"/deactivate", "", &ag); res.StatusCode != 200 || ag.Status != "inactive" {
		t.Fatalf("retried deactivate: %d %+v", res.StatusCode, ag)
	}
	e.Clock.Add(time.Minute)
	e.Reconcile()
	if n := e.Sandbox.Calls("inactive"); n != 1 {
		t.Errorf("%d inactive calls at KakaoPay", n)
	}
	if n := handlerstest.Count(e.Events(checkoutID), "agreement.deactivated"); n != 1 {
		t.Errorf("%d agreement.deactivated events", n)
	}

	// The reconciler finishes a deactivation nobody retries.
	_, agr2 := e.Subscribe("9900")
	f.Set("manage/subscription/inactive", "cut", 1)
	f.Set("manage/subscription/status", "fail", 1)
	if res := e.API("POST", "/v1/agreements/"+agr2+"/deactivate", "", &ae); res.StatusCode != http.StatusBadGateway {
		t.Fatalf("deactivate cut: %d %+v", res.StatusCode, ae)
	}
	e.Clock.Add(time.Minute)
	e.Reconcile()
	if e.API("GET", "/v1/agreements/"+agr2, "", &ag); ag.Status != "inactive" {
		t.Errorf("after reconciling: %+v", ag)
	}
	if n := e.Sandbox.Calls("inactive"); n != 2 {
		t.Errorf("%d inactive calls reached KakaoPay, want 2 (one per agreement)", n)
	}
}

func TestApproveReturnWhileTheOrderAPIIsDown(t *testing.T) {
	f := handlerstest.NewFaults()
	e := handlerstest.NewWith(t, handlerstest.Options{Faults: f})
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	f.Set("order", "fail", -1)
	res, html := phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if res.Request.URL.Path != "/c/"+c.ID || handlerstest.Page(t, html).Find(`[data-view="confirming"]`).Length() != 1 {
		t.Fatalf("while KakaoPay cannot be asked the phone sees %s %q", res.Request.URL, handlerstest.TextOf(handlerstest.Page(t, html), "status-text"))
	}
	e.Clock.Add(6 * time.Second)
	e.Reconcile()
	if st := e.Status(c.ID, ""); st.Status != "open" {
		t.Fatalf("paid before KakaoPay confirmed: %+v", st)
	}
	f.Clear("order")
	e.Reconcile()
	if st := e.Status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after the order API came back: %+v", st)
	}
	if n := e.Sandbox.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls", n)
	}
	if n := handlerstest.Count(e.Events(c.ID), "checkout.paid"); n != 1 {
		t.Errorf("%d checkout.paid events", n)
	}
}

func TestUnconfirmableApprovalEndsAfterTheGrace(t *testing.T) {
	f := handlerstest.NewFaults()
	e := handlerstest.NewWith(t, handlerstest.Options{Faults: f})
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	f.Set("approve", "cut", 1) // our approve never reaches KakaoPay; we cannot know that
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	f.Set("order", "fail", -1) // and KakaoPay's order API stays down
	e.Clock.Add(16 * time.Minute)
	e.Reconcile()
	var ae handlerstest.APIError
	if res := e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", &ae); res.StatusCode != http.StatusConflict {
		t.Errorf("expire while an approval is unconfirmed: %d %+v", res.StatusCode, ae)
	}
	e.Clock.Add(time.Hour)
	e.Reconcile()
	if a := e.LatestAttempt(c.ID); a.Status != "failed" || a.FailureCode != "APPROVE_UNCONFIRMED" {
		t.Errorf("attempt %s %s", a.Status, a.FailureCode)
	}
	if st := e.Status(c.ID, ""); st.Status != "expired" {
		t.Errorf("checkout %+v, want expired", st)
	}
}

package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/kakaopay"
)

func TestRecurringAgreement(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(`{"amount":9900,"mode":"subscription","reference":"SUB-1","description":"월간 원두 구독",` +
		`"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`)
	b := e.Browser(handlerstest.UAIPhone)
	_, html := b.Get(c.URL)
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "recurring"); !strings.Contains(got, "정기 결제") {
		t.Errorf("the page does not say it sets up recurring payments: %q", got)
	}
	_, html = b.Get(c.URL + "?lang=en")
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "recurring"); !strings.Contains(got, "recurring payments") {
		t.Errorf("English page: %q", got)
	}
	e.PayByPhone(c.ID)
	var obj struct {
		Agreement *string `json:"agreement"`
		Payment   struct {
			ID string `json:"id"`
		} `json:"payment"`
	}
	e.API("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Agreement == nil || !strings.HasPrefix(*obj.Agreement, "agr_") {
		t.Fatalf("checkout agreement %v", obj.Agreement)
	}
	agr := *obj.Agreement
	var ag handlerstest.AgreementObject
	e.API("GET", "/v1/agreements/"+agr, "", &ag)
	if ag.Status != "active" || ag.Object != "agreement" {
		t.Fatalf("agreement %+v", ag)
	}

	var ch handlerstest.ChargeObject
	res := e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900,"reference":"SUB-1-2026-12"}`, &ch)
	if res.StatusCode != 201 || ch.Status != "succeeded" || ch.Payment == nil {
		t.Fatalf("charge: %d %+v", res.StatusCode, ch)
	}
	if code, r, _ := e.Refund(*ch.Payment, `{"amount":4900}`); code != 201 || r.Status != "succeeded" {
		t.Fatalf("refund of a charge: %d %+v", code, r)
	}
	var p handlerstest.PaymentObject
	e.API("GET", "/v1/payments/"+*ch.Payment, "", &p)
	if p.RefundedAmount != 4900 || p.Agreement == nil || *p.Agreement != agr {
		t.Errorf("charge payment %+v", p)
	}
	var ae handlerstest.APIError
	res = e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":4444}`, &ae)
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(ae.Error.Message, "잔액") && !strings.Contains(ae.Error.Message, "INSUFFICIENT") {
		t.Errorf("declined charge: %d %+v", res.StatusCode, ae)
	}
	if res := e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":50}`, &ae); res.StatusCode != 400 {
		t.Errorf("charge below the minimum: %d", res.StatusCode)
	}
	var got handlerstest.ChargeObject
	if res := e.API("GET", "/v1/charges/"+ch.ID, "", &got); res.StatusCode != 200 || got.ID != ch.ID || got.Status != "succeeded" || *got.Payment != *ch.Payment {
		t.Errorf("reading the charge: %d %+v", res.StatusCode, got)
	}
	var failed struct {
		Data []struct {
			Amount      int64   `json:"amount"`
			FailureCode *string `json:"failure_code"`
		} `json:"data"`
	}
	e.API("GET", "/v1/charges?status=failed&agreement="+agr+"&limit=5", "", &failed)
	if len(failed.Data) != 1 || failed.Data[0].Amount != 4444 || failed.Data[0].FailureCode == nil {
		t.Errorf("the agreement's failed charges: %+v", failed)
	}

	res = e.API("POST", "/v1/agreements/"+agr+"/deactivate", "", &ag)
	if res.StatusCode != 200 || ag.Status != "inactive" {
		t.Fatalf("deactivate: %d %+v", res.StatusCode, ag)
	}
	if res := e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900}`, &ae); res.StatusCode != 409 || ae.Error.Code != "agreement_inactive" {
		t.Errorf("charging an inactive agreement: %d %+v", res.StatusCode, ae)
	}
	if res := e.API("POST", "/v1/agreements/"+agr+"/deactivate", "", &ae); res.StatusCode != 409 {
		t.Errorf("deactivating twice: %d", res.StatusCode)
	}
	kp, _ := kakaopay.New(kakaopay.Options{BaseURL: e.SandboxURL, SecretKey: "test-secret"})
	info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID))
	st, err := kp.SubscriptionStatus(t.Context(), kakaopay.SIDRequest{CID: kakaopay.TestSubscriptionCID, SID: info.SID})
	if err != nil || st.Status != kakaopay.SubscriptionInactive {
		t.Errorf("KakaoPay still has the agreement: %+v %v", st, err)
	}
	ev := e.Events(c.ID)
	for typ, n := range map[string]int{"agreement.activated": 1, "charge.succeeded": 1, "charge.failed": 1, "agreement.deactivated": 1} {
		if handlerstest.Count(ev, typ) != n {
			t.Errorf("%d %s events, want %d (%v)", handlerstest.Count(ev, typ), typ, n, ev)
		}
	}
	other := e.OtherMerchant()
	if res := e.APIAs(other.APIKey, "GET", "/v1/agreements/"+agr, "", nil, nil); res.StatusCode != 404 {
		t.Errorf("another merchant reads the agreement: %d", res.StatusCode)
	}
}

func TestSubscriptionSettledByTheReconcilerKeepsItsAgreement(t *testing.T) {
	// Amount 5555: KakaoPay answers approve only after our timeout; the order API tells the rest.
	e := handlerstest.NewWith(t, handlerstest.Options{ApproveDelay: 1500 * time.Millisecond, HTTPTimeout: 300 * time.Millisecond})
	c := e.CreateCheckout(`{"amount":5555,"mode":"subscription","reference":"SUB-5555","success_url":"` + e.Shop.URL + `/ok","failure_url":"` + e.Shop.URL + `/no"}`)
	phone := e.PhoneOn(c.ID)
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
	e, f := handlerstest.NewFaulty(t)
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
	if res := e.API("GET", "/v1/charges?status=lost", "", &ae); res.StatusCode != 400 || ae.Error.Param == nil || *ae.Error.Param != "status" {
		t.Errorf("bad status filter: %d %+v", res.StatusCode, ae)
	}
}

func TestDeactivateWhoseAnswerIsLost(t *testing.T) {
	e, f := handlerstest.NewFaulty(t)
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

package handlers_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultTransport plays a flaky network between kpcheckout and KakaoPay: per endpoint, the next
// calls can be dropped after KakaoPay acted ("drop"), answered 500 without reaching KakaoPay
// ("fail"), or cut before reaching it ("cut").
type faultTransport struct {
	mu    sync.Mutex
	rules map[string]*faultRule
}

type faultRule struct {
	kind string
	n    int // calls left; < 0: every call
}

func newFaults() *faultTransport { return &faultTransport{rules: map[string]*faultRule{}} }

// set makes the next n calls to endpoint ("cancel", "manage/subscription/inactive", …) fail as
// kind; n < 0 means every call until clear.
func (f *faultTransport) set(endpoint, kind string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules[endpoint] = &faultRule{kind: kind, n: n}
}

func (f *faultTransport) clear(endpoint string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.rules, endpoint)
}

func (f *faultTransport) take(endpoint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rules[endpoint]
	if r == nil || r.n == 0 {
		return ""
	}
	if r.n > 0 {
		r.n--
	}
	return r.kind
}

func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch f.take(strings.TrimPrefix(req.URL.Path, "/online/v1/payment/")) {
	case "drop":
		res, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return nil, errors.New("fault: connection reset after KakaoPay acted")
	case "fail":
		return &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"error_code":-9999,"error_message":"fault: internal error"}`))}, nil
	case "cut":
		return nil, errors.New("fault: connection refused")
	}
	return http.DefaultTransport.RoundTrip(req)
}

// apiWithKey calls the merchant API with an Idempotency-Key.
func (e *env) apiWithKey(key, method, path, body string, out any) *http.Response {
	e.t.Helper()
	return e.apiKey(e.key, method, path, body, out, map[string]string{"Idempotency-Key": key})
}

// subscribe pays a subscription checkout and returns its agreement id.
func (e *env) subscribe(amount string) (checkoutID, agreementID string) {
	e.t.Helper()
	c := e.createCheckout(`{"amount":` + amount + `,"mode":"subscription","reference":"SUB","success_url":"` + e.shop.URL + `/thanks","failure_url":"` + e.shop.URL + `/cart"}`)
	e.payByPhone(c.ID)
	var obj struct {
		Agreement *string `json:"agreement"`
	}
	e.api("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Agreement == nil {
		e.t.Fatalf("subscription %s has no agreement", c.ID)
	}
	return c.ID, *obj.Agreement
}

func (e *env) reconcile() {
	e.t.Helper()
	if err := e.svc.Reconcile(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func TestTaxFreeShareLeavesTheLastWonRefundable(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout(`{"amount":10000,"tax_free_amount":9999,"reference":"TF","success_url":"` + e.shop.URL + `/ok","failure_url":"` + e.shop.URL + `/no"}`)
	pay := e.payByPhone(c.ID)
	var taxFree int64
	for i, body := range []string{`{"amount":1}`, `{"amount":1}`, `{"amount":3333}`, `{}`} {
		code, r, ae := e.refund(pay, body)
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
	if info, _ := e.sb.Payment(e.attemptTID(c.ID)); info.CanceledAmount != 10000 {
		t.Errorf("KakaoPay canceled %d", info.CanceledAmount)
	}
}

func TestSubscriptionSettledByTheReconcilerKeepsItsAgreement(t *testing.T) {
	// Amount 5555: KakaoPay answers approve only after our timeout; the order API tells the rest.
	e := newEnvWith(t, envOptions{approveDelay: 1500 * time.Millisecond, httpTimeout: 300 * time.Millisecond})
	c := e.createCheckout(`{"amount":5555,"mode":"subscription","reference":"SUB-5555","success_url":"` + e.shop.URL + `/ok","failure_url":"` + e.shop.URL + `/no"}`)
	phone := e.browser(uaIPhone)
	phone.payOn(c.ID)
	phone.walletAct(e.attemptMobileURL(c.ID), "approve")
	deadline := time.Now().Add(5 * time.Second)
	for info, _ := e.sb.Payment(e.attemptTID(c.ID)); info.Status != "SUCCESS_PAYMENT"; info, _ = e.sb.Payment(e.attemptTID(c.ID)) {
		if time.Now().After(deadline) {
			t.Fatal("the sandbox never approved")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.clock.Add(6 * time.Second)
	e.reconcile()
	e.reconcile()
	var obj struct {
		Status    string  `json:"status"`
		Agreement *string `json:"agreement"`
	}
	e.api("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Status != "paid" || obj.Agreement == nil {
		t.Fatalf("after reconciling: %+v", obj)
	}
	if n := count(e.events(c.ID), "agreement.activated"); n != 1 {
		t.Errorf("%d agreement.activated events", n)
	}
	var ch chargeObj
	if res := e.api("POST", "/v1/agreements/"+*obj.Agreement+"/charges", `{"amount":5000}`, &ch); res.StatusCode != 201 || ch.Status != "succeeded" {
		t.Errorf("charging the agreement: %d %+v", res.StatusCode, ch)
	}
	if n := e.sb.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls", n)
	}
}

func TestChargeWhoseAnswerIsLostIsUnknownAndNeverRepeated(t *testing.T) {
	f := newFaults()
	e := newEnvWith(t, envOptions{faults: f})
	checkoutID, agr := e.subscribe("9900")
	for _, kind := range []string{"drop", "fail", "cut"} {
		before := e.sb.Calls("subscription")
		f.set("subscription", kind, 1)
		var ch chargeObj
		res := e.apiWithKey("charge-"+kind, "POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900,"reference":"M-`+kind+`"}`, &ch)
		if res.StatusCode != http.StatusAccepted || ch.Status != "unknown" || !strings.HasPrefix(ch.ID, "ch_") {
			t.Fatalf("%s: charge answered %d %+v", kind, res.StatusCode, ch)
		}
		for range 2 { // the merchant's server retries: the same charge, never a second call
			var again chargeObj
			res := e.apiWithKey("charge-"+kind, "POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900,"reference":"M-`+kind+`"}`, &again)
			if res.StatusCode != http.StatusAccepted || again.ID != ch.ID || res.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("%s: retry answered %d %+v", kind, res.StatusCode, again)
			}
		}
		e.clock.Add(time.Minute)
		e.reconcile()
		if got := e.sb.Calls("subscription") - before; got > 1 {
			t.Errorf("%s: %d subscription calls at KakaoPay for one key", kind, got)
		}
	}
	var list struct {
		Data []chargeObj `json:"data"`
	}
	if res := e.api("GET", "/v1/charges?status=unknown", "", &list); res.StatusCode != 200 || len(list.Data) != 3 {
		t.Fatalf("unknown charges: %d %+v", res.StatusCode, list)
	}
	if n := count(e.events(checkoutID), "charge.unknown"); n != 3 {
		t.Errorf("%d charge.unknown events", n)
	}
	var ae apiError
	if res := e.api("GET", "/v1/charges?status=lost", "", &ae); res.StatusCode != 400 || ae.Error.Param == nil || *ae.Error.Param != "status" {
		t.Errorf("bad status filter: %d %+v", res.StatusCode, ae)
	}
}

func TestRefundWhoseAnswerIsLostIsSettledOnceAndRetriesAnswerIt(t *testing.T) {
	f := newFaults()
	e := newEnvWith(t, envOptions{faults: f})
	c := e.createCheckout("")
	pay := e.payByPhone(c.ID)
	f.set("cancel", "drop", 1)
	var r refundObj
	res := e.apiWithKey("refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &r)
	if res.StatusCode != http.StatusAccepted || r.Status != "pending" {
		t.Fatalf("refund with a lost answer: %d %+v", res.StatusCode, r)
	}
	var again refundObj
	if res := e.apiWithKey("refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &again); res.StatusCode != http.StatusAccepted || again.ID != r.ID {
		t.Errorf("retry while pending: %d %+v", res.StatusCode, again)
	}
	e.clock.Add(31 * time.Second)
	e.reconcile()
	if res := e.apiWithKey("refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &again); res.StatusCode != http.StatusCreated || again.ID != r.ID || again.Status != "succeeded" {
		t.Errorf("retry once settled: %d %+v", res.StatusCode, again)
	}
	// KakaoPay answered 500 without acting: the refund is settled as not made, and a retry with
	// the same key answers that outcome; a new key refunds.
	f.set("cancel", "fail", 1)
	if res := e.apiWithKey("refund-2", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &r); res.StatusCode != http.StatusAccepted {
		t.Fatalf("refund answered 500: %d %+v", res.StatusCode, r)
	}
	e.clock.Add(31 * time.Second)
	e.reconcile()
	var ae apiError
	if res := e.apiWithKey("refund-2", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &ae); res.StatusCode != http.StatusBadGateway || ae.Error.Param == nil || *ae.Error.Param != r.ID {
		t.Errorf("retry of a refund KakaoPay never made: %d %+v", res.StatusCode, ae)
	}
	if res := e.apiWithKey("refund-3", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &r); res.StatusCode != http.StatusCreated {
		t.Errorf("new refund: %d %+v", res.StatusCode, r)
	}
	var p paymentObj
	e.api("GET", "/v1/payments/"+pay, "", &p)
	if p.RefundedAmount != 3000 {
		t.Errorf("refunded %d, want 3000", p.RefundedAmount)
	}
	if info, _ := e.sb.Payment(e.attemptTID(c.ID)); info.CanceledAmount != 3000 {
		t.Errorf("KakaoPay canceled %d, want 3000", info.CanceledAmount)
	}
	if n := e.sb.Calls("cancel"); n != 2 {
		t.Errorf("%d cancel calls reached KakaoPay, want 2", n)
	}
}

func TestDeactivateWhoseAnswerIsLost(t *testing.T) {
	f := newFaults()
	e := newEnvWith(t, envOptions{faults: f})
	checkoutID, agr := e.subscribe("9900")
	// KakaoPay ends the sid, then both its answer and the status look-up are lost.
	f.set("manage/subscription/inactive", "drop", 1)
	f.set("manage/subscription/status", "fail", 1)
	var ae apiError
	if res := e.api("POST", "/v1/agreements/"+agr+"/deactivate", "", &ae); res.StatusCode != http.StatusBadGateway || ae.Error.Code != "kakaopay_unavailable" {
		t.Fatalf("deactivate with a lost answer: %d %+v", res.StatusCode, ae)
	}
	if res := e.api("POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900}`, &ae); res.StatusCode != http.StatusConflict || ae.Error.Code != "agreement_deactivating" {
		t.Errorf("charging while deactivating: %d %+v", res.StatusCode, ae)
	}
	var ag agreementObj
	if res := e.api("POST", "/v1/agreements/"+agr+"/deactivate", "", &ag); res.StatusCode != 200 || ag.Status != "inactive" {
		t.Fatalf("retried deactivate: %d %+v", res.StatusCode, ag)
	}
	e.clock.Add(time.Minute)
	e.reconcile()
	if n := e.sb.Calls("inactive"); n != 1 {
		t.Errorf("%d inactive calls at KakaoPay", n)
	}
	if n := count(e.events(checkoutID), "agreement.deactivated"); n != 1 {
		t.Errorf("%d agreement.deactivated events", n)
	}

	// The reconciler finishes a deactivation nobody retries.
	_, agr2 := e.subscribe("9900")
	f.set("manage/subscription/inactive", "cut", 1)
	f.set("manage/subscription/status", "fail", 1)
	if res := e.api("POST", "/v1/agreements/"+agr2+"/deactivate", "", &ae); res.StatusCode != http.StatusBadGateway {
		t.Fatalf("deactivate cut: %d %+v", res.StatusCode, ae)
	}
	e.clock.Add(time.Minute)
	e.reconcile()
	if e.api("GET", "/v1/agreements/"+agr2, "", &ag); ag.Status != "inactive" {
		t.Errorf("after reconciling: %+v", ag)
	}
	if n := e.sb.Calls("inactive"); n != 2 {
		t.Errorf("%d inactive calls reached KakaoPay, want 2 (one per agreement)", n)
	}
}

func TestApproveReturnWhileTheOrderAPIIsDown(t *testing.T) {
	f := newFaults()
	e := newEnvWith(t, envOptions{faults: f})
	c := e.createCheckout("")
	phone := e.browser(uaIPhone)
	phone.payOn(c.ID)
	f.set("order", "fail", -1)
	res, html := phone.walletAct(e.attemptMobileURL(c.ID), "approve")
	if res.Request.URL.Path != "/c/"+c.ID || page(t, html).Find(`[data-view="confirming"]`).Length() != 1 {
		t.Fatalf("while KakaoPay cannot be asked the phone sees %s %q", res.Request.URL, testid(page(t, html), "status-text"))
	}
	e.clock.Add(6 * time.Second)
	e.reconcile()
	if st := e.status(c.ID, ""); st.Status != "open" {
		t.Fatalf("paid before KakaoPay confirmed: %+v", st)
	}
	f.clear("order")
	e.reconcile()
	if st := e.status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after the order API came back: %+v", st)
	}
	if n := e.sb.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls", n)
	}
	if n := count(e.events(c.ID), "checkout.paid"); n != 1 {
		t.Errorf("%d checkout.paid events", n)
	}
}

func TestUnconfirmableApprovalEndsAfterTheGrace(t *testing.T) {
	f := newFaults()
	e := newEnvWith(t, envOptions{faults: f})
	c := e.createCheckout("")
	phone := e.browser(uaIPhone)
	phone.payOn(c.ID)
	f.set("approve", "cut", 1) // our approve never reaches KakaoPay; we cannot know that
	phone.walletAct(e.attemptMobileURL(c.ID), "approve")
	f.set("order", "fail", -1) // and KakaoPay's order API stays down
	e.clock.Add(16 * time.Minute)
	e.reconcile()
	var ae apiError
	if res := e.api("POST", "/v1/checkouts/"+c.ID+"/expire", "", &ae); res.StatusCode != http.StatusConflict {
		t.Errorf("expire while an approval is unconfirmed: %d %+v", res.StatusCode, ae)
	}
	e.clock.Add(time.Hour)
	e.reconcile()
	if a := e.latestAttempt(c.ID); a.Status != "failed" || a.FailureCode != "APPROVE_UNCONFIRMED" {
		t.Errorf("attempt %s %s", a.Status, a.FailureCode)
	}
	if st := e.status(c.ID, ""); st.Status != "expired" {
		t.Errorf("checkout %+v, want expired", st)
	}
}

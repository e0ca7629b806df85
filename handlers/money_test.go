package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/kakaopay"
)

func TestRefundsFullPartialAndRepeated(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	pay := e.PayByPhone(c.ID)

	code, r1, _ := e.Refund(pay, `{"amount":3000,"reason":"한 잔 취소"}`)
	if code != http.StatusCreated || r1.Status != "succeeded" || r1.Amount != 3000 || !strings.HasPrefix(r1.ID, "re_") {
		t.Fatalf("partial refund: %d %+v", code, r1)
	}
	if code, r, _ := e.Refund(pay, `{"amount":5000}`); code != 201 || r.Status != "succeeded" {
		t.Fatalf("second refund: %d %+v", code, r)
	}
	code, _, ae := e.Refund(pay, `{"amount":4000}`)
	if code != http.StatusUnprocessableEntity || ae.Error.Code != "amount_exceeds_remaining" || ae.Error.Param == nil || *ae.Error.Param != "amount" {
		t.Fatalf("refund above what is left: %d %+v", code, ae)
	}
	for _, bad := range []string{`{"amount":0}`, `{"amount":-5}`, `{"amount":1.5}`, `{"amount":"100"}`, `{"amont":1}`, `[`} {
		if code, _, ae := e.Refund(pay, bad); code < 400 || code >= 500 || ae.Error.Code == "" {
			t.Errorf("refund %s: %d %+v", bad, code, ae)
		}
	}
	code, rest, _ := e.Refund(pay, `{}`) // all that is left
	if code != 201 || rest.Amount != 3000 {
		t.Fatalf("refund the rest: %d %+v", code, rest)
	}
	if code, _, ae := e.Refund(pay, `{}`); code != http.StatusConflict || ae.Error.Code != "payment_refunded" {
		t.Errorf("refund a fully refunded payment: %d %+v", code, ae)
	}
	var p handlerstest.PaymentObject
	e.API("GET", "/v1/payments/"+pay, "", &p)
	if p.Amount != 11000 || p.RefundedAmount != 11000 || len(p.Refunds) != 3 {
		t.Fatalf("payment %+v", p)
	}
	var got handlerstest.RefundObject
	if res := e.API("GET", "/v1/refunds/"+r1.ID, "", &got); res.StatusCode != 200 || got.Amount != 3000 || got.Payment != pay {
		t.Errorf("GET refund: %d %+v", res.StatusCode, got)
	}
	if info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.CanceledAmount != 11000 || info.Status != "CANCEL_PAYMENT" {
		t.Errorf("sandbox recorded %+v", info)
	}
	if n := handlerstest.Count(e.Events(c.ID), "refund.succeeded"); n != 3 {
		t.Errorf("%d refund.succeeded events", n)
	}
	var ae2 handlerstest.APIError
	if res := e.API("GET", "/v1/payments/pay_nope", "", &ae2); res.StatusCode != 404 {
		t.Errorf("unknown payment: %d", res.StatusCode)
	}
}

func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	e := handlerstest.New(t)
	c := e.AmountCheckout("10000")
	pay := e.PayByPhone(c.ID)
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = e.Refund(pay, `{"amount":1500}`)
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, code := range codes {
		switch {
		case code == 201:
			ok++
		case code >= 400 && code < 500:
			refused++
		default:
			t.Errorf("a refund answered %d", code)
		}
	}
	if ok != 6 || refused != 4 {
		t.Fatalf("%d refunds succeeded and %d were refused; want 6 and 4 (codes %v)", ok, refused, codes)
	}
	var p handlerstest.PaymentObject
	e.API("GET", "/v1/payments/"+pay, "", &p)
	info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID))
	if p.RefundedAmount != 9000 || info.CanceledAmount != 9000 {
		t.Fatalf("refunded %d here and %d at KakaoPay, want 9000", p.RefundedAmount, info.CanceledAmount)
	}
}

func TestRefundWindowCloses(t *testing.T) {
	e := handlerstest.New(t)
	pay := e.PayByPhone(e.CreateCheckout("").ID)
	e.Clock.Add(366 * 24 * time.Hour)
	code, _, ae := e.Refund(pay, `{"amount":1000}`)
	if code != http.StatusConflict || ae.Error.Code != "refund_window_closed" || !strings.Contains(ae.Error.Message, "365 days") {
		t.Fatalf("refund after a year: %d %+v", code, ae)
	}
}

func TestRefundRefusedByKakaoPayChangesNothing(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	pay := e.PayByPhone(c.ID)
	// Someone refunds behind our back at KakaoPay: our view of what is left is now wrong, and
	// KakaoPay's consistency guard refuses our next refund.
	kp, _ := kakaopay.New(kakaopay.Options{BaseURL: e.SandboxURL, SecretKey: "test-secret"})
	if _, err := kp.Cancel(context.Background(), kakaopay.CancelRequest{CID: kakaopay.TestCID, TID: e.AttemptTID(c.ID), CancelAmount: 1000}); err != nil {
		t.Fatal(err)
	}
	code, _, ae := e.Refund(pay, `{"amount":2000}`)
	if code != http.StatusBadGateway || ae.Error.Type != "kakaopay_error" || ae.Error.Message == "" {
		t.Fatalf("refused refund: %d %+v", code, ae)
	}
	var p handlerstest.PaymentObject
	e.API("GET", "/v1/payments/"+pay, "", &p)
	if p.RefundedAmount != 0 || len(p.Refunds) != 1 || p.Refunds[0].Status != "failed" || p.Refunds[0].FailureCode == nil {
		t.Fatalf("payment after a refused refund: %+v", p)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "refund.failed") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestRefundIdempotencyKey(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	pay := e.PayByPhone(c.ID)
	hdr := map[string]string{"Idempotency-Key": "refund-1"}
	var a, b handlerstest.RefundObject
	e.APIAs(e.Key, "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &a, hdr)
	e.APIAs(e.Key, "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &b, hdr)
	if a.ID == "" || a.ID != b.ID {
		t.Fatalf("a retried refund made %q and %q", a.ID, b.ID)
	}
	if info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.CanceledAmount != 1000 {
		t.Errorf("KakaoPay canceled %d", info.CanceledAmount)
	}
}

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
	if res := e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":50}`, &ae); res.StatusCode != 422 {
		t.Errorf("charge below the minimum: %d", res.StatusCode)
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
	st, err := kp.SubscriptionStatus(context.Background(), kakaopay.SIDRequest{CID: kakaopay.TestSubscriptionCID, SID: info.SID})
	if err != nil || st.Status != kakaopay.SubscriptionInactive {
		t.Errorf("KakaoPay still has the agreement: %+v %v", st, err)
	}
	ev := e.Events(c.ID)
	for typ, n := range map[string]int{"agreement.activated": 1, "charge.succeeded": 1, "charge.failed": 1, "agreement.deactivated": 1} {
		if handlerstest.Count(ev, typ) != n {
			t.Errorf("%d %s events, want %d (%v)", handlerstest.Count(ev, typ), typ, n, ev)
		}
	}
	other, _ := e.Service.CreateMerchant(context.Background(), checkout.NewMerchant{Name: "다른 상점"})
	if res := e.APIAs(other.APIKey, "GET", "/v1/agreements/"+agr, "", nil, nil); res.StatusCode != 404 {
		t.Errorf("another merchant reads the agreement: %d", res.StatusCode)
	}
}

func TestReconcilerSettlesApproveTimeout(t *testing.T) {
	// Amount 5555: KakaoPay answers approve only after a delay longer than our timeout.
	e := handlerstest.NewWith(t, handlerstest.Options{ApproveDelay: 1500 * time.Millisecond, HTTPTimeout: 300 * time.Millisecond})
	c := e.AmountCheckout("5555")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	res, html := phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if res.Request.URL.Path != "/c/"+c.ID || handlerstest.Page(t, html).Find(`[data-view="confirming"]`).Length() != 1 {
		t.Fatalf("after a timed-out approve the phone sees %s %q", res.Request.URL, handlerstest.TextOf(handlerstest.Page(t, html), "status-text"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.Status == "SUCCESS_PAYMENT" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sandbox never approved")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.Clock.Add(6 * time.Second)
	for range 2 { // twice: the second pass changes nothing
		if err := e.Service.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.Status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after reconciling: %+v", st)
	}
	if n := e.Sandbox.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls", n)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestReconcilerEndsAbandonedAttempts(t *testing.T) {
	e := handlerstest.New(t)
	quit := e.CreateCheckout("")
	idle := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(quit.ID)
	phone.PayOn(idle.ID)
	// The shopper quits in the wallet, but KakaoPay's return never reaches us.
	_, html := phone.Get(e.AttemptMobileURL(quit.ID))
	action, _ := handlerstest.Page(t, html).Find(`[data-testid="wallet-cancel"]`).Closest("form").Attr("action")
	if res, _ := phone.Do(phone.NoRedirect(), "POST", action, strings.NewReader(""), nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("wallet cancel: %d", res.StatusCode)
	}
	e.Clock.Add(6 * time.Second)
	if err := e.Service.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := e.LatestAttempt(quit.ID); a.Status != "canceled" {
		t.Errorf("quit attempt is %q", a.Status)
	}
	if a := e.LatestAttempt(idle.ID); a.Status != "ready" {
		t.Errorf("idle attempt is %q before its tid dies", a.Status)
	}
	e.Clock.Add(15 * time.Minute)
	if err := e.Service.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := e.LatestAttempt(idle.ID); a.Status != "expired" {
		t.Errorf("idle attempt is %q after 15 minutes", a.Status)
	}
	if st := e.Status(idle.ID, ""); st.Status != "open" {
		t.Errorf("the checkout itself stays open: %+v", st)
	}
}

package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/kakaopay"
)

func TestRefundsFullPartialAndRepeated(t *testing.T) {
	e := handlerstest.New(t)
	c, pay := e.PaidCheckout()

	code, r1, _ := e.Refund(pay, `{"amount":3000,"reason":"한 잔 취소"}`)
	if code != http.StatusCreated || r1.Status != "succeeded" || r1.Amount != 3000 || !strings.HasPrefix(r1.ID, "re_") {
		t.Fatalf("partial refund: %d %+v", code, r1)
	}
	if code, r, _ := e.Refund(pay, `{"amount":5000}`); code != 201 || r.Status != "succeeded" {
		t.Fatalf("second refund: %d %+v", code, r)
	}
	code, _, ae := e.Refund(pay, `{"amount":4000}`)
	if code != http.StatusBadRequest || ae.Error.Code != "amount_exceeds_remaining" || ae.Error.Param == nil || *ae.Error.Param != "amount" {
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
	codes := make([]int, 10)
	handlerstest.AtOnce(len(codes), func(i int) {
		codes[i], _, _ = e.Refund(pay, `{"amount":1500}`)
	})
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
	c, pay := e.PaidCheckout()
	// Someone refunds behind our back at KakaoPay: our view of what is left is now wrong, and
	// KakaoPay's consistency guard refuses our next refund.
	kp, _ := kakaopay.New(kakaopay.Options{BaseURL: e.SandboxURL, SecretKey: "test-secret"})
	if _, err := kp.Cancel(t.Context(), kakaopay.CancelRequest{CID: kakaopay.TestCID, TID: e.AttemptTID(c.ID), CancelAmount: 1000}); err != nil {
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
	c, pay := e.PaidCheckout()
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

func TestRefundWhoseAnswerIsLostIsSettledOnceAndRetriesAnswerIt(t *testing.T) {
	e, f := handlerstest.NewFaulty(t)
	c, pay := e.PaidCheckout()
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

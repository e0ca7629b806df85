package checkout_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestTaxFreeShare(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		amount, taxFree, refund int64
		done                    []*store.Refund // earlier refunds
		want                    int64
	}{
		{"no tax-free part", 10000, 0, 3000, nil, 0},
		{"in proportion", 10000, 5000, 3000, nil, 1500},
		{"rounded down", 10000, 3333, 1000, nil, 333},
		{"all tax-free", 10000, 10000, 1, nil, 1},
		{"the first won of 9,999 tax-free", 10000, 9999, 1, nil, 0},
		{"the next won must be tax-free", 10000, 9999, 1, []*store.Refund{{Amount: 1, TaxFreeAmount: 0, Status: "succeeded"}}, 1},
		{"the rest takes all the tax-free left", 10000, 7000, 4000, []*store.Refund{{Amount: 6000, TaxFreeAmount: 4200, Status: "succeeded"}}, 2800},
		{"failed refunds do not count", 10000, 5000, 10000, []*store.Refund{{Amount: 2000, TaxFreeAmount: 1000, Status: "failed"}}, 5000},
		{"never more taxable than is left", 10000, 9000, 2000, []*store.Refund{{Amount: 7000, TaxFreeAmount: 6000, Status: "succeeded"}}, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pay := &store.Payment{Amount: tc.amount, TaxFreeAmount: tc.taxFree}
			for _, r := range tc.done {
				if r.Status == "succeeded" {
					pay.RefundedAmount += r.Amount
				}
			}
			if got := checkout.TaxFreeShare(pay, tc.done, tc.refund); got != tc.want {
				t.Errorf("taxFreeShare = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRefundsFullPartialAndRepeated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	pay := h.pay(c)

	r1, err := h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(3000), Reason: "한 잔 취소"})
	if err != nil || r1.Status != checkout.RefundSucceeded || r1.Amount != 3000 || r1.PaymentID != pay.ID || !strings.HasPrefix(r1.ID, "re_") {
		t.Fatalf("partial refund: %v %+v", err, r1)
	}
	if r, err := h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(5000)}); err != nil || r.Status != checkout.RefundSucceeded {
		t.Fatalf("second partial refund: %v %+v", err, r)
	}
	_, err = h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(4000)})
	wantError(t, err, checkout.KindInvalid, "amount_exceeds_remaining", "amount")
	for _, bad := range []int64{0, -5} {
		_, err = h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(bad)})
		wantError(t, err, checkout.KindInvalid, "amount_invalid", "amount")
	}
	_, err = h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(1), Reason: strings.Repeat("가", 201)})
	wantError(t, err, checkout.KindInvalid, "string_too_long", "reason")

	rest, err := h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{}) // all that is left
	if err != nil || rest.Amount != 3000 || rest.Status != checkout.RefundSucceeded {
		t.Fatalf("refund the rest: %v %+v", err, rest)
	}
	_, err = h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{})
	wantError(t, err, checkout.KindConflict, "payment_refunded", "")

	p, refunds := h.payment(pay.ID)
	if p.Amount != 11000 || p.RefundedAmount != 11000 || len(refunds) != 3 {
		t.Fatalf("payment %+v with %d refunds", p, len(refunds))
	}
	if got, err := h.svc.RefundByID(h.ctx, h.m, r1.ID); err != nil || got.Amount != 3000 || got.Reason != "한 잔 취소" {
		t.Errorf("RefundByID: %v %+v", err, got)
	}
	if info := h.tid(pay.TID); info.CanceledAmount != 11000 || info.Status != "CANCEL_PAYMENT" {
		t.Errorf("KakaoPay recorded %+v", info)
	}
	if n := h.calls("cancel"); n != 3 {
		t.Errorf("%d cancel calls for 3 refunds (refused ones never reach KakaoPay)", n)
	}
	if n := h.count(c.ID, "refund.succeeded"); n != 3 {
		t.Errorf("%d refund.succeeded events", n)
	}
	if st := h.state(c.ID); st.Checkout.Status != string(checkout.StatusPaid) {
		t.Errorf("a refunded checkout is %s", st.Checkout.Status)
	}

	_, _, err = h.svc.Payment(h.ctx, h.m, "pay_nope")
	wantError(t, err, checkout.KindNotFound, "resource_missing", "id")
	other, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.Refund(h.ctx, other.Merchant, pay.ID, checkout.RefundParams{Amount: won(1)})
	wantError(t, err, checkout.KindNotFound, "resource_missing", "id")
	_, err = h.svc.RefundByID(h.ctx, other.Merchant, r1.ID)
	wantError(t, err, checkout.KindNotFound, "resource_missing", "id")
}

func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pay := h.pay(h.create(10000))
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(1500)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var e *checkout.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &e) && e.Code == "amount_exceeds_remaining":
		default:
			t.Errorf("a refund answered %v", err)
		}
	}
	if ok != 6 {
		t.Fatalf("%d refunds of 1,500 won out of 10,000 succeeded, want 6", ok)
	}
	p, _ := h.payment(pay.ID)
	if info := h.tid(pay.TID); p.RefundedAmount != 9000 || info.CanceledAmount != 9000 {
		t.Fatalf("refunded %d here and %d at KakaoPay, want 9000", p.RefundedAmount, info.CanceledAmount)
	}
	if n := h.calls("cancel"); n != 6 {
		t.Errorf("%d cancel calls, want 6", n)
	}
}

func TestRefundWindowCloses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pay := h.pay(h.create(0))
	h.clock.Add(366 * 24 * time.Hour)
	_, err := h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(1000)})
	wantError(t, err, checkout.KindConflict, "refund_window_closed", "")
	if n := h.calls("cancel"); n != 0 {
		t.Errorf("%d cancel calls", n)
	}
}

func TestRefundRefusedByKakaoPayChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	pay := h.pay(c)
	// Someone refunds behind our back at KakaoPay: our view of what is left is now wrong, and
	// KakaoPay's cancel_available_amount guard refuses our next refund.
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: h.sbURL, SecretKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kp.Cancel(h.ctx, kakaopay.CancelRequest{CID: pay.CID, TID: pay.TID, CancelAmount: 1000}); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(2000)})
	p, refunds := h.payment(pay.ID)
	if p.RefundedAmount != 0 || len(refunds) != 1 || refunds[0].Status != checkout.RefundFailed || refunds[0].FailureCode == "" {
		t.Fatalf("after a refused refund: payment %+v, refunds %+v", p, refunds)
	}
	wantError(t, err, checkout.KindUpstream, "kakaopay_refused", refunds[0].ID) // the refund that failed
	if n := h.count(c.ID, "refund.failed"); n != 1 {
		t.Errorf("%d refund.failed events", n)
	}
}

func TestRefundIdempotencyKeyRefundsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pay := h.pay(h.create(0))
	const hash = "sha256 of the request" // the same request each time
	held, prev, err := h.svc.ReserveIdempotencyKey(h.ctx, h.m.ID, "refund-1", hash, time.Second)
	if err != nil || held == nil || prev != nil {
		t.Fatalf("first reservation: %v %+v %+v", err, held, prev)
	}
	r, err := h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(1000), Key: held})
	if err != nil || r.Status != checkout.RefundSucceeded {
		t.Fatalf("refund: %v %+v", err, r)
	}
	// The first request died before storing its answer: a retry finds the key bound to the refund
	// and answers it, without a second refund.
	held2, prev, err := h.svc.ReserveIdempotencyKey(h.ctx, h.m.ID, "refund-1", hash, time.Second)
	if err != nil || held2 != nil || prev == nil || prev.ObjectType != "refund" || prev.ObjectID != r.ID {
		t.Fatalf("retry: %v %+v %+v", err, held2, prev)
	}
	if again, err := h.svc.RefundOutcome(h.ctx, prev.ObjectID); err != nil || again.ID != r.ID || again.Status != checkout.RefundSucceeded {
		t.Fatalf("retry's outcome: %v %+v", err, again)
	}
	if _, _, err := h.svc.ReserveIdempotencyKey(h.ctx, h.m.ID, "refund-1", "another request", time.Second); !errors.Is(err, checkout.ErrKeyReused) {
		t.Errorf("the key with another request: %v", err)
	}
	p, refunds := h.payment(pay.ID)
	if p.RefundedAmount != 1000 || len(refunds) != 1 {
		t.Errorf("refunded %d in %d refunds", p.RefundedAmount, len(refunds))
	}
	if info := h.tid(pay.TID); info.CanceledAmount != 1000 || h.calls("cancel") != 1 {
		t.Errorf("KakaoPay canceled %d in %d calls", info.CanceledAmount, h.calls("cancel"))
	}
}

func TestRefundTaxFreeShares(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	half := h.pay(h.createWith(checkout.CreateParams{Amount: 10000, TaxFreeAmount: 5000}))
	if r, err := h.svc.Refund(h.ctx, h.m, half.ID, checkout.RefundParams{Amount: won(3000)}); err != nil || r.TaxFreeAmount != 1500 {
		t.Errorf("3,000 of 10,000 with 5,000 tax-free: %v %+v", err, r)
	}

	// 9,999 of 10,000 tax-free: the shares always leave the last won refundable.
	c := h.createWith(checkout.CreateParams{Amount: 10000, TaxFreeAmount: 9999})
	pay := h.pay(c)
	var taxFree int64
	for i, amount := range []*int64{won(1), won(1), won(3333), nil} {
		r, err := h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: amount})
		if err != nil || r.Status != checkout.RefundSucceeded {
			t.Fatalf("refund %d: %v %+v", i, err, r)
		}
		if r.TaxFreeAmount > r.Amount || r.TaxFreeAmount < 0 {
			t.Errorf("refund %d: tax-free %d of %d", i, r.TaxFreeAmount, r.Amount)
		}
		taxFree += r.TaxFreeAmount
	}
	if taxFree != 9999 {
		t.Errorf("refunded %d won tax-free, want 9999", taxFree)
	}
	if info := h.tid(pay.TID); info.CanceledAmount != 10000 {
		t.Errorf("KakaoPay canceled %d", info.CanceledAmount)
	}
}

package payments_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/payments"
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
			if got := payments.TaxFreeShare(pay, tc.done, tc.refund); got != tc.want {
				t.Errorf("taxFreeShare = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRefundsFullPartialAndRepeated(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	pay := h.Pay(c)

	r1, err := h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(3000), Reason: "한 잔 취소"})
	if err != nil || r1.Status != string(checkout.RefundSucceeded) || r1.Amount != 3000 || r1.PaymentID != pay.ID || !strings.HasPrefix(r1.ID, "re_") {
		t.Fatalf("partial refund: %v %+v", err, r1)
	}
	if r, err := h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(5000)}); err != nil || r.Status != string(checkout.RefundSucceeded) {
		t.Fatalf("second partial refund: %v %+v", err, r)
	}
	_, err = h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(4000)})
	apptest.WantInvalid(t, err, "amount_exceeds_remaining", "amount")
	for _, bad := range []int64{0, -5} {
		_, err = h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(bad)})
		apptest.WantInvalid(t, err, "amount_invalid", "amount")
	}
	_, err = h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(1), Reason: strings.Repeat("가", 201)})
	apptest.WantInvalid(t, err, "string_too_long", "reason")

	rest, err := h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{}) // all that is left
	if err != nil || rest.Amount != 3000 || rest.Status != string(checkout.RefundSucceeded) {
		t.Fatalf("refund the rest: %v %+v", err, rest)
	}
	_, err = h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{})
	apptest.WantConflict(t, err, "payment_refunded")

	p, refunds := h.Payment(pay.ID)
	if p.Amount != 11000 || p.RefundedAmount != 11000 || len(refunds) != 3 {
		t.Fatalf("payment %+v with %d refunds", p, len(refunds))
	}
	if got, err := h.Payments.Refund(h.Ctx, h.M, r1.ID); err != nil || got.Amount != 3000 || got.Reason != "한 잔 취소" {
		t.Errorf("RefundByID: %v %+v", err, got)
	}
	if info := h.TID(pay.TID); info.CanceledAmount != 11000 || info.Status != "CANCEL_PAYMENT" {
		t.Errorf("KakaoPay recorded %+v", info)
	}
	h.WantCalls("cancel", 3) // for 3 refunds (refused ones never reach KakaoPay)
	h.WantEvents(c.ID, "refund.succeeded", 3)
	if st := h.State(c.ID); st.Checkout.Status != string(checkout.StatusPaid) {
		t.Errorf("a refunded checkout is %s", st.Checkout.Status)
	}

	_, _, err = h.Payments.Payment(h.Ctx, h.M, "pay_nope")
	apptest.WantNotFound(t, err)
	other := h.Merchant("다른 상점")
	_, err = h.Payments.CreateRefund(h.Ctx, other, pay.ID, payments.RefundParams{Amount: apptest.Won(1)})
	apptest.WantNotFound(t, err)
	_, err = h.Payments.Refund(h.Ctx, other, r1.ID)
	apptest.WantNotFound(t, err)
}

func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	pay := h.Pay(h.Create(10000))
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(1500)})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var e *domain.Error
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
	p, _ := h.Payment(pay.ID)
	if info := h.TID(pay.TID); p.RefundedAmount != 9000 || info.CanceledAmount != 9000 {
		t.Fatalf("refunded %d here and %d at KakaoPay, want 9000", p.RefundedAmount, info.CanceledAmount)
	}
	h.WantCalls("cancel", 6)
}

func TestRefundWindowCloses(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	pay := h.Pay(h.Create(0))
	h.Clock.Add(366 * 24 * time.Hour)
	_, err := h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(1000)})
	apptest.WantConflict(t, err, "refund_window_closed")
	h.WantCalls("cancel", 0)
}

func TestRefundRefusedByKakaoPayChangesNothing(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	pay := h.Pay(c)
	// Someone refunds behind our back at KakaoPay: our view of what is left is now wrong, and
	// KakaoPay's cancel_available_amount guard refuses our next refund.
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: h.SandboxURL, SecretKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kp.Cancel(h.Ctx, kakaopay.CancelRequest{CID: pay.CID, TID: pay.TID, CancelAmount: 1000}); err != nil {
		t.Fatal(err)
	}
	_, err = h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(2000)})
	p, refunds := h.Payment(pay.ID)
	if p.RefundedAmount != 0 || len(refunds) != 1 || refunds[0].Status != string(checkout.RefundFailed) || refunds[0].FailureCode == "" {
		t.Fatalf("after a refused refund: payment %+v, refunds %+v", p, refunds)
	}
	apptest.WantUpstream(t, err, "kakaopay_refused", refunds[0].ID) // the refund that failed
	h.WantEvents(c.ID, "refund.failed", 1)
}

func TestRefundIdempotencyKeyRefundsOnce(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	pay := h.Pay(h.Create(0))
	const hash = "sha256 of the request" // the same request each time
	r, err := h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(1000), Key: h.Hold("refund-1", hash)})
	if err != nil || r.Status != string(checkout.RefundSucceeded) {
		t.Fatalf("refund: %v %+v", err, r)
	}
	// The first request died before storing its answer: a retry finds the key bound to the refund
	// and answers it, without a second refund.
	held2, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, "refund-1", hash, time.Second)
	if err != nil || held2 != nil || prev == nil || prev.ObjectType != "refund" || prev.ObjectID != r.ID {
		t.Fatalf("retry: %v %+v %+v", err, held2, prev)
	}
	if again, err := h.Payments.RefundOutcome(h.Ctx, prev.ObjectID); err != nil || again.ID != r.ID || again.Status != string(checkout.RefundSucceeded) {
		t.Fatalf("retry's outcome: %v %+v", err, again)
	}
	if _, _, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, "refund-1", "another request", time.Second); !errors.Is(err, domain.ErrKeyReused) {
		t.Errorf("the key with another request: %v", err)
	}
	p, refunds := h.Payment(pay.ID)
	if p.RefundedAmount != 1000 || len(refunds) != 1 {
		t.Errorf("refunded %d in %d refunds", p.RefundedAmount, len(refunds))
	}
	if info := h.TID(pay.TID); info.CanceledAmount != 1000 || h.Calls("cancel") != 1 {
		t.Errorf("KakaoPay canceled %d in %d calls", info.CanceledAmount, h.Calls("cancel"))
	}
}

func TestRefundTaxFreeShares(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	half := h.Pay(h.CreateWith(checkout.CreateParams{Amount: 10000, TaxFreeAmount: 5000}))
	if r, err := h.Payments.CreateRefund(h.Ctx, h.M, half.ID, payments.RefundParams{Amount: apptest.Won(3000)}); err != nil || r.TaxFreeAmount != 1500 {
		t.Errorf("3,000 of 10,000 with 5,000 tax-free: %v %+v", err, r)
	}

	// 9,999 of 10,000 tax-free: the shares always leave the last won refundable.
	c := h.CreateWith(checkout.CreateParams{Amount: 10000, TaxFreeAmount: 9999})
	pay := h.Pay(c)
	var taxFree int64
	for i, amount := range []*int64{apptest.Won(1), apptest.Won(1), apptest.Won(3333), nil} {
		r, err := h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: amount})
		if err != nil || r.Status != string(checkout.RefundSucceeded) {
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
	if info := h.TID(pay.TID); info.CanceledAmount != 10000 {
		t.Errorf("KakaoPay canceled %d", info.CanceledAmount)
	}
}

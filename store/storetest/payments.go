package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// testRefunds: a payment reads back by id, locked or not, and keeps its refunded amount; a
// payment's refunds list in the order they were made (one millisecond too), and the reconciler
// finds the pending ones, oldest first.
func testRefunds(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.Paid(t, s, m)
	p, err := s.Payment(ctx, "pay_1")
	if err != nil || p.CheckoutID != "cs_1" || p.AttemptID != "att_1" || p.AgreementID != "" || p.CID != m.CID ||
		p.TaxFreeAmount != 1000 || p.TID != "T1" || p.AID != "A1" || !p.ApprovedAt.Equal(fixture.T0) {
		t.Fatalf("by id: %+v %v", p, err)
	}
	if _, err := s.Payment(ctx, "pay_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing payment: %v", err)
	}
	later := fixture.T0.Add(time.Second)
	err = s.Transact(ctx, func(tx store.Tx) error {
		p, err := tx.LockPayment(ctx, "pay_1")
		if err != nil {
			return err
		}
		// Made in this order in one millisecond: re_b before re_a.
		for _, r := range []*store.Refund{
			{ID: "re_b", Amount: 1000, Reason: "일부 환불", Status: "succeeded", CreatedAt: fixture.T0, UpdatedAt: fixture.T0},
			{ID: "re_a", Amount: 2000, Status: "pending", CreatedAt: fixture.T0, UpdatedAt: fixture.T0},
			{ID: "re_c", Amount: 3000, TaxFreeAmount: 500, Status: "pending", CreatedAt: later, UpdatedAt: later},
		} {
			r.PaymentID, r.MerchantID = p.ID, m.ID
			if err := tx.CreateRefund(ctx, r); err != nil {
				return err
			}
		}
		p.RefundedAmount = 1000
		return tx.UpdatePayment(ctx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.PaymentByCheckout(ctx, "cs_1"); err != nil || p.RefundedAmount != 1000 {
		t.Errorf("refunded amount: %+v %v", p, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error { _, err := tx.LockPayment(ctx, "pay_nope"); return err })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("locking a missing payment: %v", err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error { return tx.UpdatePayment(ctx, &store.Payment{ID: "pay_nope"}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing payment: %v", err)
	}
	refundIDs := fixture.IDsBy(t, func(r *store.Refund) string { return r.ID })
	if got := refundIDs(s.RefundsByPayment(ctx, "pay_1")); !slices.Equal(got, []string{"re_b", "re_a", "re_c"}) {
		t.Errorf("refunds of pay_1: %v", got)
	}
	if got := refundIDs(s.PendingRefunds(ctx, 10)); !slices.Equal(got, []string{"re_a", "re_c"}) {
		t.Errorf("pending: %v", got)
	}
	if got := refundIDs(s.PendingRefunds(ctx, 1)); !slices.Equal(got, []string{"re_a"}) {
		t.Errorf("pending, one: %v", got)
	}
	err = s.Transact(ctx, func(tx store.Tx) error {
		r, err := tx.Refund(ctx, "re_a")
		if err != nil {
			return err
		}
		r.Status, r.FailureCode, r.FailureMessage, r.UpdatedAt = "failed", "CANCEL_REFUSED", "거절", later
		return tx.UpdateRefund(ctx, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Refund(ctx, "re_a")
	if err != nil || r.Status != "failed" || r.FailureCode != "CANCEL_REFUSED" || r.FailureMessage != "거절" || !r.UpdatedAt.Equal(later) ||
		!r.CreatedAt.Equal(fixture.T0) || r.Amount != 2000 || r.PaymentID != "pay_1" {
		t.Errorf("updated refund: %+v %v", r, err)
	}
	if r, err := s.Refund(ctx, "re_c"); err != nil || r.TaxFreeAmount != 500 {
		t.Errorf("re_c: %+v %v", r, err)
	}
	if got := refundIDs(s.PendingRefunds(ctx, 10)); !slices.Equal(got, []string{"re_c"}) {
		t.Errorf("pending after re_a failed: %v", got)
	}
	if _, err := s.Refund(ctx, "re_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing refund: %v", err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateRefund(ctx, &store.Refund{ID: "re_nope"}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing refund: %v", err)
	}
}

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

// testDailyTotals puts money on both sides of a Korean midnight (15:00 UTC).
func testDailyTotals(t *testing.T, s store.Store) {
	ctx := t.Context()
	kst := time.FixedZone("KST", 9*60*60)
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	before := time.Date(2026, 11, 30, 14, 59, 0, 0, time.UTC) // 23:59 on 11/30 in Korea
	after := time.Date(2026, 11, 30, 15, 1, 0, 0, time.UTC)   // 00:01 on 12/1 in Korea
	pay := func(m *store.Merchant, n string, at time.Time, amount, refunded int64) {
		t.Helper()
		c := fixture.NewCheckout(t, s, m, "cs_"+n, at)
		err := s.Transact(ctx, func(tx store.Tx) error {
			if err := tx.CreateAttempt(ctx, fixture.Attempt("att_"+n, c.ID, "T"+n)); err != nil {
				return err
			}
			p := &store.Payment{ID: "pay_" + n, CheckoutID: c.ID, AttemptID: "att_" + n, MerchantID: m.ID,
				Amount: amount, Method: "MONEY", ApprovedAt: at, CreatedAt: at}
			if err := tx.CreatePayment(ctx, p); err != nil || refunded == 0 {
				return err
			}
			for i, status := range []string{"succeeded", "failed"} {
				r := &store.Refund{ID: "re_" + n + status, PaymentID: p.ID, MerchantID: m.ID, Amount: refunded, Status: status,
					CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at}
				if err := tx.CreateRefund(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pay(m, "1", before, 1000, 0)
	pay(m, "2", after, 2000, 500)
	pay(m, "3", after.Add(time.Hour), 4000, 0)
	fixture.NewCheckout(t, s, m, "cs_open", after)
	pay(other, "4", after, 8000, 100)

	days, err := s.DailyTotals(ctx, m.ID, before.AddDate(0, 0, -1), after, kst)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DayTotals{
		{Day: time.Date(2026, 11, 29, 0, 0, 0, 0, kst)},
		{Day: time.Date(2026, 11, 30, 0, 0, 0, 0, kst), Opened: 1, Paid: 1, PaidAmount: 1000},
		{Day: time.Date(2026, 12, 1, 0, 0, 0, 0, kst), Opened: 3, Paid: 2, PaidAmount: 6000, RefundedAmount: 500},
	}
	if len(days) != len(want) {
		t.Fatalf("%d days: %+v", len(days), days)
	}
	for i := range want {
		if !days[i].Day.Equal(want[i].Day) || days[i].Opened != want[i].Opened || days[i].Paid != want[i].Paid ||
			days[i].PaidAmount != want[i].PaidAmount || days[i].RefundedAmount != want[i].RefundedAmount {
			t.Errorf("day %d: %+v, want %+v", i, days[i], want[i])
		}
	}
	// The money movements of a period are the rows these totals add up: payments by approval,
	// succeeded refunds by when they were asked, newest first.
	from, to := time.Date(2026, 12, 1, 0, 0, 0, 0, kst), time.Date(2026, 12, 2, 0, 0, 0, 0, kst)
	pays, err := s.PaymentsBetween(ctx, m.ID, from, to, 10)
	if err != nil || len(pays) != 2 || pays[0].ID != "pay_3" || pays[1].ID != "pay_2" {
		t.Errorf("payments of 12/1: %v %v, want pay_3 and pay_2", pays, err)
	}
	refunds, err := s.RefundsBetween(ctx, m.ID, from, to, 10)
	if err != nil || len(refunds) != 1 || refunds[0].ID != "re_2succeeded" {
		t.Errorf("refunds of 12/1: %v %v, want re_2succeeded", refunds, err)
	}
	if pays, err := s.PaymentsBetween(ctx, m.ID, from, to, 1); err != nil || len(pays) != 1 {
		t.Errorf("payments with a limit of 1: %v %v", pays, err)
	}
}

package storetest

import (
	"cmp"
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

// testListAgreements lists one merchant's agreements newest first (one millisecond ordered by
// id), by status and a page at a time; another merchant's agreement or cursor gives nothing.
func testListAgreements(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	add := func(m *store.Merchant, id, status string, at time.Time) {
		t.Helper()
		c := fixture.NewCheckout(t, s, m, "cs_"+id, at)
		a := &store.Agreement{ID: id, MerchantID: m.ID, CheckoutID: c.ID, CID: m.SubscriptionCID, SID: "S" + id,
			PartnerUserID: "u", Status: status, CreatedAt: at, UpdatedAt: at}
		fixture.Write(t, s, store.Tx.CreateAgreement, a)
	}
	add(m, "agr_a", "active", fixture.T0)
	add(m, "agr_b", "inactive", fixture.T0.Add(time.Second))
	add(m, "agr_c", "active", fixture.T0.Add(time.Second)) // the same millisecond as agr_b
	add(other, "agr_x", "active", fixture.T0.Add(time.Hour))
	agreementIDs := func(list []*store.Agreement) []string {
		var out []string
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	list, err := s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Limit: 2})
	if err != nil || len(list) != 2 || list[0].ID != "agr_c" || list[1].ID != "agr_b" || list[1].Status != "inactive" ||
		list[0].CheckoutID != "cs_agr_c" || !list[0].CreatedAt.Equal(fixture.T0.Add(time.Second)) {
		t.Fatalf("first page: %v %v", agreementIDs(list), err)
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Limit: 2, StartingAfter: "agr_b"}); len(list) != 1 || list[0].ID != "agr_a" {
		t.Errorf("second page: %v", agreementIDs(list))
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Status: "active", Limit: 10}); len(list) != 2 || list[0].ID != "agr_c" || list[1].ID != "agr_a" {
		t.Errorf("active only: %v", agreementIDs(list))
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Limit: 10, StartingAfter: "agr_x"}); len(list) != 0 {
		t.Errorf("another merchant's cursor gave %v", agreementIDs(list))
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: "mer_none", Limit: 10}); len(list) != 0 {
		t.Errorf("a merchant with no agreements: %v", agreementIDs(list))
	}
}

// testAgreements: an agreement reads back by id and by its checkout, keeps when its
// deactivation was asked, and the reconciler finds the active ones whose deactivation KakaoPay
// has not confirmed.
func testAgreements(t *testing.T, s store.Store) {
	ctx := t.Context()
	moneyObjects(t, s)
	a, err := s.Agreement(ctx, "agr_deactivating")
	if err != nil || a.CheckoutID != "cs_agr_deactivating" || a.SID != "Sagr_deactivating" || a.PartnerUserID != "u" ||
		a.Status != "active" || !a.DeactivateRequestedAt.Equal(fixture.T0) || !a.CreatedAt.Equal(fixture.T0) {
		t.Fatalf("by id: %+v %v", a, err)
	}
	if a, err := s.AgreementByCheckout(ctx, "cs_agr_on"); err != nil || a.ID != "agr_on" || !a.DeactivateRequestedAt.IsZero() {
		t.Errorf("by checkout: %+v %v", a, err)
	}
	if _, err := s.Agreement(ctx, "agr_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing agreement: %v", err)
	}
	if _, err := s.AgreementByCheckout(ctx, "cs_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a checkout with no agreement: %v", err)
	}
	agreementIDs := fixture.IDsBy(t, func(a *store.Agreement) string { return a.ID })
	deactivating := func(before time.Time) []string { return agreementIDs(s.DeactivatingAgreements(ctx, before, 10)) }
	if got := deactivating(fixture.T0.Add(-time.Millisecond)); len(got) != 0 {
		t.Errorf("asked after before: %v", got)
	}
	if got := deactivating(fixture.T0); len(got) != 1 || got[0] != "agr_deactivating" {
		t.Errorf("deactivating at fixture.T0: %v", got)
	}
	// agr_on asked later; agr_deactivating confirmed inactive: it is settled.
	err = s.Transact(ctx, func(tx store.Tx) error {
		for id, change := range map[string]func(a *store.Agreement){
			"agr_on":           func(a *store.Agreement) { a.DeactivateRequestedAt = fixture.T0.Add(time.Minute) },
			"agr_deactivating": func(a *store.Agreement) { a.Status = "inactive" },
		} {
			a, err := tx.Agreement(ctx, id)
			if err != nil {
				return err
			}
			change(a)
			a.UpdatedAt = fixture.T0.Add(time.Hour)
			if err := tx.UpdateAgreement(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := deactivating(fixture.T0.Add(time.Hour)); len(got) != 1 || got[0] != "agr_on" {
		t.Errorf("deactivating after the updates: %v", got)
	}
	if a, err := s.Agreement(ctx, "agr_deactivating"); err != nil || a.Status != "inactive" || !a.UpdatedAt.Equal(fixture.T0.Add(time.Hour)) {
		t.Errorf("updated: %+v %v", a, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateAgreement(ctx, &store.Agreement{ID: "agr_nope"}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing agreement: %v", err)
	}
}

// testCharges: a charge reads back by id and, once it succeeded, by its payment; a merchant's
// charges list newest first, by status, by agreement and a page at a time; the reconciler finds
// the pending ones.
func testCharges(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := moneyObjects(t, s) // ch_pending, ch_unknown, ch_failed on agr_on, all at fixture.T0
	other := fixture.Merchant(t, s, "mer_2")
	fixture.NewCheckout(t, s, other, "cs_x", fixture.T0)
	later := fixture.T0.Add(time.Second)
	err := s.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateAgreement(ctx, &store.Agreement{ID: "agr_x", MerchantID: other.ID, CheckoutID: "cs_x",
			CID: other.SubscriptionCID, SID: "Sx", Status: "active", CreatedAt: fixture.T0, UpdatedAt: fixture.T0}); err != nil {
			return err
		}
		for _, c := range []*store.Charge{
			{ID: "ch_later", AgreementID: "agr_deactivating", MerchantID: m.ID, Amount: 7000, Reference: "R", Status: "pending",
				CreatedAt: later, UpdatedAt: later},
			{ID: "ch_other", AgreementID: "agr_x", MerchantID: other.ID, Amount: 100, Status: "pending", CreatedAt: fixture.T0, UpdatedAt: fixture.T0},
		} {
			if err := tx.CreateCharge(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Charge(ctx, "ch_later")
	if err != nil || c.AgreementID != "agr_deactivating" || c.Amount != 7000 || c.Reference != "R" || c.PaymentID != "" ||
		!c.CreatedAt.Equal(later) {
		t.Fatalf("by id: %+v %v", c, err)
	}
	if _, err := s.Charge(ctx, "ch_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing charge: %v", err)
	}
	if _, err := s.ChargeByPayment(ctx, "pay_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a payment with no charge: %v", err)
	}
	// ch_pending succeeds: its payment is written with it.
	err = s.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreatePayment(ctx, &store.Payment{ID: "pay_ch", AgreementID: "agr_on", MerchantID: m.ID, CID: m.SubscriptionCID,
			Amount: 5000, Method: "CARD", TID: "Tch", ApprovedAt: later, CreatedAt: later}); err != nil {
			return err
		}
		c, err := tx.Charge(ctx, "ch_pending")
		if err != nil {
			return err
		}
		c.Status, c.PaymentID, c.UpdatedAt = "succeeded", "pay_ch", later
		return tx.UpdateCharge(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.ChargeByPayment(ctx, "pay_ch"); err != nil || c.ID != "ch_pending" || c.Status != "succeeded" || !c.UpdatedAt.Equal(later) {
		t.Errorf("by payment: %+v %v", c, err)
	}
	if p, err := s.Payment(ctx, "pay_ch"); err != nil || p.CheckoutID != "" || p.AttemptID != "" || p.AgreementID != "agr_on" || p.CID != m.SubscriptionCID {
		t.Errorf("a charge's payment: %+v %v", p, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateCharge(ctx, &store.Charge{ID: "ch_nope"}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing charge: %v", err)
	}
	chargeIDs := fixture.IDsBy(t, func(c *store.Charge) string { return c.ID })
	list := func(p store.ListCharges) []string {
		p.MerchantID, p.Limit = m.ID, cmp.Or(p.Limit, 10)
		return chargeIDs(s.ListCharges(ctx, p))
	}
	for name, tc := range map[string]struct {
		p    store.ListCharges
		want []string
	}{
		"all":          {store.ListCharges{}, []string{"ch_later", "ch_unknown", "ch_pending", "ch_failed"}},
		"first page":   {store.ListCharges{Limit: 2}, []string{"ch_later", "ch_unknown"}},
		"second page":  {store.ListCharges{StartingAfter: "ch_unknown"}, []string{"ch_pending", "ch_failed"}},
		"pending":      {store.ListCharges{Status: "pending"}, []string{"ch_later"}},
		"of agr_on":    {store.ListCharges{AgreementID: "agr_on"}, []string{"ch_unknown", "ch_pending", "ch_failed"}},
		"both filters": {store.ListCharges{AgreementID: "agr_on", Status: "failed"}, []string{"ch_failed"}},
		"other cursor": {store.ListCharges{StartingAfter: "ch_other"}, nil},
	} {
		if got := list(tc.p); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	pending, err := s.PendingCharges(ctx, later, 10)
	if err != nil || len(pending) != 2 || pending[0].ID != "ch_other" || pending[1].ID != "ch_later" {
		t.Errorf("pending at fixture.T0+1s: %v %v", pending, err)
	}
	if pending, err := s.PendingCharges(ctx, fixture.T0, 1); err != nil || len(pending) != 1 || pending[0].ID != "ch_other" {
		t.Errorf("pending at fixture.T0, one: %v %v", pending, err)
	}
}

package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := merchant(t, s, "mer_1")
	u := &store.User{ID: "usr_1", MerchantID: m.ID, Email: "Owner@Shop.example", PasswordHash: "$argon2id$x", Role: "owner",
		CreatedAt: t0, PasswordChangedAt: t0}
	create := func(u *store.User) error {
		return s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
	}
	if err := create(u); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByEmail(ctx, "owner@SHOP.example")
	if err != nil || got.ID != "usr_1" || got.Email != u.Email || got.Role != "owner" || !got.PasswordChangedAt.Equal(t0) {
		t.Fatalf("by e-mail: %+v %v", got, err)
	}
	if got, err := s.User(ctx, "usr_1"); err != nil || got.MerchantID != m.ID {
		t.Errorf("by id: %+v %v", got, err)
	}
	if _, err := s.User(ctx, "usr_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing user: %v", err)
	}
	dup := *u
	dup.ID, dup.Email = "usr_2", "OWNER@shop.EXAMPLE"
	if err := create(&dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same e-mail in another case: %v", err)
	}
}

// testDailyTotals puts money on both sides of a Korean midnight (15:00 UTC).
func testDailyTotals(t *testing.T, s store.Store) {
	ctx := context.Background()
	kst := time.FixedZone("KST", 9*60*60)
	m, other := merchant(t, s, "mer_1"), merchant(t, s, "mer_2")
	before := time.Date(2026, 11, 30, 14, 59, 0, 0, time.UTC) // 23:59 on 11/30 in Korea
	after := time.Date(2026, 11, 30, 15, 1, 0, 0, time.UTC)   // 00:01 on 12/1 in Korea
	pay := func(m *store.Merchant, n string, at time.Time, amount, refunded int64) {
		t.Helper()
		c := newCheckout(t, s, m, "cs_"+n, at)
		err := s.Transact(ctx, func(tx store.Tx) error {
			if err := tx.CreateAttempt(ctx, attempt("att_"+n, c.ID, "T"+n)); err != nil {
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
	newCheckout(t, s, m, "cs_open", after)
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
}

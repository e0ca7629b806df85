package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	u := &store.User{ID: "usr_1", MerchantID: m.ID, Email: "Owner@Shop.example", PasswordHash: "$argon2id$x", Role: "owner",
		CreatedAt: fixture.T0, PasswordChangedAt: fixture.T0}
	create := func(u *store.User) error {
		return s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
	}
	if err := create(u); err != nil {
		t.Fatal(err)
	}
	byEmail, err := s.UsersByEmail(ctx, "owner@SHOP.example")
	if err != nil || len(byEmail) != 1 {
		t.Fatalf("by e-mail: %v %v", byEmail, err)
	}
	if got := byEmail[0]; got.ID != "usr_1" || got.Email != u.Email || got.Role != "owner" || !got.PasswordChangedAt.Equal(fixture.T0) {
		t.Fatalf("by e-mail: %+v", got)
	}
	if none, err := s.UsersByEmail(ctx, "nobody@shop.example"); err != nil || len(none) != 0 {
		t.Errorf("an unknown e-mail: %v %v", none, err)
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
	testUserElsewhere(t, s, u)
	testUserChanges(t, s, u)
}

// testUserElsewhere gives u's e-mail to a user of another merchant: an e-mail is unique per
// merchant only, and UsersByEmail finds both, oldest first.
func testUserElsewhere(t *testing.T, s store.Store, u *store.User) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_3")
	twin := &store.User{ID: "usr_0", MerchantID: m.ID, Email: "OWNER@shop.example", PasswordHash: "$argon2id$t", Role: "staff",
		CreatedAt: fixture.T0.Add(time.Second), PasswordChangedAt: fixture.T0.Add(time.Second)}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, twin) }); err != nil {
		t.Fatalf("the e-mail at another merchant: %v", err)
	}
	list, err := s.UsersByEmail(ctx, "owner@shop.EXAMPLE")
	if err != nil || len(list) != 2 || list[0].ID != u.ID || list[1].ID != twin.ID || list[1].MerchantID != m.ID {
		t.Errorf("by e-mail at two merchants: %v %v", list, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error {
		list, err := tx.UsersByEmail(ctx, u.Email)
		if err == nil && len(list) != 2 {
			t.Errorf("by e-mail in a transaction: %v", list)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := s.Users(ctx, u.MerchantID); err != nil || len(list) != 1 || list[0].ID != u.ID {
		t.Errorf("the first merchant's users: %v %v", list, err)
	}
}

// testUserChanges lists, updates and removes users; another merchant's user is never listed.
func testUserChanges(t *testing.T, s store.Store, u *store.User) {
	ctx := t.Context()
	other := fixture.Merchant(t, s, "mer_2")
	staff := &store.User{ID: "usr_3", MerchantID: u.MerchantID, Email: "staff@shop.example", PasswordHash: "$argon2id$y", Role: "staff",
		CreatedAt: fixture.T0.Add(time.Minute), PasswordChangedAt: fixture.T0.Add(time.Minute)}
	elsewhere := &store.User{ID: "usr_4", MerchantID: other.ID, Email: "owner@other.example", PasswordHash: "$argon2id$z", Role: "owner",
		CreatedAt: fixture.T0, PasswordChangedAt: fixture.T0}
	for _, nu := range []*store.User{staff, elsewhere} {
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, nu) }); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Users(ctx, u.MerchantID)
	if err != nil || len(list) != 2 || list[0].ID != u.ID || list[1].ID != staff.ID || list[1].Role != "staff" {
		t.Fatalf("users: %v %v", list, err)
	}
	if list, err := s.Users(ctx, "mer_none"); err != nil || len(list) != 0 {
		t.Errorf("a merchant without users: %v %v", list, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error {
		locked, err := tx.LockUsers(ctx, u.MerchantID)
		if err == nil && (len(locked) != 2 || locked[0].ID != u.ID || locked[1].ID != staff.ID) {
			t.Errorf("locked users: %v", locked)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	changedAt := fixture.T0.Add(time.Hour + 123*time.Millisecond)
	up := *staff
	up.PasswordHash, up.PasswordChangedAt, up.Role = "$argon2id$new", changedAt, "owner"
	up.Email, up.MerchantID, up.CreatedAt = "ignored@shop.example", other.ID, fixture.T0.Add(time.Hour) // not written
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, &up) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.User(ctx, staff.ID)
	if err != nil || got.PasswordHash != "$argon2id$new" || !got.PasswordChangedAt.Equal(changedAt) || got.Role != "owner" ||
		got.Email != staff.Email || got.MerchantID != staff.MerchantID || !got.CreatedAt.Equal(staff.CreatedAt) {
		t.Errorf("updated: %+v %v", got, err)
	}
	gone := &store.User{ID: "usr_nope", Role: "staff"}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, gone) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing user: %v", err)
	}

	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, staff.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, staff.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a removed user: %v", err)
	}
	if list, err := s.UsersByEmail(ctx, staff.Email); err != nil || len(list) != 0 {
		t.Errorf("a removed user by e-mail: %v %v", list, err)
	}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, staff.ID) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if list, err := s.Users(ctx, other.ID); err != nil || len(list) != 1 || list[0].ID != elsewhere.ID {
		t.Errorf("the other merchant's users: %v %v", list, err)
	}
	// The e-mail is free again once its user is gone.
	again := *staff
	again.ID = "usr_5"
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, &again) }); err != nil {
		t.Errorf("re-adding a removed user's e-mail: %v", err)
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
